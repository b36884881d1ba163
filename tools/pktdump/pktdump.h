/* pktdump's parts, shared by its source files (private: not installed, not part of libpkt's API).
 *
 *   options.c   the command line into a struct pd_options; the usage and -h text
 *   capture.c   pktdump_main: the capture (open, loop, status line, stop signals, -w file,
 *               closing statistics)
 *   print.c     the packet printer (one line per packet)
 *   bpf_file.c  the -F file (a classic BPF program in tcpdump -ddd format)
 *   main.c      main(), which only calls pktdump_main
 *
 * The C tests (c-tests/test_pktdump_*.c) link all of them but main.c (the CMake target
 * pktdump_core) and call pktdump_main. Names shared between the files start with pd_ (PD_ for
 * macros); everything else is static to its file. */
#ifndef PKTDUMP_H
#define PKTDUMP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "pkt.h"

#define PD_PROG "pktdump"
#define PD_EXIT_USAGE 2
#define PD_DEFAULT_SNAPLEN 262144u /* what -s 0 means in the file header, as in tcpdump */

/* ---- options.c ---- */

struct pd_options {
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

/* Parses the command line into *o (o->expr is malloc'd: the caller frees it, also when this
 * fails). Returns -1 to go on, or the exit status (0 after -h or --version; PD_EXIT_USAGE for
 * a bad command line, with the usage on stderr). */
int pd_parse_options(int argc, char **argv, struct pd_options *o);

/* Parses a decimal number in [min, max]; no sign, no suffix. */
bool pd_parse_number(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* ---- bpf_file.c ---- */

/* Reads a classic BPF program in tcpdump's -ddd format: a line with the instruction count, then
 * one "code jt jf k" line per instruction, all decimal. Blank lines and '#' comments are
 * ignored. On success returns 0 and a malloc'd program; otherwise prints FILE:LINE: why and
 * returns the exit status (2 for a bad file, 1 if it cannot be read). */
int pd_load_filter(const char *path, pkt_bpf_insn_t **prog_out, uint32_t *len_out);

/* ---- print.c ---- */

/* How packets are printed. */
struct pd_printer {
    bool all_ifaces;    /* print the interface name (a handle on all interfaces) */
    bool cooked;        /* data starts at the network header */
    bool tag_in_meta;   /* a VLAN tag the kernel removed is not back in the bytes */
    bool nano;
    bool quiet;
    int verbose;
};

/* Prints one packet's line on stdout. */
void pd_print_packet(const struct pd_printer *pr, const uint8_t *data, const pkt_info_t *info);

/* ---- capture.c ---- */

/* pktdump with these arguments (argv[0] is the program's name): parses them, installs the
 * SIGINT and SIGTERM handlers and runs the capture. Returns the exit status (see main.c). */
int pktdump_main(int argc, char **argv);

#endif
