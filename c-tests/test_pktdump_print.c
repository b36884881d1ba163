/* pktdump without -w prints one line per packet, as tcpdump would: a known set of frames sent
 * on v1 (UDP, TCP, truncated TCP, ICMP, ARP, VLAN-tagged UDP, IPv6 UDP and ICMPv6, an unknown
 * ethertype) gives one line each, with the right addresses, ports, flags and lengths, first on
 * v0 (link-layer) and then on all interfaces (cooked, -Q in), where the line names v0. -c COUNT
 * stops pktdump by itself and the closing lines count the packets. With -s the packets are cut
 * and the decode says where ("[|udp]"), never reading past the captured bytes. */
#include "pktdump_harness.h"

typedef struct {
    uint8_t frame[256];
    size_t len;
    const char *want;        /* expected in the line, after the direction */
    const char *dir; /* the direction column on all interfaces: NULL "In" */
} case_t;

static int build_cases(case_t *c, const uint8_t v0mac[6])
{
    int n = 0;
    for (unsigned i = 0; i < 5; i++, n++)
        c[n].len = pd_udp4_frame(c[n].frame, v0mac, 0, 40001 + i, 5001, 10 + i);
    c[0].want = "IP 10.0.0.2.40001 > 10.0.0.1.5001: UDP, length 10";
    c[1].want = "IP 10.0.0.2.40002 > 10.0.0.1.5001: UDP, length 11";
    c[2].want = "IP 10.0.0.2.40003 > 10.0.0.1.5001: UDP, length 12";
    c[3].want = "IP 10.0.0.2.40004 > 10.0.0.1.5001: UDP, length 13";
    c[4].want = "IP 10.0.0.2.40005 > 10.0.0.1.5001: UDP, length 14";
    c[n].len = pd_tcp4_frame(c[n].frame, v0mac, 1234, 80, 0x02, 1000, 0, 0);
    c[n++].want = "IP 10.0.0.2.1234 > 10.0.0.1.80: Flags [S], seq 1000, win 64240, length 0";
    c[n].len = pd_tcp4_frame(c[n].frame, v0mac, 1234, 80, 0x18, 1001, 7, 5);
    c[n++].want = "IP 10.0.0.2.1234 > 10.0.0.1.80: Flags [P.], seq 1001:1006, ack 7, win "
                  "64240, length 5";
    /* IPv4 + 4 bytes of a TCP header: the frame itself is short */
    c[n].len = pd_tcp4_frame(c[n].frame, v0mac, 1234, 80, 0x10, 1, 1, 0) - 16;
    c[n++].want = "IP truncated-ip - 16 bytes missing! 10.0.0.2.1234 > 10.0.0.1.80:  [|tcp]";
    c[n].len = pd_icmp4_echo_frame(c[n].frame, v0mac, 77, 3, 56);
    c[n++].want = "IP 10.0.0.2 > 10.0.0.1: ICMP echo request, id 77, seq 3, length 64";
    c[n].len = pd_arp_frame(c[n].frame);
    c[n].dir = "B";
    c[n++].want = "ARP, Request who-has 10.0.0.1 tell 10.0.0.2, length 28";
    c[n].len = pd_udp4_frame(c[n].frame, v0mac, 100, 53, 5353, 4);
    /* 4 bytes: shorter than a DNS header (tcpdump 4.99.3's words) */
    c[n++].want = "IP 10.0.0.2.53 > 10.0.0.1.5353: domain [length 4 < 12] (invalid)";
    c[n].len = pd_udp6_frame(c[n].frame, v0mac, 546, 547, 20);
    c[n++].want = "IP6 fd00::2.546 > fd00::1.547: UDP, length 20";
    c[n].len = pd_icmp6_echo_frame(c[n].frame, v0mac, 9, 1, 8);
    c[n++].want = "IP6 fd00::2 > fd00::1: ICMP6, echo request, id 9, seq 1, length 16";
    return n;
}

/* Runs pktdump with args, sends the cases, and checks one line per case. */
static void run(const char *const *args, const case_t *c, int n, const char *prefix)
{
    pd_proc_t p = pd_start(args);
    pd_wait_listening(&p);
    raw_tx_t tx = raw_tx_open("v1");
    for (int i = 0; i < n; i++)
        raw_tx_send(&tx, c[i].frame, c[i].len);
    raw_tx_close(&tx);
    int rc = pd_finish(&p, 10000);
    if (rc != 0) {
        pd_dump_output(&p);
        FAIL("pktdump exited with %d", rc);
    }
    CHECKF(pd_count_lines(&p, PD_OUT) == n, "%d lines for %d packets:\n%s",
           pd_count_lines(&p, PD_OUT), n, pd_text(&p, PD_OUT));
    const char *line = pd_text(&p, PD_OUT);
    for (int i = 0; i < n; i++) {
        const char *end = strchr(line, '\n');
        /* HH:MM:SS.ffffff, then the interface (all interfaces only), then the rest */
        char want[256];
        if (prefix[0])
            snprintf(want, sizeof want, "%s%-3s %s", prefix, c[i].dir ? c[i].dir : "In",
                     c[i].want);
        else
            snprintf(want, sizeof want, "%s", c[i].want);
        size_t ts = 16;
        if ((size_t)(end - line) < ts || line[2] != ':' || line[5] != ':' || line[8] != '.' ||
            line[15] != ' ' || strncmp(line + ts, want, strlen(want)) != 0 ||
            (size_t)(end - line) != ts + strlen(want)) {
            pd_dump_output(&p);
            FAIL("line %d is \"%.*s\", want \"HH:MM:SS.ffffff %s\"", i + 1, (int)(end - line),
                 line, want);
        }
        line = end + 1;
    }
    pd_check_closing(&p, (uint64_t)n, n, 0);
    pd_free(&p);
}

int main(void)
{
    test_init("pktdump_print", 60);
    uint8_t v0mac[6];
    mac_of("v0", v0mac);
    static case_t c[32]; /* zeroed */
    int n = build_cases(c, v0mac);
    char count[16];
    snprintf(count, sizeof count, "%d", n);

    run((const char *const[]){"-i", "v0", "-c", count, NULL}, c, n, "");
    run((const char *const[]){"-i", "v0", "-c", count, "--immediate", "-n", NULL}, c, n, "");
    /* all interfaces: cooked, the line names the interface; -Q in leaves out v1's copies */
    run((const char *const[]){"-Q", "in", "-c", count, NULL}, c, n, "v0    ");
    /* -l, -# and -t: tcpdump's line-buffered, numbered, timeless lines are checked by
     * test_pktdump_tcpdump; here only that they are accepted live */
    run((const char *const[]){"-i", "v0", "-l", "-c", count, NULL}, c, n, "");

    /* -s 40 cuts each packet to 40 bytes: Ethernet + IPv4 = 34, so 6 bytes of the UDP or TCP
     * header: the ports, then tcpdump's truncation mark */
    case_t cut[3];
    memset(cut, 0, sizeof cut);
    cut[0].len = pd_udp4_frame(cut[0].frame, v0mac, 0, 1, 2, 100);
    cut[0].want = "IP 10.0.0.2.1 > 10.0.0.1.2:  [|udp]";
    cut[1].len = pd_tcp4_frame(cut[1].frame, v0mac, 1, 2, 0x02, 5, 0, 100);
    cut[1].want = "IP 10.0.0.2.1 > 10.0.0.1.2:  [|tcp]";
    cut[2].len = pd_icmp6_echo_frame(cut[2].frame, v0mac, 1, 1, 100);
    cut[2].want = " [|ip6]";
    run((const char *const[]){"-i", "v0", "-s", "40", "-c", "3", NULL}, cut, 3, "");
    return test_pass();
}
