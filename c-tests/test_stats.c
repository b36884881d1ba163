/* pkt_stats: totals since open and deltas since the previous call of either kind; every frame
 * that passed the filter counts once; no drops when the reader keeps up; safe to call with a
 * NULL handle (checked elsewhere) and repeatable without side effects. */
#include "common.h"

static void expect_stats(pkt_t *h, bool total, uint64_t recvs, uint64_t drops, const char *what)
{
    pkt_stats_t s;
    memset(&s, 0x5a, sizeof s);
    CHECK_RC(pkt_stats(h, total, &s), 0);
    CHECKF(s.recvs == recvs && s.drops == drops,
           "%s: pkt_stats(%s) = recvs %llu drops %llu, expected %llu/%llu", what,
           total ? "total" : "delta", (unsigned long long)s.recvs, (unsigned long long)s.drops,
           (unsigned long long)recvs, (unsigned long long)drops);
}

static void run(bool immediate)
{
    const char *mode = immediate ? "V2" : "V3";
    pkt_bpf_insn_t prog[4];
    filter_ethertype(prog, TEST_ETHERTYPE, 262144);
    pkt_config_t c = test_config();
    c.filter = prog;
    c.filter_len = 4;
    config_mode(&c, immediate);
    pkt_t *h = open_ok("v0", &c);
    raw_tx_t tx = raw_tx_open("v1");
    uint8_t v0mac[6];
    mac_of("v0", v0mac);
    char what[96];

    /* a fresh handle: nothing counted (nothing queued before the ring and filter existed) */
    snprintf(what, sizeof what, "%s, fresh", mode);
    expect_stats(h, true, 0, 0, what);

    const uint32_t N = 50;
    for (uint32_t s = 0; s < N; s++) {
        raw_tx_send_seq(&tx, v0mac, TEST_ETHERTYPE, s, 64 + s * 10);
        raw_tx_send_seq(&tx, v0mac, OTHER_ETHERTYPE, 10000 + s, 64); /* filtered out */
    }
    rx_frame_t *got = calloc(N + 1, sizeof *got);
    CHECK(got != NULL);
    int n = collect_frames(h, false, 600, got, (int)N);
    CHECKF(n == (int)N, "%s: read %d of %u frames", mode, n, N);
    free(got);

    snprintf(what, sizeof what, "%s, after %u frames", mode, N);
    expect_stats(h, true, N, 0, what);
    expect_stats(h, true, N, 0, what); /* again: totals do not change by asking */
    snprintf(what, sizeof what, "%s, delta right after a total", mode);
    expect_stats(h, false, 0, 0, what);

    for (uint32_t s = 0; s < 10; s++)
        raw_tx_send_seq(&tx, v0mac, TEST_ETHERTYPE, 100 + s, 100);
    got = calloc(11, sizeof *got);
    CHECK(got != NULL);
    CHECK_RC(collect_frames(h, false, 600, got, 10), 10);
    free(got);
    snprintf(what, sizeof what, "%s, delta of 10 more", mode);
    expect_stats(h, false, 10, 0, what);
    snprintf(what, sizeof what, "%s, second delta in a row", mode);
    expect_stats(h, false, 0, 0, what);
    snprintf(what, sizeof what, "%s, total after deltas", mode);
    expect_stats(h, true, N + 10, 0, what);
    expect_stats(h, true, N + 10, 0, what);

    /* deltas add up to what arrived in between */
    uint64_t sum = 0;
    pkt_stats_t s;
    CHECK_RC(pkt_stats(h, false, &s), 0);
    CHECK(s.recvs == 0);
    got = calloc(8, sizeof *got);
    CHECK(got != NULL);
    for (uint32_t i = 0; i < 5; i++) {
        for (uint32_t k = 0; k < 7; k++)
            raw_tx_send_seq(&tx, v0mac, TEST_ETHERTYPE, 200 + i * 7 + k, 100);
        CHECK_RC(collect_frames(h, false, 500, got, 7), 7);
        CHECK_RC(pkt_stats(h, false, &s), 0);
        CHECKF(s.recvs == 7 && s.drops == 0, "%s: delta %u: recvs %llu drops %llu", mode, i,
               (unsigned long long)s.recvs, (unsigned long long)s.drops);
        sum += s.recvs;
    }
    free(got);
    CHECK(sum == 35);
    snprintf(what, sizeof what, "%s, final total", mode);
    expect_stats(h, true, N + 10 + 35, 0, what);

    raw_tx_close(&tx);
    CHECK_RC(pkt_close(h), 0);
}

int main(void)
{
    test_init("test_stats", 50);
    run(false);
    run(true);
    return test_pass();
}
