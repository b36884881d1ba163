/* pktdump's printers of TCP (flags, relative sequence numbers, options), UDP and DNS, in
 * tcpdump's words (see print.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "print.h"

uint16_t pd_l4_cksum(const struct pd_ipctx *ic, unsigned proto, const uint8_t *p,
                     uint32_t length)
{
    uint32_t sum = 0;
    if (ic->version == 4) {
        sum = pd_sum(ic->src, 4, sum);
        sum = pd_sum(ic->dst, 4, sum);
        sum += proto + (length & 0xffff);
    } else {
        sum = pd_sum(ic->src, 16, sum);
        sum = pd_sum(ic->dst, 16, sum);
        sum += (length >> 16) + (length & 0xffff) + proto;
    }
    return pd_fold(pd_sum(p, length, sum));
}

/* "src.sport > dst.dport: ", or the ports alone when the addresses were printed already */
static void ports_print(struct pd_nd *nd, const struct pd_ipctx *ic, unsigned sport,
                        unsigned dport)
{
    if (ic->addrs_printed)
        printf("%u > %u: ", sport, dport);
    else if (ic->version == 4)
        printf("%s.%u > %s.%u: ", pd_ip4str(nd, ic->src), sport, pd_ip4str(nd, ic->dst), dport);
    else
        printf("%s.%u > %s.%u: ", pd_ip6str(nd, ic->src), sport, pd_ip6str(nd, ic->dst), dport);
}

/* TCP's and UDP's "src > dst:" when even the ports are missing */
static void addrs_print(struct pd_nd *nd, const struct pd_ipctx *ic, bool udp)
{
    if (udp && ic->addrs_printed)
        return;
    if (ic->version == 4)
        printf("%s > %s:%s", pd_ip4str(nd, ic->src), pd_ip4str(nd, ic->dst), udp ? " " : "");
    else
        printf("%s > %s:%s", pd_ip6str(nd, ic->src), pd_ip6str(nd, ic->dst), udp ? " " : "");
}

/* ---- UDP ---- */

void pd_udp_print(struct pd_nd *nd, const struct pd_ipctx *ic, const uint8_t *p, uint32_t length)
{
    const struct pd_printer *pr = nd->pr;
    nd->proto = "udp";
    if (!pd_have(nd, p, 4)) {
        addrs_print(nd, ic, true);
        pd_trunc(nd);
    }
    unsigned sport = pd_u16(nd, p), dport = pd_u16(nd, p + 2);
    if (length < 8) {
        ports_print(nd, ic, sport, dport);
        printf("truncated-udp %" PRIu32, length);
        return;
    }
    if (!pd_have(nd, p + 4, 2)) {
        ports_print(nd, ic, sport, dport);
        pd_trunc(nd);
    }
    uint32_t ulen = pd_u16(nd, p + 4);
    if (ulen == 0 && length > 65535)
        ulen = length;
    if (ulen < 8) {
        ports_print(nd, ic, sport, dport);
        printf("truncated-udplength %" PRIu32, ulen);
        return;
    }
    ulen -= 8;
    length -= 8;
    if (ulen < length)
        length = ulen;
    const uint8_t *cp = p + 8;
    ports_print(nd, ic, sport, dport);
    if (cp > nd->end)
        pd_trunc(nd);
    if (pr->vflag && !pr->Kflag && !ic->fragmented) {
        unsigned field = pd_u16(nd, p + 6);
        if (ic->version == 4 && pr->vflag > 1) {
            if (field == 0) {
                printf("[no cksum] ");
            } else if (pd_have(nd, cp, length)) {
                uint16_t sum = pd_l4_cksum(ic, 17, p, length + 8);
                if (sum != 0)
                    printf("[bad udp cksum 0x%04x -> 0x%04x!] ", field,
                           pd_cksum_shouldbe((uint16_t)field, sum));
                else
                    printf("[udp sum ok] ");
            }
        } else if (ic->version == 6 && pd_have(nd, cp, length)) {
            uint16_t sum = pd_l4_cksum(ic, 17, p, length + 8);
            if (sum != 0)
                printf("[bad udp cksum 0x%04x -> 0x%04x!] ", field,
                       pd_cksum_shouldbe((uint16_t)field, sum));
            else
                printf("[udp sum ok] ");
        }
    }
    if (!pr->qflag && (sport == 53 || dport == 53)) {
        pd_dns_print(nd, cp, length, false, false);
        return;
    }
    if (!pr->qflag && (sport == 5353 || dport == 5353)) {
        pd_dns_print(nd, cp, length, false, true);
        return;
    }
    if (ulen > length && !ic->fragmented)
        printf("UDP, bad length %" PRIu32 " > %" PRIu32, ulen, length);
    else
        printf("UDP, length %" PRIu32, ulen);
}

/* ---- TCP ---- */

struct pd_tcp_conv {
    uint8_t fam;
    uint8_t a[16], b[16]; /* the endpoint lower in address, then port, first */
    uint16_t pa, pb;
    uint32_t base_a, base_b; /* the initial sequence numbers of a's and b's data */
};

static struct pd_tcp_conv *conv_find(struct pd_printer *pr, const struct pd_ipctx *ic,
                                     unsigned sport, unsigned dport, bool *src_is_a, bool *is_new)
{
    size_t alen = ic->version == 4 ? 4 : 16;
    int cmp = memcmp(ic->src, ic->dst, alen);
    bool sa = cmp < 0 || (cmp == 0 && sport <= dport);
    struct pd_tcp_conv k;
    memset(&k, 0, sizeof k);
    k.fam = (uint8_t)ic->version;
    memcpy(k.a, sa ? ic->src : ic->dst, alen);
    memcpy(k.b, sa ? ic->dst : ic->src, alen);
    k.pa = (uint16_t)(sa ? sport : dport);
    k.pb = (uint16_t)(sa ? dport : sport);
    *src_is_a = sa;
    for (size_t i = 0; i < pr->nconv; i++) {
        struct pd_tcp_conv *c = &pr->conv[i];
        if (c->fam == k.fam && c->pa == k.pa && c->pb == k.pb && memcmp(c->a, k.a, 16) == 0 &&
            memcmp(c->b, k.b, 16) == 0) {
            *is_new = false;
            return c;
        }
    }
    if (pr->nconv == pr->capconv) {
        size_t cap = pr->capconv ? pr->capconv * 2 : 64;
        struct pd_tcp_conv *n = realloc(pr->conv, cap * sizeof *n);
        if (n == NULL)
            return NULL;
        pr->conv = n;
        pr->capconv = cap;
    }
    *is_new = true;
    pr->conv[pr->nconv] = k;
    return &pr->conv[pr->nconv++];
}

void pd_tcp_print(struct pd_nd *nd, const struct pd_ipctx *ic, const uint8_t *p, uint32_t length)
{
    struct pd_printer *pr = nd->pr;
    nd->proto = "tcp";
    if (!pd_have(nd, p, 4)) {
        addrs_print(nd, ic, false);
        pd_trunc(nd);
    }
    unsigned sport = pd_u16(nd, p), dport = pd_u16(nd, p + 2);
    ports_print(nd, ic, sport, dport);
    pd_tcheck(nd, p, 20);
    uint32_t hlen = (uint32_t)(p[12] >> 4) * 4;
    if (hlen < 20) {
        printf(" tcp %" PRIu32 " [bad hdr length %" PRIu32 " - too short, < 20]", length - hlen,
               hlen);
        return;
    }
    uint32_t seq = pd_u32(nd, p + 4), ack = pd_u32(nd, p + 8);
    unsigned win = pd_u16(nd, p + 14), urp = pd_u16(nd, p + 18);
    if (pr->qflag) {
        printf("tcp %" PRIu32, length - hlen);
        if (hlen > length)
            printf(" [bad hdr length %" PRIu32 " - too long, > %" PRIu32 "]", hlen, length);
        return;
    }
    unsigned flags = p[13];
    static const struct {
        unsigned bit;
        char c;
    } fl[] = {{0x01, 'F'}, {0x02, 'S'}, {0x04, 'R'}, {0x08, 'P'},
              {0x10, '.'}, {0x20, 'U'}, {0x40, 'E'}, {0x80, 'W'}};
    char fs[10];
    size_t k = 0;
    for (size_t i = 0; i < sizeof fl / sizeof fl[0]; i++)
        if (flags & fl[i].bit)
            fs[k++] = fl[i].c;
    fs[k] = '\0';
    printf("Flags [%s]", k ? fs : "none");

    uint32_t sack_base = 0;
    if (!pr->Sflag && (flags & 0x10)) {
        bool src_is_a = false, is_new = false;
        struct pd_tcp_conv *c = conv_find(pr, ic, sport, dport, &src_is_a, &is_new);
        if (c != NULL) {
            uint32_t *bs = src_is_a ? &c->base_a : &c->base_b;
            uint32_t *bd = src_is_a ? &c->base_b : &c->base_a;
            if (is_new || (flags & 0x02)) {
                *bs = seq;
                *bd = ack - 1;
            } else {
                seq -= *bs;
                ack -= *bd;
            }
            sack_base = *bd;
        }
    }
    if (hlen > length) {
        printf(" [bad hdr length %" PRIu32 " - too long, > %" PRIu32 "]", hlen, length);
        return;
    }
    if (pr->vflag && !pr->Kflag && !ic->fragmented && pd_have(nd, p, length)) {
        uint16_t sum = pd_l4_cksum(ic, 6, p, length);
        unsigned field = pd_u16(nd, p + 16);
        printf(", cksum 0x%04x", field);
        if (sum != 0)
            printf(" (incorrect -> 0x%04x)", pd_cksum_shouldbe((uint16_t)field, sum));
        else
            printf(" (correct)");
    }
    length -= hlen;
    if (pr->vflag > 1 || length > 0 || (flags & 0x07)) {
        printf(", seq %" PRIu32, seq);
        if (length > 0)
            printf(":%" PRIu32, seq + length);
    }
    if (flags & 0x10)
        printf(", ack %" PRIu32, ack);
    printf(", win %u", win);
    if (flags & 0x20)
        printf(", urg %u", urp);
    if (hlen > 20) {
        const uint8_t *cp = p + 20;
        uint32_t left = hlen - 20;
        char ch = '\0';
        printf(", options [");
        while (left > 0) {
            if (ch != '\0')
                putchar(ch);
            unsigned opt = pd_u8(nd, cp++), len;
            if (opt == 0 || opt == 1) {
                len = 1;
            } else {
                len = pd_u8(nd, cp++);
                if (len < 2 || len > left)
                    goto bad;
                left--;
            }
            left--;
            switch (opt) {
            case 0: printf("eol"); break;
            case 1: printf("nop"); break;
            case 2: printf("mss"); break;
            case 3: printf("wscale"); break;
            case 4: printf("sackOK"); break;
            case 5: printf("sack"); break;
            case 8: printf("TS"); break;
            default: printf("unknown-%u", opt); break;
            }
            uint32_t datalen = 0;
#define LENCHECK(l)                                                                                \
    do {                                                                                           \
        if ((l) > left)                                                                            \
            goto bad;                                                                              \
        if (!pd_have(nd, cp, (l)))                                                                 \
            goto trunc;                                                                            \
    } while (0)
            switch (opt) {
            case 2:
                datalen = 2;
                LENCHECK(datalen);
                printf(" %u", pd_u16(nd, cp));
                break;
            case 3:
                datalen = 1;
                LENCHECK(datalen);
                printf(" %u", pd_u8(nd, cp));
                break;
            case 5:
                datalen = len - 2;
                if (datalen % 8 != 0) {
                    printf(" invalid sack");
                } else {
                    printf(" %" PRIu32 " ", datalen / 8);
                    for (uint32_t i = 0; i < datalen; i += 8) {
                        LENCHECK(i + 8);
                        printf("{%" PRIu32 ":%" PRIu32 "}", pd_u32(nd, cp + i) - sack_base,
                               pd_u32(nd, cp + i + 4) - sack_base);
                    }
                }
                break;
            case 8:
                datalen = 8;
                LENCHECK(datalen);
                printf(" val %" PRIu32 " ecr %" PRIu32, pd_u32(nd, cp), pd_u32(nd, cp + 4));
                break;
            case 0:
            case 1:
            case 4: break;
            default:
                datalen = len - 2;
                if (datalen)
                    printf(" 0x");
                for (uint32_t i = 0; i < datalen; i++) {
                    LENCHECK(i + 1);
                    printf("%02x", pd_u8(nd, cp + i));
                }
                break;
            }
#undef LENCHECK
            cp += datalen;
            left -= datalen;
            datalen++;
            if (opt != 0 && opt != 1)
                datalen++;
            if (datalen != len)
                printf("[len %u]", len);
            ch = ',';
            if (opt == 0)
                break;
        }
        putchar(']');
        goto opts_done;
    bad:
        printf("[bad opt]");
        if (ch != '\0')
            putchar(']');
        return;
    trunc:
        printf(" [|tcp]");
        if (ch != '\0')
            putchar('>');
        return;
    }
opts_done:
    printf(", length %" PRIu32, length);
    if (length == 0)
        return;
    const uint8_t *data = p + hlen;
    if (sport == 53 || dport == 53) {
        /* DNS over TCP: a length, then the message */
        pd_dns_print(nd, data, length, true, false);
    }
}
