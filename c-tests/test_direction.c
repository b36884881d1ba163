/* Direction: PKT_DIR_IN sees frames arriving on v0 (sent by v1) and not frames leaving v0;
 * PKT_DIR_OUT the opposite, as PACKET_OUTGOING; PKT_DIR_INOUT both. Nil reads (return 0) must
 * set *data to NULL; max_nil_read 1 and the default are both exercised. */
#include "common.h"

#define K 20

static void check_handle(pkt_t *h, int dir, const char *what)
{
    rx_frame_t *got = calloc(2 * K + 1, sizeof *got);
    CHECK(got != NULL);
    int n = collect_frames(h, false, 700, got, 2 * K);
    int want = dir == PKT_DIR_INOUT ? 2 * K : K;
    int in = 0, out = 0;
    int64_t last_in = -1, last_out = -1;
    for (int i = 0; i < n; i++) {
        int64_t seq = frame_seq(got[i].data, got[i].info.caplen, ETH_HDR_LEN);
        CHECKF(seq >= 0, "%s: frame %d carries no seq", what, i);
        bool outgoing = seq >= 1000;
        if (outgoing) {
            CHECKF(dir != PKT_DIR_IN, "%s: outgoing frame seq %lld returned", what, (long long)seq);
            CHECKF(got[i].info.pkttype == PT_OUTGOING, "%s: outgoing frame with pkttype %u", what,
                   got[i].info.pkttype);
            CHECKF(seq == (last_out < 0 ? 1000 : last_out + 1),
                   "%s: outgoing seq %lld after %lld", what, (long long)seq, (long long)last_out);
            last_out = seq;
            out++;
        } else {
            CHECKF(dir != PKT_DIR_OUT, "%s: incoming frame seq %lld returned", what, (long long)seq);
            CHECKF(got[i].info.pkttype == PT_HOST, "%s: incoming frame with pkttype %u", what,
                   got[i].info.pkttype);
            CHECKF(seq == last_in + 1, "%s: incoming seq %lld after %lld", what, (long long)seq,
                   (long long)last_in);
            last_in = seq;
            in++;
        }
        CHECK(got[i].info.caplen == 100);
    }
    CHECKF(n == want, "%s: %d frames (%d in, %d out), expected %d", what, n, in, out, want);
    free(got);
}

static void run(bool immediate, uint64_t max_nil_read)
{
    char what[128];
    pkt_t *h[3];
    const int dirs[3] = {PKT_DIR_IN, PKT_DIR_OUT, PKT_DIR_INOUT};
    const char *names[3] = {"PKT_DIR_IN", "PKT_DIR_OUT", "PKT_DIR_INOUT"};
    for (int i = 0; i < 3; i++) {
        pkt_config_t c = test_config();
        config_mode(&c, immediate);
        c.direction = (uint8_t)dirs[i];
        if (max_nil_read)
            c.max_nil_read = max_nil_read;
        h[i] = open_ok("v0", &c);
    }
    raw_tx_t from_v1 = raw_tx_open("v1");
    raw_tx_t from_v0 = raw_tx_open("v0");
    for (uint32_t s = 0; s < K; s++) {
        raw_tx_send_seq(&from_v1, from_v0.mac, TEST_ETHERTYPE, s, 100);        /* in on v0 */
        raw_tx_send_seq(&from_v0, from_v1.mac, TEST_ETHERTYPE, 1000 + s, 100); /* out of v0 */
    }
    for (int i = 0; i < 3; i++) {
        snprintf(what, sizeof what, "%s, %s, max_nil_read %llu", immediate ? "V2" : "V3",
                 names[i], (unsigned long long)(max_nil_read ? max_nil_read : 1024));
        check_handle(h[i], dirs[i], what);
        CHECK_RC(pkt_close(h[i]), 0);
    }
    raw_tx_close(&from_v1);
    raw_tx_close(&from_v0);
}

int main(void)
{
    test_init("test_direction", 60);
    run(false, 0);
    run(true, 0);
    run(false, 1);
    run(true, 1);
    return test_pass();
}
