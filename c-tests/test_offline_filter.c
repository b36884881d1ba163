/* pkt_offline_filter against libpcap, used here as an oracle only (this test links -lpcap;
 * libpkt never does): the same value as pcap_offline_filter()/bpf_filter() for
 *   - programs from pkt_compile (offline and live forms, optimized or not, two snap lengths)
 *     and from pcap_compile for a list of expressions on DLT_EN10MB,
 *   - hand-written programs at the places where the kernel's semantics and libpcap's differ
 *     (ancillary and negative loads, X + k overflow, shifts by X >= 32),
 *   - random programs (fixed seed): every program libpkt's validation refuses gives 0 and is
 *     never run; every one it accepts libpcap's bpf_validate accepts too, with the same result,
 * over packets built here: ARP, IPv4 TCP/UDP/ICMP (options, fragments), IPv6 (extension
 * header), 802.1Q and QinQ, broadcast and multicast, each also cut short (caplen < wirelen),
 * runts, and random bytes. Plus the arguments: NULL, empty, invalid, uncapped return values.
 * Needs no traffic (the namespace is only the harness's rule). */
#include "common.h"

#ifdef PKT_NO_LIBPCAP
int main(void)
{
    test_init("test_offline_filter", 10);
    SKIP("libpcap-dev is not installed: it is this test's oracle");
}
#else

#include <pcap/pcap.h>
#include <stddef.h>

_Static_assert(sizeof(pkt_bpf_insn_t) == sizeof(struct bpf_insn), "insn size");
_Static_assert(offsetof(pkt_bpf_insn_t, code) == offsetof(struct bpf_insn, code), "code");
_Static_assert(offsetof(pkt_bpf_insn_t, jt) == offsetof(struct bpf_insn, jt), "jt");
_Static_assert(offsetof(pkt_bpf_insn_t, jf) == offsetof(struct bpf_insn, jf), "jf");
_Static_assert(offsetof(pkt_bpf_insn_t, k) == offsetof(struct bpf_insn, k), "k");

#define SKF_AD_OFF_  0xfffff000u
#define SKF_NET_OFF_ 0xfff00000u
#define SKF_LL_OFF_  0xffe00000u

/* ---- packets ---- */

#define PKT_MAX  256
#define NPKT_MAX 512

typedef struct pcase {
    char name[48];
    uint8_t data[PKT_MAX];
    uint32_t caplen, wirelen;
} pcase_t;

static pcase_t g_pkts[NPKT_MAX];
static int g_npkts;

static const uint8_t MAC_A[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t MAC_B[6] = {0x02, 0, 0, 0, 0, 0x02};
static const uint8_t MAC_BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t MAC_MCAST4[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
static const uint8_t MAC_MCAST6[6] = {0x33, 0x33, 0x00, 0x00, 0x00, 0x01};

static pcase_t *add_case(const char *name, const uint8_t *bytes, uint32_t caplen,
                         uint32_t wirelen)
{
    CHECKF(g_npkts < NPKT_MAX && caplen <= PKT_MAX, "%s: packet %d, caplen %u", name, g_npkts, caplen);
    pcase_t *c = &g_pkts[g_npkts++];
    snprintf(c->name, sizeof c->name, "%s", name);
    memcpy(c->data, bytes, caplen);
    c->caplen = caplen;
    c->wirelen = wirelen;
    return c;
}

/* A whole packet, then the same cut short after each of the header boundaries that filters
 * test (the length on the wire stays). */
static void add_packet(const char *name, const uint8_t *bytes, size_t len)
{
    static const uint32_t cuts[] = {1, 6, 12, 13, 14, 15, 18, 22, 23, 26, 30, 33, 34, 36, 37,
                                    38, 40, 41, 47, 53, 54, 58, 62};
    static size_t packets;
    char n[48];
    add_case(name, bytes, (uint32_t)len, (uint32_t)len);
    packets++;
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        if (cuts[i] >= len)
            break;
        /* right after the Ethernet and IPv4 headers, and a third of the other cuts (a
         * different third for each packet) */
        if ((i + packets) % 3 != 0 && cuts[i] != 14 && cuts[i] != 34)
            continue;
        snprintf(n, sizeof n, "%s/cut%u", name, cuts[i]);
        add_case(n, bytes, cuts[i], (uint32_t)len);
    }
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

static size_t eth(uint8_t *b, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
    memcpy(b, dst, 6);
    memcpy(b + 6, src, 6);
    put16(b + 12, type);
    return 14;
}

/* IPv4 header with opt_words 32-bit option words (NOPs); frag: flags and offset field. */
static size_t ip4(uint8_t *b, uint8_t proto, uint32_t src, uint32_t dst, size_t payload,
                  uint16_t frag, int opt_words, uint8_t ttl)
{
    size_t hl = 20 + 4 * (size_t)opt_words;
    memset(b, 0, hl);
    b[0] = (uint8_t)(0x40 | (hl / 4));
    put16(b + 2, (uint16_t)(hl + payload));
    put16(b + 4, 0x1234);
    put16(b + 6, frag);
    b[8] = ttl;
    b[9] = proto;
    put32(b + 12, src);
    put32(b + 16, dst);
    memset(b + 20, 1, hl - 20);
    return hl;
}

static size_t ip6(uint8_t *b, uint8_t next, const uint8_t src[16], const uint8_t dst[16],
                  size_t payload)
{
    memset(b, 0, 40);
    b[0] = 0x60;
    put16(b + 4, (uint16_t)payload);
    b[6] = next;
    b[7] = 64;
    memcpy(b + 8, src, 16);
    memcpy(b + 24, dst, 16);
    return 40;
}

static size_t tcp(uint8_t *b, uint16_t sp, uint16_t dp, uint8_t flags, const char *payload)
{
    memset(b, 0, 20);
    put16(b, sp);
    put16(b + 2, dp);
    put32(b + 4, 1000);
    b[12] = 5 << 4;
    b[13] = flags;
    put16(b + 14, 65535);
    size_t n = strlen(payload);
    memcpy(b + 20, payload, n);
    return 20 + n;
}

static size_t udp(uint8_t *b, uint16_t sp, uint16_t dp, size_t payload)
{
    put16(b, sp);
    put16(b + 2, dp);
    put16(b + 4, (uint16_t)(8 + payload));
    put16(b + 6, 0);
    memset(b + 8, 0xab, payload);
    return 8 + payload;
}

static size_t icmp(uint8_t *b, uint8_t type, uint8_t code)
{
    memset(b, 0, 16);
    b[0] = type;
    b[1] = code;
    return 16;
}

/* Builds the packet list. */
static void build_packets(void)
{
    uint8_t b[PKT_MAX];
    size_t n;
    const uint32_t A4 = 0x0a000001, B4 = 0x0a000002, C4 = 0xc0a80101, M4 = 0xe0000001;
    const uint8_t A6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
    const uint8_t L6[16] = {0xfe, 0x80, [15] = 1};
    const uint8_t M6[16] = {0xff, 0x02, [15] = 1};

    /* ARP request, padded to 60 */
    memset(b, 0, sizeof b);
    n = eth(b, MAC_BCAST, MAC_A, 0x0806);
    put16(b + n, 1);
    put16(b + n + 2, 0x0800);
    b[n + 4] = 6;
    b[n + 5] = 4;
    put16(b + n + 6, 1);
    memcpy(b + n + 8, MAC_A, 6);
    put32(b + n + 14, A4);
    put32(b + n + 24, B4);
    add_packet("arp", b, 60);

    /* IPv4 TCP: SYN to 80, ACK with an HTTP GET, from 10.0.0.1 and 192.168.1.1 */
    memset(b, 0, sizeof b);
    n = eth(b, MAC_B, MAC_A, 0x0800);
    size_t t = tcp(b + n + 20, 40000, 80, 0x02, "");
    n += ip4(b + n, 6, A4, B4, t, 0x4000, 0, 64) + t;
    add_packet("tcp-syn", b, n < 60 ? 60 : n);
    memset(b, 0, sizeof b);
    n = eth(b, MAC_B, MAC_A, 0x0800);
    t = tcp(b + n + 20, 40000, 80, 0x18, "GET / HTTP/1.1\r\n");
    n += ip4(b + n, 6, C4, B4, t, 0x4000, 0, 64) + t;
    add_packet("tcp-get", b, n);
    memset(b, 0, sizeof b);
    n = eth(b, MAC_A, MAC_B, 0x0800);
    t = tcp(b + n + 24, 22, 51000, 0x12, "");
    n += ip4(b + n, 6, B4, A4, t, 0, 1, 3) + t; /* with an option word, low TTL */
    add_packet("tcp-synack-opts", b, n);

    /* IPv4 UDP: DNS, a high port in 1000-2000, a fragment, multicast */
    memset(b, 0, sizeof b);
    n = eth(b, MAC_B, MAC_A, 0x0800);
    size_t u = udp(b + n + 20, 5353, 53, 30);
    n += ip4(b + n, 17, A4, B4, u, 0, 0, 64) + u;
    add_packet("udp-dns", b, n);
    memset(b, 0, sizeof b);
    n = eth(b, MAC_B, MAC_A, 0x0800);
    u = udp(b + n + 20, 1500, 1999, 200);
    n += ip4(b + n, 17, C4, A4, u, 0, 0, 64) + u;
    add_packet("udp-big", b, n);
    memset(b, 0, sizeof b);
    n = eth(b, MAC_B, MAC_A, 0x0800);
    u = udp(b + n + 20, 53, 53, 16);
    n += ip4(b + n, 17, A4, B4, u, 0x2000 | 185, 0, 64) + u; /* more fragments, offset 185 */
    add_packet("udp-frag", b, n);
    memset(b, 0, sizeof b);
    n = eth(b, MAC_MCAST4, MAC_A, 0x0800);
    u = udp(b + n + 20, 5353, 5353, 20);
    n += ip4(b + n, 17, A4, M4, u, 0, 0, 1) + u;
    add_packet("udp-mcast", b, n);

    /* IPv4 ICMP echo request and reply, broadcast */
    memset(b, 0, sizeof b);
    n = eth(b, MAC_B, MAC_A, 0x0800);
    size_t ic = icmp(b + n + 20, 8, 0);
    n += ip4(b + n, 1, A4, B4, ic, 0, 0, 64) + ic;
    add_packet("icmp-echo", b, n < 60 ? 60 : n);
    memset(b, 0, sizeof b);
    n = eth(b, MAC_BCAST, MAC_B, 0x0800);
    ic = icmp(b + n + 20, 0, 0);
    n += ip4(b + n, 1, B4, 0xffffffff, ic, 0, 0, 64) + ic;
    add_packet("icmp-reply-bcast", b, n < 60 ? 60 : n);

    /* IPv6: TCP to 443, UDP via a hop-by-hop header, ICMPv6 to a multicast group */
    memset(b, 0, sizeof b);
    n = eth(b, MAC_B, MAC_A, 0x86dd);
    t = tcp(b + n + 40, 50000, 443, 0x02, "");
    n += ip6(b + n, 6, A6, L6, t) + t;
    add_packet("ip6-tcp", b, n);
    memset(b, 0, sizeof b);
    n = eth(b, MAC_B, MAC_A, 0x86dd);
    size_t h = n + 40;
    b[h] = 17; /* hop-by-hop: next header UDP, length 0 (8 bytes) */
    b[h + 2] = 1;
    b[h + 3] = 4;
    u = udp(b + h + 8, 546, 547, 12);
    n += ip6(b + n, 0, L6, A6, 8 + u) + 8 + u;
    add_packet("ip6-hbh-udp", b, n);
    memset(b, 0, sizeof b);
    n = eth(b, MAC_MCAST6, MAC_A, 0x86dd);
    ic = icmp(b + n + 40, 135, 0);
    n += ip6(b + n, 58, L6, M6, ic) + ic;
    add_packet("icmp6-ns", b, n);

    /* 802.1Q (VLAN 100, priority 5) with IPv4 UDP; QinQ (802.1ad 200, 802.1Q 300) with TCP */
    memset(b, 0, sizeof b);
    n = eth(b, MAC_B, MAC_A, 0x8100);
    put16(b + n, (5 << 13) | 100);
    put16(b + n + 2, 0x0800);
    n += 4;
    u = udp(b + n + 20, 1234, 53, 20);
    n += ip4(b + n, 17, A4, B4, u, 0, 0, 64) + u;
    add_packet("vlan100-udp", b, n);
    memset(b, 0, sizeof b);
    n = eth(b, MAC_B, MAC_A, 0x88a8);
    put16(b + n, 200);
    put16(b + n + 2, 0x8100);
    put16(b + n + 4, 300);
    put16(b + n + 6, 0x0800);
    n += 8;
    t = tcp(b + n + 20, 1000, 80, 0x10, "x");
    n += ip4(b + n, 6, C4, B4, t, 0, 0, 64) + t;
    add_packet("qinq-tcp", b, n);

    /* other ethertypes: the test one, MPLS, a runt of a header */
    memset(b, 0, sizeof b);
    n = eth(b, MAC_B, MAC_A, 0x88b5);
    memcpy(b + n, "pkT!", 4);
    add_packet("ethertype-88b5", b, 60);
    memset(b, 0, sizeof b);
    n = eth(b, MAC_B, MAC_A, 0x8847);
    put32(b + n, (16u << 12) | (1u << 8) | 64); /* label 16, bottom of stack */
    u = udp(b + n + 24, 1, 2, 4);
    ip4(b + n + 4, 17, A4, B4, u, 0, 0, 64);
    add_packet("mpls-ip", b, n + 4 + 20 + u);
    add_case("empty", b, 0, 0);
    add_case("empty-wire-1514", b, 0, 1514);
    add_case("caplen-over-wirelen", b, 60, 42);

    /* random bytes, and random bytes behind each ethertype the filters test */
    uint64_t s = 0x0ff1ce;
    static const uint16_t types[] = {0x0800, 0x86dd, 0x0806, 0x8100, 0x88a8, 0x8847};
    for (int i = 0; i < 24; i++) {
        size_t len = 14 + (size_t)(i * 37 % 200);
        for (size_t j = 0; j < len; j++) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            b[j] = (uint8_t)s;
        }
        if (i % 4 != 0)
            put16(b + 12, types[i % 6]);
        if (i % 4 == 1 && len > 15)
            b[14] = (uint8_t)(types[i % 6] == 0x0800 ? 0x45 : b[14]);
        char name[32];
        snprintf(name, sizeof name, "random%d", i);
        add_case(name, b, (uint32_t)len, (uint32_t)(len + (size_t)(i % 3) * 100));
    }
}

/* ---- running both ---- */

static uint32_t libpcap_run(const pkt_bpf_insn_t *prog, const pcase_t *c)
{
    return bpf_filter((const struct bpf_insn *)(const void *)prog, c->data, c->wirelen, c->caplen);
}

static uint32_t ours(const pkt_bpf_insn_t *prog, size_t len, const pcase_t *c)
{
    return pkt_offline_filter(prog, len, c->data, c->caplen, c->wirelen);
}

/* libpkt's validation (pkt_config_check checks a config's filter the same way). */
static bool pkt_valid(const pkt_bpf_insn_t *prog, size_t len)
{
    pkt_config_t cfg;
    pkt_config_default(&cfg);
    cfg.filter = prog;
    cfg.filter_len = (uint32_t)len;
    return len > 0 && pkt_config_check(&cfg);
}

static long g_compared, g_accepted;

/* A valid program: the same value as libpcap's interpreter on every packet. */
static void same_everywhere(const char *what, const pkt_bpf_insn_t *prog, size_t len)
{
    CHECKF(bpf_validate((const struct bpf_insn *)(const void *)prog, (int)len),
           "%s: libpkt accepts a program libpcap's bpf_validate refuses", what);
    for (int i = 0; i < g_npkts; i++) {
        uint32_t want = libpcap_run(prog, &g_pkts[i]);
        uint32_t got = ours(prog, len, &g_pkts[i]);
        CHECKF(got == want, "%s on %s (caplen %u, wirelen %u): pkt_offline_filter %u, libpcap %u",
               what, g_pkts[i].name, g_pkts[i].caplen, g_pkts[i].wirelen, got, want);
        g_compared++;
        g_accepted += want != 0;
    }
}

/* ---- compiled programs ---- */

static const char *const EXPRS[] = {
    "", "ip", "ip6", "arp", "rarp", "tcp", "udp", "icmp", "icmp6", "sctp", "not ip",
    "tcp port 80", "tcp dst port 80", "udp port 53", "port 53", "src port 5353", "dst port 22",
    "portrange 1000-2000", "tcp portrange 1-1023", "udp dst portrange 546-547",
    "host 10.0.0.1", "src host 10.0.0.1", "dst host 10.0.0.2", "net 10.0.0.0/8",
    "net 192.168.0.0 mask 255.255.0.0", "src net 172.16.0.0/12", "ip host 10.0.0.1 and tcp",
    "ip6 host fe80::1", "ip6 net 2001:db8::/32", "ip6 dst host ff02::1",
    "ether host 02:00:00:00:00:01", "ether src 02:00:00:00:00:01",
    "ether dst ff:ff:ff:ff:ff:ff", "ether broadcast", "ether multicast", "ip multicast",
    "ip6 multicast", "ether proto 0x88b5", "ip proto 17", "ip6 proto 6", "proto 1",
    "vlan", "vlan 100", "vlan and ip", "vlan 100 and udp port 53", "vlan 200 and vlan 300",
    "vlan and tcp port 80", "mpls", "mpls 16 and udp", "len > 100", "len < 64", "less 60",
    "greater 200", "ip[0] & 0xf > 5", "ip[2:2] > 100", "ip[6:2] & 0x1fff != 0", "ip[8] < 64",
    "tcp[tcpflags] & tcp-syn != 0", "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn",
    "tcp[13] = 2", "udp[4:2] > 20", "icmp[icmptype] == icmp-echo", "icmp[0] = 0",
    "ip6[6] = 17", "ether[12:2] = 0x0800", "ether[0] & 1 = 1",
    "arp and ether src 02:00:00:00:00:01", "not tcp and not udp", "tcp or udp",
    "(tcp or udp) and port 53", "ip and not (port 22 or port 23)",
    "tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420",
    "ip[2:2] - ((ip[0] & 0xf) << 2) > 40", "ip[0] * 3 / 2 % 7 = 3", "ip[1] ^ 0xff = 0xff",
    "ip[0] >> 4 = 4 and ip[0] << 1 > 130", "udp[8:4] = 0xabababab", "tcp[20:4] = 0x47455420",
    "ip6 protochain 17", "ip protochain 6", "inbound", "outbound", "ifindex 3",
    "ip and udp and udp[4:2] - 8 = 30", "geneve", "ether[6:4] = 0x02000000 or ether[0] = 0x33",
};

static pkt_bpf_insn_t *compile_ours(const char *expr, uint32_t snaplen, uint32_t flags,
                                    size_t *len)
{
    pkt_bpf_insn_t *p = NULL;
    int rc = pkt_compile(expr, PKT_DLT_EN10MB, snaplen, flags, &p, len);
    CHECKF(rc == 0, "pkt_compile(\"%s\", EN10MB, %u, flags %u): %d (%s)", expr, snaplen, flags,
           rc, pkt_errmsg());
    return p;
}

static void check_compiled(void)
{
    static const uint32_t snaps[] = {0, 96};
    long libpcap_invalid = 0;
    for (size_t e = 0; e < sizeof EXPRS / sizeof EXPRS[0]; e++) {
        const char *expr = EXPRS[e];
        for (size_t si = 0; si < 2; si++) {
            uint32_t snap = snaps[si];
            pcap_t *dead = pcap_open_dead(DLT_EN10MB, snap ? (int)snap : 262144);
            CHECK(dead != NULL);
            for (int opt = 0; opt <= 1; opt++) {
                char what[160];
                struct bpf_program fp;
                CHECKF(pcap_compile(dead, &fp, expr, opt, PCAP_NETMASK_UNKNOWN) == 0,
                       "pcap_compile(\"%s\"): %s", expr, pcap_geterr(dead));
                const pkt_bpf_insn_t *theirs = (const pkt_bpf_insn_t *)(const void *)fp.bf_insns;
                size_t n_theirs = fp.bf_len;
                size_t n_ours = 0, n_live = 0;
                uint32_t flags = opt ? PKT_COMPILE_OPTIMIZE : 0;
                pkt_bpf_insn_t *mine = compile_ours(expr, snap, flags, &n_ours);
                pkt_bpf_insn_t *live = compile_ours(expr, snap, flags | PKT_COMPILE_LIVE, &n_live);

                /* pkt_compile's program through both interpreters, offline and live form */
                snprintf(what, sizeof what, "pkt_compile(\"%s\", snap %u, opt %d)", expr, snap, opt);
                CHECKF(pkt_valid(mine, n_ours), "%s: invalid program (%s)", what, pkt_errmsg());
                same_everywhere(what, mine, n_ours);
                snprintf(what, sizeof what, "pkt_compile(\"%s\", snap %u, opt %d, live)", expr,
                         snap, opt);
                CHECKF(pkt_valid(live, n_live), "%s: invalid program (%s)", what, pkt_errmsg());
                same_everywhere(what, live, n_live);

                /* pcap_compile's program: run by both where libpkt accepts it, else refused */
                snprintf(what, sizeof what, "pcap_compile(\"%s\", snap %u, opt %d)", expr, snap, opt);
                if (pkt_valid(theirs, n_theirs)) {
                    same_everywhere(what, theirs, n_theirs);
                } else {
                    /* libpcap's protochain loops backward: no kernel or libpkt runs that */
                    CHECKF(strstr(expr, "protochain") != NULL,
                           "%s: refused by libpkt: %s", what, pkt_errmsg());
                    for (int i = 0; i < g_npkts; i++)
                        CHECK(ours(theirs, n_theirs, &g_pkts[i]) == 0);
                    libpcap_invalid++;
                }

                /* and the verdicts of the two compilers agree (the same programs, but for
                 * protochain, which pkt_compile unrolls) */
                for (int i = 0; i < g_npkts; i++) {
                    struct pcap_pkthdr hdr = {.caplen = g_pkts[i].caplen, .len = g_pkts[i].wirelen};
                    uint32_t want = (uint32_t)pcap_offline_filter(&fp, &hdr, g_pkts[i].data);
                    uint32_t got = ours(mine, n_ours, &g_pkts[i]);
                    CHECKF(got == want, "\"%s\" (snap %u, opt %d) on %s (caplen %u): "
                           "pkt_compile + pkt_offline_filter %u, pcap_compile + "
                           "pcap_offline_filter %u", expr, snap, opt, g_pkts[i].name,
                           g_pkts[i].caplen, got, want);
                }
                pkt_free_prog(mine);
                pkt_free_prog(live);
                pcap_freecode(&fp);
            }
            pcap_close(dead);
        }
    }
    note("%zu expressions: %ld comparisons over %d packets, %ld accepted; %ld libpcap programs "
         "refused (protochain)", sizeof EXPRS / sizeof EXPRS[0], g_compared, g_npkts, g_accepted,
         libpcap_invalid);
    CHECK(libpcap_invalid > 0);
}

/* ---- hand-written programs where the kernel's semantics and libpcap's differ ---- */

#define S(code, k)          BPF_STMT_(code, k)
#define J(code, k, jt, jf)  BPF_JUMP_(code, k, jt, jf)
#define LD_W   (BPF_LD | BPF_W | BPF_ABS)
#define LD_H   (BPF_LD | BPF_H | BPF_ABS)
#define LD_B   (BPF_LD | BPF_B | BPF_ABS)
#define LDI_B  (BPF_LD | BPF_B | BPF_IND)
#define LDI_W  (BPF_LD | BPF_W | BPF_IND)
#define RET_K  (BPF_RET | BPF_K)
#define RET_A  (BPF_RET | BPF_A)

static void check_semantics(void)
{
    const pkt_bpf_insn_t vlan_avail[] = {S(LD_B, SKF_AD_OFF_ + 48), J(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
                                         S(RET_K, 7), S(RET_K, 9)};
    const pkt_bpf_insn_t proto[] = {S(LD_H, SKF_AD_OFF_ + 0), S(RET_K, 1)};
    const pkt_bpf_insn_t pkttype[] = {S(LD_W, SKF_AD_OFF_ + 4), S(RET_A, 0)};
    const pkt_bpf_insn_t xor_x[] = {S(BPF_LDX | BPF_IMM, 3), S(LD_W, SKF_AD_OFF_ + 40), S(RET_A, 0)};
    const pkt_bpf_insn_t mark[] = {S(LD_W, SKF_AD_OFF_ + 20), S(RET_K, 1)};
    const pkt_bpf_insn_t ll[] = {S(LD_H, SKF_LL_OFF_ + 12), S(RET_A, 0)};
    const pkt_bpf_insn_t net[] = {S(LD_B, SKF_NET_OFF_ + 9), S(RET_A, 0)};
    const pkt_bpf_insn_t msh_ll[] = {S(BPF_LDX | BPF_MSH | BPF_B, SKF_LL_OFF_ + 14),
                                     S(BPF_MISC | BPF_TXA, 0), S(RET_A, 0)};
    const pkt_bpf_insn_t wrap[] = {S(BPF_LDX | BPF_IMM, 0xffffffffu), S(LDI_B, 13), S(RET_A, 0)};
    const pkt_bpf_insn_t wrap_w[] = {S(BPF_LDX | BPF_IMM, 0xfffffff0u), S(LDI_W, 0x1c), S(RET_A, 0)};
    const pkt_bpf_insn_t ind_ok[] = {S(BPF_LDX | BPF_IMM, 10), S(LDI_W, 2), S(RET_A, 0)};
    const pkt_bpf_insn_t lsh32[] = {S(BPF_LD | BPF_IMM, 1), S(BPF_LDX | BPF_IMM, 32),
                                    S(BPF_ALU | BPF_LSH | BPF_X, 0), S(RET_A, 0)};
    const pkt_bpf_insn_t rsh33[] = {S(BPF_LD | BPF_IMM, 0x80000000u), S(BPF_LDX | BPF_IMM, 33),
                                    S(BPF_ALU | BPF_RSH | BPF_X, 0), S(RET_A, 0)};
    const pkt_bpf_insn_t lsh31[] = {S(BPF_LD | BPF_IMM, 1), S(BPF_LDX | BPF_IMM, 31),
                                    S(BPF_ALU | BPF_LSH | BPF_X, 0), S(RET_A, 0)};
    const pkt_bpf_insn_t div0[] = {S(BPF_LD | BPF_IMM, 8), S(BPF_ALU | BPF_DIV | BPF_X, 0),
                                   S(RET_K, 1)};
    const pkt_bpf_insn_t mod0[] = {S(BPF_LD | BPF_IMM, 8), S(BPF_ALU | BPF_MOD | BPF_X, 0),
                                   S(RET_K, 1)};
    const pkt_bpf_insn_t neg[] = {S(BPF_LD | BPF_IMM, 5), S(BPF_ALU | BPF_NEG, 0), S(RET_A, 0)};
    const pkt_bpf_insn_t len_[] = {S(BPF_LD | BPF_W | BPF_LEN, 0), S(RET_A, 0)};
    const pkt_bpf_insn_t big[] = {S(RET_K, 0xffffffffu)};
    const pkt_bpf_insn_t mem[] = {S(BPF_LD | BPF_IMM, 77), S(BPF_ST, 15), S(BPF_LDX | BPF_MEM, 15),
                                  S(BPF_MISC | BPF_TXA, 0), S(RET_A, 0)};
    const struct {
        const char *name;
        const pkt_bpf_insn_t *p;
        size_t n;
    } progs[] = {
#define P(x) {#x, x, sizeof x / sizeof x[0]}
        P(vlan_avail), P(proto), P(pkttype), P(xor_x), P(mark), P(ll), P(net), P(msh_ll),
        P(wrap), P(wrap_w), P(ind_ok), P(lsh32), P(rsh33), P(lsh31), P(div0), P(mod0),
        P(neg), P(len_), P(big), P(mem),
#undef P
    };
    for (size_t i = 0; i < sizeof progs / sizeof progs[0]; i++) {
        CHECKF(pkt_valid(progs[i].p, progs[i].n), "%s: %s", progs[i].name, pkt_errmsg());
        same_everywhere(progs[i].name, progs[i].p, progs[i].n);
    }
    /* what libpcap gives there, spelled out: no metadata, no negative offsets */
    const pcase_t *arp = &g_pkts[0];
    CHECK(ours(vlan_avail, 4, arp) == 0 && ours(ll, 2, arp) == 0 && ours(wrap, 3, arp) == 0);
    CHECK(ours(lsh32, 4, arp) == 0 && ours(rsh33, 4, arp) == 0 && ours(lsh31, 4, arp) == 0x80000000u);
    CHECK(ours(len_, 2, &g_pkts[g_npkts - 1]) == g_pkts[g_npkts - 1].wirelen);
    CHECK(ours(big, 1, arp) == 0xffffffffu); /* not capped at caplen */
    CHECK(ours(ind_ok, 3, arp) == 0x08060001u); /* bytes 12-15: ARP, hardware type 1 */
}

/* ---- random programs ---- */

static uint64_t g_rng = 0x5eedf00d;

static uint64_t rnd(void)
{
    g_rng ^= g_rng >> 12;
    g_rng ^= g_rng << 25;
    g_rng ^= g_rng >> 27;
    return g_rng * 0x2545f4914f6cdd1dull;
}

static uint32_t below(uint32_t n)
{
    return (uint32_t)(rnd() % n);
}

static const uint16_t OPCODES[] = {
    BPF_LD | BPF_W | BPF_ABS, BPF_LD | BPF_H | BPF_ABS, BPF_LD | BPF_B | BPF_ABS,
    BPF_LD | BPF_W | BPF_IND, BPF_LD | BPF_H | BPF_IND, BPF_LD | BPF_B | BPF_IND,
    BPF_LD | BPF_W | BPF_LEN, BPF_LD | BPF_IMM, BPF_LD | BPF_MEM, BPF_LDX | BPF_W | BPF_LEN,
    BPF_LDX | BPF_B | BPF_MSH, BPF_LDX | BPF_IMM, BPF_LDX | BPF_MEM, BPF_ST, BPF_STX,
    BPF_ALU | BPF_ADD | BPF_K, BPF_ALU | BPF_ADD | BPF_X, BPF_ALU | BPF_SUB | BPF_K,
    BPF_ALU | BPF_SUB | BPF_X, BPF_ALU | BPF_MUL | BPF_K, BPF_ALU | BPF_MUL | BPF_X,
    BPF_ALU | BPF_DIV | BPF_K, BPF_ALU | BPF_DIV | BPF_X, BPF_ALU | BPF_MOD | BPF_K,
    BPF_ALU | BPF_MOD | BPF_X, BPF_ALU | BPF_AND | BPF_K, BPF_ALU | BPF_AND | BPF_X,
    BPF_ALU | BPF_OR | BPF_K, BPF_ALU | BPF_OR | BPF_X, BPF_ALU | BPF_XOR | BPF_K,
    BPF_ALU | BPF_XOR | BPF_X, BPF_ALU | BPF_LSH | BPF_K, BPF_ALU | BPF_LSH | BPF_X,
    BPF_ALU | BPF_RSH | BPF_K, BPF_ALU | BPF_RSH | BPF_X, BPF_ALU | BPF_NEG,
    BPF_JMP | BPF_JA, BPF_JMP | BPF_JEQ | BPF_K, BPF_JMP | BPF_JEQ | BPF_X,
    BPF_JMP | BPF_JGT | BPF_K, BPF_JMP | BPF_JGT | BPF_X, BPF_JMP | BPF_JGE | BPF_K,
    BPF_JMP | BPF_JGE | BPF_X, BPF_JMP | BPF_JSET | BPF_K, BPF_JMP | BPF_JSET | BPF_X,
    BPF_RET | BPF_K, BPF_RET | BPF_A, BPF_MISC | BPF_TAX, BPF_MISC | BPF_TXA,
};
#define NOPCODES (sizeof OPCODES / sizeof OPCODES[0])
_Static_assert(NOPCODES == 49, "the kernel's 49 classic opcodes");

/* A jump offset from pc: nearly always inside a program of len instructions (the target
 * pc + 1 + offset must be below len), sometimes past its end. */
static uint32_t random_offset(size_t len, size_t pc)
{
    uint32_t in_range = (uint32_t)(len - pc - 1);
    if (in_range > 256)
        in_range = 256;
    if (in_range > 0 && below(100) < 97)
        return below(in_range);
    return below(256);
}

static uint32_t random_k(uint16_t code, size_t len, size_t pc)
{
    static const uint32_t special[] = {0, 1, 12, 14, 23, 31, 32, 33, 0xffffffffu, 0x80000000u,
                                       SKF_AD_OFF_, SKF_AD_OFF_ + 48, SKF_NET_OFF_ + 9,
                                       SKF_LL_OFF_ + 12, 0xfffffff0u};
    if (below(10) == 0)
        return special[below(sizeof special / sizeof special[0])];
    switch (code) {
    case BPF_LD | BPF_MEM:
    case BPF_LDX | BPF_MEM:
    case BPF_ST:
    case BPF_STX:
        return below(17);
    case BPF_JMP | BPF_JA:
        return random_offset(len, pc);
    case BPF_ALU | BPF_LSH | BPF_K:
    case BPF_ALU | BPF_RSH | BPF_K:
        return below(34);
    case BPF_LD | BPF_W | BPF_ABS:
    case BPF_LD | BPF_H | BPF_ABS:
    case BPF_LD | BPF_B | BPF_ABS:
        return below(8) == 0 ? SKF_AD_OFF_ + 4 * below(17) : below(80);
    case BPF_LD | BPF_IMM:
    case BPF_LDX | BPF_IMM:
        return below(4) == 0 ? (uint32_t)rnd() : below(80);
    default:
        return below(80);
    }
}

static size_t random_program(pkt_bpf_insn_t *prog, size_t max)
{
    size_t len = 1 + below((uint32_t)max);
    for (size_t pc = 0; pc < len; pc++) {
        uint16_t code = below(100) < 3 ? (uint16_t)rnd() : OPCODES[below(NOPCODES)];
        prog[pc].code = code;
        prog[pc].jt = (uint8_t)random_offset(len, pc);
        prog[pc].jf = (uint8_t)random_offset(len, pc);
        prog[pc].k = random_k(code, len, pc);
    }
    if (below(10) != 0)
        prog[len - 1] = S(below(2) ? RET_A : RET_K, 0x40000);
    return len;
}

static void check_random(void)
{
    enum { ROUNDS = 20000, MAXLEN = 48 };
    pkt_bpf_insn_t prog[MAXLEN];
    long valid = 0, refused = 0, refused_pcap_ok = 0, accepted_before = g_accepted;
    for (int r = 0; r < ROUNDS; r++) {
        size_t len = random_program(prog, MAXLEN);
        char what[64];
        snprintf(what, sizeof what, "random program %d (%zu insns)", r, len);
        if (pkt_valid(prog, len)) {
            same_everywhere(what, prog, len);
            valid++;
            continue;
        }
        /* refused: 0 on every packet, with -EINVAL; libpcap's interpreter is not run on it
         * (it aborts on opcodes its bpf_validate lets through) */
        refused++;
        refused_pcap_ok += bpf_validate((const struct bpf_insn *)(const void *)prog, (int)len);
        for (int i = 0; i < g_npkts; i += 7) {
            CHECKF(ours(prog, len, &g_pkts[i]) == 0, "%s accepted %s though invalid", what,
                   g_pkts[i].name);
            CHECK(pkt_errno() == -EINVAL);
        }
    }
    long accepted = g_accepted - accepted_before;
    note("random programs: %ld valid (same results as libpcap; %ld accepting runs), %ld refused "
         "(0 everywhere), %ld of those accepted by libpcap's bpf_validate", valid, accepted,
         refused, refused_pcap_ok);
    CHECKF(valid > ROUNDS / 5, "only %ld valid random programs", valid);
    CHECKF(accepted > 50000, "only %ld accepting runs of random programs", accepted);
    CHECKF(refused > ROUNDS / 10, "only %ld refused random programs", refused);
}

/* ---- arguments ---- */

static void check_arguments(void)
{
    const pkt_bpf_insn_t accept[] = {S(RET_K, 262144)};
    const pkt_bpf_insn_t noret[] = {S(BPF_LD | BPF_IMM, 1)};
    const pkt_bpf_insn_t back[] = {S(BPF_LD | BPF_IMM, 1), S(BPF_JMP | BPF_JA, 0xffffffffu), S(RET_K, 1)};
    const pcase_t *c = &g_pkts[0];

    /* the program's value, uncapped: as pcap_offline_filter */
    CHECK(ours(accept, 1, c) == 262144);
    CHECK(libpcap_run(accept, c) == 262144);

    CHECK(pkt_offline_filter(NULL, 1, c->data, c->caplen, c->wirelen) == 0);
    CHECK_RC(pkt_errno(), -EINVAL);
    CHECK(pkt_offline_filter(accept, 0, c->data, c->caplen, c->wirelen) == 0);
    CHECK_RC(pkt_errno(), -EINVAL);
    CHECKF(strstr(pkt_errmsg(), "empty program") != NULL, "%s", pkt_errmsg());
    CHECK(pkt_offline_filter(NULL, 0, c->data, c->caplen, c->wirelen) == 0);
    CHECK(pkt_offline_filter(accept, 1, NULL, 60, 60) == 0);
    CHECK_RC(pkt_errno(), -EINVAL);
    CHECK(pkt_offline_filter(noret, 1, c->data, c->caplen, c->wirelen) == 0);
    CHECKF(strstr(pkt_errmsg(), "ret") != NULL, "%s", pkt_errmsg());
    CHECK(pkt_offline_filter(back, 3, c->data, c->caplen, c->wirelen) == 0);
    CHECKF(strstr(pkt_errmsg(), "jump out of range") != NULL, "%s", pkt_errmsg());
    /* a valid program leaves the last message alone, whatever it returns */
    char before[256];
    snprintf(before, sizeof before, "%s", pkt_errmsg());
    const pkt_bpf_insn_t reject[] = {S(RET_K, 0)};
    CHECK(ours(reject, 1, c) == 0);
    CHECK(ours(accept, 1, c) == 262144);
    CHECK(strcmp(before, pkt_errmsg()) == 0);

    /* no bytes: the program runs on none; ld len is the wire length */
    const pkt_bpf_insn_t len_[] = {S(BPF_LD | BPF_W | BPF_LEN, 0), S(RET_A, 0)};
    const pkt_bpf_insn_t ld0[] = {S(LD_B, 0), S(RET_K, 5)};
    CHECK(pkt_offline_filter(len_, 2, NULL, 0, 1514) == 1514);
    CHECK(pkt_offline_filter(ld0, 2, NULL, 0, 1514) == 0);
    CHECK(pkt_offline_filter(ld0, 2, c->data, 1, 1514) == 5);

    /* long programs: beyond the kernel's 4096 instructions, up to 65536 (scratch memory read
     * at the end, so the validation needs its state); 65537 is too long */
    size_t n = 65537;
    pkt_bpf_insn_t *p = calloc(n, sizeof *p);
    CHECK(p != NULL);
    for (size_t i = 0; i < n; i++)
        p[i] = S(BPF_ST, 2);
    for (size_t len = 4096; len <= 65536; len *= 4) {
        p[len - 2] = S(BPF_LD | BPF_MEM, 2);
        p[len - 1] = S(RET_K, 99);
        CHECKF(ours(p, len, c) == 99, "%zu instructions: %s", len, pkt_errmsg());
        CHECK(libpcap_run(p, c) == 99);
        p[len - 2] = p[len - 1] = S(BPF_ST, 2);
    }
    p[65535] = S(RET_K, 99);
    CHECK(ours(p, 65536, c) == 99);
    p[65536] = S(RET_K, 99);
    CHECK(ours(p, 65537, c) == 0);
    CHECKF(strstr(pkt_errmsg(), "too long") != NULL, "%s", pkt_errmsg());
    free(p);
}

int main(void)
{
    test_init("test_offline_filter", 100);
    build_packets();
    note("%d packets", g_npkts);
    check_arguments();
    check_semantics();
    check_compiled();
    check_random();
    return test_pass();
}

#endif /* PKT_NO_LIBPCAP */
