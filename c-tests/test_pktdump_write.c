/* pktdump -w: -c COUNT writes exactly COUNT packets (of more sent), byte for byte, with their
 * timestamps, to pcap (microseconds) and pcapng (--nano), to a file or to standard output
 * (-w -); -s SNAPLEN cuts the records and keeps the wire length; a capture on all interfaces
 * writes Linux cooked v2 (SLL2) records. tcpdump -r and tshark -r read each file with the exact
 * count (under CI=true both must be installed; scripts/test.sh installs them). */
#include "pktdump_harness.h"

#define SENT 8

static uint8_t g_frames[SENT][400];
static size_t g_len[SENT];

static void build(size_t base_payload)
{
    uint8_t v0mac[6];
    mac_of("v0", v0mac);
    for (int i = 0; i < SENT; i++)
        g_len[i] = pd_udp4_frame(g_frames[i], v0mac, 0, 40000 + (unsigned)i, 5001,
                                 base_payload + (size_t)i);
}

static void send_all(void)
{
    raw_tx_t tx = raw_tx_open("v1");
    for (int i = 0; i < SENT; i++)
        raw_tx_send(&tx, g_frames[i], g_len[i]);
    raw_tx_close(&tx);
}

/* Starts pktdump, waits until it listens, sends the frames, waits for its exit (status 0). */
static pd_proc_t capture(const char *const *args, int want_captured)
{
    pd_proc_t p = pd_start(args);
    pd_wait_listening(&p);
    send_all();
    int rc = pd_finish(&p, 10000);
    if (rc != 0) {
        pd_dump_output(&p);
        FAIL("pktdump exited with %d", rc);
    }
    pd_check_closing(&p, (uint64_t)want_captured, -1, 0);
    return p;
}

/* Checks n records against the first frames sent: lengths, bytes (after skip bytes of a
 * cooked header) and timestamps between t0 and t1 at the file's resolution. */
static void check_records(const pd_file_t *f, int n, uint32_t snaplen, size_t cooked_hdr,
                          int64_t t0, int64_t t1)
{
    CHECKF(f->nrec == n, "%d records, want %d", f->nrec, n);
    for (int i = 0; i < n; i++) {
        const pd_rec_t *r = &f->rec[i];
        size_t wire = cooked_hdr ? cooked_hdr + g_len[i] - 14 : g_len[i];
        size_t cap = snaplen && wire > snaplen ? snaplen : wire;
        CHECKF(r->len == wire && r->caplen == cap, "record %d: caplen %u len %u, want %zu %zu", i,
               r->caplen, r->len, cap, wire);
        if (cooked_hdr)
            CHECK_BYTES(r->data + cooked_hdr, r->caplen - cooked_hdr, g_frames[i] + 14,
                        cap - cooked_hdr);
        else
            CHECK_BYTES(r->data, r->caplen, g_frames[i], cap);
        CHECKF(r->ts_ns >= t0 - 1000 && r->ts_ns <= t1,
               "record %d: timestamp %lld not in [%lld, %lld]", i, (long long)r->ts_ns,
               (long long)t0, (long long)t1);
        if (!f->nano)
            CHECKF(r->ts_ns % 1000 == 0, "microsecond file, timestamp %lld", (long long)r->ts_ns);
    }
    /* the nanosecond file really has nanoseconds: not every stamp a whole microsecond */
    if (f->nano && n >= 3) {
        bool sub_us = false;
        for (int i = 0; i < n; i++)
            sub_us |= f->rec[i].ts_ns % 1000 != 0;
        CHECKF(sub_us, "all %d nanosecond timestamps are whole microseconds", n);
    }
}

int main(void)
{
    test_init("pktdump_write", 90);
    char dir[64], path[160];
    pd_tmpdir(dir, sizeof dir);
    pd_file_t *f = calloc(1, sizeof *f);
    CHECK(f != NULL);
    size_t n;
    uint8_t *buf;
    build(20);

    /* pcap, microseconds, -c 5 of 8 */
    snprintf(path, sizeof path, "%s/a.pcap", dir);
    int64_t t0 = real_ns();
    pd_proc_t p = capture((const char *const[]){"-i", "v0", "-w", path, "-c", "5", NULL}, 5);
    int64_t t1 = real_ns();
    CHECKF(pd_text(&p, PD_OUT)[0] == '\0', "-w wrote to stdout: %s", pd_text(&p, PD_OUT));
    pd_free(&p);
    buf = pd_read_file(path, &n);
    pd_parse(buf, n, f);
    CHECK(!f->pcapng && !f->nano && f->linktype == 1 && f->snaplen == 262144);
    check_records(f, 5, 0, 0, t0, t1);
    free(buf);
    pd_check_readers(path, 5, "IP 10.0.0.2.40004 > 10.0.0.1.5001: UDP, length 24");

    /* pcapng with nanoseconds, -c 3 */
    snprintf(path, sizeof path, "%s/b.pcapng", dir);
    t0 = real_ns();
    p = capture((const char *const[]){"-i", "v0", "-w", path, "--pcapng", "--nano", "-c", "3",
                                      NULL},
                3);
    t1 = real_ns();
    pd_free(&p);
    buf = pd_read_file(path, &n);
    pd_parse(buf, n, f);
    CHECKF(f->pcapng && f->nano && f->linktype == 1, "pcapng %d nano %d linktype %u", f->pcapng,
           f->nano, f->linktype);
    CHECKF(f->nisb >= 1, "no interface statistics block at the end");
    check_records(f, 3, 0, 0, t0, t1);
    free(buf);
    pd_check_readers(path, 3, "UDP, length 22");

    /* -s 64: records of 64 bytes, wire length kept; -U flushes as it goes */
    build(250);
    snprintf(path, sizeof path, "%s/c.pcap", dir);
    t0 = real_ns();
    p = capture((const char *const[]){"-i", "v0", "-w", path, "-s", "64", "-U", "-c", "4", NULL},
                4);
    t1 = real_ns();
    pd_free(&p);
    buf = pd_read_file(path, &n);
    pd_parse(buf, n, f);
    CHECKF(f->snaplen == 64, "file snaplen %u", f->snaplen);
    check_records(f, 4, 64, 0, t0, t1);
    free(buf);
    pd_check_readers(path, 4, "UDP, length 250");
    if (pd_have_tool("tshark")) {
        char *out = pd_capture_sh("tshark -r '%s' -T fields -e frame.cap_len -e frame.len "
                                  "2>/dev/null",
                                  path);
        CHECKF(strcmp(out, "64\t292\n64\t293\n64\t294\n64\t295\n") == 0,
               "tshark lengths:\n%s", out);
        free(out);
    }

    /* -w -: the pcap stream on standard output */
    build(30);
    t0 = real_ns();
    p = capture((const char *const[]){"-i", "v0", "-w", "-", "-c", "2", NULL}, 2);
    t1 = real_ns();
    pd_parse((const uint8_t *)p.buf[PD_OUT].data, p.buf[PD_OUT].len, f);
    CHECK(!f->pcapng && f->linktype == 1);
    check_records(f, 2, 0, 0, t0, t1);
    pd_free(&p);

    /* all interfaces, only what comes in (v0's copies): cooked, Linux SLL2 records */
    snprintf(path, sizeof path, "%s/d.pcap", dir);
    t0 = real_ns();
    p = capture((const char *const[]){"-Q", "in", "-w", path, "-c", "3", NULL}, 3);
    t1 = real_ns();
    CHECKF(strstr(pd_text(&p, PD_ERR), "listening on any, link-type LINUX_SLL2") != NULL,
           "stderr: %s", pd_text(&p, PD_ERR));
    pd_free(&p);
    buf = pd_read_file(path, &n);
    pd_parse(buf, n, f);
    CHECKF(f->linktype == 276, "linktype %u, want LINUX_SLL2 (276)", f->linktype);
    check_records(f, 3, 0, 20, t0, t1);
    int v0 = ifindex_of("v0");
    for (int i = 0; i < 3; i++) {
        const uint8_t *h = f->rec[i].data; /* SLL2: protocol, reserved, ifindex, ... */
        CHECKF(h[0] == 0x08 && h[1] == 0x00, "record %d: SLL2 protocol 0x%02x%02x", i, h[0], h[1]);
        CHECKF((int)(h[4] << 24 | h[5] << 16 | h[6] << 8 | h[7]) == v0,
               "record %d: SLL2 ifindex %u%u%u%u, v0 is %d", i, h[4], h[5], h[6], h[7], v0);
    }
    free(buf);
    pd_check_readers(path, 3, "UDP, length 31");

    free(f);
    pd_rmdir(dir);
    return test_pass();
}
