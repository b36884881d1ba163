/* 802.1Q through a VLAN interface: a frame sent out of v1.100 arrives on v0 with its tag in the
 * metadata (pkt_vlan_valid, VLAN id 100, TPID 0x8100, the egress priority). The kernel strips
 * the tag from the bytes; if the library re-inserts it, the bytes must be exactly the tagged
 * frame instead. Needs 8021q support: skipped (77) without it. */
#include "common.h"

static void run(bool immediate, uint16_t pcp)
{
    char mode[32];
    snprintf(mode, sizeof mode, "%s, priority %u", immediate ? "V2" : "V3", pcp);
    pkt_config_t c = test_config();
    config_mode(&c, immediate);
    pkt_t *h = open_ok("v0", &c);
    raw_tx_t tx = raw_tx_open("v1.100");
    uint8_t v0mac[6];
    mac_of("v0", v0mac);
    uint8_t f[200];
    frame_build(f, sizeof f, v0mac, tx.mac, TEST_ETHERTYPE, 1);
    raw_tx_send(&tx, f, sizeof f);
    const uint8_t *d;
    pkt_info_t info;
    int rc = read_test_frame(h, 3000, false, &d, &info);
    CHECKF(rc > 0, "%s: tagged frame not captured: %d (%s)", mode, rc, pkt_strerror(rc));
    note("%s: status 0x%x tci 0x%04x tpid 0x%04x caplen %u", mode, info.status, info.vlan_tci,
         info.vlan_tpid, info.caplen);
    CHECKF(pkt_vlan_valid(info.status), "%s: status 0x%x: no valid VLAN tag", mode, info.status);
    CHECKF((info.vlan_tci & 0x0fff) == 100, "%s: vlan_tci 0x%04x, VLAN id 100 expected", mode,
           info.vlan_tci);
    CHECKF((info.vlan_tci >> 13) == pcp, "%s: vlan_tci 0x%04x, priority %u expected", mode,
           info.vlan_tci, pcp);
    CHECKF(info.vlan_tpid == 0x8100, "%s: vlan_tpid 0x%04x", mode, info.vlan_tpid);
    CHECK(info.protocol == TEST_ETHERTYPE);
    if (info.caplen == sizeof f) {
        CHECK_BYTES(d, info.caplen, f, sizeof f);
        CHECK(info.len == sizeof f);
    } else {
        uint8_t tagged[204];
        uint16_t tci = (uint16_t)((pcp << 13) | 100);
        memcpy(tagged, f, 12);
        tagged[12] = 0x81;
        tagged[13] = 0x00;
        tagged[14] = (uint8_t)(tci >> 8);
        tagged[15] = (uint8_t)tci;
        memcpy(tagged + 16, f + 12, sizeof f - 12);
        CHECK_BYTES(d, info.caplen, tagged, sizeof tagged);
        CHECK(info.len == sizeof tagged);
    }
    raw_tx_close(&tx);
    CHECK_RC(pkt_close(h), 0);
}

int main(void)
{
    test_init("test_vlan_iface", 40);
    if (sh("ip link add link v1 name v1.100 type vlan id 100 2>/dev/null") != 0)
        SKIP("cannot create a VLAN interface (no 8021q support in this kernel)");
    sh_ok("ip link set v1.100 up");
    wait_link_up("v1.100", 5000);
    run(false, 0);
    run(true, 0);
    /* priority bits travel too */
    sh_ok("ip link set v1.100 type vlan egress-qos-map 0:5");
    run(false, 5);
    return test_pass();
}
