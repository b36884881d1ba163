/* pktdump's parts, shared by its source files (private: not installed, not part of libpkt's API).
 *
 *   options.c   the command line into a struct pd_options; the usage and -h text
 *   capture.c   pktdump_main: the capture (open, loop, status line, stop signals, closing
 *               statistics)
 *   savefile.c  the -w output: the dumper, and tcpdump's rotation (-C, -G, -W, -z)
 *   threads.c   --threads N: N handles in a fanout group, a thread and a file each
 *   print.c, print_ip.c, print_l4.c   the packet printer, in tcpdump's words (print.h)
 *   lists.c     -D, -L, --list-time-stamp-types (-J)
 *   bpf_file.c  the --bpf-file file (a classic BPF program in tcpdump -ddd format)
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
#include <time.h>

#include "pkt.h"

#define PD_PROG "pktdump"
#define PD_EXIT_USAGE 2
#define PD_DEFAULT_SNAPLEN 262144u /* what -s 0 means in the file header, as in tcpdump */
#define PD_MAX_THREADS 64          /* --threads */

/* ---- options.c ---- */

struct pd_options {
    const char *iface;       /* -i; NULL: all interfaces ("any") */
    const char *write_path;  /* -w; "-" is stdout */
    const char *read_path;   /* -r; "-" is stdin */
    const char *bpf_path;    /* --bpf-file: a classic BPF program (tcpdump -ddd format) */
    const char *expr_path;   /* -F: a file holding the filter expression */
    char *expr;              /* the words after the flags joined, or -F's text; owned */
    const char *dlt_name;    /* -y */
    const char *tstamp_type; /* -j */
    const char *user;        /* -Z */
    const char *rotate_cmd;  /* -z */
    uint64_t count;          /* -c; 0: no limit */
    int64_t file_size;       /* -C, in bytes (10^6 per unit, as tcpdump); 0: none */
    int rotate_secs;         /* -G (atoi, as tcpdump: "abc" is 0); 0: none */
    time_t rotate_start;     /* when -G was parsed: the first -G interval starts there */
    int file_count;          /* -W; 0: none */
    int threads;             /* --threads; 0 or 1: one handle, read by the main thread */
    int fanout_mode;         /* --fanout: PKT_FANOUT_* (default hash) */
    uint32_t snaplen;        /* -s; 0: whole packets */
    uint64_t buffer_kib;     /* -B; 0: the library's default */
    uint8_t direction;       /* -Q */
    bool promiscuous;        /* on unless -p */
    bool pcapng, nano, immediate, packet_buffered, print, line_buffered;
    bool list_ifaces, list_dlts, list_tstamp_types, no_cksum, count_only;
    int verbose, quiet, tflag, eflag, xflag, Xflag, Aflag, nflag;
    bool Sflag, number, Nflag, fflag, iface_given;
};

/* Parses the command line into *o (o->expr is malloc'd: the caller frees it, also when this
 * fails). Returns -1 to go on, or the exit status (0 after -h or --version; PD_EXIT_USAGE for
 * a bad command line, with the usage on stderr). */
int pd_parse_options(int argc, char **argv, struct pd_options *o);

/* Parses a decimal number in [min, max]; no sign, no suffix. */
bool pd_parse_number(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* ---- lists.c ---- */

/* -D, -L (for iface, NULL: all interfaces) and -J, as tcpdump prints them; the exit status. */
int pd_list_ifaces(void);
int pd_list_dlts(const char *iface);
int pd_list_tstamp_types(const char *iface);

/* ---- bpf_file.c ---- */

/* Reads a classic BPF program in tcpdump's -ddd format: a line with the instruction count, then
 * one "code jt jf k" line per instruction, all decimal. Blank lines and '#' comments are
 * ignored. On success returns 0 and a malloc'd program; otherwise prints FILE:LINE: why and
 * returns the exit status (2 for a bad file, 1 if it cannot be read). */
int pd_load_filter(const char *path, pkt_bpf_insn_t **prog_out, uint32_t *len_out);

/* ---- print.c (and print_*.c, see print.h) ---- */

struct pd_tcp_conv; /* print_l4.c's table of TCP conversations */

/* How packets are printed, and what the printer remembers between packets. */
struct pd_printer {
    uint16_t dlt;       /* the link type of the data: PKT_DLT_EN10MB, PKT_DLT_RAW,
                           PKT_DLT_LINUX_SLL, PKT_DLT_LINUX_SLL2 (the header in the data), or
                           PD_DLT_COOKED_LIVE (a live cooked handle: no header in the data) */
    bool tag_in_meta;   /* a VLAN tag the kernel removed is not back in the bytes */
    bool nano;          /* nanosecond timestamps */
    int tflag;          /* -t count: 0 default, 1 none, 2 unix, 3 delta, 4 date, 5 since first */
    int eflag, qflag, vflag, xflag, Xflag, Aflag, nflag;
    bool Sflag, Kflag, number;
    /* state */
    uint64_t packets;
    bool have_prev;
    int64_t prev_sec, first_sec;
    uint32_t prev_nsec, first_nsec;
    struct pd_tcp_conv *conv;
    size_t nconv, capconv;
};

#define PD_DLT_COOKED_LIVE 0xffffu

/* Prints one packet (its line or lines, and the dumps) on stdout. */
void pd_print_packet(struct pd_printer *pr, const uint8_t *data, const pkt_info_t *info);

/* Frees what the printer allocated. */
void pd_printer_free(struct pd_printer *pr);

/* ---- savefile.c ---- */

/* The -w output, as tcpdump writes it (tcpdump.c's dump_packet_and_trunc, MakeFilename): one
 * file, or with -C/-G a sequence of files. */
struct pd_writer {
    pkt_dumper_t *d;       /* the open file; NULL once closed */
    const char *base;      /* -w as given */
    char cur[4097];        /* the open file's name (PATH_MAX + 1) */
    uint16_t dlt;
    uint32_t snaplen, flags;
    int64_t file_size;     /* -C bytes; 0: none */
    int rotate_secs;       /* -G; 0: none */
    int file_count;        /* -W; 0: none */
    int digits;            /* of -W - 1: the width of the file numbers */
    int size_count;        /* tcpdump's Cflag_count: the number of the -C file */
    int time_count;        /* tcpdump's Gflag_count: -G rotations so far */
    time_t interval_start; /* tcpdump's Gflag_time */
    const char *command;   /* -z */
    int64_t closed_bytes;  /* the sizes of the files closed by rotation */
};

/* pd_writer_write's results besides 0 (written) */
#define PD_WRITE_ERROR (-1) /* reported on stderr; the writer has no open file, or a broken one */
#define PD_WRITE_LIMIT 1    /* -G with -W: the last file is full; the packet is not written */

/* Opens the first file (its name as tcpdump makes it). Returns 0, or 1 after reporting. */
int pd_writer_open(struct pd_writer *w, const struct pd_options *o, uint16_t dlt,
                   uint32_t snaplen);

/* Writes one packet, rotating first when -C or -G says so (closing the file, running -z on it,
 * opening the next). Returns 0, PD_WRITE_LIMIT or PD_WRITE_ERROR (reported). */
int pd_writer_write(struct pd_writer *w, const uint8_t *data, const pkt_info_t *info);

/* pkt_dump_flush of the open file; 0 or PD_WRITE_ERROR (reported). */
int pd_writer_flush(struct pd_writer *w);

/* Bytes written to all the files so far (for the status line). */
int64_t pd_writer_bytes(struct pd_writer *w);

/* Closes the open file (no -z for it, as tcpdump), with the counters for pcapng's statistics
 * blocks when st is not NULL (and no write failed). Returns 0, or 1 after reporting. */
int pd_writer_close(struct pd_writer *w, const pkt_stats_t *st, bool failed);

/* ---- capture.c ---- */

/* pktdump with these arguments (argv[0] is the program's name): parses them, installs the
 * SIGINT and SIGTERM handlers and runs the capture. Returns the exit status (see main.c). */
int pktdump_main(int argc, char **argv);

/* The handle a stop signal breaks, in slot (0 .. PD_MAX_THREADS - 1); NULL clears it. */
void pd_break_on_signal(int slot, pkt_t *h);
/* Has SIGINT or SIGTERM arrived? */
bool pd_stop_requested(void);
/* One line for a failed pkt_open (tcpdump's words, the privilege hint). */
void pd_open_error(const char *what, int rc);
/* -Z USER: 0, or 1 after saying why not. */
int pd_drop_privileges(const char *user);
/* "EN10MB (Ethernet)" */
void pd_dlt_text(uint16_t dlt, char *buf, size_t len);

/* ---- threads.c ---- */

/* --threads N (o->threads > 1) with -w: N handles on o->iface configured as cfg, in one fanout
 * group (o->fanout_mode), each read by a thread of its own and written to its own file
 * (pd_writer, FILE_i.ext); prog (prog_len instructions, 0: none) is the filter. Prints the
 * "listening on" line, per-thread counters and tcpdump's closing lines. Returns the exit
 * status. */
int pd_run_threads(const struct pd_options *o, const pkt_config_t *cfg,
                   const pkt_bpf_insn_t *prog, uint32_t prog_len, const char *ifname,
                   uint32_t file_snaplen);

#endif
