/* pkt_setfilter on a savefile handle gives libpcap's filtered list. A file of varied frames
 * (ARP; IPv4 TCP, UDP, ICMP, fragments; IPv6; 802.1Q-tagged; broadcast, multicast; short and
 * long), written with libpkt's writer as pcap and as pcapng; for each of some 30 expressions,
 * libpcap (the oracle, linked by this test only) compiles it for the file's link type and
 * pcap_offline_filter selects packets read with pcap_next_ex; libpkt reads the file with that
 * same program set by pkt_setfilter (or given in cfg->filter at open), and with pkt_compile's
 * program for the expression: the same packets, in the same order. A program with an ancillary
 * load rejects every packet, as in libpcap's interpreter. */
#include "common.h"

#include <pcap/pcap.h>

#define MAXP 400

static uint8_t frames[MAXP][1600];
static size_t lens[MAXP];
static int nframes;

static size_t put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
    return 2;
}

/* Ethernet header (optionally tagged), then an IPv4 header of protocol `proto`, then `rest`
 * bytes of a transport header and payload starting with sport, dport. */
static void ip4(const uint8_t dst[6], int vlan, uint8_t proto, uint32_t src, uint32_t dstip,
                uint16_t sport, uint16_t dport, uint8_t tcpflags, uint16_t frag, size_t total)
{
    uint8_t *f = frames[nframes];
    memset(f, 0, sizeof frames[0]);
    memcpy(f, dst, 6);
    memcpy(f + 6, MAC_SRC_TEST, 6);
    size_t o = 12;
    if (vlan >= 0) {
        o += put16(f + o, 0x8100);
        o += put16(f + o, (uint16_t)vlan);
    }
    o += put16(f + o, 0x0800);
    uint8_t *ip = f + o;
    ip[0] = 0x45;
    put16(ip + 2, (uint16_t)(total - o));
    put16(ip + 6, frag);
    ip[8] = (uint8_t)(32 + nframes % 64);
    ip[9] = proto;
    for (int i = 0; i < 4; i++) {
        ip[12 + i] = (uint8_t)(src >> (24 - 8 * i));
        ip[16 + i] = (uint8_t)(dstip >> (24 - 8 * i));
    }
    uint8_t *l4 = ip + 20;
    put16(l4, sport);
    put16(l4 + 2, dport);
    if (proto == 6)
        l4[13] = tcpflags;
    if (proto == 1)
        l4[0] = 8; /* echo request */
    lens[nframes++] = total;
}

static void other(const uint8_t dst[6], uint16_t type, size_t total)
{
    uint8_t *f = frames[nframes];
    memset(f, 0, sizeof frames[0]);
    frame_build(f, total, dst, MAC_SRC_TEST, type, (uint32_t)nframes);
    if (type == 0x86dd) {
        f[14] = 0x60;
        f[14 + 6] = 17; /* next header: UDP */
        put16(f + 14 + 40 + 2, 53);
    }
    lens[nframes++] = total;
}

static void make_frames(void)
{
    uint8_t v0mac[6] = {2, 0, 0, 0, 0, 1};
    for (int i = 0; i < 8; i++) {
        uint32_t a = 0x0a000001u + (uint32_t)i, b = 0x0a000100u + (uint32_t)(i * 3);
        ip4(v0mac, -1, 17, a, b, (uint16_t)(1000 + i), i % 2 ? 53 : 5353, 0, 0, 60 + (size_t)i * 50);
        ip4(v0mac, -1, 6, b, a, 443, (uint16_t)(40000 + i), i % 3 ? 0x10 : 0x02, 0, 74 + (size_t)i * 180);
        ip4(MAC_BROADCAST, -1, 1, a, 0xffffffffu, 0, 0, 0, 0, 98);
        ip4(v0mac, i % 2 ? 100 : 200, 17, a, b, 1005, 80, 0, 0, 200 + (size_t)i);
        ip4(v0mac, -1, 17, a, b, 7, 9, 0, (uint16_t)(i % 2 ? 0x2000 : 0x0010), 1514);
        other(MAC_BROADCAST, 0x0806, 60);
        other(MAC_MULTICAST, 0x86dd, 110 + (size_t)i);
        other(v0mac, TEST_ETHERTYPE, 64 + (size_t)i * 7);
        other(MAC_OTHER, OTHER_ETHERTYPE, 14 + (size_t)i);
    }
}

static void write_file(const char *path, uint32_t flags)
{
    pkt_dumper_t *d = NULL;
    CHECK_RC(pkt_dump_open(path, PKT_DLT_EN10MB, 0, flags, &d), 0);
    for (int i = 0; i < nframes; i++) {
        pkt_info_t in = {.sec = 1700000000 + i, .caplen = (uint32_t)lens[i],
                         .len = (uint32_t)lens[i] + (i % 4 == 0 ? 100 : 0), .ifindex = 1 + i % 2};
        CHECK_RC(pkt_dump_write(d, frames[i], &in), 0);
    }
    CHECK_RC(pkt_dump_close(d), 0);
}

/* Which packets (by position) a list holds: one bit each. */
typedef struct sel {
    int n;
    int idx[MAXP];
    uint32_t caplen[MAXP];
} sel_t;

static int position(const uint8_t *data, uint32_t caplen)
{
    for (int i = 0; i < nframes; i++)
        if (lens[i] == caplen && memcmp(frames[i], data, caplen) == 0)
            return i;
    return -1;
}

static void oracle(const char *path, const struct bpf_program *prog, sel_t *out)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(path, err);
    CHECKF(p != NULL, "pcap_open_offline: %s", err);
    out->n = 0;
    struct pcap_pkthdr *h;
    const u_char *d;
    int i = 0;
    while (pcap_next_ex(p, &h, &d) == 1) {
        if (pcap_offline_filter(prog, h, d) != 0) {
            out->idx[out->n] = i;
            out->caplen[out->n++] = h->caplen;
        }
        i++;
    }
    CHECK(i == nframes);
    pcap_close(p);
}

static void libpkt(pkt_t *h, sel_t *out)
{
    out->n = 0;
    for (int guard = 0; guard < 100 * MAXP; guard++) {
        const uint8_t *d;
        pkt_info_t info;
        int rc = pkt_read(h, 1, &d, &info);
        if (rc == -ENODATA)
            break;
        CHECKF(rc >= 0, "pkt_read: %d %s", rc, pkt_errmsg());
        if (d == NULL)
            continue; /* a nil read: max_nil_read rejected packets in a row */
        int at = position(d, info.caplen);
        CHECKF(at >= 0, "a packet of %u bytes that is not in the file", info.caplen);
        out->idx[out->n] = at;
        out->caplen[out->n++] = info.caplen;
    }
}

static void same(const char *what, const sel_t *a, const sel_t *b)
{
    CHECKF(a->n == b->n, "%s: libpcap selects %d packets, libpkt %d", what, a->n, b->n);
    for (int i = 0; i < a->n; i++)
        CHECKF(a->idx[i] == b->idx[i] && a->caplen[i] == b->caplen[i],
               "%s: selection %d: libpcap packet %d, libpkt %d", what, i, a->idx[i], b->idx[i]);
}

static const char *const EXPRS[] = {
    "tcp", "udp", "icmp", "arp", "ip", "ip6", "not ip", "vlan", "vlan 100", "vlan and udp port 80",
    "udp port 53", "tcp src port 443", "port 5353 or port 80", "portrange 1000-1003",
    "host 10.0.0.3", "src net 10.0.1.0/28", "dst host 255.255.255.255", "ether broadcast",
    "ether multicast", "ether proto 0x88b5", "len > 300", "less 80", "greater 1000",
    "ip[8] > 60", "tcp[tcpflags] & tcp-syn != 0", "ip[6:2] & 0x1fff != 0", "icmp or arp",
    "udp and not port 53", "ip6 and udp", "ether src 02:00:00:00:00:01 or ether dst 02:00:00:00:00:01",
};

int main(void)
{
    test_init("test_offline_filter", 60);
    make_frames();
    const char *files[2] = {tmp_path("f.pcap"), tmp_path("f.pcapng")};
    write_file(files[0], 0);
    write_file(files[1], PKT_DUMP_PCAPNG | PKT_DUMP_NANO);
    pcap_t *dead = pcap_open_dead(DLT_EN10MB, 262144);
    CHECK(dead != NULL);
    static sel_t want, got;
    int selected = 0;
    for (size_t e = 0; e < sizeof EXPRS / sizeof EXPRS[0]; e++) {
        struct bpf_program prog;
        CHECKF(pcap_compile(dead, &prog, EXPRS[e], 1, PCAP_NETMASK_UNKNOWN) == 0,
               "pcap_compile(%s): %s", EXPRS[e], pcap_geterr(dead));
        /* struct bpf_insn and pkt_bpf_insn_t have the same layout (that of sock_filter). */
        const pkt_bpf_insn_t *insns = (const pkt_bpf_insn_t *)(const void *)prog.bf_insns;
        pkt_bpf_insn_t *mine = NULL;
        size_t mine_len = 0;
        CHECKF(pkt_compile(EXPRS[e], PKT_DLT_EN10MB, 262144, PKT_COMPILE_OPTIMIZE, &mine, &mine_len) == 0,
               "pkt_compile(%s): %s", EXPRS[e], pkt_errmsg());
        for (int f = 0; f < 2; f++) {
            char what[160];
            oracle(files[f], &prog, &want);
            selected += want.n;
            /* libpcap's program through pkt_setfilter */
            pkt_t *h = NULL;
            CHECK_RC(pkt_open_offline(files[f], NULL, &h), 0);
            CHECK_RC(pkt_setfilter(h, insns, prog.bf_len), 0);
            libpkt(h, &got);
            snprintf(what, sizeof what, "%s, %s, pkt_setfilter", EXPRS[e], files[f]);
            same(what, &want, &got);
            CHECK_RC(pkt_close(h), 0);
            /* the same program given at open, with few nil reads allowed */
            pkt_config_t c;
            pkt_config_default(&c);
            c.filter = insns;
            c.filter_len = prog.bf_len;
            c.max_nil_read = 3;
            CHECK_RC(pkt_open_offline(files[f], &c, &h), 0);
            libpkt(h, &got);
            snprintf(what, sizeof what, "%s, %s, cfg->filter", EXPRS[e], files[f]);
            same(what, &want, &got);
            CHECK_RC(pkt_close(h), 0);
            /* pkt_compile's program */
            CHECK_RC(pkt_open_offline(files[f], NULL, &h), 0);
            CHECK_RC(pkt_setfilter(h, mine, mine_len), 0);
            libpkt(h, &got);
            snprintf(what, sizeof what, "%s, %s, pkt_compile", EXPRS[e], files[f]);
            same(what, &want, &got);
            CHECK_RC(pkt_close(h), 0);
        }
        pkt_free_prog(mine);
        pcap_freecode(&prog);
    }
    pcap_close(dead);
    CHECKF(selected > 200, "the expressions selected only %d packets in all", selected);

    /* An ancillary load (SKF_AD_PROTOCOL) rejects every packet, as in libpcap; a filter can be
     * replaced and removed. */
    pkt_bpf_insn_t anc[2] = {BPF_STMT_(0x20, 0xfffff000u), BPF_STMT_(OP_RET_K, 0xffff)};
    pkt_t *h = NULL;
    pkt_config_t c;
    pkt_config_default(&c);
    c.max_nil_read = 10;
    CHECK_RC(pkt_open_offline(files[0], &c, &h), 0);
    CHECK_RC(pkt_setfilter(h, anc, 2), 0);
    const uint8_t *d;
    pkt_info_t info;
    int nil = 0;
    int rc;
    while ((rc = pkt_read(h, 1, &d, &info)) == 0 && d == NULL && nil < 100)
        nil++;
    /* Every 10 rejected packets a nil read; then the end. */
    CHECKF(rc == -ENODATA && nil == nframes / 10, "ancillary: %d after %d nil reads", rc, nil);
    CHECK_RC(pkt_close(h), 0);
    pkt_bpf_insn_t bad[1] = {BPF_STMT_(OP_LD_IMM, 0)};
    CHECK_RC(pkt_open_offline(files[0], NULL, &h), 0);
    CHECK_RC(pkt_setfilter(h, bad, 1), -EINVAL);
    CHECK_RC(pkt_setfilter(h, anc, 2), 0);
    CHECK_RC(pkt_setfilter(h, NULL, 0), 0);
    libpkt(h, &got);
    CHECK(got.n == nframes);
    CHECK_RC(pkt_close(h), 0);
    note("%zu expressions: libpcap's and pkt_compile's programs select the same %d packets",
         sizeof EXPRS / sizeof EXPRS[0], selected);
    return test_pass();
}
