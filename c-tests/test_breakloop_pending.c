/* pkt_breakloop before a read: the next pkt_read(poll=1) returns -EINTR at once, and only that
 * one; a burst of breakloops still gives exactly one -EINTR; afterwards reads work normally. */
#include "common.h"

static void expect_packet(pkt_t *h, const raw_tx_t *tx, const uint8_t dst[6], uint32_t seq,
                          const char *mode)
{
    raw_tx_send_seq(tx, dst, TEST_ETHERTYPE, seq, 90);
    const uint8_t *d;
    pkt_info_t info;
    int rc = read_test_frame(h, 3000, false, &d, &info);
    CHECKF(rc > 0, "%s: read after the break returned %d (%s)", mode, rc, pkt_strerror(rc));
    CHECK(frame_seq(d, info.caplen, ETH_HDR_LEN) == seq);
}

static void expect_eintr_now(pkt_t *h, const char *mode)
{
    const uint8_t *d;
    pkt_info_t info;
    int64_t t0 = mono_ms();
    int rc = pkt_read(h, 1, &d, &info);
    int64_t dt = mono_ms() - t0;
    CHECKF(rc == -EINTR, "%s: pending break: read returned %d (%s)", mode, rc, pkt_strerror(rc));
    CHECKF(dt < 150, "%s: pending break took %lld ms (read timeout is 300 ms)", mode, (long long)dt);
}

static void expect_timeout(pkt_t *h, const char *mode)
{
    const uint8_t *d;
    pkt_info_t info;
    int rc = pkt_read(h, 1, &d, &info);
    CHECKF(rc == -ETIMEDOUT, "%s: expected no further -EINTR but a timeout, read returned %d (%s)",
           mode, rc, pkt_strerror(rc));
}

static void run(const char *mode, bool immediate)
{
    pkt_config_t c;
    pkt_config_default(&c);
    c.read_timeout_ms = 300;
    c.immediate = immediate;
    pkt_t *h = open_ok("v0", &c);
    raw_tx_t tx = raw_tx_open("v1");
    uint8_t v0mac[6];
    mac_of("v0", v0mac);

    /* one break before the read */
    CHECK_RC(pkt_breakloop(h), 0);
    expect_eintr_now(h, mode);
    expect_timeout(h, mode);
    expect_packet(h, &tx, v0mac, 1, mode);

    /* a burst of ten: one -EINTR, then normal */
    for (int i = 0; i < 10; i++)
        CHECK_RC(pkt_breakloop(h), 0);
    expect_eintr_now(h, mode);
    expect_timeout(h, mode);
    expect_packet(h, &tx, v0mac, 2, mode);
    expect_timeout(h, mode);

    /* a break after packets were read and the ring is empty again */
    CHECK_RC(pkt_breakloop(h), 0);
    expect_eintr_now(h, mode);
    expect_packet(h, &tx, v0mac, 3, mode);

    raw_tx_close(&tx);
    CHECK_RC(pkt_close(h), 0);

    /* a break pending on a handle that is then closed leaves nothing behind for a new handle */
    h = open_ok("v0", &c);
    CHECK_RC(pkt_breakloop(h), 0);
    CHECK_RC(pkt_close(h), 0);
    h = open_ok("v0", &c);
    expect_timeout(h, mode);
    CHECK_RC(pkt_close(h), 0);
}

int main(void)
{
    test_init("test_breakloop_pending", 60);
    run("V3", false);
    run("V2", true);
    return test_pass();
}
