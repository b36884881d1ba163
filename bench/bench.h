/*
 * Helpers shared by the benchmark programs (cap.c, send.c): clocks, process CPU time, size
 * parsing and the frame every sender uses.
 */
#ifndef PKT_BENCH_H
#define PKT_BENCH_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/* The frame is addressed to a MAC that no interface in the benchmark has, with an ethertype no
 * protocol handler claims (IEEE local experimental), so the receiving stack drops it right after
 * the capture taps, like traffic seen on a SPAN port. run.sh gives trafgen the same bytes. */
#define BENCH_DST_MAC 0x02, 0x00, 0x00, 0x00, 0x00, 0x02
#define BENCH_SRC_MAC 0x02, 0x00, 0x00, 0x00, 0x00, 0x01
#define BENCH_ETHERTYPE 0x88b5
#define BENCH_FILL 0xab

static inline uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* User and system CPU time of the whole process. The kernel derives the sum from its precise
 * scheduler runtime, so user + system is exact even though the split between them is sampled. */
struct cpu_time {
    uint64_t user_ns;
    uint64_t sys_ns;
    uint64_t waits; /* voluntary context switches: how often the process blocked (and woke) */
};

static inline struct cpu_time cpu_now(void)
{
    struct rusage ru;
    struct cpu_time t = {0, 0, 0};
    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        t.user_ns = (uint64_t)ru.ru_utime.tv_sec * 1000000000u + (uint64_t)ru.ru_utime.tv_usec * 1000u;
        t.sys_ns = (uint64_t)ru.ru_stime.tv_sec * 1000000000u + (uint64_t)ru.ru_stime.tv_usec * 1000u;
        t.waits = (uint64_t)ru.ru_nvcsw;
    }
    return t;
}

/* "2M", "8MiB", "512k", "1500": bytes. Exits on garbage, since a silently wrong size would make
 * a whole benchmark run meaningless. */
static inline long long parse_size(const char *s)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || v < 0) {
        fprintf(stderr, "bad size: %s\n", s);
        exit(2);
    }
    if (*end == 'k' || *end == 'K')
        v <<= 10, end++;
    else if (*end == 'm' || *end == 'M')
        v <<= 20, end++;
    else if (*end == 'g' || *end == 'G')
        v <<= 30, end++;
    if (*end == 'i' || *end == 'I')
        end++;
    if (*end == 'b' || *end == 'B')
        end++;
    if (*end) {
        fprintf(stderr, "bad size: %s\n", s);
        exit(2);
    }
    return v;
}

/* Builds the benchmark frame of `len` bytes (>= 14) in `buf`. */
static inline void bench_frame(uint8_t *buf, size_t len)
{
    static const uint8_t hdr[14] = {BENCH_DST_MAC, BENCH_SRC_MAC, BENCH_ETHERTYPE >> 8,
                                    BENCH_ETHERTYPE & 0xff};
    memcpy(buf, hdr, sizeof hdr);
    memset(buf + sizeof hdr, BENCH_FILL, len - sizeof hdr);
}

/* Tells run.sh that the program is ready (handle open): the file appears atomically. */
static inline void signal_ready(const char *path)
{
    if (!path)
        return;
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f || fputs("ready\n", f) < 0 || fclose(f) != 0 || rename(tmp, path) != 0) {
        fprintf(stderr, "cannot write ready file %s\n", path);
        exit(1);
    }
}

#endif
