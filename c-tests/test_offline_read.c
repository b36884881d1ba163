/* Reading savefiles through the C API (pkt_open_offline, issue 14): every file libpkt's writer
 * makes (pcap in microseconds and nanoseconds, pcapng with two interfaces, cooked SLL2) reads
 * back identically with pkt_read, pkt_read_batch, pkt_dispatch and pkt_loop: bytes, lengths,
 * times to the nanosecond, interface numbers, link types, packet types. The end is -ENODATA
 * (again and again) from the reads and 0 from dispatch and loop; a cut record is -EBADMSG with
 * its byte offset, after the packets before it. Also: the errors of the open (-ENOENT,
 * -EBADMSG "first bytes ..."), the calls a savefile refuses (-EOPNOTSUPP), pkt_fd, pkt_dlt,
 * pkt_get_config, pkt_stats (records read, drops from the statistics blocks),
 * pkt_offline_iface, pkt_open_offline_fd (a duplicate: the caller's descriptor may close at
 * once; reading starts at its offset), "-" for a pipe on standard input, cfg->snaplen and
 * PKT_TSTAMP_MICRO, and pkt_breakloop. */
#include "common.h"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#define NPKT 60

typedef struct pkt_rec {
    pkt_info_t info;
    uint32_t caplen;
    uint8_t data[RX_COPY_MAX];
} pkt_rec_t;

static pkt_rec_t sent[NPKT];
static const int32_t IFX[3] = {4, 9, 4}; /* two interfaces: pcapng numbers them 0 and 1 */

static void make_packets(void)
{
    for (int i = 0; i < NPKT; i++) {
        pkt_rec_t *r = &sent[i];
        static const size_t sizes[] = {14, 60, 61, 64, 100, 1514, 15, 999};
        size_t n = sizes[i % 8];
        frame_build(r->data, n, MAC_BROADCAST, MAC_SRC_TEST, TEST_ETHERTYPE, (uint32_t)i);
        r->caplen = (uint32_t)n;
        memset(&r->info, 0, sizeof r->info);
        r->info.sec = 1700000000 + i * 3;
        r->info.nsec = (uint32_t)((uint64_t)i * 987654321u % 1000000000u);
        r->info.caplen = (uint32_t)n;
        r->info.len = (uint32_t)n + (uint32_t)(i % 3) * 7;
        r->info.ifindex = IFX[i % 3];
        r->info.pkttype = (uint8_t)(i % 5);
        r->info.protocol = TEST_ETHERTYPE;
        r->info.linktype = 1;
    }
}

static void write_file(const char *path, uint16_t dlt, uint32_t flags, int n)
{
    pkt_dumper_t *d = NULL;
    CHECK_RC(pkt_dump_open(path, dlt, 0, flags, &d), 0);
    for (int i = 0; i < n; i++) {
        /* Cooked link types take the packet from the network header on. */
        size_t off = (dlt == PKT_DLT_LINUX_SLL2) ? ETH_HDR_LEN : 0;
        pkt_info_t in = sent[i].info;
        in.caplen -= (uint32_t)off;
        in.len -= (uint32_t)off;
        CHECK_RC(pkt_dump_write(d, sent[i].data + off, &in), 0);
    }
    pkt_stats_t st = {.recvs = 100, .drops = 3};
    CHECK_RC(pkt_dump_stats(d, &st), 0);
    CHECK_RC(pkt_dump_close(d), 0);
}

typedef struct want {
    bool nano, pcapng;
    uint16_t dlt;
} want_t;

/* Packet i as read back from a file written as w says. */
static void check_packet(const want_t *w, int i, const uint8_t *data, const pkt_info_t *in)
{
    const pkt_rec_t *s = &sent[i];
    uint32_t hdr = w->dlt == PKT_DLT_LINUX_SLL2 ? 20 : 0, off = hdr ? ETH_HDR_LEN : 0;
    CHECKF(in->caplen == s->caplen - off + hdr && in->len == s->info.len - off + hdr,
           "packet %d: caplen %u len %u, want %u %u", i, in->caplen, in->len, s->caplen - off + hdr,
           s->info.len - off + hdr);
    CHECK_BYTES(data + hdr, in->caplen - hdr, s->data + off, s->caplen - off);
    uint32_t nsec = w->nano ? s->info.nsec : s->info.nsec / 1000 * 1000;
    CHECKF(in->sec == s->info.sec && in->nsec == nsec, "packet %d: time %lld.%09u, want %lld.%09u",
           i, (long long)in->sec, in->nsec, (long long)s->info.sec, nsec);
    CHECKF(in->linktype == w->dlt, "packet %d: linktype %u, want %u", i, in->linktype, w->dlt);
    if (w->pcapng) {
        int32_t want_if = s->info.ifindex == IFX[0] ? 0 : 1;
        CHECKF(in->ifindex == want_if && in->pkttype == s->info.pkttype,
               "packet %d: interface %d type %u, want %d %u", i, in->ifindex, in->pkttype, want_if,
               s->info.pkttype);
    } else {
        CHECK(in->ifindex == 0 && in->pkttype == PT_HOST);
    }
    CHECK(in->status == 0 && in->vlan_tci == 0 && in->vlan_tpid == 0);
}

static int g_seen;
static const want_t *g_want;

static void on_packet(void *user, const uint8_t *data, const pkt_info_t *info)
{
    (void)user;
    CHECKF(g_seen < NPKT, "more than %d packets", NPKT);
    check_packet(g_want, g_seen++, data, info);
}

static pkt_t *open_file(const char *path, const pkt_config_t *cfg)
{
    pkt_t *h = NULL;
    int rc = pkt_open_offline(path, cfg, &h);
    CHECKF(rc == 0 && h != NULL, "pkt_open_offline(%s): %d %s", path, rc, pkt_errmsg());
    return h;
}

/* Every way of reading gives the same packets, and the same end. */
static void read_every_way(const char *path, const want_t *w)
{
    const uint8_t *data;
    pkt_info_t info;
    pkt_t *h = open_file(path, NULL);
    CHECKF(pkt_dlt(h) == w->dlt, "pkt_dlt %u, want %u", pkt_dlt(h), w->dlt);
    CHECK(pkt_linktype(h) == PKT_LINKTYPE_NONE);
    for (int i = 0; i < NPKT; i++) {
        int n = pkt_read(h, 1, &data, &info);
        CHECKF(n > 0 && (uint32_t)n == info.caplen, "%s: pkt_read %d: %d %s", path, i, n, pkt_errmsg());
        check_packet(w, i, data, &info);
    }
    CHECK_RC(pkt_read(h, 1, &data, &info), -ENODATA);
    CHECK_RC(pkt_read(h, 0, &data, NULL), -ENODATA);
    CHECK_RC(pkt_dispatch(h, -1, on_packet, NULL), 0);
    pkt_stats_t st;
    CHECK_RC(pkt_stats(h, true, &st), 0);
    CHECKF(st.recvs == NPKT && st.drops == (w->pcapng ? 6u : 0u), "stats %llu %llu",
           (unsigned long long)st.recvs, (unsigned long long)st.drops);
    CHECK_RC(pkt_close(h), 0);

    /* Batches of 7: every descriptor stays valid until the next call. */
    h = open_file(path, NULL);
    pkt_packet_t out[7];
    int got = 0;
    for (int round = 0; round < 100; round++) {
        int n = pkt_read_batch(h, 1, out, 7);
        if (n == -ENODATA)
            break;
        CHECKF(n > 0 && n <= 7, "pkt_read_batch: %d %s", n, pkt_errmsg());
        for (int k = 0; k < n; k++)
            check_packet(w, got + k, out[k].data, &out[k].info);
        got += n;
    }
    CHECKF(got == NPKT, "batches gave %d packets", got);
    CHECK_RC(pkt_close(h), 0);

    /* dispatch 10, then to the end; loop. */
    g_want = w;
    g_seen = 0;
    h = open_file(path, NULL);
    CHECK_RC(pkt_dispatch(h, 10, on_packet, NULL), 10);
    CHECK_RC(pkt_dispatch(h, 0, on_packet, NULL), NPKT - 10);
    CHECK_RC(pkt_dispatch(h, 0, on_packet, NULL), 0);
    CHECK_RC(pkt_loop(h, 0, on_packet, NULL), 0);
    CHECK_RC(pkt_close(h), 0);
    g_seen = 0;
    h = open_file(path, NULL);
    CHECK_RC(pkt_loop(h, 5, on_packet, NULL), 0);
    CHECK(g_seen == 5);
    CHECK_RC(pkt_loop(h, -1, on_packet, NULL), 0);
    CHECK(g_seen == NPKT);
    CHECK_RC(pkt_close(h), 0);
}

static void check_open_errors(void)
{
    pkt_t *h = (pkt_t *)(uintptr_t)1;
    CHECK_RC(pkt_open_offline(tmp_path("missing.pcap"), NULL, &h), -ENOENT);
    CHECK(h == (pkt_t *)(uintptr_t)1);
    CHECK_RC(pkt_open_offline(NULL, NULL, &h), -EINVAL);
    CHECK_RC(pkt_open_offline(tmp_path("missing.pcap"), NULL, NULL), -EINVAL);
    CHECK_RC(pkt_open_offline("/proc/self/exe", NULL, &h), -EBADMSG);
    CHECKF(strstr(pkt_errmsg(), "not a pcap or pcapng file: first bytes 7f 45 4c 46") != NULL,
           "message: %s", pkt_errmsg());
    const char *empty = tmp_path("empty");
    sh_ok("true > '%s'", empty);
    CHECK_RC(pkt_open_offline(empty, NULL, &h), -EBADMSG);
    CHECK_RC(pkt_open_offline(test_tmpdir(), NULL, &h), -EISDIR);
    CHECK_RC(pkt_open_offline_fd(-1, NULL, &h), -EBADF);
    CHECK_RC(pkt_open_offline_fd(1000, NULL, &h), -EBADF);
    pkt_config_t c;
    pkt_config_default(&c);
    c.direction = PKT_DIR_OUT;
    CHECK_RC(pkt_open_offline(tmp_path("us.pcap"), &c, &h), -EINVAL);
    pkt_config_default(&c);
    c.tstamp_resolution = 7;
    CHECK_RC(pkt_open_offline(tmp_path("us.pcap"), &c, &h), -EINVAL);
    CHECK(h == (pkt_t *)(uintptr_t)1);
}

static void check_savefile_calls(const char *path)
{
    pkt_config_t c;
    pkt_config_default(&c);
    c.snaplen = 40;
    c.tstamp_resolution = PKT_TSTAMP_MICRO;
    pkt_t *h = open_file(path, &c);
    uint8_t frame[64] = {0};
    pkt_frame_t fr = {frame, sizeof frame};
    CHECK_RC(pkt_write(h, frame, sizeof frame, 0, 0), -EOPNOTSUPP);
    CHECK(strstr(pkt_errmsg(), "savefile") != NULL);
    CHECK_RC(pkt_write_batch(h, &fr, 1), -EOPNOTSUPP);
    CHECK_RC(pkt_flush(h), -EOPNOTSUPP);
    CHECK_RC(pkt_set_fanout(h, PKT_FANOUT_HASH, 1, 0), -EOPNOTSUPP);
    CHECK_RC(pkt_fanout_group(h), -EOPNOTSUPP);
    int fd = pkt_fd(h);
    CHECKF(fd > 2 && fcntl(fd, F_GETFD) == FD_CLOEXEC, "pkt_fd %d", fd);
    pkt_config_t got;
    CHECK_RC(pkt_get_config(h, &got), 0);
    CHECK(got.snaplen == 40 && got.tstamp_resolution == PKT_TSTAMP_MICRO && got.filter == NULL);
    uint16_t dlt = 0;
    uint32_t snap = 0;
    CHECK_RC(pkt_offline_iface(h, 0, &dlt, &snap), 0);
    CHECK(dlt == PKT_DLT_EN10MB && snap == 262144);
    CHECK_RC(pkt_offline_iface(h, 1, &dlt, &snap), -ENOENT); /* not read yet */
    CHECK_RC(pkt_offline_iface(NULL, 0, &dlt, &snap), -EINVAL);
    /* snaplen and microseconds, as on live handles */
    const uint8_t *data;
    pkt_info_t info;
    for (int i = 0; i < NPKT; i++) {
        int n = pkt_read(h, 1, &data, &info);
        uint32_t cap = sent[i].caplen < 40 ? sent[i].caplen : 40;
        CHECKF(n == (int)cap && info.caplen == cap && info.len == sent[i].info.len, "%d: %d", i, n);
        CHECK_BYTES(data, info.caplen, sent[i].data, cap);
        CHECK(info.nsec == sent[i].info.nsec / 1000 * 1000);
    }
    CHECK_RC(pkt_offline_iface(h, 1, &dlt, NULL), 0);
    CHECK_RC(pkt_offline_iface(h, 2, NULL, NULL), -ENOENT);
    CHECK_RC(pkt_close(h), 0);

    /* Break: the next read of any kind, once. */
    h = open_file(path, NULL);
    CHECK_RC(pkt_breakloop(h), 0);
    CHECK_RC(pkt_breakloop(h), 0);
    CHECK_RC(pkt_read(h, 0, &data, &info), -EINTR);
    CHECK(pkt_read(h, 0, &data, &info) > 0);
    CHECK_RC(pkt_breakloop(h), 0);
    CHECK_RC(pkt_loop(h, -1, on_packet, NULL), -EINTR);
    pkt_stats_t st;
    CHECK_RC(pkt_stats(h, false, &st), 0);
    CHECK(st.recvs == 1);
    CHECK_RC(pkt_close(h), 0);

    /* A live handle has no savefile interfaces. */
    pkt_config_t lc = test_config();
    pkt_t *live = open_ok("v0", &lc);
    CHECK_RC(pkt_offline_iface(live, 0, &dlt, &snap), -EOPNOTSUPP);
    CHECK_RC(pkt_close(live), 0);
}

static void check_fd_and_truncation(const char *path, const want_t *w)
{
    /* A duplicate: the caller closes its descriptor at once; reading starts at its offset. */
    const char *padded = tmp_path("padded");
    sh_ok("(printf 'not a savefile, skipped'; cat '%s') > '%s'", path, padded);
    int fd = open(padded, O_RDONLY);
    CHECK(fd >= 0);
    CHECK(lseek(fd, 23, SEEK_SET) == 23);
    pkt_t *h = NULL;
    CHECK_RC(pkt_open_offline_fd(fd, NULL, &h), 0);
    CHECK(pkt_fd(h) != fd);
    CHECK(close(fd) == 0);
    g_want = w;
    g_seen = 0;
    CHECK_RC(pkt_loop(h, -1, on_packet, NULL), 0);
    CHECK(g_seen == NPKT);
    CHECK_RC(pkt_close(h), 0);

    /* Cut in the middle of packet 30's record: 30 packets, then -EBADMSG naming its offset. */
    int st;
    char *size = sh_output(&st, "stat -c %%s '%s'", path);
    long total = atol(size);
    free(size);
    const char *cut = tmp_path("cut");
    /* Packet 30's record starts where a file of 30 packets ends. */
    const char *p30 = tmp_path("p30");
    write_file(p30, w->dlt, (w->nano ? PKT_DUMP_NANO : 0) | (w->pcapng ? PKT_DUMP_PCAPNG : 0), 30);
    char *s30 = sh_output(&st, "stat -c %%s '%s'", p30);
    long at = atol(s30);
    free(s30);
    if (w->pcapng)
        at -= 2 * 76; /* the statistics blocks at the end of that file */
    CHECK(at > 0 && at < total);
    sh_ok("head -c %ld '%s' > '%s'", at + 20, path, cut);
    h = open_file(cut, NULL);
    const uint8_t *data;
    pkt_info_t info;
    for (int i = 0; i < 30; i++) {
        CHECK(pkt_read(h, 1, &data, &info) > 0);
        check_packet(w, i, data, &info);
    }
    CHECK_RC(pkt_read(h, 1, &data, &info), -EBADMSG);
    char want[64];
    snprintf(want, sizeof want, "at byte %ld", at);
    CHECKF(strstr(pkt_errmsg(), want) != NULL, "message: %s (want \"%s\")", pkt_errmsg(), want);
    CHECK_RC(pkt_read(h, 1, &data, &info), -EBADMSG);
    CHECK_RC(pkt_dispatch(h, -1, on_packet, NULL), -EBADMSG);
    CHECK_RC(pkt_close(h), 0);
    g_seen = 0;
    h = open_file(cut, NULL);
    CHECK_RC(pkt_loop(h, -1, on_packet, NULL), -EBADMSG);
    CHECK(g_seen == 30);
    CHECK_RC(pkt_close(h), 0);
}

typedef struct feed {
    int fd;
    const char *path;
} feed_t;

static void *feed_main(void *arg)
{
    feed_t *f = arg;
    FILE *in = fopen(f->path, "rb");
    CHECK(in != NULL);
    uint8_t buf[777];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) {
        if (write(f->fd, buf, n) != (ssize_t)n)
            FAIL("write(pipe): %s", strerror(errno));
        if (n % 3 == 0)
            sleep_ms(1);
    }
    fclose(in);
    close(f->fd);
    return NULL;
}

/* "-": a pipe on standard input, read as a stream. */
static void check_stdin(const char *path, const want_t *w)
{
    int p[2];
    CHECK(pipe(p) == 0);
    int saved = dup(0);
    CHECK(saved >= 0 && dup2(p[0], 0) == 0);
    close(p[0]);
    feed_t f = {p[1], path};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, feed_main, &f) == 0);
    pkt_t *h = open_file("-", NULL);
    const uint8_t *data;
    pkt_info_t info;
    for (int i = 0; i < NPKT; i++) {
        int n = pkt_read(h, 1, &data, &info);
        CHECKF(n > 0, "stdin: pkt_read %d: %d %s", i, n, pkt_errmsg());
        check_packet(w, i, data, &info);
    }
    CHECK_RC(pkt_read(h, 1, &data, &info), -ENODATA);
    CHECK_RC(pkt_close(h), 0);
    pthread_join(t, NULL);
    CHECK(dup2(saved, 0) == 0 && close(saved) == 0);
    CHECK(fcntl(0, F_GETFD) >= 0);
}

int main(void)
{
    test_init("test_offline_read", 60);
    make_packets();
    static const struct {
        const char *name;
        uint16_t dlt;
        uint32_t flags;
    } files[] = {
        {"us.pcap", PKT_DLT_EN10MB, 0},
        {"ns.pcap", PKT_DLT_EN10MB, PKT_DUMP_NANO},
        {"us.pcapng", PKT_DLT_EN10MB, PKT_DUMP_PCAPNG},
        {"ns.pcapng", PKT_DLT_EN10MB, PKT_DUMP_PCAPNG | PKT_DUMP_NANO},
        {"sll2.pcapng", PKT_DLT_LINUX_SLL2, PKT_DUMP_PCAPNG | PKT_DUMP_NANO},
        {"sll2.pcap", PKT_DLT_LINUX_SLL2, 0},
    };
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        const char *path = tmp_path(files[k].name);
        write_file(path, files[k].dlt, files[k].flags, NPKT);
        want_t w = {(files[k].flags & PKT_DUMP_NANO) != 0, (files[k].flags & PKT_DUMP_PCAPNG) != 0,
                    files[k].dlt};
        read_every_way(path, &w);
        check_fd_and_truncation(path, &w);
        check_stdin(path, &w);
        note("%s: read back identically", files[k].name);
    }
    check_open_errors();
    check_savefile_calls(tmp_path("us.pcapng"));
    return test_pass();
}
