/* Reading savefiles: libpkt (pkt_read, pkt_read_batch, pkt_read_slim, pkt_dispatch) against libpcap
 * (pcap_next_ex, pcap_dispatch), in one run, interleaved, on files libpkt's writer makes.
 *
 *   offline DIR [REPS [PACKETS]]
 *
 * Writes DIR/f64.pcap and DIR/f1500.pcap (PACKETS frames of 64 and 1500 bytes, default
 * 1000000), reads each once to have it in the page cache, then REPS times (default 5) with every
 * reader in turn; each packet is counted and its first byte touched. Prints, per reader and frame
 * size, the median wall time per packet from open to close (min..max), and the ratio to
 * pcap_dispatch of the same size. The files are left for the caller to delete. */
#include <pcap/pcap.h>
#include <pkt.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { R_PKT_READ, R_PKT_BATCH, R_PKT_SLIM, R_PKT_DISPATCH, R_PCAP_NEXT_EX, R_PCAP_DISPATCH, NREADERS };
static const char *const NAMES[NREADERS] = {"pkt_read",      "pkt_read_batch", "pkt_read_slim",
                                            "pkt_dispatch",  "pcap_next_ex",   "pcap_dispatch"};
/* Packets per pkt_read_batch / pkt_read_slim call: 32, as in bench/run.sh (pkt_read_batch's
 * doc: larger batches leave the lines out of L1 before the loop touches them). */
#define BATCH 32

static uint64_t sink, seen;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void die(const char *what, const char *why)
{
    fprintf(stderr, "offline: %s: %s\n", what, why);
    exit(1);
}

static void write_file(const char *path, size_t size, long n)
{
    pkt_dumper_t *d;
    if (pkt_dump_open(path, PKT_DLT_EN10MB, 0, PKT_DUMP_NANO, &d) != 0)
        die("pkt_dump_open", pkt_errmsg());
    static uint8_t fr[1500];
    for (size_t i = 0; i < size; i++)
        fr[i] = (uint8_t)(i * 7);
    for (long i = 0; i < n; i++) {
        memcpy(fr + 14, &i, sizeof i);
        pkt_info_t in = {.sec = 1700000000 + i / 1000000, .nsec = (uint32_t)(i % 1000000) * 1000,
                         .caplen = (uint32_t)size, .len = (uint32_t)size};
        if (pkt_dump_write(d, fr, &in) != 0)
            die("pkt_dump_write", pkt_errmsg());
    }
    if (pkt_dump_close(d) != 0)
        die("pkt_dump_close", pkt_errmsg());
}

static void pkt_cb(void *u, const uint8_t *data, const pkt_info_t *info)
{
    (void)u;
    (void)info;
    sink += data[0];
    seen++;
}

static void pcap_cb(u_char *u, const struct pcap_pkthdr *h, const u_char *data)
{
    (void)u;
    (void)h;
    sink += data[0];
    seen++;
}

/* Reads the whole file with one reader; returns the wall time from open to close. */
static int64_t read_file(const char *path, int reader)
{
    seen = 0;
    int64_t t0 = now_ns();
    if (reader <= R_PKT_DISPATCH) {
        pkt_t *h;
        if (pkt_open_offline(path, NULL, &h) != 0)
            die("pkt_open_offline", pkt_errmsg());
        int rc;
        if (reader == R_PKT_READ) {
            const uint8_t *d;
            pkt_info_t info;
            while ((rc = pkt_read(h, 1, &d, &info)) > 0) {
                sink += d[0];
                seen++;
            }
        } else if (reader == R_PKT_BATCH) {
            static pkt_packet_t out[BATCH];
            while ((rc = pkt_read_batch(h, 1, out, BATCH)) > 0) {
                for (int i = 0; i < rc; i++)
                    sink += out[i].data[0];
                seen += (uint64_t)rc;
            }
        } else if (reader == R_PKT_SLIM) {
            static pkt_slim_t out[BATCH];
            while ((rc = pkt_read_slim(h, 1, out, BATCH)) > 0) {
                for (int i = 0; i < rc; i++)
                    sink += out[i].data[0];
                seen += (uint64_t)rc;
            }
        } else {
            rc = pkt_dispatch(h, -1, pkt_cb, NULL) < 0 ? -1 : -ENODATA;
        }
        if (rc != -ENODATA)
            die("libpkt read", pkt_errmsg());
        pkt_close(h);
    } else {
        char err[PCAP_ERRBUF_SIZE];
        pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
        if (p == NULL)
            die("pcap_open_offline", err);
        if (reader == R_PCAP_NEXT_EX) {
            struct pcap_pkthdr *hdr;
            const u_char *d;
            int rc;
            while ((rc = pcap_next_ex(p, &hdr, &d)) == 1) {
                sink += d[0];
                seen++;
            }
            if (rc != PCAP_ERROR_BREAK)
                die("pcap_next_ex", pcap_geterr(p));
        } else if (pcap_dispatch(p, -1, pcap_cb, NULL) < 0) {
            die("pcap_dispatch", pcap_geterr(p));
        }
        pcap_close(p);
    }
    return now_ns() - t0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: offline DIR [REPS [PACKETS]]\n");
        return 2;
    }
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    long n = argc > 3 ? atol(argv[3]) : 1000000;
    if (reps < 1 || reps > 100 || n < 1)
        die("arguments", "REPS 1..100, PACKETS >= 1");
    static const size_t sizes[2] = {64, 1500};
    char paths[2][4096];
    for (int s = 0; s < 2; s++) {
        snprintf(paths[s], sizeof paths[s], "%s/f%zu.pcap", argv[1], sizes[s]);
        int64_t t0 = now_ns();
        write_file(paths[s], sizes[s], n);
        fprintf(stderr, "offline: wrote %s (%ld packets) in %.2f s\n", paths[s], n,
                (double)(now_ns() - t0) / 1e9);
        read_file(paths[s], R_PCAP_DISPATCH); /* into the page cache */
        read_file(paths[s], R_PKT_READ);
    }
    static double ns[2][NREADERS][100];
    for (int r = 0; r < reps; r++)
        for (int s = 0; s < 2; s++)
            for (int k = 0; k < NREADERS; k++) {
                /* Rotate the order so that no reader always runs first. */
                int reader = (k + r) % NREADERS;
                int64_t t = read_file(paths[s], reader);
                if (seen != (uint64_t)n)
                    die(NAMES[reader], "did not read every packet");
                ns[s][reader][r] = (double)t / (double)n;
            }
    double med[2][NREADERS];
    printf("| reader | 64 B: ns/packet (min..max) | vs pcap_dispatch | 1500 B: ns/packet (min..max) "
           "| vs pcap_dispatch |\n| --- | --- | --- | --- | --- |\n");
    for (int s = 0; s < 2; s++)
        for (int k = 0; k < NREADERS; k++) {
            qsort(ns[s][k], (size_t)reps, sizeof(double), cmp_double);
            med[s][k] = ns[s][k][reps / 2];
        }
    for (int k = 0; k < NREADERS; k++) {
        printf("| %s |", NAMES[k]);
        for (int s = 0; s < 2; s++)
            printf(" %.1f (%.1f..%.1f) | %.2f |", med[s][k], ns[s][k][0], ns[s][k][reps - 1],
                   med[s][k] / med[s][R_PCAP_DISPATCH]);
        printf("\n");
    }
    printf("\n%ld packets per file, %d repetitions, median; %s; libpkt %s\n", n, reps,
           pcap_lib_version(), pkt_version());
    return sink == 42 ? 3 : 0; /* keeps the touched bytes alive */
}
