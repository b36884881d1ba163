/* MTU 9000: a 9014-byte frame is captured whole (caplen == len == 9014), in both ring kinds.
 * The V2 frame size must follow the interface's MTU, not a fixed 1500. */
#include "common.h"

int main(void)
{
    test_init("test_rx_jumbo", 40);
    sh_ok("ip link set v0 mtu 9000 && ip link set v1 mtu 9000");
    wait_link_up("v0", 5000);
    wait_link_up("v1", 5000);
    raw_tx_t tx = raw_tx_open("v1");
    uint8_t v0mac[6];
    mac_of("v0", v0mac);
    static uint8_t frame[9014];
    const size_t sizes[] = {9014, 1514, 8000, 9014};

    for (int mode = 0; mode < 2; mode++) {
        pkt_config_t c = test_config();
        c.immediate = mode == 1;
        pkt_t *h = open_ok("v0", &c);
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            frame_build(frame, sizes[i], v0mac, tx.mac, TEST_ETHERTYPE, (uint32_t)i);
            raw_tx_send(&tx, frame, sizes[i]);
            const uint8_t *d;
            pkt_info_t info;
            CHECK_OK(read_test_frame(h, 3000, false, &d, &info));
            CHECKF(info.caplen == sizes[i] && info.len == sizes[i],
                   "%s: caplen %u len %u, sent %zu", c.immediate ? "V2" : "V3", info.caplen,
                   info.len, sizes[i]);
            CHECK_BYTES(d, info.caplen, frame, sizes[i]);
        }
        CHECK_RC(pkt_close(h), 0);
    }
    raw_tx_close(&tx);
    return test_pass();
}
