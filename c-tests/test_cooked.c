/* Cooked mode on v0: the data starts after the link-layer header (the Ethernet payload), caplen
 * and len are the frame length minus 14, and the metadata still tells the ethertype. */
#include "common.h"

static void run(bool immediate)
{
    const char *mode = immediate ? "V2" : "V3";
    pkt_config_t c = test_config();
    c.cooked = true;
    config_mode(&c, immediate);
    pkt_t *h = open_ok("v0", &c);
    pkt_config_t eff;
    CHECK_RC(pkt_get_config(h, &eff), 0);
    CHECK(eff.cooked);
    raw_tx_t tx = raw_tx_open("v1");
    uint8_t v0mac[6];
    mac_of("v0", v0mac);
    int v0 = ifindex_of("v0");

    const size_t sizes[] = {60, 100, 1000, 1514, 22};
    static uint8_t sent[5][1514];
    for (size_t i = 0; i < 5; i++) {
        frame_build(sent[i], sizes[i], (i % 2) ? MAC_BROADCAST : v0mac, tx.mac, TEST_ETHERTYPE,
                    (uint32_t)i);
        raw_tx_send(&tx, sent[i], sizes[i]);
    }
    rx_frame_t *got = calloc(6, sizeof *got);
    CHECK(got != NULL);
    int n = collect_frames(h, true, 700, got, 5);
    CHECKF(n == 5, "%s: %d of 5 frames", mode, n);
    for (size_t i = 0; i < 5; i++) {
        const pkt_info_t *in = &got[i].info;
        CHECKF(in->caplen == sizes[i] - 14 && in->len == sizes[i] - 14,
               "%s: cooked %zu-byte frame: caplen %u len %u, expected %zu", mode, sizes[i],
               in->caplen, in->len, sizes[i] - 14);
        CHECK_BYTES(got[i].data, in->caplen, sent[i] + 14, sizes[i] - 14);
        CHECKF(in->protocol == TEST_ETHERTYPE, "%s: protocol 0x%04x", mode, in->protocol);
        CHECK(in->ifindex == v0);
        CHECK(in->pkttype == ((i % 2) ? PT_BROADCAST : PT_HOST));
    }
    free(got);

    /* filters see the packet as the socket does: offset 0 is the network header, so a
     * program reading our marker at offset 0 matches */
    pkt_bpf_insn_t marker_only[4] = {
        BPF_STMT_(0x20 /* ld [k] */, 0),
        BPF_JUMP_(OP_JEQ_K, ((uint32_t)'p' << 24) | ((uint32_t)'k' << 16) | ((uint32_t)'T' << 8) | '!', 0, 1),
        BPF_STMT_(OP_RET_K, 262144),
        BPF_STMT_(OP_RET_K, 0),
    };
    CHECK_OK(pkt_setfilter(h, marker_only, 4));
    uint8_t plain[100];
    frame_build(plain, sizeof plain, v0mac, tx.mac, TEST_ETHERTYPE, 50);
    memset(plain + 14, 0, 4); /* no marker */
    raw_tx_send(&tx, plain, sizeof plain);
    raw_tx_send_seq(&tx, v0mac, TEST_ETHERTYPE, 51, 100);
    /* nothing else is sent in this namespace, so the first frame read must be seq 51 */
    const uint8_t *d = NULL;
    pkt_info_t info;
    int rc;
    int64_t deadline = mono_ms() + 3000;
    do {
        rc = pkt_read(h, 1, &d, &info);
    } while ((rc == -ETIMEDOUT || rc == 0) && mono_ms() < deadline);
    CHECK_OK(rc);
    CHECKF(info.caplen == 86 && frame_seq(d, info.caplen, 0) == 51,
           "%s: the filter on the cooked packet let through a frame of caplen %u, seq %lld", mode,
           info.caplen, (long long)frame_seq(d, info.caplen, 0));
    rc = pkt_read(h, 1, &d, &info);
    CHECKF(rc == -ETIMEDOUT, "%s: second read returned %d (%s), expected a timeout", mode, rc,
           pkt_strerror(rc));
    CHECK_RC(pkt_close(h), 0);
    raw_tx_close(&tx);
}

int main(void)
{
    test_init("test_cooked", 40);
    run(false);
    run(true);
    return test_pass();
}
