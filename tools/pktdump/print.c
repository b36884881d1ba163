/* pktdump's packet printer: the timestamp, the link layer, ARP and the dumps, in tcpdump's
 * words (see print.h for the other files). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* if_indextoname, localtime_r */
#endif

#include <arpa/inet.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "print.h"

/* ---- helpers shared by the printers ---- */

_Noreturn void pd_trunc(struct pd_nd *nd)
{
    longjmp(nd->trunc, 1);
}

_Noreturn void pd_trunc_early(struct pd_nd *nd)
{
    nd->early = !nd->checks_only;
    longjmp(nd->trunc, 1);
}

static char *strbuf(void)
{
    static char bufs[8][64];
    static unsigned next;
    return bufs[next++ % 8];
}

const char *pd_ip4str(struct pd_nd *nd, const uint8_t *p)
{
    pd_need(nd, p, 4);
    char *b = strbuf();
    inet_ntop(AF_INET, p, b, 64);
    return b;
}

const char *pd_ip6str(struct pd_nd *nd, const uint8_t *p)
{
    pd_need(nd, p, 16);
    char *b = strbuf();
    inet_ntop(AF_INET6, p, b, 64);
    return b;
}

const char *pd_macstr(struct pd_nd *nd, const uint8_t *p)
{
    pd_need(nd, p, 6);
    char *b = strbuf();
    snprintf(b, 64, "%02x:%02x:%02x:%02x:%02x:%02x", p[0], p[1], p[2], p[3], p[4], p[5]);
    return b;
}

uint32_t pd_sum(const uint8_t *p, size_t n, uint32_t sum)
{
    size_t i = 0;
    for (; i + 1 < n; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (i < n)
        sum += (uint32_t)p[i] << 8;
    return sum;
}

uint16_t pd_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

uint16_t pd_cksum_shouldbe(uint16_t field, uint16_t sum)
{
    /* RFC 1624: the field that would have made the sum come out 0 */
    uint32_t s = (uint16_t)~field;
    s += (uint16_t)~sum;
    s = (s >> 16) + (s & 0xffff);
    s += (s >> 16);
    return (uint16_t)~s;
}

const char *pd_ipproto_name(unsigned p)
{
    switch (p) {
    case 0: return "Options";
    case 1: return "ICMP";
    case 2: return "IGMP";
    case 4: return "IPIP";
    case 6: return "TCP";
    case 8: return "EGP";
    case 9: return "IGRP";
    case 17: return "UDP";
    case 33: return "DCCP";
    case 41: return "IPv6";
    case 43: return "Routing";
    case 44: return "Fragment";
    case 46: return "RSVP";
    case 47: return "GRE";
    case 50: return "ESP";
    case 51: return "AH";
    case 55: return "Mobile IP";
    case 58: return "ICMPv6";
    case 62: return "Mobile IP (old)";
    case 88: return "EIGRP";
    case 89: return "OSPF";
    case 103: return "PIM";
    case 108: return "Compressed IP";
    case 112: return "VRRP";
    case 113: return "PGM";
    case 132: return "SCTP";
    case 135: return "Mobility";
    default: return NULL;
    }
}

/* ---- hex and ASCII dumps (tcpdump's -x, -X, -A and its default for unknown payloads) ---- */

static bool graph(uint8_t c) { return c > 0x20 && c < 0x7f; }

/* -X: "\n\t0x0000:  4500 0054 ...  E..T" lines of 16 bytes */
static void hex_ascii_dump(const uint8_t *p, uint32_t n)
{
    char hex[8 * 5 + 1], asc[17];
    uint32_t off = 0;
    while (n > 0) {
        uint32_t k = n < 16 ? n : 16;
        size_t h = 0;
        for (uint32_t i = 0; i < k; i += 2) {
            if (i + 1 < k)
                h += (size_t)snprintf(hex + h, sizeof hex - h, " %02x%02x", p[i], p[i + 1]);
            else
                h += (size_t)snprintf(hex + h, sizeof hex - h, " %02x", p[i]);
        }
        for (uint32_t i = 0; i < k; i++)
            asc[i] = graph(p[i]) ? (char)p[i] : '.';
        asc[k] = '\0';
        printf("\n\t0x%04x: %-40s  %s", (unsigned)off, hex, asc);
        p += k;
        n -= k;
        off += k;
    }
}

/* -x: "\n\t0x0000:  4500 0054 ..." lines of 16 bytes */
/* tcpdump's print_unknown_data: hex_print of n bytes, at most those captured (silently),
 * each line starting with ident. */
void pd_hex_lines(struct pd_nd *nd, const char *ident, const uint8_t *p, uint32_t n)
{
    if (p > nd->end) {
        printf("%sDissector error: print_unknown_data called with pointer past end of packet",
               ident);
        return;
    }
    uint32_t avail = (uint32_t)(nd->end - p);
    if (n > avail)
        n = avail;
    for (uint32_t i = 0; i < n; i += 2) {
        if (i % 16 == 0)
            printf("%s0x%04x: ", ident, (unsigned)i);
        if (i + 1 < n)
            printf(" %02x%02x", p[i], p[i + 1]);
        else
            printf(" %02x", p[i]);
    }
}

static void hex_dump(const uint8_t *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i += 2) {
        if (i % 16 == 0)
            printf("\n\t0x%04x: ", (unsigned)i);
        if (i + 1 < n)
            printf(" %02x%02x", p[i], p[i + 1]);
        else
            printf(" %02x", p[i]);
    }
}

/* -A: the bytes as text, what is not printable as '.', CRs before a newline dropped */
static void ascii_dump(const uint8_t *p, uint32_t n)
{
    putchar('\n');
    for (uint32_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        uint32_t left = n - i - 1;
        if (c == '\r') {
            if (left > 1 && p[i + 1] != '\n')
                putchar('.');
        } else if (graph(c) || c == '\t' || c == ' ' || c == '\n') {
            putchar(c);
        } else {
            putchar('.');
        }
    }
}

void pd_default_print(struct pd_nd *nd, const uint8_t *p, uint32_t length)
{
    const struct pd_printer *pr = nd->pr;
    if (pr->xflag || pr->Xflag || pr->qflag)
        return; /* the dump shows it */
    uint32_t avail = p <= nd->end ? (uint32_t)(nd->end - p) : 0;
    hex_ascii_dump(p, length < avail ? length : avail);
}

/* ---- ARP ---- */

/* tcpdump's ND_DEFAULTPRINT called unconditionally (ARP does): the hex and ASCII dump of what
 * was captured of the packet, whatever the output flags. */
static void arp_default_print(struct pd_nd *nd, const uint8_t *p)
{
    hex_ascii_dump(p, p <= nd->end ? (uint32_t)(nd->end - p) : 0);
}

static const char *ethertype_name(unsigned t);

static const char *arphrd_name(unsigned hrd)
{
    switch (hrd) {
    case 1: return "Ethernet";
    case 6: return "TokenRing";
    case 7: return "ArcNet";
    case 15: return "FrameRelay";
    case 19: return "ATM";
    case 23: return "Strip";
    case 24: return "IEEE 1394";
    case 32: return "InfiniBand";
    default: return NULL;
    }
}

static const char *arpop_name(unsigned op)
{
    switch (op) {
    case 1: return "Request";
    case 2: return "Reply";
    case 3: return "Reverse Request";
    case 4: return "Reverse Reply";
    case 8: return "Inverse Request";
    case 9: return "Inverse Reply";
    case 10: return "NACK Reply";
    default: return NULL;
    }
}

static void arp_hrd_print(unsigned hrd)
{
    const char *h = arphrd_name(hrd);
    if (h)
        printf("%s", h);
    else
        printf("Unknown Hardware (%u)", hrd);
}

static void arp_pro_print(unsigned pro)
{
    const char *e = ethertype_name(pro);
    if (strcmp(e, "Unknown") != 0)
        printf("%s", e);
    else
        printf("Unknown Protocol (0x%04x)", pro);
}

static void arp_op_print(const struct pd_printer *pr, unsigned op)
{
    const char *o = arpop_name(op);
    printf("%s", pr->vflag ? ", " : "");
    if (o)
        printf("%s ", o);
    else
        printf("Unknown (%u) ", op);
}

/* A frame relay address (Q.922) as tcpdump's q922_string: "DLCI N", "<Invalid DLCI>" or
 * "<Truncated>" (the address is within the captured bytes; len bounds it). */
static const char *q922_str(const uint8_t *p, unsigned len)
{
    static char buf[32];
    if (len < 1)
        return "<Truncated>";
    if (p[0] & 1)
        return "<Invalid DLCI>";
    if (len < 2)
        return "<Truncated>";
    unsigned dlci = (unsigned)((p[0] & 0xfc) << 2) | (p[1] & 0xf0) >> 4;
    if (!(p[1] & 1)) {
        p += 2;
        len -= 2;
        if (len < 1)
            return "<Truncated>";
        if (!(p[0] & 1)) {
            dlci = dlci << 7 | p[0] >> 1;
            p++;
            len--;
        }
        if (len < 1)
            return "<Truncated>";
        if (!(p[0] & 1))
            return "<Invalid DLCI>";
        dlci = dlci << 6 | p[0] >> 2;
    }
    snprintf(buf, sizeof buf, "DLCI %u", dlci);
    return buf;
}

/* tcpdump's linkaddr_string: "<empty>", a frame relay DLCI, or the bytes in hex with ':'. */
static const char *linkaddr_str(struct pd_nd *nd, const uint8_t *p, unsigned len, bool frelay)
{
    static char buf[255 * 3 + 1];
    pd_need(nd, p, len);
    if (len == 0)
        return "<empty>";
    if (frelay)
        return q922_str(p, len);
    static const char hex[] = "0123456789abcdef";
    char *c = buf;
    for (unsigned i = 0; i < len && i < 255; i++) {
        if (i)
            *c++ = ':';
        *c++ = hex[p[i] >> 4];
        *c++ = hex[p[i] & 15];
    }
    *c = '\0';
    return buf;
}

static bool arp_pro_ip(unsigned pro) { return pro == 0x0800 || pro == 0x1000; }

static void arp_ip_print(struct pd_nd *nd, unsigned pro, unsigned pln, const uint8_t *a,
                         const char *badlen)
{
    if (!arp_pro_ip(pro))
        printf("<wrong proto type>");
    else if (pln != 4)
        printf("%s", badlen);
    else
        printf("%s", pd_ip4str(nd, a));
}

/* ATM ARP (RFC 2225): variable-length ATM numbers and subaddresses (tcpdump's atmarp_print). */
static void atm_addr_print(struct pd_nd *nd, const uint8_t *ha, unsigned hlen, const uint8_t *sa,
                           unsigned slen)
{
    if (hlen == 0) {
        printf("<No address>");
        return;
    }
    printf("%s", linkaddr_str(nd, ha, hlen, false));
    if (slen != 0)
        printf(",%s", linkaddr_str(nd, sa, slen, false));
}

static void atmarp_print(struct pd_nd *nd, const uint8_t *p, uint32_t length)
{
    const struct pd_printer *pr = nd->pr;
    pd_need(nd, p, 12);
    unsigned hrd = pd_u16(nd, p), pro = pd_u16(nd, p + 2), op = pd_u16(nd, p + 6);
    unsigned shl = p[4] & 0x3f, ssl = p[5] & 0x3f, spl = p[8], thl = p[9] & 0x3f,
             tsl = p[10] & 0x3f, tpl = p[11];
    const uint8_t *sha = p + 12, *ssa = sha + shl, *spa = ssa + ssl, *tha = spa + spl,
                  *tsa = tha + thl, *tpa = tsa + tsl;
    pd_need(nd, tpa, tpl);
    if (!pr->eflag)
        printf("ARP, ");
    if (!arp_pro_ip(pro) || spl != 4 || tpl != 4 || pr->vflag) {
        arp_hrd_print(hrd);
        printf(", ");
        arp_pro_print(pro);
        printf(" (len %u/%u)", spl, tpl);
        if (!pr->vflag)
            goto out;
    }
    arp_op_print(pr, op);
    switch (op) {
    case 1:
        printf("who-has ");
        arp_ip_print(nd, pro, tpl, tpa, "<wrong tplen>");
        if (thl != 0) {
            printf(" (");
            atm_addr_print(nd, tha, thl, tsa, tsl);
            printf(")");
        }
        printf(" tell ");
        arp_ip_print(nd, pro, spl, spa, "<wrong splen>");
        break;
    case 2:
        arp_ip_print(nd, pro, spl, spa, "<wrong splen>");
        printf(" is-at ");
        atm_addr_print(nd, sha, shl, ssa, ssl);
        break;
    case 8:
        printf("who-is ");
        atm_addr_print(nd, tha, thl, tsa, tsl);
        printf(" tell ");
        atm_addr_print(nd, sha, shl, ssa, ssl);
        break;
    case 9:
        atm_addr_print(nd, sha, shl, ssa, ssl);
        printf("at ");
        arp_ip_print(nd, pro, spl, spa, "<wrong splen>");
        break;
    case 10:
        printf("for ");
        arp_ip_print(nd, pro, spl, spa, "<wrong splen>");
        break;
    default:
        arp_default_print(nd, p);
        return;
    }
out:
    printf(", length %" PRIu32, length);
}

/* tcpdump's arp_print: every read is bounds-checked and a short packet is " [|arp]" (its
 * checks there end the packet as a failed read does). */
static void arp_print(struct pd_nd *nd, const uint8_t *p, uint32_t length)
{
    nd->proto = "arp";
    const struct pd_printer *pr = nd->pr;
    pd_need(nd, p, 8);
    unsigned hrd = pd_u16(nd, p), pro = pd_u16(nd, p + 2);
    unsigned hln = p[4], pln = p[5], op = pd_u16(nd, p + 6);
    if (hrd == 19) {
        atmarp_print(nd, p, length);
        return;
    }
    bool frelay = hrd == 15;
    const uint8_t *sha = p + 8, *spa = sha + hln, *tha = spa + pln, *tpa = tha + hln;
    pd_need(nd, tpa, pln);
    if (!pr->eflag)
        printf("ARP, ");
    if (!arp_pro_ip(pro) || pln != 4 || hln == 0 || pr->vflag) {
        arp_hrd_print(hrd);
        printf(" (len %u), ", hln);
        arp_pro_print(pro);
        printf(" (len %u)", pln);
        if (!pr->vflag)
            goto out;
    }
    arp_op_print(pr, op);
    switch (op) {
    case 1: {
        printf("who-has ");
        arp_ip_print(nd, pro, pln, tpa, "<wrong len>");
        bool nonzero = false;
        for (unsigned i = 0; i < hln; i++)
            nonzero |= tha[i] != 0;
        if (nonzero)
            printf(" (%s)", linkaddr_str(nd, tha, hln, frelay));
        printf(" tell ");
        arp_ip_print(nd, pro, pln, spa, "<wrong len>");
        break;
    }
    case 2:
        arp_ip_print(nd, pro, pln, spa, "<wrong len>");
        printf(" is-at %s", linkaddr_str(nd, sha, hln, frelay));
        break;
    case 3:
    case 8:
        printf("who-is %s", linkaddr_str(nd, tha, hln, frelay));
        printf(" tell %s", linkaddr_str(nd, sha, hln, frelay));
        break;
    case 4:
        printf("%s at ", linkaddr_str(nd, tha, hln, frelay));
        arp_ip_print(nd, pro, pln, tpa, "<wrong len>");
        break;
    case 9:
        printf("%s at ", linkaddr_str(nd, sha, hln, frelay));
        arp_ip_print(nd, pro, pln, spa, "<wrong len>");
        break;
    default:
        arp_default_print(nd, p);
        return;
    }
out:
    printf(", length %" PRIu32, length);
}

/* ---- the link layer ---- */

/* tcpdump's names of ethertypes (its table's first name for a value), "Unknown" else */
static const char *ethertype_name(unsigned t)
{
    switch (t) {
    case 0x0800: return "IPv4";
    case 0x8847: return "MPLS unicast";
    case 0x8848: return "MPLS multicast";
    case 0x86dd: return "IPv6";
    case 0x8100: return "802.1Q";
    case 0x9100: return "802.1Q-9100";
    case 0x88a8: return "802.1Q-QinQ";
    case 0x9200: return "802.1Q-9200";
    case 0x88e5: return "802.1AE MACsec";
    case 0x0200: return "PUP";
    case 0x0806: return "ARP";
    case 0x8035: return "Reverse ARP";
    case 0x0600: return "NS";
    case 0x0500: return "Sprite";
    case 0x1000: return "Trail";
    case 0x6001: return "MOP DL";
    case 0x6002: return "MOP RC";
    case 0x6003: return "DN";
    case 0x6004: return "LAT";
    case 0x6007: return "SCA";
    case 0x6558: return "TEB";
    case 0x8038: return "Lanbridge";
    case 0x803c: return "DEC DNS";
    case 0x803e: return "DEC DTS";
    case 0x805b: return "VEXP";
    case 0x805c: return "VPROD";
    case 0x809b: return "Appletalk";
    case 0x80f3: return "Appletalk ARP";
    case 0x8137: return "IPX";
    case 0x880b: return "PPP";
    case 0x8808: return "MPCP";
    case 0x8809: return "Slow Protocols";
    case 0x8863: return "PPPoE D";
    case 0x8864: return "PPPoE S";
    case 0x888e: return "EAPOL";
    case 0x8899: return "Realtek protocols";
    case 0x886f: return "MS NLB heartbeat";
    case 0x8870: return "Jumbo";
    case 0x894f: return "NSH";
    case 0x9000: return "Loopback";
    case 0xfefe: return "OSI";
    case 0x00fe: return "GRE-OSI";
    case 0xabcd: return "CFM (old)";
    case 0x8902: return "CFM";
    case 0x893a: return "IEEE1905.1";
    case 0x88cc: return "LLDP";
    case 0x88ca: return "TIPC";
    case 0x0707: return "GeoNet (old)";
    case 0x8947: return "GeoNet";
    case 0x1111: return "CALM FAST";
    case 0x88a2: return "AoE";
    case 0x88f7: return "PTP";
    case 0xd28b: return "Arista Vendor Specific Protocol";
    default: return "Unknown";
    }
}

static bool is_vlan(unsigned t) { return t == 0x8100 || t == 0x88a8 || t == 0x9100; }

/* The payload of ethertype t; false if not decoded. */
static bool ethertype_print(struct pd_nd *nd, unsigned t, const uint8_t *p, uint32_t length)
{
    switch (t) {
    case 0x0800: pd_ip_print(nd, p, length); return true;
    case 0x86dd: pd_ip6_print(nd, p, length); return true;
    case 0x0806: arp_print(nd, p, length); return true;
    default: return false;
    }
}

/* Ethernet: returns the link-layer header length (for the dumps) through *hdrlen as soon as
 * it is known. */
static void ether_print(struct pd_nd *nd, const uint8_t *p, uint32_t caplen, uint32_t length,
                        volatile uint32_t *hdrlen, const pkt_info_t *meta_tag)
{
    const struct pd_printer *pr = nd->pr;
    nd->proto = "ether";
    if (caplen < 14 || length < 14) {
        *hdrlen = caplen;
        pd_trunc(nd);
    }
    const uint8_t *eth = p;
    if (pr->eflag)
        printf("%s > %s, ", pd_macstr(nd, p + 6), pd_macstr(nd, p));
    unsigned t = pd_u16(nd, p + 12);
    p += 14;
    length -= 14;
    *hdrlen = 14;
    uint32_t wire = length + 14;
    bool first = true;
    /* a tag the kernel took out and did not put back (live only) */
    if (meta_tag != NULL) {
        unsigned tci = meta_tag->vlan_tci, tpid = meta_tag->vlan_tpid ? meta_tag->vlan_tpid : 0x8100;
        if (pr->eflag) {
            printf("ethertype %s (0x%04x), length %" PRIu32 ": ", ethertype_name(tpid), tpid,
                   wire + 4);
            printf("vlan %u, p %u%s, ", tci & 0xfff, tci >> 13, (tci & 0x1000) ? ", DEI" : "");
            first = false;
        }
    }
    for (;;) {
        if (t <= 1500) {
            /* an 802.3 length: LLC follows, which pktdump does not decode */
            if (pr->eflag)
                printf("802.3, length %u: ", t);
            else
                printf("%s > %s, 802.3, length %u: ", pd_macstr(nd, eth + 6), pd_macstr(nd, eth),
                       t);
            pd_default_print(nd, p, length);
            return;
        }
        if (is_vlan(t)) {
            nd->proto = "vlan";
            if (length < 4 || !pd_have(nd, p, 4)) {
                *hdrlen = caplen;
                pd_trunc(nd);
            }
        }
        if (pr->eflag) {
            if (first && pr->qflag && strcmp(ethertype_name(t), "Unknown") == 0)
                printf("Unknown Ethertype (0x%04x), length %" PRIu32 ": ", t, wire);
            else if (first && pr->qflag)
                printf("%s, length %" PRIu32 ": ", ethertype_name(t), wire);
            else if (first)
                printf("ethertype %s (0x%04x), length %" PRIu32 ": ", ethertype_name(t), t, wire);
            else if (pr->qflag)
                printf("%s, ", ethertype_name(t));
            else
                printf("ethertype %s (0x%04x), ", ethertype_name(t), t);
        }
        first = false;
        if (!is_vlan(t))
            break;
        unsigned tci = pd_u16(nd, p);
        if (pr->eflag)
            printf("vlan %u, p %u%s, ", tci & 0xfff, tci >> 13, (tci & 0x1000) ? ", DEI" : "");
        t = pd_u16(nd, p + 2);
        p += 4;
        length -= 4;
        *hdrlen += 4;
    }
    if (!ethertype_print(nd, t, p, length)) {
        if (!pr->eflag && pr->qflag) {
            printf("%s > %s, ", pd_macstr(nd, eth + 6), pd_macstr(nd, eth));
            if (strcmp(ethertype_name(t), "Unknown") == 0)
                printf("Unknown Ethertype (0x%04x), length %" PRIu32 ": ", t, wire);
            else
                printf("%s, length %" PRIu32 ": ", ethertype_name(t), wire);
        } else if (!pr->eflag) {
            printf("%s > %s, ethertype %s (0x%04x), length %" PRIu32 ": ", pd_macstr(nd, eth + 6),
                   pd_macstr(nd, eth), ethertype_name(t), t, wire);
        }
        pd_default_print(nd, p, length);
    }
}

static const char *pkttype_name(unsigned t)
{
    switch (t) {
    case PKT_PACKET_HOST: return "In";
    case PKT_PACKET_BROADCAST: return "B";
    case PKT_PACKET_MULTICAST: return "M";
    case PKT_PACKET_OTHERHOST: return "P";
    case PKT_PACKET_OUTGOING: return "Out";
    default: return "?";
    }
}

/* Interface name for an index; a few are remembered (one ioctl per packet is wasteful). */
static const char *iface_name(int ifindex)
{
    static struct {
        int index;
        char name[IF_NAMESIZE];
    } cache[8];
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

/* Linux cooked: the interface, direction and protocol, as tcpdump prints LINUX_SLL2 (and
 * LINUX_SLL, without the interface). */
enum cooked_kind { COOKED_LIVE, COOKED_SLL, COOKED_SLL2 };

/* tcpdump's sll_print (-e only: no direction without it) and sll2_print ("ifindex N"). */
static void sll_header_print(const struct pd_printer *pr, enum cooked_kind kind, uint32_t ifx,
                             unsigned pkttype, const uint8_t *addr, unsigned alen,
                             unsigned proto, uint32_t length)
{
    if (kind == COOKED_SLL)
        printf("%3s ", pkttype_name(pkttype));
    else
        printf("ifindex %" PRIu32 " ", ifx);
    if (alen == 6)
        printf("%02x:%02x:%02x:%02x:%02x:%02x ", addr[0], addr[1], addr[2], addr[3], addr[4],
               addr[5]);
    if (pr->qflag)
        return;
    if (proto <= 1500) {
        if (proto == 1)
            printf("802.3");
        else if (proto == 4)
            printf("802.2");
        else
            printf("ethertype Unknown (0x%04x)", proto);
    } else {
        printf("ethertype %s (0x%04x)", ethertype_name(proto), proto);
    }
    printf(", length %" PRIu32 ": ", length);
}

static void cooked_print(struct pd_nd *nd, enum cooked_kind kind, uint32_t ifx,
                         const char *ifname, unsigned pkttype, unsigned hatype,
                         const uint8_t *addr, unsigned alen, unsigned proto, const uint8_t *p,
                         uint32_t length)
{
    const struct pd_printer *pr = nd->pr;
    if (ifname != NULL)
        printf("%-5s ", ifname);
    if (kind != COOKED_LIVE) {
        if (kind == COOKED_SLL2)
            printf("%-3s ", pkttype_name(pkttype));
        if (pr->eflag)
            sll_header_print(pr, kind, ifx, pkttype, addr, alen, proto,
                             length + (kind == COOKED_SLL2 ? 20 : 16));
    } else if (pr->eflag) {
        printf("%-3s ", pkttype_name(pkttype));
        if (alen == 6) {
            printf("%02x:%02x:%02x:%02x:%02x:%02x ", addr[0], addr[1], addr[2], addr[3], addr[4],
                   addr[5]);
        } else if (alen > 0) {
            for (unsigned i = 0; i < alen; i++)
                printf("%s%02x", i ? ":" : "", addr[i]);
            putchar(' ');
        }
        printf("ethertype %s (0x%04x), length %" PRIu32 ": ", ethertype_name(proto), proto,
               length);
    } else {
        printf("%-3s ", pkttype_name(pkttype));
    }
    (void)hatype;
    for (;;) {
        if (!is_vlan(proto))
            break;
        nd->proto = "vlan";
        unsigned tci = pd_u16(nd, p);
        if (pr->eflag)
            printf("vlan %u, p %u%s, ", tci & 0xfff, tci >> 13, (tci & 0x1000) ? ", DEI" : "");
        proto = pd_u16(nd, p + 2);
        if (pr->eflag)
            printf("ethertype %s (0x%04x), ", ethertype_name(proto), proto);
        p += 4;
        length = length >= 4 ? length - 4 : 0;
    }
    if (!ethertype_print(nd, proto, p, length)) {
        if (!pr->eflag)
            printf("ethertype %s (0x%04x), length %" PRIu32 ": ", ethertype_name(proto), proto,
                   length);
        pd_default_print(nd, p, length);
    }
}

/* tcpdump's ipN_print: IPv4 or IPv6 by the version. */
static void ipn_print(struct pd_nd *nd, const uint8_t *p, uint32_t length)
{
    nd->proto = "ipn";
    if (length < 1) {
        printf("truncated-ip %" PRIu32, length);
        return;
    }
    unsigned v = pd_u8(nd, p) >> 4;
    if (v == 4)
        pd_ip_print(nd, p, length);
    else if (v == 6)
        pd_ip6_print(nd, p, length);
    else
        printf("unknown ip %u", v);
}

static void raw_print(struct pd_nd *nd, const uint8_t *p, uint32_t length)
{
    nd->proto = "raw";
    if (nd->pr->eflag)
        printf("ip: ");
    ipn_print(nd, p, length);
}

/* BSD loopback (DLT_NULL) and OpenBSD's DLT_LOOP: a 4-byte address family in the capturing
 * host's byte order (NULL) or in network order (LOOP); as tcpdump's print-null.c, read in this
 * host's order and swapped if its upper 16 bits are not zero. */
static void null_hdr_print(const struct pd_printer *pr, uint32_t family, uint32_t length)
{
    const char *name = NULL;
    switch (family) {
    case 2: name = "IPv4"; break;
    case 6: name = "NS"; break;
    case 7: name = "ISO"; break;
    case 16: name = "Appletalk"; break;
    case 23: name = "IPX"; break;
    case 24: case 28: case 30: name = "IPv6"; break;
    default: break;
    }
    if (!pr->qflag)
        printf("AF %s (%" PRIu32 ")", name ? name : "Unknown", family);
    else if (name)
        printf("%s", name);
    else
        printf("Unknown AF %" PRIu32, family);
    printf(", length %" PRIu32 ": ", length);
}

static void null_print(struct pd_nd *nd, const uint8_t *p, uint32_t length)
{
    nd->proto = "null";
    pd_need(nd, p, 4);
    uint32_t family;
    memcpy(&family, p, 4);
    if ((family & 0xffff0000u) != 0)
        family = (family & 0xff) << 24 | (family & 0xff00) << 8 | (family & 0xff0000) >> 8 |
                 family >> 24;
    if (nd->pr->eflag)
        null_hdr_print(nd->pr, family, length);
    length = length >= 4 ? length - 4 : 0;
    p += 4;
    switch (family) {
    case 2: pd_ip_print(nd, p, length); break;
    case 24: case 28: case 30: pd_ip6_print(nd, p, length); break;
    default:
        if (!nd->pr->eflag)
            null_hdr_print(nd->pr, family, length + 4);
        pd_default_print(nd, p, length);
        break;
    }
}

/* ---- timestamps ---- */

static void print_frac(const struct pd_printer *pr, uint32_t nsec)
{
    if (pr->nano)
        printf("%09" PRIu32, nsec);
    else
        printf("%06" PRIu32, nsec / 1000);
}

static void print_hms(const struct pd_printer *pr, const struct tm *tm, uint32_t nsec)
{
    printf("%02d:%02d:%02d.", tm->tm_hour, tm->tm_min, tm->tm_sec);
    print_frac(pr, nsec);
}

/* The difference a - b as tcpdump's -ttt/-ttttt print it: a sign, then HH:MM:SS.frac */
static void print_delta(const struct pd_printer *pr, int64_t as, uint32_t an, int64_t bs,
                        uint32_t bn)
{
    int64_t d = (as - bs) * 1000000000 + (int64_t)an - (int64_t)bn;
    char sign = ' ';
    if (d < 0) {
        sign = '-';
        d = -d;
    }
    time_t s = (time_t)(d / 1000000000);
    struct tm tm;
    gmtime_r(&s, &tm);
    putchar(sign);
    print_hms(pr, &tm, (uint32_t)(d % 1000000000));
}

static void print_ts(struct pd_printer *pr, const pkt_info_t *info)
{
    int64_t sec = (int64_t)info->sec;
    uint32_t nsec = info->nsec;
    if (!pr->nano)
        nsec -= nsec % 1000;
    if (!pr->have_prev) {
        pr->have_prev = true;
        pr->prev_sec = pr->first_sec = sec;
        pr->prev_nsec = pr->first_nsec = nsec;
    }
    struct tm tm;
    time_t t = (time_t)sec;
    switch (pr->tflag) {
    case 0:
        localtime_r(&t, &tm);
        print_hms(pr, &tm, nsec);
        putchar(' ');
        break;
    case 1: break;
    case 2:
        printf("%" PRId64 ".", sec);
        print_frac(pr, nsec);
        putchar(' ');
        break;
    case 3:
        print_delta(pr, sec, nsec, pr->prev_sec, pr->prev_nsec);
        putchar(' ');
        break;
    case 4:
        localtime_r(&t, &tm);
        printf("%04d-%02d-%02d ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
        print_hms(pr, &tm, nsec);
        putchar(' ');
        break;
    default:
        print_delta(pr, sec, nsec, pr->first_sec, pr->first_nsec);
        putchar(' ');
        break;
    }
    pr->prev_sec = sec;
    pr->prev_nsec = nsec;
}

/* ---- one packet ---- */

void pd_print_packet(struct pd_printer *pr, const uint8_t *data, const pkt_info_t *info)
{
    pr->packets++;
    if (pr->number)
        printf("%5" PRIu64 "  ", pr->packets);
    print_ts(pr, info);

    uint32_t caplen = info->caplen, length = info->len;
    struct pd_nd nd;
    memset(&nd, 0, sizeof nd);
    nd.pr = pr;
    nd.end = data + caplen;
    nd.proto = "";
    volatile uint32_t hdrlen = 0, hl = 0;
    if (setjmp(nd.trunc) == 0) {
        switch (pr->dlt) {
        case PKT_DLT_EN10MB: {
            bool meta = pkt_vlan_valid(info->status) && pr->tag_in_meta;
            ether_print(&nd, data, caplen, length, &hl, meta ? info : NULL);
            hdrlen = hl;
            break;
        }
        case PD_DLT_COOKED_LIVE: {
            hdrlen = 0;
            const char *name = iface_name(info->ifindex);
            cooked_print(&nd, COOKED_LIVE, 0, name, info->pkttype, info->linktype, NULL, 0,
                         info->protocol, data, length);
            break;
        }
        case PKT_DLT_LINUX_SLL2: {
            nd.proto = "sll2";
            hdrlen = caplen < 20 ? caplen : 20;
            pd_need(&nd, data, 20);
            unsigned proto = pd_u16(&nd, data);
            uint32_t ifx = pd_u32(&nd, data + 4);
            char name[IF_NAMESIZE + 16];
            if (if_indextoname(ifx, name) == NULL)
                snprintf(name, sizeof name, "?");
            unsigned alen = data[11] > 8 ? 8 : data[11];
            cooked_print(&nd, COOKED_SLL2, ifx, name, data[10], pd_u16(&nd, data + 8), data + 12, alen, proto,
                         data + 20, length >= 20 ? length - 20 : 0);
            break;
        }
        case PKT_DLT_LINUX_SLL: {
            nd.proto = "sll";
            hdrlen = caplen < 16 ? caplen : 16;
            pd_need(&nd, data, 16);
            unsigned alen = pd_u16(&nd, data + 4);
            cooked_print(&nd, COOKED_SLL, 0, NULL, pd_u16(&nd, data), pd_u16(&nd, data + 2), data + 6,
                         alen > 8 ? 8 : alen, pd_u16(&nd, data + 14), data + 16,
                         length >= 16 ? length - 16 : 0);
            break;
        }
        case PKT_DLT_RAW:
        case 12:
        case PKT_DLT_IPV4:
        case PKT_DLT_IPV6:
            hdrlen = 0;
            raw_print(&nd, data, length);
            break;
        case PKT_DLT_NULL:
        case 108: /* LOOP */
            hdrlen = 4;
            null_print(&nd, data, length);
            break;
        default:
            hdrlen = 0;
            printf("unsupported link type %u, length %" PRIu32 ": ", (unsigned)pr->dlt, length);
            break;
        }
    } else {
        if (pr->dlt == PKT_DLT_EN10MB)
            hdrlen = nd.early && hl <= 14 + 8 ? 0 : hl;
        else if (nd.early)
            hdrlen = 0;
        printf(" [|%s]", nd.proto);
    }
    if (pr->Xflag) {
        if (pr->Xflag > 1)
            hex_ascii_dump(data, caplen);
        else if (caplen > hdrlen)
            hex_ascii_dump(data + hdrlen, caplen - hdrlen);
    } else if (pr->xflag) {
        if (pr->xflag > 1)
            hex_dump(data, caplen);
        else if (caplen > hdrlen)
            hex_dump(data + hdrlen, caplen - hdrlen);
    } else if (pr->Aflag) {
        if (pr->Aflag > 1)
            ascii_dump(data, caplen);
        else if (caplen > hdrlen)
            ascii_dump(data + hdrlen, caplen - hdrlen);
    }
    putchar('\n');
}

void pd_printer_free(struct pd_printer *pr)
{
    free(pr->conv);
    pr->conv = NULL;
    pr->nconv = pr->capconv = 0;
}
