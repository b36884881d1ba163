/* pktdump's packet printer: one line per packet, in tcpdump's style. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* if_indextoname, localtime_r */
#endif

#include <arpa/inet.h>
#include <inttypes.h>
#include <net/if.h>
#include <string.h>
#include <time.h>

#include "pktdump.h"

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void print_mac(const uint8_t *m)
{
    printf("%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static const char *direction_name(uint8_t pkttype)
{
    switch (pkttype) {
    case PKT_PACKET_HOST:      return "In";
    case PKT_PACKET_BROADCAST: return "B";
    case PKT_PACKET_MULTICAST: return "M";
    case PKT_PACKET_OTHERHOST: return "P";
    case PKT_PACKET_OUTGOING:  return "Out";
    default:                   return "?";
    }
}

/* Interface name for an index; a few are remembered (one ioctl per packet is wasteful). */
static const char *iface_name(int ifindex)
{
    static struct { int index; char name[IF_NAMESIZE]; } cache[8];
    static unsigned next;
    for (unsigned i = 0; i < sizeof cache / sizeof cache[0]; i++)
        if (cache[i].index == ifindex && ifindex != 0)
            return cache[i].name;
    unsigned slot = next++ % (sizeof cache / sizeof cache[0]);
    cache[slot].index = ifindex;
    if (if_indextoname((unsigned)ifindex, cache[slot].name) == NULL)
        snprintf(cache[slot].name, sizeof cache[slot].name, "if%d", ifindex);
    return cache[slot].name;
}

static const char *ip_proto_name(uint8_t p)
{
    switch (p) {
    case 1:  return "ICMP";
    case 2:  return "IGMP";
    case 6:  return "TCP";
    case 17: return "UDP";
    case 47: return "GRE";
    case 58: return "ICMPv6";
    case 132: return "SCTP";
    default: return "unknown";
    }
}

/* A transport header: p holds n captured bytes of a payload that is plen bytes long (from the
 * IP header), between the addresses src and dst. */
struct l4 {
    const uint8_t *p;
    uint32_t n;
    uint32_t plen;
    const char *src, *dst;
};

static void print_tcp(const struct pd_printer *pr, const struct l4 *s)
{
    if (s->n < 20) {
        printf("%s > %s: [|tcp]", s->src, s->dst);
        return;
    }
    const uint8_t *t = s->p;
    unsigned sport = get16(t), dport = get16(t + 2);
    uint32_t seq = get32(t + 4), ack = get32(t + 8);
    unsigned doff = (unsigned)(t[12] >> 4) * 4;
    uint8_t fl = t[13];
    printf("%s.%u > %s.%u: ", s->src, sport, s->dst, dport);
    if (doff < 20 || doff > s->plen) {
        printf("tcp, bad header length %u", doff);
        return;
    }
    uint32_t data = s->plen - doff;
    if (pr->quiet) {
        printf("tcp %" PRIu32, data);
        return;
    }
    /* tcpdump's order: F S R P U E W, then '.' for ACK */
    static const struct { uint8_t bit; char c; } flags[] = {
        {0x01, 'F'}, {0x02, 'S'}, {0x04, 'R'}, {0x08, 'P'},
        {0x20, 'U'}, {0x40, 'E'}, {0x80, 'W'}, {0x10, '.'},
    };
    char fs[10];
    size_t k = 0;
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (fl & flags[i].bit)
            fs[k++] = flags[i].c;
    fs[k] = '\0';
    printf("Flags [%s]", k ? fs : "none");
    if (data > 0)
        printf(", seq %" PRIu32 ":%" PRIu32, seq, seq + data);
    else if (fl & 0x07) /* SYN, FIN, RST */
        printf(", seq %" PRIu32, seq);
    if (fl & 0x10)
        printf(", ack %" PRIu32, ack);
    printf(", win %u, length %" PRIu32, (unsigned)get16(t + 14), data);
}

static void print_udp(const struct l4 *s)
{
    if (s->n < 8) {
        printf("%s > %s: [|udp]", s->src, s->dst);
        return;
    }
    unsigned ulen = get16(s->p + 4);
    printf("%s.%u > %s.%u: UDP, ", s->src, (unsigned)get16(s->p), s->dst,
           (unsigned)get16(s->p + 2));
    if (ulen < 8 || ulen > s->plen)
        printf("bad length %u > %" PRIu32, ulen, s->plen);
    else
        printf("length %u", ulen - 8);
}

static void print_icmp(const struct l4 *s)
{
    printf("%s > %s: ", s->src, s->dst);
    if (s->n < 4) {
        printf("[|icmp]");
        return;
    }
    const uint8_t *c = s->p;
    uint8_t type = c[0], code = c[1];
    if (type == 0 || type == 8) {
        if (s->n < 8) {
            printf("ICMP echo %s [|icmp]", type ? "request" : "reply");
            return;
        }
        printf("ICMP echo %s, id %u, seq %u", type ? "request" : "reply", (unsigned)get16(c + 4),
               (unsigned)get16(c + 6));
    } else if (type == 3) {
        /* the offending datagram's header follows: name what was unreachable */
        const uint8_t *ip = c + 8;
        uint32_t n = s->n >= 8 ? s->n - 8 : 0;
        char dst[INET_ADDRSTRLEN];
        if (n >= 20 && (ip[0] >> 4) == 4 && (ip[0] & 0x0f) >= 5) {
            inet_ntop(AF_INET, ip + 16, dst, sizeof dst);
            uint32_t ihl = (uint32_t)(ip[0] & 0x0f) * 4;
            if (code == 3 && (ip[9] == 6 || ip[9] == 17) && n >= ihl + 4)
                printf("ICMP %s %s port %u unreachable", dst, ip[9] == 6 ? "tcp" : "udp",
                       (unsigned)get16(ip + ihl + 2));
            else if (code == 3)
                printf("ICMP %s port unreachable", dst);
            else if (code == 1)
                printf("ICMP host %s unreachable", dst);
            else if (code == 0)
                printf("ICMP net %s unreachable", dst);
            else if (code == 2)
                printf("ICMP %s protocol %u unreachable", dst, (unsigned)ip[9]);
            else
                printf("ICMP %s unreachable, code %u", dst, (unsigned)code);
        } else {
            printf("ICMP unreachable, code %u", (unsigned)code);
        }
    } else if (type == 11) {
        printf("ICMP time exceeded %s", code == 0 ? "in-transit" : "reassembly");
    } else {
        printf("ICMP type %u, code %u", (unsigned)type, (unsigned)code);
    }
    printf(", length %" PRIu32, s->plen);
}

static void print_icmp6(const struct l4 *s)
{
    printf("%s > %s: ", s->src, s->dst);
    if (s->n < 4) {
        printf("[|icmp6]");
        return;
    }
    const uint8_t *c = s->p;
    uint8_t type = c[0];
    char a[INET6_ADDRSTRLEN];
    switch (type) {
    case 128:
    case 129:
        if (s->n < 8) {
            printf("ICMP6, echo %s [|icmp6]", type == 128 ? "request" : "reply");
            return;
        }
        printf("ICMP6, echo %s, id %u, seq %u", type == 128 ? "request" : "reply",
               (unsigned)get16(c + 4), (unsigned)get16(c + 6));
        break;
    case 135:
    case 136:
        if (s->n < 24) {
            printf("ICMP6, neighbor %s [|icmp6]", type == 135 ? "solicitation" : "advertisement");
            return;
        }
        inet_ntop(AF_INET6, c + 8, a, sizeof a);
        printf("ICMP6, neighbor %s, %s %s", type == 135 ? "solicitation" : "advertisement",
               type == 135 ? "who has" : "tgt is", a);
        break;
    case 1:   printf("ICMP6, destination unreachable, code %u", (unsigned)c[1]); break;
    case 2:   printf("ICMP6, packet too big"); break;
    case 3:   printf("ICMP6, time exceeded"); break;
    case 133: printf("ICMP6, router solicitation"); break;
    case 134: printf("ICMP6, router advertisement"); break;
    case 143: printf("ICMP6, multicast listener report v2"); break;
    default:  printf("ICMP6, type %u, code %u", (unsigned)type, (unsigned)c[1]); break;
    }
    printf(", length %" PRIu32, s->plen);
}

static void print_transport(const struct pd_printer *pr, uint8_t proto, const struct l4 *s)
{
    switch (proto) {
    case 6:  print_tcp(pr, s); break;
    case 17: print_udp(s); break;
    case 1:  print_icmp(s); break;
    case 58: print_icmp6(s); break;
    default:
        printf("%s > %s: ip-proto-%u %" PRIu32, s->src, s->dst, (unsigned)proto, s->plen);
        break;
    }
}

static void print_ipv4(const struct pd_printer *pr, const uint8_t *p, uint32_t n)
{
    if (n < 20) {
        printf("IP [|ip]");
        return;
    }
    if ((p[0] >> 4) != 4) {
        printf("IP bad version %u", (unsigned)(p[0] >> 4));
        return;
    }
    uint32_t ihl = (uint32_t)(p[0] & 0x0f) * 4;
    uint32_t total = get16(p + 2);
    if (ihl < 20 || total < ihl) {
        printf("IP bad header (header length %" PRIu32 ", total length %" PRIu32 ")", ihl, total);
        return;
    }
    unsigned frag = get16(p + 6);
    unsigned offset = (frag & 0x1fff) * 8;
    uint8_t proto = p[9];
    printf("IP ");
    if (pr->verbose) {
        char fl[16] = "";
        if (frag & 0x8000)
            strcat(fl, "+");     /* the reserved bit */
        if (frag & 0x4000)
            strcat(fl, "DF");
        if (frag & 0x2000)
            strcat(fl, fl[0] ? ",MF" : "MF");
        printf("(tos 0x%x, ttl %u, id %u, offset %u, flags [%s], proto %s (%u), length %" PRIu32
               ") ",
               (unsigned)p[1], (unsigned)p[8], (unsigned)get16(p + 4), offset,
               fl[0] ? fl : "none", ip_proto_name(proto), (unsigned)proto, total);
    }
    if (n < ihl) {
        printf("[|ip]");
        return;
    }
    char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, p + 12, src, sizeof src);
    inet_ntop(AF_INET, p + 16, dst, sizeof dst);
    /* the payload ends at the IP total length (Ethernet padding is not part of it) */
    uint32_t avail = (n < total ? n : total) - ihl;
    struct l4 s = {p + ihl, avail, total - ihl, src, dst};
    if (offset != 0) {
        printf("%s > %s: ip-proto-%u (frag id %u, %" PRIu32 "@%u%s)", src, dst, (unsigned)proto,
               (unsigned)get16(p + 4), total - ihl, offset, (frag & 0x2000) ? "+" : "");
        return;
    }
    print_transport(pr, proto, &s);
    if (frag & 0x2000)
        printf(" (frag id %u, %" PRIu32 "@0+)", (unsigned)get16(p + 4), total - ihl);
}

static void print_ipv6(const struct pd_printer *pr, const uint8_t *p, uint32_t n)
{
    if (n < 40) {
        printf("IP6 [|ip6]");
        return;
    }
    if ((p[0] >> 4) != 6) {
        printf("IP6 bad version %u", (unsigned)(p[0] >> 4));
        return;
    }
    uint32_t plen = get16(p + 4);
    uint8_t nh = p[6];
    printf("IP6 ");
    if (pr->verbose)
        printf("(hlim %u, next-header %s (%u) payload length: %" PRIu32 ") ", (unsigned)p[7],
               ip_proto_name(nh), (unsigned)nh, plen);
    char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, p + 8, src, sizeof src);
    inet_ntop(AF_INET6, p + 24, dst, sizeof dst);

    uint32_t avail = n - 40 < plen ? n - 40 : plen; /* captured payload bytes */
    const uint8_t *q = p + 40;
    uint32_t left = plen; /* payload bytes on the wire */
    /* extension headers: hop-by-hop, routing, fragment, destination options (bounded) */
    for (int i = 0; i < 8 && (nh == 0 || nh == 43 || nh == 44 || nh == 60); i++) {
        if (avail < 8) {
            printf("%s > %s: [|ip6]", src, dst);
            return;
        }
        uint32_t hl = nh == 44 ? 8 : ((uint32_t)q[1] + 1) * 8;
        if (hl > left) {
            printf("%s > %s: bad extension header length", src, dst);
            return;
        }
        if (nh == 0)
            printf("HBH ");
        if (nh == 44) {
            unsigned off = get16(q + 2) & 0xfff8;
            printf("frag (%u|%" PRIu32 ") ", off, left - 8);
            if (off != 0) {
                printf("%s > %s: ip-proto-%u", src, dst, (unsigned)q[0]);
                return;
            }
        }
        if (hl > avail) {
            printf("%s > %s: [|ip6]", src, dst);
            return;
        }
        nh = q[0];
        q += hl;
        avail -= hl;
        left -= hl;
    }
    struct l4 s = {q, avail, left, src, dst};
    print_transport(pr, nh, &s);
}

static void print_arp(const uint8_t *p, uint32_t n, uint32_t len)
{
    printf("ARP, ");
    if (n < 8) {
        printf("[|arp]");
        return;
    }
    unsigned op = get16(p + 6);
    if (get16(p + 2) != 0x0800 || p[4] != 6 || p[5] != 4) {
        printf("hardware type %u, protocol 0x%04x, op %u, length %" PRIu32, (unsigned)get16(p),
               (unsigned)get16(p + 2), op, len);
        return;
    }
    if (n < 28) {
        printf("%s [|arp]", op == 1 ? "Request" : op == 2 ? "Reply" : "op");
        return;
    }
    char spa[INET_ADDRSTRLEN], tpa[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, p + 14, spa, sizeof spa);
    inet_ntop(AF_INET, p + 24, tpa, sizeof tpa);
    if (op == 1) {
        printf("Request who-has %s tell %s", tpa, spa);
    } else if (op == 2) {
        printf("Reply %s is-at ", spa);
        print_mac(p + 8);
    } else {
        printf("op %u %s > %s", op, spa, tpa);
    }
    printf(", length %" PRIu32, len);
}

static void print_vlan(uint16_t tpid, uint16_t tci)
{
    printf("vlan %u%s, p %u%s, ", (unsigned)(tci & 0x0fff), tpid == 0x8100 ? "" : " (802.1ad)",
           (unsigned)(tci >> 13), (tci & 0x1000) ? ", DEI" : "");
}

static bool is_vlan_tpid(uint16_t t) { return t == 0x8100 || t == 0x88a8 || t == 0x9100; }

/* What follows an ethertype: p holds n captured bytes of a len-byte payload; eth is the
 * Ethernet header, or NULL for a cooked packet; wire is the packet's whole length. */
static void print_payload(const struct pd_printer *pr, uint16_t type, const uint8_t *p, uint32_t n,
                          uint32_t len, const uint8_t *eth, uint32_t wire)
{
    for (int tags = 0; is_vlan_tpid(type); tags++) {
        if (n < 4 || tags == 8) {
            printf("vlan [|vlan]");
            return;
        }
        print_vlan(type, get16(p));
        type = get16(p + 2);
        p += 4;
        n -= 4;
        len -= 4;
    }
    switch (type) {
    case 0x0800: print_ipv4(pr, p, n); break;
    case 0x86dd: print_ipv6(pr, p, n); break;
    case 0x0806: print_arp(p, n, len); break;
    default:
        if (eth != NULL) {
            print_mac(eth + 6);
            printf(" > ");
            print_mac(eth);
            printf(", ");
        }
        printf("ethertype 0x%04x, length %" PRIu32, (unsigned)type, wire);
        break;
    }
}

void pd_print_packet(const struct pd_printer *pr, const uint8_t *data, const pkt_info_t *info)
{
    struct tm tm;
    time_t sec = (time_t)info->sec;
    localtime_r(&sec, &tm);
    if (pr->nano)
        printf("%02d:%02d:%02d.%09" PRIu32 " ", tm.tm_hour, tm.tm_min, tm.tm_sec, info->nsec);
    else
        printf("%02d:%02d:%02d.%06" PRIu32 " ", tm.tm_hour, tm.tm_min, tm.tm_sec,
               info->nsec / 1000);
    if (pr->all_ifaces)
        printf("%-5s ", iface_name(info->ifindex));
    printf("%-3s ", direction_name(info->pkttype));

    uint32_t n = info->caplen, len = info->len < n ? n : info->len;
    if (pr->verbose)
        printf("[%" PRIu32 "/%" PRIu32 "] ", n, len);
    /* the tag the kernel took out of the bytes, when it is not put back */
    bool meta_tag = pkt_vlan_valid(info->status) && (pr->cooked || pr->tag_in_meta);
    if (meta_tag)
        print_vlan(info->vlan_tpid ? info->vlan_tpid : 0x8100, info->vlan_tci);
    if (pr->cooked) {
        print_payload(pr, info->protocol, data, n, len, NULL, len);
    } else if (n < 14) {
        printf("[|ether]");
    } else {
        print_payload(pr, get16(data + 12), data + 14, n - 14, len - 14, data, len);
    }
    putchar('\n');
}
