/* The thread contract: while one thread reads a handle, other threads call pkt_stats, pkt_fd,
 * pkt_linktype, pkt_write (on the same handle) and finally pkt_breakloop. Everything sent is read
 * in order or counted as dropped, deltas add up to the total, the handle never sees its own
 * writes, and the reader ends with -EINTR. Best run under the sanitizer build. */
#include "common.h"

#include <pthread.h>
#include <stdatomic.h>

#define N_FRAMES 3000
#define N_OWN 500

typedef struct {
    pkt_t *h;       /* reader's handle, on v0 */
    pkt_t *w;       /* writer's handle, on v1 */
    atomic_int stop_side;
    atomic_int writer_done;
    atomic_int reader_done;
    atomic_int nread;
    int reader_rc;
    int own_seen;
    int order_errors;
    uint64_t delta_sum;
    int side_errors;
} shared_t;

static void *reader_main(void *arg)
{
    shared_t *s = arg;
    int64_t last = -1;
    for (;;) {
        const uint8_t *d;
        pkt_info_t info;
        int rc = pkt_read(s->h, 1, &d, &info);
        if (rc == 0)
            continue;
        if (rc < 0) {
            s->reader_rc = rc;
            break;
        }
        if (!is_test_frame(d, info.caplen, false))
            continue;
        if (d[13] == 0xb6) { /* written by this very handle */
            s->own_seen++;
            continue;
        }
        int64_t seq = frame_seq(d, info.caplen, ETH_HDR_LEN);
        if (seq <= last)
            s->order_errors++;
        last = seq;
        atomic_fetch_add(&s->nread, 1);
    }
    atomic_store(&s->reader_done, 1);
    return NULL;
}

static void *writer_main(void *arg)
{
    shared_t *s = arg;
    uint8_t v0mac[6], v1mac[6], f[200];
    mac_of("v0", v0mac);
    mac_of("v1", v1mac);
    for (uint32_t i = 0; i < N_FRAMES; i++) {
        frame_build(f, 60 + i % 140, v0mac, v1mac, TEST_ETHERTYPE, i);
        int rc;
        while ((rc = pkt_write(s->w, f, 60 + i % 140, 0, TEST_ETHERTYPE)) == -ENOBUFS ||
               rc == -EAGAIN)
            sleep_ms(1);
        if (rc != (int)(60 + i % 140)) {
            fprintf(stderr, "writer: pkt_write returned %d (%s)\n", rc, pkt_strerror(rc));
            s->side_errors++;
            break;
        }
        if (i % 100 == 99)
            sleep_ms(2);
    }
    atomic_store(&s->writer_done, 1);
    return NULL;
}

static void *side_main(void *arg)
{
    shared_t *s = arg;
    uint8_t v0mac[6], v1mac[6], f[100];
    mac_of("v0", v0mac);
    mac_of("v1", v1mac);
    int fd0 = pkt_fd(s->h);
    uint32_t own = 0;
    while (!atomic_load(&s->stop_side)) {
        pkt_stats_t st;
        if (pkt_stats(s->h, false, &st) != 0)
            s->side_errors++;
        else
            s->delta_sum += st.recvs;
        pkt_config_t cfg;
        if (pkt_fd(s->h) != fd0 || pkt_linktype(s->h) != PKT_LINKTYPE_ETHERNET ||
            pkt_get_config(s->h, &cfg) != 0 || cfg.filter != NULL)
            s->side_errors++;
        if (own < N_OWN) {
            /* out of v0 through the reader's own handle: the reader must not see these */
            frame_build(f, sizeof f, v1mac, v0mac, OTHER_ETHERTYPE, own++);
            int rc = pkt_write(s->h, f, sizeof f, 0, OTHER_ETHERTYPE);
            if (rc != (int)sizeof f && rc != -ENOBUFS && rc != -EAGAIN) {
                fprintf(stderr, "side: pkt_write returned %d (%s)\n", rc, pkt_strerror(rc));
                s->side_errors++;
            }
        }
        sleep_ms(1);
    }
    return NULL;
}

static void run(bool immediate)
{
    const char *mode = immediate ? "V2" : "V3";
    watchdog_arm(60);
    pkt_config_t c;
    pkt_config_default(&c);
    config_mode(&c, immediate);
    shared_t s;
    memset(&s, 0, sizeof s);
    s.h = open_ok("v0", &c);
    s.w = open_ok("v1", &c);
    pthread_t tr, tw, ts;
    CHECK(pthread_create(&tr, NULL, reader_main, &s) == 0);
    CHECK(pthread_create(&ts, NULL, side_main, &s) == 0);
    CHECK(pthread_create(&tw, NULL, writer_main, &s) == 0);
    CHECK(pthread_join(tw, NULL) == 0);

    /* wait (bounded) until everything was read, or reading stalls (drops); no pkt_stats here:
     * a total would reset the side thread's deltas */
    int64_t deadline = mono_ms() + 10000, progress_at = mono_ms();
    int seen = -1;
    while (atomic_load(&s.nread) < N_FRAMES && mono_ms() < deadline &&
           mono_ms() - progress_at < 1000) {
        if (atomic_load(&s.nread) != seen) {
            seen = atomic_load(&s.nread);
            progress_at = mono_ms();
        }
        sleep_ms(20);
    }
    atomic_store(&s.stop_side, 1);
    CHECK(pthread_join(ts, NULL) == 0);
    CHECK_RC(pkt_breakloop(s.h), 0);
    CHECK(pthread_join(tr, NULL) == 0);

    pkt_stats_t last_delta, total;
    CHECK_RC(pkt_stats(s.h, false, &last_delta), 0);
    CHECK_RC(pkt_stats(s.h, true, &total), 0);
    int nread = atomic_load(&s.nread);
    note("%s: read %d of %d, drops %llu, recvs %llu, deltas summed %llu", mode, nread, N_FRAMES,
         (unsigned long long)total.drops, (unsigned long long)total.recvs,
         (unsigned long long)(s.delta_sum + last_delta.recvs));
    CHECKF(s.side_errors == 0, "%s: %d errors in the side thread", mode, s.side_errors);
    CHECKF(s.reader_rc == -EINTR, "%s: reader ended with %d (%s)", mode, s.reader_rc,
           pkt_strerror(s.reader_rc));
    CHECKF(s.order_errors == 0, "%s: %d frames out of order", mode, s.order_errors);
    CHECKF(s.own_seen == 0, "%s: the reader saw %d frames written through its own handle", mode,
           s.own_seen);
    CHECKF((uint64_t)nread + total.drops == N_FRAMES, "%s: read %d + drops %llu != %d sent", mode,
           nread, (unsigned long long)total.drops, N_FRAMES);
    CHECKF(total.recvs == N_FRAMES, "%s: recvs %llu, %d sent", mode,
           (unsigned long long)total.recvs, N_FRAMES);
    CHECKF(s.delta_sum + last_delta.recvs == total.recvs,
           "%s: deltas sum to %llu, total is %llu", mode,
           (unsigned long long)(s.delta_sum + last_delta.recvs), (unsigned long long)total.recvs);
    CHECK_RC(pkt_close(s.h), 0);
    CHECK_RC(pkt_close(s.w), 0);
}

int main(void)
{
    test_init("test_threads", 150);
    run(false);
    run(true);
    return test_pass();
}
