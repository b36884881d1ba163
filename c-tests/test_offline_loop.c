/* pkt_loop (libpcap's pcap_loop) and pkt_breakloop on savefile and live handles.
 *
 * Savefile (200000 packets written with libpkt's writer): pkt_breakloop from another thread
 * and from a signal handler, each called while packet K is being handed out, ends the loop with
 * -EINTR right after it (exactly K packets); the next pkt_loop goes on from K+1 to the end and
 * returns 0, so no packet is lost or repeated. A SIGALRM timer ends a slow loop with -EINTR. On a
 * pipe whose writer pauses, a loop waiting for data ends with -EINTR when another thread or a
 * SIGALRM handler calls pkt_breakloop, and goes on once the data comes.
 *
 * Live (v0, frames sent from v1): pkt_loop(cnt 50) returns 0 after exactly 50 packets; with no
 * traffic, a loop blocked for ever ends with -EINTR from a thread or a SIGALRM handler; a read
 * timeout ends it with -ETIMEDOUT, a non-blocking handle with -EAGAIN. */
#include "common.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/time.h>
#include <unistd.h>

#define NPKT 200000

static pkt_t *volatile g_h;
static atomic_long g_seen;
static long g_break_at;
static atomic_int g_asked, g_done;
static uint32_t g_next_seq;

static void on_signal(int sig)
{
    (void)sig;
    pkt_breakloop(g_h);
}

static void install(int sig)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    CHECK(sigaction(sig, &sa, NULL) == 0);
}

static void arm_timer_ms(int ms)
{
    struct itimerval it;
    memset(&it, 0, sizeof it);
    it.it_value.tv_sec = ms / 1000;
    it.it_value.tv_usec = (ms % 1000) * 1000;
    CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
}

/* Checks that packets come in order, each once; at g_break_at, asks for a break and waits
 * until it was made (by a thread), or raises SIGUSR1 (whose handler makes it). */
static bool g_by_signal;
static int g_slow_every;

static void on_packet(void *user, const uint8_t *data, const pkt_info_t *info)
{
    (void)user;
    int64_t seq = frame_seq(data, info->caplen, ETH_HDR_LEN);
    CHECKF(seq == (int64_t)g_next_seq, "packet %ld: seq %lld, want %u", atomic_load(&g_seen),
           (long long)seq, g_next_seq);
    g_next_seq++;
    long n = atomic_fetch_add(&g_seen, 1) + 1;
    if (n == g_break_at) {
        if (g_by_signal) {
            raise(SIGUSR1);
        } else {
            atomic_store(&g_asked, 1);
            int64_t until = mono_ms() + 5000;
            while (!atomic_load(&g_done)) {
                CHECKF(mono_ms() < until, "the breaking thread did not run");
                sleep_ms(1);
            }
        }
    }
    if (g_slow_every && n % g_slow_every == 0)
        sleep_ms(1);
}

static void *breaker_main(void *arg)
{
    (void)arg;
    int64_t until = mono_ms() + 20000;
    while (!atomic_load(&g_asked) && mono_ms() < until)
        sleep_ms(1);
    CHECK_RC(pkt_breakloop(g_h), 0);
    atomic_store(&g_done, 1);
    return NULL;
}

/* Breaks `ms` after `seen` packets were handed out (so that the reader waits by then). */
typedef struct later {
    int ms;
    long seen;
} later_t;

static void *break_later_main(void *arg)
{
    const later_t *l = arg;
    int64_t until = mono_ms() + 20000;
    while (atomic_load(&g_seen) < l->seen && mono_ms() < until)
        sleep_ms(1);
    sleep_ms(l->ms);
    CHECK_RC(pkt_breakloop(g_h), 0);
    return NULL;
}

static void reset(long break_at, bool by_signal)
{
    g_break_at = break_at;
    g_by_signal = by_signal;
    atomic_store(&g_asked, 0);
    atomic_store(&g_done, 0);
}

static void write_big_file(const char *path)
{
    pkt_dumper_t *d = NULL;
    CHECK_RC(pkt_dump_open(path, PKT_DLT_EN10MB, 0, PKT_DUMP_NANO, &d), 0);
    uint8_t fr[64];
    for (uint32_t i = 0; i < NPKT; i++) {
        frame_build(fr, sizeof fr, MAC_BROADCAST, MAC_SRC_TEST, TEST_ETHERTYPE, i);
        pkt_info_t in = {.sec = 1700000000 + i / 1000, .nsec = i % 1000 * 1000, .caplen = 64, .len = 64};
        CHECK_RC(pkt_dump_write(d, fr, &in), 0);
    }
    CHECK_RC(pkt_dump_close(d), 0);
}

static void offline_breaks(const char *path)
{
    pkt_t *h = NULL;
    CHECK_RC(pkt_open_offline(path, NULL, &h), 0);
    g_h = h;
    atomic_store(&g_seen, 0);
    g_next_seq = 0;

    /* From a thread, while packet 1000 is handed out: exactly 1000. */
    reset(1000, false);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, breaker_main, NULL) == 0);
    CHECK_RC(pkt_loop(h, -1, on_packet, NULL), -EINTR);
    pthread_join(t, NULL);
    CHECKF(atomic_load(&g_seen) == 1000, "thread break: %ld packets", atomic_load(&g_seen));

    /* From a signal handler, at packet 5000 (counted from the open). */
    install(SIGUSR1);
    reset(5000, true);
    CHECK_RC(pkt_loop(h, 0, on_packet, NULL), -EINTR);
    CHECKF(atomic_load(&g_seen) == 5000, "signal break: %ld packets", atomic_load(&g_seen));

    /* cnt: 0 after exactly cnt; then to the end. */
    reset(0, false);
    CHECK_RC(pkt_loop(h, 777, on_packet, NULL), 0);
    CHECK(atomic_load(&g_seen) == 5777);

    /* A timer: a slow loop (1 ms every 1000 packets: about 200 ms) ends early. */
    install(SIGALRM);
    g_slow_every = 1000;
    arm_timer_ms(30);
    int64_t t0 = mono_ms();
    CHECK_RC(pkt_loop(h, -1, on_packet, NULL), -EINTR);
    long at = atomic_load(&g_seen);
    CHECKF(at < NPKT && mono_ms() - t0 < 1000, "timer break after %ld packets", at);
    g_slow_every = 0;
    CHECK_RC(pkt_loop(h, -1, on_packet, NULL), 0);
    CHECKF(atomic_load(&g_seen) == NPKT, "%ld of %d packets", atomic_load(&g_seen), NPKT);
    CHECK_RC(pkt_loop(h, -1, on_packet, NULL), 0);
    pkt_stats_t st;
    CHECK_RC(pkt_stats(h, true, &st), 0);
    CHECK(st.recvs == NPKT);
    CHECK_RC(pkt_close(h), 0);
    note("savefile: breaks at 1000 (thread), 5000 (signal), %ld (timer); all %d packets once", at,
         NPKT);
}

typedef struct feed {
    int fd;
    const uint8_t *buf;
    size_t n, pause_at;
    atomic_int go;
} feed_t;

static void *feed_main(void *arg)
{
    feed_t *f = arg;
    for (size_t off = 0; off < f->n;) {
        if (off == f->pause_at) {
            int64_t until = mono_ms() + 20000;
            while (!atomic_load(&f->go) && mono_ms() < until)
                sleep_ms(1);
        }
        size_t end = off < f->pause_at && f->pause_at < f->n ? f->pause_at : f->n;
        size_t k = end - off < 4096 ? end - off : 4096;
        ssize_t w = write(f->fd, f->buf + off, k);
        CHECKF(w > 0, "write(pipe): %s", strerror(errno));
        off += (size_t)w;
    }
    close(f->fd);
    return NULL;
}

/* A pipe whose writer stops half-way: the loop waits in poll(2); breaks wake it. */
static void pipe_breaks(const char *path)
{
    FILE *in = fopen(path, "rb");
    CHECK(in != NULL);
    static uint8_t buf[24 + 100000 * (16 + 64)];
    size_t n = fread(buf, 1, sizeof buf, in); /* the first 100000 packets */
    fclose(in);
    int p[2];
    CHECK(pipe(p) == 0);
    feed_t f = {.fd = p[1], .buf = buf, .n = n, .pause_at = 24 + 60000 * (16 + 64) + 7};
    atomic_store(&f.go, 0);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, feed_main, &f) == 0);
    pkt_t *h = NULL;
    CHECK_RC(pkt_open_offline_fd(p[0], NULL, &h), 0);
    close(p[0]);
    g_h = h;
    atomic_store(&g_seen, 0);
    g_next_seq = 0;
    reset(0, false);
    /* From a thread, 100 ms after the last packet before the pause. */
    later_t l = {100, 60000};
    pthread_t b;
    CHECK(pthread_create(&b, NULL, break_later_main, &l) == 0);
    CHECK_RC(pkt_loop(h, -1, on_packet, NULL), -EINTR);
    pthread_join(b, NULL);
    CHECKF(atomic_load(&g_seen) == 60000, "pipe: %ld packets before the pause", atomic_load(&g_seen));
    /* From SIGALRM, while waiting again. */
    install(SIGALRM);
    arm_timer_ms(50);
    CHECK_RC(pkt_loop(h, -1, on_packet, NULL), -EINTR);
    const uint8_t *d;
    pkt_info_t i;
    arm_timer_ms(50);
    CHECK_RC(pkt_read(h, 0, &d, &i), -EINTR);
    /* The rest. */
    atomic_store(&f.go, 1);
    CHECK_RC(pkt_loop(h, -1, on_packet, NULL), 0);
    CHECKF(atomic_load(&g_seen) == 100000, "pipe: %ld of 100000", atomic_load(&g_seen));
    pthread_join(t, NULL);
    CHECK_RC(pkt_close(h), 0);
    note("pipe: the waiting loop broke from a thread and from SIGALRM, then read on");
}

/* ---- live ---- */

static atomic_long g_live;

static void on_live(void *user, const uint8_t *data, const pkt_info_t *info)
{
    (void)user;
    if (is_test_frame(data, info->caplen, false))
        atomic_fetch_add(&g_live, 1);
}

static void *send_main(void *arg)
{
    (void)arg;
    raw_tx_t tx = raw_tx_open("v1");
    uint8_t v0mac[6];
    mac_of("v0", v0mac);
    for (uint32_t i = 0; i < 100; i++)
        raw_tx_send_seq(&tx, v0mac, TEST_ETHERTYPE, i, 100);
    raw_tx_close(&tx);
    return NULL;
}

static void live_loops(void)
{
    pkt_config_t c;
    pkt_config_default(&c);
    c.block_timeout_ms = 10;
    pkt_t *h = open_ok("v0", &c);
    g_h = h;
    CHECK_RC(pkt_loop(h, 1, NULL, NULL), -EINVAL);
    CHECK_RC(pkt_loop(NULL, 1, on_live, NULL), -EINVAL);

    pthread_t t;
    CHECK(pthread_create(&t, NULL, send_main, NULL) == 0);
    atomic_store(&g_live, 0);
    CHECK_RC(pkt_loop(h, 50, on_live, NULL), 0);
    pthread_join(t, NULL);
    CHECKF(atomic_load(&g_live) == 50, "live cnt 50: %ld test frames", atomic_load(&g_live));

    /* No traffic: blocked for ever, until a break. (Drain what is left first.) */
    CHECK_RC(pkt_loop(h, 50, on_live, NULL), 0);
    atomic_store(&g_seen, 0);
    later_t l = {100, 0};
    pthread_t b;
    CHECK(pthread_create(&b, NULL, break_later_main, &l) == 0);
    int64_t t0 = mono_ms();
    CHECK_RC(pkt_loop(h, -1, on_live, NULL), -EINTR);
    pthread_join(b, NULL);
    CHECK(mono_ms() - t0 >= 90);
    install(SIGALRM);
    arm_timer_ms(80);
    t0 = mono_ms();
    CHECK_RC(pkt_loop(h, 0, on_live, NULL), -EINTR);
    CHECK(mono_ms() - t0 >= 70);
    CHECK_RC(pkt_close(h), 0);

    /* A read timeout ends it; so does a non-blocking handle with nothing to read. */
    c.read_timeout_ms = 200;
    h = open_ok("v0", &c);
    t0 = mono_ms();
    CHECK_RC(pkt_loop(h, -1, on_live, NULL), -ETIMEDOUT);
    int64_t took = mono_ms() - t0;
    CHECKF(took >= 190 && took < 2000, "-ETIMEDOUT after %lld ms", (long long)took);
    CHECK_RC(pkt_close(h), 0);
    pkt_config_default(&c);
    c.nonblock = true;
    h = open_ok("v0", &c);
    CHECK_RC(pkt_loop(h, -1, on_live, NULL), -EAGAIN);
    CHECK_RC(pkt_close(h), 0);
    note("live: cnt, breaks from a thread and SIGALRM, -ETIMEDOUT, -EAGAIN");
}

int main(void)
{
    test_init("test_offline_loop", 90);
    const char *path = tmp_path("big.pcap");
    write_big_file(path);
    offline_breaks(path);
    pipe_breaks(path);
    live_loops();
    return test_pass();
}
