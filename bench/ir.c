/*
 * ir: the read path's own cost, with nothing else in the way. Opens a receive handle on v0 with a
 * 64 MiB ring, sends N 64-byte frames from v1 with pkt_write_batch while nobody reads (they all
 * wait in the ring, blocks full), lets the last block retire, then reads them all with MODE
 * inside read_all(). ir.sh runs it under callgrind with --toggle-collect=read_all, so the count
 * covers exactly the reads (and this loop's own few instructions per packet: count, touch the
 * first byte).
 *
 * usage: ir MODE N      MODE: pkt_read | pkt_read_batch | pkt_dispatch | pkt_read_slim | raw_v3
 * (raw_v3: the floor, a minimal TPACKET_V3 reader without libpkt, rawv3.h, on the same ring size)
 * Prints: "read R of N (recvs X drops Y)"
 */
#include <pkt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rawv3.h"

static uint64_t sink, pkts;

static struct rawv3 raw;

#define RAW_PACKET(d) (sink += (d)[0], pkts++)

static void cb(void *u, const uint8_t *d, const pkt_info_t *i)
{
    (void)u;
    (void)i;
    sink += d[0];
    pkts++;
}

__attribute__((noinline)) void read_all(pkt_t *h, int mode, uint64_t n);
__attribute__((noinline)) void read_all(pkt_t *h, int mode, uint64_t n)
{
    static pkt_packet_t out[256];
    while (pkts < n) {
        if (mode == 0) {
            const uint8_t *d;
            pkt_info_t info;
            if (pkt_read(h, 0, &d, &info) <= 0)
                break;
            sink += d[0];
            pkts++;
        } else if (mode == 1) {
            int r = pkt_read_batch(h, 0, out, 256);
            if (r <= 0)
                break;
            for (int i = 0; i < r; i++)
                sink += out[i].data[0];
            pkts += (uint64_t)r;
        } else if (mode == 3) {
            if (RAWV3_WALK(&raw, RAW_PACKET) == 0)
                break;
        } else if (mode == 4) {
            static pkt_slim_t slim[256];
            int r = pkt_read_slim(h, 0, slim, 256);
            if (r <= 0)
                break;
            for (int i = 0; i < r; i++)
                sink += slim[i].data[0];
            pkts += (uint64_t)r;
        } else if (pkt_dispatch(h, -1, cb, NULL) <= 0) {
            break;
        }
    }
}

int main(int argc, char **argv)
{
    static const char *const modes[] = {"pkt_read", "pkt_read_batch", "pkt_dispatch", "raw_v3",
                                        "pkt_read_slim"};
    int mode = -1;
    if (argc == 3)
        for (int i = 0; i < 5; i++)
            if (strcmp(argv[1], modes[i]) == 0)
                mode = i;
    uint64_t n = argc == 3 ? strtoull(argv[2], NULL, 10) : 0;
    if (mode < 0 || n == 0 || n > 400000) {
        fprintf(stderr, "usage: ir pkt_read|pkt_read_batch|pkt_dispatch|raw_v3|pkt_read_slim N (N <= 400000)\n");
        return 2;
    }
    pkt_config_t c;
    pkt_config_default(&c);
    c.buffer_size = 64 << 20;
    c.direction = PKT_DIR_IN;
    pkt_t *rx, *tx;
    if (pkt_open("v0", &c, &rx) != 0 || (pkt_config_default(&c), pkt_open("v1", &c, &tx)) != 0) {
        fprintf(stderr, "ir: open: %s\n", pkt_errmsg());
        return 1;
    }
    /* The floor reads its own ring of the same size on v0; libpkt's handle stays open but idle. */
    if (mode == 3 && rawv3_open(&raw, "v0", 64 << 20) < 0)
        return 1;
    static uint8_t fr[64];
    memset(fr, 0xff, 6); /* broadcast from a locally administered address, ethertype 0x88b5 */
    fr[6] = 2;
    fr[12] = 0x88;
    fr[13] = 0xb5;
    pkt_frame_t frames[64];
    for (int i = 0; i < 64; i++)
        frames[i] = (pkt_frame_t){fr, sizeof fr};
    for (uint64_t s = 0; s < n; s += 64) {
        int k = (int)(n - s < 64 ? n - s : 64);
        if (pkt_write_batch(tx, frames, (size_t)k) != k) {
            fprintf(stderr, "ir: send: %s\n", pkt_errmsg());
            return 1;
        }
    }
    /* the last, partly filled block retires after the 100 ms block timeout */
    struct timespec ts = {0, 300000000};
    nanosleep(&ts, NULL);
    pkt_stats_t st;
    pkt_stats(rx, true, &st);
    if (mode == 3)
        rawv3_stats(&raw, &st.drops, &st.recvs);
    read_all(rx, mode, n);
    printf("read %llu of %llu (recvs %llu drops %llu)\n", (unsigned long long)pkts,
           (unsigned long long)n, (unsigned long long)st.recvs, (unsigned long long)st.drops);
    if (mode == 3)
        rawv3_close(&raw);
    pkt_close(rx);
    pkt_close(tx);
    return pkts == n ? 0 : 1;
}
