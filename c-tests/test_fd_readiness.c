/* pkt_fd readiness for event loops: not readable when everything has been read (no spin), readable
 * once a frame is waiting; the data of the last packet read stays valid (the library copies it
 * aside when it hands the ring slot back), and data pointers stay unchanged until the next read. */
#include "common.h"

#include <poll.h>

/* Reads with poll == 0 until -EAGAIN; returns how many test frames were read. */
static int drain(pkt_t *h)
{
    int n = 0;
    for (int i = 0; i < 100000; i++) {
        const uint8_t *d;
        pkt_info_t info;
        int rc = pkt_read(h, 0, &d, &info);
        if (rc == -EAGAIN)
            return n;
        if (rc == 0)
            continue;
        CHECK_OK(rc);
        if (is_test_frame(d, info.caplen, false))
            n++;
    }
    FAIL("pkt_read(poll=0) never returned -EAGAIN");
}

/* Reads (waiting) until no test frame arrives for idle_ms; returns how many were read. */
static int read_all(pkt_t *h, int idle_ms)
{
    int n = 0;
    for (;;) {
        const uint8_t *d;
        pkt_info_t info;
        int rc = read_test_frame(h, idle_ms, false, &d, &info);
        if (rc == -ETIMEDOUT)
            return n;
        CHECK_OK(rc);
        n++;
    }
}

static void run(bool immediate)
{
    const char *mode = immediate ? "V2" : "V3";
    pkt_config_t c = test_config();
    config_mode(&c, immediate);
    pkt_t *h = open_ok("v0", &c);
    int fd = CHECK_OK(pkt_fd(h));
    CHECK(pkt_fd(h) == fd);
    raw_tx_t tx = raw_tx_open("v1");
    uint8_t v0mac[6];
    mac_of("v0", v0mac);

    /* idle: nothing to read, fd not readable */
    CHECK_RC(drain(h), 0);
    CHECKF(!fd_readable(fd, 0), "%s: fd readable on an idle handle", mode);
    CHECKF(!fd_readable(fd, 300), "%s: fd became readable with no traffic", mode);

    /* one frame: readable within a bounded wait, then reading the last packet clears it */
    uint8_t f1[300];
    frame_build(f1, sizeof f1, v0mac, tx.mac, TEST_ETHERTYPE, 1);
    raw_tx_send(&tx, f1, sizeof f1);
    CHECKF(fd_readable(fd, 2000), "%s: fd not readable within 2 s of a frame arriving", mode);
    const uint8_t *d = NULL;
    pkt_info_t info;
    int rc = pkt_read(h, 0, &d, &info);
    CHECKF(rc == (int)sizeof f1, "%s: pkt_read(poll=0) returned %d after poll said readable", mode,
           rc);
    CHECK_BYTES(d, info.caplen, f1, sizeof f1);
    CHECKF(!fd_readable(fd, 0), "%s: fd still readable after the last packet was read "
           "(an event loop would spin)", mode);
    CHECKF(!fd_readable(fd, 200), "%s: fd readable again without traffic", mode);
    /* the last packet's bytes are still there although its slot went back to the kernel */
    CHECK_BYTES(d, info.caplen, f1, sizeof f1);
    /* and the kernel reusing the ring does not touch them: fill it with other frames */
    uint8_t other[300];
    for (uint32_t s = 100; s < 140; s++) {
        frame_build(other, sizeof other, v0mac, tx.mac, TEST_ETHERTYPE, s);
        raw_tx_send(&tx, other, sizeof other);
    }
    wait_recvs(h, 41, 3000);
    CHECK_BYTES(d, info.caplen, f1, sizeof f1);
    CHECKF(fd_readable(fd, 2000), "%s: fd not readable with 40 frames waiting", mode);
    int got40 = read_all(h, 500);
    CHECKF(got40 == 40, "%s: %d of 40 waiting frames read", mode, got40);
    CHECKF(!fd_readable(fd, 0), "%s: fd readable after draining", mode);

    /* a data pointer stays valid and unchanged until the next read, while more traffic arrives */
    uint8_t a[500], b[500];
    frame_build(a, sizeof a, v0mac, tx.mac, TEST_ETHERTYPE, 200);
    frame_build(b, sizeof b, v0mac, tx.mac, TEST_ETHERTYPE, 201);
    raw_tx_send(&tx, a, sizeof a);
    raw_tx_send(&tx, b, sizeof b);
    pkt_stats_t st = wait_recvs(h, 43, 3000);
    const uint8_t *pa;
    CHECK_OK(read_test_frame(h, 3000, false, &pa, &info));
    CHECK_BYTES(pa, info.caplen, a, sizeof a);
    for (uint32_t s = 300; s < 400; s++) {
        frame_build(other, sizeof other, v0mac, tx.mac, TEST_ETHERTYPE, s);
        raw_tx_send(&tx, other, sizeof other);
    }
    wait_recvs(h, st.recvs + 100, 3000);
    CHECK_BYTES(pa, info.caplen, a, sizeof a);
    const uint8_t *pb;
    CHECK_OK(read_test_frame(h, 3000, false, &pb, &info));
    CHECK_BYTES(pb, info.caplen, b, sizeof b);
    int rest = read_all(h, 500);
    CHECKF(rest == 100, "%s: %d of the last 100 frames drained", mode, rest);
    CHECKF(!fd_readable(fd, 0), "%s: fd readable after draining", mode);

    raw_tx_close(&tx);
    CHECK_RC(pkt_close(h), 0);
}

int main(void)
{
    test_init("test_fd_readiness", 60);
    run(false);
    run(true);
    return test_pass();
}
