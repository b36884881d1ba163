/* pkt_setfilter_expr and pkt_compile_netmask (issue 15, item 3).
 *
 * pkt_compile_netmask takes the netmask in network byte order, as pkt_lookupnet writes it: its
 * programs are libpcap's pcap_compile(..., ntohl(mask)) instruction for instruction (libpcap,
 * linked by this test only, is the oracle; without libpcap-dev that part is skipped), for the
 * netmask pkt_lookupnet gives v0 and for fixed ones; PKT_NETMASK_UNKNOWN is pkt_compile.
 *
 * pkt_setfilter_expr on a live handle on v0 (10.1.0.1/24): `ip broadcast` with v0's netmask,
 * a DECnet host and `llc` pass exactly the frames sent on v1 that they should; a bad
 * expression or flag is -EINVAL and leaves the filter in place; on v1 (no IPv4 address) and on
 * all interfaces the netmask is unknown, and all interfaces is cooked (LINUX_SLL2: `llc` is
 * refused, as libpcap refuses it there). On a savefile handle: the savefile form (`inbound`
 * refused, no netmask) and the packets read are the ones the expression selects. */
#include "common.h"

#include <arpa/inet.h>

#ifndef PKT_NO_LIBPCAP
#include <pcap/pcap.h>
#endif

static raw_tx_t g_tx;
static uint8_t g_v0mac[6];
static uint32_t g_seq = 1;

/* A frame to v0: `type` (an Ethertype, or an 802.3 length), `payload`, the marker and seq. */
static size_t build(uint8_t *f, uint16_t type, const uint8_t *payload, size_t plen, uint32_t seq)
{
    memcpy(f, g_v0mac, 6);
    memcpy(f + 6, g_tx.mac, 6);
    f[12] = (uint8_t)(type >> 8);
    f[13] = (uint8_t)type;
    size_t n = 14;
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

/* An IPv4 UDP header from 10.1.0.9 to `dst`. */
static size_t ipv4_to(uint8_t *p, uint32_t dst)
{
    static const uint8_t ip[20] = {0x45, 0, 0, 60, 0, 1, 0, 0, 64, 17, 0, 0, 10, 1, 0, 9};
    memcpy(p, ip, 20);
    p[16] = (uint8_t)(dst >> 24);
    p[17] = (uint8_t)(dst >> 16);
    p[18] = (uint8_t)(dst >> 8);
    p[19] = (uint8_t)dst;
    static const uint8_t udp[8] = {0x30, 0x39, 0x30, 0x3a, 0, 40, 0, 0};
    memcpy(p + 20, udp, 8);
    return 28;
}

/* A DECnet short routing header (after its 2-byte length): flags 0x02, the addresses
 * (area << 10 | node) little-endian. */
static size_t decnet(uint8_t *p, uint16_t dst, uint16_t src)
{
    const uint8_t h[8] = {6, 0, 0x02, (uint8_t)dst, (uint8_t)(dst >> 8), (uint8_t)src,
                          (uint8_t)(src >> 8), 3};
    memcpy(p, h, sizeof h);
    return sizeof h;
}

#define DN(area, node) ((uint16_t)((area) << 10 | (node)))

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

/* Sends frames[i] (seqs first...), expects exactly those with want[i], in order. */
static void expect(pkt_t *h, const char *what, uint8_t frames[][128], const size_t *lens,
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
        CHECKF(k < m, "%s: frame %d (seq %u) not received (%d received)", what, i,
               first + (uint32_t)i, m);
        int64_t s = marked_seq(got[k].data, got[k].info.caplen);
        CHECKF(s == first + (uint32_t)i, "%s: received seq %lld, expected %u", what, (long long)s,
               first + (uint32_t)i);
        k++;
    }
    CHECKF(k == m, "%s: %d frames received, expected %d", what, m, k);
    note("%s: %d of %d frames passed, as expected", what, m, n);
    free(got);
}

static void set_ok(pkt_t *h, const char *expr)
{
    int rc = pkt_setfilter_expr(h, expr, PKT_COMPILE_OPTIMIZE);
    CHECKF(rc == 0, "pkt_setfilter_expr(\"%s\"): %d (%s)", expr, rc, pkt_errmsg());
}

static void set_fails(pkt_t *h, const char *expr, uint32_t flags, int code, const char *msg)
{
    CHECK_RC(pkt_setfilter_expr(h, expr, flags), code);
    CHECKF(msg == NULL || strstr(pkt_errmsg(), msg) != NULL, "pkt_setfilter_expr(\"%s\"): \"%s\"",
           expr ? expr : "NULL", pkt_errmsg());
}

/* ---- pkt_compile_netmask against libpcap ---- */

#ifndef PKT_NO_LIBPCAP
static const char *const NETMASK_EXPRS[] = {
    "ip broadcast", "not ip broadcast", "ip broadcast and udp", "vlan and ip broadcast",
    "net 10.1", "net 10 or ip broadcast", "decnet host 1.2", "llc u", "ipx or atalk", NULL,
};
#endif

static void compare_netmask(uint32_t mask)
{
#ifdef PKT_NO_LIBPCAP
    (void)mask;
#else
    pcap_t *p = pcap_open_dead(DLT_EN10MB, 262144);
    CHECK(p != NULL);
    for (int i = 0; NETMASK_EXPRS[i] != NULL; i++) {
        for (int opt = 0; opt <= 1; opt++) {
            const char *e = NETMASK_EXPRS[i];
            struct bpf_program want;
            int prc = pcap_compile(p, &want, e, opt, ntohl(mask));
            pkt_bpf_insn_t *got = NULL;
            size_t n = 0;
            int rc = pkt_compile_netmask(e, PKT_DLT_EN10MB, 262144, opt ? PKT_COMPILE_OPTIMIZE : 0,
                                         mask, &got, &n);
            if (prc != 0) {
                CHECKF(rc == -EINVAL, "`%s` netmask %08x: libpcap refuses (%s), libpkt %d", e,
                       ntohl(mask), pcap_geterr(p), rc);
                continue;
            }
            CHECKF(rc == 0, "`%s` netmask %08x: libpkt %d (%s)", e, ntohl(mask), rc, pkt_errmsg());
            CHECKF(n == want.bf_len, "`%s` O%d netmask %08x: %zu instructions, libpcap's %u", e,
                   opt, ntohl(mask), n, want.bf_len);
            for (size_t j = 0; j < n; j++) {
                const struct bpf_insn *w = &want.bf_insns[j];
                CHECKF(got[j].code == w->code && got[j].jt == w->jt && got[j].jf == w->jf &&
                           got[j].k == w->k,
                       "`%s` O%d netmask %08x: instruction %zu differs", e, opt, ntohl(mask), j);
            }
            pkt_free_prog(got);
            pcap_freecode(&want);
        }
    }
    pcap_close(p);
#endif
}

static void netmask_calls(uint32_t v0mask)
{
    pkt_bpf_insn_t *prog = NULL;
    size_t n = 0;
    uint32_t masks[] = {v0mask, htonl(0xff000000u), htonl(0xffff0000u), htonl(0xfffffffcu), 0};
    for (size_t i = 0; i < sizeof masks / sizeof masks[0]; i++)
        compare_netmask(masks[i]);
#ifndef PKT_NO_LIBPCAP
    /* libpcap's trap: the mask from pcap_lookupnet handed to pcap_compile as is (tcpdump does)
     * is read in host byte order: on a little-endian machine the program tests other bits. */
    if (ntohl(v0mask) != v0mask) {
        pcap_t *p = pcap_open_dead(DLT_EN10MB, 262144);
        struct bpf_program raw;
        CHECK(pcap_compile(p, &raw, "ip broadcast", 1, v0mask) == 0);
        CHECK_RC(pkt_compile_netmask("ip broadcast", PKT_DLT_EN10MB, 262144, PKT_COMPILE_OPTIMIZE,
                                     v0mask, &prog, &n),
                 0);
        bool same = n == raw.bf_len && memcmp(prog, raw.bf_insns, n * sizeof *prog) == 0;
        CHECK(!same);
        note("pcap_compile(..., mask from pcap_lookupnet) without ntohl: another program (as "
             "tcpdump on this machine)");
        pkt_free_prog(prog);
        pcap_freecode(&raw);
        pcap_close(p);
    }
#else
    note("libpcap-dev is not installed: pkt_compile_netmask is not compared with pcap_compile");
#endif
    /* Unknown: pkt_compile's answer. */
    CHECK_RC(pkt_compile_netmask("ip broadcast", PKT_DLT_EN10MB, 0, 0, PKT_NETMASK_UNKNOWN, &prog,
                                 &n),
             -EINVAL);
    CHECKF(strstr(pkt_errmsg(), "netmask not known") != NULL, "%s", pkt_errmsg());
    CHECK_RC(pkt_compile_netmask("tcp", PKT_DLT_EN10MB, 0, 0, v0mask, &prog, &n), 0);
    pkt_bpf_insn_t *p2 = NULL;
    size_t n2 = 0;
    CHECK_RC(pkt_compile("tcp", PKT_DLT_EN10MB, 0, 0, &p2, &n2), 0);
    CHECK(n == n2 && memcmp(prog, p2, n * sizeof *prog) == 0);
    pkt_free_prog(prog);
    pkt_free_prog(p2);
    /* Arguments. */
    CHECK_RC(pkt_compile_netmask(NULL, PKT_DLT_EN10MB, 0, 0, v0mask, &prog, &n), -EINVAL);
    CHECK_RC(pkt_compile_netmask("ip", PKT_DLT_EN10MB, 0, 0, v0mask, NULL, &n), -EINVAL);
    CHECK_RC(pkt_compile_netmask("ip", PKT_DLT_EN10MB, 0, 0x100, v0mask, &prog, &n), -EINVAL);
}

/* ---- a savefile ---- */

static void savefile(void)
{
    uint8_t frames[6][128];
    size_t lens[6];
    uint8_t l3[64];
    lens[0] = build(frames[0], 0x6003, l3, decnet(l3, DN(1, 2), DN(10, 23)), 1);
    lens[1] = build(frames[1], 0x6003, l3, decnet(l3, DN(1, 3), DN(10, 23)), 2);
    static const uint8_t llc_u[3] = {0x42, 0x42, 0x03};
    lens[2] = build(frames[2], 11, llc_u, 3, 3); /* 802.3: length 11 */
    lens[3] = build(frames[3], 0x0800, l3, ipv4_to(l3, 0x0a0100ff), 4);
    lens[4] = build(frames[4], TEST_ETHERTYPE, NULL, 0, 5);
    const char *path = tmp_path("legacy.pcap");
    pkt_dumper_t *d = NULL;
    CHECK_RC(pkt_dump_open(path, PKT_DLT_EN10MB, 0, 0, &d), 0);
    for (int i = 0; i < 5; i++) {
        pkt_info_t in = {.sec = 1700000000 + i, .caplen = (uint32_t)lens[i],
                         .len = (uint32_t)lens[i]};
        CHECK_RC(pkt_dump_write(d, frames[i], &in), 0);
    }
    CHECK_RC(pkt_dump_close(d), 0);

    pkt_t *h = NULL;
    CHECK_RC(pkt_open_offline(path, NULL, &h), 0);
    /* The savefile form: no direction in the file; no netmask. */
    set_fails(h, "inbound", 0, -EINVAL, "when reading savefiles");
    set_fails(h, "ip broadcast", 0, -EINVAL, "netmask not known");
    set_fails(h, "tcp port", 0, -EINVAL, "position 8");
    set_fails(h, "ip", PKT_COMPILE_LIVE, -EINVAL, "unknown flags");
    set_ok(h, "decnet dst 1.2 or llc");
    int seen[8], n = 0;
    for (int guard = 0; guard < 100; guard++) {
        const uint8_t *data;
        pkt_info_t info;
        int rc = pkt_read(h, 1, &data, &info);
        if (rc == -ENODATA)
            break;
        CHECKF(rc >= 0, "pkt_read: %d (%s)", rc, pkt_errmsg());
        if (data == NULL)
            continue;
        CHECK(n < 8);
        seen[n++] = (int)marked_seq(data, info.caplen);
    }
    CHECKF(n == 2 && seen[0] == 1 && seen[1] == 3, "savefile: %d packets read (first seq %d)", n,
           n > 0 ? seen[0] : -1);
    CHECK_RC(pkt_close(h), 0);
}

int main(void)
{
    test_init("test_setfilter_expr", 90);
    sh_ok("ip addr add 10.1.0.1/24 dev v0");
    uint32_t net = 0, mask = 0;
    CHECK_RC(pkt_lookupnet("v0", &net, &mask), 0);
    CHECK(mask == htonl(0xffffff00u));
    netmask_calls(mask);

    g_tx = raw_tx_open("v1");
    mac_of("v0", g_v0mac);
    pkt_config_t c = test_config();
    pkt_t *h = open_ok("v0", &c);
    uint8_t frames[8][128];
    size_t lens[8];
    uint8_t l3[64];
    uint32_t first;

    /* ip broadcast with v0's /24: the host part is the last byte. */
    set_ok(h, "ip broadcast");
    const uint32_t dsts[6] = {0x0a0100ff, 0x0a010007, 0x0a010000, 0x0a0201ff, 0x0a0100fe,
                              0xffffffff};
    first = g_seq;
    for (int i = 0; i < 6; i++)
        lens[i] = build(frames[i], 0x0800, l3, ipv4_to(l3, dsts[i]), g_seq++);
    lens[6] = build(frames[6], TEST_ETHERTYPE, NULL, 0, g_seq++);
    expect(h, "ip broadcast (/24)", frames, lens,
           (const bool[]){true, false, true, true, false, true, false}, 7, first);

    /* A DECnet host, then LLC U frames (802.3). */
    set_ok(h, "decnet src 10.23");
    first = g_seq;
    lens[0] = build(frames[0], 0x6003, l3, decnet(l3, DN(1, 2), DN(10, 23)), g_seq++);
    lens[1] = build(frames[1], 0x6003, l3, decnet(l3, DN(10, 23), DN(1, 2)), g_seq++);
    lens[2] = build(frames[2], TEST_ETHERTYPE, NULL, 0, g_seq++);
    expect(h, "decnet src 10.23", frames, lens, (const bool[]){true, false, false}, 3, first);

    set_ok(h, "llc u");
    static const uint8_t ui[3] = {0x42, 0x42, 0x03}, i_frame[3] = {0x42, 0x42, 0x00};
    first = g_seq;
    lens[0] = build(frames[0], 11, ui, 3, g_seq++);
    lens[1] = build(frames[1], 11, i_frame, 3, g_seq++);
    lens[2] = build(frames[2], TEST_ETHERTYPE, ui, 3, g_seq++);
    expect(h, "llc u", frames, lens, (const bool[]){true, false, false}, 3, first);

    /* Refused: -EINVAL, and the filter in place stays. */
    set_fails(h, "tcp port", 0, -EINVAL, "position 8");
    set_fails(h, "ip", PKT_COMPILE_LIVE, -EINVAL, "unknown flags");
    set_fails(h, NULL, 0, -EINVAL, NULL);
    set_fails(h, "llc foo", 0, -EINVAL, "unknown LLC type name");
    CHECK_RC(pkt_setfilter_expr(NULL, "ip", 0), -EINVAL);
    first = g_seq;
    lens[0] = build(frames[0], 11, ui, 3, g_seq++);
    lens[1] = build(frames[1], TEST_ETHERTYPE, NULL, 0, g_seq++);
    expect(h, "llc u after refusals", frames, lens, (const bool[]){true, false}, 2, first);
    CHECK_RC(pkt_close(h), 0);

    /* v1 has no IPv4 address: no netmask. */
    h = open_ok("v1", &c);
    set_fails(h, "ip broadcast", 0, -EINVAL, "netmask not known");
    set_ok(h, "ip or llc");
    CHECK_RC(pkt_close(h), 0);
    /* All interfaces: cooked (LINUX_SLL2), no netmask. */
    h = open_ok(NULL, &c);
    CHECK(pkt_dlt(h) == PKT_DLT_LINUX_SLL2);
    set_fails(h, "ip broadcast", 0, -EINVAL, "netmask not known");
    set_fails(h, "llc", 0, -EINVAL, "'llc' not supported for Linux cooked v2");
    set_ok(h, "ip or ipx or iso proto \\isis");
    CHECK_RC(pkt_close(h), 0);
    raw_tx_close(&g_tx);

    savefile();
    return test_pass();
}
