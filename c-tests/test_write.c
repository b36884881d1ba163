/* pkt_write: frames of 14..1514 bytes written on v1 arrive on v0 byte-identical; len 0 returns 0;
 * frames longer than the MTU allows give -EMSGSIZE; a handle never captures its own frames while
 * a second handle on the same interface sees them as PACKET_OUTGOING; an explicit ifindex sends on
 * that interface instead. */
#include "common.h"

static const size_t SIZES[] = {14, 15, 20, 21, 22, 42, 59, 60, 61, 100, 1000, 1499, 1500, 1513, 1514};
#define NS (sizeof SIZES / sizeof SIZES[0])

static void run(bool immediate)
{
    const char *mode = immediate ? "V2" : "V3";
    pkt_config_t c = test_config();
    config_mode(&c, immediate);
    pkt_t *w = open_ok("v1", &c);    /* writer */
    pkt_t *w2 = open_ok("v1", &c);   /* a second handle on the writer's interface */
    pkt_t *r = open_ok("v0", &c);    /* receiver */
    uint8_t v0mac[6], v1mac[6];
    mac_of("v0", v0mac);
    mac_of("v1", v1mac);
    static uint8_t sent[NS][1514];

    for (size_t i = 0; i < NS; i++) {
        frame_build(sent[i], SIZES[i], (i % 3 == 1) ? MAC_BROADCAST : v0mac, v1mac,
                    TEST_ETHERTYPE, (uint32_t)i);
        int rc = pkt_write(w, sent[i], SIZES[i], 0, TEST_ETHERTYPE);
        CHECKF(rc == (int)SIZES[i], "%s: pkt_write(%zu bytes) returned %d (%s): %s", mode,
               SIZES[i], rc, pkt_strerror(rc), pkt_errmsg());
    }
    rx_frame_t *got = calloc(NS + 1, sizeof *got);
    CHECK(got != NULL);
    int v0 = ifindex_of("v0"), v1 = ifindex_of("v1");

    /* the receiver: every frame, in order, byte-identical */
    int n = collect_frames(r, false, 700, got, NS);
    CHECKF(n == (int)NS, "%s: %d of %zu written frames arrived on v0", mode, n, (size_t)NS);
    for (size_t i = 0; i < NS; i++) {
        CHECK_BYTES(got[i].data, got[i].info.caplen, sent[i], SIZES[i]);
        CHECK(got[i].info.len == SIZES[i]);
        CHECK(got[i].info.ifindex == v0);
        CHECK(got[i].info.pkttype == ((i % 3 == 1) ? PT_BROADCAST : PT_HOST));
    }
    /* the second handle on v1: the same frames, outgoing */
    n = collect_frames(w2, false, 700, got, NS);
    CHECKF(n == (int)NS, "%s: a second handle on v1 saw %d of %zu written frames", mode, n,
           (size_t)NS);
    for (size_t i = 0; i < NS; i++) {
        CHECK_BYTES(got[i].data, got[i].info.caplen, sent[i], SIZES[i]);
        CHECKF(got[i].info.pkttype == PT_OUTGOING, "%s: pkttype %u on the writer's interface",
               mode, got[i].info.pkttype);
        CHECK(got[i].info.ifindex == v1);
    }
    /* the writer itself: nothing of its own */
    n = collect_frames(w, false, 700, got, NS);
    CHECKF(n == 0, "%s: the writing handle captured %d of its own frames", mode, n);

    /* len 0 */
    CHECK_RC(pkt_write(w, sent[0], 0, 0, TEST_ETHERTYPE), 0);
    /* over the MTU */
    static uint8_t big[1600];
    frame_build(big, sizeof big, v0mac, v1mac, TEST_ETHERTYPE, 99);
    CHECK_RC(pkt_write(w, big, 1600, 0, TEST_ETHERTYPE), -EMSGSIZE);
    CHECK(pkt_errmsg()[0] != '\0');
    CHECK_RC(pkt_write(w, big, 1515, 0, TEST_ETHERTYPE), -EMSGSIZE);
    const uint8_t *d;
    CHECKF(read_test_frame(r, 500, false, &d, &got[0].info) == -ETIMEDOUT,
           "%s: a frame arrived after the rejected writes", mode);

    /* explicit ifindex: written through the v1 handle but sent out of v0, so it arrives on v1 */
    uint8_t f[200];
    frame_build(f, sizeof f, v1mac, v0mac, TEST_ETHERTYPE, 500);
    int rc = pkt_write(w, f, sizeof f, v0, TEST_ETHERTYPE);
    CHECKF(rc == (int)sizeof f, "%s: pkt_write(ifindex v0) returned %d (%s): %s", mode, rc,
           pkt_strerror(rc), pkt_errmsg());
    n = collect_frames(r, false, 700, got, 1);
    CHECKF(n == 1 && got[0].info.pkttype == PT_OUTGOING, "%s: the v0 handle saw %d frames "
           "(pkttype %u) of one sent out of v0", mode, n, n ? got[0].info.pkttype : 0);
    CHECK_BYTES(got[0].data, got[0].info.caplen, f, sizeof f);
    n = collect_frames(w2, false, 700, got, 1);
    CHECKF(n == 1 && got[0].info.pkttype == PT_HOST, "%s: v1 received %d frames (pkttype %u) "
           "from an explicit-ifindex write", mode, n, n ? got[0].info.pkttype : 0);
    CHECK_BYTES(got[0].data, got[0].info.caplen, f, sizeof f);
    rc = pkt_write(w, f, sizeof f, 999999, TEST_ETHERTYPE);
    CHECKF(rc < 0, "%s: pkt_write to ifindex 999999 returned %d", mode, rc);

    /* proto 0: the ethertype is taken from the frame */
    frame_build(f, sizeof f, v0mac, v1mac, TEST_ETHERTYPE, 600);
    CHECK_RC(pkt_write(w, f, sizeof f, 0, 0), (int)sizeof f);
    n = collect_frames(r, false, 700, got, 1);
    CHECKF(n == 1, "%s: proto 0 write: %d frames arrived", mode, n);
    CHECK_BYTES(got[0].data, got[0].info.caplen, f, sizeof f);
    CHECK(got[0].info.protocol == TEST_ETHERTYPE);
    n = collect_frames(w2, false, 700, got, 2);
    CHECKF(n == 1 && got[0].info.pkttype == PT_OUTGOING && got[0].info.protocol == TEST_ETHERTYPE,
           "%s: proto 0 write seen %d times on v1 (pkttype %u, protocol 0x%04x)", mode, n,
           n ? got[0].info.pkttype : 0, n ? got[0].info.protocol : 0);

    /* a write also works while a read is pending on the same handle: checked in test_threads */
    free(got);
    CHECK_RC(pkt_close(w), 0);
    CHECK_RC(pkt_close(w2), 0);
    CHECK_RC(pkt_close(r), 0);
}

int main(void)
{
    test_init("test_write", 60);
    run(false);
    run(true);
    return test_pass();
}
