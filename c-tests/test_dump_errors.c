/* Savefile errors and edge cases: bad arguments, unwritable paths (no such directory, a
 * directory, a read-only file system, /proc) give a clean negative errno with the path in
 * pkt_errmsg and leak nothing; "-" writes to standard output and leaves it open; a closed
 * standard output and a pipe without reader give -EBADF and a sticky -EPIPE; the link type
 * mapping and the file mode. */
#include "common.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static pkt_dumper_t *const SENTINEL = (pkt_dumper_t *)&SENTINEL;

static pkt_info_t info_of(uint32_t caplen)
{
    pkt_info_t i;
    memset(&i, 0, sizeof i);
    i.sec = 1700000000;
    i.nsec = 123456789;
    i.caplen = caplen;
    i.len = caplen;
    i.protocol = TEST_ETHERTYPE;
    i.linktype = PKT_LINKTYPE_ETHERNET;
    i.ifindex = 1;
    return i;
}

/* pkt_dump_open must fail with want (or any negative errno when want is 0), leave *out alone,
 * name the path in pkt_errmsg and leak no descriptor. */
static void open_fails(const char *path, uint16_t dlt, uint32_t snaplen, uint32_t flags, int want)
{
    int fds = count_open_fds();
    pkt_dumper_t *d = SENTINEL;
    int rc = pkt_dump_open(path, dlt, snaplen, flags, &d);
    if (want != 0)
        CHECKF(rc == want, "pkt_dump_open(%s): %d (%s), expected %d (%s); %s", path ? path : "NULL",
               rc, pkt_strerror(rc), want, pkt_strerror(want), pkt_errmsg());
    else
        CHECKF(rc < 0, "pkt_dump_open(%s): %d", path, rc);
    CHECK(d == SENTINEL);
    CHECK(pkt_errmsg()[0] != '\0');
    if (path != NULL && rc != -EINVAL)
        CHECKF(strstr(pkt_errmsg(), path) != NULL, "pkt_errmsg \"%s\" does not name %s",
               pkt_errmsg(), path);
    CHECK(count_open_fds() == fds);
    note("pkt_dump_open(%s): %s", path ? path : "NULL", pkt_errmsg());
}

static void bad_arguments(void)
{
    const char *p = tmp_path("bad.pcap");
    open_fails(NULL, PKT_DLT_EN10MB, 0, 0, -EINVAL);
    open_fails(p, 3, 0, 0, -EINVAL);             /* no such link type */
    open_fails(p, PKT_LINKTYPE_NONE, 0, 0, -EINVAL);
    open_fails(p, pkt_dlt(NULL), 0, 0, -EINVAL); /* what pkt_dlt gives for NULL */
    open_fails(p, PKT_DLT_EN10MB, 0, 4, -EINVAL); /* unknown flag */
    open_fails(p, PKT_DLT_EN10MB, 262145, 0, -EINVAL);
    CHECK_RC(pkt_dump_open(p, PKT_DLT_EN10MB, 0, 0, NULL), -EINVAL);
    CHECK(access(p, F_OK) != 0); /* nothing was created for bad arguments */

    pkt_dumper_t *d = NULL;
    CHECK_RC(pkt_dump_open(p, PKT_DLT_EN10MB, 0, PKT_DUMP_PCAPNG, &d), 0);
    uint8_t frame[60];
    frame_build(frame, sizeof frame, MAC_BROADCAST, MAC_SRC_TEST, TEST_ETHERTYPE, 1);
    pkt_info_t i = info_of(60);
    CHECK_RC(pkt_dump_write(NULL, frame, &i), -EINVAL);
    CHECK_RC(pkt_dump_write(d, frame, NULL), -EINVAL);
    CHECK_RC(pkt_dump_write(d, NULL, &i), -EINVAL);
    pkt_info_t bad = i;
    bad.len = 59; /* shorter than caplen */
    CHECK_RC(pkt_dump_write(d, frame, &bad), -EINVAL);
    bad = i;
    bad.nsec = 1000000000;
    CHECK_RC(pkt_dump_write(d, frame, &bad), -EINVAL);
    bad = i;
    bad.sec = -1;
    CHECK_RC(pkt_dump_write(d, frame, &bad), -EINVAL);
    CHECK_RC(pkt_dump_stats(d, NULL), -EINVAL);
    CHECK_RC(pkt_dump_stats(NULL, NULL), -EINVAL);
    CHECK_RC(pkt_dump_flush(NULL), -EINVAL);
    CHECK_RC(pkt_dump_bytes(NULL), -EINVAL);
    /* none of that sticks: the dumper still writes */
    CHECK_RC(pkt_dump_write(d, frame, &i), 0);
    pkt_info_t empty = info_of(0);
    empty.len = 60;
    CHECK_RC(pkt_dump_write(d, NULL, &empty), 0); /* caplen 0: data may be NULL */
    CHECK_RC(pkt_dump_close(d), 0);
    CHECK_RC(pkt_dump_close(NULL), 0);
    char *t = tshark_fields(p, "-e frame.len -e frame.cap_len");
    CHECKF(strcmp(t, "60\t60\n60\t0\n") == 0, "tshark: \"%s\"", t);
    free(t);
}

static void unwritable_paths(void)
{
    open_fails("/nonexistent-dir-of-libpkt/x.pcap", PKT_DLT_EN10MB, 0, 0, -ENOENT);
    open_fails(test_tmpdir(), PKT_DLT_EN10MB, 0, 0, -EISDIR);
    open_fails("", PKT_DLT_EN10MB, 0, 0, -ENOENT);
    /* root ignores permissions, but not a read-only file system */
    private_mount_ns();
    const char *ro = tmp_path("ro");
    CHECK(mkdir(ro, 0755) == 0);
    if (mount("tmpfs", ro, "tmpfs", MS_RDONLY, "size=64k") != 0)
        FAIL("mount -o ro tmpfs %s: %s", ro, strerror(errno));
    char path[300];
    snprintf(path, sizeof path, "%s/x.pcap", ro);
    open_fails(path, PKT_DLT_EN10MB, 0, PKT_DUMP_PCAPNG, -EROFS);
    /* nor /proc, where files cannot be created */
    open_fails("/proc/libpkt-test.pcap", PKT_DLT_EN10MB, 0, 0, 0);
}

static void standard_output(void)
{
    signal(SIGPIPE, SIG_IGN);
    fflush(stdout);
    int saved = dup(1);
    CHECK(saved >= 0);

    /* "-" on a regular file */
    const char *p = tmp_path("stdout.pcap");
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    CHECK(fd >= 0);
    CHECK(dup2(fd, 1) == 1);
    close(fd);
    pkt_dumper_t *d = NULL;
    CHECK_RC(pkt_dump_open("-", PKT_DLT_EN10MB, 0, PKT_DUMP_NANO, &d), 0);
    uint8_t frame[100];
    for (uint32_t s = 0; s < 3; s++) {
        frame_build(frame, sizeof frame, MAC_BROADCAST, MAC_SRC_TEST, TEST_ETHERTYPE, s);
        pkt_info_t i = info_of(sizeof frame);
        i.nsec = s;
        CHECK_RC(pkt_dump_write(d, frame, &i), 0);
    }
    CHECK_RC(pkt_dump_close(d), 0);
    CHECKF(fcntl(1, F_GETFD) >= 0, "standard output was closed: %s", strerror(errno));
    CHECK(dup2(saved, 1) == 1);
    static tcpdump_pkt_t pk[4];
    CHECK_RC(tcpdump_read(p, true, pk, 4), 3);
    CHECK(pk[2].ts_ns == 1700000000LL * 1000000000 + 2);

    /* a closed standard output */
    CHECK(close(1) == 0);
    d = SENTINEL;
    int rc = pkt_dump_open("-", PKT_DLT_EN10MB, 0, 0, &d);
    CHECK(dup2(saved, 1) == 1);
    CHECK_RC(rc, -EBADF);
    CHECK(d == SENTINEL);

    /* a pipe whose reader goes away: -EPIPE at the next write out, then for every call */
    int pfd[2];
    CHECK(pipe2(pfd, O_CLOEXEC) == 0);
    CHECK(dup2(pfd[1], 1) == 1);
    close(pfd[1]);
    d = NULL;
    rc = pkt_dump_open("-", PKT_DLT_EN10MB, 0, 0, &d);
    CHECK(dup2(saved, 1) == 1);
    CHECK_RC(rc, 0);
    uint8_t hdr[24];
    CHECK(read(pfd[0], hdr, sizeof hdr) == (ssize_t)sizeof hdr);
    close(pfd[0]);
    pkt_info_t i = info_of(sizeof frame);
    CHECK_RC(pkt_dump_write(d, frame, &i), 0); /* buffered */
    int64_t before = pkt_dump_bytes(d);
    CHECK(before == 24 + 16 + 100);
    CHECK_RC(pkt_dump_flush(d), -EPIPE);
    CHECK(strstr(pkt_errmsg(), "standard output") != NULL);
    CHECK_RC(pkt_dump_write(d, frame, &i), -EPIPE);
    CHECK_RC(pkt_dump_flush(d), -EPIPE);
    CHECK_RC(pkt_dump_bytes(d), 24);
    CHECK_RC(pkt_dump_close(d), -EPIPE);
    close(saved);
}

static void link_types_and_mode(void)
{
    CHECK(pkt_dlt_of(1, false) == PKT_DLT_EN10MB);      /* ARPHRD_ETHER */
    CHECK(pkt_dlt_of(772, false) == PKT_DLT_EN10MB);    /* ARPHRD_LOOPBACK */
    CHECK(pkt_dlt_of(0xfffe, false) == PKT_DLT_RAW);    /* ARPHRD_NONE (tun) */
    CHECK(pkt_dlt_of(519, false) == PKT_DLT_RAW);       /* ARPHRD_RAWIP */
    CHECK(pkt_dlt_of(801, false) == PKT_DLT_IEEE802_11);
    CHECK(pkt_dlt_of(803, false) == PKT_DLT_IEEE802_11_RADIO);
    CHECK(pkt_dlt_of(1, true) == PKT_DLT_LINUX_SLL2);
    CHECK(pkt_dlt_of(PKT_LINKTYPE_NONE, false) == PKT_DLT_LINUX_SLL2);
    CHECK(pkt_dlt_of(32, false) == PKT_DLT_LINUX_SLL2); /* InfiniBand: no pcap equivalent */
    CHECK(pkt_dlt(NULL) == PKT_LINKTYPE_NONE);
    pkt_config_t c = test_config();
    pkt_t *h = open_ok("lo", &c);
    CHECK(pkt_dlt(h) == PKT_DLT_EN10MB);
    CHECK_RC(pkt_close(h), 0);
    c.cooked = true;
    h = open_ok("v0", &c);
    CHECK(pkt_dlt(h) == PKT_DLT_LINUX_SLL2);
    CHECK_RC(pkt_close(h), 0);

    /* 12 (DLT_RAW) is written as 101 (LINKTYPE_RAW); mode 0644 minus the umask */
    const char *p = tmp_path("raw.pcap");
    mode_t old = umask(027);
    pkt_dumper_t *d = NULL;
    CHECK_RC(pkt_dump_open(p, 12, 1500, 0, &d), 0);
    umask(old);
    uint8_t ip[20] = {0x45, 0, 0, 20, 0, 0, 0, 0, 64, 253, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
    pkt_info_t i = info_of(sizeof ip);
    CHECK_RC(pkt_dump_write(d, ip, &i), 0);
    CHECK_RC(pkt_dump_close(d), 0);
    struct stat sb;
    CHECK(stat(p, &sb) == 0);
    CHECKF((sb.st_mode & 0777) == 0640, "mode %o", (unsigned)(sb.st_mode & 0777));
    FILE *f = fopen(p, "rb");
    CHECK(f != NULL);
    uint8_t h24[24];
    CHECK(fread(h24, 1, 24, f) == 24);
    fclose(f);
    CHECK(h24[16] == (1500 & 0xff) && h24[17] == 1500 >> 8);
    CHECK(h24[20] == 101 && h24[21] == 0);
    char *t = tshark_fields(p, "-e ip.src -e ip.dst");
    CHECKF(strcmp(t, "10.0.0.1\t10.0.0.2\n") == 0, "tshark: \"%s\"", t);
    free(t);
}

int main(void)
{
    test_init("test_dump_errors", 60);
    bad_arguments();
    link_types_and_mode();
    standard_output();
    unwritable_paths();
    return test_pass();
}
