/* Opening while the link is busy: nothing queued before the ring and filter existed shows up.
 * With v1 flooding v0 with two ethertypes, a handle opened with a filter (or proto, or
 * direction) returns only matching packets from the very first one, and its first stats show
 * no drops. */
#include "common.h"

#include <pthread.h>
#include <stdatomic.h>

static atomic_int g_stop;

static void *flood_main(void *arg)
{
    (void)arg;
    raw_tx_t v1 = raw_tx_open("v1");
    raw_tx_t v0 = raw_tx_open("v0");
    uint8_t f[80];
    int64_t until = mono_ms() + 30000;
    for (uint32_t s = 0; !atomic_load(&g_stop) && mono_ms() < until; s++) {
        frame_build(f, sizeof f, v0.mac, v1.mac, (s % 4) ? OTHER_ETHERTYPE : TEST_ETHERTYPE, s);
        raw_tx_send(&v1, f, sizeof f);
        if (s % 8 == 0) { /* some outgoing traffic on v0 too */
            frame_build(f, sizeof f, v1.mac, v0.mac, OTHER_ETHERTYPE, s);
            raw_tx_send(&v0, f, sizeof f);
        }
        if (s % 8 == 7)
            sleep_ms(1); /* a steady stream that cannot fill a fresh ring in a few ms */
    }
    raw_tx_close(&v1);
    raw_tx_close(&v0);
    return NULL;
}

typedef enum { BY_FILTER, BY_PROTO, BY_DIRECTION } how_t;

static void open_and_check(how_t how, bool immediate, int round)
{
    static const char *names[] = {"filter", "proto", "direction IN"};
    pkt_bpf_insn_t prog[4];
    filter_ethertype(prog, TEST_ETHERTYPE, 262144);
    pkt_config_t c = test_config();
    config_mode(&c, immediate);
    if (how == BY_FILTER) {
        c.filter = prog;
        c.filter_len = 4;
    } else if (how == BY_PROTO) {
        c.proto = TEST_ETHERTYPE;
    } else {
        c.direction = PKT_DIR_IN;
    }
    pkt_t *h = open_ok("v0", &c);
    pkt_stats_t st;
    CHECK_RC(pkt_stats(h, true, &st), 0);
    CHECKF(st.drops == 0, "%s, %s, round %d: a fresh handle reports %llu drops",
           names[how], immediate ? "V2" : "V3", round, (unsigned long long)st.drops);
    for (int i = 0; i < 20; i++) {
        const uint8_t *d = NULL;
        pkt_info_t info;
        int rc;
        int64_t deadline = mono_ms() + 3000;
        do {
            rc = pkt_read(h, 1, &d, &info);
        } while ((rc == 0 || rc == -ETIMEDOUT) && mono_ms() < deadline);
        CHECKF(rc > 0, "%s: read returned %d (%s)", names[how], rc, pkt_strerror(rc));
        if (how == BY_DIRECTION)
            CHECKF(info.pkttype != PT_OUTGOING, "%s, %s, round %d: packet %d is outgoing",
                   names[how], immediate ? "V2" : "V3", round, i);
        else
            CHECKF(info.caplen >= 14 && d[12] == 0x88 && d[13] == 0xb5,
                   "%s, %s, round %d: packet %d has ethertype 0x%02x%02x", names[how],
                   immediate ? "V2" : "V3", round, i, d[12], d[13]);
    }
    CHECK_RC(pkt_close(h), 0);
}

int main(void)
{
    test_init("test_open_order", 60);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, flood_main, NULL) == 0);
    sleep_ms(100);
    for (int round = 0; round < 5; round++)
        for (int how = 0; how < 3; how++) {
            open_and_check((how_t)how, false, round);
            open_and_check((how_t)how, true, round);
        }
    atomic_store(&g_stop, 1);
    CHECK(pthread_join(t, NULL) == 0);
    return test_pass();
}
