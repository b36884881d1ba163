/* Cooked capture on all interfaces written as LINUX_SLL2 (pcap and pcapng) and LINUX_SLL: the
 * dumper builds the cooked header from pkt_info_t. tshark decodes packet type, ARPHRD,
 * protocol and (SLL2) interface index for every frame, seen leaving v1 and arriving on v0;
 * tcpdump shows the header followed by the captured bytes, with the original lengths. */
#include "common.h"

#define NSENT 10
#define NGOT (2 * NSENT)

static rx_frame_t got[NGOT + 1];
static uint8_t sent[NSENT][1514];
static size_t sent_len[NSENT];

static void capture(void)
{
    pkt_config_t c = test_config();
    pkt_t *h = NULL;
    CHECK_RC(pkt_open(NULL, &c, &h), 0);
    CHECKF(pkt_dlt(h) == PKT_DLT_LINUX_SLL2, "pkt_dlt %u", pkt_dlt(h));
    CHECK(pkt_linktype(h) == PKT_LINKTYPE_NONE);
    CHECK(pkt_dlt_of(pkt_linktype(h), false) == PKT_DLT_LINUX_SLL2);

    raw_tx_t tx = raw_tx_open("v1");
    uint8_t v0mac[6];
    mac_of("v0", v0mac);
    for (uint32_t i = 0; i < NSENT; i++) {
        sent_len[i] = 60 + 150 * i;
        frame_build(sent[i], sent_len[i], (i % 3 == 1) ? MAC_BROADCAST : v0mac, tx.mac,
                    TEST_ETHERTYPE, i);
        raw_tx_send(&tx, sent[i], sent_len[i]);
    }
    int n = collect_frames(h, true, 500, got, NGOT);
    CHECKF(n == NGOT, "%d of %d frames (each seen on v1 and v0)", n, NGOT);
    raw_tx_close(&tx);
    CHECK_RC(pkt_close(h), 0);
}

static void write_file(const char *path, uint16_t dlt, uint32_t flags, uint32_t snaplen)
{
    pkt_dumper_t *d = NULL;
    CHECK_RC(pkt_dump_open(path, dlt, snaplen, flags, &d), 0);
    for (int i = 0; i < NGOT; i++)
        CHECK_RC(pkt_dump_write(d, got[i].data, &got[i].info), 0);
    CHECK_RC(pkt_dump_close(d), 0);
}

/* The cooked header the file must hold for frame i. */
static size_t cooked_header(int i, uint16_t dlt, uint8_t *h)
{
    const pkt_info_t *in = &got[i].info;
    if (dlt == PKT_DLT_LINUX_SLL) {
        memset(h, 0, 16);
        h[1] = in->pkttype;
        h[2] = (uint8_t)(in->linktype >> 8);
        h[3] = (uint8_t)in->linktype;
        h[14] = (uint8_t)(in->protocol >> 8);
        h[15] = (uint8_t)in->protocol;
        return 16;
    }
    memset(h, 0, 20);
    h[0] = (uint8_t)(in->protocol >> 8);
    h[1] = (uint8_t)in->protocol;
    uint32_t ifx = (uint32_t)in->ifindex;
    h[4] = (uint8_t)(ifx >> 24);
    h[5] = (uint8_t)(ifx >> 16);
    h[6] = (uint8_t)(ifx >> 8);
    h[7] = (uint8_t)ifx;
    h[8] = (uint8_t)(in->linktype >> 8);
    h[9] = (uint8_t)in->linktype;
    h[10] = in->pkttype;
    return 20;
}

static void check_tcpdump(const char *path, uint16_t dlt, bool nano, uint32_t snaplen)
{
    static tcpdump_pkt_t p[NGOT + 1];
    int n = tcpdump_read(path, nano, p, NGOT + 1);
    CHECKF(n == NGOT, "tcpdump -r %s: %d packets, wrote %d", path, n, NGOT);
    for (int i = 0; i < n; i++) {
        const pkt_info_t *in = &got[i].info;
        static uint8_t want[RX_COPY_MAX + 64];
        size_t hl = cooked_header(i, dlt, want);
        memcpy(want + hl, got[i].data, in->caplen);
        size_t cap = hl + in->caplen;
        if (snaplen != 0 && cap > snaplen)
            cap = snaplen;
        CHECK_BYTES(p[i].bytes, p[i].caplen, want, cap);
        int64_t t = in->sec * 1000000000 + (nano ? in->nsec : in->nsec / 1000 * 1000);
        CHECKF(p[i].ts_ns == t, "tcpdump %s packet %d: time %lld, expected %lld", path, i,
               (long long)p[i].ts_ns, (long long)t);
    }
}

static void check_tshark(const char *path, uint16_t dlt, uint32_t snaplen)
{
    char *text = tshark_fields(path, "-e sll.pkttype -e sll.hatype -e sll.etype -e sll.ifindex "
                                     "-e sll.halen -e frame.len -e frame.cap_len");
    char *lines[NGOT + 1];
    int n = split_lines(text, lines, NGOT + 1);
    CHECKF(n == NGOT, "tshark -r %s: %d packets, wrote %d", path, n, NGOT);
    int v0 = ifindex_of("v0"), v1 = ifindex_of("v1");
    int seen[2] = {0, 0};
    size_t hl = dlt == PKT_DLT_LINUX_SLL ? 16 : 20;
    for (int i = 0; i < n; i++) {
        char *f[7];
        CHECKF(split_tabs(lines[i], f, 7) == 7, "tshark line \"%s\"", lines[i]);
        const pkt_info_t *in = &got[i].info;
        CHECKF((unsigned)atoi(f[0]) == in->pkttype && (unsigned)atoi(f[1]) == in->linktype &&
                   strtoul(f[2], NULL, 16) == TEST_ETHERTYPE && atoi(f[4]) == 0,
               "%s packet %d: pkttype %s hatype %s etype %s halen %s; captured pkttype %u "
               "linktype %u", path, i, f[0], f[1], f[2], f[4], in->pkttype, in->linktype);
        if (dlt == PKT_DLT_LINUX_SLL2)
            CHECKF(atoi(f[3]) == in->ifindex, "%s packet %d: ifindex %s, captured on %d", path, i,
                   f[3], in->ifindex);
        else
            CHECKF(f[3][0] == '\0', "%s: SLL has no ifindex, tshark says %s", path, f[3]);
        size_t cap = hl + in->caplen;
        if (snaplen != 0 && cap > snaplen)
            cap = snaplen;
        CHECKF(strtoul(f[5], NULL, 10) == hl + in->len && strtoul(f[6], NULL, 10) == cap,
               "%s packet %d: len %s cap_len %s, expected %zu %zu", path, i, f[5], f[6],
               hl + in->len, cap);
        /* the frame leaving v1 (outgoing) and arriving on v0 (to the host or broadcast) */
        if (in->ifindex == v1) {
            CHECK(in->pkttype == PT_OUTGOING);
            seen[1]++;
        } else {
            CHECK(in->ifindex == v0 && in->pkttype != PT_OUTGOING);
            seen[0]++;
        }
    }
    CHECK(seen[0] == NSENT && seen[1] == NSENT);
    free(text);
}

int main(void)
{
    test_init("test_dump_cooked", 90);
    capture();

    const char *sll2 = tmp_path("any-sll2.pcap");
    write_file(sll2, PKT_DLT_LINUX_SLL2, PKT_DUMP_NANO, 0);
    check_tshark(sll2, PKT_DLT_LINUX_SLL2, 0);
    check_tcpdump(sll2, PKT_DLT_LINUX_SLL2, true, 0);

    const char *sll = tmp_path("any-sll.pcap");
    write_file(sll, PKT_DLT_LINUX_SLL, 0, 0);
    check_tshark(sll, PKT_DLT_LINUX_SLL, 0);
    check_tcpdump(sll, PKT_DLT_LINUX_SLL, false, 0);

    /* the snap length counts the cooked header */
    const char *snap = tmp_path("any-snap.pcapng");
    write_file(snap, PKT_DLT_LINUX_SLL2, PKT_DUMP_PCAPNG | PKT_DUMP_NANO, 64);
    check_tshark(snap, PKT_DLT_LINUX_SLL2, 64);
    check_tcpdump(snap, PKT_DLT_LINUX_SLL2, true, 64);
    return test_pass();
}
