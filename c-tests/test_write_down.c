/* pkt_write on an interface that is down fails with -ENETDOWN; when it is up again writes work. */
#include "common.h"

int main(void)
{
    test_init("test_write_down", 40);
    pkt_config_t c = test_config();
    pkt_t *w = open_ok("v0", &c);
    pkt_t *r = open_ok("v1", &c);
    uint8_t v0mac[6], v1mac[6];
    mac_of("v0", v0mac);
    mac_of("v1", v1mac);
    uint8_t f[100];
    frame_build(f, sizeof f, v1mac, v0mac, TEST_ETHERTYPE, 1);
    CHECK_RC(pkt_write(w, f, sizeof f, 0, TEST_ETHERTYPE), (int)sizeof f);

    sh_ok("ip link set v0 down");
    int rc = pkt_write(w, f, sizeof f, 0, TEST_ETHERTYPE);
    CHECKF(rc == -ENETDOWN, "pkt_write on a down interface returned %d (%s), expected -ENETDOWN",
           rc, pkt_strerror(rc));
    CHECK(pkt_errmsg()[0] != '\0');
    CHECK(!pkt_is_timeout(rc));

    sh_ok("ip link set v0 up && ip link set v1 up");
    wait_link_up("v0", 5000);
    wait_link_up("v1", 5000);
    frame_build(f, sizeof f, v1mac, v0mac, TEST_ETHERTYPE, 2);
    CHECK_RC(pkt_write(w, f, sizeof f, 0, TEST_ETHERTYPE), (int)sizeof f);
    /* the receiver on v1 got frame 1 and frame 2, nothing from the failed write */
    rx_frame_t got[4];
    int n = collect_frames(r, false, 700, got, 3);
    CHECKF(n == 2, "v1 received %d frames, expected 2", n);
    CHECK(frame_seq(got[0].data, got[0].info.caplen, ETH_HDR_LEN) == 1);
    CHECK(frame_seq(got[1].data, got[1].info.caplen, ETH_HDR_LEN) == 2);
    CHECK_RC(pkt_close(w), 0);
    CHECK_RC(pkt_close(r), 0);
    return test_pass();
}
