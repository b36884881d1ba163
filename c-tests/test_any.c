/* All interfaces (ifname NULL or ""): cooked mode forced on, frames of v0 and v1 captured with
 * their own ifindex and direction, link type PKT_LINKTYPE_NONE, promiscuous is ignored (not an
 * error), and pkt_write with ifindex 0 is -EINVAL. */
#include "common.h"

static void run(const char *ifname, bool immediate, bool promisc)
{
    char mode[96];
    snprintf(mode, sizeof mode, "ifname %s, %s%s", ifname ? "\"\"" : "NULL",
             immediate ? "V2" : "V3", promisc ? ", promiscuous" : "");
    pkt_config_t c = test_config();
    config_mode(&c, immediate);
    c.promiscuous = promisc;
    pkt_t *h = NULL;
    int rc = pkt_open(ifname, &c, &h);
    CHECKF(rc == 0, "%s: pkt_open returned %d (%s): %s", mode, rc, pkt_strerror(rc), pkt_errmsg());
    CHECKF(pkt_linktype(h) == PKT_LINKTYPE_NONE, "%s: pkt_linktype %u", mode, pkt_linktype(h));
    pkt_config_t eff;
    CHECK_RC(pkt_get_config(h, &eff), 0);
    CHECK(eff.cooked);

    raw_tx_t tx = raw_tx_open("v1");
    uint8_t v0mac[6];
    mac_of("v0", v0mac);
    int v0 = ifindex_of("v0"), v1 = ifindex_of("v1");
    static uint8_t sent[10][300];
    for (uint32_t s = 0; s < 10; s++) {
        frame_build(sent[s], 100 + s * 20, v0mac, tx.mac, TEST_ETHERTYPE, s);
        raw_tx_send(&tx, sent[s], 100 + s * 20);
    }
    /* each frame shows up twice: leaving v1 and arriving on v0 */
    rx_frame_t *got = calloc(21, sizeof *got);
    CHECK(got != NULL);
    int n = collect_frames(h, true, 700, got, 20);
    int on_v0 = 0, on_v1 = 0;
    for (int i = 0; i < n; i++) {
        const pkt_info_t *in = &got[i].info;
        int64_t seq = frame_seq(got[i].data, in->caplen, 0);
        CHECKF(seq >= 0 && seq < 10, "%s: frame %d: seq %lld", mode, i, (long long)seq);
        size_t len = 100 + (size_t)seq * 20;
        CHECKF(in->caplen == len - 14 && in->len == len - 14, "%s: caplen %u len %u, expected %zu",
               mode, in->caplen, in->len, len - 14);
        CHECK_BYTES(got[i].data, in->caplen, sent[seq] + 14, len - 14);
        CHECK(in->protocol == TEST_ETHERTYPE);
        if (in->ifindex == v0) {
            CHECKF(in->pkttype == PT_HOST, "%s: on v0 pkttype %u", mode, in->pkttype);
            CHECK(seq == on_v0);
            on_v0++;
        } else if (in->ifindex == v1) {
            CHECKF(in->pkttype == PT_OUTGOING, "%s: on v1 pkttype %u", mode, in->pkttype);
            CHECK(seq == on_v1);
            on_v1++;
        } else {
            FAIL("%s: frame with ifindex %d (v0 %d, v1 %d)", mode, in->ifindex, v0, v1);
        }
    }
    CHECKF(on_v0 == 10 && on_v1 == 10, "%s: %d frames seen on v0, %d on v1, expected 10 each",
           mode, on_v0, on_v1);
    free(got);

    /* no bound interface to send on */
    CHECK_RC(pkt_write(h, sent[0], 100, 0, TEST_ETHERTYPE), -EINVAL);
    CHECK(pkt_errmsg()[0] != '\0');
    CHECK_RC(pkt_close(h), 0);
    raw_tx_close(&tx);
    if (promisc)
        CHECKF((iface_flags("v0") & 0x100) == 0, "%s: v0 became promiscuous", mode);
}

int main(void)
{
    test_init("test_any", 60);
    run(NULL, false, false);
    run("", false, false);
    run(NULL, true, false);
    run("", true, true);
    run(NULL, false, true);
    return test_pass();
}
