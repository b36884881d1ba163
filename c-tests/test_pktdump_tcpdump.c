/* pktdump's output against tcpdump's, line for line.
 *
 * Files: gen_pktdump_cases.py writes eth.pcap (Ethernet, 802.1Q and QinQ, ARP, IPv4 with
 * options and fragments, IPv6 with extension headers and fragments, ICMP, ICMPv6 echo, ND and
 * MLD, TCP handshakes with options, data and teardown, UDP, DNS queries and answers, unknown
 * ethertypes and protocols, frames cut short), eth-ns.pcap (the same with nanosecond times) and
 * cut.pcap (every frame cut to 64 bytes), sll.pcap and sll2.pcap (40 of the frames as Linux
 * cooked captures: no direction without -e on SLL, interface and direction on SLL2), raw.pcap,
 * raw12.pcap, ipv4.pcap and ipv6.pcap (the IP packets without their Ethernet header as
 * LINKTYPE_RAW 101, DLT_RAW 12, LINKTYPE_IPV4 228 and IPV6 229, and packets of no IP version),
 * null.pcap and loop.pcap (them behind BSD loopback's address family, DLT_NULL in either byte
 * order and DLT_LOOP, families without a printer, headers cut short). Each is read by `tcpdump -nn -r FILE` and by
 * `pktdump -nn -r FILE` with each output flag and several combinations, TZ=UTC; the standard
 * outputs must be identical, and tcpdump must have printed at least one line per packet (a
 * comparison of nothing is a failure). A mismatch shows the diff.
 *
 * Live: the frames of eth.pcap are sent from v1 while tcpdump and pktdump both capture on v0
 * (-t, so the times do not matter) with a few flag sets; the outputs must be identical too.
 * Everything stays in the test's network namespace (netns.sh), bounded in count and time. */
#include "pktdump_harness.h"

#include <sys/types.h>

static int g_cases, g_lines;

static void need_tool(const char *tool)
{
    if (sh("command -v %s >/dev/null 2>&1", tool) != 0)
        FAIL("%s is missing (scripts/test.sh tools installs it)", tool);
}

/* Writes text to path. */
static void put_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    CHECK(fwrite(text, 1, len, f) == len);
    CHECK(fclose(f) == 0);
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* The two outputs must be the same; min_lines: what tcpdump must at least have printed. */
static void compare(const char *what, const char *want, const char *got, int min_lines)
{
    int nw = count_lines(want);
    CHECKF(nw >= min_lines, "%s: tcpdump printed %d lines, fewer than %d: nothing to compare",
           what, nw, min_lines);
    g_cases++;
    if (strcmp(want, got) == 0) {
        g_lines += nw;
        return;
    }
    const char *a = tmp_path("want.txt"), *b = tmp_path("got.txt");
    put_file(a, want, strlen(want));
    put_file(b, got, strlen(got));
    int st;
    char *d = sh_output(&st, "diff -u '%s' '%s' | head -60", a, b);
    FAIL("%s: pktdump's output differs from tcpdump's (--- tcpdump, +++ pktdump):\n%s", what,
         d ? d : "");
}

static const char *const FLAGS[] = {
    "",        "-v",      "-vv",     "-e",       "-x",        "-xx",       "-X",
    "-XX",     "-A",      "-AA",     "-q",       "-S",        "-t",        "-tt",
    "-ttt",    "-tttt",   "-ttttt",  "-#",       "-K -v",     "-e -v",     "-e -q",
    "-v -x",   "-vv -X",  "-e -XX",  "-q -A",    "-S -v",     "-e -vv -XX", "-tttt -e -v",
    "--number -t", "-vv -S -e",
};

/* Splits "a b c" into argv entries (at most max - 1), NULL-terminated; in buf. */
static int split_args(char *buf, const char **argv, int max)
{
    int n = 0;
    for (char *t = strtok(buf, " "); t && n < max - 1; t = strtok(NULL, " "))
        argv[n++] = t;
    argv[n] = NULL;
    return n;
}

static void offline(const char *dir, const char *file, bool nano, int packets)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    for (size_t i = 0; i < sizeof FLAGS / sizeof FLAGS[0]; i++) {
        char flags[128];
        snprintf(flags, sizeof flags, "%s%s", FLAGS[i], nano ? " --nano" : "");
        int st;
        char *want = sh_output(&st, "tcpdump -nn %s -r '%s' 2>/dev/null", flags, path);
        CHECKF(st == 0, "tcpdump -nn %s -r %s failed", flags, file);
        const char *args[24];
        char buf[128];
        snprintf(buf, sizeof buf, "%s", flags);
        args[0] = "-nn";
        int n = split_args(buf, args + 1, 20);
        args[1 + n] = "-r";
        args[2 + n] = path;
        args[3 + n] = NULL;
        pd_proc_t p = pd_start(args);
        int rc = pd_finish(&p, 20000);
        if (rc != 0) {
            pd_dump_output(&p);
            FAIL("pktdump -nn %s -r %s exited with %d", flags, file, rc);
        }
        char what[256];
        snprintf(what, sizeof what, "-r %s -nn %s", file, flags);
        compare(what, want, pd_text(&p, PD_OUT), packets);
        pd_free(&p);
        free(want);
    }
}

/* ---- live ---- */

struct frames {
    uint8_t *data[256];
    size_t len[256];
    int n;
};

static void load_frames(const char *path, struct frames *f)
{
    pkt_t *h = NULL;
    CHECK(pkt_open_offline(path, NULL, &h) == 0);
    const uint8_t *d;
    pkt_info_t info;
    f->n = 0;
    while (f->n < 256 && pkt_read(h, 0, &d, &info) > 0) {
        if (info.caplen != info.len || info.caplen > 1514)
            continue;
        f->data[f->n] = malloc(info.caplen);
        CHECK(f->data[f->n] != NULL);
        memcpy(f->data[f->n], d, info.caplen);
        f->len[f->n++] = info.caplen;
    }
    pkt_close(h);
}

static void live(const struct frames *f, const char *flags)
{
    const char *out = tmp_path("tcpdump.out"), *err = tmp_path("tcpdump.err"),
               *pidf = tmp_path("tcpdump.pid");
    sh("rm -f '%s' '%s' '%s'", out, err, pidf);
    CHECK(sh("(timeout 30 tcpdump -i v0 -nn -t %s -c %d >'%s' 2>'%s' & echo $! >'%s')", flags,
             f->n, out, err, pidf) == 0);
    int64_t t0 = mono_ms();
    for (;;) {
        int st;
        char *e = sh_output(&st, "cat '%s' 2>/dev/null", err);
        bool ready = e && strstr(e, "listening on") != NULL;
        free(e);
        if (ready)
            break;
        CHECKF(mono_ms() - t0 < 10000, "tcpdump did not start listening within 10 s");
        sleep_ms(50);
    }
    char count[16], buf[128];
    snprintf(count, sizeof count, "%d", f->n);
    snprintf(buf, sizeof buf, "%s", flags);
    const char *args[24] = {"-i", "v0", "-nn", "-t", "-c", count};
    int n = split_args(buf, args + 6, 16);
    args[6 + n] = NULL;
    pd_proc_t p = pd_start(args);
    pd_wait_listening(&p);
    raw_tx_t tx = raw_tx_open("v1");
    for (int i = 0; i < f->n; i++)
        raw_tx_send(&tx, f->data[i], f->len[i]);
    raw_tx_close(&tx);
    int rc = pd_finish(&p, 15000);
    if (rc != 0) {
        pd_dump_output(&p);
        FAIL("pktdump -i v0 %s exited with %d", flags, rc);
    }
    /* tcpdump stops at its count too; wait for it (bounded by timeout 30) */
    t0 = mono_ms();
    while (sh("kill -0 $(cat '%s') 2>/dev/null", pidf) == 0) {
        if (mono_ms() - t0 > 15000) {
            sh("kill $(cat '%s') 2>/dev/null", pidf);
            FAIL("tcpdump -i v0 %s did not stop after %d packets", flags, f->n);
        }
        sleep_ms(50);
    }
    int st;
    char *want = sh_output(&st, "cat '%s'", out);
    char what[160];
    snprintf(what, sizeof what, "live -i v0 -nn -t %s", flags);
    compare(what, want, pd_text(&p, PD_OUT), f->n);
    free(want);
    pd_free(&p);
}

int main(void)
{
    test_init("pktdump_tcpdump", 240);
    need_tool("tcpdump");
    need_tool("python3");
    setenv("TZ", "UTC", 1);
    tzset();

    char script[512];
    snprintf(script, sizeof script, "%s", __FILE__);
    char *slash = strrchr(script, '/');
    CHECK(slash != NULL);
    snprintf(slash + 1, sizeof script - (size_t)(slash + 1 - script), "gen_pktdump_cases.py");
    const char *dir = tmp_path("cases");
    int st;
    char *outp = sh_output(&st, "python3 '%s' '%s'", script, dir);
    CHECKF(st == 0 && outp != NULL, "gen_pktdump_cases.py failed: %s", outp ? outp : "");
    int packets = 0, ips = 0, loops = 0;
    CHECKF(sscanf(outp, "%d %d %d", &packets, &ips, &loops) == 3, "the generator said: %s", outp);
    free(outp);
    CHECKF(packets > 50 && ips > 50 && loops > 50, "the generator wrote %d, %d, %d packets",
           packets, ips, loops);

    offline(dir, "eth.pcap", false, packets);
    offline(dir, "eth-ns.pcap", true, packets);
    offline(dir, "cut.pcap", false, packets);
    offline(dir, "sll.pcap", false, 40);
    offline(dir, "sll2.pcap", false, 40);
    offline(dir, "raw.pcap", false, ips);
    offline(dir, "raw12.pcap", false, ips);
    offline(dir, "ipv4.pcap", false, ips);
    offline(dir, "ipv6.pcap", false, ips);
    offline(dir, "null.pcap", false, loops);
    offline(dir, "loop.pcap", false, loops);
    note("offline: %d cases, %d lines identical", g_cases, g_lines);

    char path[512];
    snprintf(path, sizeof path, "%s/eth.pcap", dir);
    static struct frames f;
    load_frames(path, &f);
    CHECK(f.n > 50);
    static const char *const live_flags[] = {"", "-e", "-v", "-vv -e", "-X", "-q"};
    for (size_t i = 0; i < sizeof live_flags / sizeof live_flags[0]; i++)
        live(&f, live_flags[i]);
    for (int i = 0; i < f.n; i++)
        free(f.data[i]);
    note("total: %d cases, %d lines identical", g_cases, g_lines);
    return test_pass();
}
