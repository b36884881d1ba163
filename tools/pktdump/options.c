/* pktdump's command line: the flags into a struct pd_options, the usage and -h text. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* getopt_long */
#endif

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "pktdump.h"

static void usage(FILE *to)
{
    fprintf(to,
            "usage: " PD_PROG " [-i IFACE] [-w FILE [--pcapng] [-U] [--print]] [-c COUNT]\n"
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
           PD_DEFAULT_SNAPLEN);
}

bool pd_parse_number(const char *s, uint64_t min, uint64_t max, uint64_t *out)
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
    fprintf(stderr, PD_PROG ": bad %s value '%s' (%s)\n", flag, value, want);
    usage(stderr);
    return PD_EXIT_USAGE;
}

enum { OPT_PCAPNG = 256, OPT_IMMEDIATE, OPT_NANO, OPT_PRINT, OPT_VERSION };

int pd_parse_options(int argc, char **argv, struct pd_options *o)
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
            if (!pd_parse_number(optarg, 1, UINT64_MAX, &o->count))
                return bad_value("-c", optarg, "a packet count of 1 or more");
            break;
        case 's':
            if (!pd_parse_number(optarg, 0, PD_DEFAULT_SNAPLEN, &v))
                return bad_value("-s", optarg, "bytes, 0 to 262144");
            o->snaplen = (uint32_t)v;
            break;
        case 'B':
            if (!pd_parse_number(optarg, 1, (UINT64_C(4) << 20) - 1, &o->buffer_kib))
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
                perror(PD_PROG);
                return 1;
            }
            break;
        case 'U': o->packet_buffered = true; break;
        case OPT_PCAPNG: o->pcapng = true; break;
        case OPT_IMMEDIATE: o->immediate = true; break;
        case OPT_NANO: o->nano = true; break;
        case OPT_PRINT: o->print = true; break;
        case OPT_VERSION:
            printf(PD_PROG " (libpkt %s, header %d.%d.%d)\n", pkt_version(), PKT_VERSION_MAJOR,
                   PKT_VERSION_MINOR, PKT_VERSION_PATCH);
            return 0;
        case 'h': help(); return 0;
        case ':':
            if (optopt)
                fprintf(stderr, PD_PROG ": option -%c needs a value\n", optopt);
            else
                fprintf(stderr, PD_PROG ": option %s needs a value\n", argv[optind - 1]);
            usage(stderr);
            return PD_EXIT_USAGE;
        default:
            if (optopt)
                fprintf(stderr, PD_PROG ": unknown option -%c\n", optopt);
            else
                fprintf(stderr, PD_PROG ": unknown option %s\n", argv[optind - 1]);
            usage(stderr);
            return PD_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        /* tcpdump's way: the words after the flags, joined by spaces, are the expression */
        if (o->expr != NULL) {
            fprintf(stderr, PD_PROG ": a filter expression both with -f and after the flags\n");
            usage(stderr);
            return PD_EXIT_USAGE;
        }
        size_t n = 1;
        for (int i = optind; i < argc; i++)
            n += strlen(argv[i]) + 1;
        o->expr = malloc(n);
        if (o->expr == NULL) {
            perror(PD_PROG);
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
        fprintf(stderr, PD_PROG ": -F FILE and a filter expression exclude each other\n");
        usage(stderr);
        return PD_EXIT_USAGE;
    }
    if (o->write_path == NULL && (o->pcapng || o->packet_buffered || o->print)) {
        fprintf(stderr, PD_PROG ": --pcapng, -U and --print go with -w FILE\n");
        usage(stderr);
        return PD_EXIT_USAGE;
    }
    if (o->print && strcmp(o->write_path, "-") == 0) {
        fprintf(stderr, PD_PROG ": --print and -w - would both write to standard output\n");
        usage(stderr);
        return PD_EXIT_USAGE;
    }
    return -1;
}
