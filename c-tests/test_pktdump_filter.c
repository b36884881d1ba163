/* pktdump -F FILE: a classic BPF program in tcpdump's -ddd format (written by hand here, with a
 * comment and blank lines) selects the packets in the kernel: of UDP to ports 5001 and 5002,
 * TCP to 5001, ARP and an unknown ethertype, only UDP to 5001 is printed, and "received by
 * filter" counts only those. If tcpdump is installed, its own -ddd output for the same
 * expression is used as a second filter file with the same result. The same expression given
 * as -f EXPR and as words after the flags (compiled by pkt_compile) selects the same packets; a
 * malformed expression exits 2 naming the position. */
#include "pktdump_harness.h"

/* IPv4 (no options) UDP with destination port 5001, on Ethernet. */
static const char HAND_FILTER[] =
    "8\n"
    "# ldh [12]; jeq #0x800 else drop; ldb [23]; jeq #17 else drop;\n"
    "# ldh [36]; jeq #5001 else drop; ret #262144; drop: ret #0\n"
    "40 0 0 12\n"
    "21 0 5 2048\n"
    "48 0 0 23\n"
    "21 0 3 17\n"
    "\n"
    "40 0 0 36\n"
    "21 0 1 5001\n"
    "6 0 0 262144\n"
    "6 0 0 0\n";

static void run(const char *const *args)
{
    uint8_t v0mac[6], f[128];
    mac_of("v0", v0mac);
    pd_proc_t p = pd_start(args);
    pd_wait_listening(&p);
    raw_tx_t tx = raw_tx_open("v1");
    /* first what the filter drops, then the three it passes: -c 3 ends with the last one */
    raw_tx_send(&tx, f, pd_udp4_frame(f, v0mac, 0, 40000, 5002, 8));
    raw_tx_send(&tx, f, pd_tcp4_frame(f, v0mac, 40000, 5001, 0x02, 1, 0, 0));
    raw_tx_send(&tx, f, pd_arp_frame(f));
    raw_tx_send(&tx, f, pd_udp6_frame(f, v0mac, 40000, 5001, 8));
    frame_build(f, 60, MAC_BROADCAST, MAC_SRC_TEST, TEST_ETHERTYPE, 1);
    raw_tx_send(&tx, f, 60);
    for (unsigned i = 0; i < 3; i++) {
        raw_tx_send(&tx, f, pd_udp4_frame(f, v0mac, 0, 40000, 5002, 8));
        raw_tx_send(&tx, f, pd_udp4_frame(f, v0mac, 0, 41000 + i, 5001, 8));
    }
    raw_tx_close(&tx);
    int rc = pd_finish(&p, 10000);
    if (rc != 0) {
        pd_dump_output(&p);
        FAIL("pktdump exited with %d", rc);
    }
    const char *out = pd_text(&p, PD_OUT);
    if (pd_count_lines(&p, PD_OUT) != 3 ||
        strstr(out, "IP 10.0.0.2.41000 > 10.0.0.1.5001: UDP, length 8\n") == NULL ||
        strstr(out, "IP 10.0.0.2.41001 > 10.0.0.1.5001: UDP, length 8\n") == NULL ||
        strstr(out, "IP 10.0.0.2.41002 > 10.0.0.1.5001: UDP, length 8\n") == NULL) {
        pd_dump_output(&p);
        FAIL("want exactly the three UDP packets to port 5001");
    }
    /* the kernel dropped the rest: only the three reached the socket */
    pd_check_closing(&p, 3, 3, 0);
    pd_free(&p);
}

int main(void)
{
    test_init("pktdump_filter", 60);
    char dir[64], path[160];
    pd_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/udp5001.bpf", dir);
    pd_write_file(path, HAND_FILTER);
    run((const char *const[]){"-i", "v0", "--bpf-file", path, "-c", "3", NULL});
    run((const char *const[]){"-i", "v0", "-c", "3", "ip", "and", "udp", "dst", "port", "5001",
                              NULL});
    /* -F FILE: tcpdump's expression file, '#' comments and newlines allowed */
    char expr_path[320];
    snprintf(expr_path, sizeof expr_path, "%s.expr", path);
    pd_write_file(expr_path, "# the test's packets\nip and udp\n  dst port 5001 # only\n");
    run((const char *const[]){"-i", "v0", "-c", "3", "-F", expr_path, NULL});
    run((const char *const[]){"-i", "v0", "-c", "3", "ip", "and", "udp", "dst", "port", "5001",
                              NULL});

    /* a malformed expression: usage status, the position in the message */
    pd_proc_t bad = pd_start((const char *const[]){"-i", "v0", "udp", "port", "and", NULL});
    int rc = pd_finish(&bad, 10000);
    if (rc != 2 || strstr(pd_text(&bad, PD_ERR), "position") == NULL) {
        pd_dump_output(&bad);
        FAIL("a malformed expression: exit %d, want 2 and a position", rc);
    }
    pd_free(&bad);

    if (pd_have_tool("tcpdump")) {
        snprintf(path, sizeof path, "%s/tcpdump.bpf", dir);
        /* compiled for v0's link type (Ethernet); -ddd prints the program and exits */
        CHECK(sh("tcpdump -ddd -i v0 'ip and udp dst port 5001' > '%s' 2>/dev/null", path) == 0);
        run((const char *const[]){"-i", "v0", "--bpf-file", path, "-c", "3", NULL});
    }
    pd_rmdir(dir);
    return test_pass();
}
