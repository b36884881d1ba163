/* snaplen: the kernel copies at most snaplen bytes of each packet into the ring (enforced through
 * the filter's return value) and len still gives the length on the wire. 1000-byte frames with
 * snaplen 64: caplen 64, len 1000, the bytes are the frame's first 64. The same with a user filter
 * returning #1000 (clamped in the kernel), with one returning A (the whole length: trimmed by the
 * library), for a VLAN-tagged frame whose tag is put back (trimmed after the tag: still 64, len
 * 1004), and with snaplen 0 (whole frames). V3 and V2, pkt_read and pkt_read_batch. And the
 * kernel copies only snaplen bytes: a flood that overflows the ring with whole frames fits with 64. */
#include "common.h"

#define FRAME_LEN 1000
#define SNAP      64

enum prog { P_NONE, P_RET_K, P_RET_A };

/* Reads the next test frame with pkt_read or pkt_read_batch. */
static void next_frame(pkt_t *h, bool batch, const uint8_t **d, pkt_info_t *info)
{
    if (!batch) {
        CHECK_OK(read_test_frame(h, 3000, false, d, info));
        return;
    }
    pkt_packet_t p[4];
    int64_t deadline = mono_ms() + 3000;
    for (;;) {
        CHECKF(mono_ms() < deadline, "no test frame within 3 s");
        int rc = pkt_read_batch(h, 1, p, 4);
        if (rc == -ETIMEDOUT)
            continue;
        CHECK(rc > 0);
        if (is_test_frame(p[0].data, p[0].info.caplen, false)) {
            CHECK(rc == 1);
            *d = p[0].data;
            *info = p[0].info;
            return;
        }
    }
}

static void run(bool immediate, bool batch, enum prog prog, uint32_t snaplen)
{
    char mode[96];
    snprintf(mode, sizeof mode, "%s %s, filter %s, snaplen %u", immediate ? "V2" : "V3",
             batch ? "pkt_read_batch" : "pkt_read",
             prog == P_NONE ? "none" : prog == P_RET_K ? "ret #1000" : "ret a", snaplen);
    note("%s", mode);
    pkt_config_t c = test_config();
    config_mode(&c, immediate);
    CHECK(c.snaplen == 0); /* the default */
    c.snaplen = snaplen;
    pkt_bpf_insn_t p[4];
    if (prog == P_RET_K) {
        filter_ethertype(p, TEST_ETHERTYPE, 1000);
    } else if (prog == P_RET_A) {
        p[0] = BPF_STMT_(0x80, 0);  /* ld #len */
        p[1] = BPF_STMT_(0x16, 0);  /* ret a */
    }
    if (prog != P_NONE) {
        c.filter = p;
        c.filter_len = prog == P_RET_K ? 4 : 2;
    }
    pkt_t *h = open_ok("v0", &c);
    pkt_config_t eff;
    CHECK_OK(pkt_get_config(h, &eff));
    CHECK(eff.snaplen == snaplen);

    raw_tx_t tx = raw_tx_open("v1");
    uint8_t v0mac[6];
    mac_of("v0", v0mac);
    uint8_t f[FRAME_LEN], tagged[FRAME_LEN + 4];
    frame_build(f, sizeof f, v0mac, tx.mac, TEST_ETHERTYPE, 1);
    raw_tx_send(&tx, f, sizeof f);
    const uint8_t *d;
    pkt_info_t info;
    next_frame(h, batch, &d, &info);
    uint32_t want = snaplen ? SNAP : FRAME_LEN;
    CHECKF(info.caplen == want, "%s: caplen %u, want %u", mode, info.caplen, want);
    CHECKF(info.len == FRAME_LEN, "%s: len %u", mode, info.len);
    CHECK_BYTES(d, info.caplen, f, want);

    /* a tagged frame: the tag goes back in, then the snap length applies */
    memcpy(tagged, f, 12);
    tagged[12] = 0x81, tagged[13] = 0x00, tagged[14] = 0x00, tagged[15] = 0x64;
    memcpy(tagged + 16, f + 12, sizeof f - 12);
    if (prog != P_RET_K) { /* the kernel's filter sees the untagged frame: ethertype 0x88b5 */
        raw_tx_send(&tx, tagged, sizeof tagged);
        next_frame(h, batch, &d, &info);
        want = snaplen ? SNAP : sizeof tagged;
        CHECKF(info.caplen == want, "%s, tagged: caplen %u, want %u", mode, info.caplen, want);
        CHECKF(info.len == sizeof tagged, "%s, tagged: len %u", mode, info.len);
        CHECK_BYTES(d, info.caplen, tagged, want);
    }
    raw_tx_close(&tx);
    CHECK_RC(pkt_close(h), 0);
}

/* The kernel itself copies no more than snaplen: 1500 frames of 1000 bytes (1.5 MB) sent without
 * reading into a 512 KiB ring whose blocks never retire early: with snaplen 64 every one fits
 * (about 160 bytes each with headers), with whole frames the ring overflows. */
static uint64_t drops_after_flood(bool immediate, uint32_t snaplen)
{
    pkt_config_t c = test_config();
    c.immediate = immediate; /* V2: frames sized for snaplen rather than 64 KiB */
    c.buffer_size = 512 * 1024;
    c.block_timeout_ms = 0;
    c.snaplen = snaplen;
    pkt_t *h = open_ok("v0", &c);
    raw_tx_t tx = raw_tx_open("v1");
    uint8_t v0mac[6];
    mac_of("v0", v0mac);
    uint8_t f[FRAME_LEN];
    for (uint32_t i = 0; i < 1500; i++) {
        frame_build(f, sizeof f, v0mac, tx.mac, TEST_ETHERTYPE, i);
        raw_tx_send(&tx, f, sizeof f);
    }
    pkt_stats_t st = wait_recvs(h, 1500, 5000);
    note("%s, snaplen %u: recvs %llu drops %llu", immediate ? "V2" : "V3", snaplen,
         (unsigned long long)st.recvs,
         (unsigned long long)st.drops);
    raw_tx_close(&tx);
    CHECK_RC(pkt_close(h), 0);
    return st.drops;
}

int main(void)
{
    test_init("test_snaplen", 90);
    for (int m = 0; m < 4; m++) {
        bool v2 = m & 1, batch = m & 2;
        run(v2, batch, P_NONE, SNAP);
        run(v2, batch, P_RET_K, SNAP);
        run(v2, batch, P_RET_A, SNAP);
        run(v2, batch, P_NONE, 0);
    }
    for (int v2 = 0; v2 < 2; v2++) {
        CHECKF(drops_after_flood(v2, SNAP) == 0, "%s, snaplen %d: the kernel dropped packets",
               v2 ? "V2" : "V3", SNAP);
        CHECKF(drops_after_flood(v2, 0) > 0, "%s, whole 1000-byte frames: 1.5 MB fit 512 KiB?",
               v2 ? "V2" : "V3");
    }
    return test_pass();
}
