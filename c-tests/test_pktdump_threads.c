/* pktdump --threads N: N handles in one fanout group, a thread and a file each.
 *
 *  1. --threads 2 (hash) -C 1 -Z nobody -c NF over NF UDP frames of 64 flows, sent from v1 in
 *     chunks that a libpkt handle of the test sees before the next: every frame is in exactly
 *     one file (FILE_0.pcap, FILE_0.pcap1, ..., FILE_1.pcap, ...), in order within a thread,
 *     each flow in one thread only; the records of each thread's files = its "captured" =
 *     its handle's "received by filter" (pkt_stats), and the sums are the closing lines;
 *     rotated files as -C 1 cuts them; the process runs as nobody once listening (its
 *     /proc status) with 3 threads, the files it opened after that belong to nobody; every
 *     file reads back with libpkt and tcpdump -r.
 *  2. --fanout lb: round robin, exactly half the packets each.
 *  3. No -c, --threads 3 -U: SIGINT stops all three threads; the files hold every packet.
 *  4. The refusals: --threads without -w FILE, with -w -, -r, --print; bad --threads and
 *     --fanout values; --fanout without --threads.
 *  5. Under load: --threads 2 (hash) -B 512 -U -Z nobody, NL small UDP frames of 64 flows sent
 *     as fast as a socket sends them, with nothing paced, pktdump stopped (SIGSTOP) for the
 *     middle half so that the small rings drop: for each
 *     thread, records in its file = its "captured" and captured + dropped = its "received by
 *     filter"; the sums are the closing lines and the received sum is the kernel's count (v0's
 *     rx_packets); no frame in two files, every frame not dropped in one; while it captures,
 *     /proc/PID/status shows the real, effective, saved and file uids and gids of nobody, no
 *     group 0 and no effective capability. */
#include "pktdump_harness.h"

#include <dirent.h>
#include <pwd.h>

#define NF 8000
#define FLOWS 64
#define LIMIT 1000000
#define PAYLOAD_OFF 42 /* Ethernet 14 + IPv4 20 + UDP 8 */
#define NL 200000         /* frames of the load run */
#define NL_PAYLOAD 18     /* marker, seq, padding: 60-byte frames */

static uint8_t g_frame[NF][800];
static uint32_t g_len[NF];

static void build_frames(void)
{
    uint8_t v0mac[6];
    mac_of("v0", v0mac);
    for (int i = 0; i < NF; i++) {
        size_t payload = 300 + (size_t)(i * 7919) % 450;
        g_len[i] = (uint32_t)pd_udp4_frame(g_frame[i], v0mac, 0, 30000 + (unsigned)(i % FLOWS),
                                           5001, payload);
        uint8_t *p = g_frame[i] + PAYLOAD_OFF;
        memcpy(p, MARKER, MARKER_LEN);
        pd_put32(p + MARKER_LEN, (uint32_t)i);
    }
}

static void send_paced(pkt_t *h, uint64_t *seen, int n)
{
    raw_tx_t tx = raw_tx_open("v1");
    for (int i = 0; i < n;) {
        int chunk = n - i < 500 ? n - i : 500;
        for (int j = 0; j < chunk; j++)
            raw_tx_send(&tx, g_frame[i + j], g_len[i + j]);
        i += chunk;
        *seen += (uint64_t)chunk;
        wait_recvs(h, *seen, 10000);
    }
    raw_tx_close(&tx);
}

/* "thread I: X packets captured, Y received by filter, Z dropped by kernel (NAME)" */
static void thread_line(const pd_proc_t *p, int i, unsigned long long *cap,
                        unsigned long long *rec, unsigned long long *drop)
{
    char key[32];
    snprintf(key, sizeof key, "thread %d: ", i);
    const char *at = strstr(pd_text(p, PD_ERR), key);
    if (at == NULL || sscanf(at + strlen(key),
                             "%llu packets captured, %llu received by filter, %llu dropped by "
                             "kernel",
                             cap, rec, drop) != 3) {
        pd_dump_output(p);
        FAIL("no line \"%s...\"", key);
    }
}

static int64_t file_size(const char *path)
{
    struct stat st;
    CHECKF(stat(path, &st) == 0, "stat %s: %s", path, strerror(errno));
    return (int64_t)st.st_size;
}

static uid_t file_owner(const char *path)
{
    struct stat st;
    CHECKF(stat(path, &st) == 0, "stat %s: %s", path, strerror(errno));
    return st.st_uid;
}

static int packet_lines(const char *text)
{
    int n = 0;
    bool start = true;
    for (const char *c = text; *c != '\0'; c++) {
        if (start)
            n += *c != '\t' && *c != ' ' && *c != '\n';
        start = *c == '\n';
    }
    return n;
}

/* Reads a file with libpkt (and tcpdump -r, which must count the same): appends the seqs. */
static int read_seqs(const char *path, int *seqs, int *n, int max)
{
    pkt_t *h = NULL;
    CHECKF(pkt_open_offline(path, NULL, &h) == 0, "pkt_open_offline %s: %s", path, pkt_errmsg());
    const uint8_t *d;
    pkt_info_t info;
    int rc, got = 0;
    while ((rc = pkt_read(h, 0, &d, &info)) > 0) {
        int64_t s = frame_seq(d, info.caplen, PAYLOAD_OFF);
        CHECKF(s >= 0 && s < NF, "%s: record %d is not a test frame", path, got);
        CHECK_BYTES(d, info.caplen, g_frame[s], g_len[s]);
        CHECKF(*n < max, "more than %d records", max);
        seqs[(*n)++] = (int)s;
        got++;
    }
    CHECKF(rc == -ENODATA, "%s: pkt_read: %d (%s)", path, rc, pkt_errmsg());
    pkt_close(h);
    int st;
    char *out = sh_output(&st, "tcpdump -nn -r '%s' 2>/dev/null", path);
    CHECKF(st == 0 && packet_lines(out) == got, "tcpdump -r %s: status %d, %d packets, libpkt %d",
           path, st, packet_lines(out), got);
    free(out);
    return got;
}

/* /proc/PID/status field "Uid:" (the real uid) and the number of threads */
static void proc_ids(pid_t pid, long *uid, int *threads)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    CHECKF(f != NULL, "open %s: %s", path, strerror(errno));
    char line[256];
    *uid = -1;
    *threads = -1;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "Uid:", 4) == 0)
            *uid = strtol(line + 4, NULL, 10);
        if (strncmp(line, "Threads:", 8) == 0)
            *threads = (int)strtol(line + 8, NULL, 10);
    }
    fclose(f);
}

/* A field of /proc/PID/status ("Uid", "CapEff", ...): its text after the tab, or "" */
static void proc_field(pid_t pid, const char *name, char *out, size_t len)
{
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    CHECKF(f != NULL, "open %s: %s", path, strerror(errno));
    size_t n = strlen(name);
    out[0] = '\0';
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, name, n) == 0 && line[n] == ':') {
            const char *v = line + n + 1;
            v += strspn(v, " \t");
            snprintf(out, len, "%.*s", (int)strcspn(v, "\n"), v);
            break;
        }
    fclose(f);
}

static uint64_t rx_packets(const char *ifname)
{
    char path[128];
    snprintf(path, sizeof path, "/sys/class/net/%s/statistics/rx_packets", ifname);
    FILE *f = fopen(path, "r");
    CHECKF(f != NULL, "open %s: %s", path, strerror(errno));
    unsigned long long v = 0;
    CHECKF(fscanf(f, "%llu", &v) == 1, "%s: no number", path);
    fclose(f);
    return v;
}

/* The load run's frame seq: UDP from port 30000 + seq % FLOWS, the marker and seq in front */
static size_t load_frame(uint8_t *f, const uint8_t dst[6], uint32_t seq)
{
    size_t n = pd_udp4_frame(f, dst, 0, 30000 + seq % FLOWS, 5001, NL_PAYLOAD);
    uint8_t *p = f + PAYLOAD_OFF;
    memset(p, 0, NL_PAYLOAD);
    memcpy(p, MARKER, MARKER_LEN);
    pd_put32(p + MARKER_LEN, seq);
    return n;
}

static int64_t file_size_or_0(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (int64_t)st.st_size : 0;
}

static void load_run(const char *dir)
{
    char base[256], files[2][300];
    snprintf(base, sizeof base, "%s/load.pcap", dir);
    for (int t = 0; t < 2; t++)
        snprintf(files[t], sizeof files[t], "%s/load_%d.pcap", dir, t);
    uint64_t rx0 = rx_packets("v0");
    pd_proc_t p = pd_start((const char *const[]){"-i", "v0", "--threads", "2", "-B", "512", "-U",
                                                 "-Z", "nobody", "-w", base, NULL});
    pd_wait_listening(&p);
    /* -Z: every id is nobody's, no group 0, no capability left (once both threads run) */
    char uid[128], gid[128], groups[256], capeff[64], threads[16];
    int64_t end = mono_ms() + 5000;
    do {
        proc_field(p.pid, "Threads", threads, sizeof threads);
        if (strcmp(threads, "3") == 0)
            break;
        sleep_ms(10);
    } while (mono_ms() < end);
    proc_field(p.pid, "Uid", uid, sizeof uid);
    proc_field(p.pid, "Gid", gid, sizeof gid);
    proc_field(p.pid, "Groups", groups, sizeof groups);
    proc_field(p.pid, "CapEff", capeff, sizeof capeff);
    struct passwd *pw = getpwnam("nobody");
    CHECKF(pw != NULL, "no user nobody");
    char want_uid[128], want_gid[128];
    snprintf(want_uid, sizeof want_uid, "%u\t%u\t%u\t%u", (unsigned)pw->pw_uid,
             (unsigned)pw->pw_uid, (unsigned)pw->pw_uid, (unsigned)pw->pw_uid);
    snprintf(want_gid, sizeof want_gid, "%u\t%u\t%u\t%u", (unsigned)pw->pw_gid,
             (unsigned)pw->pw_gid, (unsigned)pw->pw_gid, (unsigned)pw->pw_gid);
    CHECKF(strcmp(threads, "3") == 0, "pktdump --threads 2 runs %s threads", threads);
    CHECKF(strcmp(uid, want_uid) == 0, "-Z nobody: Uid: %s, want %s", uid, want_uid);
    CHECKF(strcmp(gid, want_gid) == 0, "-Z nobody: Gid: %s, want %s", gid, want_gid);
    char padded[260];
    snprintf(padded, sizeof padded, " %s ", groups);
    CHECKF(strstr(padded, " 0 ") == NULL, "-Z nobody: still in group 0 (Groups: %s)", groups);
    CHECKF(strspn(capeff, "0") == strlen(capeff) && capeff[0] != '\0',
           "-Z nobody: CapEff: %s", capeff);

    /* the load: NL frames back to back, no pacing; pktdump stopped (SIGSTOP) for the middle
     * half, so that both rings overflow and the counts must add up with drops in them */
    uint8_t v0mac[6], f[128];
    mac_of("v0", v0mac);
    raw_tx_t tx = raw_tx_open("v1");
    int64_t t0 = mono_ms();
    for (uint32_t i = 0; i < NL; i++) {
        if (i == NL / 4)
            CHECK(kill(p.pid, SIGSTOP) == 0);
        if (i == NL / 4 * 3)
            CHECK(kill(p.pid, SIGCONT) == 0);
        raw_tx_send(&tx, f, load_frame(f, v0mac, i));
    }
    int64_t sent_ms = mono_ms() - t0;
    raw_tx_close(&tx);
    /* -U: the files grow as the threads write; stop once they have not grown for 1 s (the
     * rings' blocks retire after 100 ms) */
    int64_t last = -1, since = mono_ms();
    end = mono_ms() + 30000;
    for (;;) {
        int64_t got = file_size_or_0(files[0]) + file_size_or_0(files[1]);
        if (got != last) {
            last = got;
            since = mono_ms();
        } else if (mono_ms() - since >= 1000) {
            break;
        }
        CHECKF(mono_ms() < end, "the files still grow 30 s after the load");
        sleep_ms(20);
    }
    uint64_t rx = rx_packets("v0") - rx0;
    CHECK(kill(p.pid, SIGINT) == 0);
    int rc = pd_finish(&p, 15000);
    if (rc != 0) {
        pd_dump_output(&p);
        FAIL("pktdump --threads 2 under load exited with %d", rc);
    }

    static uint8_t seen_in[NL];
    memset(seen_in, 0, sizeof seen_in);
    unsigned long long sum_cap = 0, sum_rec = 0, sum_drop = 0;
    uint64_t in_files = 0;
    for (int t = 0; t < 2; t++) {
        unsigned long long cap, rec, drop;
        thread_line(&p, t, &cap, &rec, &drop);
        CHECKF(cap + drop == rec, "thread %d: %llu captured + %llu dropped != %llu received", t,
               cap, drop, rec);
        CHECKF(cap > 0, "thread %d captured nothing: the hash did not spread 64 flows", t);
        pkt_t *h = NULL;
        CHECKF(pkt_open_offline(files[t], NULL, &h) == 0, "pkt_open_offline %s: %s", files[t],
               pkt_errmsg());
        const uint8_t *d;
        pkt_info_t info;
        uint64_t n = 0;
        while ((rc = pkt_read(h, 0, &d, &info)) > 0) {
            int64_t s = frame_seq(d, info.caplen, PAYLOAD_OFF);
            CHECKF(s >= 0 && s < NL, "%s: record %llu is not a frame of the load", files[t],
                   (unsigned long long)n);
            CHECKF(!seen_in[s], "frame %lld is in the files twice (again in thread %d's)",
                   (long long)s, t);
            seen_in[s] = 1;
            uint8_t want[128];
            size_t wl = load_frame(want, v0mac, (uint32_t)s);
            CHECK_BYTES(d, info.caplen, want, wl);
            n++;
        }
        CHECKF(rc == -ENODATA, "%s: pkt_read: %d (%s)", files[t], rc, pkt_errmsg());
        pkt_close(h);
        CHECKF(n == cap, "thread %d: %llu records in %s, %llu captured", t,
               (unsigned long long)n, files[t], cap);
        int st;
        char *out = sh_output(&st, "tcpdump -nn -r '%s' 2>/dev/null", files[t]);
        CHECKF(st == 0 && (uint64_t)packet_lines(out) == n,
               "tcpdump -r %s: status %d, %d packets, libpkt %llu", files[t], st,
               packet_lines(out), (unsigned long long)n);
        free(out);
        note("load: thread %d: %llu captured, %llu dropped, %llu received", t, cap, drop, rec);
        sum_cap += cap;
        sum_rec += rec;
        sum_drop += drop;
        in_files += n;
    }
    pd_check_closing(&p, sum_cap, (int64_t)sum_rec, sum_drop);
    CHECKF(sum_rec == rx, "received by filter %llu in all, the kernel's count (v0 rx_packets) %llu",
           sum_rec, (unsigned long long)rx);
    CHECKF(in_files + sum_drop == rx, "%llu in the files + %llu dropped != %llu delivered",
           (unsigned long long)in_files, sum_drop, (unsigned long long)rx);
    CHECKF(rx <= NL, "v0 received %llu frames, %d sent", (unsigned long long)rx, NL);
    CHECKF(sum_drop > 0, "no drops: the rings held %d frames sent while pktdump was stopped",
           NL / 2);
    note("load: %d frames sent in %lld ms, %llu delivered to v0, %llu in the files, %llu dropped",
         NL, (long long)sent_ms, (unsigned long long)rx, (unsigned long long)in_files, sum_drop);
    pd_free(&p);
}

static void hash_run(const char *dir, pkt_t *h, uint64_t *seen)
{
    char base[256], count[16];
    snprintf(base, sizeof base, "%s/t.pcap", dir);
    snprintf(count, sizeof count, "%d", NF);
    pd_proc_t p = pd_start((const char *const[]){"-i", "v0", "--threads", "2", "-B", "16384",
                                                 "-c", count, "-C", "1", "-Z", "nobody", "-w",
                                                 base, NULL});
    pd_wait_listening(&p);
    CHECKF(strstr(pd_text(&p, PD_ERR), "2 threads (fanout group ") != NULL, "stderr: %s",
           pd_text(&p, PD_ERR));
    /* privileges dropped before listening; the two capture threads follow at once */
    long uid;
    int threads;
    int64_t end = mono_ms() + 5000;
    do {
        proc_ids(p.pid, &uid, &threads);
        if (threads == 3)
            break;
        sleep_ms(10);
    } while (mono_ms() < end);
    CHECKF(uid == 65534 && threads == 3, "pktdump runs as uid %ld with %d threads", uid, threads);

    send_paced(h, seen, NF);
    int rc = pd_finish(&p, 30000);
    if (rc != 0) {
        pd_dump_output(&p);
        FAIL("pktdump --threads 2 exited with %d", rc);
    }
    pd_check_closing(&p, NF, NF, 0);

    static int seqs[NF + 1];
    static int owner[NF];
    for (int i = 0; i < NF; i++)
        owner[i] = -1;
    unsigned long long sum = 0;
    for (int t = 0; t < 2; t++) {
        unsigned long long cap, rec, drop;
        thread_line(&p, t, &cap, &rec, &drop);
        CHECKF(cap == rec && drop == 0 && cap > 0,
               "thread %d: %llu captured, %llu received, %llu dropped", t, cap, rec, drop);
        sum += cap;
        /* its files: t_T.pcap, t_T.pcap1, ... */
        int n = 0, files = 0;
        for (int k = 0;; k++) {
            char path[300];
            if (k == 0)
                snprintf(path, sizeof path, "%s/t_%d.pcap", dir, t);
            else
                snprintf(path, sizeof path, "%s/t_%d.pcap%d", dir, t, k);
            if (access(path, F_OK) != 0)
                break;
            files++;
            int before = n;
            read_seqs(path, seqs, &n, NF);
            int64_t sz = file_size(path);
            char next[300];
            snprintf(next, sizeof next, "%s/t_%d.pcap%d", dir, t, k + 1);
            if (access(next, F_OK) == 0) { /* rotated: past the limit by its last record */
                CHECKF(n > before && sz > LIMIT && sz - 16 - (int64_t)g_len[seqs[n - 1]] <= LIMIT,
                       "%s: %lld bytes: not where -C 1 rotates", path, (long long)sz);
            }
            /* opened after -Z: nobody's; the first one: root's */
            CHECKF(file_owner(path) == (k == 0 ? 0u : 65534u), "%s belongs to uid %u", path,
                   (unsigned)file_owner(path));
        }
        CHECKF(files >= 2, "thread %d wrote %d files: -C 1 did not rotate", t, files);
        CHECKF((unsigned long long)n == cap, "thread %d: %d records in its files, %llu captured", t,
               n, cap);
        for (int r = 0; r < n; r++) {
            CHECKF(r == 0 || seqs[r] > seqs[r - 1], "thread %d: frame %d after frame %d", t,
                   seqs[r], seqs[r - 1]);
            CHECKF(owner[seqs[r]] < 0, "frame %d in the files of threads %d and %d", seqs[r],
                   owner[seqs[r]], t);
            owner[seqs[r]] = t;
        }
        note("thread %d: %llu packets in %d files", t, cap, files);
    }
    CHECKF(sum == NF, "%llu captured in all, %d sent", sum, NF);
    for (int i = 0; i < NF; i++) {
        CHECKF(owner[i] >= 0, "frame %d is in no file", i);
        CHECKF(owner[i] == owner[i % FLOWS], "flow %d is in both threads (frames %d and %d)",
               i % FLOWS, i % FLOWS, i);
    }
    pd_free(&p);
}

static void lb_run(const char *dir, pkt_t *h, uint64_t *seen)
{
    char base[256];
    snprintf(base, sizeof base, "%s/lb", dir);
    pd_proc_t p = pd_start((const char *const[]){"-i", "v0", "--threads", "2", "--fanout", "lb",
                                                 "-c", "100", "-w", base, NULL});
    pd_wait_listening(&p);
    send_paced(h, seen, 100);
    int rc = pd_finish(&p, 15000);
    if (rc != 0) {
        pd_dump_output(&p);
        FAIL("pktdump --threads 2 --fanout lb exited with %d", rc);
    }
    pd_check_closing(&p, 100, 100, 0);
    static int seqs[NF];
    for (int t = 0; t < 2; t++) {
        unsigned long long cap, rec, drop;
        thread_line(&p, t, &cap, &rec, &drop);
        char path[300];
        snprintf(path, sizeof path, "%s/lb_%d", dir, t); /* no extension: the number at the end */
        int n = 0;
        read_seqs(path, seqs, &n, NF);
        CHECKF(cap == 50 && n == 50, "--fanout lb: thread %d captured %llu, its file holds %d", t,
               cap, n);
    }
    pd_free(&p);
}

/* No -c: SIGINT stops every thread; each file complete. */
static void signal_run(const char *dir, pkt_t *h, uint64_t *seen)
{
    char base[256];
    snprintf(base, sizeof base, "%s/s.pcap", dir);
    pd_proc_t p = pd_start((const char *const[]){"-i", "v0", "--threads", "3", "-U", "-w", base,
                                                 NULL});
    pd_wait_listening(&p);
    send_paced(h, seen, 30);
    /* -U: the files grow as the threads write; once they hold all 30, stop */
    int64_t want = 3 * 24, end = mono_ms() + 10000;
    for (int i = 0; i < 30; i++)
        want += 16 + g_len[i];
    for (;;) {
        int64_t got = 0;
        for (int t = 0; t < 3; t++) {
            char path[300];
            snprintf(path, sizeof path, "%s/s_%d.pcap", dir, t);
            got += file_size(path);
        }
        if (got == want)
            break;
        CHECKF(mono_ms() < end, "--threads 3 -U: the files hold %lld bytes after 10 s, want %lld",
               (long long)got, (long long)want);
        sleep_ms(10);
    }
    CHECK(kill(p.pid, SIGINT) == 0);
    int rc = pd_finish(&p, 15000);
    if (rc != 0) {
        pd_dump_output(&p);
        FAIL("pktdump --threads 3 after SIGINT exited with %d", rc);
    }
    pd_check_closing(&p, 30, 30, 0);
    static int seqs[NF];
    int n = 0;
    for (int t = 0; t < 3; t++) {
        char path[300];
        snprintf(path, sizeof path, "%s/s_%d.pcap", dir, t);
        read_seqs(path, seqs, &n, NF);
    }
    CHECKF(n == 30, "%d packets in the 3 files, 30 sent", n);
    pd_free(&p);
}

static void expect(int code, const char *want, const char *const *args)
{
    pd_proc_t p;
    int rc = pd_run(&p, args, 10000);
    if (rc != code || strstr(pd_text(&p, PD_ERR), want) == NULL) {
        pd_dump_output(&p);
        FAIL("%s %s ...: exit %d (want %d), looking for \"%s\"", args[0], args[1], rc, code,
             want);
    }
    pd_free(&p);
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

int main(void)
{
    test_init("pktdump_threads", 100);
    if (sh("command -v tcpdump >/dev/null 2>&1") != 0)
        FAIL("tcpdump is missing (scripts/test.sh tools installs it)");
    char dir[64];
    pd_tmpdir(dir, sizeof dir);
    CHECK(chmod(dir, 0777) == 0); /* -Z nobody creates the rotated files */
    build_frames();

    expect(2, "--threads N captures to files", ARGS("--threads", "2", "-i", "v0"));
    expect(2, "--threads N captures to files", ARGS("--threads", "2", "-w", "-"));
    expect(2, "--threads N captures to files", ARGS("--threads", "2", "-r", "x", "-w", "y"));
    expect(2, "--threads N captures to files",
           ARGS("--threads", "2", "-w", "/tmp/x", "--print"));
    expect(2, "bad --threads value '0'", ARGS("--threads", "0", "-w", "/tmp/x"));
    expect(2, "bad --threads value '65'", ARGS("--threads", "65", "-w", "/tmp/x"));
    expect(2, "bad --fanout value 'bogus'",
           ARGS("--threads", "2", "--fanout", "bogus", "-w", "/tmp/x"));
    expect(2, "--fanout goes with --threads", ARGS("--fanout", "lb", "-w", "/tmp/x"));

    pkt_config_t cfg = test_config();
    cfg.buffer_size = 16 << 20;
    pkt_t *h = open_ok("v0", &cfg);
    uint64_t seen = 0;
    hash_run(dir, h, &seen);
    lb_run(dir, h, &seen);
    signal_run(dir, h, &seen);
    pkt_close(h);
    load_run(dir);
    pd_rmdir(dir);
    return test_pass();
}
