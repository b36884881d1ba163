/* Timestamp resolution: PKT_TSTAMP_MICRO gives nsec values that are whole microseconds, within
 * the send/read window; NANO gives (almost surely) some that are not. */
#include "common.h"

static void run(bool immediate, int res)
{
    const char *mode = immediate ? "V2" : "V3";
    pkt_config_t c = test_config();
    config_mode(&c, immediate);
    c.tstamp_resolution = (uint8_t)res;
    pkt_t *h = open_ok("v0", &c);
    raw_tx_t tx = raw_tx_open("v1");
    uint8_t v0mac[6];
    mac_of("v0", v0mac);
    /* the window is widened to whole microseconds: micro stamps are truncated */
    int64_t before = real_ns() / 1000 * 1000;
    for (uint32_t s = 0; s < 30; s++) {
        raw_tx_send_seq(&tx, v0mac, TEST_ETHERTYPE, s, 100);
        sleep_ms(1);
    }
    rx_frame_t *got = calloc(31, sizeof *got);
    CHECK(got != NULL);
    int n = collect_frames(h, false, 700, got, 30);
    int64_t after = real_ns();
    CHECKF(n == 30, "%s: %d of 30 frames", mode, n);
    int not_micro = 0;
    for (int i = 0; i < n; i++) {
        const pkt_info_t *in = &got[i].info;
        CHECK(in->nsec < 1000000000u);
        if (in->nsec % 1000 != 0)
            not_micro++;
        int64_t ts = in->sec * 1000000000 + in->nsec;
        CHECKF(ts >= before && ts <= after, "%s: timestamp %lld.%09u outside the window", mode,
               (long long)in->sec, in->nsec);
    }
    if (res == PKT_TSTAMP_MICRO)
        CHECKF(not_micro == 0, "%s: %d of %d micro timestamps have sub-microsecond digits", mode,
               not_micro, n);
    else
        CHECKF(not_micro > 0, "%s: all %d nano timestamps are whole microseconds", mode, n);
    free(got);
    raw_tx_close(&tx);
    CHECK_RC(pkt_close(h), 0);
}

int main(void)
{
    test_init("test_tstamp_micro", 40);
    run(false, PKT_TSTAMP_MICRO);
    run(true, PKT_TSTAMP_MICRO);
    run(false, PKT_TSTAMP_NANO);
    return test_pass();
}
