/* pkt_dispatch (libpcap's pcap_dispatch): the callback sees every frame sent, in order and
 * byte-identical, and the call returns how many it processed; max 5 processes at most 5;
 * max <= 0 processes what is ready (at least one) and returns; pkt_breakloop from inside the
 * callback after 3 packets ends the call with 3 (not -EINTR) and leaves the break pending, so the
 * next read call (pkt_dispatch, pkt_read or pkt_read_batch) returns -EINTR once and then reads
 * normally, losing nothing; pkt_breakloop from another thread while pkt_dispatch waits with no
 * traffic gives -EINTR; a NULL callback or handle gives -EINVAL. Block ring (TPACKET_V3) and
 * immediate mode (TPACKET_V2). */
#include "common.h"

#include <pthread.h>
#include <stdatomic.h>

#define MAXF 256

typedef struct sink {
    pkt_t *h;          /* for pkt_breakloop from the callback */
    int break_at;      /* call pkt_breakloop when this many test frames were seen (0: never) */
    int calls;         /* callbacks, all packets */
    int n;             /* test frames copied */
    int foreign;
    bool bad_args;     /* the callback got a NULL pointer or inconsistent lengths */
    rx_frame_t f[MAXF];
} sink_t;

static const char *g_mode;

static void on_packet(void *user, const uint8_t *data, const pkt_info_t *info)
{
    sink_t *s = user;
    s->calls++;
    if (data == NULL || info == NULL || info->caplen == 0 || info->caplen > info->len ||
        info->caplen > RX_COPY_MAX) {
        s->bad_args = true;
        return;
    }
    if (!is_test_frame(data, info->caplen, false)) {
        s->foreign++;
        return;
    }
    if (s->n >= MAXF) {
        s->bad_args = true;
        return;
    }
    s->f[s->n].info = *info;
    memcpy(s->f[s->n].data, data, info->caplen);
    s->n++;
    if (s->break_at > 0 && s->n == s->break_at)
        CHECK_RC(pkt_breakloop(s->h), 0);
}

static sink_t *sink_new(pkt_t *h)
{
    sink_t *s = calloc(1, sizeof *s);
    CHECK(s != NULL);
    s->h = h;
    return s;
}

static void sink_reset(sink_t *s)
{
    pkt_t *h = s->h;
    memset(s, 0, sizeof *s);
    s->h = h;
}

static uint64_t recvs_total(pkt_t *h)
{
    pkt_stats_t s;
    CHECK_RC(pkt_stats(h, true, &s), 0);
    return s.recvs;
}

/* Sends count frames with seqs first.. (sizes varied, to v0) and waits until the handle counted
 * them; sent[i] keeps frame first + i. */
static void send_frames(pkt_t *h, const raw_tx_t *tx, uint8_t (*sent)[1514], size_t *len,
                        uint32_t first, int count)
{
    uint8_t v0mac[6];
    mac_of("v0", v0mac);
    uint64_t base = recvs_total(h);
    for (int i = 0; i < count; i++) {
        len[i] = 60 + ((size_t)(first + (uint32_t)i) * 397u) % 1455u; /* 60..1514 */
        frame_build(sent[i], len[i], (i % 3 == 2) ? MAC_BROADCAST : v0mac, tx->mac,
                    TEST_ETHERTYPE, first + (uint32_t)i);
        raw_tx_send(tx, sent[i], len[i]);
    }
    wait_recvs(h, base + (uint64_t)count, 5000);
}

/* The frames the sink holds from index from on are sent[0..count], in order. */
static void check_sink(const sink_t *s, int from, uint8_t (*sent)[1514], const size_t *len,
                       int count, const char *what)
{
    CHECKF(!s->bad_args, "%s: %s: the callback got NULL data/info or inconsistent lengths", g_mode,
           what);
    CHECKF(s->foreign == 0, "%s: %s: %d frames that are not the test's", g_mode, what,
           s->foreign);
    CHECKF(s->n - from == count, "%s: %s: the callback saw %d frames, %d were sent", g_mode, what,
           s->n - from, count);
    int v0 = ifindex_of("v0");
    for (int i = 0; i < count; i++) {
        const rx_frame_t *r = &s->f[from + i];
        CHECKF(r->info.caplen == len[i] && r->info.len == len[i],
               "%s: %s: frame %d: caplen %u len %u, sent %zu", g_mode, what, i, r->info.caplen,
               r->info.len, len[i]);
        CHECK_BYTES(r->data, r->info.caplen, sent[i], len[i]);
        CHECKF(r->info.ifindex == v0 && r->info.protocol == TEST_ETHERTYPE &&
                   r->info.linktype == PKT_LINKTYPE_ETHERNET &&
                   r->info.pkttype == ((i % 3 == 2) ? PT_BROADCAST : PT_HOST),
               "%s: %s: frame %d: ifindex %d protocol 0x%04x linktype %u pkttype %u", g_mode,
               what, i, r->info.ifindex, r->info.protocol, r->info.linktype, r->info.pkttype);
        CHECKF(r->info.nsec < 1000000000u, "%s: nsec %u", g_mode, r->info.nsec);
    }
}

/* Calls pkt_dispatch(max) until the sink holds want frames (bounded). Each call must return the
 * number of callbacks it made, at least 1 and at most max (if max > 0): the frames were all
 * waiting. Returns the largest count. */
static int dispatch_until(pkt_t *h, sink_t *s, int max, int want, const char *what)
{
    int largest = 0;
    int64_t deadline = mono_ms() + 5000;
    while (s->n < want) {
        CHECKF(mono_ms() < deadline, "%s: %s: %d of %d frames within 5 s", g_mode, what, s->n,
               want);
        int before = s->calls;
        int64_t t0 = mono_ms();
        int rc = pkt_dispatch(h, max, on_packet, s);
        int64_t dt = mono_ms() - t0;
        CHECKF(rc > 0, "%s: %s: pkt_dispatch returned %d (%s) with %d frames waiting", g_mode,
               what, rc, pkt_strerror(rc), want - s->n);
        CHECKF(rc == s->calls - before, "%s: %s: pkt_dispatch returned %d after %d callbacks",
               g_mode, what, rc, s->calls - before);
        CHECKF(max <= 0 || rc <= max, "%s: %s: pkt_dispatch(max %d) processed %d", g_mode, what,
               max, rc);
        /* with frames waiting it waits at most for a block to retire (100 ms), never for more */
        CHECKF(dt < 1500, "%s: %s: pkt_dispatch took %lld ms with frames waiting", g_mode, what,
               (long long)dt);
        if (rc > largest)
            largest = rc;
    }
    return largest;
}

/* Nothing more: pkt_dispatch times out (read timeout 1 s) without calling back. */
static void expect_timeout(pkt_t *h, sink_t *s, const char *what)
{
    int before = s->calls;
    int rc = pkt_dispatch(h, 0, on_packet, s);
    CHECKF(rc == -ETIMEDOUT, "%s: %s: pkt_dispatch returned %d (%s), expected -ETIMEDOUT "
           "(nothing left to read)", g_mode, what, rc, pkt_strerror(rc));
    CHECKF(s->calls == before, "%s: %s: callbacks on a failed pkt_dispatch", g_mode, what);
}

static void basics(pkt_t *h, const raw_tx_t *tx, sink_t *s)
{
    static uint8_t sent[60][1514];
    size_t len[60];

    /* everything, with max 1000 */
    sink_reset(s);
    send_frames(h, tx, sent, len, 100, 60);
    int largest = dispatch_until(h, s, 1000, 60, "max 1000");
    check_sink(s, 0, sent, len, 60, "max 1000");
    CHECKF(largest >= 16, "%s: max 1000: 60 frames waiting, largest dispatch %d", g_mode, largest);
    expect_timeout(h, s, "after max 1000");

    /* max 5: at most 5 per call; the frames were waiting, so some call processes exactly 5 */
    sink_reset(s);
    send_frames(h, tx, sent, len, 200, 40);
    largest = dispatch_until(h, s, 5, 40, "max 5");
    check_sink(s, 0, sent, len, 40, "max 5");
    CHECKF(largest == 5, "%s: max 5: 40 frames waiting, largest dispatch %d", g_mode, largest);
    expect_timeout(h, s, "after max 5");

    /* max 1 */
    sink_reset(s);
    send_frames(h, tx, sent, len, 300, 10);
    largest = dispatch_until(h, s, 1, 10, "max 1");
    check_sink(s, 0, sent, len, 10, "max 1");

    /* max 0 and -1: what is ready (at least one), without waiting for more */
    for (int max = 0; max >= -1; max--) {
        char what[32];
        snprintf(what, sizeof what, "max %d", max);
        sink_reset(s);
        send_frames(h, tx, sent, len, 400 + (uint32_t)(100 * -max), 30);
        largest = dispatch_until(h, s, max, 30, what);
        check_sink(s, 0, sent, len, 30, what);
        note("%s: %s: 30 frames, largest dispatch %d", g_mode, what, largest);
        expect_timeout(h, s, what);
    }

    /* bad arguments: at once, no callback */
    sink_reset(s);
    int64_t t0 = mono_ms();
    CHECK_RC(pkt_dispatch(h, 10, NULL, s), -EINVAL);
    CHECK(pkt_errmsg()[0] != '\0');
    CHECK_RC(pkt_dispatch(h, 0, NULL, NULL), -EINVAL);
    CHECK_RC(pkt_dispatch(NULL, 10, on_packet, s), -EINVAL);
    CHECK_RC(pkt_dispatch(NULL, -1, NULL, NULL), -EINVAL);
    CHECKF(mono_ms() - t0 < 150, "%s: invalid pkt_dispatch calls took %lld ms", g_mode,
           (long long)(mono_ms() - t0));
    CHECK(s->calls == 0);
    /* a NULL callback consumed nothing: a frame sent now is still there */
    send_frames(h, tx, sent, len, 600, 1);
    CHECK_RC(pkt_dispatch(h, 10, NULL, s), -EINVAL);
    dispatch_until(h, s, 10, 1, "after NULL cb");
    check_sink(s, 0, sent, len, 1, "after NULL cb");
}

/* The next read call after a break from the callback: -EINTR at once, with nothing read. */
static void expect_pending_eintr(pkt_t *h, sink_t *s, int how)
{
    static const char *names[] = {"pkt_dispatch", "pkt_read(poll=1)", "pkt_read_batch(poll=1)"};
    int before = s->calls;
    int64_t t0 = mono_ms();
    int rc;
    if (how == 0) {
        rc = pkt_dispatch(h, 100, on_packet, s);
    } else if (how == 1) {
        const uint8_t *d;
        pkt_info_t info;
        rc = pkt_read(h, 1, &d, &info);
    } else {
        pkt_packet_t b[16];
        rc = pkt_read_batch(h, 1, b, 16);
    }
    int64_t dt = mono_ms() - t0;
    CHECKF(rc == -EINTR, "%s: the break called from the callback after 3 packets was not left "
           "pending: the next %s returned %d (%s), expected -EINTR (libpcap semantics)", g_mode,
           names[how], rc, pkt_strerror(rc));
    CHECKF(dt < 150, "%s: the pending break took %lld ms", g_mode, (long long)dt);
    CHECKF(s->calls == before, "%s: callbacks during the -EINTR call", g_mode);
}

static void break_in_callback(pkt_t *h, const raw_tx_t *tx, sink_t *s)
{
    static uint8_t sent[12][1514];
    size_t len[12];
    for (int how = 0; how < 3; how++) {
        for (int max = 100; max >= 0; max -= 100) {
            char what[96];
            snprintf(what, sizeof what, "break from the callback (max %d, then call %d)", max,
                     how);
            sink_reset(s);
            s->break_at = 3;
            send_frames(h, tx, sent, len, 1000 + 100 * (uint32_t)how + (uint32_t)max, 12);
            /* until the third frame: the block timer may have split the frames, so the first
             * calls can return fewer; the call that sees the third returns without a fourth */
            int64_t deadline = mono_ms() + 5000;
            int rc = 0;
            while (s->n < 3) {
                CHECKF(mono_ms() < deadline, "%s: %s: %d of 3 frames within 5 s", g_mode, what,
                       s->n);
                int before = s->calls;
                rc = pkt_dispatch(h, max, on_packet, s);
                CHECKF(rc > 0, "%s: %s: pkt_dispatch returned %d (%s) with %d frames waiting, "
                       "%d callbacks before", g_mode, what, rc, pkt_strerror(rc), 12 - s->n,
                       before);
                CHECKF(rc == s->calls - before, "%s: %s: pkt_dispatch returned %d after %d "
                       "callbacks", g_mode, what, rc, s->calls - before);
            }
            CHECKF(s->n == 3, "%s: %s: pkt_dispatch went on after pkt_breakloop in the callback: "
                   "%d callbacks, the break came in the third", g_mode, what, s->n);
            s->break_at = 0;
            expect_pending_eintr(h, s, how);
            /* then normal: the other 9, in order, nothing lost */
            dispatch_until(h, s, max, 12, what);
            check_sink(s, 0, sent, len, 12, what);
            expect_timeout(h, s, what);
        }
    }
}

typedef struct {
    pkt_t *h;
    sink_t *s;
    atomic_int done;
    int rc;
    int64_t returned_ms;
} waiter_t;

static void *waiter_main(void *arg)
{
    waiter_t *w = arg;
    w->rc = pkt_dispatch(w->h, 100, on_packet, w->s);
    w->returned_ms = mono_ms();
    atomic_store(&w->done, 1);
    return NULL;
}

/* pkt_breakloop from another thread while pkt_dispatch waits (no timeout, no traffic). */
static void break_from_thread(bool immediate, const raw_tx_t *tx)
{
    pkt_config_t c;
    pkt_config_default(&c);
    c.read_timeout_ms = 0;
    config_mode(&c, immediate);
    pkt_t *h = open_ok("v0", &c);
    sink_t *s = sink_new(h);
    static uint8_t sent[2][1514];
    size_t len[2];
    for (int round = 0; round < 2; round++) {
        watchdog_arm(20);
        sink_reset(s);
        waiter_t w = {.h = h, .s = s, .done = 0, .rc = 1, .returned_ms = 0};
        pthread_t t;
        CHECK(pthread_create(&t, NULL, waiter_main, &w) == 0);
        sleep_ms(300); /* let it block (a break before the call must work as well) */
        CHECKF(!atomic_load(&w.done), "%s: pkt_dispatch returned %d (%s) with no traffic and no "
               "timeout", g_mode, w.rc, pkt_strerror(w.rc));
        int64_t t0 = mono_ms();
        CHECK_RC(pkt_breakloop(h), 0);
        while (!atomic_load(&w.done) && mono_ms() - t0 < 5000)
            sleep_ms(1);
        CHECKF(atomic_load(&w.done), "%s: pkt_breakloop did not wake pkt_dispatch within 5 s",
               g_mode);
        CHECK(pthread_join(t, NULL) == 0);
        CHECKF(w.rc == -EINTR, "%s: pkt_dispatch woken by pkt_breakloop returned %d (%s), "
               "expected -EINTR", g_mode, w.rc, pkt_strerror(w.rc));
        CHECKF(w.returned_ms - t0 <= 1000, "%s: woke %lld ms after pkt_breakloop", g_mode,
               (long long)(w.returned_ms - t0));
        CHECK(s->calls == 0);
        note("%s: thread break round %d: -EINTR %lld ms after pkt_breakloop", g_mode, round,
             (long long)(w.returned_ms - t0));
        /* then normal (a frame is sent first, as there is no timeout) */
        send_frames(h, tx, sent, len, 3000 + (uint32_t)round * 2, 2);
        dispatch_until(h, s, 100, 2, "after the thread's break");
        check_sink(s, 0, sent, len, 2, "after the thread's break");
    }
    free(s);
    CHECK_RC(pkt_close(h), 0);
}

static void run(bool immediate)
{
    g_mode = immediate ? "immediate (V2)" : "block (V3)";
    watchdog_arm(60);
    pkt_config_t c = test_config();
    c.read_timeout_ms = 1000; /* longer than the block timeout: a waiting frame never times out */
    config_mode(&c, immediate);
    pkt_t *h = open_ok("v0", &c);
    raw_tx_t tx = raw_tx_open("v1");
    sink_t *s = sink_new(h);

    basics(h, &tx, s);
    break_in_callback(h, &tx, s);
    free(s);
    CHECK_RC(pkt_close(h), 0);
    break_from_thread(immediate, &tx);
    raw_tx_close(&tx);
}

int main(void)
{
    test_init("test_dispatch", 60);
    run(false);
    run(true);
    return test_pass();
}
