/* Overflow accounting on the smallest ring: far more frames are sent than fit, unread; then
 * everything is read. Every frame delivered to the socket is either read or counted as a drop
 * (read + drops == recvs), drops > 0, recvs == frames sent (minus any the veth itself dropped
 * before the socket saw them), frames come in send order, and capture recovers afterwards. */
#include "common.h"

static uint64_t sys_stat(const char *ifname, const char *name)
{
    char path[160];
    snprintf(path, sizeof path, "/sys/class/net/%s/statistics/%s", ifname, name);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    unsigned long long v = 0;
    if (fscanf(f, "%llu", &v) != 1)
        v = 0;
    fclose(f);
    return v;
}

static uint64_t veth_drops(void)
{
    return sys_stat("v1", "tx_dropped") + sys_stat("v0", "rx_dropped");
}

static void run(bool immediate)
{
    const char *mode = immediate ? "V2" : "V3";
    pkt_bpf_insn_t prog[4];
    filter_ethertype(prog, TEST_ETHERTYPE, 262144);
    pkt_config_t c = test_config();
    c.buffer_size = 1; /* the smallest ring the library makes */
    c.filter = prog;
    c.filter_len = 4;
    c.immediate = immediate;
    pkt_t *h = open_ok("v0", &c);
    pkt_config_t eff;
    CHECK_RC(pkt_get_config(h, &eff), 0);
    raw_tx_t tx = raw_tx_open("v1");
    uint8_t v0mac[6];
    mac_of("v0", v0mac);

    const uint32_t SENT = 20000;
    const size_t LEN = 1000;
    CHECKF((uint64_t)eff.buffer_size < (uint64_t)SENT * LEN / 2,
           "%s: the smallest ring (%lld bytes) holds too much for this test", mode,
           (long long)eff.buffer_size);
    uint64_t vd0 = veth_drops();
    int64_t t0 = mono_ms();
    for (uint32_t s = 0; s < SENT; s++)
        raw_tx_send_seq(&tx, v0mac, TEST_ETHERTYPE, s, LEN);
    uint64_t vdrops = veth_drops() - vd0;
    note("%s: ring %lld bytes, sent %u frames of %zu bytes in %lld ms (veth dropped %llu)", mode,
         (long long)eff.buffer_size, SENT, LEN, (long long)(mono_ms() - t0),
         (unsigned long long)vdrops);

    uint64_t nread = 0;
    int64_t last = -1;
    for (;;) {
        const uint8_t *d;
        pkt_info_t info;
        int rc = read_test_frame(h, 700, false, &d, &info);
        if (rc == -ETIMEDOUT)
            break;
        CHECK_OK(rc);
        CHECKF(info.caplen == LEN && info.len == LEN, "%s: caplen %u len %u", mode, info.caplen,
               info.len);
        int64_t seq = frame_seq(d, info.caplen, ETH_HDR_LEN);
        CHECKF(seq > last && seq < (int64_t)SENT, "%s: seq %lld after %lld (order)", mode,
               (long long)seq, (long long)last);
        last = seq;
        nread++;
    }
    pkt_stats_t st;
    CHECK_RC(pkt_stats(h, true, &st), 0);
    note("%s: read %llu, stats recvs %llu drops %llu", mode, (unsigned long long)nread,
         (unsigned long long)st.recvs, (unsigned long long)st.drops);
    CHECKF(st.drops > 0, "%s: no drops counted although %u frames were sent to a %lld-byte ring",
           mode, SENT, (long long)eff.buffer_size);
    CHECKF(nread > 0, "%s: nothing read", mode);
    CHECKF(nread + st.drops == st.recvs, "%s: read %llu + drops %llu != recvs %llu", mode,
           (unsigned long long)nread, (unsigned long long)st.drops, (unsigned long long)st.recvs);
    CHECKF(st.recvs == SENT - vdrops, "%s: recvs %llu, but %u frames were sent and the veth "
           "dropped %llu", mode, (unsigned long long)st.recvs, SENT, (unsigned long long)vdrops);

    /* capture recovers: new frames arrive, no new drops */
    for (uint32_t s = 0; s < 10; s++)
        raw_tx_send_seq(&tx, v0mac, TEST_ETHERTYPE, 100000 + s, 200);
    rx_frame_t *got = calloc(11, sizeof *got);
    CHECK(got != NULL);
    int n = collect_frames(h, false, 700, got, 10);
    CHECKF(n == 10, "%s: after the overflow only %d of 10 new frames arrived", mode, n);
    for (int i = 0; i < n; i++)
        CHECK(frame_seq(got[i].data, got[i].info.caplen, ETH_HDR_LEN) == 100000 + i);
    free(got);
    pkt_stats_t st2;
    CHECK_RC(pkt_stats(h, true, &st2), 0);
    CHECKF(st2.recvs == st.recvs + 10 && st2.drops == st.drops,
           "%s: after recovery recvs %llu drops %llu, expected %llu/%llu", mode,
           (unsigned long long)st2.recvs, (unsigned long long)st2.drops,
           (unsigned long long)st.recvs + 10, (unsigned long long)st.drops);
    raw_tx_close(&tx);
    CHECK_RC(pkt_close(h), 0);
}

int main(void)
{
    test_init("test_stats_overflow", 80);
    run(false);
    run(true);
    return test_pass();
}
