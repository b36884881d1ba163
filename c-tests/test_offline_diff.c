/* libpkt's savefile reader against libpcap's, libpcap being the oracle (this test program links
 * -lpcap; libpkt never does). The files: captures of a bounded burst on this namespace's veth
 * pair (bursts from v1 to v0, for at most 10 s) by tcpdump -w (microseconds and nanoseconds) and
 * dumpcap -w (pcapng, both interfaces, 3 s),
 * and the files c-tests/gen_savefiles.py writes (both byte orders, odd if_tsresol, offsets,
 * several sections and interfaces, every packet block, old pcap versions, Kuznetzov's format).
 * Each reads identically with pkt_read and with pcap_next_ex at nanosecond precision: the same
 * packets, bytes, lengths and times, the same link type, the same end; and so do copies cut at
 * hundreds of offsets (every one of the first 400 bytes): the same packets, then both fail at
 * the same record (or both end cleanly at a boundary, or both refuse the open). Files only
 * libpkt reads (sections of both byte orders, interfaces of two link types) read to their end
 * with libpkt, libpcap's packets being a prefix of them. A few files also go through a pipe
 * (pkt_open_offline_fd), with the same result. */
#include "common.h"

#include <pcap/pcap.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAXPKT 20000
#define BURST 300

typedef struct rec {
    int64_t sec;
    uint32_t nsec, caplen, len;
    uint64_t hash;
} rec_t;

typedef struct run {
    bool open_failed;
    bool failed; /* ended with an error (not the end of the file) */
    int n;
    uint16_t dlt;
    rec_t r[MAXPKT];
    char why[256];
} run_t;

static uint64_t fnv(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h ^ n;
}

/* ---- the two readers ---- */

static void read_pcap(pcap_t *p, run_t *out)
{
    out->dlt = (uint16_t)pcap_datalink(p);
    if (out->dlt == 12) /* DLT_RAW on Linux: what files call LINKTYPE_RAW, 101 */
        out->dlt = 101;
    for (;;) {
        struct pcap_pkthdr *h;
        const u_char *d;
        int rc = pcap_next_ex(p, &h, &d);
        if (rc == PCAP_ERROR_BREAK)
            break;
        if (rc != 1) {
            out->failed = true;
            snprintf(out->why, sizeof out->why, "%s", pcap_geterr(p));
            break;
        }
        CHECKF(out->n < MAXPKT, "more than %d packets", MAXPKT);
        rec_t *r = &out->r[out->n++];
        r->sec = (int64_t)h->ts.tv_sec;
        r->nsec = (uint32_t)h->ts.tv_usec;
        r->caplen = h->caplen;
        /* libpkt reports len >= caplen; libpcap passes a smaller one through. */
        r->len = h->len > h->caplen ? h->len : h->caplen;
        r->hash = fnv(d, h->caplen);
    }
}

static void libpcap_file(const char *path, run_t *out)
{
    memset(out, 0, sizeof *out);
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
    if (p == NULL) {
        out->open_failed = true;
        snprintf(out->why, sizeof out->why, "%s", err);
        return;
    }
    read_pcap(p, out);
    pcap_close(p);
}

static void libpcap_mem(const uint8_t *buf, size_t n, run_t *out)
{
    memset(out, 0, sizeof *out);
    char err[PCAP_ERRBUF_SIZE];
    /* fmemopen refuses a size of 0: an empty file is the same as /dev/null. */
    FILE *f = n ? fmemopen((void *)buf, n, "rb") : fopen("/dev/null", "rb");
    CHECK(f != NULL);
    pcap_t *p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, err);
    if (p == NULL) {
        fclose(f);
        out->open_failed = true;
        snprintf(out->why, sizeof out->why, "%s", err);
        return;
    }
    read_pcap(p, out);
    pcap_close(p);
}

static void read_pkt(pkt_t *h, run_t *out)
{
    out->dlt = pkt_dlt(h);
    for (;;) {
        const uint8_t *d;
        pkt_info_t i;
        int rc = pkt_read(h, 1, &d, &i);
        if (rc == -ENODATA)
            break;
        if (rc < 0) {
            CHECKF(rc == -EBADMSG, "pkt_read: %d %s", rc, pkt_errmsg());
            out->failed = true;
            snprintf(out->why, sizeof out->why, "%s", pkt_errmsg());
            break;
        }
        /* A record of 0 bytes is 0 with data set; a nil read (none here: no filter) NULL. */
        CHECKF(d != NULL, "pkt_read: %d with NULL data", rc);
        CHECKF(out->n < MAXPKT, "more than %d packets", MAXPKT);
        rec_t *r = &out->r[out->n++];
        r->sec = i.sec;
        r->nsec = i.nsec;
        r->caplen = i.caplen;
        r->len = i.len;
        r->hash = fnv(d, i.caplen);
    }
}

static void libpkt_open(int rc, pkt_t *h, run_t *out)
{
    if (rc != 0) {
        CHECKF(rc == -EBADMSG, "open: %d %s", rc, pkt_errmsg());
        out->open_failed = true;
        snprintf(out->why, sizeof out->why, "%s", pkt_errmsg());
        return;
    }
    read_pkt(h, out);
    CHECK_RC(pkt_close(h), 0);
}

static void libpkt_file(const char *path, run_t *out)
{
    memset(out, 0, sizeof *out);
    pkt_t *h = NULL;
    int rc = pkt_open_offline(path, NULL, &h);
    libpkt_open(rc, h, out);
}

/* From a memfd (a regular file: mapped) holding the first n bytes of the file. */
static void libpkt_memfd(int mfd, run_t *out)
{
    memset(out, 0, sizeof *out);
    CHECK(lseek(mfd, 0, SEEK_SET) == 0);
    pkt_t *h = NULL;
    int rc = pkt_open_offline_fd(mfd, NULL, &h);
    libpkt_open(rc, h, out);
}

typedef struct feed {
    int fd;
    const uint8_t *buf;
    size_t n;
} feed_t;

static void *feed_main(void *arg)
{
    feed_t *f = arg;
    for (size_t off = 0; off < f->n;) {
        size_t k = f->n - off < 1001 ? f->n - off : 1001;
        ssize_t w = write(f->fd, f->buf + off, k);
        if (w <= 0)
            break; /* the reader gave up (it refused the file) */
        off += (size_t)w;
    }
    close(f->fd);
    return NULL;
}

static void libpkt_pipe(const uint8_t *buf, size_t n, run_t *out)
{
    memset(out, 0, sizeof *out);
    int p[2];
    CHECK(pipe(p) == 0);
    feed_t f = {p[1], buf, n};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, feed_main, &f) == 0);
    pkt_t *h = NULL;
    int rc = pkt_open_offline_fd(p[0], NULL, &h);
    libpkt_open(rc, h, out);
    close(p[0]); /* the handle read through its own duplicate */
    pthread_join(t, NULL);
}

/* ---- comparing ---- */

static bool rec_eq(const rec_t *x, const rec_t *y)
{
    return x->sec == y->sec && x->nsec == y->nsec && x->caplen == y->caplen && x->len == y->len &&
           x->hash == y->hash;
}

static void same(const char *what, const run_t *a, const run_t *b)
{
    CHECKF(a->open_failed == b->open_failed, "%s: open: libpcap %s (%s), libpkt %s (%s)", what,
           a->open_failed ? "failed" : "ok", a->why, b->open_failed ? "failed" : "ok", b->why);
    if (a->open_failed)
        return;
    CHECKF(a->dlt == b->dlt, "%s: link type: libpcap %u, libpkt %u", what, a->dlt, b->dlt);
    CHECKF(a->n == b->n && a->failed == b->failed,
           "%s: libpcap %d packets then %s (%s); libpkt %d then %s (%s)", what, a->n,
           a->failed ? "an error" : "the end", a->why, b->n, b->failed ? "an error" : "the end",
           b->why);
    for (int i = 0; i < a->n; i++) {
        const rec_t *x = &a->r[i], *y = &b->r[i];
        CHECKF(rec_eq(x, y),
               "%s: packet %d: libpcap %lld.%09u caplen %u len %u bytes %016llx; libpkt "
               "%lld.%09u caplen %u len %u bytes %016llx",
               what, i, (long long)x->sec, x->nsec, x->caplen, x->len, (unsigned long long)x->hash,
               (long long)y->sec, y->nsec, y->caplen, y->len, (unsigned long long)y->hash);
    }
}

static run_t A, B, C;

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    CHECKF(f != NULL, "open %s: %s", path, strerror(errno));
    struct stat st;
    CHECK(fstat(fileno(f), &st) == 0);
    *n = (size_t)st.st_size;
    uint8_t *b = malloc(*n ? *n : 1);
    CHECK(b != NULL && fread(b, 1, *n, f) == *n);
    fclose(f);
    return b;
}

static long cuts_total;

/* The whole file, then copies cut at many offsets (largest first: the memfd only shrinks). */
static void compare_file(const char *path, const char *name, bool with_pipe)
{
    libpcap_file(path, &A);
    libpkt_file(path, &B);
    same(name, &A, &B);
    CHECKF(!A.open_failed && !A.failed, "%s: libpcap: %s", name, A.why);
    size_t n;
    uint8_t *buf = slurp(path, &n);
    if (with_pipe) {
        libpkt_pipe(buf, n, &C);
        same(name, &A, &C);
    }
    int mfd = memfd_create("cut", MFD_CLOEXEC);
    CHECK(mfd >= 0);
    CHECK(write(mfd, buf, n) == (ssize_t)n);
    size_t step = n / 150 + 1;
    char what[200];
    for (size_t cut = n; cut-- > 0;) {
        if (cut >= 400 && cut % step != 0)
            continue;
        CHECK(ftruncate(mfd, (off_t)cut) == 0);
        libpcap_mem(buf, cut, &A);
        libpkt_memfd(mfd, &B);
        snprintf(what, sizeof what, "%s cut at %zu of %zu", name, cut, n);
        same(what, &A, &B);
        cuts_total++;
    }
    close(mfd);
    free(buf);
}

/* ---- captures by the tools ---- */

static bool have(const char *tool)
{
    return sh("command -v %s >/dev/null 2>&1", tool) == 0;
}

static void need(const char *tool)
{
    if (have(tool))
        return;
    if (getenv("CI") && strcmp(getenv("CI"), "true") == 0)
        FAIL("%s is missing (CI=true: scripts/test.sh tools installs it)", tool);
    note("%s is missing: its files are not compared", tool);
}

/* Runs a capture command in the background, waits for its "listening"/"Capturing" line, then
 * sends bursts of 20 frames from v1 to v0, 50 ms apart, until it exits (it stops by itself: a
 * packet count or a duration), for at most 10 s. */
static void capture(const char *cmd, const char *ready)
{
    const char *log = tmp_path("capture.log");
    sh_ok("rm -f '%s'; (%s) >'%s' 2>&1 & echo $! > '%s.pid'", log, cmd, log, log);
    int64_t until = mono_ms() + 10000;
    while (sh("grep -q '%s' '%s'", ready, log) != 0) {
        CHECKF(mono_ms() < until, "capture did not start: %s", cmd);
        sleep_ms(20);
    }
    raw_tx_t tx = raw_tx_open("v1");
    uint8_t v0mac[6];
    mac_of("v0", v0mac);
    bool done = false;
    uint32_t seq = 0;
    until = mono_ms() + 10000;
    while (!done && mono_ms() < until) {
        for (int i = 0; i < 20; i++, seq++)
            raw_tx_send_seq(&tx, (seq % 5) ? v0mac : MAC_BROADCAST, TEST_ETHERTYPE, seq,
                            60 + (seq * 97) % 1455);
        sleep_ms(50);
        done = sh("kill -0 $(cat '%s.pid') 2>/dev/null", log) != 0;
    }
    raw_tx_close(&tx);
    if (!done) {
        sh("kill -INT $(cat '%s.pid') 2>/dev/null; sleep 1", log);
        note("capture did not stop by itself: %s", cmd);
    }
    sh("cat '%s' >&2", log);
}

int main(void)
{
    test_init("test_offline_diff", 400);
    note("oracle: %s", pcap_lib_version());

    /* The generator's files. */
    char script[512];
    snprintf(script, sizeof script, "%s", __FILE__);
    char *slash = strrchr(script, '/');
    CHECK(slash != NULL);
    snprintf(slash + 1, sizeof script - (size_t)(slash + 1 - script), "gen_savefiles.py");
    need("python3");
    int files = 0;
    if (have("python3")) {
        const char *dir = tmp_path("gen");
        int st;
        char *list = sh_output(&st, "python3 '%s' '%s' 7", script, dir);
        CHECKF(st == 0, "gen_savefiles.py failed: %s", list);
        char *lines[200];
        int nl = split_lines(list, lines, 200);
        CHECK(nl > 40);
        for (int i = 0; i < nl; i++) {
            char name[128], who[16];
            CHECK(sscanf(lines[i], "%127s %15s", name, who) == 2);
            char path[512];
            snprintf(path, sizeof path, "%s/%s", dir, name);
            if (strcmp(who, "both") == 0) {
                compare_file(path, name, i % 7 == 0);
            } else {
                /* libpcap stops (or refuses), libpkt reads on to the end. */
                libpcap_file(path, &A);
                libpkt_file(path, &B);
                CHECKF(!B.open_failed && !B.failed && B.n > 0, "%s: libpkt: %s", name, B.why);
                CHECKF(A.open_failed || A.failed, "%s: libpcap read it all", name);
                CHECK(A.n <= B.n);
                for (int k = 0; k < A.n; k++)
                    CHECKF(rec_eq(&A.r[k], &B.r[k]), "%s: packet %d differs", name, k);
            }
            files++;
        }
        free(list);
    }

    /* Captures. */
    need("tcpdump");
    need("dumpcap");
    if (have("tcpdump")) {
        char cmd[512];
        snprintf(cmd, sizeof cmd, "exec tcpdump -i v0 -U -c %d -w '%s'", BURST, tmp_path("td.pcap"));
        capture(cmd, "listening on");
        compare_file(tmp_path("td.pcap"), "tcpdump -w", true);
        snprintf(cmd, sizeof cmd, "exec tcpdump -i v0 -U -c %d --time-stamp-precision=nano -w '%s'",
                 BURST, tmp_path("td_ns.pcap"));
        capture(cmd, "listening on");
        compare_file(tmp_path("td_ns.pcap"), "tcpdump -w, nanoseconds", false);
        files += 2;
    }
    if (have("dumpcap")) {
        char cmd[512];
        snprintf(cmd, sizeof cmd, "exec dumpcap -i v0 -i v1 -a duration:3 -w '%s'",
                 tmp_path("dc.pcapng"));
        capture(cmd, "Capturing on");
        compare_file(tmp_path("dc.pcapng"), "dumpcap -w (pcapng, two interfaces)", true);
        /* Both interfaces show up, as interfaces 0 and 1. */
        pkt_t *h = NULL;
        CHECK_RC(pkt_open_offline(tmp_path("dc.pcapng"), NULL, &h), 0);
        bool seen[2] = {false, false};
        const uint8_t *d;
        pkt_info_t i;
        while (pkt_read(h, 1, &d, &i) > 0) {
            CHECK(i.ifindex == 0 || i.ifindex == 1);
            CHECK(i.linktype == PKT_DLT_EN10MB);
            seen[i.ifindex] = true;
        }
        CHECK(seen[0] && seen[1]);
        uint16_t dlt;
        CHECK_RC(pkt_offline_iface(h, 1, &dlt, NULL), 0);
        CHECK_RC(pkt_close(h), 0);
        files++;
    }
    note("%d files and %ld cut copies read identically", files, cuts_total);
    return test_pass();
}
