/* The packet printer's parts, shared by print*.c (private to pktdump).
 *
 *   print.c       one packet: the timestamp, the link layer (Ethernet, 802.1Q, Linux cooked,
 *                 raw IP), ARP, the hex and ASCII dumps (-x -xx -X -XX -A)
 *   print_ip.c    IPv4 (options, fragments), IPv6 (extension headers), ICMP, ICMPv6
 *   print_l4.c    TCP (flags, relative sequence numbers, options), UDP, DNS
 *
 * The printers follow tcpdump 4.99's output text. Every read of the packet goes through
 * pd_need() and the get helpers: a read past the captured bytes (or past the end of the
 * current layer, e.g. the IP total length) jumps back to pd_print_packet, which ends the line
 * with " [|PROTO]", PROTO the layer being printed, as tcpdump does. */
#ifndef PKTDUMP_PRINT_H
#define PKTDUMP_PRINT_H

#include <setjmp.h>

#include "pktdump.h"

struct pd_nd {
    struct pd_printer *pr;
    const uint8_t *end; /* the end of what may be read: captured bytes, cut to the layer */
    const char *proto;  /* the layer being printed, for " [|proto]" */
    bool early;         /* the truncation was a read (tcpdump's GET_*: the dumps then start at
                           the link-layer header), not a length check (ND_TCHECK_*) */
    bool checks_only;   /* reads count as length checks (tcpdump's DNS printer) */
    unsigned quotes;    /* ICMP errors quoting ICMP errors: the depth, bounded (PD_MAX_QUOTES) */
    jmp_buf trunc;
};

/* How deep quoted packets are printed (tcpdump has no bound; pktdump's printers do not recurse
 * in proportion to the input). */
#define PD_MAX_QUOTES 8

/* Jumps to the truncation handler: the packet ends here. */
_Noreturn void pd_trunc(struct pd_nd *nd);
/* The same for a failed read. */
_Noreturn void pd_trunc_early(struct pd_nd *nd);

/* A read of p to p + n: within the readable bytes, or this does not return. */
static inline void pd_need(struct pd_nd *nd, const uint8_t *p, size_t n)
{
    if (p > nd->end || (size_t)(nd->end - p) < n)
        pd_trunc_early(nd);
}
/* A length check of p to p + n (tcpdump's ND_TCHECK_*). */
static inline void pd_tcheck(struct pd_nd *nd, const uint8_t *p, size_t n)
{
    if (p > nd->end || (size_t)(nd->end - p) < n)
        pd_trunc(nd);
}
static inline bool pd_have(const struct pd_nd *nd, const uint8_t *p, size_t n)
{
    return p <= nd->end && (size_t)(nd->end - p) >= n;
}
static inline unsigned pd_u8(struct pd_nd *nd, const uint8_t *p)
{
    pd_need(nd, p, 1);
    return p[0];
}
static inline unsigned pd_u16(struct pd_nd *nd, const uint8_t *p)
{
    pd_need(nd, p, 2);
    return (unsigned)(p[0] << 8 | p[1]);
}
static inline uint32_t pd_u32(struct pd_nd *nd, const uint8_t *p)
{
    pd_need(nd, p, 4);
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* "a.b.c.d" / RFC 5952 text of an address at p (checked). Each call has its own buffer among
 * a few that rotate. */
const char *pd_ip4str(struct pd_nd *nd, const uint8_t *p);
const char *pd_ip6str(struct pd_nd *nd, const uint8_t *p);
const char *pd_macstr(struct pd_nd *nd, const uint8_t *p);

/* The Internet checksum's running sum over n bytes (no carry folding). */
uint32_t pd_sum(const uint8_t *p, size_t n, uint32_t sum);
uint16_t pd_fold(uint32_t sum);
/* What the checksum field should have held, given the field and the sum computed with it. */
uint16_t pd_cksum_shouldbe(uint16_t field, uint16_t sum);

/* The name of IP protocol p as tcpdump prints it in "proto NAME (p)", or NULL. */
const char *pd_ipproto_name(unsigned p);

/* An IP packet's payload, for the transport printers. */
struct pd_ipctx {
    int version;          /* 4 or 6 */
    const uint8_t *ip;    /* the IP header */
    const uint8_t *src, *dst; /* the addresses (for IPv6 dst: the final one, after routing) */
    bool addrs_printed;   /* "src > dst: " already printed: print ports only */
    bool fragmented;      /* a fragment (IPv4 MF or offset; IPv6 fragment header) */
};

/* print_ip.c */
/* Lines of hex as tcpdump's print_unknown_data, each starting with ident. */
void pd_hex_lines(struct pd_nd *nd, const char *ident, const uint8_t *p, uint32_t n);
void pd_ip_print(struct pd_nd *nd, const uint8_t *p, uint32_t length);
void pd_ip6_print(struct pd_nd *nd, const uint8_t *p, uint32_t length);

/* print_l4.c: p is the transport header, length its length on the wire (from IP). */
void pd_tcp_print(struct pd_nd *nd, const struct pd_ipctx *ic, const uint8_t *p,
                  uint32_t length);
void pd_udp_print(struct pd_nd *nd, const struct pd_ipctx *ic, const uint8_t *p,
                  uint32_t length);
/* print_dns.c: a DNS message at p of length bytes (over TCP: with its length prefix; mdns:
 * port 5353's multicast DNS), as tcpdump's summary line. */
void pd_dns_print(struct pd_nd *nd, const uint8_t *p, uint32_t length, bool over_tcp, bool mdns);
/* A domain name at cp, compression pointers relative to bp; its end, or NULL (tcpdump's
 * fqdn_print). */
const uint8_t *pd_fqdn_print(struct pd_nd *nd, const uint8_t *cp, const uint8_t *bp);
/* The transport checksum's sum with the pseudo header over length bytes at p (captured). */
uint16_t pd_l4_cksum(const struct pd_ipctx *ic, unsigned proto, const uint8_t *p,
                     uint32_t length);

/* print.c: tcpdump's default for a payload it does not decode: hex and ASCII, indented. */
void pd_default_print(struct pd_nd *nd, const uint8_t *p, uint32_t length);

#endif
