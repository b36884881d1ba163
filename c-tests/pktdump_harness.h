/* Runs pktdump in the C tests (test_pktdump_*.c).
 *
 * The tool's sources (tools/pktdump) but its main.c are linked into each test program (the
 * CMake target pktdump_core; pktdump.h declares pktdump_main), and pd_start() runs the test
 * program again as pktdump (see pd_child_entry) with its stdout and stderr on pipes. So every
 * build of the tests (shared, static, sanitizers) also builds and checks the tool, with no
 * dependence on the tools build or its order in scripts/test.sh. With PKTDUMP=/path/to/pktdump
 * in the environment the child runs that binary instead (to check an installed or separately
 * built one).
 *
 * Also here: frames of the protocols pktdump decodes, and readers of pcap and pcapng files. */
#ifndef PKTDUMP_HARNESS_H
#define PKTDUMP_HARNESS_H

#include "pktdump.h"

#include "common.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PD_UNUSED __attribute__((unused))

/* ---- running pktdump ---- */

typedef struct pd_buf {
    char *data; /* NUL-terminated; may hold binary data (pcap on stdout) */
    size_t len, cap;
    bool eof;
} pd_buf_t;

typedef struct pd_proc {
    pid_t pid;
    int fd[2]; /* stdout, stderr (read ends); -1 once closed */
    pd_buf_t buf[2];
    bool reaped;
    int status; /* exit code, or 128 + signal */
} pd_proc_t;

#define PD_OUT 0
#define PD_ERR 1

static pid_t g_pd_parent;
static pid_t g_pd_children[16];

/* A failing test exits through exit(): kill the pktdump children it still has. */
static void pd_kill_children(void)
{
    if (getpid() != g_pd_parent)
        return; /* a child inherited this handler */
    for (size_t i = 0; i < sizeof g_pd_children / sizeof g_pd_children[0]; i++)
        if (g_pd_children[i] > 0)
            kill(g_pd_children[i], SIGKILL);
}

static void pd_forget_child(pid_t pid)
{
    for (size_t i = 0; i < sizeof g_pd_children / sizeof g_pd_children[0]; i++)
        if (g_pd_children[i] == pid)
            g_pd_children[i] = 0;
}

/* The child is this same test program, executed again (/proc/self/exe) with this variable set:
 * a fresh single-threaded process (the sanitizers' leak check works in it, which it does not
 * in a plain fork of a threaded program), whose constructor below runs pktdump before the
 * test's main() would start. */
#define PD_CHILD_ENV "PKTDUMP_HARNESS_CHILD"

/* glibc passes argc, argv and envp to constructors. */
__attribute__((constructor)) static void pd_child_entry(int argc, char **argv, char **envp)
{
    (void)envp;
    if (getenv(PD_CHILD_ENV) != NULL) {
        unsetenv(PD_CHILD_ENV);
        exit(pktdump_main(argc, argv));
    }
}

extern char **environ;

/* Starts pktdump with the NULL-terminated arguments (argv[0] not included). */
PD_UNUSED static pd_proc_t pd_start(const char *const *args)
{
    if (g_pd_parent == 0) {
        g_pd_parent = getpid();
        atexit(pd_kill_children);
    }
    /* everything the child needs is prepared before the fork: it only redirects and execs */
    static char *argv[34];
    int argc = 0;
    argv[argc++] = (char *)"pktdump";
    char line[1024] = "pktdump";
    for (const char *const *a = args; *a; a++) {
        CHECK(argc < 33);
        argv[argc++] = (char *)*a;
        size_t l = strlen(line);
        snprintf(line + l, sizeof line - l, " %s", *a);
    }
    argv[argc] = NULL;
    static char *envp[512];
    size_t ne = 0;
    for (char **e = environ; *e && ne < 510; e++)
        if (strncmp(*e, PD_CHILD_ENV "=", strlen(PD_CHILD_ENV) + 1) != 0)
            envp[ne++] = *e;
    envp[ne++] = (char *)PD_CHILD_ENV "=1";
    envp[ne] = NULL;
    const char *exe = getenv("PKTDUMP");
    if (exe == NULL || *exe == '\0')
        exe = "/proc/self/exe";
    note("run: %s", line);

    int out[2], err[2];
    CHECK(pipe2(out, O_CLOEXEC) == 0);
    CHECK(pipe2(err, O_CLOEXEC) == 0);
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(out[1], 1);
        dup2(err[1], 2);
        /* a clean slate for the signals pktdump handles */
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execve(exe, argv, envp);
        static const char msg[] = "pd_start: exec failed\n";
        if (write(2, msg, sizeof msg - 1) < 0) { /* nothing more to do */ }
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    for (size_t i = 0; i < sizeof g_pd_children / sizeof g_pd_children[0]; i++)
        if (g_pd_children[i] == 0) {
            g_pd_children[i] = pid;
            break;
        }
    pd_proc_t p;
    memset(&p, 0, sizeof p);
    p.pid = pid;
    p.fd[PD_OUT] = out[0];
    p.fd[PD_ERR] = err[0];
    p.status = -1;
    for (int i = 0; i < 2; i++) {
        p.buf[i].cap = 4096;
        p.buf[i].data = calloc(1, p.buf[i].cap);
        CHECK(p.buf[i].data != NULL);
    }
    return p;
}

/* Reads what the child wrote, waiting up to timeout_ms for something. */
static void pd_pump(pd_proc_t *p, int timeout_ms)
{
    struct pollfd pfd[2];
    int map[2], n = 0;
    for (int i = 0; i < 2; i++)
        if (p->fd[i] >= 0) {
            pfd[n].fd = p->fd[i];
            pfd[n].events = POLLIN;
            pfd[n].revents = 0;
            map[n++] = i;
        }
    if (n == 0) {
        if (timeout_ms > 0)
            sleep_ms(timeout_ms < 10 ? timeout_ms : 10);
        return;
    }
    int r = poll(pfd, (nfds_t)n, timeout_ms);
    if (r < 0 && errno == EINTR)
        return;
    CHECK(r >= 0);
    for (int j = 0; j < n; j++) {
        if (pfd[j].revents == 0)
            continue;
        pd_buf_t *b = &p->buf[map[j]];
        if (b->cap - b->len < 4096 + 1) {
            b->cap *= 2;
            b->data = realloc(b->data, b->cap);
            CHECK(b->data != NULL);
        }
        ssize_t got = read(pfd[j].fd, b->data + b->len, b->cap - b->len - 1);
        if (got > 0) {
            b->len += (size_t)got;
            b->data[b->len] = '\0';
        } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
            close(p->fd[map[j]]);
            p->fd[map[j]] = -1;
            b->eof = true;
        }
    }
}

static const char *pd_text(const pd_proc_t *p, int which)
{
    return p->buf[which].data;
}

static int pd_count_lines(const pd_proc_t *p, int which)
{
    int n = 0;
    for (size_t i = 0; i < p->buf[which].len; i++)
        n += p->buf[which].data[i] == '\n';
    return n;
}

static void pd_dump_output(const pd_proc_t *p)
{
    fprintf(stderr, "---- pktdump stdout (%zu bytes):\n%s\n---- pktdump stderr:\n%s\n----\n",
            p->buf[PD_OUT].len, p->buf[PD_OUT].data, p->buf[PD_ERR].data);
}

/* Waits until the child's stdout or stderr holds needle; false at the deadline or at EOF. */
PD_UNUSED static bool pd_wait_text(pd_proc_t *p, int which, const char *needle, int timeout_ms)
{
    int64_t end = mono_ms() + timeout_ms;
    while (strstr(p->buf[which].data, needle) == NULL) {
        if (p->buf[which].eof || mono_ms() >= end)
            return false;
        pd_pump(p, 50);
    }
    return true;
}

/* Waits until pktdump says it is listening (its handle is open): only then send. */
PD_UNUSED static void pd_wait_listening(pd_proc_t *p)
{
    if (!pd_wait_text(p, PD_ERR, "listening on", 10000)) {
        pd_dump_output(p);
        FAIL("pktdump did not say \"listening on\" within 10 s");
    }
}

/* Waits until stdout holds n lines; fails at the deadline. */
PD_UNUSED static void pd_wait_lines(pd_proc_t *p, int n, int timeout_ms)
{
    int64_t end = mono_ms() + timeout_ms;
    while (pd_count_lines(p, PD_OUT) < n) {
        if (p->buf[PD_OUT].eof || mono_ms() >= end) {
            pd_dump_output(p);
            FAIL("expected %d lines from pktdump, got %d", n, pd_count_lines(p, PD_OUT));
        }
        pd_pump(p, 50);
    }
}

/* Waits (bounded) for the child to close its output and exit; returns its exit code (128 +
 * signal if it was killed). Kills it and fails at the deadline. */
PD_UNUSED static int pd_finish(pd_proc_t *p, int timeout_ms)
{
    int64_t end = mono_ms() + timeout_ms;
    while (!p->reaped) {
        pd_pump(p, 20);
        int st;
        pid_t r = waitpid(p->pid, &st, WNOHANG);
        if (r == p->pid) {
            p->reaped = true;
            p->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            pd_forget_child(p->pid);
        } else if (mono_ms() >= end) {
            kill(p->pid, SIGKILL);
            waitpid(p->pid, &st, 0);
            pd_forget_child(p->pid);
            pd_dump_output(p);
            FAIL("pktdump did not exit within %d ms", timeout_ms);
        }
    }
    /* the rest of its output (the pipes reach EOF now that it is gone) */
    for (int i = 0; i < 50 && (p->fd[0] >= 0 || p->fd[1] >= 0); i++)
        pd_pump(p, 20);
    return p->status;
}

PD_UNUSED static void pd_free(pd_proc_t *p)
{
    for (int i = 0; i < 2; i++) {
        if (p->fd[i] >= 0)
            close(p->fd[i]);
        free(p->buf[i].data);
        p->buf[i].data = NULL;
    }
}

/* Runs pktdump to completion (for command-line errors): returns its exit code. */
PD_UNUSED static int pd_run(pd_proc_t *p, const char *const *args, int timeout_ms)
{
    *p = pd_start(args);
    return pd_finish(p, timeout_ms);
}

/* stderr must end with tcpdump's three closing lines for these counts (received < 0: any
 * number received by the filter). */
PD_UNUSED static void pd_check_closing(const pd_proc_t *p, uint64_t captured, int64_t received,
                                       uint64_t dropped)
{
    const char *err = pd_text(p, PD_ERR);
    const char *at = strstr(err, " captured\n");
    while (at != NULL && at > err && at[-1] != '\n')
        at--; /* the start of that line */
    unsigned long long c = 0, r = 0, d = 0;
    char w1[16] = "", w2[16] = "", w3[16] = "";
    int used = -1;
    if (at != NULL)
        sscanf(at,
               "%llu %15s captured\n%llu %15s received by filter\n%llu %15s dropped by kernel\n%n",
               &c, w1, &r, w2, &d, w3, &used);
    if (used < 0 || at[used] != '\0' || c != captured ||
        (received >= 0 && r != (uint64_t)received) || d != dropped ||
        strcmp(w1, c == 1 ? "packet" : "packets") != 0 ||
        strcmp(w2, r == 1 ? "packet" : "packets") != 0 ||
        strcmp(w3, d == 1 ? "packet" : "packets") != 0) {
        pd_dump_output(p);
        FAIL("stderr does not end with the closing lines for %llu captured, %lld received, %llu "
             "dropped",
             (unsigned long long)captured, (long long)received, (unsigned long long)dropped);
    }
}

/* ---- frames ---- */

static const char *const PD_IP_SRC = "10.0.0.2", *const PD_IP_DST = "10.0.0.1";
static const char *const PD_IP6_SRC = "fd00::2", *const PD_IP6_DST = "fd00::1";

static void pd_put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void pd_put32(uint8_t *p, uint32_t v)
{
    pd_put16(p, v >> 16);
    pd_put16(p + 2, v & 0xffff);
}

static uint16_t pd_csum(const uint8_t *p, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        s += (uint32_t)p[n - 1] << 8;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

/* Ethernet header to the v0 end (from the test source MAC), with an optional 802.1Q tag (vid >
 * 0); returns the header length. */
static size_t pd_eth(uint8_t *f, const uint8_t dst[6], uint16_t type, unsigned vid)
{
    memcpy(f, dst, 6);
    memcpy(f + 6, MAC_SRC_TEST, 6);
    if (vid > 0) {
        pd_put16(f + 12, 0x8100);
        pd_put16(f + 14, vid & 0x0fff);
        pd_put16(f + 16, type);
        return 18;
    }
    pd_put16(f + 12, type);
    return 14;
}

/* IPv4 header of 20 bytes for an l4len-byte payload. */
static size_t pd_ipv4(uint8_t *p, uint8_t proto, size_t l4len)
{
    memset(p, 0, 20);
    p[0] = 0x45;
    pd_put16(p + 2, (unsigned)(20 + l4len));
    pd_put16(p + 4, 0x1234);
    p[6] = 0x40; /* DF */
    p[8] = 64;
    p[9] = proto;
    inet_pton(AF_INET, PD_IP_SRC, p + 12);
    inet_pton(AF_INET, PD_IP_DST, p + 16);
    pd_put16(p + 10, pd_csum(p, 20));
    return 20;
}

static size_t pd_ipv6(uint8_t *p, uint8_t nh, size_t l4len)
{
    memset(p, 0, 40);
    p[0] = 0x60;
    pd_put16(p + 4, (unsigned)l4len);
    p[6] = nh;
    p[7] = 64;
    inet_pton(AF_INET6, PD_IP6_SRC, p + 8);
    inet_pton(AF_INET6, PD_IP6_DST, p + 24);
    return 40;
}

static size_t pd_udp(uint8_t *p, unsigned sport, unsigned dport, size_t payload)
{
    pd_put16(p, sport);
    pd_put16(p + 2, dport);
    pd_put16(p + 4, (unsigned)(8 + payload));
    pd_put16(p + 6, 0);
    for (size_t i = 0; i < payload; i++)
        p[8 + i] = (uint8_t)('a' + i % 26);
    return 8 + payload;
}

/* A UDP/IPv4 frame (optionally VLAN-tagged) with payload bytes of data. */
PD_UNUSED static size_t pd_udp4_frame(uint8_t *f, const uint8_t dst[6], unsigned vid,
                                      unsigned sport, unsigned dport, size_t payload)
{
    size_t o = pd_eth(f, dst, 0x0800, vid);
    o += pd_ipv4(f + o, 17, 8 + payload);
    return o + pd_udp(f + o, sport, dport, payload);
}

PD_UNUSED static size_t pd_udp6_frame(uint8_t *f, const uint8_t dst[6], unsigned sport,
                                      unsigned dport, size_t payload)
{
    size_t o = pd_eth(f, dst, 0x86dd, 0);
    o += pd_ipv6(f + o, 17, 8 + payload);
    return o + pd_udp(f + o, sport, dport, payload);
}

/* A TCP/IPv4 frame: flags as in the header byte (0x02 SYN, 0x10 ACK, ...). */
PD_UNUSED static size_t pd_tcp4_frame(uint8_t *f, const uint8_t dst[6], unsigned sport,
                                      unsigned dport, uint8_t flags, uint32_t seq, uint32_t ack,
                                      size_t payload)
{
    size_t o = pd_eth(f, dst, 0x0800, 0);
    o += pd_ipv4(f + o, 6, 20 + payload);
    uint8_t *t = f + o;
    memset(t, 0, 20 + payload);
    pd_put16(t, sport);
    pd_put16(t + 2, dport);
    pd_put32(t + 4, seq);
    pd_put32(t + 8, ack);
    t[12] = 5 << 4;
    t[13] = flags;
    pd_put16(t + 14, 64240);
    return o + 20 + payload;
}

PD_UNUSED static size_t pd_icmp4_echo_frame(uint8_t *f, const uint8_t dst[6], unsigned id,
                                            unsigned seq, size_t payload)
{
    size_t o = pd_eth(f, dst, 0x0800, 0);
    o += pd_ipv4(f + o, 1, 8 + payload);
    uint8_t *c = f + o;
    memset(c, 0, 8 + payload);
    c[0] = 8;
    pd_put16(c + 4, id);
    pd_put16(c + 6, seq);
    pd_put16(c + 2, pd_csum(c, 8 + payload));
    return o + 8 + payload;
}

PD_UNUSED static size_t pd_icmp6_echo_frame(uint8_t *f, const uint8_t dst[6], unsigned id,
                                            unsigned seq, size_t payload)
{
    size_t o = pd_eth(f, dst, 0x86dd, 0);
    o += pd_ipv6(f + o, 58, 8 + payload);
    uint8_t *c = f + o;
    memset(c, 0, 8 + payload);
    c[0] = 128;
    pd_put16(c + 4, id);
    pd_put16(c + 6, seq);
    return o + 8 + payload;
}

/* ARP request: who has PD_IP_DST, tell PD_IP_SRC (broadcast). */
PD_UNUSED static size_t pd_arp_frame(uint8_t *f)
{
    size_t o = pd_eth(f, MAC_BROADCAST, 0x0806, 0);
    uint8_t *a = f + o;
    memset(a, 0, 28);
    pd_put16(a, 1);
    pd_put16(a + 2, 0x0800);
    a[4] = 6;
    a[5] = 4;
    pd_put16(a + 6, 1);
    memcpy(a + 8, MAC_SRC_TEST, 6);
    inet_pton(AF_INET, PD_IP_SRC, a + 14);
    inet_pton(AF_INET, PD_IP_DST, a + 24);
    return o + 28;
}

/* ---- files ---- */

/* A fresh directory under /tmp, removed by pd_rmdir. */
PD_UNUSED static void pd_tmpdir(char *out, size_t n)
{
    snprintf(out, n, "/tmp/pktdump-test-XXXXXX");
    CHECK(mkdtemp(out) != NULL);
}

PD_UNUSED static void pd_rmdir(const char *dir)
{
    if (strncmp(dir, "/tmp/pktdump-test-", 18) == 0)
        sh("rm -rf '%s'", dir);
}

PD_UNUSED static void pd_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    CHECK(fputs(text, f) >= 0);
    CHECK(fclose(f) == 0);
}

/* Reads a whole file (malloc'd); *n its length. */
PD_UNUSED static uint8_t *pd_read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        FAIL("open %s: %s", path, strerror(errno));
    size_t cap = 65536, len = 0;
    uint8_t *b = malloc(cap);
    CHECK(b != NULL);
    size_t got;
    while ((got = fread(b + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap) {
            cap *= 2;
            b = realloc(b, cap);
            CHECK(b != NULL);
        }
    }
    CHECK(!ferror(f));
    fclose(f);
    *n = len;
    return b;
}

typedef struct pd_rec {
    int64_t ts_ns;
    uint32_t caplen, len;
    const uint8_t *data;
} pd_rec_t;

typedef struct pd_file {
    bool pcapng;
    bool nano;          /* timestamp resolution of the (first) interface */
    uint32_t linktype;  /* of the (first) interface */
    uint32_t snaplen;
    int nrec;
    int nisb;           /* pcapng interface statistics blocks */
    pd_rec_t rec[64];
} pd_file_t;

static uint32_t pd_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t pd_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

/* Parses a little-endian pcap or pcapng file (what this machine writes); fails the test on any
 * malformation. Records point into buf. */
PD_UNUSED static void pd_parse(const uint8_t *buf, size_t n, pd_file_t *out)
{
    memset(out, 0, sizeof *out);
    CHECKF(n >= 24, "file of %zu bytes", n);
    uint32_t magic = pd_le32(buf);
    if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d) {
        out->nano = magic == 0xa1b23c4d;
        CHECKF(pd_le16(buf + 4) == 2 && pd_le16(buf + 6) == 4, "pcap version %u.%u",
               pd_le16(buf + 4), pd_le16(buf + 6));
        out->snaplen = pd_le32(buf + 16);
        out->linktype = pd_le32(buf + 20) & 0xffff;
        size_t o = 24;
        while (o < n) {
            CHECKF(n - o >= 16, "torn record header at offset %zu", o);
            CHECK(out->nrec < 64);
            pd_rec_t *r = &out->rec[out->nrec++];
            uint32_t frac = pd_le32(buf + o + 4);
            CHECKF(frac < (out->nano ? 1000000000u : 1000000u), "fraction %u", frac);
            r->ts_ns = (int64_t)pd_le32(buf + o) * 1000000000 + (out->nano ? frac : frac * 1000ll);
            r->caplen = pd_le32(buf + o + 8);
            r->len = pd_le32(buf + o + 12);
            CHECKF(r->caplen <= r->len && r->caplen <= out->snaplen, "caplen %u len %u snaplen %u",
                   r->caplen, r->len, out->snaplen);
            CHECKF(n - o - 16 >= r->caplen, "torn record at offset %zu", o);
            r->data = buf + o + 16;
            o += 16 + r->caplen;
        }
        return;
    }
    CHECKF(magic == 0x0a0d0d0a, "unknown magic 0x%08x", magic);
    out->pcapng = true;
    CHECKF(pd_le32(buf + 8) == 0x1a2b3c4d, "pcapng byte-order magic 0x%08x", pd_le32(buf + 8));
    int64_t units = 1000000; /* per second, interface 0 */
    int nif = 0;
    size_t o = 0;
    while (o < n) {
        CHECKF(n - o >= 12, "torn block at offset %zu", o);
        uint32_t type = pd_le32(buf + o), blen = pd_le32(buf + o + 4);
        CHECKF(blen >= 12 && blen % 4 == 0 && blen <= n - o, "block length %u at %zu", blen, o);
        CHECKF(pd_le32(buf + o + blen - 4) == blen, "trailing length of the block at %zu", o);
        const uint8_t *b = buf + o + 8;
        size_t body = blen - 12;
        if (type == 1) { /* interface description */
            CHECK(body >= 8);
            if (nif++ == 0) {
                out->linktype = pd_le16(b);
                out->snaplen = pd_le32(b + 4);
                for (size_t q = 8; q + 4 <= body;) {
                    unsigned code = pd_le16(b + q), olen = pd_le16(b + q + 2);
                    if (code == 0)
                        break;
                    if (code == 9 && olen >= 1) {
                        uint8_t v = b[q + 4];
                        CHECKF(!(v & 0x80), "if_tsresol 0x%x", v);
                        units = 1;
                        for (unsigned i = 0; i < v; i++)
                            units *= 10;
                    }
                    q += 4 + ((olen + 3u) & ~3u);
                }
                out->nano = units == 1000000000;
            }
        } else if (type == 6) { /* enhanced packet */
            CHECK(body >= 20);
            CHECK(out->nrec < 64);
            pd_rec_t *r = &out->rec[out->nrec++];
            uint64_t ts = (uint64_t)pd_le32(b + 4) << 32 | pd_le32(b + 8);
            r->ts_ns = (int64_t)(ts / (uint64_t)units) * 1000000000 +
                       (int64_t)(ts % (uint64_t)units) * (1000000000 / units);
            r->caplen = pd_le32(b + 12);
            r->len = pd_le32(b + 16);
            CHECKF(r->caplen <= r->len && 20 + (size_t)r->caplen <= body, "EPB caplen %u len %u",
                   r->caplen, r->len);
            r->data = b + 20;
        } else if (type == 5) {
            out->nisb++;
        }
        o += blen;
    }
    CHECKF(nif >= 1 || out->nrec == 0, "packets but no interface description block");
}

/* Is `tool` installed? Under CI=true a missing one fails (scripts/test.sh installs it). */
PD_UNUSED static bool pd_have_tool(const char *tool)
{
    if (sh("command -v %s >/dev/null 2>&1", tool) == 0)
        return true;
    const char *ci = getenv("CI");
    if (ci != NULL && strcmp(ci, "true") == 0)
        FAIL("%s is not installed (scripts/test.sh installs it); CI=true needs this check", tool);
    note("%s is not installed: its cross-check is left out", tool);
    return false;
}

/* Runs a shell command and returns its standard output (malloc'd, NUL-terminated). */
PD_UNUSED __attribute__((format(printf, 1, 2))) static char *pd_capture_sh(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    fflush(NULL);
    FILE *f = popen(cmd, "r");
    CHECK(f != NULL);
    size_t cap = 4096, len = 0;
    char *s = malloc(cap);
    CHECK(s != NULL);
    size_t got;
    while ((got = fread(s + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (cap - len < 2) {
            cap *= 2;
            s = realloc(s, cap);
            CHECK(s != NULL);
        }
    }
    s[len] = '\0';
    int st = pclose(f);
    if (st != 0) {
        fprintf(stderr, "---- output of `%s`:\n%s----\n", cmd, s);
        FAIL("`%s` failed (status %d)", cmd, st);
    }
    return s;
}

PD_UNUSED static int pd_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* tcpdump -r and tshark -r (each if installed) must read exactly `records` packets of `file`;
 * want, if not NULL, must appear in tcpdump's output. */
PD_UNUSED static void pd_check_readers(const char *file, int records, const char *want)
{
    if (pd_have_tool("tcpdump")) {
        /* -r as root: tcpdump reads the file before it drops privileges */
        char *out = pd_capture_sh("tcpdump -n -r '%s' 2>/dev/null", file);
        if (pd_lines(out) != records || (want != NULL && strstr(out, want) == NULL)) {
            fprintf(stderr, "---- tcpdump -r %s:\n%s----\n", file, out);
            FAIL("tcpdump read %d packets (want %d)%s%s", pd_lines(out), records,
                 want ? ", looking for " : "", want ? want : "");
        }
        free(out);
    }
    if (pd_have_tool("tshark")) {
        char *out = pd_capture_sh("tshark -n -r '%s' -T fields -e frame.number 2>/dev/null", file);
        if (pd_lines(out) != records) {
            fprintf(stderr, "---- tshark -r %s:\n%s----\n", file, out);
            FAIL("tshark read %d packets (want %d)", pd_lines(out), records);
        }
        free(out);
    }
}

#endif
