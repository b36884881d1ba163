/* pkt_compile: live-form programs attach to a real socket (pkt_setfilter returns 0) and filter
 * real frames sent on v1 as expected: ethertypes, UDP ports, VLAN tags the kernel moved into
 * metadata, direction. Bad expressions give -EINVAL with a position in pkt_errmsg. */
#include "common.h"

static raw_tx_t g_tx;
static uint8_t g_v0mac[6];
static uint32_t g_seq = 1;

/* A frame: Ethernet (optionally one 802.1Q tag), then `ethertype`, then `payload`, then the
 * marker and seq. */
static size_t build(uint8_t *f, int vid, uint16_t ethertype, const uint8_t *payload, size_t plen,
                    uint32_t seq)
{
    size_t n = 0;
    memcpy(f, g_v0mac, 6);
    memcpy(f + 6, g_tx.mac, 6);
    n = 12;
    if (vid >= 0) {
        f[n++] = 0x81;
        f[n++] = 0x00;
        f[n++] = (uint8_t)(vid >> 8);
        f[n++] = (uint8_t)vid;
    }
    f[n++] = (uint8_t)(ethertype >> 8);
    f[n++] = (uint8_t)ethertype;
    if (plen > 0)
        memcpy(f + n, payload, plen);
    n += plen;
    memcpy(f + n, MARKER, MARKER_LEN);
    n += MARKER_LEN;
    for (int i = 3; i >= 0; i--)
        f[n++] = (uint8_t)(seq >> (8 * i));
    while (n < 64)
        f[n++] = 0;
    return n;
}

/* IPv4 + UDP header (no checksums; the receiver only captures) to dport. */
static size_t udp4(uint8_t *p, uint16_t dport)
{
    static const uint8_t ip[20] = {0x45, 0, 0, 50, 0, 1, 0, 0, 64, 17, 0, 0,
                                   10, 9, 0, 2, 10, 9, 0, 1};
    memcpy(p, ip, 20);
    uint8_t u[8] = {0x30, 0x39, (uint8_t)(dport >> 8), (uint8_t)dport, 0, 30, 0, 0};
    memcpy(p + 20, u, 8);
    return 28;
}

/* The seq of a frame carrying the marker anywhere, or -1. */
static int64_t marked_seq(const uint8_t *d, size_t n)
{
    for (size_t i = 0; i + MARKER_LEN + 4 <= n; i++)
        if (memcmp(d + i, MARKER, MARKER_LEN) == 0)
            return frame_seq(d, n, i);
    return -1;
}

static bool is_marked(const uint8_t *data, const pkt_info_t *info, void *arg)
{
    (void)arg;
    return marked_seq(data, info->caplen) >= 0;
}

static void attach(pkt_t *h, const char *expr)
{
    pkt_bpf_insn_t *prog = NULL;
    size_t len = 0;
    int rc = pkt_compile(expr, PKT_DLT_EN10MB, 0, PKT_COMPILE_OPTIMIZE | PKT_COMPILE_LIVE, &prog,
                         &len);
    CHECKF(rc == 0, "pkt_compile(\"%s\"): %d (%s)", expr, rc, pkt_errmsg());
    CHECK(prog != NULL && len > 0);
    rc = pkt_setfilter(h, prog, len);
    CHECKF(rc == 0, "pkt_setfilter(\"%s\", %zu insns): %d (%s)", expr, len, rc, pkt_errmsg());
    pkt_free_prog(prog);
}

/* Sends frames[i] (with seqs first..), expects exactly the ones with want[i] set, in order. */
static void expect(pkt_t *h, const char *expr, uint8_t frames[][128], const size_t *lens,
                   const bool *want, int n, uint32_t first)
{
    for (int i = 0; i < n; i++)
        raw_tx_send(&g_tx, frames[i], lens[i]);
    rx_frame_t *got = calloc((size_t)n + 1, sizeof *got);
    CHECK(got != NULL);
    int m = collect_matching(h, is_marked, NULL, 500, got, n);
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (!want[i])
            continue;
        CHECKF(k < m, "%s: frame %d (seq %u) not received (%d received)", expr, i,
               first + (uint32_t)i, m);
        int64_t s = marked_seq(got[k].data, got[k].info.caplen);
        CHECKF(s == first + (uint32_t)i, "%s: received seq %lld, expected %u", expr, (long long)s,
               first + (uint32_t)i);
        k++;
    }
    CHECKF(k == m, "%s: %d frames received, expected %d", expr, m, k);
    note("%s: %d of %d frames passed, as expected", expr, m, n);
    free(got);
}

int main(void)
{
    test_init("test_compile_live", 60);
    g_tx = raw_tx_open("v1");
    mac_of("v0", g_v0mac);
    pkt_config_t c = test_config();
    pkt_t *h = open_ok("v0", &c);

    uint8_t frames[6][128];
    size_t lens[6];
    uint8_t l3[64];
    uint32_t first;

    /* ether proto */
    attach(h, "ether proto 0x88b5");
    first = g_seq;
    for (int i = 0; i < 4; i++)
        lens[i] = build(frames[i], -1, (i % 2) ? OTHER_ETHERTYPE : TEST_ETHERTYPE, NULL, 0, g_seq++);
    expect(h, "ether proto 0x88b5", frames, lens, (const bool[]){true, false, true, false}, 4, first);

    /* udp port 53 against hand-built IPv4/UDP */
    attach(h, "udp port 53 and host 10.9.0.2");
    first = g_seq;
    for (int i = 0; i < 4; i++) {
        size_t n = udp4(l3, (i % 2) ? 54 : 53);
        lens[i] = build(frames[i], -1, 0x0800, l3, n, g_seq++);
    }
    expect(h, "udp port 53", frames, lens, (const bool[]){true, false, true, false}, 4, first);

    /* vlan: the kernel moves the tag into metadata; the live form reads it there */
    attach(h, "vlan 100 and ether proto 0x88b5");
    first = g_seq;
    lens[0] = build(frames[0], 100, TEST_ETHERTYPE, NULL, 0, g_seq++);
    lens[1] = build(frames[1], 200, TEST_ETHERTYPE, NULL, 0, g_seq++);
    lens[2] = build(frames[2], -1, TEST_ETHERTYPE, NULL, 0, g_seq++);
    lens[3] = build(frames[3], 100, OTHER_ETHERTYPE, NULL, 0, g_seq++);
    lens[4] = build(frames[4], 100, TEST_ETHERTYPE, NULL, 0, g_seq++);
    expect(h, "vlan 100 and ether proto 0x88b5", frames, lens,
           (const bool[]){true, false, false, false, true}, 5, first);

    /* (As in libpcap, tests after a live `vlan` that failed look 4 bytes further on, so
     * `not vlan` is tested on its own.) */
    attach(h, "not vlan");
    first = g_seq;
    lens[0] = build(frames[0], 100, TEST_ETHERTYPE, NULL, 0, g_seq++);
    lens[1] = build(frames[1], -1, TEST_ETHERTYPE, NULL, 0, g_seq++);
    expect(h, "not vlan", frames, lens, (const bool[]){false, true}, 2, first);

    /* direction: frames from v1 arrive at v0 inbound */
    attach(h, "inbound and ether proto 0x88b5");
    first = g_seq;
    lens[0] = build(frames[0], -1, TEST_ETHERTYPE, NULL, 0, g_seq++);
    lens[1] = build(frames[1], -1, TEST_ETHERTYPE, NULL, 0, g_seq++);
    expect(h, "inbound", frames, lens, (const bool[]){true, true}, 2, first);
    attach(h, "outbound");
    first = g_seq;
    lens[0] = build(frames[0], -1, TEST_ETHERTYPE, NULL, 0, g_seq++);
    expect(h, "outbound", frames, lens, (const bool[]){false}, 1, first);

    /* ifindex of v0 */
    char expr[64];
    snprintf(expr, sizeof expr, "ifindex %d and ether proto 0x88b5", ifindex_of("v0"));
    attach(h, expr);
    first = g_seq;
    lens[0] = build(frames[0], -1, TEST_ETHERTYPE, NULL, 0, g_seq++);
    expect(h, expr, frames, lens, (const bool[]){true}, 1, first);
    snprintf(expr, sizeof expr, "ifindex %d", ifindex_of("v0") + 1000);
    attach(h, expr);
    first = g_seq;
    lens[0] = build(frames[0], -1, TEST_ETHERTYPE, NULL, 0, g_seq++);
    expect(h, expr, frames, lens, (const bool[]){false}, 1, first);

    CHECK_RC(pkt_close(h), 0);
    raw_tx_close(&g_tx);
    return test_pass();
}
