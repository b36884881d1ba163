/* pktdump's command line: the flags into a struct pd_options, the usage and -h text. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* getopt_long */
#endif

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "pktdump.h"

static void usage(FILE *to)
{
    fprintf(to,
            "usage: " PD_PROG " [-AdDefhIJKlLnNpPqStUvxX#] [-B KiB] [-c count] [--count]\n"
            "               [-C file_size] [-F file] [-G seconds] [-i interface]\n"
            "               [--immediate] [-j tstamptype] [--number] [--print] [-Q in|out|inout]\n"
            "               [-r file] [-s snaplen] [--version] [-w file] [-W filecount]\n"
            "               [-y datalinktype] [--time-stamp-precision micro|nano] [--micro]\n"
            "               [--nano] [-z command] [-Z user] [--pcapng] [--bpf-file file]\n"
            "               [--threads N [--fanout mode]] [expression]\n");
}

static void help(void)
{
    usage(stdout);
    printf("\n"
           "Capture (as tcpdump):\n"
           "  -i IFACE        capture on IFACE (default, or \"any\": all interfaces, cooked)\n"
           "  -r FILE         read packets from a pcap or pcapng FILE (\"-\": standard input)\n"
           "  -w FILE         write packets to FILE (pcap; \"-\": standard output)\n"
           "  -c COUNT        stop after COUNT packets\n"
           "  -s SNAPLEN      keep at most SNAPLEN bytes of each packet (0: all; max %u)\n"
           "  -B KiB          ring buffer size in KiB (default 2048; 32768 with -w or --immediate)\n"
           "  -p              do not put the interface into promiscuous mode\n"
           "  -Q DIRECTION    in, out or inout (default inout)\n"
           "  -y TYPE         link type: EN10MB (Ethernet interfaces), LINUX_SLL2 (cooked)\n"
           "  -j TYPE         time stamp type: host, adapter, adapter_unsynced\n"
           "  -J              list the time stamp types of -i IFACE and exit\n"
           "  -D              list the interfaces and exit\n"
           "  -L              list the link types of -i IFACE and exit\n"
           "  -F FILE         read the filter expression from FILE\n"
           "  -Z USER         drop privileges to USER once the capture and files are open\n"
           "  -I              monitor mode: not supported (refused)\n"
           "  --immediate     deliver each packet at once (TPACKET_V2 ring); also\n"
           "                  --immediate-mode\n"
           "  --time-stamp-precision micro|nano, --micro, --nano   timestamp precision\n"
           "                  (printed, and in the -w file)\n"
           "  -C SIZE         with -w: a new file (FILE1, FILE2, ...) once the file holds\n"
           "                  more than SIZE million bytes\n"
           "  -G SECONDS      with -w: a new file every SECONDS (at the next packet); FILE\n"
           "                  goes through strftime (e.g. trace-%%H%%M%%S.pcap)\n"
           "  -W COUNT        with -C: COUNT files, reused in a ring; with -G alone: stop\n"
           "                  after COUNT files\n"
           "  -z COMMAND      run COMMAND FILE after each file -C or -G closed (e.g. gzip)\n"
           "  --threads N     with -w FILE: N capture threads, each with its own handle (in\n"
           "                  one fanout group), CPU and file FILE_0.ext, FILE_1.ext, ...\n"
           "  --fanout MODE   how --threads spreads packets: hash (by flow, default), lb,\n"
           "                  cpu, rollover, random, qm\n"
           "  -U              flush the -w file after every batch of packets\n"
           "  --print         print packets on stdout also while writing them with -w\n"
           "  --pcapng, -P    write pcapng instead of pcap\n"
           "  --bpf-file FILE classic BPF filter in tcpdump -ddd format\n"
           "  --count         print only the number of packets read (with -r)\n"
           "Output (as tcpdump):\n"
           "  -e              print the link-layer header\n"
           "  -x, -xx         hex dump of each packet (-xx: with the link-layer header)\n"
           "  -X, -XX         hex and ASCII dump (-XX: with the link-layer header)\n"
           "  -A, -AA         ASCII dump (-AA: with the link-layer header)\n"
           "  -t              no timestamp; -tt seconds since 1970; -ttt delta since the\n"
           "                  previous packet; -tttt date and time; -ttttt since the first\n"
           "  -v, -vv, -vvv   more detail: IP header fields, checksums\n"
           "  -q              quick output: less protocol detail\n"
           "  -S              absolute TCP sequence numbers\n"
           "  -n, -nn, -N, -f addresses and ports are never resolved (accepted for tcpdump\n"
           "                  habits)\n"
           "  -K              do not verify checksums\n"
           "  -l              line-buffered standard output\n"
           "  -#, --number    print a packet number at the start of each line\n"
           "  -h, --help      this help; --version: versions\n"
           "EXPRESSION: a filter in tcpdump's syntax (compiled by libpkt), e.g. udp port 53\n",
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

enum {
    OPT_PCAPNG = 256,
    OPT_IMMEDIATE,
    OPT_NANO,
    OPT_MICRO,
    OPT_PRINT,
    OPT_VERSION,
    OPT_BPF_FILE,
    OPT_NUMBER,
    OPT_COUNT,
    OPT_PRECISION,
    OPT_THREADS,
    OPT_FANOUT,
};

static int refuse(const char *what)
{
    fprintf(stderr, PD_PROG ": %s\n", what);
    return 1;
}

/* tcpdump's error(): one line, exit status 1, no usage */
__attribute__((format(printf, 1, 2))) static int refuse_fmt(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs(PD_PROG ": ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

int pd_parse_options(int argc, char **argv, struct pd_options *o)
{
    static const struct option longopts[] = {
        {"pcapng", no_argument, NULL, OPT_PCAPNG},
        {"immediate", no_argument, NULL, OPT_IMMEDIATE},
        {"immediate-mode", no_argument, NULL, OPT_IMMEDIATE},
        {"nano", no_argument, NULL, OPT_NANO},
        {"micro", no_argument, NULL, OPT_MICRO},
        {"time-stamp-precision", required_argument, NULL, OPT_PRECISION},
        {"print", no_argument, NULL, OPT_PRINT},
        {"bpf-file", required_argument, NULL, OPT_BPF_FILE},
        {"number", no_argument, NULL, OPT_NUMBER},
        {"count", no_argument, NULL, OPT_COUNT},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"fanout", required_argument, NULL, OPT_FANOUT},
        {"list-interfaces", no_argument, NULL, 'D'},
        {"list-time-stamp-types", no_argument, NULL, 'J'},
        {"time-stamp-type", required_argument, NULL, 'j'},
        {"interface", required_argument, NULL, 'i'},
        {"buffer-size", required_argument, NULL, 'B'},
        {"snapshot-length", required_argument, NULL, 's'},
        {"direction", required_argument, NULL, 'Q'},
        {"relinquish-privileges", required_argument, NULL, 'Z'},
        {"linktype", required_argument, NULL, 'y'},
        {"monitor-mode", no_argument, NULL, 'I'},
        {"no-promiscuous-mode", no_argument, NULL, 'p'},
        {"packet-buffered", no_argument, NULL, 'U'},
        {"dont-verify-checksums", no_argument, NULL, 'K'},
        {"list-data-link-types", no_argument, NULL, 'L'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->promiscuous = true;
    o->direction = PKT_DIR_INOUT;

    int c;
    uint64_t v;
    bool fanout_given = false;
    opterr = 0; /* our own messages */
    optind = 1;
    while ((c = getopt_long(argc, argv, ":AB:c:C:DefF:G:hi:Ij:JKlLnNpPqQ:r:s:StUvw:W:xXy:z:Z:#",
                            longopts, NULL)) != -1) {
        switch (c) {
        case 'i':
            if (*optarg == '\0')
                return bad_value("-i", optarg, "an interface name, or any");
            o->iface = strcmp(optarg, "any") == 0 ? NULL : optarg;
            o->iface_given = true;
            break;
        case 'w':
            if (*optarg == '\0')
                return bad_value("-w", optarg, "a file name, or - for standard output");
            o->write_path = optarg;
            break;
        case 'r':
            if (*optarg == '\0')
                return bad_value("-r", optarg, "a file name, or - for standard input");
            o->read_path = optarg;
            break;
        case 'c':
            if (!pd_parse_number(optarg, 1, UINT64_MAX, &o->count))
                return bad_value("-c", optarg, "a packet count of 1 or more");
            break;
        /* -C, -G and -W as tcpdump 4.99.3 reads them: its messages, exit status 1 */
        case 'C': {
            errno = 0;
            char *end = NULL;
            long long size = strtoll(optarg, &end, 10);
            if (end == optarg || *end != '\0' || errno != 0 || size <= 0)
                return refuse_fmt("invalid file size %s", optarg);
            if (size > INT64_MAX / 1000000)
                return refuse_fmt("file size %s is too large", optarg);
            o->file_size = (int64_t)size * 1000000;
            break;
        }
        case 'G':
            o->rotate_secs = atoi(optarg); /* "abc" is 0: no rotation, as tcpdump */
            if (o->rotate_secs < 0)
                return refuse_fmt("invalid number of seconds %s", optarg);
            o->rotate_start = time(NULL);
            break;
        case 'W':
            o->file_count = atoi(optarg);
            if (o->file_count <= 0)
                return refuse_fmt("invalid number of output files %s", optarg);
            break;
        case 'z': o->rotate_cmd = optarg; break;
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
        case 'y': o->dlt_name = optarg; break;
        case 'j': o->tstamp_type = optarg; break;
        case 'J': o->list_tstamp_types = true; break;
        case 'D': o->list_ifaces = true; break;
        case 'L': o->list_dlts = true; break;
        case 'Z':
            if (*optarg == '\0')
                return bad_value("-Z", optarg, "a user name");
            o->user = optarg;
            break;
        case 'I': return refuse("-I: monitor mode is not supported (libpkt captures in managed "
                                "mode only)");
        case 'n': o->nflag++; break;
        case 'N': o->Nflag = true; break;
        case 'f': o->fflag = true; break;
        case 'K': o->no_cksum = true; break;
        case 'l': o->line_buffered = true; break;
        case 'S': o->Sflag = true; break;
        case '#':
        case OPT_NUMBER: o->number = true; break;
        case 'e': o->eflag++; break;
        case 'x': o->xflag++; break;
        case 'X': o->Xflag++; break;
        case 'A': o->Aflag++; break;
        case 't': o->tflag++; break;
        case 'q': o->quiet++; break;
        case 'v': o->verbose++; break;
        case 'F': o->expr_path = optarg; break;
        case OPT_BPF_FILE: o->bpf_path = optarg; break;
        case 'U': o->packet_buffered = true; break;
        case 'P':
        case OPT_PCAPNG: o->pcapng = true; break;
        case OPT_IMMEDIATE: o->immediate = true; break;
        case OPT_NANO: o->nano = true; break;
        case OPT_MICRO: o->nano = false; break;
        case OPT_PRECISION:
            if (strcmp(optarg, "nano") == 0)
                o->nano = true;
            else if (strcmp(optarg, "micro") == 0)
                o->nano = false;
            else
                return bad_value("--time-stamp-precision", optarg, "micro or nano");
            break;
        case OPT_THREADS:
            if (!pd_parse_number(optarg, 1, PD_MAX_THREADS, &v))
                return bad_value("--threads", optarg, "1 to 64 capture threads");
            o->threads = (int)v;
            break;
        case OPT_FANOUT: {
            static const char *const modes[] = {"hash", "lb", "cpu", "rollover", "random", "qm"};
            int m = -1;
            for (int i = 0; i < 6; i++)
                if (strcmp(optarg, modes[i]) == 0)
                    m = i; /* PKT_FANOUT_HASH .. PKT_FANOUT_QM */
            if (m < 0)
                return bad_value("--fanout", optarg, "hash, lb, cpu, rollover, random or qm");
            o->fanout_mode = m;
            fanout_given = true;
            break;
        }
        case OPT_COUNT: o->count_only = true; break;
        case OPT_PRINT: o->print = true; break;
        case OPT_VERSION:
            printf(PD_PROG " (libpkt %s, header %d.%d.%d)\n", pkt_version(), PKT_VERSION_MAJOR,
                   PKT_VERSION_MINOR, PKT_VERSION_PATCH);
            return 0;
        case 'h': help(); return 0;
        case ':':
            if (optopt > 0 && optopt < 256)
                fprintf(stderr, PD_PROG ": option -%c needs a value\n", optopt);
            else
                fprintf(stderr, PD_PROG ": option %s needs a value\n", argv[optind - 1]);
            usage(stderr);
            return PD_EXIT_USAGE;
        default:
            if (optopt > 0 && optopt < 256)
                fprintf(stderr, PD_PROG ": unknown option -%c\n", optopt);
            else
                fprintf(stderr, PD_PROG ": unknown option %s\n", argv[optind - 1]);
            usage(stderr);
            return PD_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        /* tcpdump's way: the words after the flags, joined by spaces, are the expression */
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
    if ((o->expr != NULL) + (o->bpf_path != NULL) + (o->expr_path != NULL) > 1) {
        fprintf(stderr, PD_PROG ": -F FILE, --bpf-file FILE and a filter expression exclude each "
                        "other\n");
        usage(stderr);
        return PD_EXIT_USAGE;
    }
    if (o->read_path != NULL && o->iface_given) {
        fprintf(stderr, PD_PROG ": -r FILE and -i IFACE exclude each other\n");
        usage(stderr);
        return PD_EXIT_USAGE;
    }
    if (o->write_path == NULL && (o->pcapng || o->packet_buffered || o->print)) {
        fprintf(stderr, PD_PROG ": --pcapng, -U and --print go with -w FILE\n");
        usage(stderr);
        return PD_EXIT_USAGE;
    }
    if (o->threads > 1 && (o->write_path == NULL || strcmp(o->write_path, "-") == 0 ||
                           o->read_path != NULL || o->print || o->count_only)) {
        fprintf(stderr, PD_PROG ": --threads N captures to files: it needs -w FILE (not -w -), "
                        "and no -r, --print or --count\n");
        usage(stderr);
        return PD_EXIT_USAGE;
    }
    if (fanout_given && o->threads < 2) {
        fprintf(stderr, PD_PROG ": --fanout goes with --threads N (2 or more)\n");
        usage(stderr);
        return PD_EXIT_USAGE;
    }
    /* (-C, -G, -W and -z without -w, and -W or -z without -C or -G, do nothing, as in
     * tcpdump.) tcpdump cannot rotate standard output either: -C fails at the first packet
     * ("ftell fails on output file") on a pipe, -G closes it. */
    if (o->write_path != NULL && strcmp(o->write_path, "-") == 0 &&
        (o->file_size != 0 || o->rotate_secs != 0)) {
        fprintf(stderr, PD_PROG ": -C and -G rotate files: they need -w FILE, not -w -\n");
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
