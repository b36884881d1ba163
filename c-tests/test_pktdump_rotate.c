/* pktdump's savefile rotation, -C SIZE, -G SECONDS, -W COUNT and -z COMMAND, against tcpdump
 * 4.99.3 (the system's tcpdump, the oracle) run beside it with the same flags on the same
 * packets. tcpdump gets -Z root: Debian's drops to the user tcpdump, which cannot write the
 * test's directory.
 *
 *  1. Offline (-r): a file of NBIG frames of varied sizes, written by libpkt, split with -r -w
 *     -C 1 -W 2 -z: the same file names as tcpdump's, each file byte for byte tcpdump's, the
 *     split where the rule says (a file rotates before a packet once it holds more than
 *     1000000 bytes), -z once per rotated file, with its name.
 *  2. Live, -C 1 and -C 1 -W 3 -z, on v0 while the test sends NBIG frames from v1 (paced: each
 *     chunk is seen by a libpkt handle of the test before the next is sent): the names, the
 *     sizes, the records per file are tcpdump's and the rule's; the -C files hold every packet
 *     once and in order; every file reads back with libpkt and with tcpdump -r.
 *  3. -W and -z without -C or -G, and -C without -w, do nothing (as tcpdump).
 *  4. -G 1 (strftime names with %s), -G 1 -W 2 (stops after 2 files: "Maximum file limit
 *     reached: 2", and the packet that found the limit counts as captured, as in tcpdump),
 *     -G 1 -C 1 -W 5 (names FILE0), over NSLOW frames sent one every 100 ms: what does not
 *     depend on the timing (every packet in exactly one file, in order; a file named after the
 *     second it was opened in, its packets stamped within a second of it; -z for
 *     every file but the last), for pktdump and for tcpdump alike.
 *  5. The bad values: tcpdump's message (with "pktdump:") and exit status 1; -C or -G with
 *     -w - is refused (exit 2). */
#include "pktdump_harness.h"

#include <dirent.h>

#define NBIG 4500 /* frames of the size phases, 64 to 1514 bytes: about 3.6 MB */
#define NSLOW 32  /* frames of the -G phase, one every 100 ms */
#define LIMIT 1000000
#define MAXF 16

static void need_tool(const char *tool)
{
    if (sh("command -v %s >/dev/null 2>&1", tool) != 0)
        FAIL("%s is missing (scripts/test.sh tools installs it)", tool);
}

static uint8_t *g_frame[NBIG];
static uint32_t g_flen[NBIG];

static void build_frames(void)
{
    uint8_t v0mac[6];
    mac_of("v0", v0mac);
    uint32_t x = 12345;
    for (int i = 0; i < NBIG; i++) {
        x = x * 1103515245u + 12345u;
        g_flen[i] = 64 + (x >> 8) % (1514 - 64 + 1);
        g_frame[i] = malloc(g_flen[i]);
        CHECK(g_frame[i] != NULL);
        frame_build(g_frame[i], g_flen[i], v0mac, MAC_SRC_TEST, TEST_ETHERTYPE, (uint32_t)i);
    }
}

/* tcpdump's -C rule over frames first..first+n: before each packet, a file holding more than
 * LIMIT bytes is closed. Fills start[] (the first frame of each file); returns the file count. */
static int model_split(int n, int *start)
{
    int files = 1;
    int64_t size = 24;
    start[0] = 0;
    for (int i = 0; i < n; i++) {
        if (size > LIMIT) {
            CHECK(files < MAXF);
            start[files++] = i;
            size = 24;
        }
        size += 16 + g_flen[i];
    }
    start[files] = n;
    return files;
}

/* ---- files ---- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir starting with prefix, sorted; returns the count. */
static int list_files(const char *dir, const char *prefix, char **names, int max)
{
    DIR *d = opendir(dir);
    CHECKF(d != NULL, "opendir %s: %s", dir, strerror(errno));
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
            continue;
        CHECKF(n < max, "more than %d files %s* in %s", max, prefix, dir);
        names[n] = strdup(e->d_name);
        CHECK(names[n] != NULL);
        n++;
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    return n;
}

static void free_names(char **names, int n)
{
    for (int i = 0; i < n; i++)
        free(names[i]);
}

static void check_names(const char *what, char **got, int ngot, const char *const *want,
                        int nwant)
{
    bool same = ngot == nwant;
    for (int i = 0; same && i < ngot; i++)
        same = strcmp(got[i], want[i]) == 0;
    if (!same) {
        for (int i = 0; i < ngot; i++)
            fprintf(stderr, "  got:  %s\n", got[i]);
        for (int i = 0; i < nwant; i++)
            fprintf(stderr, "  want: %s\n", want[i]);
        FAIL("%s: the files differ from what is expected", what);
    }
}

static int64_t file_size(const char *path)
{
    struct stat st;
    CHECKF(stat(path, &st) == 0, "stat %s: %s", path, strerror(errno));
    return (int64_t)st.st_size;
}

/* Lines of printed packets: the hex dump of the unknown ethertype that follows is indented. */
static int packet_lines(const char *text)
{
    int n = 0;
    bool start = true; /* (one pass: no strchr, which ASan's strict_string_checks makes O(n^2)) */
    for (const char *c = text; *c != '\0'; c++) {
        if (start)
            n += *c != '\t' && *c != ' ' && *c != '\n';
        start = *c == '\n';
    }
    return n;
}

/* The records of a savefile, read with libpkt: seq[i] (the frame's number, checked byte for
 * byte against what was sent) and ts_sec[i]; returns the count. Also reads it with tcpdump -r,
 * which must read the same count and say nothing but "reading from file". */
static int read_file(const char *path, int *seq, int64_t *ts_sec, int max)
{
    pkt_t *h = NULL;
    int rc = pkt_open_offline(path, NULL, &h);
    CHECKF(rc == 0, "pkt_open_offline %s: %s", path, pkt_errmsg());
    const uint8_t *d;
    pkt_info_t info;
    int n = 0;
    while ((rc = pkt_read(h, 0, &d, &info)) > 0) {
        CHECKF(n < max, "%s: more than %d records", path, max);
        int64_t s = frame_seq(d, info.caplen, 14);
        CHECKF(s >= 0 && s < NBIG, "%s: record %d is not a test frame", path, n);
        CHECKF(info.caplen == g_flen[s] && info.len == g_flen[s],
               "%s: record %d (frame %lld): caplen %u len %u, sent %u", path, n, (long long)s,
               info.caplen, info.len, g_flen[s]);
        CHECK_BYTES(d, info.caplen, g_frame[s], g_flen[s]);
        seq[n] = (int)s;
        if (ts_sec != NULL)
            ts_sec[n] = info.sec;
        n++;
    }
    CHECKF(rc == -ENODATA, "%s: pkt_read after %d records: %d (%s)", path, n, rc, pkt_errmsg());
    pkt_close(h);

    const char *err = tmp_path("tcpdump-r.err");
    int st;
    char *out = sh_output(&st, "tcpdump -nn -r '%s' 2>'%s'", path, err);
    char *etext = sh_output(&st, "cat '%s'", err);
    int lines = packet_lines(out);
    bool ok_err = strncmp(etext, "reading from file ", 18) == 0 && pd_lines(etext) == 1;
    if (lines != n || !ok_err) {
        fprintf(stderr, "---- tcpdump -r %s: stderr:\n%s----\n", path, etext);
        FAIL("tcpdump -r %s read %d packets, libpkt %d", path, lines, n);
    }
    free(out);
    free(etext);
    return n;
}

/* The file holds frames first..last-1 of those sent, in order. */
static void check_span(const char *path, int first, int last)
{
    static int seq[NBIG];
    int n = read_file(path, seq, NULL, NBIG);
    CHECKF(n == last - first, "%s: %d records, want %d (frames %d..%d)", path, n, last - first,
           first, last - 1);
    for (int i = 0; i < n; i++)
        CHECKF(seq[i] == first + i, "%s: record %d is frame %d, want %d", path, i, seq[i],
               first + i);
}

/* A rotated file ends past the limit, and was within it before its last record. */
static void check_rotated_size(const char *path, int last_frame)
{
    int64_t sz = file_size(path);
    CHECKF(sz > LIMIT && sz - 16 - g_flen[last_frame] <= LIMIT,
           "%s: %lld bytes, the last record %u: not where -C 1 rotates", path, (long long)sz,
           16 + g_flen[last_frame]);
}

static char *slurp(const char *path)
{
    int st;
    return sh_output(&st, "cat '%s' 2>/dev/null", path);
}

/* A -z script that appends its argument to log. */
static void make_script(const char *script, const char *log)
{
    char text[600];
    snprintf(text, sizeof text, "#!/bin/sh\necho \"$1\" >>'%s'\n", log);
    pd_write_file(script, text);
    CHECK(chmod(script, 0755) == 0);
}

/* Waits (bounded) until log holds n lines; returns its text sorted (malloc'd). */
static char *wait_log(const char *log, int n)
{
    int64_t end = mono_ms() + 15000;
    for (;;) {
        char *t = slurp(log);
        int l = pd_lines(t);
        free(t);
        if (l >= n)
            break;
        CHECKF(mono_ms() < end, "%s: %d lines after 15 s, want %d (the -z command)", log, l, n);
        sleep_ms(20);
    }
    int st;
    return sh_output(&st, "sort '%s'", log);
}

/* ---- tcpdump beside pktdump ---- */

typedef struct oracle {
    char err[300], rc[310], pid[310], what[400];
} oracle_t;

/* The tcpdumps started; a failing test still stops those running (timeout 60 would, later). */
static oracle_t g_oracles[8];
static int g_noracles;

static void kill_oracles(void)
{
    for (int i = 0; i < g_noracles; i++) {
        const oracle_t *o = &g_oracles[i];
        if (access(o->rc, F_OK) == 0)
            continue;
        FILE *f = fopen(o->pid, "r");
        long pid = 0;
        if (f != NULL) {
            if (fscanf(f, "%ld", &pid) != 1)
                pid = 0;
            fclose(f);
        }
        if (pid > 0)
            kill((pid_t)pid, SIGTERM); /* timeout(1), which passes it on to tcpdump */
    }
}

/* Starts `timeout 60 tcpdump ARGS` in the background, its stderr in the file tag. */
static oracle_t *oracle_start(const char *tag, const char *args)
{
    if (g_noracles == 0)
        atexit(kill_oracles);
    CHECK(g_noracles < (int)(sizeof g_oracles / sizeof g_oracles[0]));
    oracle_t *o = &g_oracles[g_noracles++];
    const char *err = tmp_path(tag);
    snprintf(o->err, sizeof o->err, "%s", err);
    snprintf(o->rc, sizeof o->rc, "%s.rc", err);
    snprintf(o->pid, sizeof o->pid, "%s.pid", err);
    snprintf(o->what, sizeof o->what, "tcpdump %s", args);
    note("run: %s", o->what);
    sh("rm -f '%s' '%s' '%s'", o->err, o->rc, o->pid);
    CHECK(sh("(timeout 60 tcpdump %s </dev/null >/dev/null 2>'%s' & echo $! >'%s'; wait $!; "
             "echo $? >'%s.tmp'; mv '%s.tmp' '%s') &",
             args, o->err, o->pid, o->rc, o->rc, o->rc) == 0);
    return o;
}

static void oracle_wait_listening(oracle_t *o)
{
    int64_t end = mono_ms() + 10000;
    for (;;) {
        char *e = slurp(o->err);
        bool ready = strstr(e, "listening on") != NULL;
        free(e);
        if (ready)
            return;
        if (access(o->rc, F_OK) == 0 || mono_ms() >= end) {
            e = slurp(o->err);
            FAIL("%s: did not start listening:\n%s", o->what, e);
        }
        sleep_ms(20);
    }
}

/* Waits (bounded) for tcpdump's exit; returns its status, *err its stderr (malloc'd). */
static int oracle_finish(oracle_t *o, int timeout_ms, char **err)
{
    int64_t end = mono_ms() + timeout_ms;
    while (access(o->rc, F_OK) != 0) {
        if (mono_ms() >= end) {
            char *e = slurp(o->err);
            FAIL("%s: did not exit within %d ms:\n%s", o->what, timeout_ms, e);
        }
        sleep_ms(20);
    }
    char *t = slurp(o->rc);
    int rc = atoi(t);
    free(t);
    *err = slurp(o->err);
    return rc;
}

/* "N packets captured" in tcpdump's or pktdump's closing lines */
static long captured_of(const char *err)
{
    const char *at = strstr(err, " captured\n");
    CHECKF(at != NULL, "no closing lines in:\n%s", err);
    while (at > err && at[-1] != '\n')
        at--;
    return strtol(at, NULL, 10);
}

static void finish_pktdump(pd_proc_t *p, const char *what)
{
    int rc = pd_finish(p, 30000);
    if (rc != 0) {
        pd_dump_output(p);
        FAIL("%s: pktdump exited with %d", what, rc);
    }
}

static void finish_tcpdump(oracle_t *o, int want_captured)
{
    char *err;
    int rc = oracle_finish(o, 30000, &err);
    CHECKF(rc == 0, "%s exited with %d:\n%s", o->what, rc, err);
    if (want_captured >= 0)
        CHECKF(captured_of(err) == want_captured && strstr(err, "\n0 packets dropped by kernel"),
               "%s: want %d captured, none dropped:\n%s", o->what, want_captured, err);
    free(err);
}

/* ---- 1. offline ---- */

static void offline(const char *dp, const char *dt)
{
    char in[300], args[1200], path[400], path2[400];
    snprintf(in, sizeof in, "%s/in.pcap", test_tmpdir());
    pkt_dumper_t *d = NULL;
    CHECK_RC(pkt_dump_open(in, PKT_DLT_EN10MB, 0, 0, &d), 0);
    for (int i = 0; i < NBIG; i++) {
        pkt_info_t info;
        memset(&info, 0, sizeof info);
        info.sec = 1700000000 + i / 100;
        info.nsec = (uint32_t)(i % 100) * 10000000u;
        info.caplen = info.len = g_flen[i];
        CHECK_RC(pkt_dump_write(d, g_frame[i], &info), 0);
    }
    CHECK_RC(pkt_dump_close(d), 0);

    int start[MAXF + 1];
    int files = model_split(NBIG, start);
    CHECKF(files >= 4, "the frames fill only %d files of -C 1", files);

    char zp[300], zt[300], lp[300], lt[300];
    snprintf(lp, sizeof lp, "%s/off-p.log", test_tmpdir());
    snprintf(lt, sizeof lt, "%s/off-t.log", test_tmpdir());
    snprintf(zp, sizeof zp, "%s/zoff-p.sh", test_tmpdir());
    snprintf(zt, sizeof zt, "%s/zoff-t.sh", test_tmpdir());
    make_script(zp, lp);
    make_script(zt, lt);

    snprintf(path, sizeof path, "%s/off.pcap", dp);
    pd_proc_t p;
    int rc = pd_run(&p, (const char *const[]){"-r", in, "-w", path, "-C", "1", "-W", "2", "-z",
                                              zp, NULL},
                    30000);
    if (rc != 0 || pd_text(&p, PD_OUT)[0] != '\0') {
        pd_dump_output(&p);
        FAIL("pktdump -r -w -C 1 -W 2: exit %d", rc);
    }
    pd_free(&p);
    snprintf(args, sizeof args, "-Z root -r '%s' -w '%s/off.pcap' -C 1 -W 2 -z '%s'", in, dt, zt);
    finish_tcpdump(oracle_start("off.err", args), -1);

    char *np[MAXF], *nt[MAXF];
    int nnp = list_files(dp, "off.pcap", np, MAXF), nnt = list_files(dt, "off.pcap", nt, MAXF);
    check_names("-r -w off.pcap -C 1 -W 2, against tcpdump", np, nnp, (const char *const *)nt,
                nnt);
    check_names("-r -w off.pcap -C 1 -W 2", np, nnp,
                (const char *const[]){"off.pcap0", "off.pcap1"}, 2);
    for (int i = 0; i < nnp; i++) {
        snprintf(path, sizeof path, "%s/%s", dp, np[i]);
        snprintf(path2, sizeof path2, "%s/%s", dt, nt[i]);
        CHECKF(sh("cmp '%s' '%s'", path, path2) == 0, "%s differs from tcpdump's %s", path,
               path2);
    }
    /* the last two files of the rule are what is left: file k went to off.pcap(k % 2) */
    for (int k = files - 2; k < files; k++) {
        snprintf(path, sizeof path, "%s/off.pcap%d", dp, k % 2);
        check_span(path, start[k], start[k + 1]);
        if (k < files - 1)
            check_rotated_size(path, start[k + 1] - 1);
    }
    /* -z for every rotation: off.pcap0, off.pcap1, off.pcap0, ... (files - 1 of them) */
    char *gp = wait_log(lp, files - 1), *gt = wait_log(lt, files - 1);
    char want[4096] = "", wantt[4096] = "";
    int n0 = files / 2, n1 = (files - 1) / 2; /* closed: files 0, 2, ... and 1, 3, ... */
    for (int i = 0; i < n0; i++)
        snprintf(want + strlen(want), sizeof want - strlen(want), "%s/off.pcap0\n", dp);
    for (int i = 0; i < n1; i++)
        snprintf(want + strlen(want), sizeof want - strlen(want), "%s/off.pcap1\n", dp);
    for (int i = 0; i < n0; i++)
        snprintf(wantt + strlen(wantt), sizeof wantt - strlen(wantt), "%s/off.pcap0\n", dt);
    for (int i = 0; i < n1; i++)
        snprintf(wantt + strlen(wantt), sizeof wantt - strlen(wantt), "%s/off.pcap1\n", dt);
    CHECKF(strcmp(gp, want) == 0, "-z log:\n%swant:\n%s", gp, want);
    CHECKF(strcmp(gt, wantt) == 0, "tcpdump's -z log:\n%swant:\n%s", gt, wantt);
    free(gp);
    free(gt);
    free_names(np, nnp);
    free_names(nt, nnt);
    note("offline: %d files of -C 1 over %d frames, the same as tcpdump's byte for byte", files,
         NBIG);
}

/* ---- 2. live, -C ---- */

/* Sends frames first..first+n-1 from v1 in chunks, each seen by h before the next. */
static void send_paced(pkt_t *h, uint64_t *seen, int first, int n)
{
    raw_tx_t tx = raw_tx_open("v1");
    for (int i = 0; i < n;) {
        int chunk = n - i < 250 ? n - i : 250;
        for (int j = 0; j < chunk; j++)
            raw_tx_send(&tx, g_frame[first + i + j], g_flen[first + i + j]);
        i += chunk;
        *seen += (uint64_t)chunk;
        wait_recvs(h, *seen, 10000);
    }
    raw_tx_close(&tx);
}

static void live_size(const char *dp, const char *dt, pkt_t *h, uint64_t *seen)
{
    char pa[300], pr[300], zp[300], zt[300], lp[300], lt[300], args[1200], count[16];
    snprintf(count, sizeof count, "%d", NBIG);
    snprintf(pa, sizeof pa, "%s/all.pcap", dp);
    snprintf(pr, sizeof pr, "%s/ring.pcap", dp);
    snprintf(lp, sizeof lp, "%s/ring-p.log", test_tmpdir());
    snprintf(lt, sizeof lt, "%s/ring-t.log", test_tmpdir());
    snprintf(zp, sizeof zp, "%s/zring-p.sh", test_tmpdir());
    snprintf(zt, sizeof zt, "%s/zring-t.sh", test_tmpdir());
    make_script(zp, lp);
    make_script(zt, lt);

    pd_proc_t a = pd_start((const char *const[]){"-i", "v0", "-B", "16384", "-c", count, "-w",
                                                 pa, "-C", "1", NULL});
    pd_proc_t b = pd_start((const char *const[]){"-i", "v0", "-B", "16384", "-c", count, "-w",
                                                 pr, "-C", "1", "-W", "3", "-z", zp, NULL});
    snprintf(args, sizeof args, "-Z root -i v0 -B 16384 -c %d -w '%s/all.pcap' -C 1", NBIG, dt);
    oracle_t *ta = oracle_start("all.err", args);
    snprintf(args, sizeof args, "-Z root -i v0 -B 16384 -c %d -w '%s/ring.pcap' -C 1 -W 3 -z '%s'",
             NBIG, dt, zt);
    oracle_t *tb = oracle_start("ring.err", args);
    pd_wait_listening(&a);
    pd_wait_listening(&b);
    oracle_wait_listening(ta);
    oracle_wait_listening(tb);

    send_paced(h, seen, 0, NBIG);

    finish_pktdump(&a, "-C 1");
    finish_pktdump(&b, "-C 1 -W 3 -z");
    pd_check_closing(&a, NBIG, NBIG, 0);
    pd_check_closing(&b, NBIG, NBIG, 0);
    finish_tcpdump(ta, NBIG);
    finish_tcpdump(tb, NBIG);
    pd_free(&a);
    pd_free(&b);

    int start[MAXF + 1];
    int files = model_split(NBIG, start);
    char path[400], path2[400];

    /* -C 1: all.pcap, all.pcap1, ...: every packet once, in order, split by the rule */
    char *np[MAXF], *nt[MAXF];
    const char *want[MAXF];
    char wbuf[MAXF][32];
    for (int k = 0; k < files; k++) {
        if (k == 0)
            snprintf(wbuf[k], sizeof wbuf[k], "all.pcap");
        else
            snprintf(wbuf[k], sizeof wbuf[k], "all.pcap%d", k);
        want[k] = wbuf[k];
    }
    qsort(want, (size_t)files, sizeof *want, cmp_str);
    int nnp = list_files(dp, "all.pcap", np, MAXF), nnt = list_files(dt, "all.pcap", nt, MAXF);
    check_names("-w all.pcap -C 1, against tcpdump", np, nnp, (const char *const *)nt, nnt);
    check_names("-w all.pcap -C 1", np, nnp, want, files);
    for (int k = 0; k < files; k++) {
        if (k == 0)
            snprintf(path, sizeof path, "%s/all.pcap", dp);
        else
            snprintf(path, sizeof path, "%s/all.pcap%d", dp, k);
        snprintf(path2, sizeof path2, "%s/%s", dt, strrchr(path, '/') + 1);
        check_span(path, start[k], start[k + 1]);
        check_span(path2, start[k], start[k + 1]); /* the oracle obeys the rule too */
        CHECKF(file_size(path) == file_size(path2), "%s: %lld bytes, tcpdump's %lld", path,
               (long long)file_size(path), (long long)file_size(path2));
        if (k < files - 1)
            check_rotated_size(path, start[k + 1] - 1);
    }
    free_names(np, nnp);
    free_names(nt, nnt);

    /* -C 1 -W 3: ring.pcap0..2, file k in ring.pcap(k % 3): what is left is the last 3 */
    nnp = list_files(dp, "ring.pcap", np, MAXF);
    nnt = list_files(dt, "ring.pcap", nt, MAXF);
    check_names("-w ring.pcap -C 1 -W 3, against tcpdump", np, nnp, (const char *const *)nt,
                nnt);
    check_names("-w ring.pcap -C 1 -W 3", np, nnp,
                (const char *const[]){"ring.pcap0", "ring.pcap1", "ring.pcap2"}, 3);
    CHECKF(files > 3, "only %d files: the ring does not wrap", files);
    for (int k = files - 3; k < files; k++) {
        snprintf(path, sizeof path, "%s/ring.pcap%d", dp, k % 3);
        snprintf(path2, sizeof path2, "%s/ring.pcap%d", dt, k % 3);
        check_span(path, start[k], start[k + 1]);
        check_span(path2, start[k], start[k + 1]);
        CHECKF(file_size(path) == file_size(path2), "%s: %lld bytes, tcpdump's %lld", path,
               (long long)file_size(path), (long long)file_size(path2));
    }
    free_names(np, nnp);
    free_names(nt, nnt);

    /* -z: once per rotated file (files - 1), with its name */
    char *gp = wait_log(lp, files - 1), *gt = wait_log(lt, files - 1);
    char wl[4096] = "", wlt[4096] = "";
    for (int r = 0; r < 3; r++)
        for (int k = r; k < files - 1; k += 3) {
            snprintf(wl + strlen(wl), sizeof wl - strlen(wl), "%s/ring.pcap%d\n", dp, r);
            snprintf(wlt + strlen(wlt), sizeof wlt - strlen(wlt), "%s/ring.pcap%d\n", dt, r);
        }
    CHECKF(strcmp(gp, wl) == 0, "-z log:\n%swant:\n%s", gp, wl);
    CHECKF(strcmp(gt, wlt) == 0, "tcpdump's -z log:\n%swant:\n%s", gt, wlt);
    free(gp);
    free(gt);
    note("live -C 1: %d files, -W 3 wrapped, as tcpdump's", files);
}

/* ---- 3. the flags that do nothing alone ---- */

static void no_rotation(const char *dp, const char *dt, pkt_t *h, uint64_t *seen)
{
    char pp[300], zp[300], lp[300], zt[300], lt[300], args[1200];
    snprintf(pp, sizeof pp, "%s/plain.pcap", dp);
    snprintf(lp, sizeof lp, "%s/plain-p.log", test_tmpdir());
    snprintf(lt, sizeof lt, "%s/plain-t.log", test_tmpdir());
    snprintf(zp, sizeof zp, "%s/zplain-p.sh", test_tmpdir());
    snprintf(zt, sizeof zt, "%s/zplain-t.sh", test_tmpdir());
    make_script(zp, lp);
    make_script(zt, lt);
    pd_proc_t a = pd_start((const char *const[]){"-i", "v0", "-c", "5", "-w", pp, "-W", "3",
                                                 "-z", zp, NULL});
    pd_proc_t b = pd_start((const char *const[]){"-i", "v0", "-nn", "-c", "5", "-C", "1", "-W",
                                                 "2", "-G", "1", "-z", zp, NULL});
    snprintf(args, sizeof args, "-Z root -i v0 -c 5 -w '%s/plain.pcap' -W 3 -z '%s'", dt, zt);
    oracle_t *t = oracle_start("plain.err", args);
    pd_wait_listening(&a);
    pd_wait_listening(&b);
    oracle_wait_listening(t);
    send_paced(h, seen, 0, 5);
    finish_pktdump(&a, "-W 3 -z");
    finish_pktdump(&b, "-C 1 -W 2 -G 1 -z without -w");
    pd_check_closing(&a, 5, 5, 0);
    CHECKF(packet_lines(pd_text(&b, PD_OUT)) == 5,
           "without -w, -C -G -W -z: %d packets printed, want 5:\n%s",
           packet_lines(pd_text(&b, PD_OUT)), pd_text(&b, PD_OUT));
    finish_tcpdump(t, 5);
    pd_free(&a);
    pd_free(&b);
    char *np[MAXF], *nt[MAXF];
    int nnp = list_files(dp, "plain", np, MAXF), nnt = list_files(dt, "plain", nt, MAXF);
    check_names("-w plain.pcap -W 3 -z, against tcpdump", np, nnp, (const char *const *)nt, nnt);
    check_names("-w plain.pcap -W 3 -z", np, nnp, (const char *const[]){"plain.pcap"}, 1);
    check_span(pp, 0, 5);
    free_names(np, nnp);
    free_names(nt, nnt);
    /* no rotation, so no fork: nothing can still be on its way to the logs */
    CHECKF(access(lp, F_OK) != 0 && access(lt, F_OK) != 0, "-z ran without -C or -G");
}

/* ---- 4. -G ---- */

/* Files PREFIX<seconds>SUFFIX in dir (sorted by the seconds); the records, in order, are
 * frames 0..want-1 when want >= 0 (else any first ones, returned in *total); each file is
 * named after the second it was opened in, its packets stamped within a second of it.
 * Returns the file count; names[] in order. */
static int check_time_files(const char *who, const char *dir, const char *prefix,
                            const char *suffix, int want, int *total, char **names)
{
    char *raw[MAXF];
    int n = list_files(dir, prefix, raw, MAXF);
    CHECKF(n >= 1, "%s: no files %s* in %s", who, prefix, dir);
    long secs[MAXF];
    for (int i = 0; i < n; i++) {
        const char *s = raw[i] + strlen(prefix);
        char *end;
        secs[i] = strtol(s, &end, 10);
        CHECKF(end != s && strcmp(end, suffix) == 0, "%s: file %s is not %s<seconds>%s", who,
               raw[i], prefix, suffix);
    }
    for (int i = 0; i < n; i++) /* sort by seconds (same width, but be sure) */
        for (int j = i + 1; j < n; j++)
            if (secs[j] < secs[i]) {
                long ts = secs[i];
                secs[i] = secs[j];
                secs[j] = ts;
                char *tn = raw[i];
                raw[i] = raw[j];
                raw[j] = tn;
            }
    int next = 0;
    static int seq[NBIG];
    static int64_t tsec[NBIG];
    for (int i = 0; i < n; i++) {
        char path[400];
        snprintf(path, sizeof path, "%s/%s", dir, raw[i]);
        int m = read_file(path, seq, tsec, NBIG);
        CHECKF(m > 0 || i == 0, "%s: %s is empty (only the first file may be)", who, path);
        for (int r = 0; r < m; r++) {
            CHECKF(seq[r] == next, "%s: %s record %d is frame %d, want %d", who, path, r, seq[r],
                   next);
            next++;
            /* (time(2), which -G reads, may trail the packets' clock by a tick) */
            CHECKF(tsec[r] >= secs[i] - 1 && tsec[r] <= secs[i] + 1,
                   "%s: %s: frame %d stamped at second %lld", who, path, seq[r],
                   (long long)tsec[r]);
        }
        CHECKF(i == 0 || secs[i] > secs[i - 1], "%s: two files of one second", who);
        names[i] = raw[i];
    }
    if (want >= 0)
        CHECKF(next == want, "%s: %d packets in the files, want %d", who, next, want);
    if (total != NULL)
        *total = next;
    return n;
}

static void live_time(const char *dp, const char *dt, pkt_t *h, uint64_t *seen)
{
    char gp[300], wp[300], cp[300], zp[300], lp[300], zt[300], lt[300], args[1200], count[16];
    snprintf(count, sizeof count, "%d", NSLOW);
    snprintf(gp, sizeof gp, "%s/g-%%s.pcap", dp);
    snprintf(wp, sizeof wp, "%s/w-%%s.pcap", dp);
    snprintf(cp, sizeof cp, "%s/gc-%%s.pcap", dp);
    snprintf(lp, sizeof lp, "%s/g-p.log", test_tmpdir());
    snprintf(lt, sizeof lt, "%s/g-t.log", test_tmpdir());
    snprintf(zp, sizeof zp, "%s/zg-p.sh", test_tmpdir());
    snprintf(zt, sizeof zt, "%s/zg-t.sh", test_tmpdir());
    make_script(zp, lp);
    make_script(zt, lt);
    pd_proc_t g = pd_start((const char *const[]){"-i", "v0", "-c", count, "-w", gp, "-G", "1",
                                                 "-z", zp, NULL});
    pd_proc_t w = pd_start((const char *const[]){"-i", "v0", "-w", wp, "-G", "1", "-W", "2",
                                                 NULL});
    pd_proc_t c = pd_start((const char *const[]){"-i", "v0", "-c", count, "-w", cp, "-G", "1",
                                                 "-C", "1", "-W", "5", NULL});
    snprintf(args, sizeof args, "-Z root -i v0 -c %d -w '%s/g-%%s.pcap' -G 1 -z '%s'", NSLOW, dt,
             zt);
    oracle_t *tg = oracle_start("g.err", args);
    snprintf(args, sizeof args, "-Z root -i v0 -w '%s/w-%%s.pcap' -G 1 -W 2", dt);
    oracle_t *tw = oracle_start("w.err", args);
    snprintf(args, sizeof args, "-Z root -i v0 -c %d -w '%s/gc-%%s.pcap' -G 1 -C 1 -W 5", NSLOW,
             dt);
    oracle_t *tc = oracle_start("gc.err", args);
    pd_wait_listening(&g);
    pd_wait_listening(&w);
    pd_wait_listening(&c);
    oracle_wait_listening(tg);
    oracle_wait_listening(tw);
    oracle_wait_listening(tc);

    raw_tx_t tx = raw_tx_open("v1");
    int64_t t0 = mono_ms();
    for (int i = 0; i < NSLOW; i++) {
        int64_t due = t0 + 100 * i;
        while (mono_ms() < due)
            sleep_ms((int)(due - mono_ms()));
        raw_tx_send(&tx, g_frame[i], g_flen[i]);
    }
    raw_tx_close(&tx);
    *seen += NSLOW;
    wait_recvs(h, *seen, 10000);

    finish_pktdump(&g, "-G 1 -z");
    finish_pktdump(&w, "-G 1 -W 2");
    finish_pktdump(&c, "-G 1 -C 1 -W 5");
    pd_check_closing(&g, NSLOW, NSLOW, 0);
    pd_check_closing(&c, NSLOW, NSLOW, 0);
    finish_tcpdump(tg, NSLOW);
    finish_tcpdump(tc, NSLOW);

    /* -G 1: files g-SECONDS.pcap; -z for all but the last */
    char *names[MAXF], *tnames[MAXF];
    int n = check_time_files("pktdump -G 1", dp, "g-", ".pcap", NSLOW, NULL, names);
    int tn = check_time_files("tcpdump -G 1", dt, "g-", ".pcap", NSLOW, NULL, tnames);
    CHECKF(n >= 3 && tn >= 3, "-G 1 over 3.2 s: %d files (tcpdump %d)", n, tn);
    CHECKF(abs(n - tn) <= 1, "-G 1: %d files, tcpdump %d", n, tn);
    char wl[4096] = "", wlt[4096] = "";
    for (int i = 0; i < n - 1; i++)
        snprintf(wl + strlen(wl), sizeof wl - strlen(wl), "%s/%s\n", dp, names[i]);
    for (int i = 0; i < tn - 1; i++)
        snprintf(wlt + strlen(wlt), sizeof wlt - strlen(wlt), "%s/%s\n", dt, tnames[i]);
    char *got = wait_log(lp, n - 1), *gott = wait_log(lt, tn - 1);
    CHECKF(strcmp(got, wl) == 0, "-G -z log:\n%swant:\n%s", got, wl);
    CHECKF(strcmp(gott, wlt) == 0, "tcpdump's -G -z log:\n%swant:\n%s", gott, wlt);
    free(got);
    free(gott);
    free_names(names, n);
    free_names(tnames, tn);

    /* -G 1 -C 1 -W 5: gc-SECONDS.pcap0 (the -C number, one digit, starts again each second) */
    n = check_time_files("pktdump -G 1 -C 1 -W 5", dp, "gc-", ".pcap0", NSLOW, NULL, names);
    tn = check_time_files("tcpdump -G 1 -C 1 -W 5", dt, "gc-", ".pcap0", NSLOW, NULL, tnames);
    CHECKF(n >= 3 && tn >= 3 && abs(n - tn) <= 1, "-G 1 -C 1 -W 5: %d files, tcpdump %d", n, tn);
    free_names(names, n);
    free_names(tnames, tn);

    /* -G 1 -W 2: two files, then tcpdump's message; the packet that found the limit counts as
     * captured, though neither file holds it */
    char *terr;
    int trc = oracle_finish(tw, 30000, &terr);
    CHECKF(trc == 0 && strstr(terr, "Maximum file limit reached: 2\n") != NULL,
           "%s: exit %d:\n%s", tw->what, trc, terr);
    CHECKF(strstr(pd_text(&w, PD_ERR), "Maximum file limit reached: 2\n") != NULL,
           "pktdump -G 1 -W 2: no \"Maximum file limit reached: 2\":\n%s", pd_text(&w, PD_ERR));
    int total, ttotal;
    n = check_time_files("pktdump -G 1 -W 2", dp, "w-", ".pcap", -1, &total, names);
    tn = check_time_files("tcpdump -G 1 -W 2", dt, "w-", ".pcap", -1, &ttotal, tnames);
    CHECKF(n == 2 && tn == 2, "-G 1 -W 2: %d files, tcpdump %d", n, tn);
    CHECKF(captured_of(pd_text(&w, PD_ERR)) == total + 1,
           "pktdump -G 1 -W 2: %ld captured, %d in the files:\n%s",
           captured_of(pd_text(&w, PD_ERR)), total, pd_text(&w, PD_ERR));
    CHECKF(captured_of(terr) == ttotal + 1, "tcpdump -G 1 -W 2: %ld captured, %d in the files",
           captured_of(terr), ttotal);
    free(terr);
    free_names(names, n);
    free_names(tnames, tn);
    pd_free(&g);
    pd_free(&w);
    pd_free(&c);
    note("-G 1: as tcpdump");
}

/* ---- 5. bad values ---- */

static void bad_values(const char *dp)
{
    static const char *const cases[][2] = {
        {"-C", "abc"},         {"-C", "0"},  {"-C", "1k"},  {"-C", "-5"},
        {"-C", "99999999999999"}, {"-C", "9223372036854775808"}, {"-C", ""},
        {"-G", "-1"},          {"-W", "0"},  {"-W", "abc"}, {"-W", "-3"},
    };
    char path[400];
    snprintf(path, sizeof path, "%s/bad.pcap", dp);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int st;
        char *want = sh_output(&st, "tcpdump %s '%s' -i v0 -w '%s' 2>&1 >/dev/null; echo "
                                    "\"exit $?\"",
                               cases[i][0], cases[i][1], path);
        pd_proc_t p;
        int rc = pd_run(&p, (const char *const[]){cases[i][0], cases[i][1], "-i", "v0", "-w",
                                                  path, NULL},
                        10000);
        char got[600];
        const char *e = pd_text(&p, PD_ERR);
        snprintf(got, sizeof got, "%s%sexit %d\n",
                 strncmp(e, "pktdump: ", 9) == 0 ? "tcpdump: " : "",
                 strncmp(e, "pktdump: ", 9) == 0 ? e + 9 : e, rc);
        if (strcmp(got, want) != 0) {
            pd_dump_output(&p);
            FAIL("pktdump %s '%s': (with tcpdump: for pktdump:)\n%swant (tcpdump's):\n%s",
                 cases[i][0], cases[i][1], got, want);
        }
        free(want);
        pd_free(&p);
    }
    CHECKF(access(path, F_OK) != 0, "a refused command line created %s", path);
    static const char *const dash[][2] = {{"-C", "1"}, {"-G", "1"}};
    for (size_t i = 0; i < 2; i++) {
        pd_proc_t p;
        int rc = pd_run(&p, (const char *const[]){"-i", "v0", "-w", "-", dash[i][0], dash[i][1],
                                                  NULL},
                        10000);
        if (rc != 2 || strstr(pd_text(&p, PD_ERR), "they need -w FILE, not -w -") == NULL ||
            strstr(pd_text(&p, PD_ERR), "usage: pktdump") == NULL) {
            pd_dump_output(&p);
            FAIL("-w - %s %s: exit %d", dash[i][0], dash[i][1], rc);
        }
        pd_free(&p);
    }
}

int main(void)
{
    test_init("pktdump_rotate", 100);
    need_tool("tcpdump");
    char dp[300], dt[300];
    snprintf(dp, sizeof dp, "%s/p", test_tmpdir());
    snprintf(dt, sizeof dt, "%s/t", test_tmpdir());
    CHECK(mkdir(dp, 0700) == 0 && mkdir(dt, 0700) == 0);
    build_frames();

    bad_values(dp);
    offline(dp, dt);

    /* a handle of the test's own on v0 paces the sending: it sees what every capture sees */
    pkt_config_t cfg = test_config();
    cfg.buffer_size = 16 << 20;
    pkt_t *h = open_ok("v0", &cfg);
    uint64_t seen = 0;
    live_size(dp, dt, h, &seen);
    no_rotation(dp, dt, h, &seen);
    live_time(dp, dt, h, &seen);
    pkt_close(h);

    for (int i = 0; i < NBIG; i++)
        free(g_frame[i]);
    return test_pass();
}
