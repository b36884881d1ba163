/* Helpers shared by the C tests. Each test is one small program that runs inside its own
 * network namespace (netns.sh) with a veth pair v0 <-> v1, and exits 0 (pass), 1 (fail) or
 * 77 (cannot run here). */
#ifndef PKT_TEST_COMMON_H
#define PKT_TEST_COMMON_H

/* First, so every test checks that the header stands on its own. */
#include <pkt.h>

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXIT_SKIP 77

/* Local experimental ethertypes (IEEE 802 "local experimental 1/2"): nothing else in a fresh
 * namespace sends them, so any frame carrying them was sent by the test. */
#define TEST_ETHERTYPE  0x88b5
#define OTHER_ETHERTYPE 0x88b6

/* Frame layout built by frame_build: dst(6) src(6) type(2) "pkT!" seq(4, big endian) filler. */
#define ETH_HDR_LEN      14
#define MARKER           "pkT!"
#define MARKER_LEN       4
#define FRAME_MIN_MARKED (ETH_HDR_LEN + MARKER_LEN + 4)

/* linux/if_packet.h packet types, spelled out so tests need not include kernel headers. */
#define PT_HOST      0
#define PT_BROADCAST 1
#define PT_MULTICAST 2
#define PT_OTHERHOST 3
#define PT_OUTGOING  4

#define RX_COPY_MAX 2048

/* ---- failing, skipping, checking ---- */

__attribute__((noreturn, format(printf, 3, 4)))
void fail_at(const char *file, int line, const char *fmt, ...);
__attribute__((noreturn))
void fail_check_at(const char *file, int line, const char *cond);
__attribute__((noreturn, format(printf, 4, 5)))
void fail_cond_at(const char *file, int line, const char *cond, const char *fmt, ...);
__attribute__((noreturn))
void fail_rc_at(const char *file, int line, const char *expr, long long rc, long long want);
__attribute__((noreturn, format(printf, 1, 2)))
void skip_test(const char *fmt, ...);
int check_ok_at(long long rc, const char *file, int line, const char *expr);
__attribute__((format(printf, 1, 2)))
void note(const char *fmt, ...);

#define FAIL(...) fail_at(__FILE__, __LINE__, __VA_ARGS__)
#define SKIP(...) skip_test(__VA_ARGS__)
#define CHECK(cond)                                                   \
    do {                                                              \
        if (!(cond))                                                  \
            fail_check_at(__FILE__, __LINE__, #cond);                 \
    } while (0)
/* CHECKF(cond, fmt, ...): like CHECK, with a message saying what was seen. */
#define CHECKF(cond, ...)                                             \
    do {                                                              \
        if (!(cond))                                                  \
            fail_cond_at(__FILE__, __LINE__, #cond, __VA_ARGS__);     \
    } while (0)
/* CHECK_RC(call, want): the call must return exactly want (a count or a -errno). */
#define CHECK_RC(expr, want)                                          \
    do {                                                              \
        long long rc_ = (long long)(expr);                            \
        long long want_ = (long long)(want);                          \
        if (rc_ != want_)                                             \
            fail_rc_at(__FILE__, __LINE__, #expr, rc_, want_);        \
    } while (0)
/* CHECK_OK(call): the call must return >= 0; evaluates to its result. */
#define CHECK_OK(expr) check_ok_at((long long)(expr), __FILE__, __LINE__, #expr)

/* ---- test life cycle ---- */

/* Names the test, requires the netns harness (so no test ever touches the host's network) and
 * arms a watchdog that fails the test after watchdog_s seconds. */
void test_init(const char *name, int watchdog_s);
/* Re-arms the watchdog: fail unless the test finishes within seconds from now. */
void watchdog_arm(int seconds);
int test_pass(void);

/* ---- clocks ---- */

int64_t mono_ns(void);
int64_t mono_ms(void);
int64_t real_ns(void);
void sleep_ms(int ms);

/* ---- interfaces and shell ---- */

int ifindex_of(const char *ifname);       /* fails the test if the interface does not exist */
void mac_of(const char *ifname, uint8_t mac[6]);
unsigned iface_flags(const char *ifname); /* /sys/class/net/IF/flags */
/* Runs a shell command; returns its exit status (-1 if it did not exit normally). */
__attribute__((format(printf, 1, 2))) int sh(const char *fmt, ...);
/* Runs a shell command that must succeed. */
__attribute__((format(printf, 1, 2))) void sh_ok(const char *fmt, ...);
/* Waits (bounded) until both ends of the veth report operstate "up". */
void wait_link_up(const char *ifname, int timeout_ms);
/* Deletes v0/v1 if present and creates a fresh, up veth pair v0 <-> v1. */
void recreate_veth(void);

/* ---- frames ---- */

/* Builds a frame of len bytes (len >= 14); frames of FRAME_MIN_MARKED bytes or more carry the
 * marker and seq, so they can be recognised and checked byte by byte. */
void frame_build(uint8_t *buf, size_t len, const uint8_t dst[6], const uint8_t src[6],
                 uint16_t ethertype, uint32_t seq);
/* The seq of a marked frame whose marker starts at data + off, or -1. */
int64_t frame_seq(const uint8_t *data, size_t caplen, size_t off);
/* Sent by the test: Ethernet frames with one of the test ethertypes, or (cooked) the marker. */
bool is_test_frame(const uint8_t *data, size_t caplen, bool cooked);
/* Fails with the first differing offset. */
void check_bytes_at(const char *file, int line, const uint8_t *got, size_t got_len,
                    const uint8_t *want, size_t want_len);
#define CHECK_BYTES(got, got_len, want, want_len) \
    check_bytes_at(__FILE__, __LINE__, (got), (got_len), (want), (want_len))

extern const uint8_t MAC_BROADCAST[6];
extern const uint8_t MAC_MULTICAST[6];
extern const uint8_t MAC_OTHER[6];
extern const uint8_t MAC_SRC_TEST[6];

/* ---- sending without libpkt: a plain AF_PACKET socket (protocol 0: it receives nothing) ---- */

typedef struct raw_tx {
    int fd;
    int ifindex;
    uint8_t mac[6];
} raw_tx_t;

raw_tx_t raw_tx_open(const char *ifname);
/* Sends one frame; retries briefly on ENOBUFS/EAGAIN; returns 0 or -errno. */
int raw_tx_send_rc(const raw_tx_t *t, const void *frame, size_t len);
void raw_tx_send(const raw_tx_t *t, const void *frame, size_t len);
/* Builds and sends a marked frame. */
void raw_tx_send_seq(const raw_tx_t *t, const uint8_t dst[6], uint16_t ethertype, uint32_t seq,
                     size_t len);
void raw_tx_close(raw_tx_t *t);

/* ---- reading with libpkt ---- */

/* The defaults plus a 200 ms read timeout, so reads come back regularly and helpers can keep
 * their own deadlines. */
pkt_config_t test_config(void);
/* Sets immediate mode. A TPACKET_V2 ring has one frame slot per packet, sized for the largest
 * packet the interface may deliver (about 64 KiB with GSO/GRO on, as on veth), so the default
 * 2 MiB holds only some 28 packets; tests that send a burst before reading give immediate
 * handles a 32 MiB ring (unless they set a size of their own). */
void config_mode(pkt_config_t *c, bool immediate);
pkt_t *open_ok_at(const char *file, int line, const char *ifname, const pkt_config_t *cfg);
/* pkt_open that must succeed. */
#define open_ok(ifname, cfg) open_ok_at(__FILE__, __LINE__, (ifname), (cfg))

/* Reads until a test frame arrives (skipping anything else, and nil reads, which must set *data
 * to NULL) or timeout_ms elapses. Returns caplen (> 0), -ETIMEDOUT at the deadline, or the
 * first other error of pkt_read. The handle needs a read timeout (see test_config). */
int read_test_frame(pkt_t *h, int timeout_ms, bool cooked, const uint8_t **data,
                    pkt_info_t *info);

typedef struct rx_frame {
    pkt_info_t info;
    uint8_t data[RX_COPY_MAX];
} rx_frame_t;

/* Reads test frames until none arrives for idle_ms; copies each into out. Fails the test on any
 * read error or if more than max frames arrive. Returns the count. */
int collect_frames(pkt_t *h, bool cooked, int idle_ms, rx_frame_t *out, int max);
/* The same with a predicate of the caller's instead of is_test_frame. */
typedef bool (*frame_pred)(const uint8_t *data, const pkt_info_t *info, void *arg);
int collect_matching(pkt_t *h, frame_pred pred, void *arg, int idle_ms, rx_frame_t *out,
                     int max);

/* Waits (bounded) until pkt_stats(total).recvs >= n; returns the last total. */
pkt_stats_t wait_recvs(pkt_t *h, uint64_t n, int timeout_ms);

/* ---- process resources ---- */

int count_open_fds(void);
long rss_kib(void);

/* ---- BPF ---- */

#define BPF_STMT_(code, k) ((pkt_bpf_insn_t){(uint16_t)(code), 0, 0, (uint32_t)(k)})
#define BPF_JUMP_(code, k, jt, jf) ((pkt_bpf_insn_t){(uint16_t)(code), (jt), (jf), (uint32_t)(k)})
/* Classic BPF opcodes used by the tests (linux/filter.h values). */
#define OP_LD_IMM   0x00 /* ld #k */
#define OP_LDH_ABS  0x28 /* ldh [k] */
#define OP_JEQ_K    0x15 /* jeq #k, jt, jf */
#define OP_JA       0x05 /* ja k */
#define OP_RET_K    0x06 /* ret #k */
#define OP_DIV_K    0x34 /* div #k */
#define OP_LD_MEM   0x60 /* ld M[k] */

/* ldh [12]; jeq #ethertype, 0, 1; ret #ret_k; ret #0 (4 instructions). */
/* poll(fd, POLLIN) for up to timeout_ms: true when readable; fails on POLLERR/POLLNVAL. */
bool fd_readable(int fd, int timeout_ms);
void filter_ethertype(pkt_bpf_insn_t prog[4], uint16_t ethertype, uint32_t ret_k);
/* A valid program of n instructions (n >= 4): n - 4 no-ops, then filter_ethertype. Longer than
 * the kernel takes once n + libpkt's prefix exceeds 4096, so it runs in user space. Free it. */
pkt_bpf_insn_t *filter_long(size_t n, uint16_t ethertype);

/* ---- savefiles: temporary files and the tools that read them (tcpdump, tshark) ---- */

/* A fresh directory (mode 0700) under /tmp, created on first use and removed with its contents
 * when the test exits, also on failure (after unmounting anything the test mounted on it or
 * below it). */
const char *test_tmpdir(void);
/* The path of name inside test_tmpdir(), in one of 8 static buffers used in turn. */
const char *tmp_path(const char *name);
/* Moves the test into a mount namespace of its own whose mounts do not propagate anywhere, so
 * that what it mounts vanishes with it. Skips the test when that is not allowed. */
void private_mount_ns(void);
/* Runs a shell command; returns what it wrote on standard output (malloc'd, NUL-terminated; free
 * it) and its exit status in *status (-1 if it did not exit normally). */
__attribute__((format(printf, 2, 3))) char *sh_output(int *status, const char *fmt, ...);
/* Splits text into lines in place (the newlines become NULs); fills lines[0..max) and returns
 * the number of lines (without a trailing empty one). */
int split_lines(char *text, char **lines, int max);
/* Splits a line into tab-separated fields in place; returns the count (up to max). */
int split_tabs(char *line, char **fields, int max);
/* "SEC.FRACTION" (any number of fraction digits, at most 9) as nanoseconds since the epoch. */
int64_t parse_epoch_ns(const char *s);

/* One packet as `tcpdump -r FILE -nn -tt -xx` prints it. */
typedef struct tcpdump_pkt {
    int64_t ts_ns;     /* the printed time, in nanoseconds */
    int frac_digits;   /* digits printed after the point: 6, or 9 with --nano */
    uint32_t len;      /* the last "length N" on the summary line (the original length) */
    size_t caplen;     /* bytes in the hex dump */
    uint8_t bytes[RX_COPY_MAX + 64];
} tcpdump_pkt_t;

/* Reads a savefile with `tcpdump -r PATH -nn -tt -xx` (and --nano when nano). Fails the test
 * if tcpdump exits non-zero or reports an error (a torn record gives "truncated dump file").
 * Fills out[0..max) and returns the packet count; fails if there are more than max. */
int tcpdump_read(const char *path, bool nano, tcpdump_pkt_t *out, int max);
/* Runs `tshark -r PATH -T fields FIELDS` (FIELDS such as "-e frame.len -e frame.cap_len") and
 * fails the test unless it exits 0 without complaining on stderr about the file; returns its
 * output (malloc'd; free it): one line per packet, fields separated by tabs. */
char *tshark_fields(const char *path, const char *fields);

#endif
