/* Nil reads: a filter that runs in user space (here one of 5000 instructions, which the kernel
 * refuses) skips packets in the ring; after max_nil_read skips in a row pkt_read returns 0 with
 * *data set to NULL so the caller regains control, and the next reads go on to the packet that
 * passes. Below the limit no nil read happens. max_nil_read 0 counts as 1. */
#include "common.h"

/* Sends `skips` frames the filter rejects, then one it accepts; reads until that one. Returns
 * the number of nil reads on the way. */
static int nil_reads_before_packet(bool immediate, uint64_t max_nil_read, int skips,
                                   bool set_later)
{
    pkt_bpf_insn_t *f = filter_long(5000, TEST_ETHERTYPE);
    pkt_config_t c = test_config();
    config_mode(&c, immediate);
    c.max_nil_read = max_nil_read;
    if (!set_later) {
        c.filter = f;
        c.filter_len = 5000;
    }
    pkt_t *h = open_ok("v0", &c);
    if (set_later)
        CHECK_OK(pkt_setfilter(h, f, 5000));
    free(f);
    raw_tx_t tx = raw_tx_open("v1");
    uint8_t v0mac[6];
    mac_of("v0", v0mac);
    for (int i = 0; i < skips; i++)
        raw_tx_send_seq(&tx, v0mac, OTHER_ETHERTYPE, (uint32_t)i, 100);
    raw_tx_send_seq(&tx, v0mac, TEST_ETHERTYPE, 1000, 100);
    raw_tx_close(&tx);

    int nils = 0;
    int64_t deadline = mono_ms() + 3000;
    for (;;) {
        CHECKF(mono_ms() < deadline, "the accepted frame did not arrive within 3 s");
        const uint8_t *d = (const uint8_t *)"sentinel";
        pkt_info_t info;
        int rc = pkt_read(h, 1, &d, &info);
        if (rc == -ETIMEDOUT)
            continue;
        if (rc == 0) {
            CHECKF(d == NULL, "nil read left *data at %p", (const void *)d);
            nils++;
            continue;
        }
        CHECK_OK(rc);
        CHECKF(info.caplen >= 14 && d[12] == 0x88 && d[13] == 0xb5,
               "a frame of ethertype 0x%02x%02x passed the user-space filter", d[12], d[13]);
        CHECK(frame_seq(d, info.caplen, ETH_HDR_LEN) == 1000);
        break;
    }
    CHECK_RC(pkt_close(h), 0);
    return nils;
}

int main(void)
{
    test_init("test_nil_read", 60);
    for (int m = 0; m < 2; m++) {
        bool imm = m == 1;
        const char *mode = imm ? "V2" : "V3";
        for (int later = 0; later < 2; later++) {
            const char *how = later ? "pkt_setfilter" : "at open";
            int n = nil_reads_before_packet(imm, 1, 10, later);
            note("%s, filter %s, max_nil_read 1, 10 skips: %d nil reads", mode, how, n);
            CHECKF(n >= 1, "%s, filter %s: max_nil_read 1 and 10 rejected packets in a row, but "
                   "no nil read", mode, how);
            CHECKF(n <= 10, "%s, filter %s: %d nil reads for 10 skipped packets", mode, how, n);
        }
        int n = nil_reads_before_packet(imm, 0, 10, false);
        CHECKF(n >= 1 && n <= 10, "%s: max_nil_read 0 (counts as 1): %d nil reads", mode, n);
        n = nil_reads_before_packet(imm, 4, 10, false);
        CHECKF(n >= 1 && n <= 3, "%s: max_nil_read 4 and 10 skips: %d nil reads", mode, n);
        n = nil_reads_before_packet(imm, 1024, 10, false);
        CHECKF(n == 0, "%s: max_nil_read 1024 and 10 skips: %d nil reads", mode, n);
    }
    return test_pass();
}
