/*
 * send: sends a fixed count of identical frames on IFACE with one send path and prints one line:
 *   mode=... sent=N secs=S pps=P cpu_ns_per_pkt=C
 * pps is frames over the wall time from the first send until the last frame has left (after
 * pkt_flush for the TX ring); cpu_ns_per_pkt is this process's user + system CPU over the same span.
 *
 * usage: send MODE IFACE [-n COUNT] [-s FRAME_BYTES] [-B BATCH] [-g GAP_US] [-q]
 * MODE: pkt_write | pkt_write_batch_sendmmsg | pkt_write_batch_ring | pcap_inject
 *   -B  frames per pkt_write_batch call (default 256)
 *   -g  pace: one frame every GAP_US microseconds (the fallback sender for callgrind runs)
 *   -q  libpkt with qdisc_bypass
 *
 * run.sh also uses it as the capture benchmark's sender when trafgen cannot run.
 */
#include "bench.h"

#include <pcap/pcap.h>
#include <pkt.h>
#include <sched.h>
#include <stdbool.h>
#include <unistd.h>

enum mode { M_WRITE, M_BATCH_SENDMMSG, M_BATCH_RING, M_PCAP_INJECT };
static const char *const mode_names[] = {"pkt_write", "pkt_write_batch_sendmmsg",
                                         "pkt_write_batch_ring", "pcap_inject"};

/* A temporarily full queue is retried; this bounds how long a stuck device can keep us here. */
#define MAX_RETRIES 1000000

static pkt_t *h;
static pcap_t *pc;
static int mode;

static void die_pkt(const char *what, int rc)
{
    fprintf(stderr, "send: %s: %s (%s)\n", what, pkt_strerror(rc), pkt_errmsg());
    exit(1);
}

/* Sends frames[0..n) with the chosen path; returns only when all have been handed over. */
static void send_frames(const pkt_frame_t *frames, size_t n)
{
    size_t done = 0;
    long retries = 0;
    while (done < n) {
        int rc;
        switch (mode) {
        case M_WRITE:
            rc = pkt_write(h, frames[done].data, frames[done].len, 0, 0);
            rc = rc >= 0 ? 1 : rc;
            break;
        case M_PCAP_INJECT:
            rc = pcap_inject(pc, frames[done].data, frames[done].len);
            if (rc < 0) {
                fprintf(stderr, "send: pcap_inject: %s\n", pcap_geterr(pc));
                exit(1);
            }
            rc = 1;
            break;
        default:
            rc = pkt_write_batch(h, frames + done, n - done);
            break;
        }
        if (rc > 0) {
            done += (size_t)rc;
            continue;
        }
        /* A short or failed batch: only a temporary condition (full queue) is worth retrying. */
        if ((rc < 0 && !pkt_is_temporary(rc)) || ++retries > MAX_RETRIES)
            die_pkt(mode_names[mode], rc < 0 ? rc : -EIO);
        sched_yield();
    }
}

int main(int argc, char **argv)
{
    if (argc < 3) {
    usage:
        fprintf(stderr, "usage: send MODE IFACE [-n COUNT] [-s FRAME_BYTES] [-B BATCH] "
                        "[-g GAP_US] [-q]\n");
        return 2;
    }
    mode = -1;
    for (int i = 0; i < 4; i++)
        if (strcmp(argv[1], mode_names[i]) == 0)
            mode = i;
    if (mode < 0)
        goto usage;
    const char *ifname = argv[2];
    long long count = 1000000, size = 64, batch = 256;
    double gap_us = 0;
    bool bypass = false;
    int opt;
    optind = 3;
    while ((opt = getopt(argc, argv, "n:s:B:g:q")) != -1) {
        switch (opt) {
        case 'n': count = parse_size(optarg); break;
        case 's': size = parse_size(optarg); break;
        case 'B': batch = parse_size(optarg); break;
        case 'g': gap_us = atof(optarg); break;
        case 'q': bypass = true; break;
        default: goto usage;
        }
    }
    if (size < 14 || size > 65535 || batch < 1 || count < 1)
        goto usage;
    if (mode == M_WRITE || mode == M_PCAP_INJECT || gap_us > 0)
        batch = 1;

    uint8_t *frame = malloc((size_t)size);
    pkt_frame_t *frames = malloc((size_t)batch * sizeof *frames);
    if (!frame || !frames)
        return 1;
    bench_frame(frame, (size_t)size);
    for (long long i = 0; i < batch; i++)
        frames[i] = (pkt_frame_t){frame, (size_t)size};

    if (mode == M_PCAP_INJECT) {
        char err[PCAP_ERRBUF_SIZE];
        pc = pcap_create(ifname, err);
        if (!pc || pcap_activate(pc) < 0) {
            fprintf(stderr, "send: pcap: %s\n", pc ? pcap_geterr(pc) : err);
            return 1;
        }
    } else {
        pkt_config_t cfg;
        pkt_config_default(&cfg);
        cfg.tx_mode = mode == M_BATCH_RING ? PKT_TX_RING : PKT_TX_SENDMMSG;
        cfg.qdisc_bypass = bypass;
        int rc = pkt_open(ifname, &cfg, &h);
        if (rc < 0)
            die_pkt("pkt_open", rc);
    }

    struct cpu_time c0 = cpu_now();
    uint64_t t0 = now_ns();
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    for (long long sent = 0; sent < count;) {
        size_t n = (size_t)(count - sent < batch ? count - sent : batch);
        send_frames(frames, n);
        sent += (long long)n;
        if (gap_us > 0) {
            /* Absolute deadlines, so oversleeping once does not lower the average rate. */
            next.tv_nsec += (long)(gap_us * 1000);
            while (next.tv_nsec >= 1000000000L) {
                next.tv_nsec -= 1000000000L;
                next.tv_sec++;
            }
            clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
        }
    }
    if (h) {
        int rc = pkt_flush(h);
        if (rc < 0)
            die_pkt("pkt_flush", rc);
    }
    uint64_t t1 = now_ns();
    struct cpu_time c1 = cpu_now();
    double secs = (double)(t1 - t0) / 1e9;
    uint64_t cpu = (c1.user_ns - c0.user_ns) + (c1.sys_ns - c0.sys_ns);
    printf("mode=%s%s sent=%lld secs=%.4f pps=%.0f cpu_ns_per_pkt=%.1f\n", mode_names[mode],
           bypass ? "+bypass" : "", count, secs, (double)count / secs, (double)cpu / (double)count);
    if (h)
        pkt_close(h);
    if (pc)
        pcap_close(pc);
    free(frames);
    free(frame);
    return 0;
}
