// The C reference of the Zig benchmark (bench.zig): bench/refread.h's loop, compiled as C.
#include "refread.h"

int64_t zigbench_ref_drain(pkt_t *h, int slim, int batch, int64_t n, int poll, uint64_t *sink,
                           int *rc)
{
    return ref_drain(h, slim ? 1 : 0, batch, n, poll, sink, rc);
}
