/*
 * soak: the two processes of bench/soak.sh.
 *
 *   soak send IFACE [-d SECS] [-n COUNT] [-s FRAME_BYTES] [-B BATCH]
 *     Sends bench.h's frame with pkt_write_batch (sendmmsg) as fast as it can until COUNT
 *     frames are sent or SECS have passed, whichever comes first, and prints
 *       sent=N secs=S pps=P retries=R
 *     where N counts only frames pkt_write_batch reported as sent (a frame refused with a
 *     temporary error, e.g. -ENOBUFS when veth's peer backlog is full, is sent again).
 *
 *   soak cap IFACE -r READY_FILE -w DUMP_FILE [-b RING_BYTES] [-g GROUP] [-m lb|rnd|hash]
 *            [-R ROTATE_BYTES] [-D DEADLINE_SECS]
 *     Two handles on IFACE in one fanout group, each read by its own thread with
 *     pkt_read_batch; every packet read is copied (up to 256 bytes) into a batch that a third
 *     thread, the writer, appends to a pcap file with pkt_dump_write. The file is closed and
 *     opened again (truncated) whenever it reaches ROTATE_BYTES, so the disk use stays bounded
 *     and the dumper is opened and closed many times. A reader waits for a free batch when the
 *     writer falls behind (the ring then fills and the kernel counts drops, as with tcpdump -w).
 *     All memory is allocated and touched before READY_FILE appears (it holds the process id).
 *     SIGUSR1 (the sender is done and the link quiet) makes the readers drain: each stops once
 *     a read timed out and its packets read + drops equal the kernel's count of packets that
 *     reached the socket (pkt_stats total). SIGTERM/SIGINT stop at once. Prints one line:
 *       h0_read= h0_recvs= h0_drops= h1_read= h1_recvs= h1_drops= read= drops= recvs=
 *       written= rotations= dump_bytes= drained=yes|no
 *
 * Neither process sets a filter: every frame the interface receives reaches the fanout group.
 */
#include "bench.h"

#include <pkt.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <unistd.h>

#define NHANDLES 2
#define BATCH 256
#define SNAP 256
#define NBATCHES 64
#define READ_TIMEOUT_MS 300

static void die_pkt(const char *what, int rc)
{
    fprintf(stderr, "soak: %s: %s (%s)\n", what, pkt_strerror(rc), pkt_errmsg());
    exit(1);
}

/* ---- send ---- */

static int do_send(int argc, char **argv)
{
    if (argc < 3) {
    usage:
        fprintf(stderr, "usage: soak send IFACE [-d SECS] [-n COUNT] [-s FRAME_BYTES] [-B BATCH]\n");
        return 2;
    }
    const char *ifname = argv[2];
    long long count = 1000000000LL, size = 64, batch = 256;
    double secs_max = 60;
    int opt;
    optind = 3;
    while ((opt = getopt(argc, argv, "d:n:s:B:")) != -1) {
        switch (opt) {
        case 'd': secs_max = atof(optarg); break;
        case 'n': count = parse_size(optarg); break;
        case 's': size = parse_size(optarg); break;
        case 'B': batch = parse_size(optarg); break;
        default: goto usage;
        }
    }
    if (size < 14 || size > 1514 || batch < 1 || batch > 4096 || count < 1 || !(secs_max > 0))
        goto usage;

    uint8_t *frame = malloc((size_t)size);
    pkt_frame_t *frames = malloc((size_t)batch * sizeof *frames);
    if (!frame || !frames)
        return 1;
    bench_frame(frame, (size_t)size);
    for (long long i = 0; i < batch; i++)
        frames[i] = (pkt_frame_t){frame, (size_t)size};

    pkt_config_t cfg;
    pkt_config_default(&cfg);
    cfg.tx_mode = PKT_TX_SENDMMSG;
    pkt_t *h;
    int rc = pkt_open(ifname, &cfg, &h);
    if (rc < 0)
        die_pkt("pkt_open", rc);

    uint64_t t0 = now_ns(), limit_ns = (uint64_t)(secs_max * 1e9), t = t0;
    long long sent = 0, retries = 0;
    while (sent < count && t - t0 < limit_ns) {
        size_t n = (size_t)(count - sent < batch ? count - sent : batch);
        rc = pkt_write_batch(h, frames, n);
        if (rc > 0)
            sent += rc;
        if (rc < 0 || (size_t)rc < n) {
            int err = rc < 0 ? rc : pkt_errno();
            if (!pkt_is_temporary(err))
                die_pkt("pkt_write_batch", err);
            retries++;
            sched_yield();
        }
        t = now_ns();
    }
    double secs = (double)(t - t0) / 1e9;
    printf("sent=%lld secs=%.3f pps=%.0f retries=%lld\n", sent, secs, (double)sent / secs, retries);
    pkt_close(h);
    free(frames);
    free(frame);
    return 0;
}

/* ---- cap ---- */

struct batch {
    size_t n;
    pkt_info_t info[BATCH];
    uint8_t data[BATCH][SNAP];
};

/* Batches go round: free list -> a reader fills one -> full queue -> the writer -> free list. */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t free_cv, full_cv;
    struct batch *free_list[NBATCHES];
    size_t nfree;
    struct batch *full[NBATCHES]; /* FIFO */
    size_t full_head, nfull;
    int readers_left;
} q = {.lock = PTHREAD_MUTEX_INITIALIZER,
       .free_cv = PTHREAD_COND_INITIALIZER,
       .full_cv = PTHREAD_COND_INITIALIZER};

static atomic_bool stop_drain; /* SIGUSR1: drain, then stop */
static atomic_bool stop_now;   /* SIGTERM/SIGINT or the deadline */

struct reader {
    pthread_t tid;
    pkt_t *h;
    unsigned long long read;
    bool drained;
    int error;
};

static void abs_after_ms(struct timespec *ts, long ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_nsec += ms * 1000000L;
    ts->tv_sec += ts->tv_nsec / 1000000000L;
    ts->tv_nsec %= 1000000000L;
}

/* A free batch, or NULL when told to stop while waiting. */
static struct batch *get_free(void)
{
    struct batch *b = NULL;
    pthread_mutex_lock(&q.lock);
    while (q.nfree == 0 && !atomic_load(&stop_now)) {
        struct timespec ts;
        abs_after_ms(&ts, 100);
        pthread_cond_timedwait(&q.free_cv, &q.lock, &ts);
    }
    if (q.nfree)
        b = q.free_list[--q.nfree];
    pthread_mutex_unlock(&q.lock);
    return b;
}

static void put_full(struct batch *b)
{
    pthread_mutex_lock(&q.lock);
    q.full[(q.full_head + q.nfull) % NBATCHES] = b;
    q.nfull++;
    pthread_cond_signal(&q.full_cv);
    pthread_mutex_unlock(&q.lock);
}

static bool counts_settled(struct reader *r)
{
    pkt_stats_t st;
    if (pkt_stats(r->h, true, &st) < 0)
        return false;
    return r->read + st.drops == st.recvs;
}

static void *reader_main(void *arg)
{
    struct reader *r = arg;
    pkt_packet_t pkts[BATCH];
    while (!atomic_load(&stop_now)) {
        int n = pkt_read_batch(r->h, 1, pkts, BATCH);
        if (n < 0) {
            if (pkt_is_timeout(n)) {
                if (atomic_load(&stop_drain) && counts_settled(r)) {
                    r->drained = true;
                    break;
                }
                continue;
            }
            if (n == -EINTR)
                continue;
            r->error = n;
            fprintf(stderr, "soak: pkt_read_batch: %s (%s)\n", pkt_strerror(n), pkt_errmsg());
            break;
        }
        if (n == 0)
            continue;
        struct batch *b = get_free();
        if (!b)
            break;
        b->n = (size_t)n;
        for (int i = 0; i < n; i++) {
            b->info[i] = pkts[i].info;
            uint32_t c = pkts[i].info.caplen < SNAP ? pkts[i].info.caplen : SNAP;
            b->info[i].caplen = c;
            memcpy(b->data[i], pkts[i].data, c);
        }
        r->read += (unsigned long long)n;
        put_full(b);
    }
    pthread_mutex_lock(&q.lock);
    q.readers_left--;
    pthread_cond_signal(&q.full_cv);
    pthread_mutex_unlock(&q.lock);
    return NULL;
}

struct writer {
    pthread_t tid;
    pkt_dumper_t *d; /* opened before the writer starts */
    const char *path;
    uint16_t dlt;
    long long rotate_bytes;
    unsigned long long written, rotations, bytes;
    int error;
};

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    pkt_dumper_t *d = w->d;
    int rc;
    for (;;) {
        pthread_mutex_lock(&q.lock);
        while (q.nfull == 0 && q.readers_left > 0) {
            struct timespec ts;
            abs_after_ms(&ts, 100);
            pthread_cond_timedwait(&q.full_cv, &q.lock, &ts);
        }
        if (q.nfull == 0) {
            pthread_mutex_unlock(&q.lock);
            break;
        }
        struct batch *b = q.full[q.full_head];
        q.full_head = (q.full_head + 1) % NBATCHES;
        q.nfull--;
        pthread_mutex_unlock(&q.lock);

        for (size_t i = 0; d && i < b->n; i++) {
            rc = pkt_dump_write(d, b->data[i], &b->info[i]);
            if (rc < 0) {
                w->error = rc;
                fprintf(stderr, "soak: pkt_dump_write: %s (%s)\n", pkt_strerror(rc), pkt_errmsg());
                pkt_dump_close(d);
                d = NULL;
                break;
            }
            w->written++;
        }
        if (d) {
            int64_t size = pkt_dump_bytes(d);
            if (size >= w->rotate_bytes) {
                w->bytes += (unsigned long long)size;
                rc = pkt_dump_close(d);
                d = NULL;
                if (rc == 0)
                    rc = pkt_dump_open(w->path, w->dlt, SNAP, 0, &d);
                if (rc < 0) {
                    w->error = rc;
                    fprintf(stderr, "soak: rotating %s: %s (%s)\n", w->path, pkt_strerror(rc),
                            pkt_errmsg());
                    d = NULL;
                } else {
                    w->rotations++;
                }
            }
        }

        pthread_mutex_lock(&q.lock);
        q.free_list[q.nfree++] = b;
        pthread_cond_signal(&q.free_cv);
        pthread_mutex_unlock(&q.lock);
    }
    if (d) {
        w->bytes += (unsigned long long)pkt_dump_bytes(d);
        rc = pkt_dump_close(d);
        if (rc < 0 && !w->error)
            w->error = rc;
    }
    return NULL;
}

static int do_cap(int argc, char **argv)
{
    if (argc < 3) {
    usage:
        fprintf(stderr, "usage: soak cap IFACE -r READY_FILE -w DUMP_FILE [-b RING_BYTES] "
                        "[-g GROUP] [-m lb|rnd|hash] [-R ROTATE_BYTES] [-D DEADLINE_SECS]\n");
        return 2;
    }
    const char *ifname = argv[2], *ready = NULL, *dump = NULL, *mode_name = "lb";
    long long ring = 8 << 20, rotate = 32 << 20, group = 4242;
    double deadline_s = 600;
    int opt;
    optind = 3;
    while ((opt = getopt(argc, argv, "r:w:b:g:m:R:D:")) != -1) {
        switch (opt) {
        case 'r': ready = optarg; break;
        case 'w': dump = optarg; break;
        case 'b': ring = parse_size(optarg); break;
        case 'g': group = parse_size(optarg); break;
        case 'm': mode_name = optarg; break;
        case 'R': rotate = parse_size(optarg); break;
        case 'D': deadline_s = atof(optarg); break;
        default: goto usage;
        }
    }
    uint16_t mode;
    if (strcmp(mode_name, "lb") == 0)
        mode = PKT_FANOUT_LB;
    else if (strcmp(mode_name, "rnd") == 0)
        mode = PKT_FANOUT_RND;
    else if (strcmp(mode_name, "hash") == 0)
        mode = PKT_FANOUT_HASH;
    else
        goto usage;
    if (!ready || !dump || group < 1 || group > 65535 || rotate < 4096 || !(deadline_s > 0))
        goto usage;

    /* Signals go to the main thread only (sigtimedwait); the threads inherit the mask. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGUSR1);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);

    for (int i = 0; i < NBATCHES; i++) {
        struct batch *b = malloc(sizeof *b);
        if (!b)
            return 1;
        /* Touched now, so RSS does not grow with first use (not 0: malloc + memset 0 may
         * become calloc, which leaves fresh pages untouched). */
        memset(b, 0x5a, sizeof *b);
        q.free_list[q.nfree++] = b;
    }

    struct reader readers[NHANDLES];
    memset(readers, 0, sizeof readers);
    pkt_config_t cfg;
    pkt_config_default(&cfg);
    cfg.buffer_size = ring;
    cfg.read_timeout_ms = READ_TIMEOUT_MS;
    for (int i = 0; i < NHANDLES; i++) {
        int rc = pkt_open(ifname, &cfg, &readers[i].h);
        if (rc < 0)
            die_pkt("pkt_open", rc);
        rc = pkt_set_fanout(readers[i].h, mode, (uint16_t)group, 0);
        if (rc < 0)
            die_pkt("pkt_set_fanout", rc);
    }
    struct writer w = {.path = dump, .dlt = pkt_dlt(readers[0].h), .rotate_bytes = rotate};
    int rc = pkt_dump_open(w.path, w.dlt, SNAP, 0, &w.d);
    if (rc < 0)
        die_pkt("pkt_dump_open", rc);

    q.readers_left = NHANDLES;
    for (int i = 0; i < NHANDLES; i++)
        if (pthread_create(&readers[i].tid, NULL, reader_main, &readers[i]) != 0)
            return 1;
    if (pthread_create(&w.tid, NULL, writer_main, &w) != 0)
        return 1;

    /* Ready: the process id, written atomically. */
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", ready);
    FILE *f = fopen(tmp, "w");
    if (!f || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) != 0 || rename(tmp, ready) != 0) {
        fprintf(stderr, "soak: cannot write %s\n", ready);
        return 1;
    }

    uint64_t t_end = now_ns() + (uint64_t)(deadline_s * 1e9);
    bool deadline = false;
    for (;;) {
        uint64_t t = now_ns();
        if (t >= t_end) {
            deadline = true;
            atomic_store(&stop_now, true);
            break;
        }
        uint64_t left = t_end - t;
        struct timespec ts = {(time_t)(left / 1000000000u), (long)(left % 1000000000u)};
        int sig = sigtimedwait(&sigs, NULL, &ts);
        if (sig == SIGUSR1) {
            atomic_store(&stop_drain, true);
            /* The drain itself is bounded too: 30 s. */
            if (t_end - now_ns() > 30000000000ull)
                t_end = now_ns() + 30000000000ull;
            break;
        }
        if (sig == SIGTERM || sig == SIGINT) {
            atomic_store(&stop_now, true);
            break;
        }
    }
    if (!atomic_load(&stop_now)) {
        /* Wait for the readers to drain, bounded by the deadline. */
        for (;;) {
            bool all = true;
            pthread_mutex_lock(&q.lock);
            all = q.readers_left == 0;
            pthread_mutex_unlock(&q.lock);
            if (all)
                break;
            if (now_ns() >= t_end) {
                deadline = true;
                atomic_store(&stop_now, true);
                break;
            }
            struct timespec ts = {0, 50000000};
            int sig = sigtimedwait(&sigs, NULL, &ts);
            if (sig == SIGTERM || sig == SIGINT)
                atomic_store(&stop_now, true);
        }
    }
    for (int i = 0; i < NHANDLES; i++)
        pthread_join(readers[i].tid, NULL);
    pthread_join(w.tid, NULL);

    unsigned long long read = 0, drops = 0, recvs = 0;
    bool drained = !deadline;
    for (int i = 0; i < NHANDLES; i++) {
        pkt_stats_t st = {0, 0};
        int rc = pkt_stats(readers[i].h, true, &st);
        if (rc < 0)
            die_pkt("pkt_stats", rc);
        printf("h%d_read=%llu h%d_recvs=%llu h%d_drops=%llu ", i, readers[i].read, i,
               (unsigned long long)st.recvs, i, (unsigned long long)st.drops);
        read += readers[i].read;
        drops += st.drops;
        recvs += st.recvs;
        drained = drained && readers[i].drained;
        pkt_close(readers[i].h);
    }
    printf("read=%llu drops=%llu recvs=%llu written=%llu rotations=%llu dump_bytes=%llu "
           "drained=%s\n",
           read, drops, recvs, w.written, w.rotations, w.bytes, drained ? "yes" : "no");
    fflush(stdout);
    int bad = w.error || readers[0].error || readers[1].error;
    for (size_t i = 0; i < q.nfree; i++)
        free(q.free_list[i]);
    return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "send") == 0)
        return do_send(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "cap") == 0)
        return do_cap(argc, argv);
    fprintf(stderr, "usage: soak send|cap IFACE ...\n");
    return 2;
}
