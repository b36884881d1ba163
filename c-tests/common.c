#include "common.h"

#include <poll.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *g_test_name = "test";

const uint8_t MAC_BROADCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
const uint8_t MAC_MULTICAST[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x42};
const uint8_t MAC_OTHER[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x99};
const uint8_t MAC_SRC_TEST[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};

/* ---- failing, skipping, checking ---- */

static void print_prefix(const char *file, int line)
{
    fprintf(stderr, "FAIL %s: %s:%d: ", g_test_name, file, line);
}

void fail_at(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    print_prefix(file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    fflush(NULL);
    exit(1);
}

void fail_check_at(const char *file, int line, const char *cond)
{
    print_prefix(file, line);
    fprintf(stderr, "CHECK(%s) failed\n", cond);
    fflush(NULL);
    exit(1);
}

void fail_cond_at(const char *file, int line, const char *cond, const char *fmt, ...)
{
    va_list ap;
    print_prefix(file, line);
    fprintf(stderr, "CHECK(%s) failed: ", cond);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    fflush(NULL);
    exit(1);
}

static void describe_code(long long v)
{
    if (v < 0 && v >= -4095)
        fprintf(stderr, "%lld (%s)", v, pkt_strerror((int)v));
    else
        fprintf(stderr, "%lld", v);
}

void fail_rc_at(const char *file, int line, const char *expr, long long rc, long long want)
{
    print_prefix(file, line);
    fprintf(stderr, "%s returned ", expr);
    describe_code(rc);
    fprintf(stderr, ", expected ");
    describe_code(want);
    fprintf(stderr, "; pkt_errmsg: \"%s\"\n", pkt_errmsg());
    fflush(NULL);
    exit(1);
}

int check_ok_at(long long rc, const char *file, int line, const char *expr)
{
    if (rc < 0) {
        print_prefix(file, line);
        fprintf(stderr, "%s returned ", expr);
        describe_code(rc);
        fprintf(stderr, ", expected >= 0; pkt_errmsg: \"%s\"\n", pkt_errmsg());
        fflush(NULL);
        exit(1);
    }
    return (int)rc;
}

void skip_test(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "SKIP %s: ", g_test_name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    fflush(NULL);
    exit(EXIT_SKIP);
}

void note(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "# %s: ", g_test_name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
}

/* ---- test life cycle ---- */

static _Atomic int64_t g_watchdog_deadline_ms;

static void *watchdog_main(void *arg)
{
    (void)arg;
    /* Signals are the tests' business (SIGALRM tests): keep them on the other threads. */
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    for (;;) {
        sleep_ms(100);
        int64_t d = atomic_load(&g_watchdog_deadline_ms);
        if (d > 0 && mono_ms() > d) {
            /* Only async-safe-ish output: the main thread may be stuck anywhere. */
            static const char msg[] = "FAIL: watchdog: the test did not finish in time (hang?)\n";
            fprintf(stderr, "FAIL %s: watchdog expired\n", g_test_name);
            if (write(2, msg, sizeof msg - 1) < 0) { /* nothing more to do */ }
            _exit(1);
        }
    }
    return NULL;
}

void watchdog_arm(int seconds)
{
    atomic_store(&g_watchdog_deadline_ms, mono_ms() + (int64_t)seconds * 1000);
}

void test_init(const char *name, int watchdog_s)
{
    g_test_name = name;
    setvbuf(stdout, NULL, _IOLBF, 0);
    setvbuf(stderr, NULL, _IONBF, 0);
    if (getenv("PKT_TEST_NETNS") == NULL)
        SKIP("not inside the test namespace: run it through netns.sh");
    if (geteuid() != 0)
        SKIP("needs root (CAP_NET_RAW and CAP_NET_ADMIN in the namespace)");
    if (if_nametoindex("v0") == 0 || if_nametoindex("v1") == 0)
        SKIP("no veth pair v0/v1 in this namespace");
    watchdog_arm(watchdog_s);
    pthread_t t;
    if (pthread_create(&t, NULL, watchdog_main, NULL) != 0)
        FAIL("pthread_create(watchdog)");
    pthread_detach(t);
    note("libpkt %s, namespace %s", pkt_version(), getenv("PKT_TEST_NETNS"));
}

int test_pass(void)
{
    fprintf(stderr, "PASS %s\n", g_test_name);
    return 0;
}

/* ---- clocks ---- */

int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t mono_ms(void)
{
    return mono_ns() / 1000000;
}

int64_t real_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ---- interfaces and shell ---- */

int ifindex_of(const char *ifname)
{
    unsigned idx = if_nametoindex(ifname);
    if (idx == 0)
        FAIL("if_nametoindex(%s): %s", ifname, strerror(errno));
    return (int)idx;
}

void mac_of(const char *ifname, uint8_t mac[6])
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        FAIL("socket(AF_INET): %s", strerror(errno));
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
    if (ioctl(fd, SIOCGIFHWADDR, &ifr) != 0)
        FAIL("SIOCGIFHWADDR(%s): %s", ifname, strerror(errno));
    memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
    close(fd);
}

unsigned iface_flags(const char *ifname)
{
    char path[128];
    snprintf(path, sizeof path, "/sys/class/net/%s/flags", ifname);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        FAIL("open %s: %s", path, strerror(errno));
    unsigned v = 0;
    if (fscanf(f, "%x", &v) != 1)
        FAIL("parse %s", path);
    fclose(f);
    return v;
}

static int vsh(const char *fmt, va_list ap)
{
    char cmd[1024];
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    fflush(NULL);
    int st = system(cmd);
    if (st == -1 || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}

int sh(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vsh(fmt, ap);
    va_end(ap);
    return rc;
}

void sh_ok(const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = sh("%s", cmd);
    if (rc != 0)
        FAIL("command failed (status %d): %s", rc, cmd);
}

static bool operstate_is_up(const char *ifname)
{
    char path[128], buf[32] = {0};
    snprintf(path, sizeof path, "/sys/class/net/%s/operstate", ifname);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    bool up = fgets(buf, sizeof buf, f) != NULL && strncmp(buf, "up", 2) == 0;
    fclose(f);
    return up;
}

void wait_link_up(const char *ifname, int timeout_ms)
{
    int64_t deadline = mono_ms() + timeout_ms;
    while (!operstate_is_up(ifname)) {
        if (mono_ms() > deadline)
            FAIL("%s did not come up within %d ms", ifname, timeout_ms);
        sleep_ms(10);
    }
}

void recreate_veth(void)
{
    if (if_nametoindex("v0") != 0)
        sh_ok("ip link del v0");
    sh_ok("ip link add v0 mtu 1500 type veth peer name v1 mtu 1500"
          " && ip link set v0 up && ip link set v1 up");
    wait_link_up("v0", 5000);
    wait_link_up("v1", 5000);
}

/* ---- frames ---- */

void frame_build(uint8_t *buf, size_t len, const uint8_t dst[6], const uint8_t src[6],
                 uint16_t ethertype, uint32_t seq)
{
    if (len < ETH_HDR_LEN)
        FAIL("frame_build: %zu bytes is shorter than an Ethernet header", len);
    memcpy(buf, dst, 6);
    memcpy(buf + 6, src, 6);
    buf[12] = (uint8_t)(ethertype >> 8);
    buf[13] = (uint8_t)ethertype;
    size_t i = ETH_HDR_LEN;
    if (len >= FRAME_MIN_MARKED) {
        memcpy(buf + i, MARKER, MARKER_LEN);
        i += MARKER_LEN;
        buf[i++] = (uint8_t)(seq >> 24);
        buf[i++] = (uint8_t)(seq >> 16);
        buf[i++] = (uint8_t)(seq >> 8);
        buf[i++] = (uint8_t)seq;
    }
    for (; i < len; i++)
        buf[i] = (uint8_t)(seq * 7u + i * 13u);
}

int64_t frame_seq(const uint8_t *data, size_t caplen, size_t off)
{
    if (data == NULL || caplen < off + MARKER_LEN + 4)
        return -1;
    if (memcmp(data + off, MARKER, MARKER_LEN) != 0)
        return -1;
    const uint8_t *s = data + off + MARKER_LEN;
    return (int64_t)(((uint32_t)s[0] << 24) | ((uint32_t)s[1] << 16) | ((uint32_t)s[2] << 8) | s[3]);
}

bool is_test_frame(const uint8_t *data, size_t caplen, bool cooked)
{
    if (data == NULL)
        return false;
    if (cooked)
        return frame_seq(data, caplen, 0) >= 0;
    if (caplen < ETH_HDR_LEN)
        return false;
    uint16_t t = (uint16_t)((data[12] << 8) | data[13]);
    /* a VLAN tag put back into the bytes: the ethertype follows it */
    if ((t == 0x8100 || t == 0x88a8) && caplen >= ETH_HDR_LEN + 4)
        t = (uint16_t)((data[16] << 8) | data[17]);
    return t == TEST_ETHERTYPE || t == OTHER_ETHERTYPE;
}

void check_bytes_at(const char *file, int line, const uint8_t *got, size_t got_len,
                    const uint8_t *want, size_t want_len)
{
    if (got_len != want_len)
        fail_at(file, line, "length %zu, expected %zu", got_len, want_len);
    for (size_t i = 0; i < want_len; i++)
        if (got[i] != want[i])
            fail_at(file, line, "byte %zu is 0x%02x, expected 0x%02x (length %zu)", i, got[i],
                    want[i], want_len);
}

/* ---- raw sender ---- */

raw_tx_t raw_tx_open(const char *ifname)
{
    raw_tx_t t;
    t.fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (t.fd < 0) {
        if (errno == EPERM || errno == EACCES)
            SKIP("socket(AF_PACKET): %s", strerror(errno));
        FAIL("socket(AF_PACKET): %s", strerror(errno));
    }
    t.ifindex = ifindex_of(ifname);
    mac_of(ifname, t.mac);
    return t;
}

int raw_tx_send_rc(const raw_tx_t *t, const void *frame, size_t len)
{
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_ifindex = t->ifindex;
    if (len >= ETH_HDR_LEN)
        memcpy(&sll.sll_protocol, (const uint8_t *)frame + 12, 2); /* already big endian */
    for (int attempt = 0;; attempt++) {
        ssize_t n = sendto(t->fd, frame, len, 0, (const struct sockaddr *)&sll, sizeof sll);
        if (n == (ssize_t)len)
            return 0;
        if (n >= 0)
            FAIL("sendto: short send %zd of %zu", n, len);
        if ((errno == ENOBUFS || errno == EAGAIN) && attempt < 2000) {
            sleep_ms(1);
            continue;
        }
        return -errno;
    }
}

void raw_tx_send(const raw_tx_t *t, const void *frame, size_t len)
{
    int rc = raw_tx_send_rc(t, frame, len);
    if (rc != 0)
        FAIL("sendto(ifindex %d, %zu bytes): %s", t->ifindex, len, strerror(-rc));
}

void raw_tx_send_seq(const raw_tx_t *t, const uint8_t dst[6], uint16_t ethertype, uint32_t seq,
                     size_t len)
{
    uint8_t buf[9216];
    if (len > sizeof buf)
        FAIL("raw_tx_send_seq: %zu bytes is too long", len);
    frame_build(buf, len, dst, t->mac, ethertype, seq);
    raw_tx_send(t, buf, len);
}

void raw_tx_close(raw_tx_t *t)
{
    if (t->fd >= 0)
        close(t->fd);
    t->fd = -1;
}

/* ---- reading with libpkt ---- */

pkt_config_t test_config(void)
{
    pkt_config_t c;
    pkt_config_default(&c);
    c.read_timeout_ms = 200;
    return c;
}

void config_mode(pkt_config_t *c, bool immediate)
{
    c->immediate = immediate;
    if (immediate && c->buffer_size == 2 * 1024 * 1024)
        c->buffer_size = 32 * 1024 * 1024;
}

pkt_t *open_ok_at(const char *file, int line, const char *ifname, const pkt_config_t *cfg)
{
    pkt_t *h = NULL;
    int rc = pkt_open(ifname, cfg, &h);
    char what[96];
    snprintf(what, sizeof what, "pkt_open(%s%s%s)", ifname ? "\"" : "", ifname ? ifname : "NULL",
             ifname ? "\"" : "");
    if (rc != 0)
        fail_rc_at(file, line, what, rc, 0);
    if (h == NULL)
        fail_at(file, line, "%s returned 0 but left the handle NULL", what);
    return h;
}

static const uint8_t g_sentinel_byte;
#define DATA_SENTINEL (&g_sentinel_byte)

typedef struct {
    bool cooked;
} default_pred_arg;

static bool default_pred(const uint8_t *data, const pkt_info_t *info, void *arg)
{
    const default_pred_arg *a = arg;
    return is_test_frame(data, info->caplen, a->cooked);
}

static int read_matching(pkt_t *h, int timeout_ms, frame_pred pred, void *arg,
                         const uint8_t **data, pkt_info_t *info)
{
    int64_t deadline = mono_ms() + timeout_ms;
    int foreign = 0;
    for (;;) {
        if (mono_ms() > deadline)
            return -ETIMEDOUT;
        const uint8_t *d = DATA_SENTINEL;
        pkt_info_t i;
        memset(&i, 0xa5, sizeof i);
        int rc = pkt_read(h, 1, &d, &i);
        if (rc == -ETIMEDOUT)
            continue;
        if (rc == 0) {
            CHECKF(d == NULL, "pkt_read returned 0 (nil read) but *data is %p, not NULL",
                   (const void *)d);
            continue;
        }
        if (rc < 0)
            return rc;
        CHECKF(d != NULL && d != DATA_SENTINEL, "pkt_read returned %d but did not set *data", rc);
        CHECKF((uint32_t)rc == i.caplen, "pkt_read returned %d, info.caplen %u", rc, i.caplen);
        CHECKF(i.len >= i.caplen, "info.len %u < info.caplen %u", i.len, i.caplen);
        if (!pred(d, &i, arg)) {
            if (foreign++ < 5)
                note("skipped a frame that is not the test's: caplen %u protocol 0x%04x pkttype %u",
                     i.caplen, i.protocol, i.pkttype);
            continue;
        }
        *data = d;
        *info = i;
        return rc;
    }
}

int read_test_frame(pkt_t *h, int timeout_ms, bool cooked, const uint8_t **data,
                    pkt_info_t *info)
{
    default_pred_arg a = {cooked};
    return read_matching(h, timeout_ms, default_pred, &a, data, info);
}

int collect_matching(pkt_t *h, frame_pred pred, void *arg, int idle_ms, rx_frame_t *out,
                     int max)
{
    int n = 0;
    for (;;) {
        const uint8_t *d;
        pkt_info_t i;
        int rc = read_matching(h, idle_ms, pred, arg, &d, &i);
        if (rc == -ETIMEDOUT)
            return n;
        if (rc < 0)
            fail_rc_at(__FILE__, __LINE__, "pkt_read (collecting frames)", rc, 1);
        if (n >= max)
            FAIL("more than the %d expected frames arrived (extra: caplen %u, seq %lld)", max,
                 i.caplen, (long long)frame_seq(d, i.caplen, ETH_HDR_LEN));
        out[n].info = i;
        memcpy(out[n].data, d, i.caplen < RX_COPY_MAX ? i.caplen : RX_COPY_MAX);
        n++;
    }
}

int collect_frames(pkt_t *h, bool cooked, int idle_ms, rx_frame_t *out, int max)
{
    default_pred_arg a = {cooked};
    return collect_matching(h, default_pred, &a, idle_ms, out, max);
}

pkt_stats_t wait_recvs(pkt_t *h, uint64_t n, int timeout_ms)
{
    int64_t deadline = mono_ms() + timeout_ms;
    pkt_stats_t s;
    for (;;) {
        CHECK_RC(pkt_stats(h, true, &s), 0);
        if (s.recvs >= n)
            return s;
        if (mono_ms() > deadline)
            FAIL("pkt_stats: recvs %llu after %d ms, expected at least %llu",
                 (unsigned long long)s.recvs, timeout_ms, (unsigned long long)n);
        sleep_ms(5);
    }
}

/* ---- process resources ---- */

int count_open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL)
        FAIL("opendir(/proc/self/fd): %s", strerror(errno));
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the directory's own fd */
}

long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL)
        FAIL("open /proc/self/status: %s", strerror(errno));
    char line[256];
    long v = -1;
    while (fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "VmRSS: %ld kB", &v) == 1)
            break;
    fclose(f);
    if (v < 0)
        FAIL("no VmRSS in /proc/self/status");
    return v;
}

/* ---- BPF ---- */

void filter_ethertype(pkt_bpf_insn_t prog[4], uint16_t ethertype, uint32_t ret_k)
{
    prog[0] = BPF_STMT_(OP_LDH_ABS, 12);
    prog[1] = BPF_JUMP_(OP_JEQ_K, ethertype, 0, 1);
    prog[2] = BPF_STMT_(OP_RET_K, ret_k);
    prog[3] = BPF_STMT_(OP_RET_K, 0);
}

bool fd_readable(int fd, int timeout_ms)
{
    struct pollfd p = {fd, POLLIN, 0};
    int r = poll(&p, 1, timeout_ms);
    CHECKF(r >= 0, "poll: %s", strerror(errno));
    CHECKF(!(p.revents & (POLLERR | POLLNVAL)), "poll revents 0x%x", p.revents);
    return r > 0 && (p.revents & POLLIN);
}

pkt_bpf_insn_t *filter_long(size_t n, uint16_t ethertype)
{
    pkt_bpf_insn_t *p = calloc(n, sizeof *p);
    CHECK(p != NULL);
    for (size_t i = 0; i + 4 < n; i++)
        p[i] = BPF_STMT_(OP_LD_IMM, 0);
    filter_ethertype(p + n - 4, ethertype, 262144);
    return p;
}

/* ---- savefiles: temporary files and the tools that read them ---- */

#include <sched.h>
#include <sys/mount.h>

static char g_tmpdir[64];

/* Unmounts whatever is mounted at or below the temporary directory (deepest first), then
 * removes it. */
static void tmpdir_cleanup(void)
{
    if (g_tmpdir[0] == '\0')
        return;
    size_t plen = strlen(g_tmpdir);
    for (int round = 0; round < 16; round++) {
        FILE *f = fopen("/proc/self/mounts", "r");
        if (f == NULL)
            break;
        char line[1024], deepest[512] = "";
        while (fgets(line, sizeof line, f) != NULL) {
            char dev[256], mp[512];
            if (sscanf(line, "%255s %511s", dev, mp) != 2)
                continue;
            if (strncmp(mp, g_tmpdir, plen) == 0 && (mp[plen] == '\0' || mp[plen] == '/') &&
                strlen(mp) > strlen(deepest))
                snprintf(deepest, sizeof deepest, "%s", mp);
        }
        fclose(f);
        if (deepest[0] == '\0')
            break;
        if (umount2(deepest, MNT_DETACH) != 0)
            break;
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf -- '%s'", g_tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "# could not remove %s\n", g_tmpdir);
    g_tmpdir[0] = '\0';
}

const char *test_tmpdir(void)
{
    if (g_tmpdir[0] == '\0') {
        snprintf(g_tmpdir, sizeof g_tmpdir, "/tmp/pkttest-XXXXXX");
        if (mkdtemp(g_tmpdir) == NULL)
            FAIL("mkdtemp(/tmp/pkttest-XXXXXX): %s", strerror(errno));
        atexit(tmpdir_cleanup);
    }
    return g_tmpdir;
}

const char *tmp_path(const char *name)
{
    static char bufs[8][256];
    static unsigned next;
    char *b = bufs[next++ % 8];
    snprintf(b, sizeof bufs[0], "%s/%s", test_tmpdir(), name);
    return b;
}

void private_mount_ns(void)
{
    if (unshare(CLONE_NEWNS) != 0)
        SKIP("unshare(CLONE_NEWNS): %s", strerror(errno));
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
        FAIL("mount --make-rprivate /: %s", strerror(errno));
}

char *sh_output(int *status, const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    fflush(NULL);
    FILE *p = popen(cmd, "r");
    if (p == NULL)
        FAIL("popen(%s): %s", cmd, strerror(errno));
    size_t cap = 65536, len = 0;
    char *out = malloc(cap);
    CHECK(out != NULL);
    for (;;) {
        if (cap - len < 4096) {
            cap *= 2;
            out = realloc(out, cap);
            CHECK(out != NULL);
        }
        size_t n = fread(out + len, 1, cap - len - 1, p);
        if (n == 0)
            break;
        len += n;
    }
    out[len] = '\0';
    int st = pclose(p);
    *status = (st != -1 && WIFEXITED(st)) ? WEXITSTATUS(st) : -1;
    return out;
}

int split_lines(char *text, char **lines, int max)
{
    int n = 0;
    char *s = text;
    while (*s != '\0') {
        char *nl = strchr(s, '\n');
        if (nl != NULL)
            *nl = '\0';
        if (n < max)
            lines[n] = s;
        n++;
        if (nl == NULL)
            break;
        s = nl + 1;
    }
    return n;
}

int split_tabs(char *line, char **fields, int max)
{
    int n = 0;
    char *s = line;
    while (n < max) {
        fields[n++] = s;
        char *t = strchr(s, '\t');
        if (t == NULL)
            break;
        *t = '\0';
        s = t + 1;
    }
    return n;
}

int64_t parse_epoch_ns(const char *s)
{
    char *end;
    errno = 0;
    long long sec = strtoll(s, &end, 10);
    CHECKF(errno == 0 && end != s, "not a time: \"%s\"", s);
    int64_t frac = 0;
    int digits = 0;
    if (*end == '.') {
        for (end++; *end >= '0' && *end <= '9'; end++, digits++) {
            CHECKF(digits < 9, "more than 9 fraction digits: \"%s\"", s);
            frac = frac * 10 + (*end - '0');
        }
    }
    for (; digits < 9; digits++)
        frac *= 10;
    return (int64_t)sec * 1000000000 + frac;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Fails the test when a tool's standard error (in file err_path) has an error line: anything
 * but the lines listed in ok (prefixes). */
static void check_stderr(const char *tool, const char *path, const char *err_path,
                         const char *const *ok, size_t nok)
{
    FILE *f = fopen(err_path, "r");
    if (f == NULL)
        FAIL("open %s: %s", err_path, strerror(errno));
    char line[1024];
    while (fgets(line, sizeof line, f) != NULL) {
        bool fine = line[0] == '\n';
        for (size_t i = 0; i < nok && !fine; i++)
            fine = strncmp(line, ok[i], strlen(ok[i])) == 0;
        if (!fine)
            FAIL("%s -r %s: %s", tool, path, line);
    }
    fclose(f);
    unlink(err_path);
}

int tcpdump_read(const char *path, bool nano, tcpdump_pkt_t *out, int max)
{
    /* in the test's own directory: the file may sit on a full file system */
    char err[300];
    snprintf(err, sizeof err, "%s", tmp_path("tcpdump.stderr"));
    int status;
    char *text = sh_output(&status, "tcpdump -r '%s' -nn -tt -xx %s 2>'%s'", path,
                           nano ? "--nano" : "", err);
    /* the warning comes with LINUX_SLL2 files, whose ifindexes tcpdump names from the host */
    static const char *const ok[] = {"reading from file",
                                     "Warning: interface names might be incorrect"};
    check_stderr("tcpdump", path, err, ok, 2);
    CHECKF(status == 0, "tcpdump -r %s exited with %d", path, status);
    int n = 0;
    tcpdump_pkt_t *cur = NULL;
    for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        if (line[0] != '\t') {
            CHECKF(n < max, "tcpdump -r %s: more than %d packets", path, max);
            cur = &out[n++];
            memset(cur, 0, sizeof *cur);
            cur->ts_ns = parse_epoch_ns(line);
            const char *dot = strchr(line, '.');
            cur->frac_digits = dot ? (int)strspn(dot + 1, "0123456789") : 0;
            const char *l = NULL;
            for (const char *s = line; (s = strstr(s, "length ")) != NULL; s++)
                l = s;
            CHECKF(l != NULL, "tcpdump: no length in \"%s\"", line);
            cur->len = (uint32_t)strtoul(l + 7, NULL, 10);
            continue;
        }
        CHECKF(cur != NULL && strncmp(line, "\t0x", 3) == 0, "tcpdump: unexpected \"%s\"", line);
        const char *s = strchr(line, ':');
        CHECK(s != NULL);
        for (s++; *s != '\0';) {
            while (*s == ' ')
                s++;
            int hi, lo;
            while ((hi = hexval(s[0])) >= 0 && (lo = hexval(s[1])) >= 0) {
                CHECKF(cur->caplen < sizeof cur->bytes, "tcpdump: packet too long");
                cur->bytes[cur->caplen++] = (uint8_t)(hi << 4 | lo);
                s += 2;
            }
            if (*s != ' ')
                break;
        }
    }
    free(text);
    return n;
}

char *tshark_fields(const char *path, const char *fields)
{
    char err[300];
    snprintf(err, sizeof err, "%s", tmp_path("tshark.stderr"));
    int status;
    char *text = sh_output(&status, "tshark -r '%s' -T fields %s 2>'%s'", path, fields, err);
    static const char *const ok[] = {"Running as user \"root\""};
    check_stderr("tshark", path, err, ok, 1);
    CHECKF(status == 0, "tshark -r %s exited with %d", path, status);
    return text;
}
