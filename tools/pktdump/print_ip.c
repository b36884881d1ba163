/* pktdump's printers of IPv4 (options, fragments), IPv6 (extension headers), ICMP and ICMPv6,
 * in tcpdump's words (see print.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <arpa/inet.h>
#include <inttypes.h>
#include <netdb.h>
#include <string.h>

#include "print.h"

static void icmp_print(struct pd_nd *nd, const struct pd_ipctx *ic, const uint8_t *p,
                       uint32_t length);
static void icmp6_print(struct pd_nd *nd, const struct pd_ipctx *ic, const uint8_t *p,
                        uint32_t length);

/* What follows an IP header (or the last IPv6 extension header). */
static void demux(struct pd_nd *nd, const struct pd_ipctx *ic, unsigned nh, const uint8_t *p,
                  uint32_t length)
{
    switch (nh) {
    case 6: pd_tcp_print(nd, ic, p, length); break;
    case 17: pd_udp_print(nd, ic, p, length); break;
    case 1:
        if (ic->version == 4) {
            icmp_print(nd, ic, p, length);
            break;
        }
        goto unknown;
    case 58:
        if (ic->version == 6) {
            icmp6_print(nd, ic, p, length);
            break;
        }
        goto unknown;
    case 59: printf("no next header"); break;
    case 50:
        nd->proto = "esp";
        pd_tcheck(nd, p, 8);
        printf("ESP(spi=0x%08" PRIx32 ",seq=0x%" PRIx32 "), length %" PRIu32, pd_u32(nd, p),
               pd_u32(nd, p + 4), length);
        break;
    default:
    unknown: {
        struct protoent *pe = nd->pr->nflag == 0 ? getprotobynumber((int)nh) : NULL;
        if (pe != NULL)
            printf(" %s", pe->p_name);
        else
            printf(" ip-proto-%u", nh);
        printf(" %" PRIu32, length);
        break;
    }
    }
}

/* ---- IPv4 ---- */

static void ip_route_print(struct pd_nd *nd, const uint8_t *cp, unsigned len)
{
    if (len < 3) {
        printf(" [bad length %u]", len);
        return;
    }
    if ((len + 1) & 3)
        printf(" [bad length %u]", len);
    unsigned ptr = pd_u8(nd, cp + 2) - 1u;
    if (ptr < 3 || ((ptr + 1) & 3) || ptr > len + 1)
        printf(" [bad ptr %u]", pd_u8(nd, cp + 2));
    for (unsigned i = 3; i + 4 <= len; i += 4) {
        printf(" %s", pd_ip4str(nd, cp + i));
        if (ptr > i)
            printf(",");
    }
}

static void ip_options_print(struct pd_nd *nd, const uint8_t *cp, unsigned length)
{
    bool sep = false;
    while (length > 0) {
        if (sep)
            printf(",");
        sep = true;
        unsigned code = pd_u8(nd, cp), olen;
        switch (code) {
        case 0: printf("EOL"); break;
        case 1: printf("NOP"); break;
        case 7: printf("RR"); break;
        case 68: printf("TS"); break;
        case 130: printf("SECURITY"); break;
        case 131: printf("LSRR"); break;
        case 137: printf("SSRR"); break;
        case 148: printf("RA"); break;
        default: printf("unknown %u", code); break;
        }
        if (code == 0 || code == 1) {
            olen = 1;
        } else {
            olen = pd_u8(nd, cp + 1);
            if (olen < 2) {
                printf(" [bad length %u]", olen);
                return;
            }
        }
        if (olen > length) {
            printf(" [bad length %u]", olen);
            return;
        }
        pd_need(nd, cp, olen);
        switch (code) {
        case 0: return;
        case 7:
        case 131:
        case 137: ip_route_print(nd, cp, olen); break;
        case 148:
            if (olen < 4) {
                printf(" [bad length %u]", olen);
                break;
            }
            if (pd_u16(nd, cp + 2) != 0)
                printf(" value %u", pd_u16(nd, cp + 2));
            break;
        default: break;
        }
        cp += olen;
        length -= olen;
    }
}

void pd_ip_print(struct pd_nd *nd, const uint8_t *p, uint32_t length)
{
    const struct pd_printer *pr = nd->pr;
    nd->proto = "ip";
    unsigned v = pd_u8(nd, p) >> 4;
    if (v != 4) {
        if (v == 6)
            printf("IP6, wrong link-layer encapsulation (invalid)");
        else
            printf("IP%u (invalid)", v);
        return;
    }
    if (!pr->eflag)
        printf("IP ");
    pd_tcheck(nd, p, 20);
    unsigned hlen = (p[0] & 0x0fu) * 4;
    if (hlen < 20) {
        printf("bad-hlen %u", hlen);
        return;
    }
    unsigned len = pd_u16(nd, p + 2);
    if (length < len)
        printf("truncated-ip - %" PRIu32 " bytes missing! ", len - length);
    if (len < hlen) {
        printf("bad-len %u", len);
        return;
    }
    /* the payload's length is the header's, as tcpdump: on a frame shorter than it, the
     * transport printers see the bytes missing as truncation */
    length = len;
    const uint8_t *saved_end = nd->end;
    if (nd->end > p + len)
        nd->end = p + len;
    unsigned off = pd_u16(nd, p + 6);
    unsigned nh = p[9];
    if (pr->vflag) {
        unsigned tos = p[1];
        printf("(tos 0x%x", tos);
        static const char *const ecn[] = {"", ",ECT(1)", ",ECT(0)", ",CE"};
        printf("%s", ecn[tos & 3]);
        char fl[24] = "";
        if (off & 0x2000)
            strcat(fl, "+");
        if (off & 0x4000)
            strcat(fl, "DF");
        if (off & 0x8000)
            strcat(fl, "rsvd");
        const char *pn = pd_ipproto_name(nh);
        if (p[8] >= 1) /* tcpdump leaves a TTL of 0 out */
            printf(", ttl %u", p[8]);
        printf(", id %u, offset %u, flags [%s], proto %s (%u), length %u",
               pd_u16(nd, p + 4), (off & 0x1fff) * 8, fl[0] ? fl : "none", pn ? pn : "unknown",
               nh, len);
        if (hlen > 20) {
            printf(", options (");
            ip_options_print(nd, p + 20, hlen - 20);
            printf(")");
        }
        if (!pr->Kflag && pd_have(nd, p, hlen)) {
            uint16_t sum = pd_fold(pd_sum(p, hlen, 0));
            if (sum != 0) {
                unsigned field = pd_u16(nd, p + 10);
                printf(", bad cksum %x (->%x)!", field, pd_cksum_shouldbe((uint16_t)field, sum));
            }
        }
        printf(")\n    ");
    }
    pd_need(nd, p, hlen > len ? len : hlen);
    struct pd_ipctx ic = {4, p, p + 12, p + 16, false, (off & 0x3fff) != 0};
    if ((off & 0x1fff) == 0) {
        if (nh != 6 && nh != 17) {
            printf("%s > %s: ", pd_ip4str(nd, p + 12), pd_ip4str(nd, p + 16));
            ic.addrs_printed = true;
        }
        demux(nd, &ic, nh, p + hlen, length - hlen);
    } else {
        printf("%s > %s:", pd_ip4str(nd, p + 12), pd_ip4str(nd, p + 16));
        struct protoent *pe = pr->nflag == 0 ? getprotobynumber((int)nh) : NULL;
        if (pe != NULL)
            printf(" %s", pe->p_name);
        else
            printf(" ip-proto-%u", nh);
    }
    nd->end = saved_end;
}

/* ---- ICMP ---- */

/* The packet an ICMP error quotes. A length check failing in it ends the quote only, with
 * " [|PROTO]", and the ICMP printer goes on (in tcpdump such a check returns from the inner
 * printer); a failed read ends the whole packet. */
static void quote_print(struct pd_nd *nd, const uint8_t *oip, uint32_t ilen)
{
    jmp_buf outer;
    memcpy(outer, nd->trunc, sizeof outer);
    if (setjmp(nd->trunc) == 0) {
        pd_ip_print(nd, oip, ilen);
        memcpy(nd->trunc, outer, sizeof outer);
        return;
    }
    memcpy(nd->trunc, outer, sizeof outer);
    if (nd->early)
        longjmp(nd->trunc, 1);
    printf(" [|%s]", nd->proto);
}

/* RFC 4884 multi-part extensions after the quoted packet (tcpdump's print of them), from 136
 * bytes into the ICMP message; its length checks end the line with " [|icmp]". */
static void icmp_ext_print(struct pd_nd *nd, const uint8_t *p, uint32_t length)
{
    if (!pd_have(nd, p, 141)) {
        printf(" [|icmp]");
        return;
    }
    const uint8_t *ext = p + 136;
    uint32_t hlen = length - 136;
    if (p[5] == 0 && pd_have(nd, ext, hlen) && pd_fold(pd_sum(ext, hlen, 0)) != 0)
        return;
    printf("\n\tICMP Multi-Part extension v%u", ext[0] >> 4);
    if (ext[0] >> 4 != 2) {
        printf(" packet not supported");
        return;
    }
    if (pd_have(nd, ext, hlen))
        printf(", checksum 0x%04x (%scorrect), length %" PRIu32, pd_u16(nd, ext + 2),
               pd_fold(pd_sum(ext, hlen, 0)) != 0 ? "in" : "", hlen);
    hlen -= 4;
    const uint8_t *obj = ext + 4;
    while (hlen > 4) {
        if (!pd_have(nd, obj, 4)) {
            printf(" [|icmp]");
            return;
        }
        unsigned olen = pd_u16(nd, obj), cls = obj[2], ctype = obj[3];
        obj += 4;
        printf("\n\t  %s Object (%u), Class-Type: %u, length %u",
               cls == 1 ? "MPLS Stack Entry" : cls == 2 ? "Interface Identification" : "unknown",
               cls, ctype, olen);
        hlen -= 4;
        if (cls == 0 || olen < 4)
            return;
        olen -= 4;
        if (cls == 1 && ctype == 1) {
            uint32_t e = pd_u32(nd, obj);
            printf("\n\t    label %" PRIu32 ", tc %" PRIu32 "%s, ttl %" PRIu32, e >> 12,
                   (e >> 9) & 7, (e & 0x100) ? ", [S]" : "", e & 0xff);
        } else {
            pd_hex_lines(nd, "\n\t    ", obj, olen);
        }
        if (hlen < olen)
            break;
        hlen -= olen;
        obj += olen;
    }
}

static void icmp_print(struct pd_nd *nd, const struct pd_ipctx *ic, const uint8_t *p,
                       uint32_t length)
{
    const struct pd_printer *pr = nd->pr;
    (void)ic;
    nd->proto = "icmp";
    unsigned type = pd_u8(nd, p), code = pd_u8(nd, p + 1);
    const uint8_t *oip = p + 8;
    bool error = false;
    char msg[160];
    size_t mlen = sizeof msg;
    char *m = msg;
#define printf(...) snprintf(m, mlen, __VA_ARGS__)
    switch (type) {
    case 0:
    case 8:
        printf("echo %s, id %u, seq %u", type ? "request" : "reply", pd_u16(nd, p + 4),
               pd_u16(nd, p + 6));
        break;
    case 3: {
        error = true;
        const char *dst = pd_ip4str(nd, oip + 16);
        switch (code) {
        case 0: printf("net %s unreachable", dst); break;
        case 1: printf("host %s unreachable", dst); break;
        case 2: printf("%s protocol %u unreachable", dst, pd_u8(nd, oip + 9)); break;
        case 3: {
            unsigned hl = (pd_u8(nd, oip) & 0x0fu) * 4, pr_ = pd_u8(nd, oip + 9);
            unsigned port = pd_u16(nd, oip + hl + 2);
            if (pr_ == 6)
                printf("%s tcp port %u unreachable", dst, port);
            else if (pr_ == 17)
                printf("%s udp port %u unreachable", dst, port);
            else
                printf("%s protocol %u port %u unreachable", dst, pr_, port);
            break;
        }
        case 4: {
            unsigned mtu = pd_u16(nd, p + 6);
            if (mtu)
                printf("%s unreachable - need to frag (mtu %u)", dst, mtu);
            else
                printf("%s unreachable - need to frag", dst);
            break;
        }
        case 5: printf("%s unreachable - source route failed", dst); break;
        case 6: printf("net %s unreachable - unknown", dst); break;
        case 7: printf("host %s unreachable - unknown", dst); break;
        case 8: printf("%s unreachable - source host isolated", dst); break;
        case 9: printf("net %s unreachable - admin prohibited", dst); break;
        case 10: printf("host %s unreachable - admin prohibited", dst); break;
        case 11: printf("net %s unreachable - tos prohibited", dst); break;
        case 12: printf("host %s unreachable - tos prohibited", dst); break;
        case 13: printf("host %s unreachable - admin prohibited filter", dst); break;
        case 14: printf("host %s unreachable - host precedence violation", dst); break;
        case 15: printf("host %s unreachable - precedence cutoff", dst); break;
        default: printf("%s unreachable - #%u", dst, code); break;
        }
        break;
    }
    case 4:
        error = true;
        printf("source quench");
        break;
    case 10: printf("router solicitation"); break;
    case 11:
        error = true;
        if (code == 0)
            printf("time exceeded in-transit");
        else if (code == 1)
            printf("ip reassembly time exceeded");
        else
            printf("time exceeded-#%u", code);
        break;
    case 12:
        error = true;
        if (code == 0)
            printf("parameter problem - octet %u", pd_u8(nd, p + 4));
        else
            printf("parameter problem code %u", code);
        break;
    default: printf("type-#%u", type); break;
    }
#undef printf
    printf("ICMP %s", msg);
    printf(", length %" PRIu32, length);
    if (pr->vflag && pd_have(nd, p, length)) {
        uint16_t sum = pd_fold(pd_sum(p, length, 0));
        if (sum != 0) {
            unsigned field = pd_u16(nd, p + 2);
            printf(" (wrong icmp cksum %x (->%x)!)", field,
                   pd_cksum_shouldbe((uint16_t)field, sum));
        }
    }
    if (pr->vflag && error && nd->quotes < PD_MAX_QUOTES) {
        /* the quoted packet, to the length its header gives (tcpdump reads that length as
         * ICMP: a quote cut before it is " [|icmp]") and within the captured bytes */
        printf("\n\t");
        const uint8_t *saved = nd->end;
        uint32_t ilen = pd_u16(nd, oip + 2);
        if ((size_t)(nd->end - oip) > ilen)
            nd->end = oip + ilen;
        nd->quotes++;
        quote_print(nd, oip, ilen);
        nd->quotes--;
        nd->end = saved;
    }
    nd->proto = "icmp";
    if (pr->vflag && length > 136 && (type == 3 || type == 11 || type == 12))
        icmp_ext_print(nd, p, length);
}

/* ---- IPv6 ---- */

/* Options of a hop-by-hop or destination options header, at -v. */
static void ip6_opts_print(struct pd_nd *nd, const uint8_t *cp, unsigned len)
{
    unsigned i = 0;
    while (i < len) {
        unsigned t = pd_u8(nd, cp + i);
        if (t == 0) {
            printf("(pad1)");
            i++;
            continue;
        }
        unsigned ol = pd_u8(nd, cp + i + 1);
        if (i + 2 + ol > len) {
            printf("[trunc]");
            return;
        }
        switch (t) {
        case 1: printf("(padn)"); break;
        case 5:
            if (ol != 2)
                printf("(rtalert: invalid len %u)", ol);
            else
                printf("(rtalert: 0x%04x) ", pd_u16(nd, cp + i + 2));
            break;
        case 0xc2:
            if (ol != 4)
                printf("(jumbo: invalid len %u)", ol);
            else
                printf("(jumbo: %u) ", pd_u32(nd, cp + i + 2));
            break;
        default: printf("(opt_type 0x%02x: len=%u)", t, ol); break;
        }
        i += 2 + ol;
    }
}

void pd_ip6_print(struct pd_nd *nd, const uint8_t *p, uint32_t length)
{
    const struct pd_printer *pr = nd->pr;
    nd->proto = "ip6";
    pd_tcheck(nd, p, 40);
    unsigned v = p[0] >> 4;
    if (v != 6) {
        printf("IP6 version error: %u != 6", v);
        return;
    }
    uint32_t plen = pd_u16(nd, p + 4);
    unsigned nh = p[6];
    if (!pr->eflag)
        printf("IP6 ");
    if (pr->vflag) {
        uint32_t w = pd_u32(nd, p);
        unsigned tc = (w >> 20) & 0xff;
        uint32_t flow = w & 0xfffff;
        const char *pn = pd_ipproto_name(nh);
        printf("(");
        if (tc)
            printf("class 0x%x, ", tc);
        if (flow)
            printf("flowlabel 0x%05" PRIx32 ", ", flow);
        printf("hlim %u, next-header %s (%u) payload length: %" PRIu32 ") ", p[7],
               pn ? pn : "unknown", nh, plen);
    }
    uint32_t len = plen + 40;
    if (length < len)
        printf("truncated-ip6 - %" PRIu32 " bytes missing!", len - length);
    else
        length = len;
    const uint8_t *saved_end = nd->end;
    if (nd->end > p + len)
        nd->end = p + len;
    struct pd_ipctx ic = {6, p, p + 8, p + 24, false, false};
    const uint8_t *cp = p + 40;
    length -= 40;
    if (nh != 6 && nh != 17) {
        printf("%s > %s: ", pd_ip6str(nd, p + 8), pd_ip6str(nd, p + 24));
        ic.addrs_printed = true;
    }
    for (int guard = 0; guard < 32; guard++) {
        unsigned adv;
        switch (nh) {
        case 0:
        case 60: {
            adv = (pd_u8(nd, cp + 1) + 1u) * 8;
            pd_need(nd, cp, adv);
            printf(nh == 0 ? "HBH " : "DSTOPT ");
            if (pr->vflag) {
                ip6_opts_print(nd, cp + 2, adv - 2);
                printf(" ");
            }
            break;
        }
        case 43: {
            adv = (pd_u8(nd, cp + 1) + 1u) * 8;
            unsigned type = pd_u8(nd, cp + 2), segleft = pd_u8(nd, cp + 3);
            nd->proto = "rt6";
            printf("RT6 (len=%u, type=%u", cp[1], type);
            if (type == 0 || type == 2) {
                if (type == 0)
                    printf(" [Deprecated]");
                printf(", segleft=%u", segleft);
                if (pr->vflag)
                    printf(", rsv=0x%0" PRIx32, pd_u32(nd, cp + 4));
                unsigned n = cp[1] / 2;
                for (unsigned i = 0; i < n; i++) {
                    const char *a6 = pd_ip6str(nd, cp + 8 + 16 * i);
                    printf(", [%u]%s", i, a6);
                    if (i + 1 == n && segleft > 0)
                        ic.dst = cp + 8 + 16 * i;
                }
                printf(") ");
            } else {
                printf(", segleft=%u) ", segleft);
            }
            nd->proto = "ip6";
            pd_need(nd, cp, adv);
            break;
        }
        case 44: {
            pd_need(nd, cp, 8);
            unsigned off = pd_u16(nd, cp + 2);
            uint32_t flen = length >= 8 ? length - 8 : 0;
            if (pr->vflag)
                printf("frag (0x%08" PRIx32 ":%u|%" PRIu32 ")", pd_u32(nd, cp + 4), off & 0xfff8,
                       flen);
            else
                printf("frag (%u|%" PRIu32 ")", off & 0xfff8, flen);
            ic.fragmented = true;
            if ((off & 0xfff8) != 0 || cp + 8 >= nd->end) {
                nd->end = saved_end;
                return;
            }
            printf(" ");
            adv = 8;
            break;
        }
        default:
            demux(nd, &ic, nh, cp, length);
            nd->end = saved_end;
            return;
        }
        if (adv > length) {
            nd->end = saved_end;
            return;
        }
        nh = cp[0];
        cp += adv;
        length -= adv;
    }
    nd->end = saved_end;
}

/* ---- ICMPv6 ---- */

static const char *icmp6_type_name(unsigned t)
{
    switch (t) {
    case 1: return "destination unreachable";
    case 2: return "packet too big";
    case 3: return "time exceeded in-transit";
    case 4: return "parameter problem";
    case 128: return "echo request";
    case 129: return "echo reply";
    case 130: return "multicast listener query";
    case 131: return "multicast listener report";
    case 132: return "multicast listener done";
    case 133: return "router solicitation";
    case 134: return "router advertisement";
    case 135: return "neighbor solicitation";
    case 136: return "neighbor advertisement";
    case 137: return "redirect";
    case 138: return "router renumbering";
    case 139: return "who-are-you request"; /* tcpdump's first name for 139 and 140 */
    case 140: return "who-are-you reply";
    case 141: return "inverse neighbor solicitation";
    case 142: return "inverse neighbor advertisement";
    case 143: return "multicast listener report v2";
    case 144: return "ha discovery request";
    case 145: return "ha discovery reply";
    case 146: return "mobile router solicitation";
    case 147: return "mobile router advertisement";
    case 155: return "RPL";
    case 200: return "mtrace message";
    case 201: return "mtrace response";
    default: return NULL;
    }
}

/* tcpdump's print_unknown_data: "<ident>0x0000:  0102 0304 ..." over the captured part of n
 * bytes. */
static void hex_lines(const struct pd_nd *nd, const char *ident, const uint8_t *p, uint32_t n)
{
    uint32_t avail = p <= nd->end ? (uint32_t)(nd->end - p) : 0;
    if (n > avail)
        n = avail;
    for (uint32_t i = 0; i < n; i += 2) {
        if (i % 16 == 0)
            printf("%s0x%04" PRIx32 ": ", ident, i);
        if (i + 1 < n)
            printf(" %02x%02x", p[i], p[i + 1]);
        else
            printf(" %02x", p[i]);
    }
}

static void flags_print(unsigned v, const unsigned *bits, const char *const *names, size_t n)
{
    bool any = false;
    printf("[");
    for (size_t i = 0; i < n; i++)
        if (v & bits[i]) {
            printf("%s%s", any ? ", " : "", names[i]);
            any = true;
        }
    printf("%s]", any ? "" : "none");
}

/* Neighbor discovery options, at -v. */
static void lifetime_print(const char *before, uint32_t v)
{
    if (v == 0xffffffffu)
        printf("%sinfinity", before);
    else
        printf("%s%" PRIu32 "s", before, v);
}

static void nd_opts_print(struct pd_nd *nd, const uint8_t *bp, int resid)
{
    nd->checks_only = true; /* tcpdump: length checks */
    const uint8_t *cp = bp;
    while (cp < nd->end) {
        pd_tcheck(nd, cp + 1, 1);
        if (resid <= 0)
            break;
        unsigned t = cp[0], l = cp[1];
        if (l == 0)
            pd_trunc(nd);
        unsigned bytes = l * 8;
        pd_tcheck(nd, cp, bytes);
        static const char *const names[] = {
            NULL, "source link-address", "destination link-address", "prefix info",
            "redirected header", "mtu", NULL, "advertisement interval",
            "homeagent information"};
        const char *name = t < 9 ? names[t] : t == 24 ? "route info" : t == 25 ? "rdnss"
                                                     : t == 31 ? "dnssl" : NULL;
        printf("\n\t  %s option (%u), length %u (%u): ", name ? name : "unknown", t, bytes, l);
        switch (t) {
        case 1:
        case 2:
            for (unsigned i = 2; i < bytes; i++)
                printf("%s%02x", i > 2 ? ":" : "", cp[i]);
            break;
        case 3: {
            static const unsigned bits[] = {0x80, 0x40, 0x20};
            static const char *const fnames[] = {"onlink", "auto", "router"};
            printf("%s/%u%s, Flags ", pd_ip6str(nd, cp + 16), pd_u8(nd, cp + 2),
                   l != 4 ? "badlen" : "");
            flags_print(pd_u8(nd, cp + 3), bits, fnames, 3);
            lifetime_print(", valid time ", pd_u32(nd, cp + 4));
            lifetime_print(", pref. time ", pd_u32(nd, cp + 8));
            break;
        }
        case 4:
            hex_lines(nd, "\n\t    ", bp, bytes);
            break;
        case 5:
            printf(" %" PRIu32 "%s", pd_u32(nd, cp + 4), l != 1 ? "bad option length" : "");
            break;
        case 7:
            printf(" %" PRIu32 "ms", pd_u32(nd, cp + 4));
            break;
        case 8:
            printf(" preference %u, lifetime %u", pd_u16(nd, cp + 4), pd_u16(nd, cp + 6));
            break;
        case 24: {
            pd_tcheck(nd, cp + 4, 4);
            uint8_t in6[16] = {0};
            if (l == 2) {
                pd_need(nd, cp + 8, 8);
                memcpy(in6, cp + 8, 8);
            } else if (l == 3) {
                pd_need(nd, cp + 8, 16);
                memcpy(in6, cp + 8, 16);
            } else if (l != 1) {
                pd_trunc(nd);
            }
            char buf[INET6_ADDRSTRLEN];
            inet_ntop(AF_INET6, in6, buf, sizeof buf);
            static const char *const prefs[] = {"medium", "high", "reserved", "low"};
            printf(" %s/%u", buf, pd_u8(nd, cp + 2));
            printf(", pref=%s", prefs[(pd_u8(nd, cp + 3) >> 3) & 3]);
            lifetime_print(", lifetime=", pd_u32(nd, cp + 4));
            break;
        }
        case 25:
            printf(" lifetime %" PRIu32 "s,", pd_u32(nd, cp + 4));
            for (unsigned i = 0; i < (l - 1) / 2; i++)
                printf(" addr: %s", pd_ip6str(nd, cp + 8 + 16 * i));
            break;
        case 31: {
            printf(" lifetime %" PRIu32 "s, domain(s):", pd_u32(nd, cp + 4));
            const uint8_t *domp = cp + 8;
            while (domp < cp + bytes && pd_u8(nd, domp) != 0) {
                putchar(' ');
                if ((domp = pd_fqdn_print(nd, domp, bp)) == NULL)
                    pd_trunc(nd);
            }
            break;
        }
        default:
            if (nd->pr->vflag <= 1) {
                hex_lines(nd, "\n\t  ", cp + 2, bytes - 2);
                nd->checks_only = false;
                return;
            }
            break;
        }
        if (nd->pr->vflag > 1)
            hex_lines(nd, "\n\t    ", cp + 2, bytes - 2);
        cp += bytes;
        resid -= (int)bytes;
    }
    nd->checks_only = false;
}

/* The transport header inside an ICMPv6 error's packet, and its protocol. */
static const uint8_t *inner_upper(struct pd_nd *nd, const uint8_t *oip, unsigned *proto)
{
    unsigned nh = pd_u8(nd, oip + 6);
    const uint8_t *cp = oip + 40;
    for (int i = 0; i < 8; i++) {
        if (nh == 0 || nh == 60 || nh == 43) {
            nh = pd_u8(nd, cp);
            cp += (pd_u8(nd, cp + 1) + 1u) * 8;
        } else if (nh == 44) {
            if (pd_u16(nd, cp + 2) & 0xfff8)
                return NULL;
            nh = pd_u8(nd, cp);
            cp += 8;
        } else {
            break;
        }
    }
    *proto = nh;
    return cp;
}

/* MLDv1: silently nothing when the 24 bytes are not all captured (tcpdump). */
static void mld6_print(struct pd_nd *nd, const uint8_t *p)
{
    if (!pd_have(nd, p, 24))
        return;
    printf("max resp delay: %u ", pd_u16(nd, p + 4));
    printf("addr: %s", pd_ip6str(nd, p + 8));
}

static void mldv2_query_print(struct pd_nd *nd, const uint8_t *p, uint32_t len)
{
    const struct pd_printer *pr = nd->pr;
    unsigned mrc = pd_u16(nd, p + 4), mrt;
    if (mrc < 32768)
        mrt = mrc;
    else
        mrt = ((mrc & 0x0fff) | 0x1000) << (((mrc & 0x7000) >> 12) + 3);
    if (pr->vflag)
        printf(" [max resp delay=%u]", mrt);
    printf(" [gaddr %s", pd_ip6str(nd, p + 8));
    if (pr->vflag) {
        unsigned b24 = pd_u8(nd, p + 24), b25 = pd_u8(nd, p + 25), qqi;
        if (b24 & 0x08)
            printf(" sflag");
        if (b24 & 0x07)
            printf(" robustness=%u", b24 & 0x07);
        if (b25 < 128)
            qqi = b25;
        else
            qqi = ((b25 & 0x0f) | 0x10) << (((b25 & 0x70) >> 4) + 3);
        printf(" qqi=%u", qqi);
    }
    unsigned nsrcs = pd_u16(nd, p + 26);
    if (nsrcs > 0) {
        if (len < 28 + nsrcs * 16u) {
            printf(" [invalid number of sources]");
        } else if (pr->vflag > 1) {
            printf(" {");
            for (unsigned i = 0; i < nsrcs; i++)
                printf(" %s", pd_ip6str(nd, p + 28 + 16 * i));
            printf(" }");
        } else {
            printf(", %u source(s)", nsrcs);
        }
    }
    printf("]");
}

static void icmp6_print(struct pd_nd *nd, const struct pd_ipctx *ic, const uint8_t *p,
                        uint32_t length)
{
    const struct pd_printer *pr = nd->pr;
    nd->proto = "icmp6";
    if (length == 0) {
        printf("ICMP6, length 0 (invalid)");
        return;
    }
    if (pr->vflag && !ic->fragmented && pd_have(nd, p, length)) {
        uint16_t sum = pd_l4_cksum(ic, 58, p, length);
        unsigned field = pd_u16(nd, p + 2);
        if (sum != 0)
            printf("[bad icmp6 cksum 0x%04x -> 0x%04x!] ", field,
                   pd_cksum_shouldbe((uint16_t)field, sum));
        else
            printf("[icmp6 sum ok] ");
    }
    unsigned type = pd_u8(nd, p);
    const char *name = icmp6_type_name(type);
    if (name != NULL)
        printf("ICMP6, %s", name);
    else
        printf("ICMP6, unknown icmp6 type (%u)", type);
    if (pr->vflag && ((type >= 133 && type <= 137) || type == 145 || type == 147))
        printf(", length %" PRIu32, length);
    unsigned code = pd_u8(nd, p + 1);
    const uint8_t *oip = p + 8;
    switch (type) {
    case 1: {
        static const char *const codes[] = {"unreachable route", "unreachable prohibited",
                                            "unreachable beyond scope", "unreachable address",
                                            "unreachable port"};
        if (code < 5)
            printf(", %s", codes[code]);
        else
            printf(", unknown unreach code (%u)", code);
        switch (code) {
        case 0:
        case 1:
        case 3: printf(" %s", pd_ip6str(nd, oip + 24)); break;
        case 2:
            printf(" %s, source address %s", pd_ip6str(nd, oip + 24), pd_ip6str(nd, oip + 8));
            break;
        case 4: {
            unsigned proto = 0;
            nd->checks_only = true; /* tcpdump: a failed lookup, not a failed read */
            const uint8_t *u = inner_upper(nd, oip, &proto);
            if (u == NULL)
                pd_trunc(nd);
            unsigned dport = pd_u16(nd, u + 2);
            nd->checks_only = false;
            if (proto == 6)
                printf(", %s tcp port %u", pd_ip6str(nd, oip + 24), dport);
            else if (proto == 17)
                printf(", %s udp port %u", pd_ip6str(nd, oip + 24), dport);
            else
                printf(", %s protocol %u port %u unreachable", pd_ip6str(nd, oip + 24), proto,
                       dport);
            break;
        }
        default: break;
        }
        break;
    }
    case 2: printf(", mtu %" PRIu32, pd_u32(nd, p + 4)); break;
    case 3:
        if (code == 0)
            printf(" for %s", pd_ip6str(nd, oip + 24));
        else if (code == 1)
            printf(" (reassembly)");
        else
            printf(", unknown code (%u)", code);
        break;
    case 4:
        pd_tcheck(nd, oip + 24, 16);
        if (code == 0)
            printf(", erroneous - octet %" PRIu32, pd_u32(nd, p + 4));
        else if (code == 1)
            printf(", next header - octet %" PRIu32, pd_u32(nd, p + 4));
        else if (code == 2)
            printf(", option - octet %" PRIu32, pd_u32(nd, p + 4));
        else if (code == 3)
            printf(", incomplete header chain - octet %" PRIu32, pd_u32(nd, p + 4));
        else
            printf(", code-#%u", code);
        break;
    case 128:
    case 129: printf(", id %u, seq %u", pd_u16(nd, p + 4), pd_u16(nd, p + 6)); break;
    case 130:
        if (length == 24) {
            mld6_print(nd, p);
        } else if (length >= 28) {
            printf(" v2");
            mldv2_query_print(nd, p, length);
        } else {
            printf(" unknown-version (len %" PRIu32 ") ", length);
        }
        break;
    case 131:
    case 132:
        mld6_print(nd, p);
        break;
    case 137:
        printf(", %s", pd_ip6str(nd, p + 24));
        printf(" to %s", pd_ip6str(nd, p + 8));
        if (pr->vflag)
            nd_opts_print(nd, p + 40, (int)length - 40);
        break;
    case 141:
    case 142:
        break;
    case 144:
    case 146:
        printf(", id 0x%04x", pd_u16(nd, p + 4));
        break;
    case 145:
        if (pr->vflag) {
            printf(", id 0x%04x", pd_u16(nd, p + 4));
            for (const uint8_t *a = p + 8; (size_t)(a - p) < length; a += 16)
                printf(", %s", pd_ip6str(nd, a));
        }
        break;
    case 147:
        if (pr->vflag) {
            printf(", id 0x%04x", pd_u16(nd, p + 4));
            unsigned fl = pd_u16(nd, p + 6);
            if (fl & 0xc000)
                putchar(' ');
            if (fl & 0x8000)
                putchar('M');
            if (fl & 0x4000)
                putchar('O');
            nd_opts_print(nd, p + 8, (int)length - 8);
        }
        break;
    case 133:
        if (pr->vflag)
            nd_opts_print(nd, p + 8, (int)length - 8);
        break;
    case 134: {
        if (pr->vflag) {
            static const unsigned bits[] = {0x80, 0x40, 0x20, 0x02};
            static const char *const names[] = {"managed", "other stateful", "home agent",
                                                "ipv6 only"};
            static const char *const prefs[] = {"medium", "high", "reserved", "low"};
            unsigned fl = pd_u8(nd, p + 5);
            pd_need(nd, p, 16);
            printf("\n\thop limit %u, Flags ", pd_u8(nd, p + 4));
            flags_print(fl, bits, names, 4);
            printf(", pref %s, router lifetime %us, reachable time %" PRIu32
                   "ms, retrans timer %" PRIu32 "ms",
                   prefs[(fl >> 3) & 3], pd_u16(nd, p + 6), pd_u32(nd, p + 8),
                   pd_u32(nd, p + 12));
            nd_opts_print(nd, p + 16, (int)length - 16);
        }
        break;
    }
    case 135:
        printf(", who has %s", pd_ip6str(nd, p + 8));
        if (pr->vflag)
            nd_opts_print(nd, p + 24, (int)length - 24);
        break;
    case 136:
        printf(", tgt is %s", pd_ip6str(nd, p + 8));
        if (pr->vflag) {
            static const unsigned bits[] = {0x80, 0x40, 0x20};
            static const char *const names[] = {"router", "solicited", "override"};
            printf(", Flags ");
            flags_print(pd_u8(nd, p + 4), bits, names, 3);
            nd_opts_print(nd, p + 24, (int)length - 24);
        }
        break;
    case 143: {
        if (length < 8) {
            printf(" [invalid len %" PRIu32 "]", length);
            break;
        }
        unsigned n = pd_u16(nd, p + 6);
        printf(", %u group record(s)", n);
        if (pr->vflag) {
            static const char *const rt[] = {"",      "is_in", "is_ex", "to_in",
                                             "to_ex", "allow", "block"};
            uint32_t group = 8;
            for (unsigned i = 0; i < n; i++) {
                if (length < group + 20) {
                    printf(" [invalid number of groups]");
                    goto done;
                }
                const uint8_t *r = p + group;
                printf(" [gaddr %s", pd_ip6str(nd, r + 4));
                unsigned t = pd_u8(nd, r);
                if (t >= 1 && t <= 6)
                    printf(" %s", rt[t]);
                else
                    printf("  [v2-report-#%u]", t);
                unsigned ns = pd_u16(nd, r + 2);
                if (length < group + 20 + 16 * ns) {
                    printf(" [invalid number of sources %u]", ns);
                    goto done;
                }
                if (pr->vflag == 1) {
                    printf(", %u source(s)", ns);
                } else {
                    printf(" {");
                    for (unsigned k = 0; k < ns; k++)
                        printf(" %s", pd_ip6str(nd, r + 20 + 16 * k));
                    printf(" }");
                }
                group += 20 + 16 * ns;
                printf("]");
            }
        }
        break;
    }
    default:
        /* what pktdump does not decode (router renumbering, node information, RPL, mtrace,
         * unknown types): tcpdump's words for an unknown type, the length and the bytes */
        printf(", length %" PRIu32, length);
        if (pr->vflag <= 1)
            hex_lines(nd, "\n\t", p, length);
        return;
    }
done:
    if (!pr->vflag)
        printf(", length %" PRIu32, length);
}
