/* pkt_write_batch and pkt_flush, with tx_mode PKT_TX_SENDMMSG, PKT_TX_RING and PKT_TX_AUTO:
 * 200 frames of 14..1514 bytes written on v1 in one call arrive on v0 all, in order and
 * byte-identical, with the ethertype of their headers; a frame over the MTU at index 5 gives 5
 * (frames 0..4 sent, nothing after) and a message, at index 0 -EMSGSIZE; a frame with NULL data
 * at index 3 gives 3, at index 0 -EINVAL; empty frames count as sent and send nothing; NULL
 * frames, a NULL handle and a handle on all interfaces give -EINVAL; qdisc_bypass frames still
 * reach v0 but a second handle on v1 does not see them, while it sees every other frame as
 * outgoing; the writing handle never captures its own frames. PKT_TX_RING really sets up the
 * kernel's TX ring (a larger ring mapping than sendmmsg's). Block ring (TPACKET_V3) and
 * immediate mode (TPACKET_V2) handles. */
#include "common.h"

#include <sys/stat.h>
#include <sys/utsname.h>

#define NMAIN 200
#define LOGMAX 400

static const char *g_mode;

typedef struct wire {
    const uint8_t *data;
    size_t len;
} wire_t;

/* Copies of the frames that must appear on the wire (outgoing on v1), in order, for the
 * observer handle. */
static uint8_t g_logbuf[LOGMAX][1514];
static wire_t g_log[LOGMAX];
static int g_nlog;

static void log_frame(const void *data, size_t len)
{
    CHECK(g_nlog < LOGMAX && len <= sizeof g_logbuf[0]);
    memcpy(g_logbuf[g_nlog], data, len);
    g_log[g_nlog].data = g_logbuf[g_nlog];
    g_log[g_nlog].len = len;
    g_nlog++;
}

static uint16_t ethertype_of(const uint8_t *f)
{
    return (uint16_t)((f[12] << 8) | f[13]);
}

/* Bytes of the handle's memory-mapped ring(s): the mappings of its socket in /proc/self/maps. */
static long long ring_mapping_bytes(pkt_t *h)
{
    struct stat st;
    CHECKF(fstat(CHECK_OK(pkt_fd(h)), &st) == 0, "fstat(pkt_fd): %s", strerror(errno));
    char want[64];
    snprintf(want, sizeof want, "socket:[%llu]", (unsigned long long)st.st_ino);
    FILE *f = fopen("/proc/self/maps", "r");
    CHECKF(f != NULL, "open /proc/self/maps: %s", strerror(errno));
    char line[512];
    long long total = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strstr(line, want) == NULL)
            continue;
        unsigned long long lo, hi;
        if (sscanf(line, "%llx-%llx", &lo, &hi) == 2)
            total += (long long)(hi - lo);
    }
    fclose(f);
    return total;
}

/* Collects test frames on h until idle and checks they are exactly want[0..n], in order,
 * byte-identical, with the given packet types (PT_OUTGOING for the observer on v1). */
static void expect_frames(pkt_t *h, const wire_t *want, int n, bool outgoing, const char *what)
{
    rx_frame_t *got = calloc((size_t)n + 2, sizeof *got);
    CHECK(got != NULL);
    int k = collect_frames(h, false, 500, got, n + 1);
    int ifx = ifindex_of(outgoing ? "v1" : "v0");
    for (int i = 0; i < k && i < n; i++) {
        const pkt_info_t *in = &got[i].info;
        if (in->caplen != want[i].len || memcmp(got[i].data, want[i].data, want[i].len) != 0) {
            int64_t s = frame_seq(got[i].data, in->caplen, ETH_HDR_LEN);
            FAIL("%s: %s: frame %d of %d: got %u bytes (seq %lld), expected %zu bytes (seq %lld); "
                 "%d frames arrived in all", g_mode, what, i, n, in->caplen, (long long)s,
                 want[i].len, (long long)frame_seq(want[i].data, want[i].len, ETH_HDR_LEN), k);
        }
        CHECK(in->len == want[i].len);
        CHECKF(in->ifindex == ifx, "%s: %s: ifindex %d", g_mode, what, in->ifindex);
        CHECKF(in->protocol == ethertype_of(want[i].data),
               "%s: %s: frame %d: protocol 0x%04x, its header says 0x%04x", g_mode, what, i,
               in->protocol, ethertype_of(want[i].data));
        if (outgoing)
            CHECKF(in->pkttype == PT_OUTGOING, "%s: %s: frame %d: pkttype %u, expected outgoing",
                   g_mode, what, i, in->pkttype);
        else
            CHECKF(in->pkttype == PT_HOST || in->pkttype == PT_BROADCAST,
                   "%s: %s: frame %d: pkttype %u", g_mode, what, i, in->pkttype);
    }
    CHECKF(k == n, "%s: %s: %d frames arrived, expected %d", g_mode, what, k, n);
    free(got);
}

static void expect_nothing(pkt_t *h, const char *what)
{
    expect_frames(h, NULL, 0, false, what);
}

static void check_flush(pkt_t *w, const char *what)
{
    int rc = pkt_flush(w);
    CHECKF(rc == 0, "%s: %s: pkt_flush returned %d (%s): %s", g_mode, what, rc, pkt_strerror(rc),
           pkt_errmsg());
}

static const char *tx_name(int m)
{
    return m == PKT_TX_AUTO ? "PKT_TX_AUTO" : m == PKT_TX_SENDMMSG ? "PKT_TX_SENDMMSG"
           : m == PKT_TX_RING ? "PKT_TX_RING" : "?";
}

static void run(uint8_t tx_mode, bool immediate)
{
    char mode[96];
    snprintf(mode, sizeof mode, "%s, %s", tx_name(tx_mode), immediate ? "V2" : "V3");
    g_mode = mode;
    g_nlog = 0;
    watchdog_arm(40);

    pkt_config_t c = test_config();
    c.immediate = immediate;
    c.buffer_size = immediate ? 32 * 1024 * 1024 : 8 * 1024 * 1024;
    pkt_t *r = open_ok("v0", &c);   /* receiver */
    pkt_t *obs = open_ok("v1", &c); /* observer on the writer's interface */
    pkt_config_t wc = c;
    wc.tx_mode = tx_mode;
    pkt_t *w = NULL;
    int rc = pkt_open("v1", &wc, &w);
    if (rc != 0) {
        struct utsname u;
        uname(&u);
        FAIL("%s: pkt_open(\"v1\") with tx_mode %s was refused: %d (%s): \"%s\" (kernel %s)",
             mode, tx_name(tx_mode), rc, pkt_strerror(rc), pkt_errmsg(), u.release);
    }
    CHECK(w != NULL);

    pkt_config_t eff;
    CHECK_RC(pkt_get_config(w, &eff), 0);
    if (tx_mode == PKT_TX_AUTO)
        CHECKF(eff.tx_mode == PKT_TX_AUTO || eff.tx_mode == PKT_TX_SENDMMSG ||
                   eff.tx_mode == PKT_TX_RING, "%s: pkt_get_config reports tx_mode %u", mode,
               eff.tx_mode);
    else
        CHECKF(eff.tx_mode == tx_mode, "%s: pkt_get_config reports tx_mode %u", mode,
               eff.tx_mode);
    CHECK(!eff.qdisc_bypass);

    /* PKT_TX_RING maps a TX ring beside the RX ring: compare with a sendmmsg handle */
    long long map_w = ring_mapping_bytes(w);
    CHECKF(map_w > 0, "%s: no mapping of the handle's socket in /proc/self/maps", mode);
    pkt_config_t sc = c;
    sc.tx_mode = PKT_TX_SENDMMSG;
    pkt_t *ref = open_ok("v1", &sc);
    long long map_ref = ring_mapping_bytes(ref);
    CHECK_RC(pkt_close(ref), 0);
    if (tx_mode == PKT_TX_RING)
        CHECKF(map_w > map_ref, "%s: the handle maps %lld bytes, a PKT_TX_SENDMMSG handle with "
               "the same config %lld: no TX ring was set up", mode, map_w, map_ref);
    note("%s: ring mapping %lld bytes (sendmmsg handle: %lld)%s", mode, map_w, map_ref,
         tx_mode == PKT_TX_AUTO ? (map_w > map_ref ? ": AUTO set up a TX ring"
                                                    : ": AUTO set up no TX ring") : "");

    uint8_t v0mac[6], v1mac[6];
    mac_of("v0", v0mac);
    mac_of("v1", v1mac);

    /* 200 frames, 14..1514 bytes, in one call */
    static uint8_t mainf[NMAIN][1514];
    pkt_frame_t frames[NMAIN];
    wire_t want[NMAIN];
    for (int i = 0; i < NMAIN; i++) {
        size_t len = 14 + (size_t)i * 1500 / (NMAIN - 1);
        frame_build(mainf[i], len, (i % 4 == 1) ? MAC_BROADCAST : v0mac, v1mac,
                    (i % 3 == 2) ? OTHER_ETHERTYPE : TEST_ETHERTYPE, (uint32_t)i);
        frames[i].data = mainf[i];
        frames[i].len = len;
        want[i].data = mainf[i];
        want[i].len = len;
        log_frame(mainf[i], len);
    }
    CHECK(frames[0].len == 14 && frames[NMAIN - 1].len == 1514);
    pkt_stats_t obs0, obs1;
    CHECK_RC(pkt_stats(obs, true, &obs0), 0);
    int64_t t0 = mono_ns();
    rc = pkt_write_batch(w, frames, NMAIN);
    CHECKF(rc == NMAIN, "%s: pkt_write_batch(200 frames) returned %d (%s): \"%s\"", mode, rc,
           rc < 0 ? pkt_strerror(rc) : "short count", pkt_errmsg());
    check_flush(w, "200 frames");
    int64_t dt = mono_ns() - t0;
    /* once pkt_flush returned, every frame has left: on a veth (no queue) the device's taps,
     * such as the observer, see a frame synchronously as it is transmitted */
    CHECK_RC(pkt_stats(obs, true, &obs1), 0);
    CHECKF(obs1.recvs - obs0.recvs == NMAIN, "%s: right after pkt_flush returned, the observer "
           "on v1 had counted %llu of the 200 frames (pkt_flush returned before they left)",
           mode, (unsigned long long)(obs1.recvs - obs0.recvs));
    expect_frames(r, want, NMAIN, false, "200 frames in one batch");
    pkt_stats_t st;
    CHECK_RC(pkt_stats(r, true, &st), 0);
    CHECKF(st.drops == 0, "%s: the receiver dropped %llu", mode, (unsigned long long)st.drops);
    note("%s: 200 frames written and flushed in %lld us", mode, (long long)(dt / 1000));

    /* frame 5 over the MTU: 5 sent, nothing after it */
    static uint8_t part[10][1600];
    pkt_frame_t pf[10];
    for (int i = 0; i < 10; i++) {
        size_t len = i == 5 ? 1600 : 100 + (size_t)i * 10;
        frame_build(part[i], len, v0mac, v1mac, TEST_ETHERTYPE, 1000 + (uint32_t)i);
        pf[i].data = part[i];
        pf[i].len = len;
        want[i].data = part[i];
        want[i].len = len;
        if (i < 5)
            log_frame(part[i], len);
    }
    rc = pkt_write_batch(w, pf, 10);
    CHECKF(rc == 5, "%s: batch with a 1600-byte frame at index 5 returned %d (%s), expected 5; "
           "pkt_errmsg \"%s\"", mode, rc, rc < 0 ? pkt_strerror(rc) : "", pkt_errmsg());
    char msg[256];
    snprintf(msg, sizeof msg, "%s", pkt_errmsg());
    CHECKF(msg[0] != '\0', "%s: short count 5 but pkt_errmsg is empty", mode);
    note("%s: oversized frame 5: pkt_errmsg \"%s\"", mode, msg);
    rc = pkt_flush(w);
    note("%s: pkt_flush after the short batch returned %d (%s)", mode, rc, pkt_strerror(rc));
    expect_frames(r, want, 5, false, "frames 0..4 before an oversized frame 5");

    /* refused before anything was sent: nothing goes out */
    pf[0].len = 1600;
    frame_build(part[0], 1600, v0mac, v1mac, TEST_ETHERTYPE, 1100);
    CHECK_RC(pkt_write_batch(w, pf, 3), -EMSGSIZE);
    CHECK(pkt_errmsg()[0] != '\0');
    pf[0].len = 1515; /* MTU 1500 plus the 14-byte header, plus one */
    CHECK_RC(pkt_write_batch(w, pf, 3), -EMSGSIZE);
    pf[0].data = NULL;
    pf[0].len = 100;
    CHECK_RC(pkt_write_batch(w, pf, 3), -EINVAL);
    CHECK(pkt_errmsg()[0] != '\0');
    CHECK_RC(pkt_write_batch(w, NULL, 1), -EINVAL);
    CHECK_RC(pkt_write_batch(w, NULL, 200), -EINVAL);
    CHECK_RC(pkt_write_batch(w, NULL, 0), 0);
    CHECK_RC(pkt_write_batch(w, pf, 0), 0);
    CHECK_RC(pkt_write_batch(NULL, frames, 1), -EINVAL);
    CHECK_RC(pkt_write_batch(NULL, NULL, 0), -EINVAL);
    CHECK_RC(pkt_flush(NULL), -EINVAL);
    /* a handle on all interfaces has nowhere to send */
    pkt_config_t ac = test_config();
    ac.tx_mode = tx_mode;
    pkt_t *all = NULL;
    rc = pkt_open(NULL, &ac, &all);
    if (rc != 0) {
        CHECKF(tx_mode == PKT_TX_RING, "%s: pkt_open(NULL) returned %d (%s): \"%s\"", mode, rc,
               pkt_strerror(rc), pkt_errmsg());
        note("%s: pkt_open(NULL) with PKT_TX_RING refused: %d (%s): \"%s\"; trying PKT_TX_AUTO",
             mode, rc, pkt_strerror(rc), pkt_errmsg());
        ac.tx_mode = PKT_TX_AUTO;
        all = open_ok(NULL, &ac);
    }
    CHECK_RC(pkt_write_batch(all, frames + 20, 1), -EINVAL);
    CHECK(pkt_errmsg()[0] != '\0');
    CHECK_RC(pkt_close(all), 0);
    check_flush(w, "after refused batches");
    expect_nothing(r, "refused batches");

    /* NULL data at index 3: 3 sent */
    for (int i = 0; i < 6; i++) {
        frame_build(part[i], 200, v0mac, v1mac, TEST_ETHERTYPE, 1200 + (uint32_t)i);
        pf[i].data = part[i];
        pf[i].len = 200;
        want[i].data = part[i];
        want[i].len = 200;
        if (i < 3)
            log_frame(part[i], 200);
    }
    pf[3].data = NULL;
    rc = pkt_write_batch(w, pf, 6);
    CHECKF(rc == 3, "%s: batch with NULL data at index 3 returned %d (%s), expected 3", mode, rc,
           rc < 0 ? pkt_strerror(rc) : "");
    CHECK(pkt_errmsg()[0] != '\0');
    rc = pkt_flush(w);
    note("%s: pkt_flush after the NULL-data batch returned %d (%s)", mode, rc, pkt_strerror(rc));
    expect_frames(r, want, 3, false, "frames 0..2 before NULL data at 3");

    /* empty frames (also with NULL data) count as sent and send nothing */
    for (int i = 0; i < 5; i++) {
        frame_build(part[i], 300, v0mac, v1mac, TEST_ETHERTYPE, 1300 + (uint32_t)i);
        pf[i].data = part[i];
        pf[i].len = 300;
    }
    pf[1].len = 0;
    pf[3].data = NULL;
    pf[3].len = 0;
    int k = 0;
    for (int i = 0; i < 5; i++)
        if (pf[i].len > 0) {
            want[k].data = part[i];
            want[k++].len = 300;
            log_frame(part[i], 300);
        }
    CHECK_RC(pkt_write_batch(w, pf, 5), 5);
    check_flush(w, "empty frames");
    expect_frames(r, want, k, false, "a batch with empty frames");

    /* the observer on v1 saw everything that went out, as outgoing; the writer nothing */
    expect_frames(obs, g_log, g_nlog, true, "second handle on v1");
    expect_nothing(w, "the writing handle (its own frames)");

    /* the handle still works after the failures: a small batch */
    for (int i = 0; i < 3; i++) {
        frame_build(part[i], 64, v0mac, v1mac, TEST_ETHERTYPE, 1400 + (uint32_t)i);
        pf[i].data = part[i];
        pf[i].len = 64;
        want[i].data = part[i];
        want[i].len = 64;
    }
    CHECK_RC(pkt_write_batch(w, pf, 3), 3);
    check_flush(w, "after the failures");
    expect_frames(r, want, 3, false, "a batch after the failures");
    expect_frames(obs, want, 3, true, "second handle on v1, after the failures");

    /* qdisc bypass: frames reach v0, but the observer on v1 does not see them */
    pkt_config_t bc = wc;
    bc.qdisc_bypass = true;
    pkt_t *wb = NULL;
    rc = pkt_open("v1", &bc, &wb);
    CHECKF(rc == 0, "%s: pkt_open(\"v1\") with qdisc_bypass returned %d (%s): \"%s\"", mode, rc,
           pkt_strerror(rc), pkt_errmsg());
    CHECK_RC(pkt_get_config(wb, &eff), 0);
    CHECK(eff.qdisc_bypass);
    for (int i = 0; i < 50; i++) {
        size_t len = 14 + (size_t)i * 30;
        frame_build(mainf[i], len, v0mac, v1mac, TEST_ETHERTYPE, 5000 + (uint32_t)i);
        frames[i].data = mainf[i];
        frames[i].len = len;
        want[i].data = mainf[i];
        want[i].len = len;
    }
    rc = pkt_write_batch(wb, frames, 50);
    CHECKF(rc == 50, "%s: qdisc_bypass: pkt_write_batch(50) returned %d (%s): \"%s\"", mode, rc,
           rc < 0 ? pkt_strerror(rc) : "short count", pkt_errmsg());
    check_flush(wb, "qdisc_bypass");
    expect_frames(r, want, 50, false, "qdisc_bypass frames on v0");
    expect_nothing(obs, "second handle on v1 with qdisc_bypass (must not see the frames)");
    expect_nothing(wb, "the bypassing handle (its own frames)");
    CHECK_RC(pkt_close(wb), 0);

    CHECK_RC(pkt_close(w), 0);
    CHECK_RC(pkt_close(obs), 0);
    CHECK_RC(pkt_close(r), 0);
}

int main(void)
{
    test_init("test_write_batch", 40);

    /* an unknown tx_mode is a bad config value */
    pkt_config_t c = test_config();
    c.tx_mode = 3;
    pkt_t *h = NULL;
    CHECK_RC(pkt_open("v1", &c, &h), -EINVAL);
    CHECK(h == NULL);
    CHECKF(!pkt_config_check(&c), "pkt_config_check accepts tx_mode 3, which pkt_open refuses");

    const uint8_t modes[] = {PKT_TX_SENDMMSG, PKT_TX_RING, PKT_TX_AUTO};
    for (int i = 0; i < 3; i++) {
        run(modes[i], false);
        run(modes[i], true);
    }
    return test_pass();
}
