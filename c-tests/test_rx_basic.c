/* Receive: frames of many sizes sent from v1 arrive on v0 whole, in order, byte-identical, with
 * correct metadata (lengths, ifindex, protocol, link type, packet type, timestamps), in the
 * default block ring (TPACKET_V3) and in immediate mode (TPACKET_V2). */
#include "common.h"

static const size_t SIZES[] = {60, 22, 33, 61, 64, 100, 128, 255, 256, 511, 512, 1000,
                               1023, 1024, 1499, 1500, 1513, 1514, 60, 1514, 75};
#define NSIZES (sizeof SIZES / sizeof SIZES[0])
#define ROUNDS 3
#define NFRAMES (NSIZES * ROUNDS)

static void run(bool immediate)
{
    const char *mode = immediate ? "immediate (V2)" : "block (V3)";
    pkt_config_t c = test_config();
    config_mode(&c, immediate);
    pkt_t *h = open_ok("v0", &c);
    CHECK(pkt_linktype(h) == PKT_LINKTYPE_ETHERNET);

    raw_tx_t tx = raw_tx_open("v1");
    uint8_t v0mac[6];
    mac_of("v0", v0mac);
    const uint8_t *dsts[4] = {v0mac, MAC_BROADCAST, MAC_MULTICAST, MAC_OTHER};
    const uint8_t pkttypes[4] = {PT_HOST, PT_BROADCAST, PT_MULTICAST, PT_OTHERHOST};
    static uint8_t sent[NFRAMES][1514];

    int64_t before = real_ns();
    for (size_t i = 0; i < NFRAMES; i++) {
        size_t len = SIZES[i % NSIZES];
        frame_build(sent[i], len, dsts[i % 4], tx.mac, TEST_ETHERTYPE, (uint32_t)i);
        raw_tx_send(&tx, sent[i], len);
    }

    rx_frame_t *got = calloc(NFRAMES + 1, sizeof *got);
    CHECK(got != NULL);
    int n = collect_frames(h, false, 700, got, NFRAMES);
    int64_t after = real_ns();
    CHECKF(n == (int)NFRAMES, "%s: %d of %zu frames arrived", mode, n, (size_t)NFRAMES);

    int v0 = ifindex_of("v0");
    for (size_t i = 0; i < NFRAMES; i++) {
        const pkt_info_t *in = &got[i].info;
        size_t len = SIZES[i % NSIZES];
        int64_t seq = frame_seq(got[i].data, in->caplen, ETH_HDR_LEN);
        CHECKF(seq == (int64_t)i, "%s: frame %zu has seq %lld (order)", mode, i, (long long)seq);
        CHECKF(in->caplen == len && in->len == len, "%s: frame %zu: caplen %u len %u, sent %zu",
               mode, i, in->caplen, in->len, len);
        CHECK_BYTES(got[i].data, in->caplen, sent[i], len);
        CHECKF(in->ifindex == v0, "%s: ifindex %d, v0 is %d", mode, in->ifindex, v0);
        CHECKF(in->protocol == TEST_ETHERTYPE, "%s: protocol 0x%04x", mode, in->protocol);
        CHECKF(in->linktype == PKT_LINKTYPE_ETHERNET, "%s: linktype %u", mode, in->linktype);
        CHECKF(in->pkttype == pkttypes[i % 4], "%s: frame %zu to dst kind %zu: pkttype %u, expected %u",
               mode, i, i % 4, in->pkttype, pkttypes[i % 4]);
        CHECKF(in->nsec < 1000000000u, "%s: nsec %u", mode, in->nsec);
        int64_t ts = in->sec * 1000000000 + in->nsec;
        CHECKF(ts >= before && ts <= after,
               "%s: frame %zu timestamp %lld.%09u outside [send start %lld ns, read end %lld ns]",
               mode, i, (long long)in->sec, in->nsec, (long long)before, (long long)after);
        CHECKF(pkt_tstamp_valid(in->status) == 0, "%s: status 0x%x: pkt_tstamp_valid %d, "
               "expected 0 (software timestamp)", mode, in->status, pkt_tstamp_valid(in->status));
        CHECKF(!pkt_vlan_valid(in->status), "%s: untagged frame with status 0x%x", mode,
               in->status);
    }
    free(got);

    /* nothing else is pending */
    const uint8_t *d;
    pkt_info_t info;
    CHECK_RC(read_test_frame(h, 400, false, &d, &info), -ETIMEDOUT);
    raw_tx_close(&tx);
    CHECK_RC(pkt_close(h), 0);
    note("%s: %zu frames checked", mode, (size_t)NFRAMES);
}

int main(void)
{
    test_init("test_rx_basic", 40);
    run(false);
    run(true);
    return test_pass();
}
