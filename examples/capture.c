/*
 * capture: print one line per packet seen on an interface, using libpkt.
 *
 *   capture [-i IFACE] [-c COUNT] [-t TIMEOUT_MS] [-I]
 *
 *   -i IFACE       interface to capture on (default: all interfaces)
 *   -c COUNT       stop after COUNT packets (default: 0, no limit)
 *   -t TIMEOUT_MS  stop when no packet arrived for TIMEOUT_MS ms (default: 0, wait forever)
 *   -I             immediate mode: each packet is delivered at once (TPACKET_V2 ring)
 *
 * Packets go to stdout, one line each, flushed as they are printed:
 *
 *   12:34:56.789012345 veth-a in-bcast ARP 42/42 request who-has 10.99.0.1 tell 10.99.0.2
 *   12:34:56.789101112 veth-a out      IPv4 98/98 10.99.0.1 > 10.99.0.2 ICMP
 *
 * that is: time, interface, direction (from the packet type), ethertype, captured/wire length,
 * and for IPv4 and ARP the addresses.
 *
 * Status lines ("listening on ...", the statistics at the end, errors) go to stderr.
 * Ctrl-C or SIGTERM ends the capture cleanly: the handler calls pkt_breakloop, which is
 * async-signal-safe and wakes the blocked pkt_read.
 *
 * Needs CAP_NET_RAW (run as root). Build: see examples/CMakeLists.txt or README.md.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pkt.h"

/* Where the network header starts in a non-cooked capture. The kernel has moved any VLAN tag
 * out of the bytes into pkt_info_t, so it is always 14 on Ethernet. */
#define ETH_HEADER_LEN 14

/* The handle the signal handler breaks; set once the capture is open. */
static pkt_t *volatile g_handle;

static void on_signal(int sig)
{
    (void)sig;
    pkt_t *h = g_handle;
    if (h)
        pkt_breakloop(h); /* async-signal-safe: an atomic store and an eventfd write */
}

static int install_signal_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* no SA_RESTART needed: pkt_breakloop wakes the read whatever the signal did */
    if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0) {
        perror("capture: sigaction");
        return -1;
    }
    return 0;
}

/* Reports a libpkt failure: the code's meaning and the thread-local context message. */
static void report(const char *what, int code)
{
    fprintf(stderr, "capture: %s: %s (%s)\n", what, pkt_strerror(code), pkt_errmsg());
}

static const char *direction(uint8_t pkttype)
{
    switch (pkttype) {
    case PACKET_HOST:      return "in";
    case PACKET_BROADCAST: return "in-bcast";
    case PACKET_MULTICAST: return "in-mcast";
    case PACKET_OTHERHOST: return "in-other";
    case PACKET_OUTGOING:  return "out";
    default:               return "?";
    }
}

/* Interface name for an index, remembering the last one (an ioctl per packet is wasteful). */
static const char *ifname(int ifindex)
{
    static int cached = -1;
    static char name[IF_NAMESIZE];
    if (ifindex != cached) {
        if (!if_indextoname((unsigned)ifindex, name))
            snprintf(name, sizeof name, "if%d", ifindex);
        cached = ifindex;
    }
    return name;
}

static const char *ip_proto_name(uint8_t p)
{
    switch (p) {
    case 1:  return "ICMP";
    case 2:  return "IGMP";
    case 6:  return "TCP";
    case 17: return "UDP";
    case 58: return "ICMPv6";
    default: return NULL;
    }
}

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

/* Prints what follows the link-layer header: IPv4 addresses and protocol, or the ARP question. */
static void print_network(uint16_t ethertype, const uint8_t *l3, uint32_t n)
{
    char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

    if (ethertype == 0x0800 && n >= 20 && (l3[0] >> 4) == 4) {
        const char *name = ip_proto_name(l3[9]);
        inet_ntop(AF_INET, l3 + 12, a, sizeof a);
        inet_ntop(AF_INET, l3 + 16, b, sizeof b);
        if (name)
            printf(" %s > %s %s", a, b, name);
        else
            printf(" %s > %s proto %u", a, b, (unsigned)l3[9]);
    } else if (ethertype == 0x0806 && n >= 28 && be16(l3 + 2) == 0x0800 && l3[5] == 4) {
        /* ARP for IPv4 over Ethernet: sender IP at 14, target IP at 24 */
        inet_ntop(AF_INET, l3 + 14, a, sizeof a);
        inet_ntop(AF_INET, l3 + 24, b, sizeof b);
        if (be16(l3 + 6) == 1)
            printf(" request who-has %s tell %s", b, a);
        else if (be16(l3 + 6) == 2)
            printf(" reply %s is-at %02x:%02x:%02x:%02x:%02x:%02x", a, l3[8], l3[9], l3[10],
                   l3[11], l3[12], l3[13]);
    }
}

static void print_packet(const uint8_t *data, const pkt_info_t *info, uint32_t l2len)
{
    struct tm tm;
    time_t sec = (time_t)info->sec;
    localtime_r(&sec, &tm);

    printf("%02d:%02d:%02d.%09" PRIu32 " %s %-8s ", tm.tm_hour, tm.tm_min, tm.tm_sec, info->nsec,
           ifname(info->ifindex), direction(info->pkttype));
    switch (info->protocol) {
    case 0x0800: printf("IPv4"); break;
    case 0x0806: printf("ARP"); break;
    case 0x86dd: printf("IPv6"); break;
    default:     printf("0x%04x", (unsigned)info->protocol); break;
    }
    printf(" %" PRIu32 "/%" PRIu32, info->caplen, info->len);
    if (pkt_vlan_valid(info->status))
        printf(" vlan %u", (unsigned)(info->vlan_tci & 0x0fff));
    if (info->caplen > l2len)
        print_network(info->protocol, data + l2len, info->caplen - l2len);
    putchar('\n');
    fflush(stdout); /* one line per packet as it arrives, also into a pipe */
}

static void usage(FILE *to)
{
    fprintf(to, "usage: capture [-i IFACE] [-c COUNT] [-t TIMEOUT_MS] [-I]\n");
}

int main(int argc, char **argv)
{
    const char *iface = NULL; /* NULL: all interfaces */
    unsigned long long count = 0;
    long long timeout_ms = 0;
    bool immediate = false;
    int opt;

    while ((opt = getopt(argc, argv, "i:c:t:Ih")) != -1) {
        char *end = NULL;
        switch (opt) {
        case 'i': iface = optarg; break;
        case 'c':
            errno = 0;
            count = strtoull(optarg, &end, 10);
            if (errno || *end || optarg[0] == '-') {
                fprintf(stderr, "capture: bad count '%s'\n", optarg);
                return 2;
            }
            break;
        case 't':
            errno = 0;
            timeout_ms = strtoll(optarg, &end, 10);
            if (errno || *end || timeout_ms < 0) {
                fprintf(stderr, "capture: bad timeout '%s'\n", optarg);
                return 2;
            }
            break;
        case 'I': immediate = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }

    /* Always start from the defaults: fields added later get sane values. */
    pkt_config_t cfg;
    pkt_config_default(&cfg);
    cfg.read_timeout_ms = timeout_ms; /* 0: a read waits until a packet comes */
    cfg.immediate = immediate;

    pkt_t *h = NULL;
    int rc = pkt_open(iface, &cfg, &h);
    if (rc < 0) {
        report("pkt_open", rc);
        return 1;
    }

    /* The effective configuration: "all interfaces" forces cooked mode (no link-layer
     * header in the data), and the ring size is rounded. */
    pkt_config_t eff;
    rc = pkt_get_config(h, &eff);
    if (rc < 0) {
        report("pkt_get_config", rc);
        pkt_close(h);
        return 1;
    }
    uint32_t l2len = eff.cooked ? 0 : ETH_HEADER_LEN;

    g_handle = h;
    if (install_signal_handlers() != 0) {
        pkt_close(h);
        return 1;
    }

    fprintf(stderr, "capture: libpkt %s, listening on %s (linktype %u, %s ring of %lld bytes)\n",
            pkt_version(), iface && *iface ? iface : "all interfaces", (unsigned)pkt_linktype(h),
            eff.immediate ? "TPACKET_V2" : "TPACKET_V3", (long long)eff.buffer_size);

    int status = 0;
    unsigned long long seen = 0;
    while (count == 0 || seen < count) {
        const uint8_t *data;
        pkt_info_t info;
        rc = pkt_read(h, 1, &data, &info);
        if (rc > 0) {
            /* data points into the ring and stays valid until the next pkt_read */
            print_packet(data, &info, l2len);
            seen++;
        } else if (rc == 0) {
            continue; /* a user-space filter skipped max_nil_read packets: read again */
        } else if (rc == -EINTR) {
            fprintf(stderr, "capture: interrupted\n");
            break;
        } else if (pkt_is_timeout(rc)) {
            fprintf(stderr, "capture: no packet for %lld ms, stopping\n", timeout_ms);
            break;
        } else {
            report("pkt_read", rc);
            status = 1;
            break;
        }
    }

    pkt_stats_t st;
    rc = pkt_stats(h, true, &st);
    if (rc < 0) {
        report("pkt_stats", rc);
        status = 1;
    } else {
        fprintf(stderr,
                "capture: %llu packets printed; %" PRIu64 " received by the socket, %" PRIu64
                " dropped\n",
                seen, st.recvs, st.drops);
    }

    g_handle = NULL; /* the handler must not touch a closed handle */
    rc = pkt_close(h);
    if (rc < 0) {
        report("pkt_close", rc);
        status = 1;
    }
    return status;
}
