/*
 * cap: one capture contender of the benchmark. Opens a handle with the library and read path
 * named by MODE, tells run.sh it is ready (before the sender starts), reads until run.sh sends
 * SIGUSR1 (after the sender is done and a grace period has passed), drains what is left without
 * waiting, and prints one line of key=value results:
 *
 *   pkts     packets read           drops/recvs  the library's counters (pkt_stats / pcap_stats)
 *   cpu_ns   user + system CPU of this process from the first packet to the end of the drain
 *   ns_per_pkt = cpu_ns / pkts
 *   all_cpu_ns, wakeups  CPU and voluntary context switches from the moment the handle was open
 *            to the end: with -I (no traffic), what the read path costs while idle
 *
 * Why a signal and not an idle timeout: libpcap with TPACKET_V3 and a timeout polls with no
 * timeout of its own (the kernel's block retire timer wakes it), so once traffic stops a
 * libpcap reader never returns. Both libraries block the same way here, so the idle tail
 * costs neither of them CPU.
 *
 * usage: cap MODE IFACE [-b BUFSIZE] [-B BATCH] [-T MAX_S] [-r READY_FILE] [-f lb|hash:GROUP] [-I]
 *            [-e EXPR | -E EXPR_FILE]
 *        cap -V        (prints the library versions)
 * -e/-E: a filter expression (or a file holding one), compiled by libpcap (optimized, no
 * netmask) and set before the handle reports ready: pkt_setfilter, pcap_setfilter (not for
 * raw_v3). A program the kernel refuses (over 4096 instructions) runs in user space in
 * both libraries; the result line says where it went (filter=kernel|user|none).
 * rss_kib, ring: the process's peak resident set at the end, and the ring's size.
 * -T bounds the whole run (SIGALRM stops it like SIGUSR1); -I: an idle run, where no packet
 * arriving is the expected outcome rather than an error.
 * MODE: pkt_read | pkt_read_batch | pkt_dispatch | pkt_read_slim | pcap_next_ex | pcap_dispatch |
 *       raw_v3
 * (raw_v3: the floor, a minimal TPACKET_V3 reader without libpkt: rawv3.h)
 *
 * Every read path does the same work per packet: count it and touch its first byte, so the cost
 * of bringing the packet into the cache is in the figures, as in any real consumer.
 */
#include "bench.h"
#include "rawv3.h"

#include <pcap/pcap.h>
#include <pkt.h>
#include <signal.h>
#include <stdbool.h>
#include <unistd.h>

enum mode {
    M_PKT_READ,
    M_PKT_READ_BATCH,
    M_PKT_DISPATCH,
    M_PKT_READ_SLIM,
    M_PCAP_NEXT_EX,
    M_PCAP_DISPATCH,
    M_RAW_V3
};
#define N_MODES 7
static const char *const mode_names[N_MODES] = {"pkt_read",      "pkt_read_batch", "pkt_dispatch",
                                                "pkt_read_slim", "pcap_next_ex",   "pcap_dispatch",
                                                "raw_v3"};

/* libpcap's timeout is, with TPACKET_V3, the kernel's block retire timeout. libpkt's
 * block_timeout_ms keeps its default, which is the same 100 ms, so both hand over partially
 * filled blocks alike. */
#define PCAP_TIMEOUT_MS 100

struct run {
    uint64_t pkts;
    uint64_t sink; /* sum of first bytes: keeps the touch from being optimised out */
    bool started;
    struct cpu_time c_ready;        /* CPU time once the handle was open */
    struct cpu_time c_first, c_end; /* CPU time at the first packet and after the drain */
    uint64_t t_first, t_end;        /* wall clock at the same two points */
};

static struct run R;
static pkt_t *H;
static pcap_t *P;
static volatile sig_atomic_t stop;

/* The window starts at the first packet: opening the ring (which can cost 0.1 s of system time
 * for large rings) and waiting for the sender are not per-packet costs. */
static void first_packet(void)
{
    R.started = true;
    R.c_first = cpu_now();
    R.t_first = now_ns();
}

static inline void count_packet(const uint8_t *data)
{
    if (__builtin_expect(!R.started, 0))
        first_packet();
    R.pkts++;
    R.sink += data[0];
}

/* pkt_breakloop is async-signal-safe by contract; pcap_breakloop on Linux (libpcap >= 1.10) sets
 * a flag and writes to an eventfd, which is what makes it usable here too. */
static void on_stop(int sig)
{
    (void)sig;
    stop = 1;
    if (H)
        pkt_breakloop(H);
    if (P)
        pcap_breakloop(P);
}

static void pkt_cb(void *user, const uint8_t *data, const pkt_info_t *info)
{
    (void)user;
    (void)info;
    count_packet(data);
}

static void pcap_cb(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
    (void)user;
    (void)h;
    count_packet(bytes);
}

static const char *filter_expr;
static const char *filter_where = "none";

/* The peak resident set of this process (VmHWM), KiB. */
static long peak_rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %ld", &v) == 1)
            break;
    if (f)
        fclose(f);
    return v;
}

/* The expression in a file (-E), whole, NUL-terminated; exits on failure. */
static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "cap: %s: %s\n", path, strerror(errno));
        exit(2);
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (size_t r; buf && (r = fread(buf + n, 1, cap - n - 1, f)) > 0;) {
        n += r;
        if (n + 1 == cap)
            buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    if (!buf)
        exit(1);
    buf[n] = '\0';
    return buf;
}

static void die_pkt(const char *what, int rc)
{
    fprintf(stderr, "cap: %s: %s (%s)\n", what, pkt_strerror(rc), pkt_errmsg());
    exit(1);
}

static void usage(void)
{
    fprintf(stderr, "usage: cap MODE IFACE [-b BUFSIZE] [-B BATCH] [-T MAX_S] [-r READY_FILE] "
                    "[-f lb|hash:GROUP] [-I]\n       cap -V\n");
    exit(2);
}

/* One read call of the libpkt path; returns its result (count, or negative errno). */
static int pkt_once(enum mode mode, int poll, pkt_packet_t *out, size_t batch)
{
    int n;
    switch (mode) {
    case M_PKT_READ_SLIM: {
        pkt_slim_t *slim = (pkt_slim_t *)out; /* a pkt_packet_t array holds as many */
        n = pkt_read_slim(H, poll, slim, batch);
        for (int i = 0; i < n; i++)
            count_packet(slim[i].data);
        return n;
    }
    case M_PKT_READ: {
        const uint8_t *data;
        n = pkt_read(H, poll, &data, NULL);
        if (n > 0)
            count_packet(data);
        return n;
    }
    case M_PKT_READ_BATCH:
        n = pkt_read_batch(H, poll, out, batch);
        for (int i = 0; i < n; i++)
            count_packet(out[i].data);
        return n;
    default:
        /* pkt_dispatch has no poll argument (a blocking handle always waits), so the drain
         * after the break, which must not wait, reads the rest with pkt_read_batch. */
        if (!poll)
            return pkt_once(M_PKT_READ_BATCH, 0, out, batch);
        /* -1: the rest of the current ring block, like pcap_dispatch(-1) below. */
        return pkt_dispatch(H, -1, pkt_cb, NULL);
    }
}

static void run_libpkt(enum mode mode, const char *ifname, long long bufsize, size_t batch,
                       const char *ready, const char *fanout, uint64_t *drops, uint64_t *recvs,
                       long long *ring)
{
    pkt_config_t cfg;
    pkt_config_default(&cfg);
    cfg.buffer_size = bufsize;
    int rc = pkt_open(ifname, &cfg, &H);
    if (rc < 0)
        die_pkt("pkt_open", rc);
    pkt_config_t eff;
    if (pkt_get_config(H, &eff) == 0)
        *ring = eff.buffer_size;
    if (fanout) {
        unsigned group;
        char kind[8];
        if (sscanf(fanout, "%7[a-z]:%u", kind, &group) != 2)
            usage();
        uint16_t fmode = strcmp(kind, "hash") == 0 ? PKT_FANOUT_HASH : PKT_FANOUT_LB;
        rc = pkt_set_fanout(H, fmode, (uint16_t)group, 0);
        if (rc < 0)
            die_pkt("pkt_set_fanout", rc);
    }
    if (filter_expr) {
        /* libpcap's compiler (a dead handle) makes the program for both libraries, so they run
         * the same one: pkt_compile refuses programs the kernel cannot take (over 4096
         * instructions), which pkt_setfilter then runs in user space, as libpcap does. */
        pcap_t *dead = pcap_open_dead(DLT_EN10MB, 262144);
        struct bpf_program fp;
        if (!dead || pcap_compile(dead, &fp, filter_expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
            fprintf(stderr, "cap: pcap_compile: %s\n", dead ? pcap_geterr(dead) : "no handle");
            exit(1);
        }
        _Static_assert(sizeof(pkt_bpf_insn_t) == sizeof(struct bpf_insn), "insn layout");
        rc = pkt_setfilter(H, (const pkt_bpf_insn_t *)fp.bf_insns, fp.bf_len);
        if (rc < 0)
            die_pkt("pkt_setfilter", rc);
        filter_where = fp.bf_len > 4096 ? "user" : "kernel";
        pcap_freecode(&fp);
        pcap_close(dead);
    }
    pkt_packet_t *out = calloc(batch, sizeof *out);
    if (!out)
        exit(1);
    R.c_ready = cpu_now();
    signal_ready(ready);

    while (!stop) {
        int n = pkt_once(mode, 1, out, batch);
        if (n < 0 && n != -EINTR && n != -EAGAIN)
            die_pkt(mode_names[mode], n);
    }
    /* Whatever is still in the ring was captured, not dropped: count it. */
    for (;;) {
        int n = pkt_once(mode, 0, out, batch);
        if (n == -EAGAIN)
            break;
        if (n < 0 && n != -EINTR)
            die_pkt(mode_names[mode], n);
    }
    pkt_stats_t st;
    rc = pkt_stats(H, true, &st);
    if (rc < 0)
        die_pkt("pkt_stats", rc);
    *drops = st.drops;
    *recvs = st.recvs;
    free(out);
}

static void run_pcap(enum mode mode, const char *ifname, long long bufsize, const char *ready,
                     uint64_t *drops, uint64_t *recvs)
{
    char err[PCAP_ERRBUF_SIZE];
    P = pcap_create(ifname, err);
    if (!P) {
        fprintf(stderr, "cap: pcap_create: %s\n", err);
        exit(1);
    }
    /* The configuration a throughput-minded libpcap user picks: a buffer as large as libpkt's,
     * no immediate mode (TPACKET_V3 blocks), a 100 ms timeout. */
    if (pcap_set_buffer_size(P, (int)bufsize) || pcap_set_immediate_mode(P, 0) ||
        pcap_set_timeout(P, PCAP_TIMEOUT_MS) || pcap_set_promisc(P, 0)) {
        fprintf(stderr, "cap: pcap_set_*: %s\n", pcap_geterr(P));
        exit(1);
    }
    if (pcap_activate(P) < 0) {
        fprintf(stderr, "cap: pcap_activate: %s\n", pcap_geterr(P));
        exit(1);
    }
    if (filter_expr) {
        struct bpf_program fp;
        if (pcap_compile(P, &fp, filter_expr, 1, PCAP_NETMASK_UNKNOWN) < 0 ||
            pcap_setfilter(P, &fp) < 0) {
            fprintf(stderr, "cap: pcap filter: %s\n", pcap_geterr(P));
            exit(1);
        }
        filter_where = fp.bf_len > 4096 ? "user" : "kernel";
        pcap_freecode(&fp);
    }
    R.c_ready = cpu_now();
    signal_ready(ready);

    for (bool draining = false;;) {
        int n;
        if (mode == M_PCAP_NEXT_EX) {
            struct pcap_pkthdr *hdr;
            const u_char *data;
            n = pcap_next_ex(P, &hdr, &data);
            if (n == 1)
                count_packet(data);
        } else {
            n = pcap_dispatch(P, -1, pcap_cb, NULL);
        }
        if (n == PCAP_ERROR_BREAK || (stop && !draining)) {
            /* Drain what is left without waiting, as for libpkt. */
            if (pcap_setnonblock(P, 1, err) < 0) {
                fprintf(stderr, "cap: pcap_setnonblock: %s\n", err);
                exit(1);
            }
            draining = true;
        } else if (n < 0) {
            fprintf(stderr, "cap: %s: %s\n", mode_names[mode], pcap_geterr(P));
            exit(1);
        } else if (n == 0 && draining) {
            break;
        }
    }
    struct pcap_stat st;
    if (pcap_stats(P, &st) != 0) {
        fprintf(stderr, "cap: pcap_stats: %s\n", pcap_geterr(P));
        exit(1);
    }
    *drops = st.ps_drop;
    *recvs = st.ps_recv;
}

/* The floor (rawv3.h): the same per-packet work, no library. */
static void run_raw(const char *ifname, long long bufsize, const char *ready, uint64_t *drops,
                    uint64_t *recvs, long long *ring)
{
    struct rawv3 r;
    int rc = rawv3_open(&r, ifname, bufsize);
    if (rc < 0)
        exit(1);
    *ring = (long long)(r.block_size * r.block_nr);
    R.c_ready = cpu_now();
    signal_ready(ready);
    while (!stop) {
        if (RAWV3_WALK(&r, count_packet) == 0) {
            rc = rawv3_wait(&r);
            if (rc < 0 && rc != -EINTR) {
                fprintf(stderr, "cap: poll: %s\n", strerror(-rc));
                exit(1);
            }
        }
    }
    while (RAWV3_WALK(&r, count_packet) > 0)
        ;
    rawv3_stats(&r, drops, recvs);
    rawv3_close(&r);
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "-V") == 0) {
        printf("libpkt %s; %s\n", pkt_version(), pcap_lib_version());
        return 0;
    }
    if (argc < 3)
        usage();
    int mode = -1;
    for (int i = 0; i < N_MODES; i++)
        if (strcmp(argv[1], mode_names[i]) == 0)
            mode = i;
    if (mode < 0)
        usage();
    const char *ifname = argv[2];
    long long bufsize = 2 << 20;
    size_t batch = 256;
    unsigned max_s = 120;
    const char *ready = NULL, *fanout = NULL;
    bool idle_run = false;
    int opt;
    optind = 3;
    while ((opt = getopt(argc, argv, "b:B:T:r:f:Ie:E:")) != -1) {
        switch (opt) {
        case 'b': bufsize = parse_size(optarg); break;
        case 'B': batch = (size_t)parse_size(optarg); break;
        case 'T': max_s = (unsigned)atoi(optarg); break;
        case 'r': ready = optarg; break;
        case 'f': fanout = optarg; break;
        case 'I': idle_run = true; break;
        case 'e': filter_expr = optarg; break;
        case 'E': filter_expr = read_file(optarg); break;
        default: usage();
        }
    }
    if (batch == 0 || max_s == 0 || (fanout && mode > M_PKT_READ_SLIM) ||
        (filter_expr && mode == M_RAW_V3))
        usage();

    /* No SA_RESTART: the signal must also end a poll() that a library would otherwise resume. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGALRM, &sa, NULL);
    alarm(max_s);

    uint64_t drops = 0, recvs = 0;
    long long ring = bufsize;
    if (mode <= M_PKT_READ_SLIM)
        run_libpkt(mode, ifname, bufsize, batch, ready, fanout, &drops, &recvs, &ring);
    else if (mode == M_RAW_V3)
        run_raw(ifname, bufsize, ready, &drops, &recvs, &ring);
    else
        run_pcap(mode, ifname, bufsize, ready, &drops, &recvs);
    alarm(0);
    R.c_end = cpu_now();
    R.t_end = now_ns();

    uint64_t user = R.started ? R.c_end.user_ns - R.c_first.user_ns : 0;
    uint64_t sys = R.started ? R.c_end.sys_ns - R.c_first.sys_ns : 0;
    printf("mode=%s pkts=%llu drops=%llu recvs=%llu cpu_ns=%llu user_ns=%llu sys_ns=%llu "
           "ns_per_pkt=%.2f span_ms=%.1f ring=%lld all_cpu_ns=%llu wakeups=%llu sink=%llu "
           "rss_kib=%ld filter=%s\n",
           mode_names[mode], (unsigned long long)R.pkts, (unsigned long long)drops,
           (unsigned long long)recvs, (unsigned long long)(user + sys), (unsigned long long)user,
           (unsigned long long)sys, R.pkts ? (double)(user + sys) / (double)R.pkts : 0.0,
           R.started ? (double)(R.t_end - R.t_first) / 1e6 : 0.0, ring,
           (unsigned long long)((R.c_end.user_ns - R.c_ready.user_ns) +
                                (R.c_end.sys_ns - R.c_ready.sys_ns)),
           (unsigned long long)(R.c_end.waits - R.c_ready.waits), (unsigned long long)R.sink,
           peak_rss_kib(), filter_where);
    /* Closed after the window: tearing down a ring is not a per-packet cost either. */
    pkt_close(H);
    if (P)
        pcap_close(P);
    if (!R.started && !idle_run) {
        fprintf(stderr, "cap: no packet arrived\n");
        return 3;
    }
    return 0;
}
