/* pkt_read_batch: frames of many sizes sent from v1 arrive on v0 whole, in order and
 * byte-identical with max 16, 1 and 1000, with the same metadata pkt_read reports for the same
 * traffic; no batch exceeds max; the descriptors of a batch stay valid and unchanged until the
 * next read call, even while the kernel fills (and overflows) the rest of the ring; bad arguments
 * give -EINVAL; poll 0 gives -EAGAIN, the read timeout -ETIMEDOUT and a pending break -EINTR once;
 * after reading until -EAGAIN the descriptor is not readable. In the default block ring
 * (TPACKET_V3) and in immediate mode (TPACKET_V2). */
#include "common.h"

#include <poll.h>

static const size_t SIZES[] = {60, 14, 21, 22, 33, 61, 64, 100, 128, 255, 256, 511,
                               512, 1000, 1023, 1499, 1500, 1513, 1514, 75, 1514};
#define NSIZES (sizeof SIZES / sizeof SIZES[0])
#define ROUNDS 3
#define NFRAMES (NSIZES * ROUNDS)

typedef struct traffic {
    uint8_t frames[NFRAMES][1514];
    size_t len[NFRAMES];
} traffic_t;

static const char *g_mode;

static uint64_t recvs_total(pkt_t *h)
{
    pkt_stats_t s;
    CHECK_RC(pkt_stats(h, true, &s), 0);
    return s.recvs;
}

/* Sends the traffic (frames to v0, broadcast, multicast and another host in turn) and waits
 * until the handle counted all of it. */
static void send_traffic(pkt_t *h, const raw_tx_t *tx, const traffic_t *t)
{
    uint64_t base = recvs_total(h);
    for (size_t i = 0; i < NFRAMES; i++)
        raw_tx_send(tx, t->frames[i], t->len[i]);
    wait_recvs(h, base + NFRAMES, 5000);
}

static void fill_poison(pkt_packet_t *out, size_t n)
{
    memset(out, 0xa5, n * sizeof *out);
}

static bool untouched(const pkt_packet_t *out, size_t n)
{
    const uint8_t *p = (const uint8_t *)out;
    for (size_t i = 0; i < n * sizeof *out; i++)
        if (p[i] != 0xa5)
            return false;
    return true;
}

/* Checks one descriptor of a successful batch: plausible pointer and lengths. */
static void check_desc(const pkt_packet_t *p, int i, int n, size_t max)
{
    CHECKF(p->data != NULL, "%s: max %zu: descriptor %d of %d has data NULL", g_mode, max, i, n);
    CHECKF(p->info.caplen > 0 && p->info.caplen <= p->info.len,
           "%s: max %zu: descriptor %d of %d: caplen %u len %u", g_mode, max, i, n,
           p->info.caplen, p->info.len);
    CHECKF(p->info.caplen <= RX_COPY_MAX, "%s: descriptor %d: caplen %u", g_mode, i,
           p->info.caplen);
}

/* Reads test frames with pkt_read_batch(poll=1, max) until none arrives for idle_ms; copies each
 * out (before the next call). Fails on an error other than -ETIMEDOUT, on a batch of more than
 * max descriptors, and on more than want frames. Returns the count; *largest is the largest
 * batch seen. */
static int collect_batch(pkt_t *h, size_t max, int idle_ms, rx_frame_t *out, int want,
                         int *largest)
{
    pkt_packet_t *b = calloc(max, sizeof *b);
    CHECK(b != NULL);
    int n = 0;
    *largest = 0;
    int64_t idle_until = mono_ms() + idle_ms;
    for (int calls = 0; calls < 100000; calls++) {
        if (mono_ms() > idle_until) {
            free(b);
            return n;
        }
        fill_poison(b, max);
        int rc = pkt_read_batch(h, 1, b, max);
        if (rc == -ETIMEDOUT) {
            CHECKF(untouched(b, max), "%s: max %zu: -ETIMEDOUT but descriptors were written",
                   g_mode, max);
            continue;
        }
        if (rc < 0)
            fail_rc_at(__FILE__, __LINE__, "pkt_read_batch(poll=1)", rc, 1);
        CHECKF(rc > 0, "%s: max %zu: pkt_read_batch returned 0 (nil read) with no filter",
               g_mode, max);
        CHECKF((size_t)rc <= max, "%s: pkt_read_batch(max %zu) returned %d descriptors", g_mode,
               max, rc);
        if (rc > *largest)
            *largest = rc;
        for (int i = 0; i < rc; i++) {
            check_desc(&b[i], i, rc, max);
            if (!is_test_frame(b[i].data, b[i].info.caplen, false)) {
                note("%s: skipped a frame that is not the test's: caplen %u protocol 0x%04x",
                     g_mode, b[i].info.caplen, b[i].info.protocol);
                continue;
            }
            if (n >= want)
                FAIL("%s: max %zu: more than the %d expected frames arrived (extra: caplen %u, "
                     "seq %lld)", g_mode, max, want, b[i].info.caplen,
                     (long long)frame_seq(b[i].data, b[i].info.caplen, ETH_HDR_LEN));
            out[n].info = b[i].info;
            memcpy(out[n].data, b[i].data, b[i].info.caplen);
            n++;
            idle_until = mono_ms() + idle_ms;
        }
    }
    FAIL("%s: collect_batch: too many calls", g_mode);
}

static void check_same_info(const pkt_info_t *got, const pkt_info_t *ref, size_t i, size_t max)
{
#define SAME(f)                                                                              \
    CHECKF(got->f == ref->f, "%s: frame %zu: pkt_read_batch(max %zu) reports " #f " %lld, "  \
           "pkt_read reported %lld for the same frame", g_mode, i, max, (long long)got->f,  \
           (long long)ref->f)
    SAME(caplen);
    SAME(len);
    SAME(ifindex);
    SAME(status);
    SAME(vlan_tpid);
    SAME(vlan_tci);
    SAME(protocol);
    SAME(linktype);
    SAME(pkttype);
#undef SAME
}

static void check_traffic(const rx_frame_t *got, int n, const traffic_t *t, const char *how,
                          int64_t before, int64_t after)
{
    CHECKF(n == (int)NFRAMES, "%s: %s: %d of %zu frames arrived", g_mode, how, n,
           (size_t)NFRAMES);
    for (size_t i = 0; i < NFRAMES; i++) {
        const pkt_info_t *in = &got[i].info;
        CHECKF(in->caplen == t->len[i] && in->len == t->len[i],
               "%s: %s: frame %zu: caplen %u len %u, sent %zu (order?)", g_mode, how, i,
               in->caplen, in->len, t->len[i]);
        if (t->len[i] >= FRAME_MIN_MARKED) {
            int64_t seq = frame_seq(got[i].data, in->caplen, ETH_HDR_LEN);
            CHECKF(seq == (int64_t)i, "%s: %s: frame %zu has seq %lld (order)", g_mode, how, i,
                   (long long)seq);
        }
        CHECK_BYTES(got[i].data, in->caplen, t->frames[i], t->len[i]);
        CHECKF(in->nsec < 1000000000u, "%s: %s: nsec %u", g_mode, how, in->nsec);
        int64_t ts = in->sec * 1000000000 + in->nsec;
        CHECKF(ts >= before && ts <= after,
               "%s: %s: frame %zu timestamp %lld.%09u outside [send start %lld ns, read end %lld ns]",
               g_mode, how, i, (long long)in->sec, in->nsec, (long long)before, (long long)after);
    }
}

/* Reads with pkt_read_batch(poll=0) until -EAGAIN; fails on any test frame (there should be
 * none left). */
static void expect_eagain_now(pkt_t *h)
{
    pkt_packet_t b[8];
    for (int i = 0; i < 1000; i++) {
        fill_poison(b, 8);
        int64_t t0 = mono_ms();
        int rc = pkt_read_batch(h, 0, b, 8);
        int64_t dt = mono_ms() - t0;
        if (rc == -EAGAIN) {
            CHECKF(dt < 200, "%s: pkt_read_batch(poll=0) took %lld ms", g_mode, (long long)dt);
            CHECKF(untouched(b, 8), "%s: -EAGAIN but descriptors were written", g_mode);
            return;
        }
        CHECKF(rc > 0, "%s: pkt_read_batch(poll=0) returned %d (%s), expected -EAGAIN", g_mode,
               rc, pkt_strerror(rc));
        for (int k = 0; k < rc; k++)
            CHECKF(!is_test_frame(b[k].data, b[k].info.caplen, false),
                   "%s: a test frame (seq %lld) was left after everything was read", g_mode,
                   (long long)frame_seq(b[k].data, b[k].info.caplen, ETH_HDR_LEN));
    }
    FAIL("%s: pkt_read_batch(poll=0) never returned -EAGAIN", g_mode);
}

/* The same traffic read with pkt_read, then with pkt_read_batch at max 16, 1 and 1000. */
static void contents(pkt_t *h, const raw_tx_t *tx, const traffic_t *t, rx_frame_t *ref,
                     rx_frame_t *got)
{
    int64_t before = real_ns();
    send_traffic(h, tx, t);
    int n = collect_frames(h, false, 500, ref, NFRAMES);
    check_traffic(ref, n, t, "pkt_read", before, real_ns());

    const size_t maxes[] = {16, 1, 1000};
    for (size_t m = 0; m < 3; m++) {
        size_t max = maxes[m];
        char how[64];
        snprintf(how, sizeof how, "pkt_read_batch(max %zu)", max);
        before = real_ns();
        send_traffic(h, tx, t);
        int largest;
        n = collect_batch(h, max, 500, got, NFRAMES, &largest);
        check_traffic(got, n, t, how, before, real_ns());
        for (size_t i = 0; i < NFRAMES; i++)
            check_same_info(&got[i].info, &ref[i].info, i, max);
        /* everything was waiting in the ring before the first call; a batch ends at a ring block,
         * and even if the block timer split the traffic over a few blocks, one holds 16 frames */
        if (max == 1)
            CHECKF(largest == 1, "%s: largest batch %d with max 1", g_mode, largest);
        else
            CHECKF(largest >= 16, "%s: %zu frames were waiting, yet the largest batch with max "
                   "%zu had only %d", g_mode, (size_t)NFRAMES, max, largest);
        note("%s: %s: %d frames, largest batch %d", g_mode, how, n, largest);
    }
}

/* The descriptors of one batch stay valid and unchanged until the next read call, while more
 * traffic than the ring holds arrives; nothing that was waiting before is lost. */
static void validity(pkt_t *h, const raw_tx_t *tx, bool immediate)
{
    enum { M = 40 };
    static uint8_t sent[M][1514];
    size_t len[M];
    uint8_t v0mac[6];
    mac_of("v0", v0mac);
    uint64_t base = recvs_total(h);
    pkt_stats_t st0;
    CHECK_RC(pkt_stats(h, true, &st0), 0);
    for (size_t i = 0; i < M; i++) {
        len[i] = SIZES[(i * 7) % NSIZES] < FRAME_MIN_MARKED ? 100 : SIZES[(i * 7) % NSIZES];
        frame_build(sent[i], len[i], v0mac, tx->mac, TEST_ETHERTYPE, (uint32_t)(5000 + i));
        raw_tx_send(tx, sent[i], len[i]);
    }
    wait_recvs(h, base + M, 5000);

    pkt_packet_t b[1000], snap[1000];
    fill_poison(b, 1000);
    int n = pkt_read_batch(h, 1, b, 1000);
    CHECKF(n > 0, "%s: pkt_read_batch returned %d (%s) with %d frames waiting", g_mode, n,
           pkt_strerror(n), M);
    memcpy(snap, b, (size_t)n * sizeof *b);
    for (int i = 0; i < n; i++) {
        check_desc(&b[i], i, n, 1000);
        int64_t seq = frame_seq(b[i].data, b[i].info.caplen, ETH_HDR_LEN);
        CHECKF(seq == 5000 + i, "%s: descriptor %d of the batch has seq %lld", g_mode, i,
               (long long)seq);
    }
    /* all descriptors at once, after the call */
    for (int i = 0; i < n; i++)
        CHECK_BYTES(b[i].data, b[i].info.caplen, sent[i], len[i]);

    /* more traffic than the ring holds: frames that differ in every byte from the held ones */
    pkt_config_t eff;
    CHECK_RC(pkt_get_config(h, &eff), 0);
    int flood = (int)(eff.buffer_size / (immediate ? 32768 : 1000));
    uint8_t big[1514];
    for (int s = 0; s < flood; s++) {
        frame_build(big, sizeof big, v0mac, tx->mac, OTHER_ETHERTYPE, (uint32_t)(900000 + s));
        raw_tx_send(tx, big, sizeof big);
    }
    pkt_stats_t st = wait_recvs(h, base + M + (uint64_t)flood, 10000);
    note("%s: batch of %d held while %d frames of 1514 bytes arrived (ring %lld bytes): %llu "
         "dropped", g_mode, n, flood, (long long)eff.buffer_size,
         (unsigned long long)(st.drops - st0.drops));
    CHECKF(memcmp(b, snap, (size_t)n * sizeof *b) == 0, "%s: descriptors changed", g_mode);
    for (int i = 0; i < n; i++)
        CHECK_BYTES(b[i].data, b[i].info.caplen, sent[i], len[i]);

    /* the next calls: the rest of the M frames, in order, then flood frames; every packet that
     * reached the socket was read or counted as a drop */
    int next = n, all = 0, floods = 0;
    int64_t idle_until = mono_ms() + 700;
    while (mono_ms() < idle_until) {
        int rc = pkt_read_batch(h, 1, b, 1000);
        if (rc == -ETIMEDOUT)
            continue;
        CHECKF(rc > 0, "%s: draining: pkt_read_batch returned %d (%s)", g_mode, rc,
               pkt_strerror(rc));
        idle_until = mono_ms() + 700;
        for (int i = 0; i < rc; i++) {
            all++;
            int64_t seq = frame_seq(b[i].data, b[i].info.caplen, ETH_HDR_LEN);
            if (seq >= 5000 && seq < 5000 + M) {
                CHECKF(seq == 5000 + next && floods == 0,
                       "%s: frame seq %lld after %d of the first %d and %d flood frames",
                       g_mode, (long long)seq, next, M, floods);
                CHECK_BYTES(b[i].data, b[i].info.caplen, sent[next], len[next]);
                next++;
            } else if (seq >= 900000) {
                floods++;
            }
        }
    }
    CHECKF(next == M, "%s: %d of the %d frames that were waiting before the flood were read",
           g_mode, next, M);
    CHECK_RC(pkt_stats(h, true, &st), 0);
    CHECKF((uint64_t)(n + all) == (st.recvs - st0.recvs) - (st.drops - st0.drops),
           "%s: read %d packets, but %llu reached the socket and %llu were dropped", g_mode,
           n + all, (unsigned long long)(st.recvs - st0.recvs),
           (unsigned long long)(st.drops - st0.drops));
    note("%s: after the held batch: %d more read (%d flood)", g_mode, all, floods);
}

/* Read until -EAGAIN: the descriptor is then not readable. */
static void readiness(pkt_t *h, const raw_tx_t *tx)
{
    uint8_t v0mac[6];
    mac_of("v0", v0mac);
    int fd = CHECK_OK(pkt_fd(h));
    uint64_t base = recvs_total(h);
    for (uint32_t s = 0; s < 10; s++)
        raw_tx_send_seq(tx, v0mac, TEST_ETHERTYPE, 7000 + s, 200);
    wait_recvs(h, base + 10, 5000);
    pkt_packet_t b[4];
    int n = 0;
    int64_t deadline = mono_ms() + 3000;
    while (n < 10) {
        CHECKF(mono_ms() < deadline, "%s: %d of 10 frames read within 3 s", g_mode, n);
        int rc = pkt_read_batch(h, 1, b, 4);
        if (rc == -ETIMEDOUT)
            continue;
        CHECKF(rc > 0, "%s: pkt_read_batch returned %d (%s)", g_mode, rc, pkt_strerror(rc));
        for (int i = 0; i < rc; i++) {
            CHECKF(n < 10, "%s: more than 10 frames", g_mode);
            CHECKF(frame_seq(b[i].data, b[i].info.caplen, ETH_HDR_LEN) == 7000 + n,
                   "%s: frame %d has seq %lld", g_mode, n,
                   (long long)frame_seq(b[i].data, b[i].info.caplen, ETH_HDR_LEN));
            n++;
        }
    }
    expect_eagain_now(h);
    CHECKF(!fd_readable(fd, 0), "%s: pkt_fd readable after reading until -EAGAIN (an event loop "
           "would spin)", g_mode);
    CHECKF(!fd_readable(fd, 300), "%s: pkt_fd became readable without traffic", g_mode);
}

static void errors(pkt_t *h, const raw_tx_t *tx)
{
    pkt_packet_t b[16];
    uint8_t v0mac[6];
    mac_of("v0", v0mac);

    /* bad arguments, with and without poll: at once, nothing written */
    for (int poll_ = 0; poll_ < 2; poll_++) {
        fill_poison(b, 16);
        int64_t t0 = mono_ms();
        CHECK_RC(pkt_read_batch(h, poll_, NULL, 16), -EINVAL);
        CHECK(pkt_errmsg()[0] != '\0');
        CHECK_RC(pkt_read_batch(h, poll_, b, 0), -EINVAL);
        CHECK_RC(pkt_read_batch(NULL, poll_, b, 16), -EINVAL);
        CHECK_RC(pkt_read_batch(NULL, poll_, NULL, 0), -EINVAL);
        CHECKF(mono_ms() - t0 < 150, "%s: invalid calls took %lld ms", g_mode,
               (long long)(mono_ms() - t0));
        CHECK(untouched(b, 16));
    }

    /* poll 0 with nothing ready */
    expect_eagain_now(h);
    expect_eagain_now(h);

    /* the read timeout (200 ms) */
    for (int round = 0; round < 2; round++) {
        fill_poison(b, 16);
        int64_t t0 = mono_ms();
        int rc = pkt_read_batch(h, 1, b, 16);
        int64_t dt = mono_ms() - t0;
        CHECKF(rc == -ETIMEDOUT, "%s: idle pkt_read_batch(poll=1) returned %d (%s) after %lld ms",
               g_mode, rc, pkt_strerror(rc), (long long)dt);
        CHECKF(dt >= 150 && dt <= 3000, "%s: read_timeout 200 ms ended after %lld ms", g_mode,
               (long long)dt);
        CHECK(untouched(b, 16));
    }

    /* a break before the call: -EINTR once, at once; then the timeout; then packets */
    for (int breaks = 1; breaks <= 3; breaks += 2) {
        for (int i = 0; i < breaks; i++)
            CHECK_RC(pkt_breakloop(h), 0);
        fill_poison(b, 16);
        int64_t t0 = mono_ms();
        int rc = pkt_read_batch(h, 1, b, 16);
        int64_t dt = mono_ms() - t0;
        CHECKF(rc == -EINTR, "%s: pkt_read_batch after %d pkt_breakloop returned %d (%s)", g_mode,
               breaks, rc, pkt_strerror(rc));
        CHECKF(dt < 150, "%s: the pending break took %lld ms", g_mode, (long long)dt);
        CHECK(untouched(b, 16));
        rc = pkt_read_batch(h, 1, b, 16);
        CHECKF(rc == -ETIMEDOUT, "%s: the call after the -EINTR returned %d (%s), expected "
               "-ETIMEDOUT (one -EINTR per break)", g_mode, rc, pkt_strerror(rc));
        raw_tx_send_seq(tx, v0mac, TEST_ETHERTYPE, 8000 + (uint32_t)breaks, 300);
        int64_t deadline = mono_ms() + 3000;
        for (;;) {
            CHECKF(mono_ms() < deadline, "%s: the frame sent after the break never came", g_mode);
            rc = pkt_read_batch(h, 1, b, 16);
            if (rc == -ETIMEDOUT)
                continue;
            CHECKF(rc > 0, "%s: read after the break returned %d (%s)", g_mode, rc,
                   pkt_strerror(rc));
            CHECKF(rc == 1 && frame_seq(b[0].data, b[0].info.caplen, ETH_HDR_LEN) == 8000 + breaks,
                   "%s: after the break: %d descriptors, first seq %lld", g_mode, rc,
                   (long long)frame_seq(b[0].data, b[0].info.caplen, ETH_HDR_LEN));
            break;
        }
    }
    expect_eagain_now(h);
}

static void run(bool immediate)
{
    g_mode = immediate ? "immediate (V2)" : "block (V3)";
    watchdog_arm(45);
    pkt_config_t c = test_config();
    config_mode(&c, immediate);
    pkt_t *h = open_ok("v0", &c);
    raw_tx_t tx = raw_tx_open("v1");
    uint8_t v0mac[6];
    mac_of("v0", v0mac);
    const uint8_t *dsts[4] = {v0mac, MAC_BROADCAST, MAC_MULTICAST, MAC_OTHER};

    traffic_t *t = calloc(1, sizeof *t);
    CHECK(t != NULL);
    for (size_t i = 0; i < NFRAMES; i++) {
        t->len[i] = SIZES[i % NSIZES];
        frame_build(t->frames[i], t->len[i], dsts[i % 4], tx.mac,
                    (i % 5 == 3) ? OTHER_ETHERTYPE : TEST_ETHERTYPE, (uint32_t)i);
    }
    rx_frame_t *ref = calloc(NFRAMES + 1, sizeof *ref);
    rx_frame_t *got = calloc(NFRAMES + 1, sizeof *got);
    CHECK(ref != NULL && got != NULL);

    errors(h, &tx);
    contents(h, &tx, t, ref, got);
    readiness(h, &tx);
    validity(h, &tx, immediate);
    readiness(h, &tx);

    pkt_stats_t st;
    CHECK_RC(pkt_stats(h, true, &st), 0);
    note("%s: %llu packets reached the socket, %llu dropped (the flood's)", g_mode,
         (unsigned long long)st.recvs, (unsigned long long)st.drops);
    free(ref);
    free(got);
    free(t);
    raw_tx_close(&tx);
    CHECK_RC(pkt_close(h), 0);
}

int main(void)
{
    test_init("test_read_batch", 45);
    run(false);
    run(true);
    return test_pass();
}
