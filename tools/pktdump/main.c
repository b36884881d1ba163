/*
 * pktdump: capture packets with libpkt, print a one-line decode of each or save them to a
 * pcap/pcapng file, with tcpdump's flags where they mean the same thing.
 *
 *   pktdump [-i IFACE] [-w FILE [--pcapng] [-U] [--print]] [-c COUNT] [-s SNAPLEN] [-B KiB]
 *           [-p] [-Q in|out|inout] [--immediate] [--nano] [-n] [-q] [-v]
 *           [-F FILE | -f EXPR | EXPRESSION...]
 *
 * See "pktdump" in README.md for the manual; `pktdump -h` lists the flags.
 *
 * Without -w it prints one line per packet on stdout (line-buffered, so a pipe sees each
 * line at once), in tcpdump's style:
 *
 *   12:34:56.789012 In  IP 10.99.0.2.40000 > 10.99.0.1.7: Flags [S], seq 1, win 64240, length 0
 *   12:34:56.789054 v0    Out ARP, Reply 10.99.0.1 is-at 02:00:00:00:00:01, length 28
 *
 * (the interface name appears when capturing on all interfaces). With -w it writes the
 * packets with pkt_dump_* and, when stderr is a terminal, shows a status line once a second.
 * Ctrl-C or SIGTERM stops it: the handler calls pkt_breakloop, which is async-signal-safe.
 * It then prints tcpdump's three closing lines on stderr and exits 0.
 *
 * Exit status: 0 done (count reached, or stopped by a signal); 1 an error from libpkt or the
 * system; 2 a bad command line (usage on stderr), a bad filter file or filter expression.
 *
 * Needs CAP_NET_RAW (run as root). Build: see examples/CMakeLists.txt.
 *
 * The C tests (c-tests/test_pktdump_*.c) include this file with PKTDUMP_NO_MAIN defined and
 * run pktdump_main() in a child process, so the tool is tested in every build of the tests.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* getopt_long, if_indextoname, localtime_r */
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
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

#define PROG "pktdump"
#define EXIT_USAGE 2
#define DEFAULT_SNAPLEN 262144u      /* what -s 0 means in the file header, as in tcpdump */
#define BPF_MAX_INSNS 4096u          /* the kernel's limit (BPF_MAXINSNS) */
#define IMMEDIATE_RING (32ll << 20)  /* ring for --immediate without -B: see pkt_config.immediate */

/* ---- signals ---- */

static pkt_t *volatile g_handle;     /* what the handler breaks; set once the capture is open */
static volatile sig_atomic_t g_stop; /* a stop signal arrived */

static void on_stop_signal(int sig)
{
    (void)sig;
    g_stop = 1;
    pkt_t *h = g_handle;
    if (h)
        pkt_breakloop(h); /* async-signal-safe: an atomic store and an eventfd write */
}

static int install_stop_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0) {
        fprintf(stderr, PROG ": sigaction: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- options ---- */

struct options {
    const char *iface;       /* NULL: all interfaces */
    const char *write_path;  /* -w; "-" is stdout */
    const char *filter_path; /* -F */
    char *expr;              /* -f, or the words after the flags joined; owned */
    uint64_t count;          /* -c; 0: no limit */
    uint32_t snaplen;        /* -s; 0: whole packets */
    uint64_t buffer_kib;     /* -B; 0: the library's default */
    uint8_t direction;       /* -Q */
    bool promiscuous;        /* on unless -p */
    bool pcapng, nano, immediate, packet_buffered, print, quiet;
    int verbose;
};

static void usage(FILE *to)
{
    fprintf(to,
            "usage: " PROG " [-i IFACE] [-w FILE [--pcapng] [-U] [--print]] [-c COUNT]\n"
            "               [-s SNAPLEN] [-B KiB] [-p] [-Q in|out|inout] [--immediate] [--nano]\n"
            "               [-n] [-q] [-v] [-F FILE | -f EXPR | EXPRESSION...]\n");
}

static void help(void)
{
    usage(stdout);
    printf("\n"
           "  -i IFACE        capture on IFACE (default, or \"any\": all interfaces, cooked)\n"
           "  -w FILE         write packets to FILE (pcap; \"-\": standard output)\n"
           "  --pcapng        write pcapng instead of pcap\n"
           "  -U              flush FILE after every batch of packets (for -w - | reader)\n"
           "  --print         print packets on stdout also while writing them with -w\n"
           "  -c COUNT        stop after COUNT packets\n"
           "  -s SNAPLEN      keep at most SNAPLEN bytes of each packet (0: all; max %u)\n"
           "  -B KiB          ring buffer size in KiB (default 2048; 32768 with --immediate)\n"
           "  -p              do not put the interface into promiscuous mode\n"
           "  -Q DIRECTION    in, out or inout (default inout)\n"
           "  --immediate     deliver each packet at once (TPACKET_V2 ring)\n"
           "  --nano          nanosecond timestamps (printed, and in FILE)\n"
           "  -n              do not resolve addresses (pktdump never does; for tcpdump habits)\n"
           "  -q              quick output: less protocol detail\n"
           "  -v              verbose output: IP header fields, ring details\n"
           "  -F FILE         classic BPF filter in tcpdump -ddd format\n"
           "  -f EXPR         filter expression (tcpdump syntax, compiled by pkt_compile); the\n"
           "                  words after the flags are one too: pktdump -i eth0 udp port 53\n"
           "  -h, --help      this help; --version: versions\n",
           DEFAULT_SNAPLEN);
}

/* Parses a decimal number in [min, max]; no sign, no suffix. */
static bool parse_number(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    if (s == NULL || *s < '0' || *s > '9')
        return false;
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static int bad_value(const char *flag, const char *value, const char *want)
{
    fprintf(stderr, PROG ": bad %s value '%s' (%s)\n", flag, value, want);
    usage(stderr);
    return EXIT_USAGE;
}

enum { OPT_PCAPNG = 256, OPT_IMMEDIATE, OPT_NANO, OPT_PRINT, OPT_VERSION };

/* Returns -1 to go on, or the exit status. */
static int parse_options(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        {"pcapng", no_argument, NULL, OPT_PCAPNG},
        {"immediate", no_argument, NULL, OPT_IMMEDIATE},
        {"nano", no_argument, NULL, OPT_NANO},
        {"print", no_argument, NULL, OPT_PRINT},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->promiscuous = true;
    o->direction = PKT_DIR_INOUT;

    int c;
    uint64_t v;
    opterr = 0; /* our own messages */
    while ((c = getopt_long(argc, argv, ":i:w:c:s:B:pQ:nqvF:f:Uh", longopts, NULL)) != -1) {
        switch (c) {
        case 'i':
            if (*optarg == '\0')
                return bad_value("-i", optarg, "an interface name, or any");
            o->iface = strcmp(optarg, "any") == 0 ? NULL : optarg;
            break;
        case 'w':
            if (*optarg == '\0')
                return bad_value("-w", optarg, "a file name, or - for standard output");
            o->write_path = optarg;
            break;
        case 'c':
            if (!parse_number(optarg, 1, UINT64_MAX, &o->count))
                return bad_value("-c", optarg, "a packet count of 1 or more");
            break;
        case 's':
            if (!parse_number(optarg, 0, DEFAULT_SNAPLEN, &v))
                return bad_value("-s", optarg, "bytes, 0 to 262144");
            o->snaplen = (uint32_t)v;
            break;
        case 'B':
            if (!parse_number(optarg, 1, (UINT64_C(4) << 20) - 1, &o->buffer_kib))
                return bad_value("-B", optarg, "KiB, 1 to 4194303");
            break;
        case 'p': o->promiscuous = false; break;
        case 'Q':
            if (strcmp(optarg, "in") == 0)
                o->direction = PKT_DIR_IN;
            else if (strcmp(optarg, "out") == 0)
                o->direction = PKT_DIR_OUT;
            else if (strcmp(optarg, "inout") == 0)
                o->direction = PKT_DIR_INOUT;
            else
                return bad_value("-Q", optarg, "in, out or inout");
            break;
        case 'n': break; /* addresses are never resolved */
        case 'q': o->quiet = true; break;
        case 'v': o->verbose++; break;
        case 'F': o->filter_path = optarg; break;
        case 'f':
            free(o->expr);
            o->expr = strdup(optarg);
            if (o->expr == NULL) {
                perror(PROG);
                return 1;
            }
            break;
        case 'U': o->packet_buffered = true; break;
        case OPT_PCAPNG: o->pcapng = true; break;
        case OPT_IMMEDIATE: o->immediate = true; break;
        case OPT_NANO: o->nano = true; break;
        case OPT_PRINT: o->print = true; break;
        case OPT_VERSION:
            printf(PROG " (libpkt %s, header %d.%d.%d)\n", pkt_version(), PKT_VERSION_MAJOR,
                   PKT_VERSION_MINOR, PKT_VERSION_PATCH);
            return 0;
        case 'h': help(); return 0;
        case ':':
            if (optopt)
                fprintf(stderr, PROG ": option -%c needs a value\n", optopt);
            else
                fprintf(stderr, PROG ": option %s needs a value\n", argv[optind - 1]);
            usage(stderr);
            return EXIT_USAGE;
        default:
            if (optopt)
                fprintf(stderr, PROG ": unknown option -%c\n", optopt);
            else
                fprintf(stderr, PROG ": unknown option %s\n", argv[optind - 1]);
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        /* tcpdump's way: the words after the flags, joined by spaces, are the expression */
        if (o->expr != NULL) {
            fprintf(stderr, PROG ": a filter expression both with -f and after the flags\n");
            usage(stderr);
            return EXIT_USAGE;
        }
        size_t n = 1;
        for (int i = optind; i < argc; i++)
            n += strlen(argv[i]) + 1;
        o->expr = malloc(n);
        if (o->expr == NULL) {
            perror(PROG);
            return 1;
        }
        o->expr[0] = '\0';
        for (int i = optind; i < argc; i++) {
            if (i > optind)
                strcat(o->expr, " ");
            strcat(o->expr, argv[i]);
        }
    }
    if (o->expr != NULL && o->filter_path != NULL) {
        fprintf(stderr, PROG ": -F FILE and a filter expression exclude each other\n");
        usage(stderr);
        return EXIT_USAGE;
    }
    if (o->write_path == NULL && (o->pcapng || o->packet_buffered || o->print)) {
        fprintf(stderr, PROG ": --pcapng, -U and --print go with -w FILE\n");
        usage(stderr);
        return EXIT_USAGE;
    }
    if (o->print && strcmp(o->write_path, "-") == 0) {
        fprintf(stderr, PROG ": --print and -w - would both write to standard output\n");
        usage(stderr);
        return EXIT_USAGE;
    }
    return -1;
}

/* ---- the -F file: tcpdump -ddd output ---- */

/* Splits a line into at most max decimal fields; '#' starts a comment. Returns the count, or -1
 * for a field that is not a plain decimal number (its text in *bad), or max + 1 for too many. */
static int split_numbers(char *line, uint64_t *out, int max, const char **bad)
{
    int n = 0;
    char *save = NULL;
    char *hash = strchr(line, '#');
    if (hash)
        *hash = '\0';
    static const char space[] = " \t\r\n";
    for (char *tok = strtok_r(line, space, &save); tok; tok = strtok_r(NULL, space, &save)) {
        if (n == max)
            return max + 1;
        if (!parse_number(tok, 0, UINT64_MAX, &out[n])) {
            *bad = tok;
            return -1;
        }
        n++;
    }
    return n;
}

/* Reads a classic BPF program in tcpdump's -ddd format: a line with the instruction count, then
 * one "code jt jf k" line per instruction, all decimal. Blank lines and '#' comments are
 * ignored. On success returns 0 and a malloc'd program; otherwise prints FILE:LINE: why and
 * returns the exit status (2 for a bad file, 1 if it cannot be read). */
static int load_filter(const char *path, pkt_bpf_insn_t **prog_out, uint32_t *len_out)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
        return 1;
    }
    char line[512];
    unsigned lineno = 0;
    uint64_t count = 0;
    uint32_t have = 0;
    pkt_bpf_insn_t *prog = NULL;
    int status = 0;
    const char *why = NULL;
    char detail[160] = "";

    while (fgets(line, sizeof line, f) != NULL) {
        lineno++;
        if (strchr(line, '\n') == NULL && !feof(f)) {
            why = "line too long";
            break;
        }
        uint64_t v[4];
        const char *bad = NULL;
        int n = split_numbers(line, v, 4, &bad);
        if (n == 0)
            continue;
        if (n < 0) {
            snprintf(detail, sizeof detail, "'%s' is not a decimal number%s", bad,
                     prog == NULL ? " (a filter expression? give it with -f or after the flags)"
                                  : "");
            why = detail;
            break;
        }
        if (prog == NULL) {
            if (n != 1) {
                why = "the first line must hold the instruction count alone";
                break;
            }
            if (v[0] < 1 || v[0] > BPF_MAX_INSNS) {
                snprintf(detail, sizeof detail, "instruction count %" PRIu64 " is not 1..%u", v[0],
                         BPF_MAX_INSNS);
                why = detail;
                break;
            }
            count = v[0];
            prog = calloc((size_t)count, sizeof *prog);
            if (prog == NULL) {
                why = "out of memory";
                break;
            }
            continue;
        }
        if (have == count) {
            snprintf(detail, sizeof detail, "more instructions than the count (%" PRIu64 ") says",
                     count);
            why = detail;
            break;
        }
        if (n != 4) {
            snprintf(detail, sizeof detail, "instruction %u needs 4 numbers (code jt jf k), got %d",
                     have + 1, n);
            why = detail;
            break;
        }
        if (v[0] > UINT16_MAX || v[1] > UINT8_MAX || v[2] > UINT8_MAX || v[3] > UINT32_MAX) {
            snprintf(detail, sizeof detail,
                     "instruction %u out of range (code <= 65535, jt and jf <= 255, "
                     "k <= 4294967295)",
                     have + 1);
            why = detail;
            break;
        }
        prog[have].code = (uint16_t)v[0];
        prog[have].jt = (uint8_t)v[1];
        prog[have].jf = (uint8_t)v[2];
        prog[have].k = (uint32_t)v[3];
        have++;
    }
    if (why == NULL && ferror(f)) {
        fprintf(stderr, PROG ": %s: read error\n", path);
        status = 1;
    } else if (why != NULL) {
        fprintf(stderr, PROG ": %s:%u: %s\n", path, lineno, why);
        status = EXIT_USAGE;
    } else if (prog == NULL) {
        fprintf(stderr, PROG ": %s: empty filter file (want tcpdump -ddd output)\n", path);
        status = EXIT_USAGE;
    } else if (have != count) {
        fprintf(stderr, PROG ": %s:%u: the count says %" PRIu64 " instructions, the file has %u\n",
                path, lineno, count, have);
        status = EXIT_USAGE;
    }
    fclose(f);
    if (status != 0) {
        free(prog);
        return status;
    }
    *prog_out = prog;
    *len_out = have;
    return 0;
}

/* ---- printing ---- */

struct printer {
    bool all_ifaces;    /* print the interface name (a handle on all interfaces) */
    bool cooked;        /* data starts at the network header */
    bool tag_in_meta;   /* a VLAN tag the kernel removed is not back in the bytes */
    bool nano;
    bool quiet;
    int verbose;
};

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

static void print_tcp(const struct printer *pr, const struct l4 *s)
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

static void print_transport(const struct printer *pr, uint8_t proto, const struct l4 *s)
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

static void print_ipv4(const struct printer *pr, const uint8_t *p, uint32_t n)
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

static void print_ipv6(const struct printer *pr, const uint8_t *p, uint32_t n)
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
static void print_payload(const struct printer *pr, uint16_t type, const uint8_t *p, uint32_t n,
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

static void print_packet(const struct printer *pr, const uint8_t *data, const pkt_info_t *info)
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

/* ---- the capture ---- */

struct capture {
    pkt_t *h;
    struct printer pr;
    bool print;
    pkt_dumper_t *dumper;
    const char *write_path;
    uint64_t count;    /* 0: no limit */
    uint64_t captured; /* packets printed or written */
    int error;         /* a failed write: stops the capture */
};

static void on_packet(void *user, const uint8_t *data, const pkt_info_t *info)
{
    struct capture *c = user;
    if (c->error != 0)
        return;
    if (c->dumper != NULL) {
        int rc = pkt_dump_write(c->dumper, data, info);
        if (rc < 0) {
            fprintf(stderr, PROG ": %s: pkt_dump_write: %s (%s)\n", c->write_path,
                    pkt_strerror(rc), pkt_errmsg());
            c->error = rc;
            pkt_breakloop(c->h); /* ends pkt_dispatch after this packet */
            return;
        }
    }
    if (c->print)
        print_packet(&c->pr, data, info);
    c->captured++;
}

static const char *dlt_name(uint16_t dlt)
{
    switch (dlt) {
    case PKT_DLT_EN10MB:     return "EN10MB (Ethernet)";
    case PKT_DLT_RAW:        return "RAW (Raw IP)";
    case PKT_DLT_LINUX_SLL:  return "LINUX_SLL (Linux cooked v1)";
    case PKT_DLT_LINUX_SLL2: return "LINUX_SLL2 (Linux cooked v2)";
    default:                 return NULL;
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void report(const char *what, int code)
{
    fprintf(stderr, PROG ": %s: %s (%s)\n", what, pkt_strerror(code), pkt_errmsg());
}

static int run_capture(const struct options *o)
{
    int status = 0;
    pkt_bpf_insn_t *prog = NULL;
    uint32_t prog_len = 0;
    bool compiled = false; /* prog from pkt_compile (freed with pkt_free_prog) */
    if (o->filter_path != NULL) {
        status = load_filter(o->filter_path, &prog, &prog_len);
        if (status != 0)
            return status;
    } else if (o->expr != NULL) {
        /* The live form for the link type the handle will have: cooked on all interfaces and
         * on links without an Ethernet header. */
        uint16_t arphrd = pkt_iface_linktype(o->iface);
        bool cooked = o->iface == NULL || (arphrd != PKT_LINKTYPE_ETHERNET);
        size_t len = 0;
        int rc = pkt_compile(o->expr, pkt_dlt_of(arphrd, cooked),
                             o->snaplen ? o->snaplen : DEFAULT_SNAPLEN,
                             PKT_COMPILE_OPTIMIZE | PKT_COMPILE_LIVE, &prog, &len);
        if (rc < 0) {
            fprintf(stderr, PROG ": filter expression '%s': %s\n", o->expr, pkt_errmsg());
            return EXIT_USAGE;
        }
        prog_len = (uint32_t)len;
        compiled = true;
    }

    /* Always start from the defaults: fields added later get sane values. */
    pkt_config_t cfg;
    pkt_config_default(&cfg);
    cfg.promiscuous = o->promiscuous;
    cfg.direction = o->direction;
    cfg.immediate = o->immediate;
    cfg.snaplen = o->snaplen;
    cfg.tstamp_resolution = o->nano ? PKT_TSTAMP_NANO : PKT_TSTAMP_MICRO;
    cfg.filter = prog;
    cfg.filter_len = prog_len;
    if (o->buffer_kib != 0)
        cfg.buffer_size = (int64_t)o->buffer_kib * 1024;
    else if (o->immediate)
        cfg.buffer_size = IMMEDIATE_RING;
    /* A status line needs the loop to wake up once a second even on a quiet link. */
    bool status_line = o->write_path != NULL && !o->print && isatty(STDERR_FILENO);
    if (status_line)
        cfg.read_timeout_ms = 1000;

    struct capture c;
    memset(&c, 0, sizeof c);
    int rc = pkt_open(o->iface, &cfg, &c.h);
    if (compiled) /* pkt_open copied it */
        pkt_free_prog(prog);
    else
        free(prog);
    if (rc < 0) {
        fprintf(stderr, PROG ": pkt_open(%s): %s (%s)\n", o->iface ? o->iface : "all interfaces",
                pkt_strerror(rc), pkt_errmsg());
        return 1;
    }
    pkt_config_t eff;
    rc = pkt_get_config(c.h, &eff);
    if (rc < 0) {
        report("pkt_get_config", rc);
        pkt_close(c.h);
        return 1;
    }
    uint16_t dlt = pkt_dlt(c.h);
    uint32_t file_snaplen = o->snaplen ? o->snaplen : DEFAULT_SNAPLEN;

    c.print = o->write_path == NULL || o->print;
    c.count = o->count;
    c.write_path = o->write_path;
    c.pr.all_ifaces = o->iface == NULL;
    c.pr.cooked = eff.cooked;
    c.pr.tag_in_meta = !eff.vlan_insert;
    c.pr.nano = o->nano;
    c.pr.quiet = o->quiet;
    c.pr.verbose = o->verbose;
    if (o->write_path != NULL) {
        uint32_t flags = (o->pcapng ? PKT_DUMP_PCAPNG : 0) | (o->nano ? PKT_DUMP_NANO : 0);
        rc = pkt_dump_open(o->write_path, dlt, file_snaplen, flags, &c.dumper);
        if (rc < 0) {
            fprintf(stderr, PROG ": %s: pkt_dump_open: %s (%s)\n", o->write_path,
                    pkt_strerror(rc), pkt_errmsg());
            pkt_close(c.h);
            return 1;
        }
    }
    if (c.print)
        setvbuf(stdout, NULL, _IOLBF, 0); /* each line as soon as it is printed */

    const char *dname = dlt_name(dlt);
    char dbuf[32];
    if (dname == NULL) {
        snprintf(dbuf, sizeof dbuf, "%u", (unsigned)dlt);
        dname = dbuf;
    }
    fprintf(stderr, PROG ": listening on %s, link-type %s, snapshot length %" PRIu32 " bytes\n",
            o->iface ? o->iface : "any", dname, file_snaplen);
    if (o->verbose)
        fprintf(stderr, PROG ": libpkt %s, %s ring of %lld bytes%s%s\n", pkt_version(),
                eff.immediate ? "TPACKET_V2" : "TPACKET_V3", (long long)eff.buffer_size,
                prog_len ? ", filter attached" : "", eff.cooked ? ", cooked" : "");

    g_handle = c.h; /* from here on a signal breaks the read */
    double last_t = now_s();
    uint64_t last_n = 0;
    bool status_shown = false;
    while (!g_stop && c.error == 0 && (c.count == 0 || c.captured < c.count)) {
        int max = -1; /* the rest of the current ring block */
        if (c.count != 0) {
            uint64_t left = c.count - c.captured;
            max = left > INT_MAX ? INT_MAX : (int)left;
        }
        rc = pkt_dispatch(c.h, max, on_packet, &c);
        if (rc < 0 && rc != -EINTR && !pkt_is_timeout(rc)) {
            report("pkt_dispatch", rc);
            status = 1;
            break;
        }
        if (c.dumper != NULL && o->packet_buffered && rc > 0 && c.error == 0) {
            rc = pkt_dump_flush(c.dumper);
            if (rc < 0) {
                fprintf(stderr, PROG ": %s: pkt_dump_flush: %s (%s)\n", o->write_path,
                        pkt_strerror(rc), pkt_errmsg());
                status = 1;
                break;
            }
        }
        if (status_line) {
            double t = now_s();
            if (t - last_t >= 1.0) {
                pkt_stats_t st;
                if (pkt_stats(c.h, true, &st) == 0) {
                    double bytes = (double)pkt_dump_bytes(c.dumper);
                    bool mb = bytes >= 1e6;
                    fprintf(stderr,
                            "\r%" PRIu64 " packets, %.0f packets/s, %" PRIu64
                            " dropped, %.1f %s written  ",
                            c.captured, (double)(c.captured - last_n) / (t - last_t), st.drops,
                            bytes < 0 ? 0.0 : mb ? bytes / 1e6 : bytes / 1e3, mb ? "MB" : "kB");
                    status_shown = true;
                }
                last_t = t;
                last_n = c.captured;
            }
        }
    }
    g_handle = NULL; /* the handler must not touch a closed handle */
    if (c.error != 0)
        status = 1;
    if (status_shown)
        fputc('\n', stderr);

    pkt_stats_t st = {0, 0};
    rc = pkt_stats(c.h, true, &st);
    if (rc < 0) {
        report("pkt_stats", rc);
        status = 1;
    }
    if (c.dumper != NULL) {
        if (rc == 0 && c.error == 0 && (rc = pkt_dump_stats(c.dumper, &st)) < 0) {
            fprintf(stderr, PROG ": %s: pkt_dump_stats: %s (%s)\n", o->write_path,
                    pkt_strerror(rc), pkt_errmsg());
            status = 1;
        }
        rc = pkt_dump_close(c.dumper); /* flushes */
        if (rc < 0) {
            fprintf(stderr, PROG ": %s: pkt_dump_close: %s (%s)\n", o->write_path,
                    pkt_strerror(rc), pkt_errmsg());
            status = 1;
        }
    }
    if (c.print)
        fflush(stdout);
    /* tcpdump's closing lines */
    fprintf(stderr, "%" PRIu64 " packet%s captured\n", c.captured, c.captured == 1 ? "" : "s");
    fprintf(stderr, "%" PRIu64 " packet%s received by filter\n", st.recvs,
            st.recvs == 1 ? "" : "s");
    fprintf(stderr, "%" PRIu64 " packet%s dropped by kernel\n", st.drops,
            st.drops == 1 ? "" : "s");
    rc = pkt_close(c.h);
    if (rc < 0) {
        report("pkt_close", rc);
        status = 1;
    }
    return status;
}

static int pktdump_main(int argc, char **argv)
{
    struct options o;
    int rc = parse_options(argc, argv, &o);
    if (rc < 0)
        rc = install_stop_handlers() != 0 ? 1 : run_capture(&o);
    free(o.expr);
    return rc;
}

#ifndef PKTDUMP_NO_MAIN
int main(int argc, char **argv)
{
    return pktdump_main(argc, argv);
}
#endif
