/* SIGINT and SIGTERM stop pktdump at once (pkt_breakloop from the handler wakes the blocked
 * read, with or without packets, V3 or V2 ring, one or all interfaces): it prints tcpdump's
 * three closing lines on stderr, closes its file (valid, with every packet it printed) and
 * exits 0. */
#include "pktdump_harness.h"

static void send_udp(int count)
{
    uint8_t v0mac[6], f[128];
    mac_of("v0", v0mac);
    raw_tx_t tx = raw_tx_open("v1");
    for (int i = 0; i < count; i++)
        raw_tx_send(&tx, f, pd_udp4_frame(f, v0mac, 0, 30000 + (unsigned)i, 9, 16));
    raw_tx_close(&tx);
}

/* Sends sig and checks that pktdump exits 0 within 3 s, with the closing lines. */
static void stop(pd_proc_t *p, int sig, uint64_t captured)
{
    int64_t t = mono_ms();
    CHECK(kill(p->pid, sig) == 0);
    int rc = pd_finish(p, 5000);
    t = mono_ms() - t;
    if (rc != 0) {
        pd_dump_output(p);
        FAIL("pktdump exited with %d after signal %d", rc, sig);
    }
    CHECKF(t < 3000, "pktdump took %lld ms to stop", (long long)t);
    pd_check_closing(p, captured, (int64_t)captured, 0);
}

int main(void)
{
    test_init("pktdump_signal", 90);
    char dir[64], path[160];
    pd_tmpdir(dir, sizeof dir);

    /* nothing captured yet: SIGINT while the read waits */
    pd_proc_t p = pd_start((const char *const[]){"-i", "v0", NULL});
    pd_wait_listening(&p);
    sleep_ms(200); /* let it block in the read (it also works before) */
    stop(&p, SIGINT, 0);
    CHECK(pd_text(&p, PD_OUT)[0] == '\0');
    pd_free(&p);

    /* SIGTERM after two packets, immediate mode */
    p = pd_start((const char *const[]){"-i", "v0", "--immediate", NULL});
    pd_wait_listening(&p);
    send_udp(2);
    pd_wait_lines(&p, 2, 5000);
    stop(&p, SIGTERM, 2);
    pd_free(&p);

    /* all interfaces */
    p = pd_start((const char *const[]){"-q", NULL});
    pd_wait_listening(&p);
    stop(&p, SIGINT, 0);
    pd_free(&p);

    /* writing and printing: the file holds what was printed, and tcpdump reads it */
    snprintf(path, sizeof path, "%s/stopped.pcap", dir);
    p = pd_start((const char *const[]){"-i", "v0", "-w", path, "--print", NULL});
    pd_wait_listening(&p);
    send_udp(3);
    pd_wait_lines(&p, 3, 5000);
    stop(&p, SIGINT, 3);
    CHECK(strstr(pd_text(&p, PD_OUT), "IP 10.0.0.2.30002 > 10.0.0.1.9: UDP, length 16\n") != NULL);
    pd_free(&p);
    size_t n;
    uint8_t *buf = pd_read_file(path, &n);
    pd_file_t *f = calloc(1, sizeof *f);
    CHECK(f != NULL);
    pd_parse(buf, n, f);
    CHECKF(f->nrec == 3, "%d records", f->nrec);
    free(buf);
    pd_check_readers(path, 3, "IP 10.0.0.2.30000 > 10.0.0.1.9: UDP, length 16");

    /* pcapng stopped before any packet: a valid file with no packets, which tcpdump reads
     * (libpcap refuses a pcapng file without an interface description block) */
    snprintf(path, sizeof path, "%s/empty.pcapng", dir);
    p = pd_start((const char *const[]){"-i", "v0", "-w", path, "--pcapng", NULL});
    pd_wait_listening(&p);
    stop(&p, SIGTERM, 0);
    pd_free(&p);
    buf = pd_read_file(path, &n);
    pd_parse(buf, n, f);
    CHECKF(f->pcapng && f->nrec == 0, "pcapng %d, %d records", f->pcapng, f->nrec);
    free(buf);
    pd_check_readers(path, 0, NULL);

    free(f);
    pd_rmdir(dir);
    return test_pass();
}
