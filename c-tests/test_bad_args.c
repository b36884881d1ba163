/* NULL handles and NULL required pointers: -EINVAL (never a crash), and out-parameters are left
 * alone when a call fails. */
#include "common.h"

int main(void)
{
    test_init("test_bad_args", 30);

    const uint8_t *data = (const uint8_t *)"sentinel";
    const uint8_t *const data0 = data;
    pkt_info_t info, info0;
    memset(&info, 0x5a, sizeof info);
    info0 = info;
    pkt_stats_t st, st0;
    memset(&st, 0x5a, sizeof st);
    st0 = st;
    pkt_config_t cfg, cfg0;
    memset(&cfg, 0x5a, sizeof cfg);
    cfg0 = cfg;
    uint8_t frame[60];
    frame_build(frame, sizeof frame, MAC_BROADCAST, MAC_SRC_TEST, TEST_ETHERTYPE, 1);
    pkt_bpf_insn_t prog[4];
    filter_ethertype(prog, TEST_ETHERTYPE, 262144);

    /* NULL handle everywhere */
    CHECK_RC(pkt_read(NULL, 0, &data, &info), -EINVAL);
    CHECK_RC(pkt_read(NULL, 1, &data, &info), -EINVAL);
    CHECK_RC(pkt_read(NULL, 1, &data, NULL), -EINVAL);
    CHECK(data == data0);
    CHECK(memcmp(&info, &info0, sizeof info) == 0);
    CHECK_RC(pkt_write(NULL, frame, sizeof frame, 0, TEST_ETHERTYPE), -EINVAL);
    CHECK_RC(pkt_write(NULL, frame, sizeof frame, ifindex_of("v0"), TEST_ETHERTYPE), -EINVAL);
    CHECK_RC(pkt_setfilter(NULL, prog, 4), -EINVAL);
    CHECK_RC(pkt_setfilter(NULL, NULL, 0), -EINVAL);
    CHECK_RC(pkt_stats(NULL, true, &st), -EINVAL);
    CHECK_RC(pkt_stats(NULL, false, &st), -EINVAL);
    CHECK(memcmp(&st, &st0, sizeof st) == 0);
    CHECK_RC(pkt_breakloop(NULL), -EINVAL);
    CHECK_RC(pkt_fd(NULL), -EINVAL);
    CHECK_RC(pkt_get_config(NULL, &cfg), -EINVAL);
    CHECK(memcmp(&cfg, &cfg0, sizeof cfg) == 0);
    CHECK(pkt_linktype(NULL) == PKT_LINKTYPE_NONE);
    CHECK_RC(pkt_close(NULL), 0);
    CHECK(pkt_errmsg() != NULL);

    /* NULL out-pointers of functions without a handle */
    pkt_config_default(NULL); /* nothing to fill; must not crash */
    CHECK(pkt_config_check(NULL));
    pkt_kernel_version(NULL, NULL);
    int32_t minor = -7, major = -7;
    pkt_kernel_version(NULL, &minor);
    pkt_kernel_version(&major, NULL);
    CHECK(pkt_iface_linktype(NULL) == PKT_LINKTYPE_NONE);
    CHECK_RC(pkt_open("v0", NULL, NULL), -EINVAL);
    CHECK(pkt_errmsg() != NULL && pkt_errmsg()[0] != '\0');

    /* NULL required pointers with a valid handle */
    pkt_config_t c = test_config();
    pkt_t *h = open_ok("v0", &c);
    CHECK_RC(pkt_read(h, 0, NULL, &info), -EINVAL);
    CHECK_RC(pkt_read(h, 1, NULL, NULL), -EINVAL);
    CHECK_RC(pkt_write(h, NULL, 60, 0, TEST_ETHERTYPE), -EINVAL);
    CHECK_RC(pkt_setfilter(h, NULL, 4), -EINVAL);
    CHECK_RC(pkt_stats(h, true, NULL), -EINVAL);
    CHECK_RC(pkt_stats(h, false, NULL), -EINVAL);
    CHECK_RC(pkt_get_config(h, NULL), -EINVAL);
    CHECK(pkt_errmsg()[0] != '\0');

    /* pkt_read without info is allowed */
    raw_tx_t tx = raw_tx_open("v1");
    uint8_t v0mac[6];
    mac_of("v0", v0mac);
    uint8_t want[100];
    frame_build(want, sizeof want, v0mac, tx.mac, TEST_ETHERTYPE, 77);
    raw_tx_send(&tx, want, sizeof want);
    int64_t deadline = mono_ms() + 3000;
    for (;;) {
        CHECKF(mono_ms() < deadline, "the frame sent from v1 was not read within 3 s");
        data = NULL;
        int rc = pkt_read(h, 1, &data, NULL);
        if (rc == -ETIMEDOUT || rc == 0)
            continue;
        CHECK_OK(rc);
        if (!is_test_frame(data, (size_t)rc, false))
            continue;
        CHECK_BYTES(data, (size_t)rc, want, sizeof want);
        break;
    }

    /* still usable after all the rejected calls */
    CHECK_OK(pkt_fd(h));
    CHECK_RC(pkt_stats(h, true, &st), 0);
    CHECK(st.recvs >= 1);
    CHECK_RC(pkt_close(h), 0);
    raw_tx_close(&tx);
    return test_pass();
}
