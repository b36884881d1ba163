/* pktdump --threads N: capture to disk on several cores.
 *
 * N handles on the interface join one fanout group (--fanout MODE, hash by default: both
 * directions of a flow go to the same member); each is read by a thread of its own, pinned to
 * a CPU of its own (the i-th of the process's affinity mask), that writes its own file: -w
 * trace.pcap gives trace_0.pcap, trace_1.pcap, ... (the thread's number goes before the last
 * extension), each rotated by -C/-G/-W/-z as one file would be.
 *
 * No packet is in two files: each handle opens with a filter that takes nothing, joins the
 * group, and only once all have joined gets the real filter (pkt_setfilter: what reached the
 * ring before is filtered again), so no handle holds a packet it saw before it joined.
 * -c COUNT counts over all the threads (an atomic counter). At the end each thread's line says
 * what it captured and what its handle's counters (pkt_stats) say, then tcpdump's three lines
 * give the sums. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* pthread_setaffinity_np, CPU_* */
#endif

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "pktdump.h"

struct shared;

struct worker {
    int index, cpu;
    pkt_t *h;
    struct pd_options o; /* the command line's, with this thread's -w name */
    char name[PATH_MAX + 1];
    struct pd_writer w;
    bool writing, limit, started;
    int error;
    uint64_t captured;
    pkt_stats_t st;
    bool have_st;
    pthread_t tid;
    struct shared *sh;
};

struct shared {
    const struct pd_options *o;
    struct worker *w;
    int n;
    atomic_uint_fast64_t taken; /* packets handed to writers, for -c */
    atomic_bool stop;
};

static void stop_all(struct shared *sh)
{
    atomic_store(&sh->stop, true);
    for (int i = 0; i < sh->n; i++)
        pkt_breakloop(sh->w[i].h);
}

/* -w a/trace.pcap, thread 1: a/trace_1.pcap (a/trace: a/trace_1; a/.x: a/.x_1) */
static int thread_name(const char *base, int i, char *out, size_t len)
{
    const char *slash = strrchr(base, '/');
    const char *comp = slash ? slash + 1 : base;
    const char *dot = strrchr(comp, '.');
    if (dot == NULL || dot == comp)
        dot = comp + strlen(comp);
    int n = snprintf(out, len, "%.*s_%d%s", (int)(dot - base), base, i, dot);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

static void on_packet(void *user, const uint8_t *data, const pkt_info_t *info)
{
    struct worker *w = user;
    struct shared *sh = w->sh;
    if (w->error != 0 || w->limit || atomic_load_explicit(&sh->stop, memory_order_relaxed))
        return;
    uint64_t count = sh->o->count;
    bool last = false;
    if (count != 0) {
        uint64_t k = atomic_fetch_add(&sh->taken, 1);
        if (k >= count) {
            stop_all(sh);
            return;
        }
        last = k + 1 == count;
    }
    int rc = pd_writer_write(&w->w, data, info);
    if (rc == PD_WRITE_LIMIT) {
        w->limit = true;
        w->captured++; /* as tcpdump counts it */
        stop_all(sh);
        return;
    }
    if (rc != 0) {
        w->error = 1;
        stop_all(sh);
        return;
    }
    w->captured++;
    if (last)
        stop_all(sh);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct shared *sh = w->sh;
    if (w->cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(w->cpu, &set);
        pthread_setaffinity_np(pthread_self(), sizeof set, &set); /* best effort */
    }
    while (!pd_stop_requested() && !atomic_load(&sh->stop) && w->error == 0 && !w->limit) {
        int rc = pkt_dispatch(w->h, -1, on_packet, w);
        if (rc < 0 && rc != -EINTR && !pkt_is_timeout(rc)) {
            fprintf(stderr, PD_PROG ": thread %d: pkt_dispatch: %s\n", w->index,
                    pkt_errmsg()[0] ? pkt_errmsg() : pkt_strerror(rc));
            w->error = 1;
            stop_all(sh);
            break;
        }
        if (rc > 0 && sh->o->packet_buffered && w->error == 0 && !w->limit &&
            pd_writer_flush(&w->w) != 0) {
            w->error = 1;
            stop_all(sh);
        }
    }
    return NULL;
}

/* The CPUs this process may run on, in order. */
static int allowed_cpus(int *cpus, int max)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return 0;
    int n = 0;
    for (int c = 0; c < CPU_SETSIZE && n < max; c++)
        if (CPU_ISSET(c, &set))
            cpus[n++] = c;
    return n;
}

int pd_run_threads(const struct pd_options *o, const pkt_config_t *cfg,
                   const pkt_bpf_insn_t *prog, uint32_t prog_len, const char *ifname,
                   uint32_t file_snaplen)
{
    int n = o->threads;
    struct worker *ws = calloc((size_t)n, sizeof *ws);
    if (ws == NULL) {
        fprintf(stderr, PD_PROG ": %s\n", strerror(ENOMEM));
        return 1;
    }
    struct shared sh;
    memset(&sh, 0, sizeof sh);
    sh.o = o;
    sh.w = ws;
    sh.n = 0; /* the handles open so far: stop_all touches only those */
    atomic_init(&sh.taken, 0);
    atomic_init(&sh.stop, false);
    int cpus[256];
    int ncpu = allowed_cpus(cpus, 256);
    int status = 0;
    static const pkt_bpf_insn_t take_nothing[1] = {{0x06, 0, 0, 0}}; /* ret #0 */
    pkt_config_t c = *cfg;
    c.filter = take_nothing;
    c.filter_len = 1;
    int group = -1;
    uint16_t dlt = 0;

    /* the handles, each in the group before it takes anything */
    for (int i = 0; i < n && status == 0; i++) {
        struct worker *w = &ws[i];
        w->index = i;
        w->sh = &sh;
        w->cpu = ncpu > 0 ? cpus[i % ncpu] : -1;
        int rc = pkt_open(o->iface, &c, &w->h);
        if (rc < 0) {
            w->h = NULL;
            pd_open_error(ifname, rc);
            status = 1;
            break;
        }
        sh.n = i + 1;
        if (i == 0) {
            rc = pkt_set_fanout(w->h, (uint16_t)o->fanout_mode, 0, PKT_FANOUT_FLAG_UNIQUEID);
            if (rc == 0)
                group = pkt_fanout_group(w->h);
            if (rc == 0 && group < 0)
                rc = group;
            dlt = pkt_dlt(w->h);
        } else {
            rc = pkt_set_fanout(w->h, (uint16_t)o->fanout_mode, (uint16_t)group, 0);
        }
        if (rc < 0) {
            fprintf(stderr, PD_PROG ": %s: pkt_set_fanout: %s\n", ifname, pkt_errmsg());
            status = 1;
        }
    }
    /* the files, before privileges go */
    for (int i = 0; i < sh.n && status == 0; i++) {
        struct worker *w = &ws[i];
        w->o = *o;
        if (thread_name(o->write_path, i, w->name, sizeof w->name) != 0) {
            fprintf(stderr, PD_PROG ": -w %s: the name is too long\n", o->write_path);
            status = 1;
            break;
        }
        w->o.write_path = w->name;
        if (pd_writer_open(&w->w, &w->o, dlt, file_snaplen) != 0) {
            status = 1;
            break;
        }
        w->writing = true;
    }
    if (status == 0 && o->user != NULL && pd_drop_privileges(o->user) != 0)
        status = 1;
    /* now the real filter, on all of them */
    for (int i = 0; i < sh.n && status == 0; i++) {
        int rc = pkt_setfilter(ws[i].h, prog, prog_len);
        if (rc < 0) {
            fprintf(stderr, PD_PROG ": %s: pkt_setfilter: %s\n", ifname, pkt_errmsg());
            status = 1;
        }
    }
    if (status == 0) {
        char dname[96];
        pd_dlt_text(dlt, dname, sizeof dname);
        fprintf(stderr,
                "listening on %s, link-type %s, snapshot length %" PRIu32 " bytes, %d threads "
                "(fanout group %d)\n",
                ifname, dname, file_snaplen, n, group);
        for (int i = 0; i < sh.n; i++)
            pd_break_on_signal(i, ws[i].h);
        for (int i = 0; i < sh.n; i++) {
            if (pthread_create(&ws[i].tid, NULL, worker_main, &ws[i]) != 0) {
                fprintf(stderr, PD_PROG ": pthread_create: %s\n", strerror(errno));
                status = 1;
                stop_all(&sh);
                break;
            }
            ws[i].started = true;
        }
        for (int i = 0; i < sh.n; i++)
            if (ws[i].started)
                pthread_join(ws[i].tid, NULL);
        for (int i = 0; i < sh.n; i++)
            pd_break_on_signal(i, NULL);
    }

    /* the counters, the files closed, the lines */
    bool limit = false;
    uint64_t captured = 0, recvs = 0, drops = 0;
    for (int i = 0; i < sh.n; i++) {
        struct worker *w = &ws[i];
        if (w->error != 0)
            status = 1;
        limit = limit || w->limit;
        w->have_st = pkt_stats(w->h, true, &w->st) == 0;
        if (!w->have_st) {
            fprintf(stderr, PD_PROG ": thread %d: pkt_stats: %s\n", i, pkt_errmsg());
            status = 1;
        }
        if (w->writing && pd_writer_close(&w->w, w->have_st ? &w->st : NULL, w->error != 0) != 0)
            status = 1;
    }
    if (limit)
        fprintf(stderr, "Maximum file limit reached: %d\n", o->file_count);
    for (int i = 0; i < sh.n; i++) {
        struct worker *w = &ws[i];
        if (!w->writing)
            continue;
        fprintf(stderr,
                "thread %d: %" PRIu64 " packets captured, %" PRIu64 " received by filter, %" PRIu64
                " dropped by kernel (%s)\n",
                i, w->captured, w->st.recvs, w->st.drops, w->name);
        captured += w->captured;
        recvs += w->st.recvs;
        drops += w->st.drops;
    }
    if (ws[0].writing) {
        fprintf(stderr, "%" PRIu64 " packet%s captured\n", captured, captured == 1 ? "" : "s");
        fprintf(stderr, "%" PRIu64 " packet%s received by filter\n", recvs,
                recvs == 1 ? "" : "s");
        fprintf(stderr, "%" PRIu64 " packet%s dropped by kernel\n", drops,
                drops == 1 ? "" : "s");
    }
    for (int i = 0; i < sh.n; i++) {
        int rc = pkt_close(ws[i].h);
        if (rc < 0) {
            fprintf(stderr, PD_PROG ": pkt_close: %s\n", pkt_errmsg());
            status = 1;
        }
    }
    free(ws);
    return status;
}
