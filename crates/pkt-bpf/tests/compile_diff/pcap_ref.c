/*
 * pcap_ref: libpcap as the reference for libpkt's filter compiler (tests/compile_diff.rs).
 * TEST ONLY: linked with -lpcap here, never into libpkt.
 *
 *   pcap_ref dead LINKTYPE SNAPLEN OPTIMIZE EXPRS [PACKETS]
 *   pcap_ref file LINKTYPE SNAPLEN OPTIMIZE EXPRS [PACKETS]
 *   pcap_ref fileswap LINKTYPE SNAPLEN OPTIMIZE EXPRS [PACKETS]
 *   pcap_ref live IFACE SNAPLEN OPTIMIZE EXPRS [PACKETS]
 *   pcap_ref bench LINKTYPE SNAPLEN OPTIMIZE EXPRS REPS
 *
 * dead: pcap_open_dead(LINKTYPE, SNAPLEN) + pcap_compile. On Linux a dead handle still allows
 *       inbound/outbound/ifindex (as ancillary loads) on link types without those fields.
 * file: pcap_fopen_offline on an empty in-memory savefile with LINKTYPE (a pcap LINKTYPE_ value,
 *       e.g. 101 for raw IP) and SNAPLEN + pcap_compile: libpcap's offline form for a savefile,
 *       where those are errors.
 * fileswap: as file, the header written in the other byte order than this host's
 *       (pcap_is_swapped): on NULL and ENC libpcap compares the address family byte-swapped.
 * live: pcap_create(IFACE) + pcap_activate + pcap_compile, libpcap's live Linux form (needs
 *       CAP_NET_RAW and IFACE up; the test runs it in a network namespace on a veth).
 * EXPRS: one expression per line, compiled in order.
 * Netmask: pcap_compile's netmask argument, in host byte order as pcap_compile takes it
 *       (255.255.255.0 is 0xffffff00), from the environment variable PCAP_REF_NETMASK (decimal,
 *       0x hex); PCAP_NETMASK_UNKNOWN without it.
 * PACKETS: one packet per line, "WIRELEN HEX" (HEX is "-" for an empty packet); each accepted
 *       program is also run over every packet with pcap_offline_filter (libpcap's bpf_filter).
 *
 * Output, one block per expression, in input order:
 *   OK N CODE JT JF K CODE JT JF K ...      (N instructions, decimal)
 *   R V1 V2 ...                             (only with PACKETS: bpf_filter's result per packet)
 * or
 *   ERR MESSAGE
 * bench prints "T NS N" (mean nanoseconds per pcap_compile, instruction count) or "ERR MESSAGE".
 */
#define _GNU_SOURCE
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct packet {
    struct pcap_pkthdr hdr;
    unsigned char *data;
};

static void die(const char *what)
{
    fprintf(stderr, "pcap_ref: %s\n", what);
    exit(2);
}

static char *chomp(char *line)
{
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    return line;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static struct packet *read_packets(const char *path, size_t *count)
{
    FILE *f = fopen(path, "r");
    if (!f)
        die("cannot open the packet file");
    struct packet *pkts = NULL;
    size_t n = 0, cap = 0;
    char *line = NULL;
    size_t linecap = 0;
    while (getline(&line, &linecap, f) >= 0) {
        chomp(line);
        if (line[0] == '\0')
            continue;
        char *end;
        unsigned long wirelen = strtoul(line, &end, 10);
        if (*end != ' ')
            die("bad packet line");
        char *hex = end + 1;
        size_t hexlen = strcmp(hex, "-") == 0 ? 0 : strlen(hex);
        if (hexlen % 2)
            die("odd hex length");
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            pkts = realloc(pkts, cap * sizeof *pkts);
            if (!pkts)
                die("out of memory");
        }
        struct packet *p = &pkts[n++];
        memset(p, 0, sizeof *p);
        p->data = malloc(hexlen / 2 + 1);
        if (!p->data)
            die("out of memory");
        for (size_t i = 0; i < hexlen / 2; i++) {
            int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
            if (hi < 0 || lo < 0)
                die("bad hex digit");
            p->data[i] = (unsigned char)(hi << 4 | lo);
        }
        p->hdr.caplen = (bpf_u_int32)(hexlen / 2);
        p->hdr.len = (bpf_u_int32)wirelen;
    }
    free(line);
    fclose(f);
    *count = n;
    return pkts;
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Prints a single-line error: libpcap's messages have no newline, but be safe. */
static void print_err(const char *msg)
{
    fputs("ERR ", stdout);
    for (const char *c = msg; *c; c++)
        putchar(*c == '\n' || *c == '\r' ? ' ' : *c);
    putchar('\n');
}

int main(int argc, char **argv)
{
    if (argc < 6)
        die("usage: pcap_ref dead|live|bench LINKTYPE|IFACE SNAPLEN OPTIMIZE EXPRS [PACKETS|REPS]");
    const char *mode = argv[1];
    int snaplen = atoi(argv[3]);
    int optimize = atoi(argv[4]);
    pcap_t *p;
    char errbuf[PCAP_ERRBUF_SIZE];
    bpf_u_int32 netmask = PCAP_NETMASK_UNKNOWN;
    const char *nm = getenv("PCAP_REF_NETMASK");
    if (nm && *nm) {
        char *end;
        unsigned long v = strtoul(nm, &end, 0);
        if (*end != '\0' || v > 0xffffffffUL)
            die("bad PCAP_REF_NETMASK");
        netmask = (bpf_u_int32)v;
    }

    if (strcmp(mode, "live") == 0) {
        p = pcap_create(argv[2], errbuf);
        if (!p) {
            fprintf(stderr, "pcap_ref: pcap_create(%s): %s\n", argv[2], errbuf);
            return 3;
        }
        pcap_set_snaplen(p, snaplen);
        pcap_set_timeout(p, 100);
        int rc = pcap_activate(p);
        if (rc < 0) {
            fprintf(stderr, "pcap_ref: pcap_activate(%s): %s: %s\n", argv[2], pcap_statustostr(rc),
                    pcap_geterr(p));
            return 3;
        }
        fprintf(stderr, "pcap_ref: live %s: linktype %d, snaplen %d\n", argv[2], pcap_datalink(p),
                pcap_snapshot(p));
    } else if (strcmp(mode, "file") == 0 || strcmp(mode, "fileswap") == 0) {
        /* An empty pcap savefile: the 24-byte global header only, microsecond magic. */
        static unsigned char hdr[24];
        uint32_t magic = 0xa1b2c3d4, snap = (uint32_t)snaplen, lt = (uint32_t)atoi(argv[2]);
        uint16_t major = 2, minor = 4;
        if (strcmp(mode, "fileswap") == 0) {
            magic = __builtin_bswap32(magic);
            snap = __builtin_bswap32(snap);
            lt = __builtin_bswap32(lt);
            major = __builtin_bswap16(major);
            minor = __builtin_bswap16(minor);
        }
        memcpy(hdr, &magic, 4);
        memcpy(hdr + 4, &major, 2);
        memcpy(hdr + 6, &minor, 2);
        memcpy(hdr + 16, &snap, 4);
        memcpy(hdr + 20, &lt, 4);
        FILE *f = fmemopen(hdr, sizeof hdr, "rb");
        if (!f)
            die("fmemopen failed");
        p = pcap_fopen_offline(f, errbuf);
        if (!p) {
            fprintf(stderr, "pcap_ref: pcap_fopen_offline: %s\n", errbuf);
            return 3;
        }
        if (pcap_is_swapped(p) != (strcmp(mode, "fileswap") == 0))
            die("pcap_is_swapped is not what the header says");
    } else if (strcmp(mode, "dead") == 0 || strcmp(mode, "bench") == 0) {
        p = pcap_open_dead(atoi(argv[2]), snaplen);
        if (!p)
            die("pcap_open_dead failed");
    } else {
        die("unknown mode");
    }

    size_t npkts = 0;
    struct packet *pkts = NULL;
    long reps = 0;
    if (strcmp(mode, "bench") == 0) {
        reps = argc > 6 ? atol(argv[6]) : 100;
        if (reps < 1)
            reps = 1;
    } else if (argc > 6) {
        pkts = read_packets(argv[6], &npkts);
    }

    FILE *exprs = fopen(argv[5], "r");
    if (!exprs)
        die("cannot open the expression file");
    char *line = NULL;
    size_t linecap = 0;
    while (getline(&line, &linecap, exprs) >= 0) {
        chomp(line);
        struct bpf_program prog;
        if (reps) {
            double start = now_ns();
            int rc = 0;
            for (long i = 0; i < reps && rc == 0; i++) {
                rc = pcap_compile(p, &prog, line, optimize, netmask);
                if (rc == 0 && i + 1 < reps)
                    pcap_freecode(&prog);
            }
            if (rc != 0) {
                print_err(pcap_geterr(p));
                continue;
            }
            printf("T %.0f %u\n", (now_ns() - start) / (double)reps, prog.bf_len);
            pcap_freecode(&prog);
            continue;
        }
        if (pcap_compile(p, &prog, line, optimize, netmask) != 0) {
            print_err(pcap_geterr(p));
            continue;
        }
        printf("OK %u", prog.bf_len);
        for (u_int i = 0; i < prog.bf_len; i++) {
            const struct bpf_insn *in = &prog.bf_insns[i];
            printf(" %u %u %u %u", in->code, in->jt, in->jf, in->k);
        }
        putchar('\n');
        if (pkts) {
            putchar('R');
            for (size_t i = 0; i < npkts; i++)
                printf(" %u", (unsigned)pcap_offline_filter(&prog, &pkts[i].hdr, pkts[i].data));
            putchar('\n');
        }
        pcap_freecode(&prog);
    }
    free(line);
    fclose(exprs);
    for (size_t i = 0; i < npkts; i++)
        free(pkts[i].data);
    free(pkts);
    pcap_close(p);
    return fflush(stdout) == 0 ? 0 : 1;
}
