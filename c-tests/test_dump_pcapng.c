/* pcapng with two interfaces: frames sent both ways between v0 and v1 are captured by a handle
 * on each end and written, in time order, to one pcapng file (nanoseconds, then microseconds).
 * tshark reports two interfaces named v0 and v1 with the right interface id, lengths, times,
 * direction and reception type for each packet; tcpdump reads the same packets and bytes; the
 * file ends with one statistics block per interface carrying the counters given. */
#include "common.h"

#define PER_SIDE 12
#define NTOTAL (4 * PER_SIDE) /* each frame is seen leaving one end and arriving at the other */

typedef struct rec {
    rx_frame_t f;
    const char *ifname;
} rec_t;

static rec_t recs[NTOTAL];
static int nrecs;
static pkt_stats_t st0;

static int by_time(const void *a, const void *b)
{
    const pkt_info_t *x = &((const rec_t *)a)->f.info, *y = &((const rec_t *)b)->f.info;
    int64_t tx = x->sec * 1000000000 + x->nsec, ty = y->sec * 1000000000 + y->nsec;
    return (tx > ty) - (tx < ty);
}

static void capture(void)
{
    pkt_config_t c = test_config();
    pkt_t *h0 = open_ok("v0", &c);
    pkt_t *h1 = open_ok("v1", &c);
    CHECK(pkt_dlt(h0) == PKT_DLT_EN10MB && pkt_dlt(h1) == PKT_DLT_EN10MB);
    raw_tx_t t0 = raw_tx_open("v0"), t1 = raw_tx_open("v1");
    const uint8_t *dsts0[4] = {t0.mac, MAC_BROADCAST, MAC_MULTICAST, MAC_OTHER};
    const uint8_t *dsts1[4] = {t1.mac, MAC_BROADCAST, MAC_MULTICAST, MAC_OTHER};
    for (uint32_t i = 0; i < PER_SIDE; i++) {
        raw_tx_send_seq(&t1, dsts0[i % 4], TEST_ETHERTYPE, i, 60 + 37 * i);
        raw_tx_send_seq(&t0, dsts1[i % 4], TEST_ETHERTYPE, 1000 + i, 1514 - 41 * i);
    }
    static rx_frame_t got[2 * PER_SIDE + 1];
    const char *names[2] = {"v0", "v1"};
    pkt_t *hs[2] = {h0, h1};
    for (int k = 0; k < 2; k++) {
        int n = collect_frames(hs[k], false, 500, got, 2 * PER_SIDE);
        CHECKF(n == 2 * PER_SIDE, "%s: %d of %d frames", names[k], n, 2 * PER_SIDE);
        for (int i = 0; i < n; i++) {
            recs[nrecs].f = got[i];
            recs[nrecs].ifname = names[k];
            nrecs++;
        }
    }
    CHECK_RC(pkt_stats(h0, true, &st0), 0);
    CHECKF(st0.recvs >= 2 * PER_SIDE, "v0 recvs %llu", (unsigned long long)st0.recvs);
    qsort(recs, (size_t)nrecs, sizeof recs[0], by_time);
    raw_tx_close(&t0);
    raw_tx_close(&t1);
    CHECK_RC(pkt_close(h0), 0);
    CHECK_RC(pkt_close(h1), 0);
}

static void write_file(const char *path, uint32_t flags)
{
    pkt_dumper_t *d = NULL;
    CHECK_RC(pkt_dump_open(path, PKT_DLT_EN10MB, 0, PKT_DUMP_PCAPNG | flags, &d), 0);
    for (int i = 0; i < nrecs; i++)
        CHECK_RC(pkt_dump_write(d, recs[i].f.data, &recs[i].f.info), 0);
    CHECK_RC(pkt_dump_stats(d, &st0), 0);
    CHECK_RC(pkt_dump_close(d), 0);
}

static int64_t file_time(const pkt_info_t *in, bool nano)
{
    return in->sec * 1000000000 + (nano ? in->nsec : in->nsec / 1000 * 1000);
}

static void check_tshark(const char *path, bool nano)
{
    char *text = tshark_fields(path, "-e frame.interface_id -e frame.interface_name -e frame.len "
                                     "-e frame.cap_len -e frame.time_epoch "
                                     "-e frame.packet_flags_direction "
                                     "-e frame.packet_flags_reception_type");
    char *lines[NTOTAL + 1];
    int n = split_lines(text, lines, NTOTAL + 1);
    CHECKF(n == nrecs, "tshark -r %s: %d packets, wrote %d", path, n, nrecs);
    /* interface ids in the order the interfaces first appear */
    const char *first = recs[0].ifname;
    for (int i = 0; i < n; i++) {
        char *f[7];
        CHECKF(split_tabs(lines[i], f, 7) == 7, "tshark line \"%s\"", lines[i]);
        const pkt_info_t *in = &recs[i].f.info;
        int want_id = strcmp(recs[i].ifname, first) == 0 ? 0 : 1;
        CHECKF(atoi(f[0]) == want_id && strcmp(f[1], recs[i].ifname) == 0,
               "%s packet %d: interface %s \"%s\", expected %d \"%s\"", path, i, f[0], f[1],
               want_id, recs[i].ifname);
        CHECKF(strtoul(f[2], NULL, 10) == in->len && strtoul(f[3], NULL, 10) == in->caplen,
               "%s packet %d: len %s cap_len %s, expected %u", path, i, f[2], f[3], in->len);
        CHECKF(parse_epoch_ns(f[4]) == file_time(in, nano), "%s packet %d: time %s, expected %lld",
               path, i, f[4], (long long)file_time(in, nano));
        /* pcapng epb_flags: direction 1 inbound, 2 outbound; reception 1 unicast, 2 multicast,
         * 3 broadcast, 4 promiscuous */
        int dir = (int)strtol(f[5], NULL, 0), rx = (int)strtol(f[6], NULL, 0);
        int want_dir = in->pkttype == PT_OUTGOING ? 2 : 1;
        int want_rx = in->pkttype == PT_HOST        ? 1
                      : in->pkttype == PT_MULTICAST ? 2
                      : in->pkttype == PT_BROADCAST ? 3
                      : in->pkttype == PT_OTHERHOST ? 4
                                                    : 0;
        CHECKF(dir == want_dir && rx == want_rx,
               "%s packet %d (pkttype %u): direction %s reception %s, expected %d %d", path, i,
               in->pkttype, f[5], f[6], want_dir, want_rx);
    }
    free(text);
}

static void check_tcpdump(const char *path, bool nano)
{
    static tcpdump_pkt_t p[NTOTAL + 1];
    int n = tcpdump_read(path, nano, p, NTOTAL + 1);
    CHECKF(n == nrecs, "tcpdump -r %s: %d packets, wrote %d", path, n, nrecs);
    for (int i = 0; i < n; i++) {
        const pkt_info_t *in = &recs[i].f.info;
        CHECK_BYTES(p[i].bytes, p[i].caplen, recs[i].f.data, in->caplen);
        CHECKF(p[i].len == in->len, "tcpdump %s packet %d: length %u", path, i, p[i].len);
        CHECKF(p[i].ts_ns == file_time(in, nano), "tcpdump %s packet %d: time %lld, expected %lld",
               path, i, (long long)p[i].ts_ns, (long long)file_time(in, nano));
    }
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* Walks the blocks: a section header naming libpkt, two interface descriptions with
 * if_tsresol, and, last, one statistics block per interface with the given counters. */
static void check_blocks(const char *path, bool nano)
{
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    static uint8_t buf[1 << 20];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    int idbs = 0, epbs = 0, isbs = 0;
    char app[64];
    snprintf(app, sizeof app, "libpkt %s", pkt_version());
    for (size_t off = 0; off < len;) {
        CHECKF(off + 12 <= len, "%s: torn block at %zu", path, off);
        uint32_t type = le32(buf + off), blen = le32(buf + off + 4);
        CHECKF(blen % 4 == 0 && blen >= 12 && off + blen <= len && le32(buf + off + blen - 4) == blen,
               "%s: bad block at %zu (type %u, length %u)", path, off, type, blen);
        const uint8_t *body = buf + off + 8;
        size_t blen_body = blen - 12;
        if (off == 0) {
            CHECK(type == 0x0a0d0d0a);
            CHECK(memmem(body, blen_body, app, strlen(app)) != NULL);
            CHECK(memmem(body, blen_body, "Linux ", 6) != NULL);
        } else if (type == 1) {
            idbs++;
            CHECK(epbs == 0 || idbs == 2);
            /* if_tsresol (code 9, length 1) */
            const uint8_t tsresol[5] = {9, 0, 1, 0, nano ? 9 : 6};
            CHECK(memmem(body, blen_body, tsresol, 5) != NULL);
        } else if (type == 6) {
            CHECK(isbs == 0);
            epbs++;
        } else if (type == 5) {
            CHECK(le32(body) == (uint32_t)isbs);
            uint64_t recv = UINT64_MAX, drop = UINT64_MAX, start = 0, end = 0;
            for (size_t o = 12; o + 4 <= blen_body;) {
                uint16_t code = (uint16_t)(body[o] | body[o + 1] << 8);
                uint16_t olen = (uint16_t)(body[o + 2] | body[o + 3] << 8);
                if (code == 0)
                    break;
                const uint8_t *v = body + o + 4;
                if (code == 2 && olen == 8)
                    start = (uint64_t)le32(v) << 32 | le32(v + 4);
                if (code == 3 && olen == 8)
                    end = (uint64_t)le32(v) << 32 | le32(v + 4);
                if (code == 4 && olen == 8)
                    recv = le64(v);
                if (code == 7 && olen == 8)
                    drop = le64(v);
                o += 4 + ((olen + 3u) & ~3u);
            }
            CHECKF(recv == st0.recvs && drop == st0.drops,
                   "%s: ISB %d: isb_ifrecv %llu isb_osdrop %llu, expected %llu %llu", path, isbs,
                   (unsigned long long)recv, (unsigned long long)drop,
                   (unsigned long long)st0.recvs, (unsigned long long)st0.drops);
            CHECKF(start > 0 && start <= end, "%s: ISB times %llu..%llu", path,
                   (unsigned long long)start, (unsigned long long)end);
            isbs++;
        } else {
            FAIL("%s: unexpected block type %u", path, type);
        }
        off += blen;
    }
    CHECKF(idbs == 2 && epbs == nrecs && isbs == 2, "%s: %d IDBs, %d EPBs, %d ISBs", path, idbs,
           epbs, isbs);
}

int main(void)
{
    test_init("test_dump_pcapng", 90);
    capture();
    const char *ns = tmp_path("two.pcapng");
    write_file(ns, PKT_DUMP_NANO);
    check_tshark(ns, true);
    check_tcpdump(ns, true);
    check_blocks(ns, true);

    const char *us = tmp_path("two-micro.pcapng");
    write_file(us, 0);
    check_tshark(us, false);
    check_tcpdump(us, false);
    check_blocks(us, false);
    return test_pass();
}
