/* libFuzzer target for libpkt's savefile reader: each input is a file, read to its end (or to
 * the error) through both ways a handle reads: a memory mapping (a memfd is a regular file) and
 * a stream (a pipe, read in chunks as stdin would be), with a user-space filter on the mapped
 * read. Checks what the contract promises: a read ends (-ENODATA or -EBADMSG, never another
 * code), caplen within the snap length cap, the stream and the mapping give the same packets
 * and the same end. Crashes, hangs and leaks are libFuzzer's and ASan's to find.
 *
 * Built and run by tests/fuzz/run.sh (clang -fsanitize=fuzzer,address,undefined). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pkt.h"

#define MAXREC 4096

typedef struct {
    int64_t sec;
    uint32_t nsec, caplen, len;
    uint64_t hash;
} rec_t;

static uint64_t fnv(const uint8_t *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

/* Reads the handle to its end; returns the packet count (at most MAXREC recorded) and the end. */
static size_t drain(pkt_t *h, rec_t *r, int *end)
{
    size_t n = 0;
    for (;;) {
        const uint8_t *d;
        pkt_info_t i;
        int rc = pkt_read(h, 1, &d, &i);
        if (rc < 0) {
            *end = rc;
            return n;
        }
        if (i.caplen > 262144)
            abort(); /* the cap the header documents */
        if (n < MAXREC)
            r[n] = (rec_t){i.sec, i.nsec, i.caplen, i.len, d ? fnv(d, i.caplen) : 0};
        n++;
    }
}

static rec_t a[MAXREC], b[MAXREC];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The mapped way. */
    int mfd = memfd_create("fuzz", MFD_CLOEXEC);
    if (mfd < 0 || (size && write(mfd, data, size) != (ssize_t)size) || lseek(mfd, 0, SEEK_SET) != 0)
        abort();
    pkt_t *h;
    size_t na = 0, nb = 0;
    int ea = 0, eb = 0;
    int ra = pkt_open_offline_fd(mfd, NULL, &h);
    if (ra == 0) {
        na = drain(h, a, &ea);
        pkt_close(h);
    }
    /* The same with a filter in user space (a program over the first bytes): must end too. */
    if (lseek(mfd, 0, SEEK_SET) == 0 && pkt_open_offline_fd(mfd, NULL, &h) == 0) {
        pkt_bpf_insn_t *prog;
        size_t len;
        if (pkt_compile("ip or arp or len > 100", pkt_dlt(h), 262144, PKT_COMPILE_OPTIMIZE, &prog, &len) == 0) {
            (void)pkt_setfilter(h, prog, len);
            pkt_free_prog(prog);
        }
        int e;
        (void)drain(h, b, &e);
        pkt_close(h);
    }
    close(mfd);
    /* The streamed way: a pipe, written by a child thread-free fork would be heavy; the input
     * fits the pipe when small, so write what fits and close. */
    if (size <= 65536) {
        int p[2];
        if (pipe2(p, O_CLOEXEC) != 0)
            abort();
        (void)fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
        if (size && write(p[1], data, size) != (ssize_t)size)
            abort();
        close(p[1]);
        int rb = pkt_open_offline_fd(p[0], NULL, &h);
        close(p[0]);
        if ((ra == 0) != (rb == 0))
            abort(); /* one way opens, the other not */
        if (rb == 0) {
            nb = drain(h, b, &eb);
            pkt_close(h);
            if (na != nb || ea != eb)
                abort(); /* the stream and the mapping disagree */
            for (size_t k = 0; k < na && k < MAXREC; k++)
                if (memcmp(&a[k], &b[k], sizeof a[k]) != 0)
                    abort();
        }
    }
    if (ra == 0 && ea != -ENODATA && ea != -EBADMSG)
        abort(); /* the only two ends the contract has */
    return 0;
}
