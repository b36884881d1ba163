/* A classic BPF filter given in the configuration is in force from the first packet: only
 * frames it accepts arrive, and only those are counted by pkt_stats. */
#include "common.h"

static void run(bool immediate)
{
    const char *mode = immediate ? "V2" : "V3";
    pkt_bpf_insn_t prog[4];
    filter_ethertype(prog, TEST_ETHERTYPE, 262144);
    pkt_config_t c = test_config();
    c.filter = prog;
    c.filter_len = 4;
    config_mode(&c, immediate);
    pkt_t *h = open_ok("v0", &c);

    raw_tx_t tx = raw_tx_open("v1");
    uint8_t v0mac[6];
    mac_of("v0", v0mac);
    for (uint32_t s = 0; s < 60; s++)
        raw_tx_send_seq(&tx, (s % 3) ? v0mac : MAC_BROADCAST,
                        (s % 2) ? OTHER_ETHERTYPE : TEST_ETHERTYPE, s, 60 + s * 20);
    rx_frame_t *got = calloc(61, sizeof *got);
    CHECK(got != NULL);
    int n = collect_frames(h, false, 600, got, 60);
    CHECKF(n == 30, "%s: %d frames passed, expected the 30 of ethertype 0x88b5", mode, n);
    for (int i = 0; i < n; i++) {
        CHECK(got[i].info.protocol == TEST_ETHERTYPE);
        CHECK(frame_seq(got[i].data, got[i].info.caplen, ETH_HDR_LEN) == 2 * i);
        CHECK(got[i].info.caplen == 60u + 2u * (unsigned)i * 20u);
    }
    pkt_stats_t st;
    CHECK_RC(pkt_stats(h, true, &st), 0);
    CHECKF(st.recvs == 30 && st.drops == 0, "%s: stats recvs %llu drops %llu, expected 30/0",
           mode, (unsigned long long)st.recvs, (unsigned long long)st.drops);
    free(got);
    raw_tx_close(&tx);
    CHECK_RC(pkt_close(h), 0);
}

int main(void)
{
    test_init("test_filter_open", 40);
    run(false);
    run(true);
    return test_pass();
}
