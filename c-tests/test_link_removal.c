/* The bound interface is removed: frames already in the ring are still returned, then reads give
 * -ENODEV (no hang); a read blocked (no timeout) when the interface disappears returns -ENODEV. */
#include "common.h"

#include <pthread.h>
#include <stdatomic.h>

static void queued_then_enodev(bool immediate)
{
    const char *mode = immediate ? "V2" : "V3";
    watchdog_arm(20);
    recreate_veth();
    pkt_config_t c;
    pkt_config_default(&c);
    c.immediate = immediate; /* no read timeout: only the library can end the reads */
    pkt_t *h = open_ok("v0", &c);
    raw_tx_t tx = raw_tx_open("v1");
    uint8_t v0mac[6];
    mac_of("v0", v0mac);
    static uint8_t sent[5][300];
    for (uint32_t s = 0; s < 5; s++) {
        frame_build(sent[s], 100 + s * 40, v0mac, tx.mac, TEST_ETHERTYPE, s);
        raw_tx_send(&tx, sent[s], 100 + s * 40);
    }
    raw_tx_close(&tx);
    wait_recvs(h, 5, 3000);

    sh_ok("ip link del v0");
    int64_t t0 = mono_ms();
    int got = 0, rc;
    const uint8_t *d;
    pkt_info_t info;
    for (;;) {
        rc = pkt_read(h, 1, &d, &info);
        if (rc == 0)
            continue;
        if (rc < 0)
            break;
        if (!is_test_frame(d, info.caplen, false))
            continue;
        CHECKF(got < 5, "%s: more than 5 frames after the removal", mode);
        CHECK_BYTES(d, info.caplen, sent[got], 100 + (size_t)got * 40);
        got++;
    }
    int64_t dt = mono_ms() - t0;
    CHECKF(got == 5, "%s: %d of the 5 queued frames were returned before the error %d (%s)", mode,
           got, rc, pkt_strerror(rc));
    CHECKF(rc == -ENODEV, "%s: after the queued frames, read returned %d (%s), expected -ENODEV",
           mode, rc, pkt_strerror(rc));
    CHECKF(dt < 5000, "%s: -ENODEV took %lld ms", mode, (long long)dt);
    note("%s: 5 queued frames then -ENODEV after %lld ms", mode, (long long)dt);
    /* it stays that way, and the handle still closes cleanly */
    rc = pkt_read(h, 1, &d, &info);
    CHECKF(rc == -ENODEV, "%s: second read after removal returned %d (%s)", mode, rc,
           pkt_strerror(rc));
    pkt_stats_t st;
    CHECK_RC(pkt_stats(h, true, &st), 0);
    CHECK(st.recvs >= 5);
    CHECK_RC(pkt_close(h), 0);
}

typedef struct {
    pkt_t *h;
    atomic_int done;
    int rc;
    int64_t at;
} reader_t;

static void *reader_main(void *arg)
{
    reader_t *r = arg;
    const uint8_t *d;
    pkt_info_t info;
    int rc;
    do {
        rc = pkt_read(r->h, 1, &d, &info);
    } while (rc >= 0);
    r->rc = rc;
    r->at = mono_ms();
    atomic_store(&r->done, 1);
    return NULL;
}

static void blocked_then_enodev(bool immediate, bool removed_peer)
{
    const char *mode = immediate ? "V2" : "V3";
    watchdog_arm(20);
    recreate_veth();
    pkt_config_t c;
    pkt_config_default(&c);
    c.immediate = immediate;
    pkt_t *h = open_ok("v0", &c);
    reader_t r = {.h = h, .done = 0, .rc = 0, .at = 0};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, reader_main, &r) == 0);
    sleep_ms(300); /* the reader is blocked by now */
    CHECK(!atomic_load(&r.done));
    int64_t t0 = mono_ms();
    /* deleting either end of a veth pair removes both */
    sh_ok("ip link del %s", removed_peer ? "v1" : "v0");
    while (!atomic_load(&r.done) && mono_ms() - t0 < 5000)
        sleep_ms(5);
    CHECKF(atomic_load(&r.done), "%s: a read blocked on a removed interface did not return "
           "within 5 s", mode);
    CHECK(pthread_join(t, NULL) == 0);
    CHECKF(r.rc == -ENODEV, "%s: blocked read returned %d (%s), expected -ENODEV", mode, r.rc,
           pkt_strerror(r.rc));
    note("%s: blocked read -> -ENODEV %lld ms after ip link del", mode, (long long)(r.at - t0));
    CHECK_RC(pkt_close(h), 0);
}

int main(void)
{
    test_init("test_link_removal", 60);
    queued_then_enodev(false);
    queued_then_enodev(true);
    blocked_then_enodev(false, false);
    blocked_then_enodev(true, false);
    blocked_then_enodev(false, true);
    recreate_veth();
    return test_pass();
}
