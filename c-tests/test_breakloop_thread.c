/* pkt_breakloop from another thread wakes a pkt_read(poll=1) that blocks with no timeout: it
 * returns -EINTR promptly, once, and the next read works normally. */
#include "common.h"

#include <pthread.h>
#include <stdatomic.h>

typedef struct {
    pkt_t *h;
    atomic_int done;
    int rc;
    int64_t returned_ms;
} reader_t;

static void *reader_main(void *arg)
{
    reader_t *r = arg;
    const uint8_t *d;
    pkt_info_t info;
    int rc;
    /* nothing is sent while this runs, so any packet (or a nil read) is unexpected */
    rc = pkt_read(r->h, 1, &d, &info);
    r->rc = rc;
    r->returned_ms = mono_ms();
    atomic_store(&r->done, 1);
    return NULL;
}

static void run(const char *mode, bool immediate, int64_t block_timeout_ms)
{
    pkt_config_t c;
    pkt_config_default(&c);
    c.read_timeout_ms = 0; /* block forever unless broken */
    c.immediate = immediate;
    c.block_timeout_ms = block_timeout_ms;
    pkt_t *h = open_ok("v0", &c);

    for (int round = 0; round < 3; round++) {
        watchdog_arm(20);
        reader_t r = {.h = h, .done = 0, .rc = 1, .returned_ms = 0};
        pthread_t t;
        CHECK(pthread_create(&t, NULL, reader_main, &r) == 0);
        sleep_ms(300); /* let the reader block in poll (a breakloop before the read must also work) */
        CHECKF(!atomic_load(&r.done), "%s: pkt_read returned %d (%s) with no traffic and no timeout",
               mode, r.rc, pkt_strerror(r.rc));
        int64_t t0 = mono_ms();
        CHECK_RC(pkt_breakloop(h), 0);
        while (!atomic_load(&r.done) && mono_ms() - t0 < 5000)
            sleep_ms(1);
        CHECKF(atomic_load(&r.done), "%s: pkt_breakloop did not wake the blocked reader within 5 s",
               mode);
        CHECK(pthread_join(t, NULL) == 0);
        int64_t dt = r.returned_ms - t0;
        CHECKF(r.rc == -EINTR, "%s: woken read returned %d (%s), expected -EINTR", mode, r.rc,
               pkt_strerror(r.rc));
        CHECKF(dt <= 1000, "%s: woke %lld ms after pkt_breakloop", mode, (long long)dt);
        note("%s round %d: -EINTR %lld ms after pkt_breakloop", mode, round, (long long)dt);

        /* the next read works: a frame sent now is returned, not another -EINTR */
        raw_tx_t tx = raw_tx_open("v1");
        uint8_t v0mac[6];
        mac_of("v0", v0mac);
        uint8_t f[100];
        frame_build(f, sizeof f, v0mac, tx.mac, TEST_ETHERTYPE, (uint32_t)round);
        raw_tx_send(&tx, f, sizeof f);
        if (block_timeout_ms == 0) {
            /* a block that never retires would hold one frame forever: fill it instead */
            uint8_t big[1514];
            for (uint32_t s = 0; s < 400; s++) {
                frame_build(big, sizeof big, v0mac, tx.mac, OTHER_ETHERTYPE, 1000 + s);
                raw_tx_send(&tx, big, sizeof big);
            }
        }
        const uint8_t *d;
        pkt_info_t info;
        int rc;
        do {
            rc = pkt_read(h, 1, &d, &info);
        } while (rc == 0 || (rc > 0 && !(is_test_frame(d, info.caplen, false) && d[13] == 0xb5)));
        CHECKF(rc > 0, "%s: read after the break returned %d (%s)", mode, rc, pkt_strerror(rc));
        CHECK_BYTES(d, info.caplen, f, sizeof f);
        /* skip the filler frames so the next round starts on an empty ring */
        if (block_timeout_ms == 0) {
            int64_t until = mono_ms() + 1500;
            while (mono_ms() < until) {
                rc = pkt_read(h, 0, &d, &info);
                if (rc == -EAGAIN)
                    sleep_ms(10);
                else
                    CHECK(rc >= 0);
            }
        }
        raw_tx_close(&tx);
    }
    CHECK_RC(pkt_close(h), 0);
}

int main(void)
{
    test_init("test_breakloop_thread", 90);
    run("V3 block_timeout 100", false, 100);
    run("V3 block_timeout 0 (never retire)", false, 0);
    run("V2 immediate", true, 100);
    return test_pass();
}
