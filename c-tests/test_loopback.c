/* Loopback: the kernel shows each packet sent over lo twice (once outgoing, once incoming); a
 * capture on "lo" returns it exactly once in every direction mode (INOUT and IN: the incoming
 * copy; OUT: the outgoing copy). Nil reads, if any, set *data to NULL (max_nil_read 1 and the
 * default). */
#include "common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#define PORT 47001

typedef struct {
    uint16_t port;
} udp_pred_arg;

/* An IPv4/UDP frame to our port whose payload carries the marker. */
static bool is_our_udp(const uint8_t *d, const pkt_info_t *info, void *arg)
{
    const udp_pred_arg *a = arg;
    size_t cap = info->caplen;
    if (cap < 14 + 20 + 8 + 8 || d[12] != 0x08 || d[13] != 0x00)
        return false;
    const uint8_t *ip = d + 14;
    size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
    if ((ip[0] >> 4) != 4 || ip[9] != 17 || cap < 14 + ihl + 8 + 8)
        return false;
    const uint8_t *udp = ip + ihl;
    if (((udp[2] << 8) | udp[3]) != a->port)
        return false;
    return memcmp(udp + 8, MARKER, MARKER_LEN) == 0;
}

static void run(bool immediate, int dir, uint64_t max_nil_read)
{
    const char *dname = dir == PKT_DIR_INOUT ? "INOUT" : dir == PKT_DIR_IN ? "IN" : "OUT";
    char what[96];
    snprintf(what, sizeof what, "lo, %s, %s, max_nil_read %llu", immediate ? "V2" : "V3", dname,
             (unsigned long long)max_nil_read);
    pkt_config_t c = test_config();
    config_mode(&c, immediate);
    c.direction = (uint8_t)dir;
    c.max_nil_read = max_nil_read;
    pkt_t *h = open_ok("lo", &c);
    CHECKF(pkt_linktype(h) == pkt_iface_linktype("lo"), "%s: pkt_linktype %u, pkt_iface_linktype %u",
           what, pkt_linktype(h), pkt_iface_linktype("lo"));

    /* a bound receiver, so the kernel answers with no ICMP port-unreachable */
    int rx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int tx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    CHECK(rx >= 0 && tx >= 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(PORT);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECKF(bind(rx, (struct sockaddr *)&sa, sizeof sa) == 0, "bind 127.0.0.1:%d: %s", PORT,
           strerror(errno));

    const int N = 5;
    for (int i = 0; i < N; i++) {
        uint8_t payload[64];
        memcpy(payload, MARKER, MARKER_LEN);
        payload[4] = 0;
        payload[5] = 0;
        payload[6] = 0;
        payload[7] = (uint8_t)i;
        memset(payload + 8, 0x42 + i, sizeof payload - 8);
        CHECK(sendto(tx, payload, sizeof payload, 0, (struct sockaddr *)&sa, sizeof sa) ==
              (ssize_t)sizeof payload);
    }
    udp_pred_arg a = {PORT};
    rx_frame_t *got = calloc(2 * N + 1, sizeof *got);
    CHECK(got != NULL);
    int n = collect_matching(h, is_our_udp, &a, 700, got, 2 * N);
    CHECKF(n == N, "%s: %d copies of %d datagrams captured (each must appear exactly once)", what,
           n, N);
    int lo = ifindex_of("lo");
    for (int i = 0; i < n; i++) {
        const pkt_info_t *in = &got[i].info;
        const uint8_t *udp = got[i].data + 14 + (size_t)(got[i].data[14] & 0x0f) * 4;
        CHECKF(udp[8 + 7] == i, "%s: datagram %d out of order (seq %u)", what, i, udp[8 + 7]);
        CHECKF(in->ifindex == lo, "%s: ifindex %d, lo is %d", what, in->ifindex, lo);
        CHECKF(in->protocol == PKT_PROTO_IP, "%s: protocol 0x%04x", what, in->protocol);
        CHECKF(in->caplen == 14 + 20 + 8 + 64 && in->len == in->caplen, "%s: caplen %u len %u",
               what, in->caplen, in->len);
        if (dir == PKT_DIR_OUT)
            CHECKF(in->pkttype == PT_OUTGOING, "%s: pkttype %u", what, in->pkttype);
        else
            CHECKF(in->pkttype == PT_HOST, "%s: pkttype %u", what, in->pkttype);
    }
    free(got);
    close(rx);
    close(tx);
    CHECK_RC(pkt_close(h), 0);
}

int main(void)
{
    test_init("test_loopback", 60);
    const int dirs[3] = {PKT_DIR_INOUT, PKT_DIR_IN, PKT_DIR_OUT};
    for (int m = 0; m < 2; m++)
        for (int d = 0; d < 3; d++) {
            run(m == 1, dirs[d], 1024);
            run(m == 1, dirs[d], 1);
        }
    return test_pass();
}
