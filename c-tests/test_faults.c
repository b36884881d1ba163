/* Faults outside the send path (issue 12):
 * - epoll (level and edge triggered) over a handle read with pkt_read(poll=0), blocking and
 *   non-blocking handles, TPACKET_V3 and V2: when the link goes down the fd wakes the loop a
 *   bounded number of times (it used to stay readable with POLLERR: about a million wake-ups a
 *   second) and the frames sent after it comes back arrive; when the interface is deleted, the
 *   frames queued before are read and then -ENODEV arrives (it never did);
 * - read_timeout_ms of INT64_MAX and 1.8e13 waits (a breakloop ends the read after 300 ms)
 *   instead of timing out at once;
 * - interface names are bytes: one named "\xe9t0" opens, its link type is Ethernet, and a
 *   missing non-UTF-8 name gives -ENODEV;
 * - without CAP_NET_RAW pkt_open gives -EPERM with a message that says what is missing;
 * - a cooked handle on Ethernet refuses pkt_write/pkt_write_batch with -EDESTADDRREQ (the kernel
 *   would send to 00:00:00:00:00:00) and pkt_write_to sends to the address given. */
#include "common.h"

#include <grp.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

static uint8_t v0mac[6], v1mac[6];

typedef struct drain_result {
    int frames;
    int last_rc;
} drain_result;

/* Reads with poll=0 until the handle has nothing more: counts test frames. */
static drain_result drain(pkt_t *h)
{
    drain_result d = {0, 0};
    for (int i = 0; i < 100000; i++) {
        const uint8_t *data;
        pkt_info_t info;
        int rc = pkt_read(h, 0, &data, &info);
        if (rc > 0 && is_test_frame(data, info.caplen, false))
            d.frames++;
        if (rc < 0) {
            d.last_rc = rc;
            return d;
        }
    }
    FAIL("pkt_read(poll=0) never ran dry");
}

/* Runs an epoll loop for ms milliseconds (or until a read gives -ENODEV); returns wake-ups. */
static int epoll_loop(int ep, pkt_t *h, int ms, drain_result *total, const char *mode)
{
    int wakeups = 0;
    int64_t end = mono_ms() + ms;
    while (mono_ms() < end) {
        struct epoll_event ev;
        int n = epoll_wait(ep, &ev, 1, 50);
        CHECKF(n >= 0 || errno == EINTR, "%s: epoll_wait: %s", mode, strerror(errno));
        if (n <= 0)
            continue;
        wakeups++;
        CHECKF(wakeups < 10000, "%s: epoll keeps waking (%d wake-ups)", mode, wakeups);
        drain_result d = drain(h);
        total->frames += d.frames;
        total->last_rc = d.last_rc;
        CHECKF(d.last_rc == -EAGAIN || d.last_rc == -ENODEV, "%s: pkt_read(poll=0): %s (%s)", mode,
               pkt_strerror(d.last_rc), pkt_errmsg());
        if (d.last_rc == -ENODEV)
            break;
    }
    return wakeups;
}

static void test_epoll(bool edge, bool nonblock, bool immediate)
{
    char mode[96];
    snprintf(mode, sizeof mode, "epoll %s, %s, %s", edge ? "edge" : "level",
             nonblock ? "non-blocking" : "blocking", immediate ? "immediate" : "block ring");
    pkt_config_t c = test_config();
    c.nonblock = nonblock;
    c.direction = PKT_DIR_IN;
    config_mode(&c, immediate);
    pkt_t *h = open_ok("v1", &c);
    raw_tx_t tx = raw_tx_open("v0");
    int ep = epoll_create1(EPOLL_CLOEXEC);
    CHECK(ep >= 0);
    struct epoll_event ev = {.events = EPOLLIN | (edge ? EPOLLET : 0)};
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, CHECK_OK(pkt_fd(h)), &ev) == 0);

    /* link down: a few wake-ups at most, not a spin */
    sh_ok("ip link set v1 down");
    drain_result total = {0, 0};
    int w = epoll_loop(ep, h, 500, &total, mode);
    CHECKF(w <= 5, "%s: %d wake-ups in 500 ms with the link down", mode, w);
    CHECKF(total.last_rc != -ENODEV, "%s: -ENODEV for an interface that is only down", mode);
    sh_ok("ip link set v1 up");
    wait_link_up("v1", 5000);
    for (uint32_t s = 0; s < 3; s++)
        raw_tx_send_seq(&tx, v1mac, TEST_ETHERTYPE, s, 100);
    total.frames = 0;
    int64_t deadline = mono_ms() + 5000;
    while (total.frames < 3 && mono_ms() < deadline)
        epoll_loop(ep, h, 100, &total, mode);
    CHECKF(total.frames == 3, "%s: %d of 3 frames after the link came back", mode, total.frames);

    /* deleted: the frames queued before, then -ENODEV */
    for (uint32_t s = 10; s < 13; s++)
        raw_tx_send_seq(&tx, v1mac, TEST_ETHERTYPE, s, 100);
    raw_tx_close(&tx);
    sh_ok("ip link del v0");
    total.frames = 0;
    total.last_rc = 0;
    w = epoll_loop(ep, h, 5000, &total, mode);
    CHECKF(total.last_rc == -ENODEV, "%s: no -ENODEV within 5 s of the interface's removal (%d)",
           mode, total.last_rc);
    CHECKF(total.frames == 3, "%s: %d of the 3 frames queued before the removal", mode,
           total.frames);
    CHECKF(w <= 20, "%s: %d wake-ups until -ENODEV", mode, w);
    note("%s: removal -> 3 frames, then -ENODEV after %d wake-ups", mode, w);
    close(ep);
    CHECK_RC(pkt_close(h), 0);
    recreate_veth();
    mac_of("v0", v0mac);
    mac_of("v1", v1mac);
}

typedef struct breaker {
    pkt_t *h;
    int ms;
} breaker;

static void *break_later(void *arg)
{
    breaker *b = arg;
    sleep_ms(b->ms);
    pkt_breakloop(b->h);
    return NULL;
}

static void test_huge_timeout(int64_t timeout_ms)
{
    pkt_config_t c = test_config();
    c.read_timeout_ms = timeout_ms;
    c.direction = PKT_DIR_IN;
    CHECK(pkt_config_check(&c));
    pkt_t *h = open_ok("v1", &c);
    breaker b = {h, 300};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, break_later, &b) == 0);
    int64_t t0 = mono_ms();
    const uint8_t *data;
    int rc = pkt_read(h, 1, &data, NULL);
    int64_t dt = mono_ms() - t0;
    pthread_join(t, NULL);
    CHECKF(rc == -EINTR && dt >= 250, "read_timeout_ms %lld: pkt_read returned %d (%s) after %lld ms",
           (long long)timeout_ms, rc, pkt_strerror(rc), (long long)dt);
    CHECK_RC(pkt_close(h), 0);
}

static void test_byte_names(void)
{
    sh_ok("ip link set v0 down && ip link set v0 name \"$(printf '\\351t0')\" && "
          "ip link set \"$(printf '\\351t0')\" up");
    pkt_config_t c = test_config();
    pkt_t *h = open_ok("\xe9t0", &c);
    CHECK_RC(pkt_linktype(h), PKT_LINKTYPE_ETHERNET);
    CHECK_RC(pkt_iface_linktype("\xe9t0"), PKT_LINKTYPE_ETHERNET);
    CHECK_RC(pkt_close(h), 0);
    pkt_t *none = NULL;
    CHECK_RC(pkt_open("\xe9x9", &c, &none), -ENODEV);
    CHECK(none == NULL);
    CHECK_RC(pkt_iface_linktype("\xe9x9"), PKT_LINKTYPE_NONE);
    sh_ok("ip link set \"$(printf '\\351t0')\" down && ip link set \"$(printf '\\351t0')\" name v0 "
          "&& ip link set v0 up");
    wait_link_up("v0", 5000);
}

static void test_no_privilege(void)
{
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        /* nobody, without any capability */
        if (setgroups(0, NULL) != 0 || setresgid(65534, 65534, 65534) != 0 ||
            setresuid(65534, 65534, 65534) != 0)
            _exit(3);
        pkt_t *h = NULL;
        int rc = pkt_open("v0", NULL, &h);
        if (rc != -EPERM) {
            fprintf(stderr, "unprivileged pkt_open: %d (%s)\n", rc, pkt_errmsg());
            _exit(4);
        }
        if (strstr(pkt_errmsg(), "CAP_NET_RAW") == NULL || strstr(pkt_errmsg(), "setcap") == NULL) {
            fprintf(stderr, "unprivileged pkt_open message: %s\n", pkt_errmsg());
            _exit(5);
        }
        _exit(0);
    }
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 0, "unprivileged child: status %d", st);
}

static void test_cooked_write(void)
{
    pkt_config_t c = test_config();
    c.cooked = true;
    pkt_t *w = open_ok("v0", &c);
    pkt_config_t rc = test_config();
    rc.direction = PKT_DIR_IN;
    pkt_t *r = open_ok("v1", &rc);
    uint8_t payload[100];
    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (uint8_t)(i * 3 + 1);
    CHECK_RC(pkt_write(w, payload, sizeof payload, 0, TEST_ETHERTYPE), -EDESTADDRREQ);
    CHECKF(strstr(pkt_errmsg(), "pkt_write_to") != NULL, "message: %s", pkt_errmsg());
    pkt_frame_t fr = {payload, sizeof payload};
    CHECK_RC(pkt_write_batch(w, &fr, 1), -EDESTADDRREQ);
    CHECK_RC(pkt_write_to(w, payload, sizeof payload, 0, TEST_ETHERTYPE, NULL, 6), -EINVAL);
    CHECK_RC(pkt_write_to(w, payload, sizeof payload, 0, TEST_ETHERTYPE, v1mac, 0), -EINVAL);
    CHECK_RC(pkt_write_to(w, payload, sizeof payload, 0, TEST_ETHERTYPE, v1mac, 9), -EINVAL);
    CHECK_RC(pkt_write_to(r, payload, sizeof payload, 0, TEST_ETHERTYPE, v1mac, 6), -EINVAL);
    CHECK_RC(pkt_write_to(w, payload, sizeof payload, 0, TEST_ETHERTYPE, v1mac, 6),
             (int)sizeof payload);
    const uint8_t *data;
    pkt_info_t info;
    int n = read_test_frame(r, 3000, false, &data, &info);
    CHECKF(n == 14 + (int)sizeof payload, "cooked pkt_write_to: received %d bytes", n);
    uint8_t want[14 + sizeof payload];
    memcpy(want, v1mac, 6);
    memcpy(want + 6, v0mac, 6);
    want[12] = TEST_ETHERTYPE >> 8;
    want[13] = TEST_ETHERTYPE & 0xff;
    memcpy(want + 14, payload, sizeof payload);
    CHECK_BYTES(data, (size_t)n, want, sizeof want);
    CHECK_RC(pkt_close(w), 0);
    CHECK_RC(pkt_close(r), 0);
}

int main(void)
{
    test_init("test_faults", 100);
    mac_of("v0", v0mac);
    mac_of("v1", v1mac);
    for (int edge = 0; edge < 2; edge++)
        for (int nb = 0; nb < 2; nb++)
            for (int imm = 0; imm < 2; imm++)
                test_epoll(edge, nb, imm);
    test_huge_timeout(INT64_MAX);
    test_huge_timeout(18000000000000LL);
    test_byte_names();
    test_no_privilege();
    test_cooked_write();
    return test_pass();
}
