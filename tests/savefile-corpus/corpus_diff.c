/* Reads savefiles with libpkt (pkt_open_offline + pkt_read) and with libpcap (pcap_open_offline
 * + pcap_next_ex, nanosecond precision: the oracle; this program links -lpcap, libpkt never
 * does) and compares: whether the open succeeds, the link type, every packet's time, lengths and
 * bytes, and how the file ends (cleanly or at a damaged record, after the same packets); times
 * as instants (libpcap leaves a damaged fraction of a second in tv_usec, libpkt carries it).
 * With
 * -m N it also reads N mutated copies of each file (bytes flipped, lengths changed, cut short;
 * fixed seed), where only libpkt's safety is checked: it ends, within bounds, no crash (run it
 * under a timeout and ASan for that).
 *
 *   corpus_diff [-m N] [-v] FILE...     exit 0: all agree; 1: some differ (listed); 2: usage
 *
 * Used by tests/savefile-corpus/run.sh, which builds it and feeds it a directory. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pkt.h"

/* A packet as read: its time as an instant in ns (libpcap leaves a fraction of a second or
 * more, from a damaged writer, in tv_usec, where libpkt carries it into the seconds: the same
 * instant), its lengths and a hash of its bytes. */
typedef struct rec {
    __int128 t;
    int64_t sec;
    int64_t frac;
    uint32_t caplen, len;
    uint64_t hash;
} rec_t;

typedef struct run {
    bool open_failed, failed;
    size_t n, cap;
    uint16_t dlt;
    rec_t *r;
    char why[256];
} run_t;

static uint64_t fnv(const uint8_t *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

static void push(run_t *r, int64_t sec, int64_t frac, uint32_t caplen, uint32_t len, const uint8_t *d)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 1024;
        r->r = realloc(r->r, r->cap * sizeof *r->r);
        if (!r->r) {
            perror("realloc");
            exit(2);
        }
    }
    r->r[r->n++] = (rec_t){(__int128)sec * 1000000000 + frac, sec, frac, caplen, len, fnv(d, caplen)};
}

static void read_pkt(const char *path, run_t *r)
{
    memset(r, 0, sizeof *r);
    pkt_t *h;
    int rc = pkt_open_offline(path, NULL, &h);
    if (rc < 0) {
        r->open_failed = true;
        snprintf(r->why, sizeof r->why, "%s", pkt_errmsg());
        return;
    }
    r->dlt = pkt_dlt(h);
    for (;;) {
        const uint8_t *d;
        pkt_info_t i;
        rc = pkt_read(h, 1, &d, &i);
        if (rc == -ENODATA)
            break;
        if (rc < 0) {
            r->failed = true;
            snprintf(r->why, sizeof r->why, "%s", pkt_errmsg());
            break;
        }
        push(r, i.sec, i.nsec, i.caplen, i.len, d ? d : (const uint8_t *)"");
    }
    pkt_close(h);
}

/* The LINKTYPE value in the file for libpcap's DLT (the inverse of its linktype_to_dlt() on
 * Linux): pkt_dlt() gives the file's value, pcap_datalink() the DLT, which differ for five. */
static uint16_t linktype_of(int dlt)
{
    switch (dlt) {
    case 11: return 100; /* ATM_RFC1483 */
    case 12: return 101; /* RAW */
    case 15: return 102; /* SLIP_BSDOS */
    case 16: return 103; /* PPP_BSDOS */
    case 19: return 106; /* ATM_CLIP */
    default: return (uint16_t)dlt;
    }
}

static void read_pcap(const char *path, run_t *r)
{
    memset(r, 0, sizeof *r);
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
    if (!p) {
        r->open_failed = true;
        snprintf(r->why, sizeof r->why, "%s", err);
        return;
    }
    r->dlt = linktype_of(pcap_datalink(p));
    for (;;) {
        struct pcap_pkthdr *hd;
        const u_char *d;
        int rc = pcap_next_ex(p, &hd, &d);
        if (rc == PCAP_ERROR_BREAK)
            break;
        if (rc < 0) {
            r->failed = true;
            snprintf(r->why, sizeof r->why, "%s", pcap_geterr(p));
            break;
        }
        push(r, hd->ts.tv_sec, hd->ts.tv_usec, hd->caplen, hd->len, d);
    }
    pcap_close(p);
}

/* libpcap 1.10 stops at a pcapng interface whose link type or snap length differs from the
 * first one's ("an interface has a type ... different from the type of the first interface");
 * libpkt reads such files (several interfaces of different link types are part of pcapng). True
 * when that is the only difference: libpcap's packets are a prefix of libpkt's. */
static bool reads_further(const run_t *a, const run_t *b)
{
    if (a->open_failed || b->open_failed || !b->failed || !strstr(b->why, "different from the") ||
        a->n < b->n)
        return false;
    for (size_t k = 0; k < b->n; k++)
        if (a->r[k].t != b->r[k].t || a->r[k].caplen != b->r[k].caplen || a->r[k].len != b->r[k].len ||
            a->r[k].hash != b->r[k].hash)
            return false;
    return true;
}

/* Why two runs differ, or NULL. */
static const char *differ(const run_t *a, const run_t *b, size_t *at)
{
    *at = 0;
    if (a->open_failed != b->open_failed)
        return "one opens the file, the other does not";
    if (a->open_failed)
        return NULL;
    if (a->dlt != b->dlt)
        return "link types differ";
    size_t n = a->n < b->n ? a->n : b->n;
    for (size_t k = 0; k < n; k++) {
        const rec_t *x = &a->r[k], *y = &b->r[k];
        *at = k;
        if (x->t != y->t)
            return "timestamps differ";
        if (x->caplen != y->caplen || x->len != y->len)
            return "lengths differ";
        if (x->hash != y->hash)
            return "bytes differ";
    }
    *at = n;
    if (a->n != b->n)
        return "packet counts differ";
    if (a->failed != b->failed)
        return "one ends at a damaged record, the other cleanly";
    return NULL;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Reads a mutated copy of `buf` with libpkt only: it must end (the caller's timeout) without
 * a crash; returns the packets read. */
static size_t mutate_once(const uint8_t *buf, size_t len, const char *tmp)
{
    uint8_t *m = malloc(len ? len : 1);
    memcpy(m, buf, len);
    size_t mlen = len;
    int kind = (int)(next() % 4);
    int edits = 1 + (int)(next() % 8);
    for (int e = 0; e < edits && mlen > 0; e++) {
        size_t off = next() % mlen;
        switch (kind) {
        case 0: m[off] ^= (uint8_t)(1u << (next() % 8)); break;                  /* bit flip */
        case 1: m[off] = (uint8_t)next(); break;                                  /* byte */
        case 2: {                                                                 /* a length */
            static const uint32_t v[] = {0, 1, 2, 12, 0x7fffffff, 0x80000000, 0xffffffff, 0x10000};
            uint32_t x = v[next() % 8];
            size_t o = off & ~(size_t)3;
            if (o + 4 <= mlen)
                memcpy(m + o, &x, 4);
            break;
        }
        default: mlen = off; break;                                               /* cut */
        }
    }
    FILE *f = fopen(tmp, "wb");
    if (!f || fwrite(m, 1, mlen, f) != mlen || fclose(f) != 0) {
        perror(tmp);
        exit(2);
    }
    free(m);
    run_t r;
    read_pkt(tmp, &r);
    free(r.r);
    return r.n;
}

int main(int argc, char **argv)
{
    int mutations = 0, verbose = 0, opt;
    while ((opt = getopt(argc, argv, "m:v")) != -1) {
        if (opt == 'm')
            mutations = atoi(optarg);
        else if (opt == 'v')
            verbose = 1;
        else
            return 2;
    }
    if (optind >= argc) {
        fprintf(stderr, "usage: corpus_diff [-m N] [-v] FILE...\n");
        return 2;
    }
    char tmp[] = "/tmp/corpus_diff.XXXXXX";
    int fd = mkstemp(tmp);
    if (fd < 0) {
        perror("mkstemp");
        return 2;
    }
    close(fd);
    int files = 0, agree = 0, both_refuse = 0, bad = 0, further = 0;
    long mutated = 0;
    for (int k = optind; k < argc; k++) {
        run_t a, b;
        read_pkt(argv[k], &a);
        read_pcap(argv[k], &b);
        files++;
        size_t at;
        const char *why = differ(&a, &b, &at);
        if (why && reads_further(&a, &b)) {
            further++;
            if (verbose)
                printf("further %s: libpkt %zu packets, libpcap %zu then '%s'\n", argv[k], a.n, b.n, b.why);
        } else if (why) {
            bad++;
            printf("DIFFER %s: %s at packet %zu (libpkt: %zu packets%s%s; libpcap: %zu%s%s)\n", argv[k],
                   why, at, a.n, a.open_failed || a.failed ? ", " : "", a.why, b.n,
                   b.open_failed || b.failed ? ", " : "", b.why);
            if (!a.open_failed && !b.open_failed)
                printf("    link types: libpkt %u, libpcap %u\n", a.dlt, b.dlt);
            if (at < a.n && at < b.n)
                printf("    packet %zu: libpkt %" PRId64 " s + %" PRId64 " ns %u/%u, libpcap %" PRId64 " s + %" PRId64
                       " ns %u/%u\n",
                       at, a.r[at].sec, a.r[at].frac, a.r[at].caplen, a.r[at].len, b.r[at].sec, b.r[at].frac,
                       b.r[at].caplen, b.r[at].len);
        } else {
            agree++;
            both_refuse += a.open_failed;
            if (verbose)
                printf("same %s: %zu packets%s%s\n", argv[k], a.n, a.failed || a.open_failed ? ", both: " : "",
                       a.why);
        }
        free(a.r);
        free(b.r);
        if (mutations > 0) {
            FILE *f = fopen(argv[k], "rb");
            struct stat st;
            if (f && fstat(fileno(f), &st) == 0 && st.st_size > 0 && st.st_size < (64 << 20)) {
                uint8_t *buf = malloc((size_t)st.st_size);
                if (buf && fread(buf, 1, (size_t)st.st_size, f) == (size_t)st.st_size)
                    for (int i = 0; i < mutations; i++, mutated++)
                        mutate_once(buf, (size_t)st.st_size, tmp);
                free(buf);
            }
            if (f)
                fclose(f);
        }
    }
    unlink(tmp);
    printf("corpus_diff: %d files: %d read the same by libpkt and libpcap (%d refused by both), %d read further by"
           " libpkt (pcapng interfaces of different link types or snap lengths, which libpcap 1.10 refuses), %d differ;"
           " %ld mutated copies read by libpkt without a crash\n",
           files, agree, both_refuse, further, bad, mutated);
    return bad ? 1 : 0;
}
