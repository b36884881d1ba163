/*
 * refread.h: the C reference readers of the binding benchmarks (bindings/go/bench,
 * bindings/zig/bench): libpkt's batch reads called straight from C, touching the first byte of
 * each packet, as bench/cap.c's readers do. A binding's read path is measured as a ratio to
 * these, in the same process, on the same traffic.
 *
 * ref_drain(h, mode, batch, n, poll, &sink, &rc) reads up to n packets in calls of `batch`
 * (<= REF_MAX_BATCH) descriptors, mode 0 pkt_read_batch, 1 pkt_read_slim, and returns how many
 * it read; it stops early at the first code <= 0, left in *rc (0 when n were read).
 */
#ifndef PKT_BENCH_REFREAD_H
#define PKT_BENCH_REFREAD_H

#include <pkt.h>
#include <stddef.h>
#include <stdint.h>

#define REF_MAX_BATCH 256

static inline int64_t ref_drain(pkt_t *h, int mode, int batch, int64_t n, int poll,
                                uint64_t *sink, int *rc)
{
    pkt_packet_t out[REF_MAX_BATCH];
    pkt_slim_t slim[REF_MAX_BATCH];
    int64_t got = 0;
    uint64_t s = 0;
    if (batch < 1 || batch > REF_MAX_BATCH)
        batch = REF_MAX_BATCH;
    *rc = 0;
    while (got < n) {
        size_t want = n - got < batch ? (size_t)(n - got) : (size_t)batch;
        int r;
        if (mode == 0) {
            r = pkt_read_batch(h, poll, out, want);
            for (int i = 0; i < r; i++)
                s += out[i].data[0];
        } else {
            r = pkt_read_slim(h, poll, slim, want);
            for (int i = 0; i < r; i++)
                s += slim[i].data[0];
        }
        if (r <= 0) {
            *rc = r;
            break;
        }
        got += r;
    }
    *sink += s;
    return got;
}

#endif
