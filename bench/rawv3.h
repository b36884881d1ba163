/*
 * The floor: a minimal raw TPACKET_V3 reader in C, without libpkt, for the benchmark to compare
 * libpkt's read paths with (issue 16). It does what any V3 reader must and nothing more:
 *
 *   - the ring geometry libpkt picks for the same buffer size (src/ring/geometry.rs: max(4,
 *     size / 2 MiB) blocks, a power of two between 128 KiB and 2 MiB each), the same 100 ms
 *     block retire timeout, bound to one interface, ETH_P_ALL;
 *   - blocks taken in order while their status says TP_STATUS_USER (acquire load), packets
 *     walked by tp_next_offset, the header and first data line of the packet RAWV3_AHEAD on
 *     prefetched as libpkt's walk does (stride of the current packet times the distance), the
 *     block handed back (release store) as soon as its last packet was seen;
 *   - plain poll() when the next block is not ready.
 *
 * No checks of the kernel's offsets, no timestamps or metadata, no VLAN reinsertion, no
 * statistics in the read path: what is left is the least a V3 reader can do per packet, so
 * its cost per packet is the floor a library can approach. Per packet it runs the caller's
 * RAWV3_PACKET(data) (the benchmark's: count it, touch its first byte).
 *
 * Header-only: bench/cap.c (mode raw_v3) and bench/ir.c include it.
 */
#ifndef PKT_BENCH_RAWV3_H
#define PKT_BENCH_RAWV3_H

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef RAWV3_AHEAD
#define RAWV3_AHEAD 24
#endif

struct rawv3 {
    int fd;
    uint8_t *map;
    size_t block_size;
    unsigned block_nr;
    unsigned cur;
};

/* Opens the ring on IFNAME (buffer of about BYTES) as libpkt would size it. 0 or -errno, with
 * a message on stderr. */
static int rawv3_open(struct rawv3 *r, const char *ifname, long long bytes)
{
    memset(r, 0, sizeof *r);
    r->fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    if (r->fd < 0)
        return -errno;
    int v = TPACKET_V3;
    if (setsockopt(r->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) < 0)
        goto fail;
    long long per = bytes / 4;
    if (per < (128 << 10))
        per = 128 << 10;
    if (per > (2 << 20))
        per = 2 << 20;
    size_t block = 1;
    while (block * 2 <= (size_t)per)
        block *= 2;
    unsigned nr = (unsigned)((bytes + (long long)block - 1) / (long long)block);
    if (nr < 4)
        nr = 4;
    struct tpacket_req3 req;
    memset(&req, 0, sizeof req);
    req.tp_block_size = (unsigned)block;
    req.tp_block_nr = nr;
    req.tp_frame_size = (unsigned)block;
    req.tp_frame_nr = nr;
    req.tp_retire_blk_tov = 100;
    if (setsockopt(r->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) < 0)
        goto fail;
    void *m = mmap(NULL, block * nr, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, 0);
    if (m == MAP_FAILED)
        goto fail;
    r->map = m;
    r->block_size = block;
    r->block_nr = nr;
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = (int)if_nametoindex(ifname);
    if (sll.sll_ifindex == 0 || bind(r->fd, (struct sockaddr *)&sll, sizeof sll) < 0)
        goto fail;
    return 0;
fail:;
    int e = errno;
    fprintf(stderr, "rawv3: %s: %s\n", ifname, strerror(e));
    if (r->map)
        munmap(r->map, r->block_size * r->block_nr);
    close(r->fd);
    r->fd = -1;
    return -e;
}

static inline struct tpacket_block_desc *rawv3_block(struct rawv3 *r)
{
    return (struct tpacket_block_desc *)(r->map + (size_t)r->cur * r->block_size);
}

static inline int rawv3_ready(struct rawv3 *r)
{
    return (__atomic_load_n(&rawv3_block(r)->hdr.bh1.block_status, __ATOMIC_ACQUIRE) &
            TP_STATUS_USER) != 0;
}

/* Walks the current block if it is the user's (RAWV3_PACKET for each packet), hands it back
 * and moves on. Returns the packets walked, 0 if the block was not ready. */
#define RAWV3_WALK(r, RAWV3_PACKET)                                                              \
    ({                                                                                           \
        struct tpacket_block_desc *bd_ = rawv3_block(r);                                         \
        unsigned n_ = 0;                                                                         \
        if (rawv3_ready(r)) {                                                                    \
            n_ = bd_->hdr.bh1.num_pkts;                                                          \
            uint8_t *p_ = (uint8_t *)bd_ + bd_->hdr.bh1.offset_to_first_pkt;                     \
            for (unsigned i_ = 0; i_ < n_; i_++) {                                               \
                struct tpacket3_hdr *h_ = (struct tpacket3_hdr *)p_;                             \
                uint32_t stride_ = h_->tp_next_offset;                                           \
                __builtin_prefetch(p_ + (size_t)stride_ * RAWV3_AHEAD);                          \
                __builtin_prefetch(p_ + (size_t)stride_ * RAWV3_AHEAD + 64);                     \
                RAWV3_PACKET(p_ + h_->tp_mac);                                                   \
                p_ += stride_;                                                                   \
            }                                                                                    \
            __atomic_store_n(&bd_->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);   \
            (r)->cur = ((r)->cur + 1) % (r)->block_nr;                                          \
        }                                                                                        \
        n_;                                                                                      \
    })

/* Waits (poll, no timeout) until the current block is ready or a signal arrives. */
static inline int rawv3_wait(struct rawv3 *r)
{
    struct pollfd pfd = {.fd = r->fd, .events = POLLIN | POLLERR, .revents = 0};
    if (rawv3_ready(r))
        return 0;
    return poll(&pfd, 1, -1) < 0 ? -errno : 0;
}

/* The kernel's counters since the last call (PACKET_STATISTICS resets them). */
static inline void rawv3_stats(struct rawv3 *r, uint64_t *drops, uint64_t *recvs)
{
    struct tpacket_stats_v3 st;
    socklen_t len = sizeof st;
    memset(&st, 0, sizeof st);
    if (getsockopt(r->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) {
        *drops = st.tp_drops;
        *recvs = st.tp_packets;
    }
}

static inline void rawv3_close(struct rawv3 *r)
{
    if (r->fd < 0)
        return;
    munmap(r->map, r->block_size * r->block_nr);
    close(r->fd);
    r->fd = -1;
}

#endif
