/* Block retire timeout: with the default (100 ms), a single frame on a quiet link is delivered
 * promptly instead of waiting for its 256 KiB block to fill; a negative value (kernel decides)
 * and a small explicit value deliver too. */
#include "common.h"

static void one(int64_t block_timeout_ms, bool use_default)
{
    pkt_config_t c;
    pkt_config_default(&c);
    if (!use_default)
        c.block_timeout_ms = block_timeout_ms;
    c.read_timeout_ms = 0; /* the read waits for the frame only; the watchdog bounds it */
    pkt_t *h = open_ok("v0", &c);
    raw_tx_t tx = raw_tx_open("v1");
    uint8_t v0mac[6];
    mac_of("v0", v0mac);

    for (uint32_t round = 0; round < 3; round++) {
        uint8_t frame[120];
        frame_build(frame, sizeof frame, v0mac, tx.mac, TEST_ETHERTYPE, round);
        watchdog_arm(20);
        int64_t t0 = mono_ms();
        raw_tx_send(&tx, frame, sizeof frame);
        const uint8_t *d;
        pkt_info_t info;
        int rc;
        do {
            d = NULL;
            rc = pkt_read(h, 1, &d, &info);
        } while (rc == 0 || (rc > 0 && !is_test_frame(d, info.caplen, false)));
        int64_t dt = mono_ms() - t0;
        CHECKF(rc > 0, "block_timeout %lld: pkt_read returned %d (%s)",
               (long long)c.block_timeout_ms, rc, pkt_strerror(rc));
        CHECK_BYTES(d, info.caplen, frame, sizeof frame);
        note("block_timeout_ms %lld%s: frame %u delivered after %lld ms",
             (long long)c.block_timeout_ms, use_default ? " (default)" : "", round, (long long)dt);
        CHECKF(dt < 2000, "block_timeout %lld: a lone frame took %lld ms", (long long)c.block_timeout_ms,
               (long long)dt);
        sleep_ms(150); /* let the next frame start on a quiet link again */
    }
    raw_tx_close(&tx);
    CHECK_RC(pkt_close(h), 0);
}

int main(void)
{
    test_init("test_block_timeout", 60);
    one(0, true);
    one(-1, false);
    one(20, false);
    one(500, false);
    return test_pass();
}
