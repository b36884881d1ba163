/* Absurd ring sizes: either a working handle whose pkt_get_config reports the effective size
 * (rounded up, never below the request), or a clean negative errno with *out untouched and a
 * message; never a crash, in V3 (block ring) and V2 (immediate) mode. */
#include "common.h"

#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

static void try_size(int64_t size, bool immediate, const raw_tx_t *tx, const uint8_t dst[6])
{
    static uint32_t seq = 1000;
    pkt_config_t c = test_config();
    c.buffer_size = size;
    c.immediate = immediate;
    pkt_t *const sentinel = (pkt_t *)(uintptr_t)0x4321;
    pkt_t *h = sentinel;
    int fds_before = count_open_fds();
    int rc = pkt_open("v0", &c, &h);
    if (rc != 0) {
        CHECKF(rc < 0, "pkt_open returned %d", rc);
        CHECKF(h == sentinel, "failing pkt_open wrote *out");
        CHECKF(pkt_errmsg()[0] != '\0', "failing pkt_open left pkt_errmsg empty");
        CHECKF(count_open_fds() == fds_before, "failing pkt_open leaked %d fds",
               count_open_fds() - fds_before);
        note("buffer_size %lld (%s): %d (%s): %s", (long long)size, immediate ? "V2" : "V3", rc,
             pkt_strerror(rc), pkt_errmsg());
        CHECKF(size > 64 * 1024 * 1024, "buffer_size %lld is reasonable and should open",
               (long long)size);
        return;
    }
    pkt_config_t got;
    CHECK_RC(pkt_get_config(h, &got), 0);
    note("buffer_size %lld (%s): effective %lld", (long long)size, immediate ? "V2" : "V3",
         (long long)got.buffer_size);
    int64_t want_min = size > 0 ? size : 2 * 1024 * 1024;
    CHECKF(got.buffer_size >= want_min, "effective buffer_size %lld < requested %lld",
           (long long)got.buffer_size, (long long)want_min);
    /* the ring works: a 1514-byte frame arrives whole */
    uint32_t s = seq++;
    raw_tx_send_seq(tx, dst, TEST_ETHERTYPE, s, 1514);
    const uint8_t *d;
    pkt_info_t info;
    rc = read_test_frame(h, 3000, false, &d, &info);
    CHECK_OK(rc);
    CHECKF(info.caplen == 1514 && info.len == 1514, "caplen %u len %u, expected 1514",
           info.caplen, info.len);
    CHECK(frame_seq(d, info.caplen, ETH_HDR_LEN) == s);
    CHECK_RC(pkt_close(h), 0);
}

/* Sizes of a GiB or more run in a child that the OOM killer picks first: ring memory is pinned
 * kernel memory outside any cgroup limit, so a library that tried to honour 64 GiB on a smaller
 * machine would otherwise make the kernel kill some other process. */
static void try_size_guarded(int64_t size, bool immediate, const raw_tx_t *tx,
                             const uint8_t dst[6])
{
    if (size < (1LL << 30)) {
        try_size(size, immediate, tx, dst);
        return;
    }
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        FILE *f = fopen("/proc/self/oom_score_adj", "w");
        if (f != NULL) {
            fputs("1000", f);
            fclose(f);
        }
        try_size(size, immediate, tx, dst);
        fflush(NULL);
        _exit(0);
    }
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid);
    if (WIFSIGNALED(st))
        FAIL("buffer_size %lld (%s): the opening process died of signal %d%s", (long long)size,
             immediate ? "V2" : "V3", WTERMSIG(st),
             WTERMSIG(st) == SIGKILL ? " (OOM killer: the ring size was not capped)" : "");
    CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 0, "buffer_size %lld: child failed",
           (long long)size);
}

int main(void)
{
    test_init("test_buffer_sizes", 80);
    raw_tx_t tx = raw_tx_open("v1");
    uint8_t v0mac[6];
    mac_of("v0", v0mac);
    const int64_t sizes[] = {1,
                             4096,
                             4097,
                             65536,
                             2 * 1024 * 1024,
                             -1,
                             0,
                             INT32_MAX,
                             (int64_t)UINT32_MAX + 1,
                             64LL * 1024 * 1024 * 1024,
                             INT64_MAX / 2,
                             INT64_MAX};
    for (int mode = 0; mode < 2; mode++)
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
            try_size_guarded(sizes[i], mode == 1, &tx, v0mac);
    raw_tx_close(&tx);
    return test_pass();
}
