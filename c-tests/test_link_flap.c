/* The bound interface going down and up is not an error: a reader blocked in pkt_read (no
 * timeout) through `ip link set v0 down` / `up` keeps waiting and then receives the frames sent
 * after the link is back. */
#include "common.h"

#include <pthread.h>
#include <stdatomic.h>

typedef struct {
    pkt_t *h;
    atomic_int count;     /* test frames received */
    atomic_int finished;
    int rc;               /* the return that ended the loop */
} reader_t;

static void *reader_main(void *arg)
{
    reader_t *r = arg;
    for (;;) {
        const uint8_t *d;
        pkt_info_t info;
        int rc = pkt_read(r->h, 1, &d, &info);
        if (rc == 0)
            continue;
        if (rc < 0) {
            r->rc = rc;
            break;
        }
        if (is_test_frame(d, info.caplen, false))
            atomic_fetch_add(&r->count, 1);
    }
    atomic_store(&r->finished, 1);
    return NULL;
}

static void wait_count(reader_t *r, int n, const char *what)
{
    int64_t deadline = mono_ms() + 5000;
    while (atomic_load(&r->count) < n && !atomic_load(&r->finished) && mono_ms() < deadline)
        sleep_ms(5);
    CHECKF(!atomic_load(&r->finished), "%s: the reader stopped with %d (%s)", what, r->rc,
           pkt_strerror(r->rc));
    CHECKF(atomic_load(&r->count) == n, "%s: reader has %d frames, expected %d", what,
           atomic_load(&r->count), n);
}

static void run(bool immediate)
{
    const char *mode = immediate ? "V2" : "V3";
    watchdog_arm(40);
    pkt_config_t c;
    pkt_config_default(&c);
    c.immediate = immediate;
    pkt_t *h = open_ok("v0", &c);
    reader_t r = {.h = h, .count = 0, .finished = 0, .rc = 0};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, reader_main, &r) == 0);
    raw_tx_t tx = raw_tx_open("v1");
    uint8_t v0mac[6];
    mac_of("v0", v0mac);

    for (uint32_t s = 0; s < 3; s++)
        raw_tx_send_seq(&tx, v0mac, TEST_ETHERTYPE, s, 100);
    wait_count(&r, 3, "before the flap");

    for (int flap = 0; flap < 2; flap++) {
        sh_ok("ip link set v0 down");
        sleep_ms(300); /* the reader is blocked through a down period */
        CHECKF(!atomic_load(&r.finished), "%s: the down interface ended the read with %d (%s)",
               mode, r.rc, pkt_strerror(r.rc));
        sh_ok("ip link set v0 up && ip link set v1 up");
        wait_link_up("v0", 5000);
        wait_link_up("v1", 5000);
        for (uint32_t s = 0; s < 5; s++)
            raw_tx_send_seq(&tx, v0mac, TEST_ETHERTYPE, 100 * (uint32_t)(flap + 1) + s, 100);
        char what[64];
        snprintf(what, sizeof what, "%s, after flap %d", mode, flap + 1);
        wait_count(&r, 3 + 5 * (flap + 1), what);
    }

    CHECK_RC(pkt_breakloop(h), 0);
    int64_t deadline = mono_ms() + 3000;
    while (!atomic_load(&r.finished) && mono_ms() < deadline)
        sleep_ms(5);
    CHECKF(atomic_load(&r.finished) && r.rc == -EINTR, "%s: reader ended with %d (%s)", mode,
           r.rc, pkt_strerror(r.rc));
    CHECK(pthread_join(t, NULL) == 0);
    raw_tx_close(&tx);
    CHECK_RC(pkt_close(h), 0);
}

/* Opening on an interface that is down is not an error: capture starts when it comes up. */
static void open_while_down(bool immediate)
{
    const char *mode = immediate ? "V2" : "V3";
    watchdog_arm(30);
    sh_ok("ip link set v0 down");
    pkt_config_t c = test_config();
    c.immediate = immediate;
    pkt_t *h = NULL;
    int rc = pkt_open("v0", &c, &h);
    CHECKF(rc == 0, "%s: pkt_open on a down interface returned %d (%s): %s", mode, rc,
           pkt_strerror(rc), pkt_errmsg());
    const uint8_t *d;
    pkt_info_t info;
    rc = read_test_frame(h, 400, false, &d, &info);
    CHECKF(rc == -ETIMEDOUT, "%s: read on a down interface returned %d (%s)", mode, rc,
           pkt_strerror(rc));
    sh_ok("ip link set v0 up && ip link set v1 up");
    wait_link_up("v0", 5000);
    wait_link_up("v1", 5000);
    raw_tx_t tx = raw_tx_open("v1");
    uint8_t v0mac[6];
    mac_of("v0", v0mac);
    raw_tx_send_seq(&tx, v0mac, TEST_ETHERTYPE, 77, 100);
    rc = read_test_frame(h, 3000, false, &d, &info);
    CHECKF(rc > 0, "%s: opened while down, then up: read returned %d (%s)", mode, rc,
           pkt_strerror(rc));
    CHECK(frame_seq(d, info.caplen, ETH_HDR_LEN) == 77);
    raw_tx_close(&tx);
    CHECK_RC(pkt_close(h), 0);
}

int main(void)
{
    test_init("test_link_flap", 90);
    run(false);
    run(true);
    open_while_down(false);
    open_while_down(true);
    return test_pass();
}
