/* bpfc: compiles a tcpdump filter expression with pkt_compile (no libpcap) and prints the
 * program in tcpdump's formats.
 *
 *   bpfc [-O] [-l|-S] [-y LINKTYPE] [-s SNAPLEN] -d|-dd|-ddd EXPR...
 *
 *   -O          optimize (PKT_COMPILE_OPTIMIZE)
 *   -l          the live form for a socket (PKT_COMPILE_LIVE)
 *   -S          the savefile form (PKT_COMPILE_SAVEFILE): what `tcpdump -d -r FILE` prints
 *   -y TYPE     link type by libpcap's name (EN10MB, the default; RAW, LINUX_SLL, LINUX_SLL2,
 *               NULL, LOOP, PPP, C_HDLC, IPV4, IEEE802_11_RADIO, PFLOG, ...; as tcpdump -y) or
 *               number
 *   -s SNAPLEN  what accepted packets return (default 262144)
 *   -d          readable listing, as `tcpdump -d`
 *   -dd         C array, as `tcpdump -dd`
 *   -ddd        decimal numbers, as `tcpdump -ddd`
 *
 * The words of EXPR are joined with spaces, as tcpdump does. Exit status 0, 1 if the expression
 * does not compile (the reason on stderr), 2 for bad usage. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkt.h"

static void usage(void)
{
    fprintf(stderr, "usage: bpfc [-O] [-l|-S] [-y LINKTYPE] [-s SNAPLEN] -d|-dd|-ddd EXPR...\n");
    exit(2);
}

static const char *ancillary(uint32_t k)
{
    static const char *const names[] = {
        "proto", NULL, NULL, NULL, "type", NULL, NULL, NULL, "ifidx", NULL, NULL, NULL,
        "nla", NULL, NULL, NULL, "nlan", NULL, NULL, NULL, "mark", NULL, NULL, NULL,
        "queue", NULL, NULL, NULL, "hatype", NULL, NULL, NULL, "rxhash", NULL, NULL, NULL,
        "cpu", NULL, NULL, NULL, "xor_x", NULL, NULL, NULL, "vlan_tci", NULL, NULL, NULL,
        "vlanp", NULL, NULL, NULL, "poff", NULL, NULL, NULL, "random", NULL, NULL, NULL,
        "vlan_tpid",
    };
    uint32_t off = 0xfffff000u;
    if (k >= off && k - off < sizeof names / sizeof names[0])
        return names[k - off];
    return NULL;
}

/* One instruction as libpcap's bpf_image() prints it. */
static void image(const pkt_bpf_insn_t *p, int n)
{
    char operand[64] = "";
    const char *op;
    const char *name;
    switch (p->code) {
    case 0x06: op = "ret"; snprintf(operand, sizeof operand, "#%d", (int)p->k); break;
    case 0x16: op = "ret"; break;
    case 0x20: case 0x28: case 0x30:
        op = p->code == 0x20 ? "ld" : p->code == 0x28 ? "ldh" : "ldb";
        if ((name = ancillary(p->k)) != NULL)
            snprintf(operand, sizeof operand, "[%s]", name);
        else
            snprintf(operand, sizeof operand, "[%d]", (int)p->k);
        break;
    case 0x80: op = "ld"; snprintf(operand, sizeof operand, "#pktlen"); break;
    case 0x40: case 0x48: case 0x50:
        op = p->code == 0x40 ? "ld" : p->code == 0x48 ? "ldh" : "ldb";
        snprintf(operand, sizeof operand, "[x + %d]", (int)p->k);
        break;
    case 0x00: op = "ld"; snprintf(operand, sizeof operand, "#0x%x", p->k); break;
    case 0x01: op = "ldx"; snprintf(operand, sizeof operand, "#0x%x", p->k); break;
    case 0x81: op = "ldx"; snprintf(operand, sizeof operand, "#pktlen"); break;
    case 0xb1: op = "ldxb"; snprintf(operand, sizeof operand, "4*([%d]&0xf)", (int)p->k); break;
    case 0x60: op = "ld"; snprintf(operand, sizeof operand, "M[%d]", (int)p->k); break;
    case 0x61: op = "ldx"; snprintf(operand, sizeof operand, "M[%d]", (int)p->k); break;
    case 0x02: op = "st"; snprintf(operand, sizeof operand, "M[%d]", (int)p->k); break;
    case 0x03: op = "stx"; snprintf(operand, sizeof operand, "M[%d]", (int)p->k); break;
    case 0x05: op = "ja"; snprintf(operand, sizeof operand, "%d", n + 1 + (int)p->k); break;
    case 0x25: op = "jgt"; snprintf(operand, sizeof operand, "#0x%x", p->k); break;
    case 0x35: op = "jge"; snprintf(operand, sizeof operand, "#0x%x", p->k); break;
    case 0x15: op = "jeq"; snprintf(operand, sizeof operand, "#0x%x", p->k); break;
    case 0x45: op = "jset"; snprintf(operand, sizeof operand, "#0x%x", p->k); break;
    case 0x2d: op = "jgt"; snprintf(operand, sizeof operand, "x"); break;
    case 0x3d: op = "jge"; snprintf(operand, sizeof operand, "x"); break;
    case 0x1d: op = "jeq"; snprintf(operand, sizeof operand, "x"); break;
    case 0x4d: op = "jset"; snprintf(operand, sizeof operand, "x"); break;
    case 0x0c: op = "add"; snprintf(operand, sizeof operand, "x"); break;
    case 0x1c: op = "sub"; snprintf(operand, sizeof operand, "x"); break;
    case 0x2c: op = "mul"; snprintf(operand, sizeof operand, "x"); break;
    case 0x3c: op = "div"; snprintf(operand, sizeof operand, "x"); break;
    case 0x9c: op = "mod"; snprintf(operand, sizeof operand, "x"); break;
    case 0x5c: op = "and"; snprintf(operand, sizeof operand, "x"); break;
    case 0x4c: op = "or"; snprintf(operand, sizeof operand, "x"); break;
    case 0xac: op = "xor"; snprintf(operand, sizeof operand, "x"); break;
    case 0x6c: op = "lsh"; snprintf(operand, sizeof operand, "x"); break;
    case 0x7c: op = "rsh"; snprintf(operand, sizeof operand, "x"); break;
    case 0x04: op = "add"; snprintf(operand, sizeof operand, "#%d", (int)p->k); break;
    case 0x14: op = "sub"; snprintf(operand, sizeof operand, "#%d", (int)p->k); break;
    case 0x24: op = "mul"; snprintf(operand, sizeof operand, "#%d", (int)p->k); break;
    case 0x34: op = "div"; snprintf(operand, sizeof operand, "#%d", (int)p->k); break;
    case 0x94: op = "mod"; snprintf(operand, sizeof operand, "#%d", (int)p->k); break;
    case 0x54: op = "and"; snprintf(operand, sizeof operand, "#0x%x", p->k); break;
    case 0x44: op = "or"; snprintf(operand, sizeof operand, "#0x%x", p->k); break;
    case 0xa4: op = "xor"; snprintf(operand, sizeof operand, "#0x%x", p->k); break;
    case 0x64: op = "lsh"; snprintf(operand, sizeof operand, "#%d", (int)p->k); break;
    case 0x74: op = "rsh"; snprintf(operand, sizeof operand, "#%d", (int)p->k); break;
    case 0x84: op = "neg"; break;
    case 0x07: op = "tax"; break;
    case 0x87: op = "txa"; break;
    default: op = "unimp"; snprintf(operand, sizeof operand, "0x%x", p->code); break;
    }
    if ((p->code & 0x07) == 0x05 && (p->code & 0xf0) != 0x00)
        printf("(%03d) %-8s %-16s jt %d\tjf %d\n", n, op, operand, n + 1 + p->jt, n + 1 + p->jf);
    else
        printf("(%03d) %-8s %s\n", n, op, operand);
}

/* A link type by libpcap's name (EN10MB, LINUX_SLL2, PPP, ...: pkt_dlt_from_name) or number. */
static int linktype(const char *s)
{
    int v = pkt_dlt_from_name(s);
    if (v >= 0)
        return v;
    char *end;
    long n = strtol(s, &end, 0);
    if (*s == '\0' || *end != '\0' || n < 0 || n > 65535) {
        fprintf(stderr, "bpfc: unknown link type \"%s\" (a libpcap name such as EN10MB or a number)\n", s);
        exit(2);
    }
    return (int)n;
}

int main(int argc, char **argv)
{
    uint32_t flags = 0;
    int lt = PKT_DLT_EN10MB;
    unsigned long snaplen = 0;
    int level = 0;
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        } else if (strcmp(a, "-O") == 0) {
            flags |= PKT_COMPILE_OPTIMIZE;
        } else if (strcmp(a, "-l") == 0) {
            flags |= PKT_COMPILE_LIVE;
        } else if (strcmp(a, "-S") == 0) {
            flags |= PKT_COMPILE_SAVEFILE;
        } else if (strcmp(a, "-y") == 0 && i + 1 < argc) {
            lt = linktype(argv[++i]);
        } else if (strcmp(a, "-s") == 0 && i + 1 < argc) {
            char *end;
            snaplen = strtoul(argv[++i], &end, 0);
            if (*end != '\0' || snaplen > 0xffffffffUL)
                usage();
        } else if (strcmp(a, "-d") == 0) {
            level = 1;
        } else if (strcmp(a, "-dd") == 0) {
            level = 2;
        } else if (strcmp(a, "-ddd") == 0) {
            level = 3;
        } else {
            usage();
        }
    }
    if (level == 0)
        usage();
    /* Join the remaining words with spaces. */
    size_t len = 1;
    for (int j = i; j < argc; j++)
        len += strlen(argv[j]) + 1;
    char *expr = calloc(1, len);
    if (expr == NULL)
        return 1;
    for (int j = i; j < argc; j++) {
        if (j > i)
            strcat(expr, " ");
        strcat(expr, argv[j]);
    }
    pkt_bpf_insn_t *prog;
    size_t n;
    int rc = pkt_compile(expr, (uint16_t)lt, (uint32_t)snaplen, flags, &prog, &n);
    if (rc < 0) {
        fprintf(stderr, "bpfc: %s: %s\n", pkt_strerror(rc), pkt_errmsg());
        free(expr);
        return 1;
    }
    if (level == 3) {
        printf("%zu\n", n);
        for (size_t j = 0; j < n; j++)
            printf("%u %u %u %u\n", prog[j].code, prog[j].jt, prog[j].jf, prog[j].k);
    } else if (level == 2) {
        for (size_t j = 0; j < n; j++)
            printf("{ 0x%x, %d, %d, 0x%08x },\n", prog[j].code, prog[j].jt, prog[j].jf, prog[j].k);
    } else {
        for (size_t j = 0; j < n; j++)
            image(&prog[j], (int)j);
    }
    pkt_free_prog(prog);
    free(expr);
    return 0;
}
