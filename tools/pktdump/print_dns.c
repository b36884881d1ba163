/* pktdump's DNS printer: the summary line tcpdump 4.99.3 prints for a DNS message over UDP or
 * TCP (port 53) and for multicast DNS (port 5353), with -v the names of the records and with
 * -vv every section (see print.h). Its behaviour on malformed messages is tcpdump's too: a
 * compression pointer must point backwards ("<BAD PTR>"), a name stops printing at 255
 * characters ("<DOMAIN NAME TOO LONG>"), and where the message ends early the line ends with
 * " [|domain]". Every read is checked against the captured bytes; no recursion. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "print.h"

#define NS_MAXCDNAME 255
#define NS_T_OPT 41
#define NS_C_IN 1
#define NS_ELT_BITLABEL 1
/* A bound on the labels and pointers one name may take (tcpdump has none; a hostile message
 * could otherwise make one name cost a quadratic number of steps). */
#define NS_MAX_STEPS 65536

struct ns_tok {
    unsigned v;
    const char *s;
};

static const char *tok(const struct ns_tok *t, size_t n, unsigned v)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].v == v)
            return t[i].s;
    return NULL;
}
#define TOK(t, v) tok((t), sizeof(t) / sizeof((t)[0]), (v))

/* The record types tcpdump names (its ns_type2str) */
static const struct ns_tok ns_types[] = {
    {1, "A"},         {2, "NS"},        {3, "MD"},       {4, "MF"},        {5, "CNAME"},
    {6, "SOA"},       {7, "MB"},        {8, "MG"},       {9, "MR"},        {10, "NULL"},
    {11, "WKS"},      {12, "PTR"},      {13, "HINFO"},   {14, "MINFO"},    {15, "MX"},
    {16, "TXT"},      {17, "RP"},       {18, "AFSDB"},   {19, "X25"},      {20, "ISDN"},
    {21, "RT"},       {22, "NSAP"},     {23, "NSAP_PTR"}, {24, "SIG"},     {25, "KEY"},
    {26, "PX"},       {27, "GPOS"},     {28, "AAAA"},    {29, "LOC"},      {30, "NXT"},
    {31, "EID"},      {32, "NIMLOC"},   {33, "SRV"},     {34, "ATMA"},     {35, "NAPTR"},
    {36, "KX"},       {37, "CERT"},     {38, "A6"},      {39, "DNAME"},    {40, "SINK"},
    {41, "OPT"},      {42, "APL"},      {43, "DS"},      {44, "SSHFP"},    {45, "IPSECKEY"},
    {46, "RRSIG"},    {47, "NSEC"},     {48, "DNSKEY"},  {99, "SPF"},      {100, "UINFO"},
    {101, "UID"},     {102, "GID"},     {103, "UNSPEC"}, {104, "UNSPECA"}, {249, "TKEY"},
    {250, "TSIG"},    {251, "IXFR"},    {252, "AXFR"},   {253, "MAILB"},   {254, "MAILA"},
    {255, "ANY"},     {256, "URI"},
};

static const struct ns_tok ns_classes[] = {{1, "IN"}, {3, "CHAOS"}, {4, "HS"}, {255, "ANY"}};

static const struct ns_tok edns_opts[] = {
    {1, "LLQ"},      {2, "UL"},         {3, "NSID"},       {5, "DAU"},    {6, "DHU"},
    {7, "N3U"},      {8, "ECS"},        {9, "EXPIRE"},     {10, "COOKIE"}, {11, "KEEPALIVE"},
    {12, "PADDING"}, {13, "CHAIN"},     {14, "KEY-TAG"},   {16, "CLIENT-TAG"},
    {17, "SERVER-TAG"},
};

static const struct ns_tok dau_algs[] = {
    {0, "DELETE"},           {1, "RSAMD5"},           {2, "DH"},
    {3, "DS"},               {5, "RSASHA1"},          {6, "DSA-NSEC3-SHA1"},
    {7, "RSASHA1-NSEC3-SHA1"}, {8, "RSASHA256"},      {10, "RSASHA512"},
    {12, "ECC-GOST"},        {13, "ECDSAP256SHA256"}, {14, "ECDSAP384SHA384"},
    {15, "ED25519"},         {16, "ED448"},           {252, "INDIRECT"},
    {253, "PRIVATEDNS"},     {254, "PRIVATEOID"},
};

static const struct ns_tok dhu_algs[] = {
    {1, "SHA-1"}, {2, "SHA-256"}, {3, "GOST_R_34.11-94"}, {4, "SHA-384"}};

static const struct ns_tok n3u_algs[] = {{1, "SHA-1"}};

static void type_print(unsigned t)
{
    const char *s = TOK(ns_types, t);
    if (s)
        printf(" %s", s);
    else
        printf(" Type%u", t);
}

static void class_print(unsigned c)
{
    const char *s = TOK(ns_classes, c);
    if (s)
        printf(" %s", s);
    else
        printf(" (Class %u)", c);
}

/* The bytes left from p to the end of what may be read (0 past it). */
static size_t left(const struct pd_nd *nd, const uint8_t *p)
{
    return p < nd->end ? (size_t)(nd->end - p) : 0;
}

/* p + n, or one past the readable end when that is further (never read). */
static const uint8_t *adv(const struct pd_nd *nd, const uint8_t *p, size_t n)
{
    return n <= left(nd, p) ? p + n : nd->end + 1;
}

/* tcpdump's character printing: M- for the high bit, ^ for control characters. */
static void char_print(unsigned c)
{
    if (c & 0x80) {
        c &= 0x7f;
        printf("M-");
    }
    if (c < 0x20 || c == 0x7f) {
        c ^= 0x40;
        putchar('^');
    }
    putchar((int)c);
}

/* Prints up to n bytes at s, stopping at the captured end; true when it stopped short. */
static bool printn(const struct pd_nd *nd, const uint8_t *s, size_t n)
{
    size_t have = left(nd, s);
    size_t k = n < have ? n : have;
    for (size_t i = 0; i < k; i++)
        char_print(s[i]);
    return k < n;
}

/* The length of the label at cp, or -1 (after printing why, as tcpdump's labellen). */
static int labellen(const struct pd_nd *nd, const uint8_t *cp)
{
    if (left(nd, cp) < 1)
        return -1;
    unsigned i = cp[0];
    switch (i & 0xc0) {
    case 0x40: {
        unsigned elt = i & 0x3f;
        if (elt != NS_ELT_BITLABEL) {
            printf("<ELT %u>", elt);
            return -1;
        }
        if (left(nd, cp + 1) < 1)
            return -1;
        unsigned bitlen = cp[1] ? cp[1] : 256;
        return (int)((bitlen + 7) / 8 + 1);
    }
    case 0xc0:
    case 0x00:
        return (int)i;
    default:
        printf("<BAD LABEL TYPE>");
        return -1;
    }
}

/* The end of the name at cp, or NULL where it cannot be followed. */
static const uint8_t *ns_nskip(const struct pd_nd *nd, const uint8_t *cp)
{
    if (left(nd, cp) < 1)
        return NULL;
    unsigned i = *cp++;
    while (i) {
        switch (i & 0xc0) {
        case 0xc0:
            return cp + 1;
        case 0x40: {
            if ((i & 0x3f) != NS_ELT_BITLABEL || left(nd, cp) < 1)
                return NULL;
            unsigned bitlen = cp[0] ? cp[0] : 256;
            cp = adv(nd, cp + 1, (bitlen + 7) / 8);
            break;
        }
        case 0x80:
            return NULL;
        default:
            cp = adv(nd, cp, i);
            break;
        }
        if (left(nd, cp) < 1)
            return NULL;
        i = *cp++;
    }
    return cp;
}

/* An EDNS0 bit-string label: "\[x<hex>/<bits>]". */
static const uint8_t *blabel_print(struct pd_nd *nd, const uint8_t *cp)
{
    if (left(nd, cp) < 1)
        return NULL;
    unsigned bitlen = cp[0] ? cp[0] : 256, b = bitlen;
    const uint8_t *lim = adv(nd, cp + 1, (bitlen + 3) / 4), *bitp = cp + 1;
    printf("\\[x");
    for (; bitp < lim && b > 7; b -= 8, bitp++)
        printf("%02x", pd_u8(nd, bitp));
    if (b > 4)
        printf("%02x", pd_u8(nd, bitp) & (0xffu << (8 - b)) & 0xff);
    else if (b > 0)
        printf("%1x", ((pd_u8(nd, bitp) >> 4) & 0x0f) & (0x0fu << (4 - b)));
    printf("/%u]", bitlen);
    return lim;
}

/* Prints the name at cp, pointers resolved in the message at bp; returns the end of the name
 * where it is (after the first pointer if any), or NULL where it cannot be printed. */
const uint8_t *pd_fqdn_print(struct pd_nd *nd, const uint8_t *cp, const uint8_t *bp)
{
    int l = labellen(nd, cp);
    if (l < 0)
        return NULL;
    size_t max_offset = (size_t)(cp - bp);
    unsigned i = *cp++;
    const uint8_t *rp = NULL;
    bool compress = false;
    unsigned name_chars = 0;
    if ((i & 0xc0) != 0xc0)
        rp = adv(nd, cp, (size_t)l);
    if (i == 0) {
        putchar('.');
        return rp;
    }
    for (unsigned steps = 0; i && cp < nd->end; steps++) {
        if (steps >= NS_MAX_STEPS)
            return NULL;
        switch (i & 0xc0) {
        case 0xc0: {
            if (!compress) {
                rp = cp + 1;
                compress = true;
            }
            if (left(nd, cp) < 1)
                return NULL;
            size_t offset = ((i << 8) | cp[0]) & 0x3fff;
            if (offset >= max_offset) {
                printf("<BAD PTR>");
                return NULL;
            }
            max_offset = offset;
            cp = bp + offset;
            if (left(nd, cp) < 1)
                return NULL;
            i = cp[0];
            if ((l = labellen(nd, cp)) < 0)
                return NULL;
            cp++;
            continue;
        }
        case 0x40:
            if ((i & 0x3f) != NS_ELT_BITLABEL) {
                printf("<ELT %u>", i & 0x3f);
                return NULL;
            }
            if (blabel_print(nd, cp) == NULL)
                return NULL;
            break;
        case 0x80:
            printf("<BAD LABEL TYPE>");
            return NULL;
        default:
            if (name_chars + (unsigned)l <= NS_MAXCDNAME) {
                if (printn(nd, cp, (size_t)l))
                    return NULL;
            } else if (name_chars < NS_MAXCDNAME) {
                if (printn(nd, cp, NS_MAXCDNAME - name_chars))
                    return NULL;
            }
            name_chars += (unsigned)l;
            break;
        }
        cp = adv(nd, cp, (size_t)l);
        if (name_chars <= NS_MAXCDNAME)
            putchar('.');
        name_chars++;
        if (left(nd, cp) < 1)
            return NULL;
        i = cp[0];
        if ((l = labellen(nd, cp)) < 0)
            return NULL;
        cp++;
        if (!compress)
            rp = adv(nd, rp, (size_t)l + 1);
    }
    if (name_chars > NS_MAXCDNAME)
        printf("<DOMAIN NAME TOO LONG>");
    return rp;
}

/* A <character-string>: a length, then that many characters. */
static const uint8_t *cprint(struct pd_nd *nd, const uint8_t *cp)
{
    if (left(nd, cp) < 1)
        return NULL;
    unsigned i = *cp++;
    if (printn(nd, cp, i))
        return NULL;
    return cp + i;
}

static void ecs_print(struct pd_nd *nd, const uint8_t *cp, unsigned data_len)
{
    if (data_len < 4) {
        printf(" (invalid)");
        return;
    }
    unsigned family = pd_u16(nd, cp), src_len = pd_u8(nd, cp + 2), scope_len = pd_u8(nd, cp + 3);
    unsigned addr_bits;
    if (family == 1)
        addr_bits = 32;
    else if (family == 2)
        addr_bits = 128;
    else {
        printf(" (invalid)");
        return;
    }
    if (data_len - 4 > addr_bits / 8 || src_len > addr_bits || scope_len > addr_bits ||
        (src_len + 7) / 8 != data_len - 4) {
        printf(" (invalid)");
        return;
    }
    uint8_t padded[16] = {0};
    memcpy(padded, cp + 4, data_len - 4); /* checked by the caller: data_len bytes at cp */
    char addr[INET6_ADDRSTRLEN];
    inet_ntop(family == 1 ? AF_INET : AF_INET6, padded, addr, sizeof addr);
    printf("%s/%u/%u", addr, src_len, scope_len);
}

static void algs_print(struct pd_nd *nd, const uint8_t *cp, unsigned n,
                       const struct ns_tok *t, size_t nt)
{
    for (unsigned i = 0; i < n; i++) {
        if (i > 0)
            putchar(' ');
        unsigned a = pd_u8(nd, cp + i);
        const char *s = tok(t, nt, a);
        if (s)
            printf("%s", s);
        else
            printf("Alg_%u", a);
    }
}

/* One EDNS option of an OPT record; NULL where it runs past the captured bytes. */
static const uint8_t *eopt_print(struct pd_nd *nd, const uint8_t *cp)
{
    if (left(nd, cp) < 2)
        return NULL;
    unsigned opt = pd_u16(nd, cp);
    cp += 2;
    const char *name = TOK(edns_opts, opt);
    if (name)
        printf("%s", name);
    else
        printf("Opt%u", opt);
    if (left(nd, cp) < 2)
        return NULL;
    unsigned data_len = pd_u16(nd, cp);
    cp += 2;
    pd_tcheck(nd, cp, data_len);
    if (data_len > 0) {
        putchar(' ');
        switch (opt) {
        case 8:
            ecs_print(nd, cp, data_len);
            break;
        case 10:
            if (data_len < 8 || (data_len > 8 && data_len < 16) || data_len > 40) {
                printf(" (invalid)");
            } else {
                for (unsigned i = 0; i < data_len; i++) {
                    if (i == 8)
                        putchar(' ');
                    printf("%02x", cp[i]);
                }
            }
            break;
        case 11:
            if (data_len != 2)
                printf(" (invalid)");
            else
                printf("%0.1f sec", pd_u16(nd, cp) / 10.0);
            break;
        case 9:
            if (data_len != 4)
                printf(" (invalid)");
            else
                printf("%" PRIu32 " sec", pd_u32(nd, cp));
            break;
        case 12:
            printf("(%u)", data_len);
            break;
        case 14:
            if (data_len % 2 != 0) {
                printf(" (invalid)");
            } else {
                for (unsigned i = 0; i < data_len; i += 2) {
                    if (i > 0)
                        putchar(' ');
                    printf("%u", pd_u16(nd, cp + i));
                }
            }
            break;
        case 5:
            algs_print(nd, cp, data_len, dau_algs, sizeof dau_algs / sizeof dau_algs[0]);
            break;
        case 6:
            algs_print(nd, cp, data_len, dhu_algs, sizeof dhu_algs / sizeof dhu_algs[0]);
            break;
        case 7:
            algs_print(nd, cp, data_len, n3u_algs, sizeof n3u_algs / sizeof n3u_algs[0]);
            break;
        case 13:
            pd_fqdn_print(nd, cp, cp + data_len);
            break;
        default:
            for (unsigned i = 0; i < data_len; i++)
                printf("%02x", cp[i]);
            break;
        }
    }
    return cp + data_len;
}

static void relts_print(uint32_t secs)
{
    static const char *const names[] = {"y", "w", "d", "h", "m", "s"};
    static const uint32_t units[] = {31536000, 604800, 86400, 3600, 60, 1};
    if (secs == 0) {
        printf("0s");
        return;
    }
    for (int i = 0; i < 6 && secs > 0; i++)
        if (secs >= units[i]) {
            printf("%" PRIu32 "%s", secs / units[i], names[i]);
            secs %= units[i];
        }
}

/* A question: " TYPE[ CLASS]? name". */
static const uint8_t *ns_qprint(struct pd_nd *nd, const uint8_t *cp, const uint8_t *bp,
                                bool mdns)
{
    const uint8_t *np = cp;
    cp = ns_nskip(nd, cp);
    if (cp == NULL || left(nd, cp) < 4)
        return NULL;
    unsigned t = pd_u16(nd, cp), i = pd_u16(nd, cp + 2);
    type_print(t);
    unsigned cls = mdns ? (i & ~0x8000u) : i;
    if (cls != NS_C_IN)
        class_print(cls);
    if (mdns)
        printf((i & 0x8000) ? " (QU)" : " (QM)");
    printf("? ");
    cp = pd_fqdn_print(nd, np, bp);
    return cp ? cp + 4 : NULL;
}

/* A resource record; NULL where it cannot be printed, the captured end where its header
 * cannot be read (tcpdump's ns_rprint). */
static const uint8_t *ns_rprint(struct pd_nd *nd, const uint8_t *cp, const uint8_t *bp,
                                bool mdns)
{
    const struct pd_printer *pr = nd->pr;
    if (pr->vflag) {
        putchar(' ');
        if ((cp = pd_fqdn_print(nd, cp, bp)) == NULL)
            return NULL;
    } else {
        cp = ns_nskip(nd, cp);
    }
    if (cp == NULL || left(nd, cp) < 10)
        return nd->end;
    unsigned typ = pd_u16(nd, cp), i = pd_u16(nd, cp + 2), opt_flags = 0;
    cp += 4;
    unsigned cls = mdns ? (i & ~0x8000u) : i;
    if (cls != NS_C_IN && typ != NS_T_OPT)
        class_print(cls);
    if (mdns && (i & 0x8000))
        printf(" (Cache flush)");
    if (typ == NS_T_OPT) {
        opt_flags = pd_u16(nd, cp + 2);
    } else if (pr->vflag > 2) {
        printf(" [");
        relts_print(pd_u32(nd, cp));
        printf("]");
    }
    cp += 4;
    unsigned len = pd_u16(nd, cp);
    cp += 2;
    type_print(typ);
    if (len > left(nd, cp))
        return NULL;
    const uint8_t *rp = cp + len;

    switch (typ) {
    case 1: /* A */
        if (left(nd, cp) < 4)
            return NULL;
        printf(" %s", pd_ip4str(nd, cp));
        break;
    case 2:  /* NS */
    case 5:  /* CNAME */
    case 12: /* PTR */
    case 39: /* DNAME */
        putchar(' ');
        if (pd_fqdn_print(nd, cp, bp) == NULL)
            return NULL;
        break;
    case 6: /* SOA */
        if (!pr->vflag)
            break;
        putchar(' ');
        if ((cp = pd_fqdn_print(nd, cp, bp)) == NULL)
            return NULL;
        putchar(' ');
        if ((cp = pd_fqdn_print(nd, cp, bp)) == NULL)
            return NULL;
        if (left(nd, cp) < 20)
            return NULL;
        for (int k = 0; k < 5; k++)
            printf(" %" PRIu32, pd_u32(nd, cp + 4 * k));
        break;
    case 15: /* MX */
        putchar(' ');
        if (left(nd, cp) < 2)
            return NULL;
        if (pd_fqdn_print(nd, cp + 2, bp) == NULL)
            return NULL;
        printf(" %u", pd_u16(nd, cp));
        break;
    case 16: /* TXT */
        while (cp < rp) {
            printf(" \"");
            if ((cp = cprint(nd, cp)) == NULL)
                return NULL;
            putchar('"');
        }
        break;
    case 33: /* SRV */
        putchar(' ');
        if (left(nd, cp) < 6)
            return NULL;
        if (pd_fqdn_print(nd, cp + 6, bp) == NULL)
            return NULL;
        printf(":%u %u %u", pd_u16(nd, cp + 4), pd_u16(nd, cp), pd_u16(nd, cp + 2));
        break;
    case 28: /* AAAA */
        if (left(nd, cp) < 16)
            return NULL;
        printf(" %s", pd_ip6str(nd, cp));
        break;
    case 38: { /* A6 */
        if (left(nd, cp) < 1)
            return NULL;
        unsigned pbit = cp[0], pbyte = (pbit & ~7u) / 8;
        if (pbit > 128) {
            printf(" %u(bad plen)", pbit);
            break;
        } else if (pbit < 128) {
            uint8_t a[16] = {0};
            pd_need(nd, cp + 1, 16 - pbyte);
            memcpy(a + pbyte, cp + 1, 16 - pbyte);
            char buf[INET6_ADDRSTRLEN];
            inet_ntop(AF_INET6, a, buf, sizeof buf);
            printf(" %u %s", pbit, buf);
        }
        if (pbit > 0) {
            putchar(' ');
            if (pd_fqdn_print(nd, adv(nd, cp, 1 + 16 - pbyte), bp) == NULL)
                return NULL;
        }
        break;
    }
    case 256: /* URI */
        printf(" %u %u ", pd_u16(nd, cp), pd_u16(nd, cp + 2));
        /* tcpdump takes len - 4 unsigned: a shorter record prints to the captured end */
        if (printn(nd, cp + 4, len >= 4 ? len - 4 : (size_t)-1))
            return NULL;
        break;
    case NS_T_OPT:
        printf(" UDPsize=%u", cls);
        if (opt_flags & 0x8000)
            printf(" DO");
        if (cp < rp) {
            printf(" [");
            while (cp < rp) {
                if ((cp = eopt_print(nd, cp)) == NULL)
                    return NULL;
                if (cp < rp)
                    putchar(',');
            }
            putchar(']');
        }
        break;
    case 104: /* UNSPECA */
        if (printn(nd, cp, len))
            return NULL;
        break;
    case 250: /* TSIG */
        if (!pr->vflag)
            break;
        putchar(' ');
        if ((cp = pd_fqdn_print(nd, cp, bp)) == NULL)
            return NULL;
        cp = adv(nd, cp, 6);
        if (left(nd, cp) < 2)
            return NULL;
        printf(" fudge=%u", pd_u16(nd, cp));
        cp += 2;
        if (left(nd, cp) < 2)
            return NULL;
        printf(" maclen=%u", pd_u16(nd, cp));
        cp = adv(nd, cp, 2 + (size_t)pd_u16(nd, cp));
        if (left(nd, cp) < 2)
            return NULL;
        printf(" origid=%u", pd_u16(nd, cp));
        cp += 2;
        if (left(nd, cp) < 2)
            return NULL;
        printf(" error=%u", pd_u16(nd, cp));
        cp += 2;
        if (left(nd, cp) < 2)
            return NULL;
        printf(" otherlen=%u", pd_u16(nd, cp));
        break;
    default:
        break;
    }
    return rp;
}

static const char *rcode_name(unsigned rcode)
{
    static const char *const names[] = {
        "",         " FormErr", " ServFail", " NXDomain", " NotImp",  " Refused",
        " YXDomain", " YXRRSet", " NXRRSet",  " NotAuth",  " NotZone", " Resp11",
        " Resp12",  " Resp13",  " Resp14",   " NoChange", " BadVers", "Resp17",
        " Resp18",  " Resp19",  " Resp20",   "Resp21",    " Resp22",  " BadCookie"};
    static char buf[sizeof " Resp4095"];
    if (rcode < sizeof names / sizeof names[0])
        return names[rcode];
    snprintf(buf, sizeof buf, " Resp%u", rcode & 0xfff);
    return buf;
}

/* The extended rcode: the OPT record's high bits, if the message has one within the capture. */
static unsigned ext_rcode(struct pd_nd *nd, const uint8_t *cp, unsigned rcode, unsigned qd,
                          unsigned an_ns, unsigned ar)
{
    for (unsigned i = 0; i < qd; i++) {
        if ((cp = ns_nskip(nd, cp)) == NULL)
            return rcode;
        cp = adv(nd, cp, 4);
        if (cp >= nd->end)
            return rcode;
    }
    for (unsigned i = 0; i < an_ns; i++) {
        if ((cp = ns_nskip(nd, cp)) == NULL)
            return rcode;
        cp = adv(nd, cp, 8);
        if (left(nd, cp) < 2)
            return rcode;
        cp = adv(nd, cp, 2 + (size_t)pd_u16(nd, cp));
        if (cp >= nd->end)
            return rcode;
    }
    for (unsigned i = 0; i < ar; i++) {
        if ((cp = ns_nskip(nd, cp)) == NULL)
            return rcode;
        if (left(nd, cp) < 2)
            return rcode;
        unsigned type = pd_u16(nd, cp);
        cp = adv(nd, cp, 4);
        if (left(nd, cp) < 1)
            return rcode;
        if (type == NS_T_OPT)
            return rcode | (unsigned)cp[0] << 4;
        cp = adv(nd, cp, 4);
        if (left(nd, cp) < 2)
            return rcode;
        cp = adv(nd, cp, 2 + (size_t)pd_u16(nd, cp));
        if (cp >= nd->end)
            return rcode;
    }
    return rcode;
}

/* count records of one section; the first without a check of the captured end, as tcpdump.
 * Returns false where the message ends before them. */
static bool section_print(struct pd_nd *nd, const uint8_t **cpp, const uint8_t *bp,
                          unsigned count, bool mdns)
{
    const uint8_t *cp = *cpp;
    if (count) {
        if ((cp = ns_rprint(nd, cp, bp, mdns)) == NULL)
            return false;
        count--;
        while (cp < nd->end && count) {
            putchar(',');
            if ((cp = ns_rprint(nd, cp, bp, mdns)) == NULL)
                return false;
            count--;
        }
    }
    *cpp = cp;
    return count == 0;
}

/* The -vv sections after the answers: " ns:" and " ar:". */
static bool ns_ar_print(struct pd_nd *nd, const uint8_t **cpp, const uint8_t *bp, unsigned ns,
                        unsigned ar, bool mdns)
{
    if (*cpp < nd->end && ns) {
        printf(" ns:");
        if (!section_print(nd, cpp, bp, ns, mdns))
            return false;
    } else if (ns) {
        return false;
    }
    if (*cpp < nd->end && ar) {
        printf(" ar:");
        if (!section_print(nd, cpp, bp, ar, mdns))
            return false;
    } else if (ar) {
        return false;
    }
    return true;
}

void pd_dns_print(struct pd_nd *nd, const uint8_t *bp, uint32_t length, bool over_tcp,
                  bool mdns)
{
    const struct pd_printer *pr = nd->pr;
    nd->proto = "domain";
    nd->checks_only = true;
    if (over_tcp) {
        if (length < 2) {
            printf(" [DNS over TCP: length %" PRIu32 " < 2] (invalid)", length);
            goto out;
        }
        length -= 2;
        unsigned prefix = pd_u16(nd, bp);
        if (prefix != length) {
            printf(" [prefix length(%u) != length(%" PRIu32 ")] (invalid)", prefix, length);
            goto out;
        }
        bp += 2;
        putchar(' ');
    }
    if (length < 12) {
        printf("domain [length %" PRIu32 " < 12] (invalid)", length);
        goto out;
    }
    pd_tcheck(nd, bp, 12);
    unsigned id = pd_u16(nd, bp), flags = pd_u16(nd, bp + 2);
    unsigned qd = pd_u16(nd, bp + 4), an = pd_u16(nd, bp + 6), ns = pd_u16(nd, bp + 8),
             ar = pd_u16(nd, bp + 10);
    unsigned opcode = (flags >> 11) & 0xf;
    static const char *const ops[16] = {"",        " inv_q",   " stat",    " op3",
                                        " notify", " update",  " op6",     " op7",
                                        " op8",    " updateA", " updateD", " updateDA",
                                        " updateM", " updateMA", " zoneInit", " zoneRef"};
    const uint8_t *cp = bp + 12;
    unsigned rcode = ext_rcode(nd, cp, flags & 0xf, qd, an + ns, ar);

    if (flags & 0x8000) {
        printf("%u%s%s%s%s%s%s", id, ops[opcode], rcode_name(rcode), (flags & 0x0400) ? "*" : "",
               (flags & 0x0080) ? "" : "-", (flags & 0x0200) ? "|" : "",
               (flags & 0x0020) ? "$" : "");
        if (qd != 1)
            printf(" [%uq]", qd);
        for (unsigned i = 0; i < qd; i++) {
            if (i != 0)
                putchar(',');
            if (pr->vflag > 1) {
                printf(" q:");
                if ((cp = ns_qprint(nd, cp, bp, mdns)) == NULL)
                    pd_trunc(nd);
            } else {
                if ((cp = ns_nskip(nd, cp)) == NULL)
                    pd_trunc(nd);
                cp = adv(nd, cp, 4);
            }
        }
        printf(" %u/%u/%u", an, ns, ar);
        if (!section_print(nd, &cp, bp, an, mdns))
            pd_trunc(nd);
        if (pr->vflag > 1 && !ns_ar_print(nd, &cp, bp, ns, ar, mdns))
            pd_trunc(nd);
    } else {
        printf("%u%s%s%s", id, ops[opcode], (flags & 0x0100) ? "+" : "",
               (flags & 0x0010) ? "%" : "");
        if (flags & 0x6cf)
            printf(" [b2&3=0x%x]", flags);
        if (opcode == 1) {
            if (qd)
                printf(" [%uq]", qd);
            if (an != 1)
                printf(" [%ua]", an);
        } else {
            if (an)
                printf(" [%ua]", an);
            if (qd != 1)
                printf(" [%uq]", qd);
        }
        if (ns)
            printf(" [%un]", ns);
        if (ar)
            printf(" [%uau]", ar);
        if (qd) {
            if ((cp = ns_qprint(nd, cp, bp, mdns)) == NULL)
                pd_trunc(nd);
            qd--;
            while (cp < nd->end && qd) {
                if ((cp = ns_qprint(nd, cp, bp, mdns)) == NULL)
                    pd_trunc(nd);
                qd--;
            }
        }
        if (qd)
            pd_trunc(nd);
        if (pr->vflag > 1) {
            if (!section_print(nd, &cp, bp, an, mdns))
                pd_trunc(nd);
            if (!ns_ar_print(nd, &cp, bp, ns, ar, mdns))
                pd_trunc(nd);
        }
    }
    printf(" (%" PRIu32 ")", length);
out:
    nd->checks_only = false;
}
