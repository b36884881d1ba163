/* The filter's return value: ret #0 delivers nothing (and counts nothing); a small ret #k cuts
 * caplen to k while len stays the wire length. */
#include "common.h"

static void run(bool immediate)
{
    const char *mode = immediate ? "V2" : "V3";
    raw_tx_t tx = raw_tx_open("v1");
    uint8_t v0mac[6];
    mac_of("v0", v0mac);

    /* ret #0 */
    pkt_bpf_insn_t drop_all[1] = {BPF_STMT_(OP_RET_K, 0)};
    pkt_config_t c = test_config();
    config_mode(&c, immediate);
    c.filter = drop_all;
    c.filter_len = 1;
    pkt_t *h = open_ok("v0", &c);
    for (uint32_t s = 0; s < 20; s++)
        raw_tx_send_seq(&tx, v0mac, TEST_ETHERTYPE, s, 100);
    const uint8_t *d;
    pkt_info_t info;
    int rc = read_test_frame(h, 700, false, &d, &info);
    CHECKF(rc == -ETIMEDOUT, "%s: ret #0 at open: read returned %d (%s)", mode, rc,
           pkt_strerror(rc));
    pkt_stats_t st;
    CHECK_RC(pkt_stats(h, true, &st), 0);
    CHECKF(st.recvs == 0 && st.drops == 0, "%s: ret #0: recvs %llu drops %llu", mode,
           (unsigned long long)st.recvs, (unsigned long long)st.drops);
    CHECK_RC(pkt_close(h), 0);

    /* ret #0 set on a live handle */
    c = test_config();
    config_mode(&c, immediate);
    h = open_ok("v0", &c);
    CHECK_OK(pkt_setfilter(h, drop_all, 1));
    for (uint32_t s = 0; s < 20; s++)
        raw_tx_send_seq(&tx, v0mac, TEST_ETHERTYPE, s, 100);
    rc = read_test_frame(h, 700, false, &d, &info);
    CHECKF(rc == -ETIMEDOUT, "%s: ret #0 by pkt_setfilter: read returned %d (%s)", mode, rc,
           pkt_strerror(rc));

    /* ret #20: a snapshot length of 20 bytes */
    pkt_bpf_insn_t snap20[4];
    filter_ethertype(snap20, TEST_ETHERTYPE, 20);
    CHECK_OK(pkt_setfilter(h, snap20, 4));
    const size_t sizes[] = {1514, 100, 60, 21, 20, 19};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        uint8_t f[1514];
        frame_build(f, sizes[i], v0mac, tx.mac, TEST_ETHERTYPE, (uint32_t)i);
        raw_tx_send(&tx, f, sizes[i]);
        rc = read_test_frame(h, 3000, false, &d, &info);
        CHECKF(rc > 0, "%s: ret #20, %zu-byte frame: read returned %d (%s)", mode, sizes[i], rc,
               pkt_strerror(rc));
        size_t want_cap = sizes[i] < 20 ? sizes[i] : 20;
        CHECKF(info.caplen == want_cap && info.len == sizes[i],
               "%s: ret #20, %zu-byte frame: caplen %u len %u, expected %zu/%zu", mode, sizes[i],
               info.caplen, info.len, want_cap, sizes[i]);
        CHECK_BYTES(d, info.caplen, f, want_cap);
    }
    CHECK_RC(pkt_close(h), 0);

    /* the same at open */
    c = test_config();
    config_mode(&c, immediate);
    c.filter = snap20;
    c.filter_len = 4;
    h = open_ok("v0", &c);
    uint8_t f[1000];
    frame_build(f, sizeof f, v0mac, tx.mac, TEST_ETHERTYPE, 99);
    raw_tx_send(&tx, f, sizeof f);
    CHECK_OK(read_test_frame(h, 3000, false, &d, &info));
    CHECKF(info.caplen == 20 && info.len == 1000, "%s: ret #20 at open: caplen %u len %u", mode,
           info.caplen, info.len);
    CHECK_BYTES(d, info.caplen, f, 20);
    CHECK_RC(pkt_close(h), 0);
    raw_tx_close(&tx);
}

int main(void)
{
    test_init("test_filter_snap", 50);
    run(false);
    run(true);
    return test_pass();
}
