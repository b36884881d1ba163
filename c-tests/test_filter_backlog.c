/* The backlog rule: a frame that arrived before pkt_setfilter and fails the new filter is never
 * returned after it. 100 frames of kind A wait unread in the ring, the filter switches to kind B,
 * 100 frames of kind B follow: exactly the 100 B frames are read, in order. */
#include "common.h"

static void run(bool immediate, bool read_one_first)
{
    char mode[64];
    snprintf(mode, sizeof mode, "%s%s", immediate ? "V2" : "V3",
             read_one_first ? ", one A read before the switch" : "");
    pkt_config_t c = test_config();
    config_mode(&c, immediate);
    pkt_t *h = open_ok("v0", &c);
    raw_tx_t tx = raw_tx_open("v1");
    uint8_t v0mac[6];
    mac_of("v0", v0mac);

    for (uint32_t s = 0; s < 100; s++)
        raw_tx_send_seq(&tx, v0mac, OTHER_ETHERTYPE, s, 200 + s);
    wait_recvs(h, 100, 3000);
    if (read_one_first) {
        /* the reader is in the middle of a block when the filter changes */
        const uint8_t *d;
        pkt_info_t info;
        CHECK_OK(read_test_frame(h, 3000, false, &d, &info));
        CHECK(frame_seq(d, info.caplen, ETH_HDR_LEN) == 0);
    }

    pkt_bpf_insn_t only_b[4];
    filter_ethertype(only_b, TEST_ETHERTYPE, 262144);
    CHECK_OK(pkt_setfilter(h, only_b, 4));

    for (uint32_t s = 1000; s < 1100; s++)
        raw_tx_send_seq(&tx, v0mac, TEST_ETHERTYPE, s, 200 + (s - 1000));

    rx_frame_t *got = calloc(201, sizeof *got);
    CHECK(got != NULL);
    int n = collect_frames(h, false, 700, got, 200);
    int stale = 0;
    for (int i = 0; i < n; i++)
        if (got[i].info.caplen >= 14 && got[i].data[13] == 0xb6)
            stale++;
    CHECKF(stale == 0, "%s: %d frames of kind A (ethertype 0x88b6) were returned after the "
           "filter switched to kind B", mode, stale);
    CHECKF(n == 100, "%s: %d kind B frames, expected 100", mode, n);
    for (int i = 0; i < n; i++) {
        CHECK(frame_seq(got[i].data, got[i].info.caplen, ETH_HDR_LEN) == 1000 + i);
        CHECK(got[i].info.caplen == 200u + (unsigned)i);
    }
    free(got);
    raw_tx_close(&tx);
    CHECK_RC(pkt_close(h), 0);
}

int main(void)
{
    test_init("test_filter_backlog", 60);
    run(false, false);
    run(true, false);
    run(false, true);
    run(true, true);
    return test_pass();
}
