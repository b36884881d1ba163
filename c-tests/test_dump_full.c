/* A full disk: captured frames are written to a 64 KiB tmpfs (mounted in the test's own mount
 * namespace, so it vanishes with the test) until the dumper reports -ENOSPC. The error sticks;
 * the file is cut back to its last whole record, so tcpdump and tshark read it without a
 * "truncated" error: with a flush after each record, every record whose write returned 0 is in
 * it; with buffered writes, the first records in order, as many as pkt_dump_bytes says. */
#include "common.h"

#include <sys/mount.h>
#include <sys/stat.h>

#define NFRAMES 40
#define FRAME_LEN 1000
#define MAX_RECORDS 10000

static rx_frame_t got[NFRAMES + 1];

static void capture(void)
{
    pkt_config_t c = test_config();
    pkt_t *h = open_ok("v0", &c);
    raw_tx_t tx = raw_tx_open("v1");
    uint8_t v0mac[6];
    mac_of("v0", v0mac);
    for (uint32_t i = 0; i < NFRAMES; i++)
        raw_tx_send_seq(&tx, v0mac, TEST_ETHERTYPE, i, FRAME_LEN);
    int n = collect_frames(h, false, 500, got, NFRAMES);
    CHECKF(n == NFRAMES, "%d of %d frames", n, NFRAMES);
    raw_tx_close(&tx);
    CHECK_RC(pkt_close(h), 0);
}

/* A fresh 64 KiB tmpfs on directory name; returns the path of file on it. */
static const char *tiny_fs(const char *name, const char *file)
{
    const char *dir = tmp_path(name);
    CHECK(mkdir(dir, 0755) == 0);
    if (mount("tmpfs", dir, "tmpfs", 0, "size=64k") != 0)
        FAIL("mount -t tmpfs -o size=64k %s: %s", dir, strerror(errno));
    static char paths[4][300];
    static int next;
    char *p = paths[next++ % 4];
    snprintf(p, sizeof paths[0], "%s/%s", dir, file);
    return p;
}

/* Writes the frames over and over until an error; returns how many writes (and flushes, with
 * flush_each) returned 0. */
static int fill(const char *path, uint32_t flags, bool flush_each, int64_t *bytes)
{
    pkt_dumper_t *d = NULL;
    CHECK_RC(pkt_dump_open(path, PKT_DLT_EN10MB, 0, flags, &d), 0);
    int ok = 0, rc = 0;
    while (ok < MAX_RECORDS) {
        const rx_frame_t *f = &got[ok % NFRAMES];
        rc = pkt_dump_write(d, f->data, &f->info);
        if (rc == 0 && flush_each)
            rc = pkt_dump_flush(d);
        if (rc != 0)
            break;
        ok++;
    }
    CHECKF(rc == -ENOSPC, "%s: %d records written, then %d (%s): %s", path, ok, rc,
           pkt_strerror(rc), pkt_errmsg());
    CHECKF(strstr(pkt_errmsg(), path) != NULL, "pkt_errmsg \"%s\"", pkt_errmsg());
    /* sticky */
    CHECK_RC(pkt_dump_write(d, got[0].data, &got[0].info), -ENOSPC);
    CHECK_RC(pkt_dump_flush(d), -ENOSPC);
    CHECK_RC(pkt_dump_stats(d, &(pkt_stats_t){1, 0}), 0);
    *bytes = pkt_dump_bytes(d);
    CHECK_RC(pkt_dump_close(d), -ENOSPC);
    struct stat sb;
    CHECK(stat(path, &sb) == 0);
    CHECKF(sb.st_size == *bytes, "%s: %lld bytes, pkt_dump_bytes said %lld", path,
           (long long)sb.st_size, (long long)*bytes);
    note("%s: %d records accepted, %lld bytes kept", path, ok, (long long)*bytes);
    return ok;
}

/* Reads the file with both tools; returns the packet count after checking each record. */
static int read_back(const char *path, bool nano)
{
    static tcpdump_pkt_t p[MAX_RECORDS / 10];
    int n = tcpdump_read(path, nano, p, MAX_RECORDS / 10);
    for (int i = 0; i < n; i++) {
        const rx_frame_t *f = &got[i % NFRAMES];
        CHECK_BYTES(p[i].bytes, p[i].caplen, f->data, f->info.caplen);
    }
    char *text = tshark_fields(path, "-e frame.len");
    char *lines[MAX_RECORDS / 10];
    int m = split_lines(text, lines, MAX_RECORDS / 10);
    free(text);
    CHECKF(m == n, "%s: tshark reads %d packets, tcpdump %d", path, m, n);
    return n;
}

int main(void)
{
    test_init("test_dump_full", 90);
    capture();
    private_mount_ns();
    int64_t bytes;

    /* flushed after each record: exactly the records accepted */
    const char *a = tiny_fs("a", "full.pcap");
    int ok = fill(a, 0, true, &bytes);
    int n = read_back(a, false);
    CHECKF(n == ok, "%s: %d packets in the file, %d records accepted", a, n, ok);
    CHECK(bytes == 24 + (int64_t)n * (16 + FRAME_LEN));
    CHECKF(bytes > 60 * 1024, "%s: only %lld bytes before the disk was full", a, (long long)bytes);

    /* pcapng, nanoseconds */
    const char *b = tiny_fs("b", "full.pcapng");
    ok = fill(b, PKT_DUMP_PCAPNG | PKT_DUMP_NANO, true, &bytes);
    n = read_back(b, true);
    CHECKF(n == ok, "%s: %d packets in the file, %d records accepted", b, n, ok);

    /* buffered: whole records only, the first ones; those buffered at the error are lost */
    const char *c = tiny_fs("c", "full.pcap");
    ok = fill(c, 0, false, &bytes);
    n = read_back(c, false);
    CHECKF(n > 0 && n <= ok, "%s: %d packets in the file, %d records accepted", c, n, ok);
    CHECK(bytes == 24 + (int64_t)n * (16 + FRAME_LEN));
    return test_pass();
}
