/*
 * A differential test of libpcap's API semantics: run.sh runs this program once on the
 * system's libpcap and once on the compatible library (LD_LIBRARY_PATH=target/release/compat)
 * and compares what it prints, one section at a time:
 *
 *   api SECTION      SECTION: misc compile lifecycle read break direction filter offline
 *                    devs init init-utf8 (and "version", which run.sh does not compare)
 *
 * Everything printed is deterministic: no time stamps of live packets, no descriptor numbers,
 * no pointers. Where a value is normalized the line says so (e.g. "fileno>=0").
 *
 * Live sections run inside run.sh's namespace "A" (lo, v0 10.9.0.1/24 02:00:00:00:00:01, vd0
 * down, no address); API_PEER_NS names namespace "B" (v1 02:00:00:00:00:02, the peer of v0),
 * where the program opens a raw AF_PACKET socket to send "incoming" frames. Outgoing frames
 * are sent from a raw socket on v0 bound with protocol 0 (it never receives).
 *
 * Barrier: before any capture handle, a raw ETH_P_ALL socket is bound to v0. The kernel adds
 * packet sockets at the head of the device's list, so this one is delivered every frame after
 * every capture handle (and after "any" handles, whose list comes first): once it has received
 * N frames, every handle's ring holds them. No sleeping, only waits with deadlines.
 */
#define _GNU_SOURCE
#include <pcap/pcap.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CAPDEV "v0"
#define DOWNDEV "vd0"
#define PEERDEV "v1"
#define LONGNAME "abcdefghijklmnopqrstuvwxyz0123456789"

static const uint8_t MAC_V0[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t MAC_V1[6] = {0x02, 0, 0, 0, 0, 0x02};
static const uint8_t MAC_OTHER[6] = {0x02, 0, 0, 0, 0, 0x99};

static char errbuf[PCAP_ERRBUF_SIZE];

/* ---------------------------------------------------------------- helpers */

static const char *q(const char *s) { return s ? s : "(null)"; }

static void eb_reset(void) { strcpy(errbuf, "<untouched>"); }

/* Empties the handle's error text so that a line shows what this call wrote (libpcap's
 * pcap_geterr returns the handle's writable buffer; empty is its state after pcap_create, and
 * pcap_activate fills an empty one with pcap_statustostr of a failure). */
static void clr(pcap_t *p)
{
    char *e = pcap_geterr(p);
    if (e)
        e[0] = '\0';
}

static void geterr(pcap_t *p) { printf("  geterr=\"%s\"\n", q(pcap_geterr(p))); }

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static uint64_t fnv(const uint8_t *b, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static void print_file(const char *what, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        printf("%s %s: cannot open: %s\n", what, path, strerror(errno));
        return;
    }
    static uint8_t buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    printf("%s %s: size=%zu fnv=%016llx\n", what, path, n, (unsigned long long)fnv(buf, n));
}

static void hex(const char *label, const uint8_t *b, size_t n)
{
    printf("%s", label);
    for (size_t i = 0; i < n; i++)
        printf("%02x", b[i]);
    printf("\n");
}

static void print_prog(const struct bpf_program *fp)
{
    for (u_int i = 0; i < fp->bf_len; i++)
        printf("  %s\n", bpf_image(&fp->bf_insns[i], (int)i));
}

/* ---------------------------------------------------------------- frames */

enum kind { K_EXP, K_UDP9, K_UDP53, K_TCP80 };

/* 60-byte frames: K_EXP has ethertype 0x88b5 and goes to v0's address; the IPv4 ones go to
 * another address (PACKET_OTHERHOST: the stack drops them at once, nothing answers). */
static size_t mkframe(uint8_t *f, enum kind k, int seq, int outgoing)
{
    memset(f, 0, 60);
    const uint8_t *src = outgoing ? MAC_V0 : MAC_V1;
    const uint8_t *dst = outgoing ? MAC_V1 : (k == K_EXP ? MAC_V0 : MAC_OTHER);
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    if (k == K_EXP) {
        f[12] = 0x88;
        f[13] = 0xb5;
        memcpy(f + 14, "PKTAPI", 6);
        f[20] = (uint8_t)outgoing;
        f[21] = (uint8_t)seq;
        for (int i = 22; i < 60; i++)
            f[i] = (uint8_t)(i + seq);
        return 60;
    }
    f[12] = 0x08;
    f[13] = 0x00;
    uint8_t *ip = f + 14;
    ip[0] = 0x45;
    ip[3] = 46; /* total length: 20 + 8 (+18 data) */
    ip[4] = 0x12;
    ip[5] = (uint8_t)seq;
    ip[8] = 64;
    ip[9] = k == K_TCP80 ? 6 : 17;
    uint8_t s[4] = {10, 9, 0, 2}, d[4] = {10, 9, 0, 99};
    memcpy(ip + 12, s, 4);
    memcpy(ip + 16, d, 4);
    uint8_t *l4 = ip + 20;
    int sport = 1000 + seq, dport = k == K_UDP9 ? 9 : k == K_UDP53 ? 53 : 80;
    l4[0] = (uint8_t)(sport >> 8);
    l4[1] = (uint8_t)sport;
    l4[2] = (uint8_t)(dport >> 8);
    l4[3] = (uint8_t)dport;
    if (k != K_TCP80) {
        l4[5] = 26;
    } else {
        l4[12] = 0x50;
        l4[13] = 0x02; /* SYN */
    }
    return 60;
}

static int ref_sock = -1, out_sock = -1, in_sock = -1;
static int v0_index, v1_index;

static int raw_socket(int proto, int ifindex)
{
    int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, proto);
    if (s < 0) {
        perror("socket(AF_PACKET)");
        exit(3);
    }
    struct sockaddr_ll a = {.sll_family = AF_PACKET, .sll_protocol = (uint16_t)proto, .sll_ifindex = ifindex};
    if (bind(s, (struct sockaddr *)&a, sizeof a) < 0) {
        perror("bind(AF_PACKET)");
        exit(3);
    }
    return s;
}

/* The barrier socket (first of all), the outgoing sender on v0 and, from namespace B, the
 * incoming sender on v1. */
static void net_setup(void)
{
    v0_index = (int)if_nametoindex(CAPDEV);
    if (!v0_index) {
        fprintf(stderr, "no %s: run inside run.sh's namespace\n", CAPDEV);
        exit(3);
    }
    ref_sock = raw_socket(htons(ETH_P_ALL), v0_index);
    out_sock = raw_socket(0, v0_index);
    const char *peer = getenv("API_PEER_NS");
    if (!peer) {
        fprintf(stderr, "API_PEER_NS is not set\n");
        exit(3);
    }
    int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    int other = open(peer, O_RDONLY | O_CLOEXEC);
    if (self < 0 || other < 0 || setns(other, CLONE_NEWNET) < 0) {
        perror("setns to the peer namespace");
        exit(3);
    }
    v1_index = (int)if_nametoindex(PEERDEV);
    if (!v1_index) {
        fprintf(stderr, "no %s in the peer namespace\n", PEERDEV);
        exit(3);
    }
    in_sock = raw_socket(0, v1_index);
    if (setns(self, CLONE_NEWNET) < 0) {
        perror("setns back");
        exit(3);
    }
    close(self);
    close(other);
}

static void ref_drain(void)
{
    uint8_t b[2048];
    while (recv(ref_sock, b, sizeof b, MSG_DONTWAIT) >= 0)
        ;
}

/* Waits (deadline 3 s) until the barrier socket has seen n more frames. */
static void ref_wait(int n)
{
    double end = now_ms() + 3000;
    int got = 0;
    uint8_t b[2048];
    while (got < n) {
        double left = end - now_ms();
        if (left <= 0)
            break;
        struct pollfd pfd = {.fd = ref_sock, .events = POLLIN};
        if (poll(&pfd, 1, (int)left + 1) <= 0)
            continue;
        while (got < n && recv(ref_sock, b, sizeof b, MSG_DONTWAIT) >= 0)
            got++;
    }
    if (got != n)
        printf("BARRIER: saw %d of %d frames\n", got, n);
}

static void send_frames(int outgoing, enum kind k, int n, int seq0)
{
    uint8_t f[60];
    int s = outgoing ? out_sock : in_sock;
    struct sockaddr_ll a = {.sll_family = AF_PACKET, .sll_ifindex = outgoing ? v0_index : v1_index, .sll_halen = 6};
    for (int i = 0; i < n; i++) {
        size_t len = mkframe(f, k, seq0 + i, outgoing);
        memcpy(a.sll_addr, f, 6);
        if (sendto(s, f, len, 0, (struct sockaddr *)&a, sizeof a) != (ssize_t)len) {
            perror("sendto");
            exit(3);
        }
    }
}

/* Sends and waits until every handle holds the frames. */
static void send_sync(int outgoing, enum kind k, int n, int seq0)
{
    ref_drain();
    send_frames(outgoing, k, n, seq0);
    ref_wait(n);
}

/* ---------------------------------------------------------------- callbacks */

static int ncb;
static pcap_t *cb_break_handle;
static int cb_break_at; /* breakloop when ncb reaches this (0: never) */

static void cb_count(u_char *user, const struct pcap_pkthdr *h, const u_char *b)
{
    (void)user;
    (void)h;
    (void)b;
    ncb++;
    if (cb_break_at && ncb == cb_break_at)
        pcap_breakloop(cb_break_handle);
}

static void cb_print(u_char *user, const struct pcap_pkthdr *h, const u_char *b)
{
    (void)user;
    ncb++;
    printf("  pkt caplen=%u len=%u ", h->caplen, h->len);
    hex("data=", b, h->caplen < 24 ? h->caplen : 24);
}

static void cb_print_ts(u_char *user, const struct pcap_pkthdr *h, const u_char *b)
{
    (void)user;
    ncb++;
    printf("  pkt ts=%ld.%06ld caplen=%u len=%u ", (long)h->ts.tv_sec, (long)h->ts.tv_usec, h->caplen, h->len);
    hex("data=", b, h->caplen < 16 ? h->caplen : 16);
}

/* pcap_dispatch, printed as "label cnt=C -> R (callbacks=N)". */
static int disp(pcap_t *p, const char *label, int cnt)
{
    ncb = 0;
    int r = pcap_dispatch(p, cnt, cb_count, NULL);
    printf("%s dispatch cnt=%d -> %d (callbacks=%d)\n", label, cnt, r, ncb);
    if (r < 0 && r != PCAP_ERROR_BREAK)
        geterr(p);
    return r;
}

/* Non-blocking reads until 0 (at most 100 calls): the total handed over. */
static int drain(pcap_t *p)
{
    int total = 0;
    for (int i = 0; i < 100; i++) {
        int r = pcap_dispatch(p, -1, cb_count, NULL);
        if (r <= 0)
            break;
        total += r;
    }
    return total;
}

static void print_stats(pcap_t *p, const char *label)
{
    struct pcap_stat st;
    memset(&st, 0xee, sizeof st);
    clr(p);
    int r = pcap_stats(p, &st);
    if (r == 0)
        printf("%s stats -> 0 recv=%u drop=%u ifdrop=%u\n", label, st.ps_recv, st.ps_drop, st.ps_ifdrop);
    else {
        printf("%s stats -> %d\n", label, r);
        geterr(p);
    }
}

static pcap_t *open_cap(const char *dev, int immediate, int to_ms, int nonblock)
{
    pcap_t *p = pcap_create(dev, errbuf);
    if (!p) {
        printf("create %s failed: %s\n", q(dev), errbuf);
        exit(4);
    }
    pcap_set_snaplen(p, 65535);
    pcap_set_timeout(p, to_ms);
    pcap_set_immediate_mode(p, immediate);
    int r = pcap_activate(p);
    if (r != 0) {
        printf("activate %s -> %d (%s)\n", q(dev), r, pcap_geterr(p));
        if (r < 0)
            exit(4);
    }
    if (nonblock && pcap_setnonblock(p, 1, errbuf) != 0)
        printf("setnonblock failed: %s\n", errbuf);
    return p;
}

/* ---------------------------------------------------------------- misc */

static void sec_misc(void)
{
    int st[] = {-13, -12, -11, -10, -9, -8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 99, -99};
    for (size_t i = 0; i < sizeof st / sizeof st[0]; i++)
        printf("statustostr %d -> \"%s\"\n", st[i], pcap_statustostr(st[i]));
    int en[] = {0, EPERM, ENOENT, EINTR, EACCES, ENODEV, EINVAL, ENETDOWN, ENXIO, 133, 255, 4096, -1};
    for (size_t i = 0; i < sizeof en / sizeof en[0]; i++)
        printf("strerror %d -> \"%s\"\n", en[i], pcap_strerror(en[i]));

    for (int v = -1; v <= 300; v++) {
        const char *n = pcap_datalink_val_to_name(v);
        const char *d = pcap_datalink_val_to_description(v);
        const char *o = pcap_datalink_val_to_description_or_dlt(v);
        printf("dlt %d name=%s desc=%s or_dlt=%s\n", v, q(n), q(d), q(o));
    }
    int extra[] = {0x1000, 65535, 65536, 0x7fffffff, -100};
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++)
        printf("dlt %d name=%s desc=%s or_dlt=%s\n", extra[i], q(pcap_datalink_val_to_name(extra[i])),
               q(pcap_datalink_val_to_description(extra[i])),
               q(pcap_datalink_val_to_description_or_dlt(extra[i])));
    const char *names[] = {"EN10MB", "en10mb", "En10Mb", "DLT_EN10MB", "RAW", "raw", "LINUX_SLL", "LINUX_SLL2",
                           "IEEE802_11_RADIO", "NULL", "LOOP", "IPV4", "IPV6", "USER0", "USER15", "DOCSIS",
                           "NETLINK", "PPP", "PPP_ETHER", "USB_LINUX_MMAPPED", "IEEE802_15_4_NOFCS", "NFLOG",
                           "BLUETOOTH_HCI_H4", "EN3MB", "bogus", "", "ETHERNET", "ATM_RFC1483", "C_HDLC",
                           "PFLOG", "SLIP", "FDDI", "IEEE802", "ARCNET", "ARCNET_LINUX", "AX25_KISS", "DSA_TAG_BRCM"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        printf("dlt_name_to_val \"%s\" -> %d\n", names[i], pcap_datalink_name_to_val(names[i]));

    for (int v = -1; v <= 6; v++)
        printf("tstamp %d name=%s desc=%s\n", v, q(pcap_tstamp_type_val_to_name(v)),
               q(pcap_tstamp_type_val_to_description(v)));
    const char *tn[] = {"host", "HOST", "host_lowprec", "host_hiprec", "host_hiprec_unsynced", "adapter",
                        "adapter_unsynced", "Adapter", "bogus", ""};
    for (size_t i = 0; i < sizeof tn / sizeof tn[0]; i++)
        printf("tstamp_name_to_val \"%s\" -> %d\n", tn[i], pcap_tstamp_type_name_to_val(tn[i]));

    /* normalized: the version string names the library by design; only "1.10.3" is compared */
    printf("lib_version mentions 1.10.3: %s\n", strstr(pcap_lib_version(), "1.10.3") ? "yes" : "no");
}

/* ---------------------------------------------------------------- compile */

static void compile_one(pcap_t *p, const char *e, int opt, bpf_u_int32 mask)
{
    struct bpf_program fp;
    clr(p);
    int r = pcap_compile(p, &fp, e, opt, mask);
    printf("compile \"%s\" opt=%d -> %d\n", e, opt, r);
    if (r == 0) {
        print_prog(&fp);
        printf("  validate -> %d\n", bpf_validate(fp.bf_insns, (int)fp.bf_len));
        pcap_freecode(&fp);
    } else {
        geterr(p);
    }
}

static const char *exprs_en10mb[] = {
    "", "ip", "ip6", "arp", "rarp", "tcp", "udp", "icmp", "icmp6", "sctp", "igmp", "ah", "esp", "vrrp",
    "host 10.0.0.1", "src host 10.0.0.1", "dst host 10.0.0.1", "src or dst host 10.0.0.1",
    "src and dst host 10.0.0.1", "dst net 10.0.0.0/8", "net 192.168.0.0 mask 255.255.0.0", "net 10",
    "net 172.16", "port 53", "tcp port 80", "udp dst port 9", "src port 1000", "portrange 1000-2000",
    "src portrange 1-1023", "tcp portrange 5-5", "ether host 02:00:00:00:00:01", "ether src 02:00:00:00:00:02",
    "ether dst ff:ff:ff:ff:ff:ff", "ether broadcast", "ether multicast", "broadcast", "multicast",
    "ip broadcast", "ip multicast", "ip6 multicast", "vlan", "vlan 100", "vlan and ip", "vlan 10 and vlan 20",
    "vlan and vlan", "ip or vlan", "mpls", "mpls 5 and ip", "mpls and mpls 7", "pppoed", "pppoes",
    "pppoes 3 and ip", "geneve", "geneve 5", "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn", "ip[8] < 64",
    "len > 100", "len <= 64", "less 64", "greater 1000", "ip proto 47", "ip proto \\tcp", "ip6 proto 17",
    "ether proto 0x88b5", "ether proto \\arp", "ether[12:2] = 0x88b5", "ether[0] & 1 = 0", "not ip",
    "ip and not tcp or udp", "(tcp or udp) and port 1234", "icmp[icmptype] == icmp-echo",
    "icmp[icmpcode] != 0", "ip6 and tcp port 22", "host fe80::1", "net fe80::/64", "ip6 src net 2001:db8::/32",
    "ip[2:2] > 576", "ip[0] & 0xf != 5", "udp[8:4] = 0x12345678", "tcp[13] & 2 != 0",
    "ip and ip[6:2] & 0x1fff = 0", "arp[6:2] = 1", "ip[1] + 2 * 3 - 1 = ip[2] / 2", "ip[0] % 3 = 1",
    "ip[0] ^ 0xff = 0", "ip[0] << 2 = 4", "ip[0] >> 1 = 0x22", "ip[0] | 1 = 0x45", "-ip[0] = 0",
    "len - 14 > 40", "ip[ip[0] & 0xf] = 1", "tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420",
    "iso", "clnp", "esis", "isis", "stp", "ipx", "netbeui", "atalk", "aarp", "decnet", "lat", "sca",
    "moprc", "mopdl", "llc", "llc i", "llc s", "llc u", "llc rr", "llc ui", "decnet host 10.15",
    "inbound", "outbound", "ip and inbound", "ether host 02:00:00:00:00:01 and not arp",
    "host 10.0.0.1 and (port 80 or port 443)", "not (src net 10.0.0.0/8 or dst net 10.0.0.0/8)",
    "ip and udp and udp port 9 and udp dst port 9", "tcp or tcp or tcp", "ip and ip", "1 = 1", "0 = 1",
    "ether[1:4] = 0", "link[0] = 2", "ppp[0] = 2"};

static const char *exprs_bad[] = {"ip and", "tcp port 99999", "host 999.1.1.1", "ether host 1:2:3:4:5",
                                  "nosuchkeyword", "ip[", "ip proto nosuchproto", "port nosuchservice",
                                  "vlan 5000", "net 10.0.0.0/33", "len / 0 > 1", "ip[0] % 0 = 1", "(ip",
                                  "ip)", "portrange 2000-1000x", "ifindex 2", "wlan host 02:00:00:00:00:01",
                                  "type mgt", "action pass", "ip6 broadcast", "net 10.0.0.1/8",
                                  "mpls 1048576", "geneve 16777216", "ether proto 0x10000", "tcp[100000:8]",
                                  "ip[0:3] = 1", "123456789012345678901234567890", "protochain 6",
                                  "atalk host 1", "ether host 02:00:00:00:00:01:02"};

static void sec_compile(void)
{
    pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
    for (size_t i = 0; i < sizeof exprs_en10mb / sizeof exprs_en10mb[0]; i++)
        compile_one(p, exprs_en10mb[i], 1, 0xffffff00);
    const char *noopt[] = {"tcp port 80", "ip or ip6", "host 10.0.0.1", "vlan and ip", "ip and ip"};
    for (size_t i = 0; i < sizeof noopt / sizeof noopt[0]; i++)
        compile_one(p, noopt[i], 0, 0xffffff00);
    for (size_t i = 0; i < sizeof exprs_bad / sizeof exprs_bad[0]; i++)
        compile_one(p, exprs_bad[i], 1, 0xffffff00);
    compile_one(p, "ip broadcast", 1, PCAP_NETMASK_UNKNOWN);
    compile_one(p, "ip broadcast", 1, 0);
    pcap_close(p);

    p = pcap_open_dead(DLT_EN10MB, 96);
    printf("dead EN10MB snaplen=96: snapshot=%d datalink=%d\n", pcap_snapshot(p), pcap_datalink(p));
    compile_one(p, "ip", 1, 0);
    pcap_close(p);

    struct {
        int dlt;
        const char *e;
    } other[] = {
        {DLT_RAW, "ip"}, {DLT_RAW, "ip6"}, {DLT_RAW, "tcp port 80"}, {DLT_RAW, "ether host 02:00:00:00:00:01"},
        {DLT_RAW, "inbound"}, {DLT_RAW, "vlan"}, {DLT_LINUX_SLL, "ip"}, {DLT_LINUX_SLL, "inbound"},
        {DLT_LINUX_SLL, "outbound"}, {DLT_LINUX_SLL, "vlan"}, {DLT_LINUX_SLL, "ether src 02:00:00:00:00:02"},
        {DLT_LINUX_SLL, "ether dst 02:00:00:00:00:02"}, {DLT_LINUX_SLL, "udp port 9"},
        {DLT_LINUX_SLL2, "ifindex 2"}, {DLT_LINUX_SLL2, "inbound"}, {DLT_LINUX_SLL2, "ip"},
        {DLT_LINUX_SLL2, "ether src 02:00:00:00:00:02"}, {DLT_NULL, "ip"}, {DLT_NULL, "ip6"}, {DLT_LOOP, "ip"},
        {DLT_IPV4, "ip"}, {DLT_IPV4, "ip6"}, {DLT_IPV6, "ip6"}, {DLT_IEEE802_11_RADIO, "wlan type data"},
        {DLT_IEEE802_11_RADIO, "wlan addr1 02:00:00:00:00:01"}, {DLT_IEEE802_11_RADIO, "ip"},
        {DLT_IEEE802_11, "type mgt subtype beacon"}, {DLT_IEEE802_11, "wlan src 02:00:00:00:00:01"},
        {DLT_PFLOG, "action pass"}, {DLT_PFLOG, "ifname eth0"}, {DLT_PPP, "ip"}, {DLT_PPP_ETHER, "ip"},
        {DLT_C_HDLC, "ip"}, {DLT_FDDI, "ip"}, {DLT_IEEE802, "ip"}, {DLT_SLIP, "ip"}, {DLT_ARCNET, "ip"},
        {DLT_USER0, "ip"}, {DLT_USER0, "len > 10"}, {DLT_NFLOG, "ip"}, {DLT_DOCSIS, "ip"},
        {DLT_MTP2, "sio = 3"}, {DLT_SUNATM, "vpi 1"}, {DLT_IP_OVER_FC, "ip"},
    };
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
        p = pcap_open_dead(other[i].dlt, 65535);
        printf("dlt %d (%s):\n", other[i].dlt, q(pcap_datalink_val_to_name(other[i].dlt)));
        compile_one(p, other[i].e, 1, 0xffffff00);
        pcap_close(p);
    }

    /* pcap_compile_nopcap (deprecated, still exported) */
    struct bpf_program fp;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    int r = pcap_compile_nopcap(65535, DLT_EN10MB, &fp, "udp port 9", 1, 0);
    printf("compile_nopcap \"udp port 9\" -> %d\n", r);
    if (r == 0) {
        print_prog(&fp);
        pcap_freecode(&fp);
    }
    r = pcap_compile_nopcap(65535, DLT_EN10MB, &fp, "ip and", 1, 0);
    printf("compile_nopcap \"ip and\" -> %d\n", r);
    r = pcap_compile_nopcap(128, DLT_RAW, &fp, "tcp", 1, 0);
    printf("compile_nopcap RAW snap=128 \"tcp\" -> %d\n", r);
#pragma GCC diagnostic pop
    if (r == 0) {
        print_prog(&fp);
        pcap_freecode(&fp);
    }

    /* bpf_validate */
    struct bpf_insn ret_only[] = {BPF_STMT(BPF_RET | BPF_K, 65535)};
    struct bpf_insn jump_out[] = {BPF_JUMP(BPF_JMP | BPF_JA, 5, 0, 0), BPF_STMT(BPF_RET | BPF_K, 0)};
    struct bpf_insn cond_out[] = {BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 3, 0), BPF_STMT(BPF_RET | BPF_K, 0)};
    struct bpf_insn div0[] = {BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0), BPF_STMT(BPF_RET | BPF_K, 0)};
    struct bpf_insn mod0[] = {BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, 0), BPF_STMT(BPF_RET | BPF_K, 0)};
    struct bpf_insn divx[] = {BPF_STMT(BPF_ALU | BPF_DIV | BPF_X, 0), BPF_STMT(BPF_RET | BPF_K, 0)};
    struct bpf_insn noret[] = {BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0)};
    struct bpf_insn mem16[] = {BPF_STMT(BPF_LD | BPF_MEM, 16), BPF_STMT(BPF_RET | BPF_K, 0)};
    struct bpf_insn st16[] = {BPF_STMT(BPF_ST, 16), BPF_STMT(BPF_RET | BPF_K, 0)};
    struct bpf_insn mem15[] = {BPF_STMT(BPF_ST, 15), BPF_STMT(BPF_LD | BPF_MEM, 15), BPF_STMT(BPF_RET | BPF_A, 0)};
    struct bpf_insn badop[] = {{0xffff, 0, 0, 0}, BPF_STMT(BPF_RET | BPF_K, 0)};
    struct bpf_insn badld[] = {BPF_STMT(BPF_LD | BPF_W | 0xe0, 0), BPF_STMT(BPF_RET | BPF_K, 0)};
    struct bpf_insn ldx_msh[] = {BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14), BPF_STMT(BPF_MISC | BPF_TXA, 0),
                                 BPF_STMT(BPF_RET | BPF_A, 0)};
    struct bpf_insn ret_x[] = {BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14), BPF_STMT(BPF_RET | BPF_X, 0)};
    struct bpf_insn neg[] = {BPF_STMT(BPF_ALU | BPF_NEG, 0), BPF_STMT(BPF_RET | BPF_A, 0)};
    struct bpf_insn ja_back[] = {BPF_JUMP(BPF_JMP | BPF_JA, 0xffffffff, 0, 0), BPF_STMT(BPF_RET | BPF_K, 0)};
    struct bpf_insn ancil[] = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)-4096 + 4), BPF_STMT(BPF_RET | BPF_A, 0)};
    struct bpf_insn lsh33[] = {BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 33), BPF_STMT(BPF_RET | BPF_A, 0)};
    struct {
        const char *name;
        struct bpf_insn *i;
        int n;
    } progs[] = {
        {"ret_only", ret_only, 1}, {"jump_out", jump_out, 2}, {"cond_out", cond_out, 2}, {"div0", div0, 2},
        {"mod0", mod0, 2}, {"divx", divx, 2}, {"noret", noret, 1}, {"mem16", mem16, 2}, {"st16", st16, 2},
        {"mem15", mem15, 3}, {"badop", badop, 2}, {"badld", badld, 2}, {"ldx_msh", ldx_msh, 3},
        {"ret_x", ret_x, 2}, {"neg", neg, 2},
        {"ja_back", ja_back, 2}, {"ancil", ancil, 2}, {"lsh33", lsh33, 2}, {"empty", ret_only, 0},
    };
    for (size_t i = 0; i < sizeof progs / sizeof progs[0]; i++) {
        printf("validate %s -> %d\n", progs[i].name, bpf_validate(progs[i].i, progs[i].n));
        for (int k = 0; k < progs[i].n; k++)
            printf("  %s\n", bpf_image(&progs[i].i[k], k));
    }

    /* bpf_filter over crafted packets */
    uint8_t pk[4][60];
    mkframe(pk[0], K_UDP9, 1, 0);
    mkframe(pk[1], K_UDP53, 2, 0);
    mkframe(pk[2], K_EXP, 3, 0);
    mkframe(pk[3], K_TCP80, 4, 1);
    const char *fexprs[] = {"udp port 9", "udp", "ether proto 0x88b5", "tcp[tcpflags] & tcp-syn != 0",
                            "ip[100] = 0", "len = 60", "ether src 02:00:00:00:00:01", "ip[5] = 2",
                            "udp[2:2] + 1 = 10", "ip[0] & 0xf = 5", "inbound"};
    p = pcap_open_dead(DLT_EN10MB, 65535);
    for (size_t e = 0; e < sizeof fexprs / sizeof fexprs[0]; e++) {
        if (pcap_compile(p, &fp, fexprs[e], 1, 0) != 0) {
            printf("bpf_filter \"%s\": compile failed: %s\n", fexprs[e], pcap_geterr(p));
            continue;
        }
        printf("bpf_filter \"%s\":", fexprs[e]);
        for (int k = 0; k < 4; k++)
            printf(" %u", bpf_filter(fp.bf_insns, pk[k], 60, 60));
        /* truncated buffers: wirelen 60, buflen 20 and 0 */
        printf(" | buflen20: %u buflen0: %u", bpf_filter(fp.bf_insns, pk[0], 60, 20),
               bpf_filter(fp.bf_insns, pk[0], 60, 0));
        struct pcap_pkthdr h = {.caplen = 60, .len = 60};
        printf(" | offline_filter: %d", pcap_offline_filter(&fp, &h, pk[0]));
        h.caplen = 30;
        printf(" caplen30: %d\n", pcap_offline_filter(&fp, &h, pk[0]));
        pcap_freecode(&fp);
    }
    /* libpcap's bpf_validate accepts badop, ret_x (which its bpf_filter then abort()s on) and
     * ja_back (which jumps out of the program): only the others are run */
    for (size_t i = 0; i < sizeof progs / sizeof progs[0]; i++)
        if (bpf_validate(progs[i].i, progs[i].n) && strcmp(progs[i].name, "badop") &&
            strcmp(progs[i].name, "ret_x") && strcmp(progs[i].name, "ja_back"))
            printf("bpf_filter %s -> %u\n", progs[i].name, bpf_filter(progs[i].i, pk[0], 60, 60));
    printf("bpf_filter NULL program -> %u\n", bpf_filter(NULL, pk[0], 60, 60));
    struct bpf_program empty = {0, NULL};
    struct pcap_pkthdr h = {.caplen = 60, .len = 60};
    printf("offline_filter empty program -> %d\n", pcap_offline_filter(&empty, &h, pk[0]));

    /* bpf_dump (prints to stdout) */
    if (pcap_compile(p, &fp, "udp port 9", 1, 0) == 0) {
        fflush(stdout);
        printf("bpf_dump option 0:\n");
        bpf_dump(&fp, 0);
        printf("bpf_dump option 1:\n");
        bpf_dump(&fp, 1);
        printf("bpf_dump option 2:\n");
        bpf_dump(&fp, 2);
        printf("bpf_dump option 3:\n");
        bpf_dump(&fp, 3);
        pcap_freecode(&fp);
    }
    pcap_close(p);
}

/* ---------------------------------------------------------------- lifecycle */

static void print_datalinks(pcap_t *p, const char *label)
{
    int *l = NULL;
    clr(p);
    int n = pcap_list_datalinks(p, &l);
    printf("%s list_datalinks -> %d:", label, n);
    for (int i = 0; i < n; i++)
        printf(" %d(%s)", l[i], q(pcap_datalink_val_to_name(l[i])));
    printf("\n");
    if (n < 0)
        geterr(p);
    else
        pcap_free_datalinks(l);
}

static void print_tstamp_types(pcap_t *p, const char *label)
{
    int *l = NULL;
    clr(p);
    int n = pcap_list_tstamp_types(p, &l);
    printf("%s list_tstamp_types -> %d:", label, n);
    for (int i = 0; i < n; i++)
        printf(" %d(%s)", l[i], q(pcap_tstamp_type_val_to_name(l[i])));
    printf("\n");
    if (n < 0)
        geterr(p);
    else if (l)
        pcap_free_tstamp_types(l);
}

#define CALL(p, label, expr)                                                                                    \
    do {                                                                                                        \
        clr(p);                                                                                                 \
        int r_ = (expr);                                                                                        \
        printf("%s %s -> %d\n", label, #expr, r_);                                                              \
        geterr(p);                                                                                              \
    } while (0)

static void setters(pcap_t *p, const char *label)
{
    CALL(p, label, pcap_set_snaplen(p, 100));
    CALL(p, label, pcap_set_promisc(p, 1));
    CALL(p, label, pcap_set_rfmon(p, 1));
    CALL(p, label, pcap_set_timeout(p, 10));
    CALL(p, label, pcap_set_buffer_size(p, 1 << 20));
    CALL(p, label, pcap_set_tstamp_type(p, PCAP_TSTAMP_HOST));
    CALL(p, label, pcap_set_immediate_mode(p, 1));
    CALL(p, label, pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO));
    CALL(p, label, pcap_set_protocol_linux(p, ETH_P_IP));
}

static void queries(pcap_t *p, const char *label, int pre)
{
    CALL(p, label, pcap_datalink(p));
    CALL(p, label, pcap_datalink_ext(p));
    CALL(p, label, pcap_snapshot(p));
    CALL(p, label, pcap_set_datalink(p, DLT_EN10MB));
    CALL(p, label, pcap_setdirection(p, PCAP_D_IN));
    CALL(p, label, pcap_is_swapped(p));
    CALL(p, label, pcap_major_version(p));
    CALL(p, label, pcap_minor_version(p));
    CALL(p, label, pcap_bufsize(p));
    CALL(p, label, pcap_get_tstamp_precision(p));
    CALL(p, label, pcap_can_set_rfmon(p));
    CALL(p, label, pcap_getnonblock(p, errbuf));
    if (pre) {
        /* reads on an activated handle are the read section's */
        CALL(p, label, pcap_dispatch(p, 1, cb_count, NULL));
        CALL(p, label, pcap_loop(p, 1, cb_count, NULL));
        struct pcap_pkthdr *h;
        const u_char *d;
        CALL(p, label, pcap_next_ex(p, &h, &d));
        uint8_t f[60];
        mkframe(f, K_EXP, 0, 1);
        CALL(p, label, pcap_inject(p, f, 60));
        CALL(p, label, pcap_sendpacket(p, f, 60));
    }
    /* normalized: a descriptor's number is not compared, only its sign */
    clr(p);
    printf("%s pcap_fileno>=0 -> %d\n", label, pcap_fileno(p) >= 0);
    geterr(p);
    clr(p);
    printf("%s pcap_get_selectable_fd>=0 -> %d\n", label, pcap_get_selectable_fd(p) >= 0);
    geterr(p);
    printf("%s pcap_file!=NULL -> %d\n", label, pcap_file(p) != NULL);
    print_stats(p, label);
    print_datalinks(p, label);
    print_tstamp_types(p, label);
    struct bpf_program fp;
    clr(p);
    int r = pcap_compile(p, &fp, "ip", 1, 0);
    printf("%s compile \"ip\" -> %d\n", label, r);
    geterr(p);
    if (r == 0) {
        CALL(p, label, pcap_setfilter(p, &fp));
        pcap_freecode(&fp);
    } else {
        struct bpf_insn ok[] = {BPF_STMT(BPF_RET | BPF_K, 65535)};
        struct bpf_program prog = {1, ok};
        CALL(p, label, pcap_setfilter(p, &prog));
    }
    clr(p);
    pcap_dumper_t *dp = pcap_dump_open(p, "lifecycle.pcap");
    printf("%s dump_open -> %s\n", label, dp ? "dumper" : "NULL");
    geterr(p);
    if (dp)
        pcap_dump_close(dp);
}

static void activate_case(const char *dev, int promisc)
{
    eb_reset();
    pcap_t *p = pcap_create(dev, errbuf);
    printf("create %s -> %s errbuf=\"%s\"\n", q(dev), p ? "handle" : "NULL", errbuf);
    if (!p)
        return;
    if (promisc)
        pcap_set_promisc(p, 1);
    clr(p);
    int r = pcap_activate(p);
    printf("  activate%s -> %d (%s)\n", promisc ? " promisc" : "", r, pcap_statustostr(r));
    geterr(p);
    /* (activating again after a failure crashes libpcap 1.10.3: not done) */
    if (r >= 0) {
        CALL(p, "  ", pcap_datalink(p));
        CALL(p, "  ", pcap_snapshot(p));
    }
    pcap_close(p);
}

static void open_live_case(const char *dev, int snaplen, int promisc, int to_ms)
{
    eb_reset();
    pcap_t *p = pcap_open_live(dev, snaplen, promisc, to_ms, errbuf);
    printf("open_live %s snaplen=%d promisc=%d to_ms=%d -> %s errbuf=\"%s\"\n", q(dev), snaplen, promisc, to_ms,
           p ? "handle" : "NULL", errbuf);
    if (p) {
        printf("  datalink=%d snapshot=%d\n", pcap_datalink(p), pcap_snapshot(p));
        pcap_close(p);
    }
}

static void snaplen_case(int snaplen)
{
    pcap_t *p = pcap_create(CAPDEV, errbuf);
    pcap_set_snaplen(p, snaplen);
    int r = pcap_activate(p);
    printf("snaplen %d: activate -> %d snapshot=%d\n", snaplen, r, pcap_snapshot(p));
    pcap_close(p);
}

static void sec_lifecycle(void)
{
    eb_reset();
    pcap_t *p = pcap_create(CAPDEV, errbuf);
    printf("create %s errbuf=\"%s\"\n", CAPDEV, errbuf);
    printf("before activation:\n");
    queries(p, "pre", 1);
    printf("setters before activation:\n");
    pcap_t *p2 = pcap_create(CAPDEV, errbuf);
    CALL(p2, "pre", pcap_set_snaplen(p2, -1));
    CALL(p2, "pre", pcap_set_snaplen(p2, 0));
    CALL(p2, "pre", pcap_set_promisc(p2, 2));
    CALL(p2, "pre", pcap_set_timeout(p2, -5));
    CALL(p2, "pre", pcap_set_buffer_size(p2, 0));
    CALL(p2, "pre", pcap_set_buffer_size(p2, -1));
    CALL(p2, "pre", pcap_set_tstamp_type(p2, PCAP_TSTAMP_HOST));
    CALL(p2, "pre", pcap_set_tstamp_type(p2, PCAP_TSTAMP_ADAPTER));
    CALL(p2, "pre", pcap_set_tstamp_type(p2, 99));
    CALL(p2, "pre", pcap_set_tstamp_precision(p2, 5));
    CALL(p2, "pre", pcap_set_tstamp_precision(p2, PCAP_TSTAMP_PRECISION_MICRO));
    CALL(p2, "pre", pcap_set_immediate_mode(p2, 7));
    CALL(p2, "pre", pcap_set_protocol_linux(p2, 0));
    CALL(p2, "pre", pcap_set_rfmon(p2, 0));
    CALL(p2, "pre", pcap_setnonblock(p2, 1, errbuf));
    CALL(p2, "pre", pcap_getnonblock(p2, errbuf));
    CALL(p2, "pre", pcap_activate(p2));
    CALL(p2, "post", pcap_getnonblock(p2, errbuf));
    CALL(p2, "post", pcap_snapshot(p2));
    CALL(p2, "post", pcap_get_tstamp_precision(p2));
    pcap_close(p2);

    clr(p);
    int r = pcap_activate(p);
    printf("activate %s -> %d\n", CAPDEV, r);
    geterr(p);
    printf("after activation:\n");
    setters(p, "post");
    queries(p, "post", 0);
    clr(p);
    r = pcap_activate(p);
    printf("activate again -> %d (%s)\n", r, pcap_statustostr(r));
    geterr(p);
    CALL(p, "post", pcap_set_datalink(p, DLT_DOCSIS));
    CALL(p, "post", pcap_datalink(p));
    CALL(p, "post", pcap_set_datalink(p, DLT_EN10MB));
    CALL(p, "post", pcap_set_datalink(p, DLT_IEEE802_11));
    CALL(p, "post", pcap_set_datalink(p, DLT_LINUX_SLL));
    CALL(p, "post", pcap_set_datalink(p, 12345));
    CALL(p, "post", pcap_set_datalink(p, -1));
    CALL(p, "post", pcap_datalink(p));
    CALL(p, "post", pcap_setdirection(p, 7));
    CALL(p, "post", pcap_setnonblock(p, 1, errbuf));
    CALL(p, "post", pcap_getnonblock(p, errbuf));
    CALL(p, "post", pcap_setnonblock(p, 0, errbuf));
    CALL(p, "post", pcap_getnonblock(p, errbuf));
    pcap_close(p);

    activate_case("nosuch0", 0);
    activate_case(LONGNAME, 0);
    activate_case("", 0);
    activate_case(DOWNDEV, 0);
    activate_case(DOWNDEV, 1);
    activate_case(CAPDEV, 1);
    activate_case("lo", 1);
    activate_case("any", 0);
    activate_case("any", 1);
    activate_case(NULL, 0);
    activate_case(NULL, 1);
    /* (nflog, nfqueue, bluetooth-monitor, dbus-*: documented as refused at activation) */

    open_live_case("nosuch0", 65535, 0, 100);
    open_live_case(LONGNAME, 65535, 0, 100);
    open_live_case(DOWNDEV, 65535, 1, 100);
    open_live_case(CAPDEV, 65535, 1, 100);
    open_live_case(CAPDEV, 0, 0, 0);
    open_live_case(CAPDEV, -1, 0, -1);
    open_live_case("any", 128, 1, 100);
    open_live_case(NULL, 128, 0, 100);

    snaplen_case(0);
    snaplen_case(-1);
    snaplen_case(1);
    snaplen_case(100);
    snaplen_case(262144);
    snaplen_case(262145);
    snaplen_case(0x7fffffff);

    /* time stamp type and precision at activation */
    int tts[] = {PCAP_TSTAMP_HOST, PCAP_TSTAMP_HOST_LOWPREC, PCAP_TSTAMP_HOST_HIPREC, PCAP_TSTAMP_ADAPTER,
                 PCAP_TSTAMP_ADAPTER_UNSYNCED, PCAP_TSTAMP_HOST_HIPREC_UNSYNCED};
    for (size_t i = 0; i < sizeof tts / sizeof tts[0]; i++) {
        p = pcap_create(CAPDEV, errbuf);
        int s = pcap_set_tstamp_type(p, tts[i]);
        clr(p);
        r = pcap_activate(p);
        printf("tstamp_type %d set -> %d activate -> %d\n", tts[i], s, r);
        geterr(p);
        pcap_close(p);
    }
    p = pcap_create(CAPDEV, errbuf);
    pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
    r = pcap_activate(p);
    printf("nano precision: activate -> %d precision=%d\n", r, pcap_get_tstamp_precision(p));
    pcap_close(p);

    /* link types and time stamp types: veth, down veth, lo, any (before and after activation) */
    const char *devs[] = {CAPDEV, "lo", "any", DOWNDEV};
    for (size_t i = 0; i < sizeof devs / sizeof devs[0]; i++) {
        p = pcap_create(devs[i], errbuf);
        char label[64];
        snprintf(label, sizeof label, "%s pre", devs[i]);
        print_tstamp_types(p, label);
        CALL(p, label, pcap_can_set_rfmon(p));
        clr(p);
        r = pcap_activate(p);
        printf("%s activate -> %d\n", devs[i], r);
        if (r >= 0) {
            snprintf(label, sizeof label, "%s post", devs[i]);
            print_datalinks(p, label);
            print_tstamp_types(p, label);
            CALL(p, label, pcap_datalink(p));
            CALL(p, label, pcap_set_datalink(p, DLT_IEEE802_11));
            CALL(p, label, pcap_set_datalink(p, DLT_LINUX_SLL2));
            CALL(p, label, pcap_datalink(p));
            CALL(p, label, pcap_set_datalink(p, DLT_EN10MB));
            CALL(p, label, pcap_datalink(p));
            CALL(p, label, pcap_set_datalink(p, DLT_LINUX_SLL));
            CALL(p, label, pcap_datalink(p));
            CALL(p, label, pcap_setdirection(p, PCAP_D_OUT));
        }
        pcap_close(p);
    }
    p = pcap_create(CAPDEV, errbuf);
    CALL(p, "bufsize", pcap_set_buffer_size(p, 100000));
    pcap_activate(p);
    CALL(p, "bufsize", pcap_bufsize(p));
    pcap_close(p);
    p = pcap_create(CAPDEV, errbuf);
    pcap_activate(p);
    CALL(p, "bufsize default", pcap_bufsize(p));
    pcap_close(p);
}

/* ---------------------------------------------------------------- breakloop */

static pcap_t *sig_handle;
static void on_signal(int sig)
{
    (void)sig;
    pcap_breakloop(sig_handle);
}

struct kick {
    pthread_t target;
    int ms, use_signal;
    pcap_t *p;
};

static void *kicker(void *arg)
{
    struct kick *k = arg;
    struct timespec ts = {k->ms / 1000, (k->ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    if (k->use_signal)
        pthread_kill(k->target, SIGUSR1);
    else
        pcap_breakloop(k->p);
    return NULL;
}

/* ---------------------------------------------------------------- read */

/* pcap_next_ex; its data is compared with frame seq (the seq byte is printed too). */
static void next_ex_case(pcap_t *p, const char *label, enum kind k, int seq, int outgoing)
{
    struct pcap_pkthdr *h = NULL;
    const u_char *d = NULL;
    clr(p);
    int r = pcap_next_ex(p, &h, &d);
    printf("%s next_ex -> %d", label, r);
    if (r == 1) {
        uint8_t f[60];
        size_t n = mkframe(f, k, seq, outgoing);
        printf(" caplen=%u len=%u seq=%d data %s", h->caplen, h->len, h->caplen > 21 ? d[21] : -1,
               h->caplen == n && memcmp(d, f, n) == 0 ? "matches" : "is not the frame sent as seq");
    }
    printf("\n");
    if (r < 0)
        geterr(p);
}

static void next_case(pcap_t *p, const char *label)
{
    struct pcap_pkthdr h;
    memset(&h, 0, sizeof h);
    clr(p);
    const u_char *d = pcap_next(p, &h);
    printf("%s next -> %s", label, d ? "data" : "NULL");
    if (d) {
        printf(" caplen=%u len=%u ", h.caplen, h.len);
        hex("data=", d, 22);
    } else {
        printf("\n");
    }
}

static void sec_read(void)
{
    net_setup();
    pcap_t *p = open_cap(CAPDEV, 1, 1000, 1);
    printf("immediate, non-blocking:\n");
    disp(p, "empty", -1);
    disp(p, "empty", 0);
    disp(p, "empty", 1);
    send_sync(0, K_EXP, 10, 0);
    disp(p, "10 sent", 1);
    disp(p, "9 left", 3);
    disp(p, "6 left", 0);
    disp(p, "0 left", -1);
    send_sync(0, K_EXP, 10, 10);
    disp(p, "10 sent", -1);
    disp(p, "0 left", -1);
    send_sync(0, K_EXP, 10, 20);
    disp(p, "10 sent", 25);
    send_sync(0, K_EXP, 4, 30);
    for (int i = 0; i < 4; i++)
        next_ex_case(p, "4 sent", K_EXP, 30 + i, 0);
    next_ex_case(p, "empty", K_EXP, 0, 0);
    send_sync(0, K_EXP, 2, 40);
    next_case(p, "2 sent");
    next_case(p, "1 left");
    next_case(p, "empty");
    send_sync(0, K_EXP, 5, 50);
    ncb = 0;
    int r = pcap_loop(p, 5, cb_count, NULL);
    printf("5 sent: loop cnt=5 -> %d (callbacks=%d)\n", r, ncb);
    send_sync(0, K_EXP, 5, 60);
    ncb = 0;
    r = pcap_loop(p, 3, cb_count, NULL);
    printf("5 sent: loop cnt=3 -> %d (callbacks=%d)\n", r, ncb);
    disp(p, "2 left", -1);
    /* (pcap_loop in non-blocking mode with fewer packets than cnt spins: not called) */
    send_sync(0, K_EXP, 2, 70);
    ncb = 0;
    r = pcap_loop(p, 2, cb_print, NULL);
    printf("2 sent non-blocking: loop cnt=2 -> %d (callbacks=%d)\n", r, ncb);
    print_stats(p, "after 48 in");

    /* outgoing frames of other sockets are captured, the handle's own are not */
    send_sync(1, K_EXP, 3, 80);
    disp(p, "3 out (raw socket)", -1);
    uint8_t f[2000];
    mkframe(f, K_EXP, 90, 1);
    ref_drain();
    clr(p);
    r = pcap_inject(p, f, 60);
    printf("inject 60 -> %d\n", r);
    clr(p);
    r = pcap_sendpacket(p, f, 60);
    printf("sendpacket 60 -> %d\n", r);
    ref_wait(2);
    disp(p, "own 2 out", -1);
    memset(f, 0, sizeof f);
    mkframe(f, K_EXP, 91, 1);
    clr(p);
    r = pcap_inject(p, f, 2000);
    printf("inject 2000 -> %d\n", r);
    geterr(p);
    clr(p);
    r = pcap_sendpacket(p, f, 2000);
    printf("sendpacket 2000 -> %d\n", r);
    geterr(p);
    clr(p);
    r = pcap_inject(p, f, 0);
    printf("inject 0 -> %d\n", r);
    geterr(p);
    print_stats(p, "after 51 in");

    /* (a blocking read with nothing to read does not return at to_ms in libpcap 1.10.3: its
     * poll loop goes on after a timeout; the break section stops such reads) */
    pcap_close(p);

    printf("TPACKET_V3 (not immediate), to_ms=100:\n");
    p = open_cap(CAPDEV, 0, 100, 0);
    send_sync(0, K_EXP, 10, 100);
    int total = 0, calls = 0;
    ncb = 0;
    while (total < 10 && calls < 50) {
        r = pcap_dispatch(p, -1, cb_count, NULL);
        calls++;
        if (r < 0)
            break;
        total += r;
    }
    printf("10 sent: blocking dispatch until 10 -> total=%d callbacks=%d last=%d\n", total, ncb, r);
    pcap_setnonblock(p, 1, errbuf);
    disp(p, "non-blocking empty", -1);
    send_sync(0, K_EXP, 10, 110);
    /* the first non-zero result of cnt=1 is 1 (when the block retires is the kernel's timer's) */
    pcap_setnonblock(p, 0, errbuf);
    r = 0;
    for (calls = 0; calls < 50 && r == 0; calls++)
        r = pcap_dispatch(p, 1, cb_count, NULL);
    printf("10 sent: blocking dispatch cnt=1 first non-zero -> %d\n", r);
    pcap_setnonblock(p, 1, errbuf);
    total = 0;
    double end = now_ms() + 3000;
    while (total < 9 && now_ms() < end) {
        r = pcap_dispatch(p, -1, cb_count, NULL);
        if (r < 0)
            break;
        total += r;
        if (r == 0) {
            struct pollfd pfd = {.fd = pcap_get_selectable_fd(p), .events = POLLIN};
            poll(&pfd, 1, 200);
        }
    }
    printf("9 left: non-blocking dispatch until 9 -> total=%d\n", total);
    disp(p, "non-blocking empty", -1);
    send_sync(0, K_EXP, 1, 120);
    pcap_setnonblock(p, 0, errbuf);
    r = 0;
    for (calls = 0; calls < 50 && r == 0; calls++)
        r = pcap_next_ex(p, &(struct pcap_pkthdr *){NULL}, &(const u_char *){NULL});
    printf("1 sent: blocking next_ex first non-zero -> %d\n", r);
    print_stats(p, "after 21 in");
    pcap_close(p);

    /* libpcap 1.10.3 makes to_ms=0 a block retire timeout of UINT_MAX ms: a packet waits in the
     * ring until its block fills; a thread's pcap_breakloop after 300 ms ends the wait */
    printf("TPACKET_V3, to_ms=0 (a block retires when full):\n");
    p = open_cap(CAPDEV, 0, 0, 0);
    send_sync(0, K_EXP, 1, 130);
    struct kick k = {pthread_self(), 300, 0, p};
    pthread_t t;
    pthread_create(&t, NULL, kicker, &k);
    disp(p, "1 sent, breakloop from a thread at 300 ms:", -1);
    pthread_join(t, NULL);
    pcap_close(p);

    printf("immediate mode delivery (to_ms=5000, blocking):\n");
    p = open_cap(CAPDEV, 1, 5000, 0);
    ref_drain();
    double t0 = now_ms();
    send_frames(0, K_EXP, 1, 140);
    next_ex_case(p, "1 sent", K_EXP, 140, 0);
    /* normalized: only whether it came well before the 5 s timeout */
    printf("  delivered before to_ms: %s\n", now_ms() - t0 < 2500 ? "yes" : "no");
    ref_wait(1);
    pcap_close(p);

    printf("snaplen 30:\n");
    p = pcap_create(CAPDEV, errbuf);
    pcap_set_snaplen(p, 30);
    pcap_set_immediate_mode(p, 1);
    pcap_activate(p);
    pcap_setnonblock(p, 1, errbuf);
    send_sync(0, K_EXP, 1, 150);
    ncb = 0;
    r = pcap_dispatch(p, -1, cb_print, NULL);
    printf("1 sent snaplen 30 -> %d\n", r);
    pcap_close(p);

    printf("any, immediate (cooked headers):\n");
    p = open_cap("any", 1, 1000, 1);
    send_sync(0, K_EXP, 1, 160);
    r = pcap_dispatch(p, -1, cb_print, NULL);
    printf("1 in on any -> %d\n", r);
    send_sync(1, K_EXP, 1, 161);
    r = pcap_dispatch(p, -1, cb_print, NULL);
    printf("1 out on any -> %d\n", r);
    CALL(p, "any", pcap_set_datalink(p, DLT_LINUX_SLL2));
    send_sync(0, K_EXP, 1, 162);
    r = pcap_dispatch(p, -1, cb_print, NULL);
    printf("1 in on any SLL2 -> %d\n", r);
    send_sync(1, K_EXP, 1, 163);
    r = pcap_dispatch(p, -1, cb_print, NULL);
    printf("1 out on any SLL2 -> %d\n", r);
    print_stats(p, "any");
    pcap_close(p);

    printf("protocol_linux ETH_P_IP:\n");
    p = pcap_create(CAPDEV, errbuf);
    pcap_set_protocol_linux(p, ETH_P_IP);
    pcap_set_immediate_mode(p, 1);
    pcap_activate(p);
    pcap_setnonblock(p, 1, errbuf);
    send_sync(0, K_EXP, 2, 170);
    send_sync(0, K_UDP9, 3, 172);
    printf("2 exp + 3 udp in -> %d\n", drain(p));
    print_stats(p, "protocol ip");
    pcap_close(p);

    printf("DOCSIS link type on v0:\n");
    p = open_cap(CAPDEV, 1, 1000, 1);
    CALL(p, "docsis", pcap_set_datalink(p, DLT_DOCSIS));
    send_sync(0, K_EXP, 1, 180);
    r = pcap_dispatch(p, -1, cb_print, NULL);
    printf("1 in DOCSIS -> %d\n", r);
    pcap_close(p);
}

static void arm_alarm(int ms)
{
    struct itimerval it = {{0, 0}, {ms / 1000, (ms % 1000) * 1000}};
    setitimer(ITIMER_REAL, &it, NULL);
}

static void sec_break(void)
{
    net_setup();
    pcap_t *p = open_cap(CAPDEV, 1, 1000, 0);
    cb_break_handle = p;

    printf("breakloop before dispatch, nothing pending:\n");
    pcap_breakloop(p);
    disp(p, "  blocking", -1);
    pcap_setnonblock(p, 1, errbuf);
    disp(p, "  next non-blocking", -1);
    pcap_breakloop(p);
    disp(p, "  non-blocking after breakloop", -1);
    disp(p, "  next non-blocking", -1);

    printf("breakloop before dispatch, 3 pending:\n");
    send_sync(0, K_EXP, 3, 0);
    pcap_breakloop(p);
    disp(p, "  non-blocking", -1);
    disp(p, "  next", -1);
    disp(p, "  next", -1);
    send_sync(0, K_EXP, 3, 3);
    pcap_setnonblock(p, 0, errbuf);
    pcap_breakloop(p);
    disp(p, "  blocking", -1);
    disp(p, "  next", -1);
    pcap_setnonblock(p, 1, errbuf);
    disp(p, "  next", -1);

    printf("breakloop before next_ex / loop, 2 pending:\n");
    send_sync(0, K_EXP, 2, 10);
    pcap_breakloop(p);
    next_ex_case(p, "  after breakloop", K_EXP, 10, 0);
    next_ex_case(p, "  then", K_EXP, 11, 0);
    next_ex_case(p, "  then", K_EXP, 11, 0);
    send_sync(0, K_EXP, 2, 12);
    pcap_breakloop(p);
    ncb = 0;
    int r = pcap_loop(p, -1, cb_count, NULL);
    printf("  loop after breakloop -> %d (callbacks=%d)\n", r, ncb);
    disp(p, "  next", -1);
    disp(p, "  next", -1);

    printf("breakloop inside the callback:\n");
    send_sync(0, K_EXP, 5, 20);
    cb_break_at = 1;
    disp(p, "  5 pending, break at 1st", -1);
    cb_break_at = 0;
    disp(p, "  next", -1);
    disp(p, "  next", -1);
    send_sync(0, K_EXP, 5, 30);
    cb_break_at = 3;
    disp(p, "  5 pending, break at 3rd, cnt=4", 4);
    cb_break_at = 0;
    disp(p, "  next", -1);
    send_sync(0, K_EXP, 5, 40);
    cb_break_at = 2;
    ncb = 0;
    r = pcap_loop(p, -1, cb_count, NULL);
    printf("  loop, 5 pending, break at 2nd -> %d (callbacks=%d)\n", r, ncb);
    cb_break_at = 0;
    disp(p, "  next", -1);
    send_sync(0, K_EXP, 5, 50);
    cb_break_at = 5;
    ncb = 0;
    r = pcap_loop(p, 5, cb_count, NULL);
    printf("  loop cnt=5, 5 pending, break at 5th -> %d (callbacks=%d)\n", r, ncb);
    cb_break_at = 0;
    disp(p, "  next", -1);
    pcap_close(p);

    /* blocking pcap_loop stopped from a signal handler */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGALRM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    const struct {
        const char *name;
        int immediate, to_ms;
    } modes[] = {{"immediate to_ms=1000", 1, 1000}, {"v3 to_ms=100", 0, 100}, {"v3 to_ms=0", 0, 0},
                 {"immediate to_ms=0", 1, 0}};
    for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
        p = open_cap(CAPDEV, modes[m].immediate, modes[m].to_ms, 0);
        sig_handle = p;
        printf("%s:\n", modes[m].name);
        arm_alarm(300);
        ncb = 0;
        r = pcap_loop(p, -1, cb_count, NULL);
        printf("  SIGALRM during blocking loop -> %d (callbacks=%d)\n", r, ncb);
        arm_alarm(300);
        r = pcap_dispatch(p, -1, cb_count, NULL);
        printf("  SIGALRM during blocking dispatch -> %d\n", r);
        struct kick k = {pthread_self(), 200, 1, p};
        pthread_t t;
        pthread_create(&t, NULL, kicker, &k);
        ncb = 0;
        r = pcap_loop(p, -1, cb_count, NULL);
        pthread_join(t, NULL);
        printf("  pthread_kill(SIGUSR1) during blocking loop -> %d (callbacks=%d)\n", r, ncb);
        k.use_signal = 0;
        pthread_create(&t, NULL, kicker, &k);
        ncb = 0;
        r = pcap_loop(p, -1, cb_count, NULL);
        pthread_join(t, NULL);
        printf("  breakloop from a thread during blocking loop -> %d (callbacks=%d)\n", r, ncb);
        pthread_create(&t, NULL, kicker, &k);
        struct pcap_pkthdr *h;
        const u_char *d;
        r = 0;
        for (int i = 0; i < 50 && r == 0; i++)
            r = pcap_next_ex(p, &h, &d);
        pthread_join(t, NULL);
        printf("  breakloop from a thread during blocking next_ex -> %d\n", r);
        /* a frame pending and a break from a thread: afterwards the loop goes on */
        send_sync(0, K_EXP, 1, 60);
        pcap_setnonblock(p, 1, errbuf);
        int got = 0;
        double end = now_ms() + 3000;
        while (got < 1 && now_ms() < end) {
            r = pcap_dispatch(p, -1, cb_count, NULL);
            if (r < 0)
                break;
            got += r;
            if (r == 0) {
                struct pollfd pfd = {.fd = pcap_get_selectable_fd(p), .events = POLLIN};
                poll(&pfd, 1, 200);
            }
        }
        printf("  after the breaks, 1 sent -> %d\n", got);
        pcap_close(p);
    }
    signal(SIGALRM, SIG_DFL);
}

/* ---------------------------------------------------------------- direction */

static void send_both(int nin, int nout, int seq0)
{
    ref_drain();
    send_frames(0, K_EXP, nin, seq0);
    send_frames(1, K_EXP, nout, seq0 + nin);
    ref_wait(nin + nout);
}

static void sec_direction(void)
{
    net_setup();
    const char *dn[] = {"IN", "OUT", "INOUT", "default"};
    pcap_direction_t dv[] = {PCAP_D_IN, PCAP_D_OUT, PCAP_D_INOUT, PCAP_D_INOUT};
    const char *devs[] = {CAPDEV, "any"};
    for (size_t d = 0; d < 2; d++) {
        pcap_t *h[4];
        for (int i = 0; i < 4; i++) {
            h[i] = open_cap(devs[d], 1, 1000, 1);
            if (i < 3) {
                clr(h[i]);
                int r = pcap_setdirection(h[i], dv[i]);
                printf("%s setdirection %s -> %d\n", devs[d], dn[i], r);
                if (r)
                    geterr(h[i]);
            }
        }
        send_both(3, 2, 0);
        for (int i = 0; i < 4; i++) {
            printf("%s %s: 3 in + 2 out -> %d\n", devs[d], dn[i], drain(h[i]));
            print_stats(h[i], "  ");
        }
        /* direction changed while frames are pending */
        send_both(3, 2, 10);
        pcap_setdirection(h[3], PCAP_D_IN);
        printf("%s default then IN with 3 in + 2 out pending -> %d\n", devs[d], drain(h[3]));
        send_both(3, 2, 20);
        pcap_setdirection(h[0], PCAP_D_OUT);
        printf("%s IN then OUT with 3 in + 2 out pending -> %d\n", devs[d], drain(h[0]));
        send_both(3, 2, 30);
        printf("%s IN then OUT, 3 in + 2 out after -> %d\n", devs[d], drain(h[0]));
        /* the handle's own injected frames */
        uint8_t f[60];
        mkframe(f, K_EXP, 40, 1);
        ref_drain();
        int r = pcap_inject(h[1], f, 60);
        ref_wait(1);
        printf("%s OUT handle injects 1 -> %d; OUT sees %d, INOUT sees %d\n", devs[d], r, drain(h[1]),
               drain(h[2]));
        for (int i = 0; i < 4; i++)
            pcap_close(h[i]);
    }
    /* lo: a frame sent on lo is seen once outgoing and once incoming by the kernel */
    pcap_t *l[3];
    for (int i = 0; i < 3; i++) {
        l[i] = open_cap("lo", 1, 1000, 1);
        pcap_setdirection(l[i], dv[i]);
    }
    int lo_index = (int)if_nametoindex("lo");
    int ls = raw_socket(htons(ETH_P_ALL), lo_index);
    int lsend = raw_socket(0, lo_index);
    uint8_t f[60];
    mkframe(f, K_EXP, 50, 1);
    struct sockaddr_ll a = {.sll_family = AF_PACKET, .sll_ifindex = lo_index, .sll_halen = 6};
    for (int i = 0; i < 2; i++)
        if (sendto(lsend, f, 60, 0, (struct sockaddr *)&a, sizeof a) != 60)
            perror("sendto lo");
    /* barrier: the lo socket sees each frame twice (out, then in) */
    double end = now_ms() + 3000;
    int got = 0;
    uint8_t b[2048];
    while (got < 4 && now_ms() < end) {
        struct pollfd pfd = {.fd = ls, .events = POLLIN};
        if (poll(&pfd, 1, 100) > 0)
            while (recv(ls, b, sizeof b, MSG_DONTWAIT) >= 0)
                got++;
    }
    if (got != 4)
        printf("BARRIER lo: %d of 4\n", got);
    for (int i = 0; i < 3; i++) {
        printf("lo %s: 2 sent -> %d\n", dn[i], drain(l[i]));
        pcap_close(l[i]);
    }
    close(ls);
    close(lsend);
}

/* ---------------------------------------------------------------- filter */

static void send_mix(int seq0)
{
    ref_drain();
    send_frames(0, K_UDP9, 3, seq0);
    send_frames(0, K_UDP53, 2, seq0 + 3);
    send_frames(0, K_EXP, 2, seq0 + 5);
    send_frames(1, K_TCP80, 1, seq0 + 7);
    ref_wait(8);
}

static int set_expr(pcap_t *p, const char *label, const char *e)
{
    struct bpf_program fp;
    clr(p);
    int r = pcap_compile(p, &fp, e, 1, PCAP_NETMASK_UNKNOWN);
    if (r != 0) {
        printf("%s compile \"%s\" -> %d\n", label, e, r);
        geterr(p);
        return r;
    }
    clr(p);
    r = pcap_setfilter(p, &fp);
    printf("%s setfilter \"%s\" -> %d\n", label, e, r);
    if (r)
        geterr(p);
    pcap_freecode(&fp);
    return r;
}

static void filter_case(const char *dev, int immediate, const char *e)
{
    pcap_t *p = open_cap(dev, immediate, 100, 1);
    char label[80];
    snprintf(label, sizeof label, "%s%s", dev, immediate ? "" : " v3");
    set_expr(p, label, e);
    send_mix(0);
    int n = 0;
    double end = now_ms() + 3000;
    int want = -1;
    if (immediate) {
        n = drain(p);
    } else {
        /* the V3 block retires on the kernel's timer: wait until it has (bounded), then drain */
        struct pollfd pfd = {.fd = pcap_get_selectable_fd(p), .events = POLLIN};
        while (now_ms() < end) {
            int r = pcap_dispatch(p, -1, cb_count, NULL);
            if (r > 0)
                n += r;
            /* stop once a timeout has passed with everything retired: two block timeouts */
            if (r == 0 && poll(&pfd, 1, 250) == 0)
                break;
        }
    }
    (void)want;
    printf("%s \"%s\": 3 udp9 + 2 udp53 + 2 exp in + 1 tcp80 out -> %d\n", label, e, n);
    print_stats(p, "  ");
    pcap_close(p);
}

static void sec_filter(void)
{
    net_setup();
    const char *ex[] = {"udp port 9", "udp", "ether proto 0x88b5", "tcp", "inbound", "outbound",
                        "ether src 02:00:00:00:00:02", "ether dst 02:00:00:00:00:01", "not udp",
                        "ip[5] = 2", "len = 60", "", "vlan", "udp and inbound", "ip and ether src 02:00:00:00:00:02"};
    for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++)
        filter_case(CAPDEV, 1, ex[i]);
    for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++)
        filter_case("any", 1, ex[i]);
    filter_case(CAPDEV, 0, "udp port 9");
    filter_case("any", 0, "udp port 9");

    /* a filter set while frames are pending applies to them too */
    for (int imm = 1; imm >= 0; imm--) {
        pcap_t *p = open_cap(CAPDEV, imm, 100, 1);
        send_mix(10);
        set_expr(p, imm ? "pending" : "pending v3", "udp port 9");
        int n = 0;
        struct pollfd pfd = {.fd = pcap_get_selectable_fd(p), .events = POLLIN};
        double end = now_ms() + 3000;
        while (now_ms() < end) {
            int r = pcap_dispatch(p, -1, cb_count, NULL);
            if (r > 0)
                n += r;
            if (r == 0 && (imm || poll(&pfd, 1, 250) == 0))
                break;
        }
        printf("%s: 8 pending, then \"udp port 9\" -> %d\n", imm ? "immediate" : "v3", n);
        set_expr(p, "  then", "");
        send_mix(20);
        n = 0;
        end = now_ms() + 3000;
        while (now_ms() < end) {
            int r = pcap_dispatch(p, -1, cb_count, NULL);
            if (r > 0)
                n += r;
            if (r == 0 && (imm || poll(&pfd, 1, 250) == 0))
                break;
        }
        printf("  8 sent after \"\" -> %d\n", n);
        pcap_close(p);
    }

    /* SLL2 on any, ifindex */
    pcap_t *p = open_cap("any", 1, 100, 1);
    pcap_set_datalink(p, DLT_LINUX_SLL2);
    char e[64];
    snprintf(e, sizeof e, "ifindex %d", v0_index);
    set_expr(p, "any SLL2", e);
    send_mix(30);
    /* normalized: the expression's index is v0's, printed as "ifindex v0" */
    printf("any SLL2 \"ifindex v0\" -> %d\n", drain(p));
    set_expr(p, "any SLL2", "ifindex 1");
    send_mix(40);
    printf("any SLL2 \"ifindex 1\" -> %d\n", drain(p));
    set_expr(p, "any SLL2", "udp port 9 and inbound");
    send_mix(50);
    printf("any SLL2 \"udp port 9 and inbound\" -> %d\n", drain(p));
    pcap_close(p);

    /* invalid programs */
    p = open_cap(CAPDEV, 1, 100, 1);
    struct bpf_insn jump_out[] = {BPF_JUMP(BPF_JMP | BPF_JA, 5, 0, 0), BPF_STMT(BPF_RET | BPF_K, 0)};
    struct bpf_insn noret[] = {BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0)};
    struct bpf_insn div0[] = {BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0), BPF_STMT(BPF_RET | BPF_K, 0)};
    struct bpf_insn mem16[] = {BPF_STMT(BPF_LD | BPF_MEM, 16), BPF_STMT(BPF_RET | BPF_K, 0)};
    struct bpf_insn ret0[] = {BPF_STMT(BPF_RET | BPF_K, 0)};
    struct bpf_insn ret_a[] = {BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0), BPF_STMT(BPF_RET | BPF_A, 0)};
    struct bpf_insn ancil_proto[] = {BPF_STMT(BPF_LD | BPF_H | BPF_ABS, (uint32_t)-4096 + 0),
                                     BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x88b5, 0, 1),
                                     BPF_STMT(BPF_RET | BPF_K, 65535), BPF_STMT(BPF_RET | BPF_K, 0)};
    struct {
        const char *n;
        struct bpf_insn *i;
        u_int len;
    } bad[] = {{"jump_out", jump_out, 2}, {"noret", noret, 1}, {"div0", div0, 2}, {"mem16", mem16, 2},
               {"empty", ret0, 0},        {"ret0", ret0, 1},   {"ret_len", ret_a, 2},
               {"ancil_proto", ancil_proto, 4}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct bpf_program prog = {bad[i].len, bad[i].i};
        clr(p);
        int r = pcap_setfilter(p, &prog);
        printf("setfilter %s -> %d\n", bad[i].n, r);
        geterr(p);
        send_mix(60 + 10 * (int)i);
        printf("  then 8 sent -> %d\n", drain(p));
    }
    struct bpf_program nullprog = {1, NULL};
    (void)nullprog;
    /* a program longer than the kernel takes (BPF_MAXINSNS 4096): libpcap filters in user space */
    enum { BIG = 5000 };
    static struct bpf_insn big[BIG];
    big[0] = (struct bpf_insn)BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12);
    for (int i = 1; i < BIG - 3; i++)
        big[i] = (struct bpf_insn)BPF_STMT(BPF_MISC | BPF_TAX, 0);
    big[BIG - 3] = (struct bpf_insn)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x88b5, 0, 1);
    big[BIG - 2] = (struct bpf_insn)BPF_STMT(BPF_RET | BPF_K, 65535);
    big[BIG - 1] = (struct bpf_insn)BPF_STMT(BPF_RET | BPF_K, 0);
    struct bpf_program bigp = {BIG, big};
    clr(p);
    int r = pcap_setfilter(p, &bigp);
    printf("setfilter 5000 instructions (ether proto 0x88b5) -> %d\n", r);
    geterr(p);
    send_mix(200);
    printf("  then 8 sent -> %d\n", drain(p));
    print_stats(p, "  ");
    pcap_close(p);
}

/* ---------------------------------------------------------------- offline */

static void dump_pkts(pcap_dumper_t *d, int n, int seq0, long usec_base)
{
    for (int i = 0; i < n; i++) {
        uint8_t f[60];
        enum kind k = (seq0 + i) % 3 == 0 ? K_UDP9 : (seq0 + i) % 3 == 1 ? K_EXP : K_TCP80;
        mkframe(f, k, seq0 + i, 0);
        struct pcap_pkthdr h;
        h.ts.tv_sec = 1700000000 + seq0 + i;
        h.ts.tv_usec = usec_base + seq0 + i;
        h.len = 60;
        h.caplen = (seq0 + i) % 4 == 3 ? 40 : 60;
        pcap_dump((u_char *)d, &h, f);
        printf("  dump #%d ftell=%ld\n", seq0 + i, pcap_dump_ftell(d));
    }
}

static pcap_t *offline(const char *path, int prec)
{
    eb_reset();
    pcap_t *p = prec < 0 ? pcap_open_offline(path, errbuf)
                         : pcap_open_offline_with_tstamp_precision(path, (u_int)prec, errbuf);
    printf("open_offline %s prec=%d -> %s errbuf=\"%s\"\n", path, prec, p ? "handle" : "NULL", errbuf);
    return p;
}

static void read_all(const char *path, int prec)
{
    pcap_t *p = offline(path, prec);
    if (!p)
        return;
    ncb = 0;
    int r = pcap_loop(p, -1, cb_print_ts, NULL);
    printf("  loop -> %d (callbacks=%d) precision=%d\n", r, ncb, pcap_get_tstamp_precision(p));
    pcap_close(p);
}

static void write_bytes(const char *path, const void *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b, 1, n, f) != n) {
        perror(path);
        exit(3);
    }
    fclose(f);
}

static void append_case(const char *label, int dlt, int snap, int prec, const char *path)
{
    pcap_t *dead = pcap_open_dead_with_tstamp_precision(dlt, snap, (u_int)prec);
    clr(dead);
    pcap_dumper_t *d = pcap_dump_open_append(dead, path);
    printf("dump_open_append %s (%s) -> %s\n", path, label, d ? "dumper" : "NULL");
    geterr(dead);
    if (d) {
        printf("  ftell=%ld ftell64=%lld\n", pcap_dump_ftell(d), (long long)pcap_dump_ftell64(d));
        pcap_dump_close(d);
    }
    pcap_close(dead);
}

static void sec_offline(void)
{
    pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
    printf("dead: datalink=%d snapshot=%d precision=%d\n", pcap_datalink(dead), pcap_snapshot(dead),
           pcap_get_tstamp_precision(dead));
    CALL(dead, "dead", pcap_major_version(dead));
    CALL(dead, "dead", pcap_is_swapped(dead));
    print_stats(dead, "dead");
    CALL(dead, "dead", pcap_dispatch(dead, 1, cb_count, NULL));
    CALL(dead, "dead", pcap_setnonblock(dead, 1, errbuf));
    CALL(dead, "dead", pcap_getnonblock(dead, errbuf));
    CALL(dead, "dead", pcap_setdirection(dead, PCAP_D_IN));
    CALL(dead, "dead", pcap_set_datalink(dead, DLT_RAW));
    uint8_t fr[60];
    mkframe(fr, K_EXP, 0, 0);
    CALL(dead, "dead", pcap_inject(dead, fr, 60));
    print_datalinks(dead, "dead");
    clr(dead);
    pcap_dumper_t *d = pcap_dump_open(dead, "a.pcap");
    printf("dump_open a.pcap -> %s ftell=%ld\n", d ? "dumper" : "NULL", d ? pcap_dump_ftell(d) : -1L);
    printf("  dump_file!=NULL -> %d\n", pcap_dump_file(d) != NULL);
    dump_pkts(d, 5, 0, 500000);
    printf("  dump_flush -> %d\n", pcap_dump_flush(d));
    print_file("  flushed", "a.pcap");
    pcap_dump_close(d);
    print_file("written", "a.pcap");

    pcap_t *p = offline("a.pcap", -1);
    printf("  datalink=%d snapshot=%d major=%d minor=%d swapped=%d file!=NULL=%d precision=%d\n",
           pcap_datalink(p), pcap_snapshot(p), pcap_major_version(p), pcap_minor_version(p), pcap_is_swapped(p),
           pcap_file(p) != NULL, pcap_get_tstamp_precision(p));
    /* normalized: descriptor numbers are not compared */
    printf("  fileno>=0 -> %d selectable_fd>=0 -> %d\n", pcap_fileno(p) >= 0, pcap_get_selectable_fd(p) >= 0);
    print_stats(p, "  savefile");
    CALL(p, "  savefile", pcap_setdirection(p, PCAP_D_IN));
    CALL(p, "  savefile", pcap_getnonblock(p, errbuf));
    CALL(p, "  savefile", pcap_setnonblock(p, 1, errbuf));
    CALL(p, "  savefile", pcap_getnonblock(p, errbuf));
    CALL(p, "  savefile", pcap_setnonblock(p, 0, errbuf));
    CALL(p, "  savefile", pcap_inject(p, fr, 60));
    CALL(p, "  savefile", pcap_sendpacket(p, fr, 60));
    CALL(p, "  savefile", pcap_set_datalink(p, DLT_EN10MB));
    CALL(p, "  savefile", pcap_set_datalink(p, DLT_RAW));
    CALL(p, "  savefile", pcap_datalink_ext(p));
    CALL(p, "  savefile", pcap_bufsize(p));
    CALL(p, "  savefile", pcap_set_snaplen(p, 10));
    CALL(p, "  savefile", pcap_activate(p));
    CALL(p, "  savefile", pcap_can_set_rfmon(p));
    print_datalinks(p, "  savefile");
    print_tstamp_types(p, "  savefile");
    ncb = 0;
    int r = pcap_dispatch(p, 2, cb_print_ts, NULL);
    printf("  dispatch cnt=2 -> %d\n", r);
    r = pcap_dispatch(p, -1, cb_print_ts, NULL);
    printf("  dispatch cnt=-1 -> %d\n", r);
    disp(p, "  at EOF", -1);
    disp(p, "  at EOF", 1);
    struct pcap_pkthdr *h;
    const u_char *data;
    clr(p);
    r = pcap_next_ex(p, &h, &data);
    printf("  at EOF next_ex -> %d\n", r);
    geterr(p);
    struct pcap_pkthdr hh;
    printf("  at EOF next -> %s\n", pcap_next(p, &hh) ? "data" : "NULL");
    ncb = 0;
    r = pcap_loop(p, -1, cb_count, NULL);
    printf("  at EOF loop -> %d (callbacks=%d)\n", r, ncb);
    pcap_close(p);

    p = offline("a.pcap", -1);
    for (int i = 0; i < 6; i++) {
        clr(p);
        r = pcap_next_ex(p, &h, &data);
        printf("  next_ex -> %d", r);
        if (r == 1) {
            uint8_t f[60];
            enum kind k = i % 3 == 0 ? K_UDP9 : i % 3 == 1 ? K_EXP : K_TCP80;
            mkframe(f, k, i, 0);
            printf(" ts=%ld.%06ld caplen=%u len=%u data %s", (long)h->ts.tv_sec, (long)h->ts.tv_usec, h->caplen,
                   h->len, memcmp(data, f, h->caplen) == 0 ? "matches" : "DIFFERS");
        }
        printf("\n");
    }
    pcap_close(p);

    p = offline("a.pcap", -1);
    ncb = 0;
    r = pcap_loop(p, 2, cb_count, NULL);
    printf("  loop cnt=2 -> %d (callbacks=%d)\n", r, ncb);
    pcap_breakloop(p);
    disp(p, "  after breakloop", -1);
    disp(p, "  next", -1);
    pcap_close(p);

    p = offline("a.pcap", -1);
    cb_break_handle = p;
    cb_break_at = 2;
    ncb = 0;
    r = pcap_loop(p, -1, cb_count, NULL);
    printf("  loop with break at 2nd -> %d (callbacks=%d)\n", r, ncb);
    cb_break_at = 0;
    disp(p, "  next", -1);
    pcap_close(p);

    /* filters on a savefile */
    const char *fx[] = {"udp", "udp port 9", "ether proto 0x88b5", "tcp", "len > 50", "greater 50", "inbound",
                        "not ip", ""};
    for (size_t i = 0; i < sizeof fx / sizeof fx[0]; i++) {
        p = offline("a.pcap", -1);
        struct bpf_program fp;
        clr(p);
        r = pcap_compile(p, &fp, fx[i], 1, 0);
        printf("  compile \"%s\" -> %d\n", fx[i], r);
        if (r) {
            geterr(p);
            pcap_close(p);
            continue;
        }
        clr(p);
        printf("  setfilter -> %d\n", pcap_setfilter(p, &fp));
        ncb = 0;
        r = pcap_loop(p, -1, cb_count, NULL);
        printf("  loop -> %d (callbacks=%d)\n", r, ncb);
        pcap_close(p);
        p = offline("a.pcap", -1);
        printf("  offline_filter:");
        while (pcap_next_ex(p, &h, &data) == 1)
            printf(" %d", pcap_offline_filter(&fp, h, data));
        printf("\n");
        pcap_freecode(&fp);
        pcap_close(p);
    }
    p = offline("a.pcap", -1);
    struct bpf_insn bad[] = {BPF_JUMP(BPF_JMP | BPF_JA, 5, 0, 0)};
    struct bpf_program badp = {1, bad};
    clr(p);
    printf("  setfilter invalid -> %d\n", pcap_setfilter(p, &badp));
    geterr(p);
    pcap_close(p);

    /* a copy written through pcap_dump as the loop's callback */
    p = offline("a.pcap", -1);
    d = pcap_dump_open(p, "copy.pcap");
    r = pcap_loop(p, -1, pcap_dump, (u_char *)d);
    printf("copy loop -> %d ftell=%ld\n", r, pcap_dump_ftell(d));
    pcap_dump_close(d);
    pcap_close(p);
    print_file("copy", "copy.pcap");

    /* pcap_dump_fopen on a FILE */
    FILE *fo = fopen("fopen.pcap", "wb");
    d = pcap_dump_fopen(dead, fo);
    printf("dump_fopen -> %s ftell=%ld\n", d ? "dumper" : "NULL", d ? pcap_dump_ftell(d) : -1L);
    dump_pkts(d, 2, 10, 0);
    pcap_dump_close(d);
    print_file("fopen", "fopen.pcap");

    /* appending */
    append_case("same link type and snaplen", DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_MICRO, "a.pcap");
    d = pcap_dump_open_append(dead, "a.pcap");
    dump_pkts(d, 2, 5, 500000);
    pcap_dump_close(d);
    print_file("appended", "a.pcap");
    read_all("a.pcap", -1);
    append_case("other link type", DLT_RAW, 65535, PCAP_TSTAMP_PRECISION_MICRO, "a.pcap");
    append_case("other snaplen", DLT_EN10MB, 1000, PCAP_TSTAMP_PRECISION_MICRO, "a.pcap");
    append_case("other precision", DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_NANO, "a.pcap");
    append_case("new file", DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_MICRO, "new.pcap");
    print_file("new", "new.pcap");
    append_case("new file nano", DLT_RAW, 128, PCAP_TSTAMP_PRECISION_NANO, "new-nano.pcap");
    print_file("new-nano", "new-nano.pcap");
    write_bytes("text.pcap", "this is not a capture file, only text\n", 38);
    append_case("not a capture file", DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_MICRO, "text.pcap");
    write_bytes("short.pcap", "\xd4\xc3\xb2\xa1\x02\x00", 6);
    append_case("short header", DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_MICRO, "short.pcap");
    write_bytes("empty.pcap", "", 0);
    append_case("empty file", DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_MICRO, "empty.pcap");
    print_file("empty after append", "empty.pcap");
    static const uint8_t ng[28] = {0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0,
                                   0,    0,    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 28, 0, 0, 0};
    write_bytes("ng.pcapng", ng, sizeof ng);
    append_case("pcapng", DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_MICRO, "ng.pcapng");
    /* a byte-swapped (big-endian) file */
    static const uint8_t be[24 + 16 + 4] = {0xa1, 0xb2, 0xc3, 0xd4, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0,
                                            0,    0,    0xff, 0xff, 0, 0, 0, 1, 0x65, 0x53, 0xf1, 0x00,
                                            0,    0,    0,    7,    0, 0, 0, 4, 0,    0,    0,    4,
                                            0xde, 0xad, 0xbe, 0xef};
    write_bytes("be.pcap", be, sizeof be);
    append_case("byte-swapped", DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_MICRO, "be.pcap");
    print_file("be after append", "be.pcap");
    p = offline("be.pcap", -1);
    if (p) {
        printf("  swapped=%d major=%d minor=%d\n", pcap_is_swapped(p), pcap_major_version(p), pcap_minor_version(p));
        ncb = 0;
        r = pcap_loop(p, -1, cb_print_ts, NULL);
        printf("  loop -> %d\n", r);
        pcap_close(p);
    }
    append_case("directory", DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_MICRO, ".");
    append_case("missing directory", DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_MICRO, "nodir/x.pcap");
    clr(dead);
    d = pcap_dump_open(dead, "nodir/x.pcap");
    printf("dump_open nodir/x.pcap -> %s\n", d ? "dumper" : "NULL");
    geterr(dead);

    /* errors opening */
    offline("nosuch.pcap", -1);
    offline("empty.pcap", -1);
    offline("text.pcap", -1);
    offline("short.pcap", -1);
    offline(".", -1);
    offline("a.pcap", 7);
    offline("ng.pcapng", -1);

    /* a pipe */
    int pfd[2];
    if (pipe(pfd) < 0) {
        perror("pipe");
        exit(3);
    }
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        close(pfd[0]);
        FILE *f = fopen("a.pcap", "rb");
        uint8_t b[4096];
        size_t n;
        while ((n = fread(b, 1, sizeof b, f)) > 0)
            if (write(pfd[1], b, n) != (ssize_t)n)
                _exit(1);
        _exit(0);
    }
    close(pfd[1]);
    FILE *rf = fdopen(pfd[0], "rb");
    eb_reset();
    p = pcap_fopen_offline(rf, errbuf);
    printf("fopen_offline pipe -> %s errbuf=\"%s\"\n", p ? "handle" : "NULL", errbuf);
    if (p) {
        printf("  file==FILE -> %d\n", pcap_file(p) == rf);
        ncb = 0;
        r = pcap_loop(p, -1, cb_print_ts, NULL);
        printf("  loop -> %d (callbacks=%d)\n", r, ncb);
        r = pcap_next_ex(p, &h, &data);
        printf("  at EOF next_ex -> %d\n", r);
        pcap_close(p);
    }
    int status;
    waitpid(child, &status, 0);

    /* nanosecond precision */
    pcap_t *nd = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_NANO);
    printf("dead nano: precision=%d\n", pcap_get_tstamp_precision(nd));
    d = pcap_dump_open(nd, "nano.pcap");
    dump_pkts(d, 3, 0, 123456000);
    pcap_dump_close(d);
    print_file("nano", "nano.pcap");
    read_all("nano.pcap", PCAP_TSTAMP_PRECISION_NANO);
    read_all("nano.pcap", PCAP_TSTAMP_PRECISION_MICRO);
    read_all("nano.pcap", -1);
    read_all("a.pcap", PCAP_TSTAMP_PRECISION_NANO);
    /* a nano dumper fed by a micro savefile and the reverse (no conversion by pcap_dump) */
    p = offline("a.pcap", PCAP_TSTAMP_PRECISION_NANO);
    d = pcap_dump_open(p, "a-nano.pcap");
    pcap_loop(p, -1, pcap_dump, (u_char *)d);
    pcap_dump_close(d);
    pcap_close(p);
    print_file("a-nano", "a-nano.pcap");
    p = offline("nano.pcap", PCAP_TSTAMP_PRECISION_MICRO);
    d = pcap_dump_open(p, "nano-micro.pcap");
    pcap_loop(p, -1, pcap_dump, (u_char *)d);
    pcap_dump_close(d);
    pcap_close(p);
    print_file("nano-micro", "nano-micro.pcap");
    read_all("nano-micro.pcap", -1);
    pcap_close(nd);

    /* another link type and snaplen in the header */
    pcap_t *rd = pcap_open_dead(DLT_RAW, 200);
    d = pcap_dump_open(rd, "raw.pcap");
    pcap_dump_close(d);
    print_file("raw", "raw.pcap");
    p = offline("raw.pcap", -1);
    printf("  datalink=%d snapshot=%d\n", pcap_datalink(p), pcap_snapshot(p));
    pcap_close(p);
    pcap_close(rd);
    rd = pcap_open_dead(DLT_USER0 + 3, 0);
    d = pcap_dump_open(rd, "user3.pcap");
    pcap_dump_close(d);
    print_file("user3 snaplen 0", "user3.pcap");
    pcap_close(rd);
    pcap_close(dead);
}

/* ---------------------------------------------------------------- devices */

static void print_sockaddr(const char *what, const struct sockaddr *sa)
{
    if (!sa)
        return;
    char b[INET6_ADDRSTRLEN];
    if (sa->sa_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, b, sizeof b);
        printf(" %s=%s", what, b);
    } else if (sa->sa_family == AF_INET6) {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, b, sizeof b);
        printf(" %s=%s", what, b);
    } else if (sa->sa_family == AF_PACKET) {
        const struct sockaddr_ll *l = (const struct sockaddr_ll *)sa;
        printf(" %s=packet(hatype=%u halen=%u ", what, l->sll_hatype, l->sll_halen);
        for (int i = 0; i < l->sll_halen && i < 8; i++)
            printf("%02x", l->sll_addr[i]);
        printf(")");
    } else {
        printf(" %s=family%d", what, sa->sa_family);
    }
}

static void lookupnet_case(const char *dev)
{
    bpf_u_int32 net = 0xdeadbeef, mask = 0xdeadbeef;
    eb_reset();
    int r = pcap_lookupnet(dev, &net, &mask, errbuf);
    struct in_addr n = {net}, m = {mask};
    char nb[32], mb[32];
    inet_ntop(AF_INET, &n, nb, sizeof nb);
    inet_ntop(AF_INET, &m, mb, sizeof mb);
    printf("lookupnet %s -> %d net=%s mask=%s errbuf=\"%s\"\n", q(dev), r, nb, mb, errbuf);
}

static void sec_devs(void)
{
    pcap_if_t *all = NULL;
    eb_reset();
    int r = pcap_findalldevs(&all, errbuf);
    printf("findalldevs -> %d errbuf=\"%s\"\n", r, errbuf);
    for (pcap_if_t *d = all; d; d = d->next) {
        printf("dev %s desc=%s flags=0x%x", d->name, q(d->description), d->flags);
        printf("%s%s%s%s", d->flags & PCAP_IF_LOOPBACK ? " LOOPBACK" : "", d->flags & PCAP_IF_UP ? " UP" : "",
               d->flags & PCAP_IF_RUNNING ? " RUNNING" : "", d->flags & PCAP_IF_WIRELESS ? " WIRELESS" : "");
        const char *cs[] = {"unknown", "connected", "disconnected", "n/a"};
        printf(" status=%s\n", cs[(d->flags & PCAP_IF_CONNECTION_STATUS) >> 4]);
        for (pcap_addr_t *a = d->addresses; a; a = a->next) {
            printf("  addr");
            print_sockaddr("addr", a->addr);
            print_sockaddr("netmask", a->netmask);
            print_sockaddr("broadaddr", a->broadaddr);
            print_sockaddr("dstaddr", a->dstaddr);
            printf("\n");
        }
    }
    pcap_freealldevs(all);

    lookupnet_case(CAPDEV);
    lookupnet_case("lo");
    lookupnet_case(DOWNDEV);
    lookupnet_case("nosuch0");
    lookupnet_case(LONGNAME);
    lookupnet_case("any");
    lookupnet_case(NULL);
    lookupnet_case("");
    lookupnet_case("nflog");

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    eb_reset();
    char *dev = pcap_lookupdev(errbuf);
    printf("lookupdev -> %s errbuf=\"%s\"\n", q(dev), errbuf);
#pragma GCC diagnostic pop
}

static void sec_init(int utf8_first)
{
    unsigned order[][3] = {{2, 0, 1}, {1, 0, 1}};
    for (int i = 0; i < 3; i++) {
        unsigned o = order[utf8_first][i];
        eb_reset();
        int r = pcap_init(o, errbuf);
        printf("init %u -> %d errbuf=\"%s\"\n", o, r, errbuf);
        eb_reset();
        r = pcap_init(o, errbuf);
        printf("init %u again -> %d errbuf=\"%s\"\n", o, r, errbuf);
    }
    printf("strerror EPERM after init -> \"%s\"\n", pcap_strerror(EPERM));
    printf("statustostr -9 after init -> \"%s\"\n", pcap_statustostr(-9));
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    eb_reset();
    char *dev = pcap_lookupdev(errbuf);
    printf("lookupdev after init -> %s errbuf=\"%s\"\n", q(dev), errbuf);
#pragma GCC diagnostic pop
    eb_reset();
    pcap_t *p = pcap_open_live("nosuch0", 100, 0, 100, errbuf);
    printf("open_live nosuch0 after init -> %s errbuf=\"%s\"\n", p ? "handle" : "NULL", errbuf);
    if (p)
        pcap_close(p);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc != 2) {
        fprintf(stderr, "usage: %s SECTION\n", argv[0]);
        return 2;
    }
    const char *s = argv[1];
    if (!strcmp(s, "misc"))
        sec_misc();
    else if (!strcmp(s, "compile"))
        sec_compile();
    else if (!strcmp(s, "lifecycle"))
        sec_lifecycle();
    else if (!strcmp(s, "read"))
        sec_read();
    else if (!strcmp(s, "break"))
        sec_break();
    else if (!strcmp(s, "direction"))
        sec_direction();
    else if (!strcmp(s, "filter"))
        sec_filter();
    else if (!strcmp(s, "offline"))
        sec_offline();
    else if (!strcmp(s, "devs"))
        sec_devs();
    else if (!strcmp(s, "init"))
        sec_init(0);
    else if (!strcmp(s, "init-utf8"))
        sec_init(1);
    else if (!strcmp(s, "version")) /* not compared: run.sh checks which library ran */
        printf("%s\n", pcap_lib_version());
    else {
        fprintf(stderr, "unknown section %s\n", s);
        return 2;
    }
    return 0;
}
