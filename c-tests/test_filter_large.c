/* Programs the kernel refuses for their size (over BPF_MAXINSNS = 4096 instructions) still filter
 * correctly (in user space): 5000 instructions, at open and with pkt_setfilter; 4096 and 4097
 * instructions around the kernel's limit. */
#include "common.h"

/* n-4 no-ops (ld #0), then ldh [12]; jeq #type, 0, 1; ret #262144; ret #0. */
static void expect_only(pkt_t *h, uint16_t type, const char *what)
{
    static uint32_t seq;
    raw_tx_t tx = raw_tx_open("v1");
    uint8_t v0mac[6];
    mac_of("v0", v0mac);
    uint32_t first = seq;
    for (int i = 0; i < 20; i++, seq++)
        raw_tx_send_seq(&tx, v0mac, (i % 2) ? OTHER_ETHERTYPE : TEST_ETHERTYPE, seq, 100);
    raw_tx_close(&tx);
    rx_frame_t *got = calloc(21, sizeof *got);
    CHECK(got != NULL);
    int n = collect_frames(h, false, 600, got, 20);
    CHECKF(n == 10, "%s: %d frames arrived, expected the 10 of type 0x%04x", what, n, type);
    for (int i = 0; i < n; i++) {
        uint32_t want = first + (uint32_t)(2 * i) + (type == OTHER_ETHERTYPE);
        CHECKF(frame_seq(got[i].data, got[i].info.caplen, ETH_HDR_LEN) == want,
               "%s: frame %d seq %lld, expected %u", what, i,
               (long long)frame_seq(got[i].data, got[i].info.caplen, ETH_HDR_LEN), want);
    }
    free(got);
}

static void run(bool immediate)
{
    char what[128];
    const char *mode = immediate ? "V2" : "V3";
    pkt_bpf_insn_t *f5000 = filter_long(5000, TEST_ETHERTYPE);
    pkt_bpf_insn_t *f5000b = filter_long(5000, OTHER_ETHERTYPE);

    /* at open */
    pkt_config_t c = test_config();
    config_mode(&c, immediate);
    c.filter = f5000;
    c.filter_len = 5000;
    pkt_t *h = open_ok("v0", &c);
    snprintf(what, sizeof what, "%s, 5000 instructions at open", mode);
    expect_only(h, TEST_ETHERTYPE, what);

    /* replaced by another long one, then by a short one, then a long one again */
    int rc = pkt_setfilter(h, f5000b, 5000);
    CHECKF(rc >= 0, "pkt_setfilter(5000 instructions) returned %d (%s): %s", rc, pkt_strerror(rc),
           pkt_errmsg());
    snprintf(what, sizeof what, "%s, 5000 instructions by pkt_setfilter", mode);
    expect_only(h, OTHER_ETHERTYPE, what);
    pkt_bpf_insn_t shortf[4];
    filter_ethertype(shortf, TEST_ETHERTYPE, 262144);
    CHECK_OK(pkt_setfilter(h, shortf, 4));
    snprintf(what, sizeof what, "%s, short filter after a long one", mode);
    expect_only(h, TEST_ETHERTYPE, what);
    CHECK_OK(pkt_setfilter(h, f5000b, 5000));
    snprintf(what, sizeof what, "%s, long filter after a short one", mode);
    expect_only(h, OTHER_ETHERTYPE, what);
    CHECK_RC(pkt_close(h), 0);

    /* around the kernel's limit */
    const size_t lens[] = {4096, 4097};
    for (size_t i = 0; i < 2; i++) {
        pkt_bpf_insn_t *f = filter_long(lens[i], OTHER_ETHERTYPE);
        c = test_config();
        config_mode(&c, immediate);
        h = open_ok("v0", &c);
        CHECK_OK(pkt_setfilter(h, f, lens[i]));
        snprintf(what, sizeof what, "%s, %zu instructions", mode, lens[i]);
        expect_only(h, OTHER_ETHERTYPE, what);
        CHECK_RC(pkt_close(h), 0);
        free(f);
    }
    free(f5000);
    free(f5000b);
}

int main(void)
{
    test_init("test_filter_large", 60);
    run(false);
    run(true);
    return test_pass();
}
