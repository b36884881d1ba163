/* A user-space filter (a program the kernel refuses for its size) gives the batch readers
 * exactly what it gives pkt_read: four handles on v0 with the same 4,107-instruction program
 * see the same traffic from v1 (test and other ethertypes, 802.1Q-tagged frames whose tag the
 * kernel takes out and the library puts back); the program accepts the test ethertype, judged
 * on the frame as the kernel left it (tag out), and cuts tagged frames to 60 bytes (its
 * verdict) before the tag goes back in. pkt_read (the slow path), pkt_read_batch (max 8),
 * pkt_dispatch and pkt_read_slim (max 5), which run the filter inside their block walk, return
 * the same frames, bytes and lengths. The same with a program that also loads SKF_AD_RXHASH
 * (which the walk does not supply: the batch readers take the slow path). Nil reads: with
 * max_nil_read 5, 30 rejected frames then an accepted one give pkt_read_batch nil reads (0)
 * and then that frame, never a rejected one. V3 (block) rings. */
#include "common.h"

#define PAD 4100
#define NFRAMES 90
#define SKF_AD_OFF_ 0xfffff000u
#define OP_LD_W_ABS 0x20

/* PAD no-ops (the first optionally an rxhash load), then:
 *   ldh [12]; jeq #TEST, 0, 4; ld vlan_tag_present; jeq #1, 0, 1; ret #60; ret #262144; ret #0 */
static pkt_bpf_insn_t *program(bool rxhash, size_t *len)
{
    size_t n = PAD + 7;
    pkt_bpf_insn_t *p = calloc(n, sizeof *p);
    CHECK(p != NULL);
    for (size_t i = 0; i < PAD; i++)
        p[i] = BPF_STMT_(OP_LD_IMM, 0);
    if (rxhash)
        p[0] = BPF_STMT_(OP_LD_W_ABS, SKF_AD_OFF_ + 32);
    size_t i = PAD;
    p[i++] = BPF_STMT_(OP_LDH_ABS, 12);
    p[i++] = BPF_JUMP_(OP_JEQ_K, TEST_ETHERTYPE, 0, 4);
    p[i++] = BPF_STMT_(OP_LD_W_ABS, SKF_AD_OFF_ + 48);
    p[i++] = BPF_JUMP_(OP_JEQ_K, 1, 0, 1);
    p[i++] = BPF_STMT_(OP_RET_K, 60);
    p[i++] = BPF_STMT_(OP_RET_K, 262144);
    p[i++] = BPF_STMT_(OP_RET_K, 0);
    *len = n;
    return p;
}

typedef struct got {
    uint8_t data[NFRAMES][1600];
    uint32_t caplen[NFRAMES], len[NFRAMES];
    int n;
} got_t;

static got_t *g_dispatch;

static void keep(got_t *g, const uint8_t *d, uint32_t caplen, uint32_t len, const char *how)
{
    CHECKF(g->n < NFRAMES, "%s: more frames than sent", how);
    CHECKF(caplen <= 1600, "%s: caplen %u", how, caplen);
    memcpy(g->data[g->n], d, caplen);
    g->caplen[g->n] = caplen;
    g->len[g->n] = len;
    g->n++;
}

static void on_packet(void *u, const uint8_t *d, const pkt_info_t *info)
{
    (void)u;
    keep(g_dispatch, d, info->caplen, info->len, "pkt_dispatch");
}

enum how { BY_READ, BY_BATCH, BY_DISPATCH, BY_SLIM };
static const char *const HOW[] = {"pkt_read", "pkt_read_batch", "pkt_dispatch", "pkt_read_slim"};

/* Reads until `want` frames arrived or 5 s passed. */
static void collect(pkt_t *h, enum how how, got_t *g, int want)
{
    g->n = 0;
    int64_t deadline = mono_ms() + 5000;
    while (g->n < want) {
        CHECKF(mono_ms() < deadline, "%s: %d of %d frames within 5 s", HOW[how], g->n, want);
        int rc;
        if (how == BY_READ) {
            const uint8_t *d;
            pkt_info_t info;
            rc = pkt_read(h, 1, &d, &info);
            if (rc > 0)
                keep(g, d, info.caplen, info.len, HOW[how]);
        } else if (how == BY_BATCH) {
            pkt_packet_t b[8];
            rc = pkt_read_batch(h, 1, b, 8);
            for (int i = 0; i < rc; i++)
                keep(g, b[i].data, b[i].info.caplen, b[i].info.len, HOW[how]);
        } else if (how == BY_DISPATCH) {
            g_dispatch = g;
            rc = pkt_dispatch(h, -1, on_packet, NULL);
        } else {
            pkt_slim_t s[5];
            rc = pkt_read_slim(h, 1, s, 5);
            for (int i = 0; i < rc; i++)
                keep(g, s[i].data, s[i].caplen, s[i].len, HOW[how]);
        }
        CHECKF(rc >= 0 || rc == -ETIMEDOUT, "%s returned %d (%s)", HOW[how], rc, pkt_strerror(rc));
    }
}

static void run(bool rxhash)
{
    const char *what = rxhash ? "with an rxhash load" : "walkable";
    size_t plen;
    pkt_bpf_insn_t *prog = program(rxhash, &plen);
    pkt_config_t c = test_config();
    pkt_t *h[4];
    for (int i = 0; i < 4; i++) {
        h[i] = open_ok("v0", &c);
        CHECK_RC(pkt_setfilter(h[i], prog, plen), 0);
    }
    raw_tx_t tx = raw_tx_open("v1");
    uint8_t v0mac[6];
    mac_of("v0", v0mac);
    int want = 0, tagged = 0;
    for (uint32_t i = 0; i < NFRAMES; i++) {
        uint8_t f[1600], t[1604];
        size_t len = 100 + (i * 13) % 200;
        uint16_t type = (i % 3 == 1) ? OTHER_ETHERTYPE : TEST_ETHERTYPE;
        frame_build(f, len, v0mac, tx.mac, type, 5000 + i);
        want += type == TEST_ETHERTYPE;
        if (i % 4 == 2) {
            memcpy(t, f, 12);
            t[12] = 0x81;
            t[13] = 0x00;
            t[14] = 0x20;
            t[15] = (uint8_t)i;
            memcpy(t + 16, f + 12, len - 12);
            raw_tx_send(&tx, t, len + 4);
            tagged += type == TEST_ETHERTYPE;
        } else {
            raw_tx_send(&tx, f, len);
        }
    }
    raw_tx_close(&tx);
    got_t *g[4];
    for (int k = 0; k < 4; k++) {
        g[k] = calloc(1, sizeof *g[k]);
        CHECK(g[k] != NULL);
        collect(h[k], (enum how)k, g[k], want);
    }
    /* the reference: what pkt_read returned */
    int cut = 0;
    for (int i = 0; i < g[0]->n; i++) {
        CHECKF(frame_seq(g[0]->data[i], g[0]->caplen[i], g[0]->caplen[i] == 64 ? 18 : 14) >= 0 ||
                   g[0]->caplen[i] == 64,
               "%s: pkt_read frame %d is not a test frame", what, i);
        cut += g[0]->caplen[i] == 64;
    }
    CHECKF(cut == tagged, "%s: %d frames cut to the verdict (60 + the tag), %d tagged sent", what,
           cut, tagged);
    for (int k = 1; k < 4; k++) {
        CHECKF(g[k]->n == g[0]->n, "%s: %s returned %d frames, pkt_read %d", what, HOW[k],
               g[k]->n, g[0]->n);
        for (int i = 0; i < g[0]->n; i++) {
            CHECKF(g[k]->caplen[i] == g[0]->caplen[i] && g[k]->len[i] == g[0]->len[i],
                   "%s: frame %d: %s caplen %u len %u, pkt_read caplen %u len %u", what, i,
                   HOW[k], g[k]->caplen[i], g[k]->len[i], g[0]->caplen[i], g[0]->len[i]);
            CHECK_BYTES(g[k]->data[i], g[k]->caplen[i], g[0]->data[i], g[0]->caplen[i]);
        }
    }
    /* nothing more: the rejected frames never come */
    for (int k = 0; k < 4; k++) {
        pkt_packet_t b[4];
        int rc = pkt_read_batch(h[k], 0, b, 4);
        CHECKF(rc == -EAGAIN || rc == 0, "%s: %s: after the traffic pkt_read_batch returned %d",
               what, HOW[k], rc);
        free(g[k]);
        CHECK_RC(pkt_close(h[k]), 0);
    }
    note("%s: %d frames (%d cut by the verdict) equal on the four read paths", what, want, cut);
    free(prog);
}

static void nil_reads(void)
{
    size_t plen;
    pkt_bpf_insn_t *prog = program(false, &plen);
    pkt_config_t c = test_config();
    c.max_nil_read = 5;
    pkt_t *h = open_ok("v0", &c);
    CHECK_RC(pkt_setfilter(h, prog, plen), 0);
    raw_tx_t tx = raw_tx_open("v1");
    uint8_t v0mac[6];
    mac_of("v0", v0mac);
    for (uint32_t i = 0; i < 30; i++)
        raw_tx_send_seq(&tx, v0mac, OTHER_ETHERTYPE, 100 + i, 120);
    raw_tx_send_seq(&tx, v0mac, TEST_ETHERTYPE, 999, 120);
    raw_tx_close(&tx);
    int nils = 0, got = 0;
    int64_t deadline = mono_ms() + 5000;
    while (!got) {
        CHECKF(mono_ms() < deadline, "nil reads: the accepted frame never came (%d nil reads)", nils);
        pkt_packet_t b[16];
        int rc = pkt_read_batch(h, 1, b, 16);
        if (rc == -ETIMEDOUT)
            continue;
        CHECKF(rc >= 0, "nil reads: pkt_read_batch returned %d (%s)", rc, pkt_strerror(rc));
        if (rc == 0) {
            nils++;
            continue;
        }
        CHECKF(rc == 1 && frame_seq(b[0].data, b[0].info.caplen, 14) == 999,
               "nil reads: %d frames, first seq %lld", rc,
               (long long)frame_seq(b[0].data, b[0].info.caplen, 14));
        got = 1;
    }
    /* 30 rejected, at most 5 per nil read: 6 nil reads, unless the ring handed the frames over
     * in several blocks (a nil read never spans blocks' worth of more than 5). */
    CHECKF(nils >= 6, "nil reads: %d nil reads for 30 rejected frames with max_nil_read 5", nils);
    note("nil reads: %d before the accepted frame", nils);
    CHECK_RC(pkt_close(h), 0);
    free(prog);
}

int main(void)
{
    test_init("test_filter_user_batch", 60);
    run(false);
    run(true);
    nil_reads();
    return test_pass();
}
