/* pcap savefiles from a live capture: frames sent on v1 and captured on v0 are written with
 * microsecond and nanosecond timestamps, and with a snap length; tcpdump and tshark read each
 * file back with the same packet count, lengths, bytes and times (a microsecond file holds
 * nsec / 1000, never nanoseconds). */
#include "common.h"

static const size_t SIZES[] = {60, 1514, 61, 100, 255, 512, 1000, 1499, 64, 1500};
#define NSIZES (sizeof SIZES / sizeof SIZES[0])
#define NFRAMES 40

static rx_frame_t got[NFRAMES + 1];
static uint8_t sent[NFRAMES][1514];

static void capture(void)
{
    pkt_config_t c = test_config();
    pkt_t *h = open_ok("v0", &c);
    CHECKF(pkt_dlt(h) == PKT_DLT_EN10MB, "pkt_dlt %u", pkt_dlt(h));
    CHECK(pkt_dlt_of(pkt_linktype(h), false) == PKT_DLT_EN10MB);

    raw_tx_t tx = raw_tx_open("v1");
    uint8_t v0mac[6];
    mac_of("v0", v0mac);
    const uint8_t *dsts[4] = {v0mac, MAC_BROADCAST, MAC_MULTICAST, MAC_OTHER};
    for (uint32_t i = 0; i < NFRAMES; i++) {
        size_t len = SIZES[i % NSIZES];
        frame_build(sent[i], len, dsts[i % 4], tx.mac, TEST_ETHERTYPE, i);
        raw_tx_send(&tx, sent[i], len);
    }
    int n = collect_frames(h, false, 500, got, NFRAMES);
    CHECKF(n == NFRAMES, "%d of %d frames captured", n, NFRAMES);
    int sub_us = 0;
    for (int i = 0; i < NFRAMES; i++) {
        CHECK_BYTES(got[i].data, got[i].info.caplen, sent[i], SIZES[i % NSIZES]);
        sub_us += got[i].info.nsec % 1000 != 0;
    }
    if (sub_us == 0)
        note("every timestamp is a whole microsecond: the nanosecond checks prove less here");
    raw_tx_close(&tx);
    CHECK_RC(pkt_close(h), 0);
}

static void write_file(const char *path, uint32_t flags, uint32_t snaplen)
{
    pkt_dumper_t *d = NULL;
    CHECK_RC(pkt_dump_open(path, pkt_dlt_of(PKT_LINKTYPE_ETHERNET, false), snaplen, flags, &d),
             0);
    CHECK(d != NULL);
    int64_t size = 24;
    CHECK_RC(pkt_dump_bytes(d), size);
    for (int i = 0; i < NFRAMES; i++) {
        CHECK_RC(pkt_dump_write(d, got[i].data, &got[i].info), 0);
        uint32_t cap = got[i].info.caplen;
        size += 16 + (snaplen != 0 && cap > snaplen ? snaplen : cap);
        CHECK_RC(pkt_dump_bytes(d), size);
    }
    CHECK_RC(pkt_dump_close(d), 0);
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    uint8_t magic[4];
    CHECK(fread(magic, 1, 4, f) == 4);
    CHECK(fseek(f, 0, SEEK_END) == 0);
    CHECKF(ftell(f) == size, "%s: %ld bytes, pkt_dump_bytes said %lld", path, ftell(f),
           (long long)size);
    fclose(f);
    /* little endian: 0xa1b2c3d4 (µs) or 0xa1b23c4d (ns) */
    const uint8_t want[4] = {(flags & PKT_DUMP_NANO) ? 0x4d : 0xd4,
                             (flags & PKT_DUMP_NANO) ? 0x3c : 0xc3, 0xb2, 0xa1};
    CHECK_BYTES(magic, 4, want, 4);
}

/* The time a file with that resolution holds for packet i, in ns. */
static int64_t file_time(int i, bool nano)
{
    const pkt_info_t *in = &got[i].info;
    return in->sec * 1000000000 + (nano ? in->nsec : in->nsec / 1000 * 1000);
}

static void check_tcpdump(const char *path, bool nano_file, uint32_t snaplen)
{
    static tcpdump_pkt_t p[NFRAMES + 1];
    /* read as written, then the other way: --nano on a µs file shows the µs value times
     * 1000, which proves the file holds microseconds */
    for (int pass = 0; pass < 2; pass++) {
        bool nano_print = pass == 0 ? nano_file : !nano_file;
        int n = tcpdump_read(path, nano_print, p, NFRAMES + 1);
        CHECKF(n == NFRAMES, "tcpdump -r %s: %d packets, wrote %d", path, n, NFRAMES);
        for (int i = 0; i < NFRAMES; i++) {
            const pkt_info_t *in = &got[i].info;
            size_t cap = snaplen != 0 && in->caplen > snaplen ? snaplen : in->caplen;
            CHECKF(p[i].len == in->len, "tcpdump %s packet %d: length %u, captured %u", path, i,
                   p[i].len, in->len);
            CHECK_BYTES(p[i].bytes, p[i].caplen, got[i].data, cap);
            int64_t want = file_time(i, nano_file);
            if (!nano_print) /* tcpdump prints µs of a ns file truncated */
                want = want / 1000 * 1000;
            CHECKF(p[i].ts_ns == want && p[i].frac_digits == (nano_print ? 9 : 6),
                   "tcpdump %s%s packet %d: time %lld (%d digits), expected %lld; captured "
                   "%lld.%09u", path, nano_print ? " --nano" : "", i, (long long)p[i].ts_ns,
                   p[i].frac_digits, (long long)want, (long long)in->sec, in->nsec);
        }
    }
}

static void check_tshark(const char *path, bool nano, uint32_t snaplen)
{
    char *text = tshark_fields(path, "-e frame.len -e frame.cap_len -e frame.time_epoch "
                                     "-e eth.type -e eth.src");
    char *lines[NFRAMES + 1];
    int n = split_lines(text, lines, NFRAMES + 1);
    CHECKF(n == NFRAMES, "tshark -r %s: %d packets, wrote %d", path, n, NFRAMES);
    uint8_t v1mac[6];
    mac_of("v1", v1mac);
    char v1[18];
    snprintf(v1, sizeof v1, "%02x:%02x:%02x:%02x:%02x:%02x", v1mac[0], v1mac[1], v1mac[2],
             v1mac[3], v1mac[4], v1mac[5]);
    for (int i = 0; i < NFRAMES; i++) {
        char *f[5];
        CHECKF(split_tabs(lines[i], f, 5) == 5, "tshark line \"%s\"", lines[i]);
        const pkt_info_t *in = &got[i].info;
        uint32_t cap = snaplen != 0 && in->caplen > snaplen ? snaplen : in->caplen;
        CHECKF(strtoul(f[0], NULL, 10) == in->len && strtoul(f[1], NULL, 10) == cap,
               "tshark %s packet %d: len %s cap_len %s, expected %u %u", path, i, f[0], f[1],
               in->len, cap);
        int64_t t = parse_epoch_ns(f[2]);
        CHECKF(t == file_time(i, nano), "tshark %s packet %d: time %s, expected %lld ns", path, i,
               f[2], (long long)file_time(i, nano));
        CHECKF(strcmp(f[3], "0x88b5") == 0 && strcmp(f[4], v1) == 0,
               "tshark %s packet %d: eth.type %s eth.src %s", path, i, f[3], f[4]);
    }
    free(text);
}

int main(void)
{
    test_init("test_dump_pcap", 90);
    capture();

    const char *us = tmp_path("micro.pcap");
    write_file(us, 0, 0);
    check_tcpdump(us, false, 0);
    check_tshark(us, false, 0);

    const char *ns = tmp_path("nano.pcap");
    write_file(ns, PKT_DUMP_NANO, 0);
    check_tcpdump(ns, true, 0);
    check_tshark(ns, true, 0);

    /* a snap length cuts the bytes and keeps the original length */
    const char *snap = tmp_path("snap.pcap");
    write_file(snap, PKT_DUMP_NANO, 100);
    check_tcpdump(snap, true, 100);
    check_tshark(snap, true, 100);

    /* rewriting a path truncates it */
    write_file(us, 0, 0);
    check_tshark(us, false, 0);
    return test_pass();
}
