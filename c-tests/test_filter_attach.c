/* pkt_setfilter on a live handle: attaching a filter changes what arrives, replacing it changes
 * it again, and detaching (len 0) lets everything through again. */
#include "common.h"

static raw_tx_t g_tx;
static uint8_t g_v0mac[6];
static uint32_t g_seq;

/* Sends 10 frames of each test ethertype, interleaved; returns the first seq used. */
static uint32_t send_mix(void)
{
    uint32_t first = g_seq;
    for (int i = 0; i < 20; i++, g_seq++)
        raw_tx_send_seq(&g_tx, g_v0mac, (i % 2) ? OTHER_ETHERTYPE : TEST_ETHERTYPE, g_seq, 100);
    return first;
}

/* Expects exactly the frames of the mix with the given ethertype (0: all of them), in order. */
static void expect(pkt_t *h, uint32_t first, uint16_t only, const char *what)
{
    rx_frame_t *got = calloc(21, sizeof *got);
    CHECK(got != NULL);
    int n = collect_frames(h, false, 600, got, 20);
    int want = only ? 10 : 20;
    CHECKF(n == want, "%s: %d frames, expected %d", what, n, want);
    for (int i = 0; i < n; i++) {
        uint32_t seq = only ? first + (uint32_t)(2 * i) + (only == OTHER_ETHERTYPE)
                            : first + (uint32_t)i;
        CHECKF(frame_seq(got[i].data, got[i].info.caplen, ETH_HDR_LEN) == seq,
               "%s: frame %d has seq %lld, expected %u", what, i,
               (long long)frame_seq(got[i].data, got[i].info.caplen, ETH_HDR_LEN), seq);
        if (only)
            CHECK(got[i].info.protocol == only);
    }
    free(got);
}

static void run(bool immediate)
{
    const char *mode = immediate ? "V2" : "V3";
    char what[128];
    pkt_config_t c = test_config();
    config_mode(&c, immediate);
    pkt_t *h = open_ok("v0", &c);
    pkt_bpf_insn_t only_a[4], only_b[4];
    filter_ethertype(only_a, TEST_ETHERTYPE, 262144);
    filter_ethertype(only_b, OTHER_ETHERTYPE, 0xffffffffu);

    snprintf(what, sizeof what, "%s, no filter", mode);
    expect(h, send_mix(), 0, what);

    CHECK_OK(pkt_setfilter(h, only_a, 4));
    snprintf(what, sizeof what, "%s, filter 0x88b5", mode);
    expect(h, send_mix(), TEST_ETHERTYPE, what);

    CHECK_OK(pkt_setfilter(h, only_b, 4));
    snprintf(what, sizeof what, "%s, filter replaced by 0x88b6", mode);
    expect(h, send_mix(), OTHER_ETHERTYPE, what);

    CHECK_OK(pkt_setfilter(h, NULL, 0));
    snprintf(what, sizeof what, "%s, filter detached (NULL, 0)", mode);
    expect(h, send_mix(), 0, what);

    CHECK_OK(pkt_setfilter(h, only_a, 4));
    CHECK_OK(pkt_setfilter(h, only_a, 0));
    snprintf(what, sizeof what, "%s, filter detached (prog, 0)", mode);
    expect(h, send_mix(), 0, what);

    /* detaching with nothing attached is fine too */
    CHECK_OK(pkt_setfilter(h, NULL, 0));
    CHECK_RC(pkt_close(h), 0);
}

int main(void)
{
    test_init("test_filter_attach", 50);
    g_tx = raw_tx_open("v1");
    mac_of("v0", g_v0mac);
    run(false);
    run(true);
    raw_tx_close(&g_tx);
    return test_pass();
}
