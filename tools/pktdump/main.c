/*
 * pktdump: capture packets with libpkt, print a one-line decode of each or save them to a
 * pcap/pcapng file, with tcpdump's flags where they mean the same thing.
 *
 *   pktdump [tcpdump's flags: -AdDefhIJKlLnNpPqStUvxX# -B -c -C -F -G -i -j -Q -r -s -w -W
 *           -y -z -Z,
 *           --count --number --print --immediate --time-stamp-precision --nano]
 *           [--pcapng] [--bpf-file FILE] [--threads N [--fanout MODE]] [EXPRESSION...]
 *
 * See docs/pktdump.md for the manual; `pktdump -h` lists the flags.
 *
 * Without -w it prints one line per packet on stdout (line-buffered, so a pipe sees each
 * line at once), in tcpdump's style:
 *
 *   12:34:56.789012 IP 10.99.0.2.40000 > 10.99.0.1.7: Flags [S], seq 1, win 64240, length 0
 *   12:34:56.789054 v0    Out ARP, Reply 10.99.0.1 is-at 02:00:00:00:00:01, length 28
 *
 * (the interface and direction appear when capturing on all interfaces, as in tcpdump). With -w it writes the
 * packets with pkt_dump_* (rotating the files as tcpdump's -C, -G, -W and -z do) and, when
 * stderr is a terminal, shows a status line once a second.
 * Ctrl-C or SIGTERM stops it: the handler calls pkt_breakloop, which is async-signal-safe.
 * It then prints tcpdump's three closing lines on stderr and exits 0.
 *
 * Exit status: 0 done (count reached, or stopped by a signal); 1 an error from libpkt or the
 * system; 2 a bad command line (usage on stderr), a bad filter file or filter expression.
 *
 * Needs CAP_NET_RAW (run as root). Build: see tools/CMakeLists.txt.
 *
 * This file is only main(); the program is in the other files of tools/pktdump (see
 * pktdump.h). The C tests (c-tests/test_pktdump_*.c) link those without this one and run
 * pktdump_main() in a child process, so the tool is tested in every build of the tests.
 */
#include "pktdump.h"

int main(int argc, char **argv)
{
    return pktdump_main(argc, argv);
}
