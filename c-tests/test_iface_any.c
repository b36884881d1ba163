/* pkt_open("any") captures on all interfaces, as NULL and "" do (libpcap's name): cooked mode
 * forced on, pkt_linktype PKT_LINKTYPE_NONE, pkt_dlt PKT_DLT_LINUX_SLL2, no sending; a bounded
 * burst sent from v1 (seen leaving v1 and arriving on v0) and from d0 (a dummy, or an ifb where
 * the kernel has none: seen leaving d0) is read back with each frame's interface.
 * pkt_iface_linktype("any") is PKT_LINKTYPE_NONE. */
#include "common.h"

#define BURST 10

int main(void)
{
    test_init("test_iface_any", 60);
    if (sh("ip link add d0 type dummy 2>/dev/null") != 0 && sh("ip link add d0 type ifb") != 0)
        SKIP("neither dummy nor ifb interfaces can be created");
    sh_ok("ip link set d0 up");
    CHECK_RC(pkt_iface_linktype("any"), PKT_LINKTYPE_NONE);

    pkt_config_t c = test_config();
    c.promiscuous = true; /* ignored on all interfaces, as with NULL */
    pkt_t *h = open_ok("any", &c);
    CHECK_RC(pkt_linktype(h), PKT_LINKTYPE_NONE);
    CHECK_RC(pkt_dlt(h), PKT_DLT_LINUX_SLL2);
    pkt_config_t eff;
    CHECK_RC(pkt_get_config(h, &eff), 0);
    CHECK(eff.cooked && !eff.promiscuous);

    int v0 = ifindex_of("v0"), v1 = ifindex_of("v1"), d0 = ifindex_of("d0");
    raw_tx_t tx1 = raw_tx_open("v1"), txd = raw_tx_open("d0");
    uint8_t v0mac[6];
    mac_of("v0", v0mac);
    for (uint32_t s = 0; s < BURST; s++) {
        raw_tx_send_seq(&tx1, v0mac, TEST_ETHERTYPE, s, 100);
        raw_tx_send_seq(&txd, MAC_BROADCAST, TEST_ETHERTYPE, 100 + s, 100);
    }
    rx_frame_t *got = calloc(4 * BURST, sizeof *got);
    CHECK(got != NULL);
    int n = collect_frames(h, true, 700, got, 4 * BURST - 1);
    int on_v0 = 0, on_v1 = 0, on_d0 = 0;
    for (int i = 0; i < n; i++) {
        const pkt_info_t *in = &got[i].info;
        int64_t seq = frame_seq(got[i].data, in->caplen, 0);
        CHECK(in->protocol == TEST_ETHERTYPE && in->caplen == 100 - 14);
        if (in->ifindex == v0) {
            CHECKF(seq == on_v0 && in->pkttype == PT_HOST, "v0: seq %lld pkttype %u",
                   (long long)seq, in->pkttype);
            on_v0++;
        } else if (in->ifindex == v1) {
            CHECKF(seq == on_v1 && in->pkttype == PT_OUTGOING, "v1: seq %lld pkttype %u",
                   (long long)seq, in->pkttype);
            on_v1++;
        } else if (in->ifindex == d0) {
            CHECKF(seq == 100 + on_d0 && in->pkttype == PT_OUTGOING, "d0: seq %lld pkttype %u",
                   (long long)seq, in->pkttype);
            on_d0++;
        } else {
            FAIL("a frame on ifindex %d (v0 %d, v1 %d, d0 %d)", in->ifindex, v0, v1, d0);
        }
    }
    CHECKF(on_v0 == BURST && on_v1 == BURST && on_d0 == BURST,
           "frames: %d on v0, %d on v1, %d on d0; expected %d each", on_v0, on_v1, on_d0, BURST);
    free(got);

    uint8_t frame[100];
    frame_build(frame, sizeof frame, v0mac, tx1.mac, TEST_ETHERTYPE, 0);
    CHECK_RC(pkt_write(h, frame, sizeof frame, 0, TEST_ETHERTYPE), -EINVAL);
    CHECK_RC(pkt_close(h), 0);
    raw_tx_close(&tx1);
    raw_tx_close(&txd);
    return test_pass();
}
