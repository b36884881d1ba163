/* The send path never fails silently (issue 12), with tx_mode PKT_TX_SENDMMSG and PKT_TX_RING,
 * block (TPACKET_V3) and immediate (TPACKET_V2) handles:
 * - pkt_write on a TX ring handle sends the frame (the kernel takes every send on the ring's
 *   socket from the ring: it used to return 0 and send nothing);
 * - a runt frame (shorter than the Ethernet header) in a batch gives the count before it and
 *   pkt_errno() -EINVAL, nothing after it goes, and 1280 frames sent next all arrive, in order
 *   (the TX ring used to stall: later batches "sent" while nothing arrived);
 * - the MTU checked is the interface's current one: lowered to 1000, a 1200-byte frame gives
 *   -EMSGSIZE at its index; raised to 9000, a 9014-byte frame goes (it is larger than a ring
 *   slot sized at open, so it goes by the handle's second socket, in order);
 * - a batch while the link is down sends nothing (-ENETDOWN) and nothing of it arrives later;
 * - under a thread flapping the MTU 1500 <-> 1000 (so that frames pass the check and meet a
 *   lower MTU in the kernel), every frame reported sent arrives and no other, in order; under
 *   one flapping the link down and up mid-batch, every frame that arrives was reported sent,
 *   in order and once (frames the kernel's noop qdisc drops while the carrier comes back are
 *   reported to every packet socket as sent: a kernel limit, counted in the output).
 * The receiver on v1 reads until a barrier frame sent last, so no test waits for silence. The
 * process is pinned to one CPU: veth delivers through the sending CPU's backlog, so frames
 * sent from one thread on one CPU keep their order. */
#include "common.h"

#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define BIG_BATCH 1280
#define MAXSEQ 200000
#define BARRIER 0x7fffff00u

static uint8_t v0mac[6], v1mac[6];
static int g_cpu;
static const char *g_mode = "";

/* An interface ioctl on ifname: SIOCGIFFLAGS/SIOCSIFFLAGS/SIOCSIFMTU with ifr as the caller
 * filled it (the name is set here). */
static void if_ioctl(const char *ifname, unsigned long req, struct ifreq *ifr, const char *what)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    CHECKF(fd >= 0, "socket: %s", strerror(errno));
    snprintf(ifr->ifr_name, sizeof ifr->ifr_name, "%s", ifname);
    CHECKF(ioctl(fd, req, ifr) == 0, "%s %s: %s", what, ifname, strerror(errno));
    close(fd);
}

static void set_mtu(const char *ifname, int mtu)
{
    struct ifreq ifr = {.ifr_mtu = mtu};
    if_ioctl(ifname, SIOCSIFMTU, &ifr, "SIOCSIFMTU");
}

static void set_up(const char *ifname, bool up)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    if_ioctl(ifname, SIOCGIFFLAGS, &ifr, "SIOCGIFFLAGS");
    if (up)
        ifr.ifr_flags |= IFF_UP;
    else
        ifr.ifr_flags &= ~IFF_UP;
    if_ioctl(ifname, SIOCSIFFLAGS, &ifr, "SIOCSIFFLAGS");
}

/* Reads test frames on r until the barrier frame; stores their seqs (and lengths) in order.
 * Returns how many came before the barrier. */
static int read_to_barrier(pkt_t *r, uint32_t *seqs, uint32_t *lens, int max)
{
    int n = 0;
    int64_t deadline = mono_ms() + 20000;
    for (;;) {
        CHECKF(mono_ms() < deadline, "%s: no barrier frame within 20 s (%d frames before)", g_mode, n);
        const uint8_t *data;
        pkt_info_t info;
        int rc = pkt_read(r, 1, &data, &info);
        if (rc == -ETIMEDOUT || rc == -EAGAIN)
            continue;
        CHECKF(rc >= 0, "%s: pkt_read: %s", g_mode, pkt_strerror(rc));
        if (data == NULL || info.caplen < ETH_HDR_LEN || data[12] != (TEST_ETHERTYPE >> 8) ||
            data[13] != (TEST_ETHERTYPE & 0xff))
            continue;
        int64_t seq = frame_seq(data, info.caplen, ETH_HDR_LEN);
        CHECKF(seq >= 0, "%s: test frame without a sequence number", g_mode);
        if ((uint32_t)seq == BARRIER)
            return n;
        CHECKF(n < max, "%s: more than %d frames", g_mode, max);
        if (lens != NULL)
            lens[n] = info.len;
        seqs[n++] = (uint32_t)seq;
    }
}

static void send_barrier(pkt_t *w)
{
    uint8_t f[64];
    frame_build(f, sizeof f, v1mac, v0mac, TEST_ETHERTYPE, BARRIER);
    int rc;
    for (int i = 0; i < 1000; i++) {
        rc = pkt_write(w, f, sizeof f, 0, 0);
        if (rc != -ENOBUFS && rc != -EAGAIN)
            break;
        sleep_ms(1);
    }
    CHECKF(rc == (int)sizeof f, "%s: barrier pkt_write: %d (%s)", g_mode, rc, pkt_errmsg());
}

static uint8_t g_bufs[BIG_BATCH][1500];

/* Builds frames seq0.. of len bytes into g_bufs and descriptors. */
static void build(pkt_frame_t *fr, int n, uint32_t seq0, size_t len)
{
    for (int i = 0; i < n; i++) {
        frame_build(g_bufs[i], len, v1mac, v0mac, TEST_ETHERTYPE, seq0 + (uint32_t)i);
        fr[i].data = g_bufs[i];
        fr[i].len = len;
    }
}

/* Sends n frames in as many calls as it takes when the device queue is full; every call must
 * make progress or report -ENOBUFS/-EAGAIN. */
static void send_all(pkt_t *w, pkt_frame_t *fr, int n)
{
    int done = 0, tries = 0;
    while (done < n) {
        int rc = pkt_write_batch(w, fr + done, (size_t)(n - done));
        if (rc > 0) {
            done += rc;
            continue;
        }
        int e = rc < 0 ? rc : pkt_errno();
        CHECKF(e == -ENOBUFS || e == -EAGAIN, "%s: pkt_write_batch at %d: %d %s", g_mode, done, rc,
               pkt_errmsg());
        CHECKF(++tries < 100000, "%s: no progress", g_mode);
        sleep_ms(1);
    }
}

static void check_seqs(const char *what, const uint32_t *got, int ngot, const uint32_t *want,
                       int nwant)
{
    int n = ngot < nwant ? ngot : nwant;
    for (int i = 0; i < n; i++)
        CHECKF(got[i] == want[i], "%s %s: frame %d has seq %u, expected %u", g_mode, what, i, got[i],
               want[i]);
    CHECKF(ngot == nwant, "%s %s: %d frames arrived, expected %d", g_mode, what, ngot, nwant);
}

static uint32_t g_got[MAXSEQ], g_want[MAXSEQ], g_lens[MAXSEQ];

static void test_single_write(pkt_t *w, pkt_t *r)
{
    uint8_t f[200];
    frame_build(f, sizeof f, v1mac, v0mac, TEST_ETHERTYPE, 1);
    CHECK_RC(pkt_write(w, f, sizeof f, 0, 0), (int)sizeof f);
    /* a runt: shorter than the link-layer header */
    CHECK_RC(pkt_write(w, f, 10, 0, TEST_ETHERTYPE), -EINVAL);
    CHECK_RC(pkt_errno(), -EINVAL);
    CHECKF(strstr(pkt_errmsg(), "shorter") != NULL, "message: %s", pkt_errmsg());
    send_barrier(w);
    int n = read_to_barrier(r, g_got, NULL, MAXSEQ);
    g_want[0] = 1;
    check_seqs("pkt_write", g_got, n, g_want, 1);
}

static void test_runt_in_batch(pkt_t *w, pkt_t *r)
{
    pkt_frame_t fr[BIG_BATCH];
    build(fr, 8, 0, 100);
    fr[3].len = 10;
    int rc = pkt_write_batch(w, fr, 8);
    CHECKF(rc == 3, "%s: batch with a runt at 3 returned %d (%s)", g_mode, rc, pkt_errmsg());
    CHECK_RC(pkt_errno(), -EINVAL);
    build(fr, BIG_BATCH, 100, 100);
    send_all(w, fr, BIG_BATCH);
    CHECK_RC(pkt_flush(w), 0);
    send_barrier(w);
    int n = read_to_barrier(r, g_got, NULL, MAXSEQ);
    int k = 0;
    for (uint32_t s = 0; s < 3; s++)
        g_want[k++] = s;
    for (uint32_t s = 100; s < 100 + BIG_BATCH; s++)
        g_want[k++] = s;
    check_seqs("runt", g_got, n, g_want, k);
}

static void test_mtu_lowered(pkt_t *w, pkt_t *r)
{
    set_mtu("v0", 1000);
    pkt_frame_t fr[BIG_BATCH];
    build(fr, 3, 0, 100);
    fr[1].len = 1200;
    int rc = pkt_write_batch(w, fr, 3);
    CHECKF(rc == 1, "%s: batch with a 1200-byte frame at MTU 1000 returned %d (%s)", g_mode, rc,
           pkt_errmsg());
    CHECK_RC(pkt_errno(), -EMSGSIZE);
    /* 1014 bytes fit exactly, 1015 do not */
    build(fr, 2, 10, 1014);
    CHECK_RC(pkt_write_batch(w, fr, 2), 2);
    fr[0].len = 1015;
    CHECK_RC(pkt_write_batch(w, fr, 1), -EMSGSIZE);
    build(fr, BIG_BATCH, 100, 900);
    send_all(w, fr, BIG_BATCH);
    CHECK_RC(pkt_flush(w), 0);
    send_barrier(w);
    int n = read_to_barrier(r, g_got, NULL, MAXSEQ);
    int k = 0;
    g_want[k++] = 0;
    g_want[k++] = 10;
    g_want[k++] = 11;
    for (uint32_t s = 100; s < 100 + BIG_BATCH; s++)
        g_want[k++] = s;
    check_seqs("MTU 1000", g_got, n, g_want, k);
    set_mtu("v0", 1500);
}

static uint8_t g_jumbo[9100];

static void test_mtu_raised(pkt_t *w, pkt_t *r)
{
    set_mtu("v1", 9000);
    set_mtu("v0", 9000);
    pkt_frame_t fr[4];
    build(fr, 3, 0, 100);
    frame_build(g_jumbo, 9014, v1mac, v0mac, TEST_ETHERTYPE, 1);
    fr[1].data = g_jumbo;
    fr[1].len = 9014;
    int rc = pkt_write_batch(w, fr, 3);
    CHECKF(rc == 3, "%s: batch with a 9014-byte frame at MTU 9000 returned %d (%s)", g_mode, rc,
           pkt_errmsg());
    frame_build(g_jumbo, 9014, v1mac, v0mac, TEST_ETHERTYPE, 3);
    CHECK_RC(pkt_write(w, g_jumbo, 9014, 0, 0), 9014);
    frame_build(g_jumbo, 9015, v1mac, v0mac, TEST_ETHERTYPE, 4);
    fr[0].data = g_jumbo;
    fr[0].len = 9015;
    CHECK_RC(pkt_write_batch(w, fr, 1), -EMSGSIZE);
    CHECK_RC(pkt_flush(w), 0);
    send_barrier(w);
    int n = read_to_barrier(r, g_got, g_lens, MAXSEQ);
    uint32_t want[] = {0, 1, 2, 3};
    check_seqs("MTU 9000", g_got, n, want, 4);
    CHECKF(g_lens[1] == 9014 && g_lens[3] == 9014 && g_lens[0] == 100, "%s: lengths %u %u %u",
           g_mode, g_lens[0], g_lens[1], g_lens[3]);
    set_mtu("v0", 1500);
    set_mtu("v1", 1500);
}

static void test_link_down(pkt_t *w, pkt_t *r)
{
    pkt_frame_t fr[BIG_BATCH];
    sh_ok("ip link set v0 down");
    build(fr, 10, 0, 100);
    int rc = pkt_write_batch(w, fr, 10);
    CHECKF(rc == -ENETDOWN, "%s: batch on a down link returned %d (%s)", g_mode, rc, pkt_errmsg());
    sh_ok("ip link set v0 up && ip link set v1 up");
    wait_link_up("v0", 5000);
    wait_link_up("v1", 5000);
    build(fr, BIG_BATCH, 100, 100);
    send_all(w, fr, BIG_BATCH);
    CHECK_RC(pkt_flush(w), 0);
    send_barrier(w);
    int n = read_to_barrier(r, g_got, NULL, MAXSEQ);
    int k = 0;
    for (uint32_t s = 100; s < 100 + BIG_BATCH; s++)
        g_want[k++] = s;
    check_seqs("link down", g_got, n, g_want, k);
}

static atomic_bool g_flap_stop;

/* Flaps v0's MTU 1500 <-> 1000 (arg NULL) or its link up <-> down (arg non-NULL). */
static void *flapper(void *arg)
{
    for (int i = 0; i < 100000 && !atomic_load(&g_flap_stop); i++) {
        if (arg == NULL) {
            set_mtu("v0", (i & 1) ? 1500 : 1000);
        } else {
            set_up("v0", i & 1);
            sleep_ms(1);
        }
        sched_yield();
    }
    return NULL;
}

typedef struct reader_arg {
    pkt_t *r;
    int n;
} reader_arg;

static void *reader(void *arg)
{
    reader_arg *a = arg;
    a->n = read_to_barrier(a->r, g_got, NULL, MAXSEQ);
    return NULL;
}

static void test_flap(pkt_t *w, pkt_t *r, bool link)
{
    const char *what = link ? "link flap" : "MTU flap";
    reader_arg ra = {r, 0};
    pthread_t rt, ft;
    CHECK(pthread_create(&rt, NULL, reader, &ra) == 0);
    atomic_store(&g_flap_stop, false);
    CHECK(pthread_create(&ft, NULL, flapper, link ? (void *)1 : NULL) == 0);
    /* The flapper runs on another CPU where there is one, so that MTU changes land between the
     * library's check and the kernel's. */
    if (sysconf(_SC_NPROCESSORS_ONLN) > 1) {
        cpu_set_t other;
        CPU_ZERO(&other);
        CPU_SET(g_cpu == 0 ? 1 : 0, &other);
        CHECK(pthread_setaffinity_np(ft, sizeof other, &other) == 0);
    }
    pkt_frame_t fr[64];
    int k = 0, refused = 0, calls = 0;
    uint32_t seq = 0;
    int64_t end = mono_ms() + 2000;
    while (mono_ms() < end && k + 64 < MAXSEQ) {
        build(fr, 64, seq, 1200);
        int rc = pkt_write_batch(w, fr, 64);
        calls++;
        int sent = rc > 0 ? rc : 0;
        if (sent < 64) {
            int e = rc < 0 ? rc : pkt_errno();
            CHECKF(e == -EMSGSIZE || e == -ENOBUFS || e == -EAGAIN || (link && e == -ENETDOWN),
                   "%s: %s: %d %s", g_mode, what, e, pkt_errmsg());
            if (strstr(pkt_errmsg(), "kernel refused") != NULL)
                refused++;
        }
        for (int i = 0; i < sent; i++)
            g_want[k++] = seq + (uint32_t)i;
        seq += 64;
    }
    atomic_store(&g_flap_stop, true);
    pthread_join(ft, NULL);
    set_mtu("v0", 1500);
    set_up("v0", true);
    wait_link_up("v0", 5000);
    wait_link_up("v1", 5000);
    int rc = pkt_flush(w);
    CHECKF(rc == 0 || rc == -ENETDOWN, "%s: pkt_flush after the %s: %s", g_mode, what, pkt_errmsg());
    send_barrier(w);
    pthread_join(rt, NULL);
    if (!link) {
        check_seqs(what, g_got, ra.n, g_want, k);
        note("%s: %s: %d calls, %d frames sent and received in order, %d refusals by the kernel",
             g_mode, what, calls, k, refused);
        return;
    }
    /* While the carrier is coming back the kernel's device queue is the noop qdisc, which drops
     * frames and tells the socket they went (NET_XMIT_CN, which af_packet reports as success):
     * any packet socket loses those. What must hold: every frame that arrived was reported
     * sent, in order, none twice, and no frame reported not sent (taken back out of the ring)
     * ever arrives. */
    int j = 0;
    for (int i = 0; i < ra.n; i++) {
        while (j < k && g_want[j] != g_got[i])
            j++;
        CHECKF(j < k, "%s %s: frame %d (seq %u) arrived out of order, twice, or was never reported "
               "sent", g_mode, what, i, g_got[i]);
        j++;
    }
    note("%s: %s: %d calls, %d frames reported sent, %d arrived in order (%d lost by the kernel "
         "while the carrier came back)",
         g_mode, what, calls, k, ra.n, k - ra.n);
}

static void run(const char *mode, int tx_mode, bool immediate)
{
    g_mode = mode;
    pkt_config_t c = test_config();
    c.tx_mode = tx_mode;
    config_mode(&c, immediate);
    pkt_t *w = open_ok("v0", &c);
    pkt_config_t rc = test_config();
    rc.buffer_size = 64 << 20;
    rc.direction = PKT_DIR_IN;
    pkt_t *r = open_ok("v1", &rc);
    test_single_write(w, r);
    test_runt_in_batch(w, r);
    test_mtu_lowered(w, r);
    test_mtu_raised(w, r);
    test_link_down(w, r);
    test_flap(w, r, false);
    test_flap(w, r, true);
    CHECK_RC(pkt_close(w), 0);
    CHECK_RC(pkt_close(r), 0);
}

int main(void)
{
    test_init("test_tx_faults", 100);
    cpu_set_t one;
    CPU_ZERO(&one);
    g_cpu = sched_getcpu() < 0 ? 0 : sched_getcpu();
    CPU_SET(g_cpu, &one);
    CHECKF(sched_setaffinity(0, sizeof one, &one) == 0, "sched_setaffinity: %s", strerror(errno));
    mac_of("v0", v0mac);
    mac_of("v1", v1mac);
    run("TX ring", PKT_TX_RING, false);
    run("TX ring, immediate", PKT_TX_RING, true);
    run("sendmmsg", PKT_TX_SENDMMSG, false);
    run("sendmmsg, immediate", PKT_TX_SENDMMSG, true);
    return test_pass();
}
