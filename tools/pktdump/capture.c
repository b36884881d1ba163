/* pktdump's capture: the handle and the -w file opened, the loop, the status line, the stop
 * signals and the closing statistics; pktdump_main, the whole program but main(). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* sigaction, isatty, clock_gettime */
#endif

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pktdump.h"

#define IMMEDIATE_RING (32ll << 20) /* ring for --immediate without -B: see pkt_config.immediate */

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
        fprintf(stderr, PD_PROG ": sigaction: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- the capture ---- */

struct capture {
    pkt_t *h;
    struct pd_printer pr;
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
            fprintf(stderr, PD_PROG ": %s: pkt_dump_write: %s (%s)\n", c->write_path,
                    pkt_strerror(rc), pkt_errmsg());
            c->error = rc;
            pkt_breakloop(c->h); /* ends pkt_dispatch after this packet */
            return;
        }
    }
    if (c->print)
        pd_print_packet(&c->pr, data, info);
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
    fprintf(stderr, PD_PROG ": %s: %s (%s)\n", what, pkt_strerror(code), pkt_errmsg());
}

static int run_capture(const struct pd_options *o)
{
    int status = 0;
    pkt_bpf_insn_t *prog = NULL;
    uint32_t prog_len = 0;
    bool compiled = false; /* prog from pkt_compile (freed with pkt_free_prog) */
    if (o->filter_path != NULL) {
        status = pd_load_filter(o->filter_path, &prog, &prog_len);
        if (status != 0)
            return status;
    } else if (o->expr != NULL) {
        /* The live form for the link type the handle will have: cooked on all interfaces and
         * on links without an Ethernet header. */
        uint16_t arphrd = pkt_iface_linktype(o->iface);
        bool cooked = o->iface == NULL || (arphrd != PKT_LINKTYPE_ETHERNET);
        size_t len = 0;
        int rc = pkt_compile(o->expr, pkt_dlt_of(arphrd, cooked),
                             o->snaplen ? o->snaplen : PD_DEFAULT_SNAPLEN,
                             PKT_COMPILE_OPTIMIZE | PKT_COMPILE_LIVE, &prog, &len);
        if (rc < 0) {
            fprintf(stderr, PD_PROG ": filter expression '%s': %s\n", o->expr, pkt_errmsg());
            return PD_EXIT_USAGE;
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
        fprintf(stderr, PD_PROG ": pkt_open(%s): %s (%s)\n", o->iface ? o->iface : "all interfaces",
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
    uint32_t file_snaplen = o->snaplen ? o->snaplen : PD_DEFAULT_SNAPLEN;

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
            fprintf(stderr, PD_PROG ": %s: pkt_dump_open: %s (%s)\n", o->write_path,
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
    fprintf(stderr, PD_PROG ": listening on %s, link-type %s, snapshot length %" PRIu32 " bytes\n",
            o->iface ? o->iface : "any", dname, file_snaplen);
    if (o->verbose)
        fprintf(stderr, PD_PROG ": libpkt %s, %s ring of %lld bytes%s%s\n", pkt_version(),
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
                fprintf(stderr, PD_PROG ": %s: pkt_dump_flush: %s (%s)\n", o->write_path,
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
            fprintf(stderr, PD_PROG ": %s: pkt_dump_stats: %s (%s)\n", o->write_path,
                    pkt_strerror(rc), pkt_errmsg());
            status = 1;
        }
        rc = pkt_dump_close(c.dumper); /* flushes */
        if (rc < 0) {
            fprintf(stderr, PD_PROG ": %s: pkt_dump_close: %s (%s)\n", o->write_path,
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

int pktdump_main(int argc, char **argv)
{
    struct pd_options o;
    int rc = pd_parse_options(argc, argv, &o);
    if (rc < 0)
        rc = install_stop_handlers() != 0 ? 1 : run_capture(&o);
    free(o.expr);
    return rc;
}
