/* 802.1Q and 802.1ad tags: a tagged frame sent on v1 (tag in the bytes, from a raw socket) is
 * untagged by the receiving kernel, which keeps the tag as metadata: on v0 pkt_vlan_valid, the
 * VLAN id and priority in vlan_tci and the TPID in vlan_tpid. The bytes are the untagged frame
 * (or, if the library re-inserts the tag, exactly the frame as sent). An untagged frame carries
 * no tag. (test_vlan_iface does the same through a real VLAN interface.) */
#include "common.h"

/* Inserts a tag (tpid, tci) after the MAC addresses of an untagged frame. */
static size_t tag_frame(uint8_t *out, const uint8_t *in, size_t len, uint16_t tpid, uint16_t tci)
{
    memcpy(out, in, 12);
    out[12] = (uint8_t)(tpid >> 8);
    out[13] = (uint8_t)tpid;
    out[14] = (uint8_t)(tci >> 8);
    out[15] = (uint8_t)tci;
    memcpy(out + 16, in + 12, len - 12);
    return len + 4;
}

static void run(bool immediate, uint16_t tpid, uint16_t tci)
{
    char mode[64];
    snprintf(mode, sizeof mode, "%s, TPID 0x%04x, TCI 0x%04x", immediate ? "V2" : "V3", tpid, tci);
    pkt_config_t c = test_config();
    config_mode(&c, immediate);
    pkt_t *h = open_ok("v0", &c);
    raw_tx_t tx = raw_tx_open("v1");
    uint8_t v0mac[6];
    mac_of("v0", v0mac);
    uint8_t f[200], tagged[204];
    frame_build(f, sizeof f, v0mac, tx.mac, TEST_ETHERTYPE, tci);
    size_t tlen = tag_frame(tagged, f, sizeof f, tpid, tci);
    raw_tx_send(&tx, tagged, tlen);

    const uint8_t *d;
    pkt_info_t info;
    int rc = read_test_frame(h, 3000, false, &d, &info);
    CHECKF(rc > 0, "%s: tagged frame not captured: %d (%s)", mode, rc, pkt_strerror(rc));
    note("%s: status 0x%x tci 0x%04x tpid 0x%04x caplen %u", mode, info.status, info.vlan_tci,
         info.vlan_tpid, info.caplen);
    CHECKF(pkt_vlan_valid(info.status), "%s: status 0x%x: no valid VLAN tag", mode, info.status);
    CHECKF(info.vlan_tci == tci, "%s: vlan_tci 0x%04x", mode, info.vlan_tci);
    CHECKF(info.vlan_tpid == tpid, "%s: vlan_tpid 0x%04x", mode, info.vlan_tpid);
    CHECKF(info.protocol == TEST_ETHERTYPE, "%s: protocol 0x%04x", mode, info.protocol);
    if (info.caplen == sizeof f) {
        CHECK_BYTES(d, info.caplen, f, sizeof f);
        CHECK(info.len == sizeof f);
    } else {
        CHECK_BYTES(d, info.caplen, tagged, tlen);
        CHECK(info.len == tlen);
    }

    /* an untagged frame right after: no tag reported */
    raw_tx_send_seq(&tx, v0mac, TEST_ETHERTYPE, 2, 100);
    CHECK_OK(read_test_frame(h, 3000, false, &d, &info));
    CHECK(frame_seq(d, info.caplen, ETH_HDR_LEN) == 2);
    CHECKF(!pkt_vlan_valid(info.status), "%s: untagged frame reported with a tag (status 0x%x)",
           mode, info.status);
    raw_tx_close(&tx);
    CHECK_RC(pkt_close(h), 0);
}

int main(void)
{
    test_init("test_vlan", 40);
    for (int m = 0; m < 2; m++) {
        run(m == 1, 0x8100, 100);
        run(m == 1, 0x8100, (5 << 13) | 200); /* priority 5, VLAN 200 */
        run(m == 1, 0x88a8, 300);              /* 802.1ad */
        run(m == 1, 0x8100, (3 << 13));        /* priority tag: VLAN 0 */
    }
    return test_pass();
}
