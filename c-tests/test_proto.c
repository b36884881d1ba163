/* config.proto selects one ethertype in both directions: frames of that type arriving on v0 and
 * leaving it are captured; frames of another type are not. */
#include "common.h"

static void run(bool immediate)
{
    const char *mode = immediate ? "V2" : "V3";
    pkt_config_t c = test_config();
    c.proto = TEST_ETHERTYPE;
    config_mode(&c, immediate);
    pkt_t *h = open_ok("v0", &c);
    raw_tx_t from_v1 = raw_tx_open("v1");
    raw_tx_t from_v0 = raw_tx_open("v0");

    for (uint32_t s = 0; s < 10; s++) {
        raw_tx_send_seq(&from_v1, from_v0.mac, TEST_ETHERTYPE, s, 120);         /* in, wanted */
        raw_tx_send_seq(&from_v1, from_v0.mac, OTHER_ETHERTYPE, 500 + s, 120);  /* in, not */
        raw_tx_send_seq(&from_v0, from_v1.mac, TEST_ETHERTYPE, 1000 + s, 120);  /* out, wanted */
        raw_tx_send_seq(&from_v0, from_v1.mac, OTHER_ETHERTYPE, 1500 + s, 120); /* out, not */
    }
    rx_frame_t *got = calloc(41, sizeof *got);
    CHECK(got != NULL);
    int n = collect_frames(h, false, 700, got, 40);
    int in = 0, out = 0;
    for (int i = 0; i < n; i++) {
        int64_t seq = frame_seq(got[i].data, got[i].info.caplen, ETH_HDR_LEN);
        CHECKF(got[i].data[13] == 0xb5 && got[i].info.protocol == TEST_ETHERTYPE,
               "%s: a frame of ethertype 0x%02x%02x (seq %lld) passed proto 0x88b5", mode,
               got[i].data[12], got[i].data[13], (long long)seq);
        if (seq >= 1000) {
            CHECK(got[i].info.pkttype == PT_OUTGOING);
            CHECK(seq == 1000 + out);
            out++;
        } else {
            CHECK(got[i].info.pkttype == PT_HOST);
            CHECK(seq == in);
            in++;
        }
    }
    CHECKF(in == 10 && out == 10, "%s: proto 0x88b5 captured %d incoming and %d outgoing frames, "
           "expected 10 and 10", mode, in, out);
    free(got);
    CHECK_RC(pkt_close(h), 0);

    /* the same with a user filter on top: both must hold */
    pkt_bpf_insn_t snap[4];
    filter_ethertype(snap, TEST_ETHERTYPE, 30);
    c.filter = snap;
    c.filter_len = 4;
    h = open_ok("v0", &c);
    raw_tx_send_seq(&from_v1, from_v0.mac, OTHER_ETHERTYPE, 7, 120);
    raw_tx_send_seq(&from_v1, from_v0.mac, TEST_ETHERTYPE, 8, 120);
    const uint8_t *d;
    pkt_info_t info;
    CHECK_OK(read_test_frame(h, 3000, false, &d, &info));
    CHECK(frame_seq(d, info.caplen, ETH_HDR_LEN) == 8 && info.caplen == 30 && info.len == 120);
    /* and pkt_setfilter keeps the protocol selection */
    pkt_bpf_insn_t all[1] = {BPF_STMT_(OP_RET_K, 262144)};
    CHECK_OK(pkt_setfilter(h, all, 1));
    raw_tx_send_seq(&from_v1, from_v0.mac, OTHER_ETHERTYPE, 9, 120);
    raw_tx_send_seq(&from_v1, from_v0.mac, TEST_ETHERTYPE, 10, 120);
    CHECK_OK(read_test_frame(h, 3000, false, &d, &info));
    CHECKF(frame_seq(d, info.caplen, ETH_HDR_LEN) == 10 && d[13] == 0xb5,
           "%s: after pkt_setfilter(accept all) a 0x%02x%02x frame passed proto 0x88b5", mode,
           d[12], d[13]);
    CHECK(info.caplen == 120);
    CHECK_RC(read_test_frame(h, 500, false, &d, &info), -ETIMEDOUT);
    CHECK_RC(pkt_close(h), 0);
    raw_tx_close(&from_v1);
    raw_tx_close(&from_v0);
}

int main(void)
{
    test_init("test_proto", 50);
    run(false);
    run(true);
    return test_pass();
}
