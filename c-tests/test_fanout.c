/* Fanout: two handles on v0 in one PKT_FANOUT_HASH group get 50 IPv4/UDP flows of 20 packets
 * sent from v1 so that every flow lands on exactly one member (the reverse direction too), both
 * members get some flows, and together they get everything exactly once; PKT_FANOUT_LB splits
 * 100 frames evenly (counts differ by at most 1); a member with another mode, flags or interface
 * gives -EINVAL and stays out of the group; a second join gives -EALREADY;
 * PKT_FANOUT_FLAG_UNIQUEID with group 0 picks an unused id that pkt_fanout_group() returns and a
 * second handle can join; bad arguments give -EINVAL, pkt_fanout_group() on a handle in no group
 * -ENOENT. Block ring (TPACKET_V3) and immediate mode (TPACKET_V2). */
#include "common.h"

#include <pthread.h>

#define FLOWS 50
#define PER_FLOW 20
#define NFWD (FLOWS * PER_FLOW)
#define REV_FLOWS 10
#define PER_REV 5
#define REV_BASE 100000
#define NREV (REV_FLOWS * PER_REV)
#define UDP_PAYLOAD_OFF 42 /* Ethernet 14 + IPv4 20 + UDP 8 */
#define MAXGOT (NFWD + NREV + 8)

static const char *g_mode;

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* An Ethernet/IPv4/UDP frame of len bytes (>= 50) from src_ip:sport to dst_ip:dport, its payload
 * the marker and seq; IPv4 checksum set, UDP checksum 0 (none). */
static void udp_build(uint8_t *f, size_t len, const uint8_t dst[6], const uint8_t src[6],
                      uint32_t src_ip, uint32_t dst_ip, uint16_t sport, uint16_t dport, uint32_t seq)
{
    CHECK(len >= UDP_PAYLOAD_OFF + MARKER_LEN + 4 && len <= 1514);
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    put16(f + 12, PKT_PROTO_IP);
    uint8_t *ip = f + 14;
    ip[0] = 0x45;
    ip[1] = 0;
    put16(ip + 2, (uint16_t)(len - 14));
    put16(ip + 4, (uint16_t)seq);
    put16(ip + 6, 0x4000); /* DF: never a fragment */
    ip[8] = 64;
    ip[9] = 17;
    put16(ip + 10, 0);
    for (int i = 0; i < 4; i++) {
        ip[12 + i] = (uint8_t)(src_ip >> (24 - 8 * i));
        ip[16 + i] = (uint8_t)(dst_ip >> (24 - 8 * i));
    }
    uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2)
        sum += (uint32_t)((ip[i] << 8) | ip[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    put16(ip + 10, (uint16_t)~sum);
    uint8_t *udp = ip + 20;
    put16(udp, sport);
    put16(udp + 2, dport);
    put16(udp + 4, (uint16_t)(len - 34));
    put16(udp + 6, 0);
    uint8_t *p = f + UDP_PAYLOAD_OFF;
    memcpy(p, MARKER, MARKER_LEN);
    p[4] = (uint8_t)(seq >> 24);
    p[5] = (uint8_t)(seq >> 16);
    p[6] = (uint8_t)(seq >> 8);
    p[7] = (uint8_t)seq;
    for (size_t i = UDP_PAYLOAD_OFF + 8; i < len; i++)
        f[i] = (uint8_t)(seq * 11u + i);
}

static bool udp_pred(const uint8_t *data, const pkt_info_t *info, void *arg)
{
    (void)arg;
    return info->caplen >= UDP_PAYLOAD_OFF + 8 && data[12] == 0x08 && data[13] == 0x00 &&
           frame_seq(data, info->caplen, UDP_PAYLOAD_OFF) >= 0;
}

static bool eth_pred(const uint8_t *data, const pkt_info_t *info, void *arg)
{
    (void)arg;
    return is_test_frame(data, info->caplen, false) &&
           frame_seq(data, info->caplen, ETH_HDR_LEN) >= 0;
}

typedef struct member {
    pkt_t *h;
    frame_pred pred;
    int idle_ms;
    rx_frame_t *got;
    int n;
} member_t;

static void *member_main(void *arg)
{
    member_t *m = arg;
    m->n = collect_matching(m->h, m->pred, NULL, m->idle_ms, m->got, MAXGOT);
    return NULL;
}

/* Starts a reader thread per member, runs send(arg), waits for both readers to go idle. */
static void read_both(member_t m[2], void (*send)(void *), void *arg)
{
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        CHECK(pthread_create(&t[i], NULL, member_main, &m[i]) == 0);
    send(arg);
    for (int i = 0; i < 2; i++)
        CHECK(pthread_join(t[i], NULL) == 0);
    for (int i = 0; i < 2; i++) {
        pkt_stats_t st;
        CHECK_RC(pkt_stats(m[i].h, true, &st), 0);
        CHECKF(st.drops == 0, "%s: member %d dropped %llu packets", g_mode, i,
               (unsigned long long)st.drops);
    }
}

static member_t member(pkt_t *h, frame_pred pred)
{
    member_t m = {h, pred, 1000, calloc(MAXGOT + 1, sizeof(rx_frame_t)), 0};
    CHECK(m.got != NULL);
    return m;
}

typedef struct hash_traffic {
    raw_tx_t fwd; /* on v1 */
    raw_tx_t rev; /* on v0 */
} hash_traffic_t;

#define IP_A 0xc0000201u /* 192.0.2.1, on the v1 side */
#define IP_B 0xc0000202u /* 192.0.2.2, on the v0 side */

static size_t fwd_len(uint32_t seq)
{
    return 60 + (seq * 37u) % 240u;
}

static void send_hash(void *arg)
{
    hash_traffic_t *t = arg;
    uint8_t f[400];
    /* packets of the flows interleaved; MAC_OTHER: no stack on either side reacts to them */
    for (uint32_t k = 0; k < PER_FLOW; k++)
        for (uint32_t fl = 0; fl < FLOWS; fl++) {
            uint32_t seq = fl * PER_FLOW + k;
            udp_build(f, fwd_len(seq), MAC_OTHER, t->fwd.mac, IP_A, IP_B,
                      (uint16_t)(20000 + fl), 7777, seq);
            raw_tx_send(&t->fwd, f, fwd_len(seq));
        }
    /* the reverse direction of the first flows, sent out of v0 (the members see it outgoing) */
    for (uint32_t k = 0; k < PER_REV; k++)
        for (uint32_t fl = 0; fl < REV_FLOWS; fl++) {
            uint32_t seq = REV_BASE + fl * PER_REV + k;
            udp_build(f, 90, MAC_OTHER, t->rev.mac, IP_B, IP_A, 7777, (uint16_t)(20000 + fl),
                      seq);
            raw_tx_send(&t->rev, f, 90);
        }
}

static void hash(bool immediate, uint16_t group)
{
    pkt_config_t c = test_config();
    /* a V2 ring holds one packet per 64 KiB slot: room for the larger member's share (some 600
     * of the 1050 packets) even if its reader thread falls behind the sender */
    c.buffer_size = immediate ? 80 * 1024 * 1024 : 8 * 1024 * 1024;
    config_mode(&c, immediate);
    pkt_t *h[2] = {open_ok("v0", &c), open_ok("v0", &c)};
    for (int i = 0; i < 2; i++) {
        CHECK_RC(pkt_fanout_group(h[i]), -ENOENT);
        CHECK_RC(pkt_set_fanout(h[i], PKT_FANOUT_HASH, group, 0), 0);
        CHECK_RC(pkt_fanout_group(h[i]), group);
    }
    member_t m[2] = {member(h[0], udp_pred), member(h[1], udp_pred)};
    hash_traffic_t t = {raw_tx_open("v1"), raw_tx_open("v0")};
    read_both(m, send_hash, &t);

    static int fwd_owner[NFWD], rev_owner[NREV];
    int flow_owner[FLOWS];
    for (int i = 0; i < NFWD; i++)
        fwd_owner[i] = -1;
    for (int i = 0; i < NREV; i++)
        rev_owner[i] = -1;
    for (int i = 0; i < FLOWS; i++)
        flow_owner[i] = -1;
    uint8_t f[400];
    for (int mi = 0; mi < 2; mi++)
        for (int i = 0; i < m[mi].n; i++) {
            const rx_frame_t *r = &m[mi].got[i];
            int64_t seq = frame_seq(r->data, r->info.caplen, UDP_PAYLOAD_OFF);
            if (seq >= REV_BASE && seq < REV_BASE + NREV) {
                int s = (int)(seq - REV_BASE);
                CHECKF(rev_owner[s] < 0, "%s: reverse packet %d arrived twice (members %d, %d)",
                       g_mode, s, rev_owner[s], mi);
                rev_owner[s] = mi;
                CHECKF(r->info.pkttype == PT_OUTGOING, "%s: reverse packet pkttype %u", g_mode,
                       r->info.pkttype);
                udp_build(f, 90, MAC_OTHER, t.rev.mac, IP_B, IP_A, 7777,
                          (uint16_t)(20000 + s / PER_REV), (uint32_t)seq);
                CHECK_BYTES(r->data, r->info.caplen, f, 90);
                continue;
            }
            CHECKF(seq >= 0 && seq < NFWD, "%s: member %d got a packet with seq %lld", g_mode, mi,
                   (long long)seq);
            CHECKF(fwd_owner[seq] < 0, "%s: packet %lld arrived twice (members %d and %d)",
                   g_mode, (long long)seq, fwd_owner[seq], mi);
            fwd_owner[seq] = mi;
            udp_build(f, fwd_len((uint32_t)seq), MAC_OTHER, t.fwd.mac, IP_A, IP_B,
                      (uint16_t)(20000 + seq / PER_FLOW), 7777, (uint32_t)seq);
            CHECK_BYTES(r->data, r->info.caplen, f, fwd_len((uint32_t)seq));
            CHECKF(r->info.pkttype == PT_OTHERHOST && r->info.protocol == PKT_PROTO_IP,
                   "%s: pkttype %u protocol 0x%04x", g_mode, r->info.pkttype, r->info.protocol);
        }
    int flows_of[2] = {0, 0};
    for (int fl = 0; fl < FLOWS; fl++) {
        for (int k = 0; k < PER_FLOW; k++) {
            int s = fl * PER_FLOW + k;
            CHECKF(fwd_owner[s] >= 0, "%s: packet %d of flow %d reached no member (%d + %d of "
                   "%d arrived)", g_mode, k, fl, m[0].n, m[1].n, NFWD + NREV);
            if (flow_owner[fl] < 0)
                flow_owner[fl] = fwd_owner[s];
            CHECKF(fwd_owner[s] == flow_owner[fl], "%s: flow %d (source port %d) is split: "
                   "packet %d on member %d, an earlier one on member %d", g_mode, fl, 20000 + fl,
                   k, fwd_owner[s], flow_owner[fl]);
        }
        flows_of[flow_owner[fl]]++;
    }
    for (int s = 0; s < NREV; s++) {
        int fl = s / PER_REV;
        CHECKF(rev_owner[s] >= 0, "%s: reverse packet %d of flow %d reached no member", g_mode,
               s % PER_REV, fl);
        CHECKF(rev_owner[s] == flow_owner[fl], "%s: the reverse direction of flow %d went to "
               "member %d, the forward direction to member %d (PKT_FANOUT_HASH: both directions "
               "of a flow reach the same member)", g_mode, fl, rev_owner[s], flow_owner[fl]);
    }
    CHECKF(flows_of[0] > 0 && flows_of[1] > 0, "%s: all %d flows on one member (%d / %d)", g_mode,
           FLOWS, flows_of[0], flows_of[1]);
    CHECKF(m[0].n + m[1].n == NFWD + NREV, "%s: %d + %d packets, %d sent", g_mode, m[0].n, m[1].n,
           NFWD + NREV);
    note("%s: HASH: flows %d / %d, packets %d / %d", g_mode, flows_of[0], flows_of[1], m[0].n,
         m[1].n);
    for (int i = 0; i < 2; i++) {
        free(m[i].got);
        CHECK_RC(pkt_close(h[i]), 0);
    }
    raw_tx_close(&t.fwd);
    raw_tx_close(&t.rev);
}

typedef struct lb_traffic {
    raw_tx_t tx;
    int count;
    uint32_t first;
} lb_traffic_t;

static void send_lb(void *arg)
{
    lb_traffic_t *t = arg;
    for (int i = 0; i < t->count; i++)
        raw_tx_send_seq(&t->tx, MAC_OTHER, TEST_ETHERTYPE, t->first + (uint32_t)i,
                        60 + (size_t)(i % 7) * 100);
}

/* Sends count frames from v1 while both members read: each frame exactly once, counts differ by
 * at most one. */
static void check_lb(pkt_t *h0, pkt_t *h1, int count, uint32_t first, const char *what)
{
    member_t m[2] = {member(h0, eth_pred), member(h1, eth_pred)};
    lb_traffic_t t = {raw_tx_open("v1"), count, first};
    read_both(m, send_lb, &t);
    bool *seen = calloc((size_t)count, sizeof *seen);
    CHECK(seen != NULL);
    for (int mi = 0; mi < 2; mi++)
        for (int i = 0; i < m[mi].n; i++) {
            int64_t s = frame_seq(m[mi].got[i].data, m[mi].got[i].info.caplen, ETH_HDR_LEN) -
                        first;
            CHECKF(s >= 0 && s < count, "%s: %s: member %d got seq %lld", g_mode, what, mi,
                   (long long)(s + first));
            CHECKF(!seen[s], "%s: %s: frame %lld arrived twice", g_mode, what, (long long)s);
            seen[s] = true;
            CHECK(m[mi].got[i].info.caplen == 60 + (size_t)(s % 7) * 100);
        }
    CHECKF(m[0].n + m[1].n == count, "%s: %s: %d + %d frames of %d arrived", g_mode, what, m[0].n,
           m[1].n, count);
    CHECKF(abs(m[0].n - m[1].n) <= 1, "%s: %s: round robin split %d frames %d / %d", g_mode,
           what, count, m[0].n, m[1].n);
    note("%s: %s: %d / %d", g_mode, what, m[0].n, m[1].n);
    free(seen);
    raw_tx_close(&t.tx);
    free(m[0].got);
    free(m[1].got);
}

static void lb(bool immediate, uint16_t group)
{
    pkt_config_t c = test_config();
    config_mode(&c, immediate);
    pkt_t *h0 = open_ok("v0", &c), *h1 = open_ok("v0", &c);
    CHECK_RC(pkt_set_fanout(h0, PKT_FANOUT_LB, group, 0), 0);
    CHECK_RC(pkt_set_fanout(h1, PKT_FANOUT_LB, group, 0), 0);
    check_lb(h0, h1, 100, 0, "LB");
    CHECK_RC(pkt_close(h0), 0);
    CHECK_RC(pkt_close(h1), 0);
}

static void membership(bool immediate, uint16_t group)
{
    pkt_config_t c = test_config();
    config_mode(&c, immediate);
    pkt_t *a = open_ok("v0", &c), *b = open_ok("v0", &c), *other = open_ok("v1", &c);

    /* arguments */
    CHECK_RC(pkt_set_fanout(NULL, PKT_FANOUT_HASH, group, 0), -EINVAL);
    CHECK_RC(pkt_fanout_group(NULL), -EINVAL);
    CHECK_RC(pkt_fanout_group(a), -ENOENT);
    CHECK_RC(pkt_set_fanout(a, 9, group, 0), -EINVAL);
    CHECK(pkt_errmsg()[0] != '\0');
    CHECK_RC(pkt_set_fanout(a, 255, group, 0), -EINVAL);
    CHECK_RC(pkt_set_fanout(a, PKT_FANOUT_HASH, group, 0x0100), -EINVAL);
    CHECK_RC(pkt_set_fanout(a, PKT_FANOUT_HASH, group, PKT_FANOUT_FLAG_UNIQUEID), -EINVAL);
    CHECK_RC(pkt_set_fanout(a, PKT_FANOUT_LB, 1, PKT_FANOUT_FLAG_UNIQUEID), -EINVAL);
    CHECK_RC(pkt_fanout_group(a), -ENOENT);

    /* a group, and members that do not match it */
    CHECK_RC(pkt_set_fanout(a, PKT_FANOUT_HASH, group, 0), 0);
    CHECK_RC(pkt_fanout_group(a), group);
    CHECK_RC(pkt_set_fanout(b, PKT_FANOUT_LB, group, 0), -EINVAL);
    CHECK(pkt_errmsg()[0] != '\0');
    CHECK_RC(pkt_fanout_group(b), -ENOENT);
    CHECK_RC(pkt_set_fanout(b, PKT_FANOUT_HASH, group, PKT_FANOUT_FLAG_DEFRAG), -EINVAL);
    CHECK_RC(pkt_set_fanout(b, PKT_FANOUT_HASH, group, PKT_FANOUT_FLAG_ROLLOVER), -EINVAL);
    CHECK_RC(pkt_fanout_group(b), -ENOENT);
    CHECK_RC(pkt_set_fanout(other, PKT_FANOUT_HASH, group, 0), -EINVAL); /* bound to v1 */
    CHECK_RC(pkt_fanout_group(other), -ENOENT);
    /* a failed join leaves the handle free: it joins the group with the right mode */
    CHECK_RC(pkt_set_fanout(b, PKT_FANOUT_HASH, group, 0), 0);
    CHECK_RC(pkt_fanout_group(b), group);
    /* a second join, same group or another */
    CHECK_RC(pkt_set_fanout(b, PKT_FANOUT_HASH, group, 0), -EALREADY);
    CHECK_RC(pkt_set_fanout(a, PKT_FANOUT_LB, (uint16_t)(group + 1), 0), -EALREADY);
    CHECK_RC(pkt_fanout_group(a), group);
    CHECK_RC(pkt_fanout_group(b), group);
    CHECK_RC(pkt_close(a), 0);
    CHECK_RC(pkt_close(b), 0);

    /* the kernel picks the id */
    a = open_ok("v0", &c);
    b = open_ok("v0", &c);
    pkt_t *d = open_ok("v0", &c);
    CHECK_RC(pkt_set_fanout(a, PKT_FANOUT_LB, 0, PKT_FANOUT_FLAG_UNIQUEID), 0);
    int id = pkt_fanout_group(a);
    CHECKF(id >= 0 && id <= 65535, "%s: pkt_fanout_group after UNIQUEID returned %d (%s)", g_mode,
           id, pkt_strerror(id));
    CHECK_RC(pkt_set_fanout(d, PKT_FANOUT_LB, 0, PKT_FANOUT_FLAG_UNIQUEID), 0);
    int id2 = pkt_fanout_group(d);
    CHECKF(id2 >= 0 && id2 != id, "%s: two UNIQUEID groups got ids %d and %d", g_mode, id, id2);
    CHECK_RC(pkt_set_fanout(b, PKT_FANOUT_LB, (uint16_t)id, 0), 0);
    CHECK_RC(pkt_fanout_group(b), id);
    note("%s: UNIQUEID groups %d and %d", g_mode, id, id2);
    /* and it really is one group: round robin over a and b */
    check_lb(a, b, 20, 500, "UNIQUEID group");
    CHECK_RC(pkt_close(a), 0);
    CHECK_RC(pkt_close(b), 0);
    CHECK_RC(pkt_close(d), 0);
    CHECK_RC(pkt_fanout_group(other), -ENOENT);
    CHECK_RC(pkt_close(other), 0);
}

static void run(bool immediate, uint16_t group)
{
    g_mode = immediate ? "immediate (V2)" : "block (V3)";
    watchdog_arm(40);
    membership(immediate, group);
    hash(immediate, (uint16_t)(group + 10));
    lb(immediate, (uint16_t)(group + 20));
}

int main(void)
{
    test_init("test_fanout", 40);
    run(false, 0x1200);
    run(true, 0x3400);
    return test_pass();
}
