/* pkt_read_slim: the same packets as pkt_read_batch, described by their bytes and lengths only.
 * Two handles on v0 see the same traffic from v1 (frames of many sizes, 802.1Q- and
 * 802.1ad-tagged frames whose tag the kernel takes out and the library puts back, frames for
 * other hosts), one read with pkt_read_batch, the other with pkt_read_slim (max 1, 7 and 256):
 * every frame's bytes, caplen and len are equal, in order, with the default snap length and
 * with a snap length of 100; no batch exceeds max; bad arguments give -EINVAL and write
 * nothing; poll 0 on an empty ring gives -EAGAIN, the read timeout -ETIMEDOUT, a pending break
 * -EINTR. In the block ring (TPACKET_V3) and in immediate mode (TPACKET_V2). On a savefile
 * written here, pkt_read_slim returns what pkt_read_batch returns on a second handle of the
 * same file, then -ENODATA. */
#include "common.h"

#define NFRAMES 120
#define MAXLEN 1518

typedef struct got {
    uint8_t data[NFRAMES][MAXLEN];
    uint32_t caplen[NFRAMES], len[NFRAMES];
    int n;
} got_t;

static const char *g_mode;

static void keep(got_t *g, const uint8_t *data, uint32_t caplen, uint32_t len, const char *how)
{
    CHECKF(g->n < NFRAMES, "%s: %s: more than %d test frames", g_mode, how, NFRAMES);
    CHECKF(caplen <= MAXLEN && caplen <= len, "%s: %s: frame %d: caplen %u len %u", g_mode, how,
           g->n, caplen, len);
    memcpy(g->data[g->n], data, caplen);
    g->caplen[g->n] = caplen;
    g->len[g->n] = len;
    g->n++;
}

/* A test frame, tagged or not (the library put the tag back: TPID at 12, ethertype at 16). */
static bool ours(const uint8_t *d, uint32_t caplen)
{
    if (caplen < 18)
        return caplen >= 14 && is_test_frame(d, caplen, false);
    uint16_t t = (uint16_t)(d[12] << 8 | d[13]);
    if (t == 0x8100 || t == 0x88a8) {
        uint16_t inner = (uint16_t)(d[16] << 8 | d[17]);
        return inner == TEST_ETHERTYPE || inner == OTHER_ETHERTYPE;
    }
    return is_test_frame(d, caplen, false);
}

/* Reads until `want` test frames arrived or 5 s passed. */
static void collect(pkt_t *h, bool slim, size_t max, got_t *g, int want)
{
    pkt_packet_t *b = calloc(max, sizeof *b);
    pkt_slim_t *s = calloc(max + 1, sizeof *s);
    CHECK(b != NULL && s != NULL);
    const char *how = slim ? "pkt_read_slim" : "pkt_read_batch";
    g->n = 0;
    int64_t deadline = mono_ms() + 5000;
    while (g->n < want) {
        CHECKF(mono_ms() < deadline, "%s: %s(max %zu): %d of %d frames within 5 s", g_mode, how,
               max, g->n, want);
        if (slim) {
            memset(&s[max], 0xa5, sizeof s[max]);
            int rc = pkt_read_slim(h, 1, s, max);
            if (rc == -ETIMEDOUT)
                continue;
            CHECKF(rc > 0, "%s: pkt_read_slim returned %d (%s)", g_mode, rc, pkt_strerror(rc));
            CHECKF((size_t)rc <= max, "%s: pkt_read_slim(max %zu) returned %d", g_mode, max, rc);
            const uint8_t *guard = (const uint8_t *)&s[max];
            for (size_t i = 0; i < sizeof s[max]; i++)
                CHECKF(guard[i] == 0xa5, "%s: pkt_read_slim wrote past out[max-1]", g_mode);
            for (int i = 0; i < rc; i++) {
                CHECKF(s[i].data != NULL, "%s: slim %d: data NULL", g_mode, i);
                if (ours(s[i].data, s[i].caplen))
                    keep(g, s[i].data, s[i].caplen, s[i].len, how);
            }
        } else {
            int rc = pkt_read_batch(h, 1, b, max);
            if (rc == -ETIMEDOUT)
                continue;
            CHECKF(rc > 0, "%s: pkt_read_batch returned %d (%s)", g_mode, rc, pkt_strerror(rc));
            for (int i = 0; i < rc; i++)
                if (ours(b[i].data, b[i].info.caplen))
                    keep(g, b[i].data, b[i].info.caplen, b[i].info.len, how);
        }
    }
    free(b);
    free(s);
}

static void compare(const got_t *ref, const got_t *got, size_t max)
{
    CHECKF(got->n == ref->n, "%s: max %zu: %d frames by slim, %d by batch", g_mode, max, got->n,
           ref->n);
    for (int i = 0; i < ref->n; i++) {
        CHECKF(got->caplen[i] == ref->caplen[i] && got->len[i] == ref->len[i],
               "%s: max %zu: frame %d: slim caplen %u len %u, batch caplen %u len %u", g_mode, max,
               i, got->caplen[i], got->len[i], ref->caplen[i], ref->len[i]);
        CHECK_BYTES(got->data[i], got->caplen[i], ref->data[i], ref->caplen[i]);
    }
}

/* NFRAMES frames: sizes 14..1514, every 7th tagged 802.1Q, every 11th 802.1ad, every 5th for
 * another host. Returns how many of them are test frames as `ours` sees them. */
static int send_traffic(const raw_tx_t *tx, const uint8_t v0mac[6], uint32_t round)
{
    int want = 0;
    static const size_t sizes[] = {60, 14, 21, 64, 100, 128, 255, 512, 1000, 1499, 1514, 75};
    for (uint32_t i = 0; i < NFRAMES; i++) {
        uint8_t f[MAXLEN], t[MAXLEN];
        size_t len = sizes[i % (sizeof sizes / sizeof sizes[0])];
        frame_build(f, len, (i % 5 == 4) ? MAC_OTHER : v0mac, tx->mac,
                    (i % 3 == 2) ? OTHER_ETHERTYPE : TEST_ETHERTYPE, round * 1000 + i);
        uint16_t tpid = (i % 7 == 3) ? 0x8100 : (i % 11 == 5) ? 0x88a8 : 0;
        if (tpid && len >= 60 && len + 4 <= 1514) { /* the kernel drops runt tagged frames */
            memcpy(t, f, 12);
            t[12] = (uint8_t)(tpid >> 8);
            t[13] = (uint8_t)tpid;
            t[14] = (uint8_t)(i & 0x0f);
            t[15] = (uint8_t)(i * 3);
            memcpy(t + 16, f + 12, len - 12);
            raw_tx_send(tx, t, len + 4);
            want += ours(t, (uint32_t)len + 4);
        } else {
            raw_tx_send(tx, f, len);
            want += ours(f, (uint32_t)len);
        }
    }
    return want;
}

static void errors(pkt_t *h)
{
    pkt_slim_t s[4];
    memset(s, 0xa5, sizeof s);
    for (int p = 0; p < 2; p++) {
        CHECK_RC(pkt_read_slim(h, p, NULL, 4), -EINVAL);
        CHECK(pkt_errmsg()[0] != '\0');
        CHECK_RC(pkt_read_slim(h, p, s, 0), -EINVAL);
        CHECK_RC(pkt_read_slim(NULL, p, s, 4), -EINVAL);
    }
    const uint8_t *raw = (const uint8_t *)s;
    for (size_t i = 0; i < sizeof s; i++)
        CHECKF(raw[i] == 0xa5, "%s: an invalid call wrote out", g_mode);
    CHECK_RC(pkt_read_slim(h, 0, s, 4), -EAGAIN);
    int64_t t0 = mono_ms();
    int rc = pkt_read_slim(h, 1, s, 4);
    CHECKF(rc == -ETIMEDOUT, "%s: idle pkt_read_slim(poll=1) returned %d (%s)", g_mode, rc,
           pkt_strerror(rc));
    CHECKF(mono_ms() - t0 >= 150, "%s: the 200 ms read timeout ended after %lld ms", g_mode,
           (long long)(mono_ms() - t0));
    CHECK_RC(pkt_breakloop(h), 0);
    CHECK_RC(pkt_read_slim(h, 1, s, 4), -EINTR);
}

static void run(bool immediate, uint32_t snaplen)
{
    char mode[64];
    snprintf(mode, sizeof mode, "%s, snaplen %u", immediate ? "immediate (V2)" : "block (V3)",
             snaplen);
    g_mode = mode;
    watchdog_arm(60);
    pkt_config_t c = test_config();
    config_mode(&c, immediate);
    c.snaplen = snaplen;
    pkt_t *hb = open_ok("v0", &c);
    pkt_t *hs = open_ok("v0", &c);
    raw_tx_t tx = raw_tx_open("v1");
    uint8_t v0mac[6];
    mac_of("v0", v0mac);
    errors(hs);
    got_t *ref = calloc(1, sizeof *ref), *got = calloc(1, sizeof *got);
    CHECK(ref != NULL && got != NULL);
    static const size_t maxes[] = {1, 7, 256};
    for (uint32_t r = 0; r < 3; r++) {
        int want = send_traffic(&tx, v0mac, r);
        CHECKF(want > NFRAMES / 2, "%s: only %d test frames", g_mode, want);
        collect(hb, false, 64, ref, want);
        collect(hs, true, maxes[r], got, want);
        compare(ref, got, maxes[r]);
        if (snaplen)
            for (int i = 0; i < got->n; i++)
                CHECKF(got->caplen[i] <= snaplen, "%s: caplen %u over the snap length", g_mode,
                       got->caplen[i]);
    }
    note("%s: 3 x %d frames equal between pkt_read_slim and pkt_read_batch", g_mode, NFRAMES);
    free(ref);
    free(got);
    raw_tx_close(&tx);
    CHECK_RC(pkt_close(hb), 0);
    CHECK_RC(pkt_close(hs), 0);
}

/* A savefile: pkt_read_slim against pkt_read_batch on a second handle of the same file. */
static void offline(void)
{
    g_mode = "savefile";
    const char *path = tmp_path("slim.pcap");
    pkt_dumper_t *d;
    CHECK_RC(pkt_dump_open(path, 1, 0, 0, &d), 0);
    for (uint32_t i = 0; i < 300; i++) {
        uint8_t f[MAXLEN];
        size_t len = 14 + (i * 37) % 1500;
        frame_build(f, len, MAC_BROADCAST, MAC_SRC_TEST, TEST_ETHERTYPE, i);
        pkt_info_t info;
        memset(&info, 0, sizeof info);
        info.sec = 1700000000 + i;
        info.caplen = (uint32_t)len;
        info.len = (uint32_t)len + (i % 3);
        CHECK_RC(pkt_dump_write(d, f, &info), 0);
    }
    CHECK_RC(pkt_dump_close(d), 0);
    pkt_t *a, *b;
    CHECK_RC(pkt_open_offline(path, NULL, &a), 0);
    CHECK_RC(pkt_open_offline(path, NULL, &b), 0);
    pkt_packet_t pb[300];
    pkt_slim_t ps[300];
    int na = 0, nb = 0;
    for (int calls = 0; calls < 1000; calls++) {
        int rc = pkt_read_slim(a, 1, ps + na, (size_t)(300 - na < 13 ? 300 - na : 13) + 1);
        if (rc == -ENODATA)
            break;
        CHECKF(rc > 0, "savefile: pkt_read_slim returned %d (%s)", rc, pkt_strerror(rc));
        /* copy out before the next call */
        for (int i = 0; i < rc; i++) {
            uint8_t *copy = malloc(ps[na + i].caplen ? ps[na + i].caplen : 1);
            CHECK(copy != NULL);
            memcpy(copy, ps[na + i].data, ps[na + i].caplen);
            ps[na + i].data = copy;
        }
        na += rc;
        CHECKF(na <= 300, "savefile: more than 300 packets");
    }
    for (int calls = 0; calls < 1000; calls++) {
        int rc = pkt_read_batch(b, 1, pb + nb, 300 - nb > 0 ? (size_t)(300 - nb) : 1);
        if (rc == -ENODATA)
            break;
        CHECKF(rc > 0, "savefile: pkt_read_batch returned %d (%s)", rc, pkt_strerror(rc));
        for (int i = 0; i < rc; i++) {
            uint8_t *copy = malloc(pb[nb + i].info.caplen ? pb[nb + i].info.caplen : 1);
            CHECK(copy != NULL);
            memcpy(copy, pb[nb + i].data, pb[nb + i].info.caplen);
            pb[nb + i].data = copy;
        }
        nb += rc;
    }
    CHECKF(na == 300 && nb == 300, "savefile: slim read %d, batch %d of 300", na, nb);
    for (int i = 0; i < 300; i++) {
        CHECKF(ps[i].caplen == pb[i].info.caplen && ps[i].len == pb[i].info.len,
               "savefile: packet %d: slim %u/%u, batch %u/%u", i, ps[i].caplen, ps[i].len,
               pb[i].info.caplen, pb[i].info.len);
        CHECK_BYTES(ps[i].data, ps[i].caplen, pb[i].data, pb[i].info.caplen);
        free((void *)ps[i].data);
        free((void *)pb[i].data);
    }
    CHECK_RC(pkt_read_slim(a, 1, ps, 4), -ENODATA);
    CHECK_RC(pkt_close(a), 0);
    CHECK_RC(pkt_close(b), 0);
    note("savefile: 300 packets equal between pkt_read_slim and pkt_read_batch");
}

int main(void)
{
    test_init("test_read_slim", 120);
    offline();
    run(false, 0);
    run(false, 100);
    run(true, 0);
    run(true, 100);
    return test_pass();
}
