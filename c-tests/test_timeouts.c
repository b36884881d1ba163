/* Read timeouts and the non-waiting modes: read_timeout_ms gives -ETIMEDOUT after about that
 * long; poll == 0 and nonblock give -EAGAIN at once; failed reads leave *data alone. */
#include "common.h"

static void run(bool immediate)
{
    const char *mode = immediate ? "V2" : "V3";
    const uint8_t *const sentinel = (const uint8_t *)"x";
    const uint8_t *d;
    pkt_info_t info;

    /* read timeout, nothing to read */
    pkt_config_t c;
    pkt_config_default(&c);
    c.read_timeout_ms = 300;
    c.immediate = immediate;
    pkt_t *h = open_ok("v0", &c);
    for (int round = 0; round < 2; round++) {
        d = sentinel;
        int64_t t0 = mono_ms();
        int rc = pkt_read(h, 1, &d, &info);
        int64_t dt = mono_ms() - t0;
        CHECKF(rc == -ETIMEDOUT, "%s: pkt_read returned %d (%s) after %lld ms, expected -ETIMEDOUT",
               mode, rc, pkt_strerror(rc), (long long)dt);
        CHECKF(dt >= 250 && dt <= 3000, "%s: read_timeout 300 ms ended after %lld ms", mode,
               (long long)dt);
        CHECK(pkt_is_timeout(rc));
        CHECK(pkt_is_temporary(rc));
        CHECK(d == sentinel);
        note("%s: read_timeout 300 ms -> -ETIMEDOUT after %lld ms", mode, (long long)dt);
    }

    /* poll == 0: would block, at once */
    d = sentinel;
    int64_t t0 = mono_ms();
    int rc = pkt_read(h, 0, &d, &info);
    int64_t dt = mono_ms() - t0;
    CHECKF(rc == -EAGAIN, "%s: pkt_read(poll=0) returned %d (%s)", mode, rc, pkt_strerror(rc));
    CHECKF(dt < 200, "%s: pkt_read(poll=0) took %lld ms", mode, (long long)dt);
    CHECK(pkt_is_temporary(rc) && !pkt_is_timeout(rc));
    CHECK(d == sentinel);

    /* and a timeout still works afterwards, and a frame arriving during the wait ends it */
    raw_tx_t tx = raw_tx_open("v1");
    uint8_t v0mac[6];
    mac_of("v0", v0mac);
    raw_tx_send_seq(&tx, v0mac, TEST_ETHERTYPE, 5, 200);
    CHECK_OK(read_test_frame(h, 3000, false, &d, &info));
    CHECK(frame_seq(d, info.caplen, ETH_HDR_LEN) == 5);
    CHECK_RC(pkt_close(h), 0);

    /* non-blocking mode: poll == 1 does not wait either */
    pkt_config_default(&c);
    c.nonblock = true;
    c.immediate = immediate;
    h = open_ok("v0", &c);
    for (int round = 0; round < 3; round++) {
        d = sentinel;
        t0 = mono_ms();
        rc = pkt_read(h, 1, &d, &info);
        dt = mono_ms() - t0;
        CHECKF(rc == -EAGAIN, "%s: nonblock pkt_read(poll=1) returned %d (%s)", mode, rc,
               pkt_strerror(rc));
        CHECKF(dt < 200, "%s: nonblock pkt_read(poll=1) took %lld ms", mode, (long long)dt);
        CHECK(d == sentinel);
    }
    /* a non-blocking handle still delivers once something is there */
    raw_tx_send_seq(&tx, v0mac, TEST_ETHERTYPE, 6, 200);
    int64_t deadline = mono_ms() + 3000;
    for (;;) {
        CHECKF(mono_ms() < deadline, "%s: nonblock handle never returned the frame", mode);
        rc = pkt_read(h, 1, &d, &info);
        if (rc == -EAGAIN || rc == 0) {
            sleep_ms(5);
            continue;
        }
        CHECK_OK(rc);
        if (is_test_frame(d, info.caplen, false))
            break;
    }
    CHECK(frame_seq(d, info.caplen, ETH_HDR_LEN) == 6);
    CHECK_RC(pkt_close(h), 0);

    /* negative read timeout = never: it does not turn into an immediate timeout */
    pkt_config_default(&c);
    c.read_timeout_ms = -1;
    c.immediate = immediate;
    h = open_ok("v0", &c);
    raw_tx_send_seq(&tx, v0mac, TEST_ETHERTYPE, 7, 200);
    rc = read_test_frame(h, 3000, false, &d, &info);
    CHECKF(rc > 0, "%s: read_timeout -1: pkt_read returned %d (%s)", mode, rc, pkt_strerror(rc));
    CHECK_RC(pkt_close(h), 0);
    raw_tx_close(&tx);
}

int main(void)
{
    test_init("test_timeouts", 40);
    run(false);
    run(true);
    return test_pass();
}
