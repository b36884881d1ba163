/* 802.1Q and 802.1ad tags: a tagged frame sent on v1 (tag in the bytes, from a raw socket) is
 * untagged by the receiving kernel, which keeps the tag as metadata: on v0 pkt_vlan_valid, the
 * VLAN id and priority in vlan_tci and the TPID in vlan_tpid. With vlan_insert (the default) the
 * bytes are exactly the frame as sent, len included; without it, the untagged frame. Read by
 * pkt_read and by pkt_read_batch. An untagged frame carries no tag. QinQ: only the outer tag is
 * taken out by the kernel and put back by the library, so the bytes equal the frame as sent.
 * (test_vlan_iface does the same through a real VLAN interface.) */
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

static void run(bool immediate, bool insert, bool batch, uint16_t tpid, uint16_t tci)
{
    char mode[64];
    snprintf(mode, sizeof mode, "%s%s%s, TPID 0x%04x, TCI 0x%04x", immediate ? "V2" : "V3",
             insert ? "" : ", no vlan_insert", batch ? ", batch" : "", tpid, tci);
    pkt_config_t c = test_config();
    config_mode(&c, immediate);
    CHECK(c.vlan_insert); /* the default */
    c.vlan_insert = insert;
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
    int rc;
    if (batch) {
        pkt_packet_t p[8];
        do
            rc = pkt_read_batch(h, 1, p, 8);
        while (rc > 0 && !is_test_frame(p[0].data, p[0].info.caplen, false));
        if (rc > 0) {
            CHECK(rc == 1);
            d = p[0].data;
            info = p[0].info;
        }
    } else {
        rc = read_test_frame(h, 3000, false, &d, &info);
    }
    CHECKF(rc > 0, "%s: tagged frame not captured: %d (%s)", mode, rc, pkt_strerror(rc));
    note("%s: status 0x%x tci 0x%04x tpid 0x%04x caplen %u", mode, info.status, info.vlan_tci,
         info.vlan_tpid, info.caplen);
    CHECKF(pkt_vlan_valid(info.status), "%s: status 0x%x: no valid VLAN tag", mode, info.status);
    CHECKF(info.vlan_tci == tci, "%s: vlan_tci 0x%04x", mode, info.vlan_tci);
    CHECKF(info.vlan_tpid == tpid, "%s: vlan_tpid 0x%04x", mode, info.vlan_tpid);
    CHECKF(info.protocol == TEST_ETHERTYPE, "%s: protocol 0x%04x", mode, info.protocol);
    if (!insert) {
        CHECK_BYTES(d, info.caplen, f, sizeof f);
        CHECK(info.len == sizeof f);
    } else {
        CHECK_BYTES(d, info.caplen, tagged, tlen);
        CHECK(info.len == tlen);
    }
    pkt_config_t eff;
    CHECK_OK(pkt_get_config(h, &eff));
    CHECK(eff.vlan_insert == insert);

    /* an untagged frame right after: no tag reported */
    raw_tx_send_seq(&tx, v0mac, TEST_ETHERTYPE, 2, 100);
    CHECK_OK(read_test_frame(h, 3000, false, &d, &info));
    CHECK(frame_seq(d, info.caplen, ETH_HDR_LEN) == 2);
    CHECKF(!pkt_vlan_valid(info.status), "%s: untagged frame reported with a tag (status 0x%x)",
           mode, info.status);
    raw_tx_close(&tx);
    CHECK_RC(pkt_close(h), 0);
}

/* QinQ: outer 802.1ad 300, inner 802.1Q 100: the kernel takes out the outer tag only. */
static void qinq(bool immediate)
{
    pkt_config_t c = test_config();
    config_mode(&c, immediate);
    pkt_t *h = open_ok("v0", &c);
    raw_tx_t tx = raw_tx_open("v1");
    uint8_t v0mac[6];
    mac_of("v0", v0mac);
    uint8_t f[200], inner[204], outer[208];
    frame_build(f, sizeof f, v0mac, tx.mac, TEST_ETHERTYPE, 7);
    size_t ilen = tag_frame(inner, f, sizeof f, 0x8100, 100);
    size_t olen = tag_frame(outer, inner, ilen, 0x88a8, 300);
    raw_tx_send(&tx, outer, olen);
    const uint8_t *d;
    pkt_info_t info;
    pkt_packet_t p[8];
    int64_t deadline = mono_ms() + 3000;
    for (;;) {
        CHECKF(mono_ms() < deadline, "%s: QinQ frame not captured", immediate ? "V2" : "V3");
        int rc = pkt_read_batch(h, 0, p, 8);
        if (rc == -EAGAIN) {
            fd_readable(pkt_fd(h), 100);
            continue;
        }
        CHECK(rc > 0);
        if (p[0].info.caplen == olen && p[0].data[12] == 0x88 && p[0].data[13] == 0xa8)
            break;
    }
    d = p[0].data;
    info = p[0].info;
    CHECK(pkt_vlan_valid(info.status));
    CHECK(info.vlan_tpid == 0x88a8 && info.vlan_tci == 300);
    CHECK_BYTES(d, info.caplen, outer, olen);
    CHECK(info.len == olen);
    raw_tx_close(&tx);
    CHECK_RC(pkt_close(h), 0);
}

int main(void)
{
    test_init("test_vlan", 90);
    for (int m = 0; m < 8; m++) {
        bool v2 = m & 1, insert = !(m & 2), batch = m & 4;
        run(v2, insert, batch, 0x8100, 100);
        run(v2, insert, batch, 0x8100, (5 << 13) | 200); /* priority 5, VLAN 200 */
        run(v2, insert, batch, 0x88a8, 300);              /* 802.1ad */
        run(v2, insert, batch, 0x8100, (3 << 13));        /* priority tag: VLAN 0 */
    }
    qinq(false);
    qinq(true);
    return test_pass();
}
