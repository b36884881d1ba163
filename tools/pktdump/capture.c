/* pktdump's capture: the handle and the -w file opened, the loop, the status line, the stop
 * signals and the closing statistics; pktdump_main, the whole program but main(). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* sigaction, isatty, clock_gettime */
#endif

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pktdump.h"

#define IMMEDIATE_RING (32ll << 20) /* ring for --immediate without -B: see pkt_config.immediate */
/* Ring for -w without -B (per handle with --threads). The library's default, 2 MiB, is what
 * tcpdump and dumpcap take too: at 1500 B and 400,000 packets/s it holds 3.5 ms of traffic,
 * less than a writer stalled in the page cache or preempted for a time slice, and
 * bench/pktdump-disk.sh saw pktdump lose packets there where tcpdump did not. 32 MiB holds
 * about 55 ms at that rate, in 16 blocks of 2 MiB (one wake-up per 2 MiB, not per 512 KiB). */
#define WRITE_RING (32ll << 20)

/* ---- signals ---- */

/* what the handler breaks; set once the capture is open (one per thread with --threads) */
static pkt_t *volatile g_handles[PD_MAX_THREADS];
static volatile sig_atomic_t g_stop; /* a stop signal arrived */

static void on_stop_signal(int sig)
{
    (void)sig;
    g_stop = 1;
    for (int i = 0; i < PD_MAX_THREADS; i++) {
        pkt_t *h = g_handles[i];
        if (h)
            pkt_breakloop(h); /* async-signal-safe: an atomic store and an eventfd write */
    }
}

void pd_break_on_signal(int slot, pkt_t *h)
{
    g_handles[slot] = h;
}

bool pd_stop_requested(void)
{
    return g_stop != 0;
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

/* ---- errors ---- */

/* One line for a failed pkt_open or pkt_open_offline, in tcpdump's words where it has them,
 * with the way out for a missing privilege. */
void pd_open_error(const char *what, int rc)
{
    int e = -rc;
    if (e == EPERM || e == EACCES) {
        char exe[512];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n <= 0)
            snprintf(exe, sizeof exe, "%s", PD_PROG);
        else
            exe[n] = '\0';
        fprintf(stderr,
                PD_PROG ": %s: You don't have permission to capture on that device (%s) (run as "
                        "root, or: setcap cap_net_raw,cap_net_admin+ep %s)\n",
                what, strerror(e), exe);
    } else if (e == ENODEV || e == ENXIO) {
        fprintf(stderr, PD_PROG ": %s: No such device exists\n", what);
    } else if (e == ENETDOWN) {
        fprintf(stderr, PD_PROG ": %s: That device is not up\n", what);
    } else {
        const char *m = pkt_errmsg();
        if (m == NULL || *m == '\0')
            m = pkt_strerror(rc);
        fprintf(stderr, PD_PROG ": %s: %s\n", what, m);
    }
}

static void report(const char *what, int code)
{
    const char *m = pkt_errmsg();
    fprintf(stderr, PD_PROG ": %s: %s\n", what, m && *m ? m : pkt_strerror(code));
}

/* ---- the capture ---- */

struct capture {
    pkt_t *h;
    struct pd_printer pr;
    bool print, offline, count_only;
    bool writing;        /* -w: w is open */
    bool limit;          /* -G with -W: the last file is done (tcpdump exits) */
    struct pd_writer w;
    uint64_t count;    /* 0: no limit */
    uint64_t captured; /* packets printed or written (and, as tcpdump, the one that found -W's
                          limit) */
    int error;         /* a failed write: stops the capture */
};

static void on_packet(void *user, const uint8_t *data, const pkt_info_t *info)
{
    struct capture *c = user;
    if (c->error != 0 || (c->count != 0 && c->captured >= c->count))
        return;
    if (c->limit)
        return;
    if (c->writing) {
        int rc = pd_writer_write(&c->w, data, info);
        if (rc != 0) {
            if (rc == PD_WRITE_LIMIT) {
                c->limit = true;
                c->captured++; /* tcpdump counts it as captured, though no file holds it */
            } else {
                c->error = 1;
            }
            pkt_breakloop(c->h); /* ends pkt_dispatch after this packet */
            return;
        }
    }
    if (c->print && !c->count_only) {
        if (c->offline)
            c->pr.dlt = info->linktype;
        pd_print_packet(&c->pr, data, info);
    }
    c->captured++;
}

/* "EN10MB (Ethernet)" */
void pd_dlt_text(uint16_t dlt, char *buf, size_t len)
{
    /* libpcap reads LINKTYPE_RAW (101) in a file as DLT_RAW (12) */
    uint16_t named = dlt == PKT_DLT_RAW ? 12 : dlt;
    const char *n = pkt_dlt_name(named), *d = pkt_dlt_description(named);
    if (n == NULL)
        snprintf(buf, len, "%u", (unsigned)dlt);
    else
        snprintf(buf, len, "%s (%s)", n, d ? d : n);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* -F FILE: the expression in FILE, '#' comments removed (as tcpdump reads it). */
static int read_expr_file(const char *path, char **out)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, PD_PROG ": can't open %s: %s\n", path, strerror(errno));
        return 1;
    }
    size_t cap = 256, n = 0;
    char *buf = malloc(cap);
    int ch;
    bool comment = false;
    while (buf != NULL && (ch = fgetc(f)) != EOF) {
        if (ch == '#')
            comment = true;
        if (ch == '\n')
            comment = false;
        if (comment)
            continue;
        if (n + 2 > cap) {
            char *nb = realloc(buf, cap *= 2);
            if (nb == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
        }
        buf[n++] = ch == '\n' || ch == '\t' || ch == '\r' ? ' ' : (char)ch;
    }
    bool err = ferror(f);
    fclose(f);
    if (buf == NULL || err) {
        free(buf);
        fprintf(stderr, PD_PROG ": %s: %s\n", path, err ? "read error" : strerror(ENOMEM));
        return 1;
    }
    buf[n] = '\0';
    *out = buf;
    return 0;
}

/* -Z USER: drops to USER's ids and groups (once everything is open). */
int pd_drop_privileges(const char *user)
{
    struct passwd *pw = getpwnam(user);
    if (pw == NULL) {
        fprintf(stderr, PD_PROG ": Couldn't find user '%s'\n", user);
        return 1;
    }
    if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
        setuid(pw->pw_uid) != 0) {
        fprintf(stderr, PD_PROG ": Couldn't change to '%s' uid=%lu gid=%lu: %s\n", user,
                (unsigned long)pw->pw_uid, (unsigned long)pw->pw_gid, strerror(errno));
        return 1;
    }
    return 0;
}

static void setup_printer(struct pd_printer *pr, const struct pd_options *o)
{
    memset(pr, 0, sizeof *pr);
    pr->nano = o->nano;
    pr->tflag = o->tflag;
    pr->eflag = o->eflag;
    pr->qflag = o->quiet;
    pr->vflag = o->verbose;
    pr->xflag = o->xflag;
    pr->Xflag = o->Xflag;
    pr->Aflag = o->Aflag;
    pr->nflag = o->nflag ? o->nflag : 2; /* pktdump never resolves names */
    pr->Sflag = o->Sflag;
    pr->Kflag = o->no_cksum;
    pr->number = o->number;
}

static int compile(const struct pd_options *o, uint16_t dlt, uint32_t snaplen, uint32_t netmask,
                   uint32_t flags, pkt_bpf_insn_t **prog, uint32_t *len, bool *compiled)
{
    if (o->bpf_path != NULL)
        return pd_load_filter(o->bpf_path, prog, len);
    if (o->expr == NULL)
        return 0;
    size_t n = 0;
    int rc = pkt_compile_netmask(o->expr, dlt, snaplen, PKT_COMPILE_OPTIMIZE | flags, netmask,
                                 prog, &n);
    if (rc < 0) {
        fprintf(stderr, PD_PROG ": filter expression '%s': %s\n", o->expr, pkt_errmsg());
        return PD_EXIT_USAGE;
    }
    *len = (uint32_t)n;
    *compiled = true;
    return 0;
}

static void free_prog(pkt_bpf_insn_t *prog, bool compiled)
{
    if (compiled)
        pkt_free_prog(prog);
    else
        free(prog);
}

static int open_dumper(struct capture *c, const struct pd_options *o, uint16_t dlt,
                       uint32_t snaplen)
{
    if (pd_writer_open(&c->w, o, dlt, snaplen) != 0)
        return 1;
    c->writing = true;
    return 0;
}

static int close_dumper(struct capture *c, const pkt_stats_t *st)
{
    if (!c->writing)
        return 0;
    c->writing = false;
    return pd_writer_close(&c->w, st, c->error != 0);
}

/* -G with -W: tcpdump's words when the last file is done */
static void limit_reached(const struct capture *c, const struct pd_options *o)
{
    if (c->limit)
        fprintf(stderr, "Maximum file limit reached: %d\n", o->file_count);
}

/* -r FILE */
static int run_offline(const struct pd_options *o)
{
    pkt_config_t cfg;
    pkt_config_default(&cfg);
    cfg.tstamp_resolution = o->nano ? PKT_TSTAMP_NANO : PKT_TSTAMP_MICRO;
    cfg.snaplen = o->snaplen;
    struct capture c;
    memset(&c, 0, sizeof c);
    int rc = pkt_open_offline(o->read_path, &cfg, &c.h);
    if (rc < 0) {
        if (rc == -EBADMSG)
            fprintf(stderr, PD_PROG ": %s: %s\n", o->read_path, pkt_errmsg());
        else
            fprintf(stderr, PD_PROG ": %s: %s\n", o->read_path, strerror(-rc));
        return 1;
    }
    uint16_t dlt = pkt_dlt(c.h);
    uint32_t snap = PD_DEFAULT_SNAPLEN;
    pkt_offline_iface(c.h, 0, NULL, &snap);
    pkt_bpf_insn_t *prog = NULL;
    uint32_t plen = 0;
    bool compiled = false;
    int status = compile(o, dlt, snap, 0, 0, &prog, &plen, &compiled);
    if (status != 0) {
        pkt_close(c.h);
        return status;
    }
    if (prog != NULL) {
        rc = pkt_setfilter(c.h, prog, plen);
        free_prog(prog, compiled);
        if (rc < 0) {
            report("pkt_setfilter", rc);
            pkt_close(c.h);
            return 1;
        }
    }
    char dt[96];
    pd_dlt_text(dlt, dt, sizeof dt);
    fprintf(stderr, "reading from file %s, link-type %s, snapshot length %" PRIu32 "\n",
            o->read_path, dt, snap);
    if (dlt == PKT_DLT_LINUX_SLL2 && !o->count_only)
        fprintf(stderr, "Warning: interface names might be incorrect\n");
    if (o->write_path != NULL) {
        if (dlt == PKT_DLT_LINUX_SLL || dlt == PKT_DLT_LINUX_SLL2) {
            fprintf(stderr, PD_PROG ": -w with -r of a Linux cooked file is not supported\n");
            pkt_close(c.h);
            return 1;
        }
        if (open_dumper(&c, o, dlt, snap) != 0) {
            pkt_close(c.h);
            return 1;
        }
    }
    if (o->user != NULL && pd_drop_privileges(o->user) != 0) {
        close_dumper(&c, NULL);
        pkt_close(c.h);
        return 1;
    }
    setup_printer(&c.pr, o);
    c.offline = true;
    c.print = o->write_path == NULL || o->print;
    c.count_only = o->count_only;
    c.count = o->count;
    if (o->line_buffered)
        setvbuf(stdout, NULL, _IOLBF, 0);
    g_handles[0] = c.h;
    while (!g_stop && c.error == 0 && !c.limit && (c.count == 0 || c.captured < c.count)) {
        rc = pkt_dispatch(c.h, -1, on_packet, &c);
        if (rc == 0)
            break; /* the end of the file */
        if (rc < 0 && rc != -EINTR) {
            if (rc == -EBADMSG)
                fprintf(stderr, PD_PROG ": %s: %s\n", o->read_path, pkt_errmsg());
            else
                report(o->read_path, rc);
            status = 1;
            break;
        }
        if (c.writing && o->packet_buffered && c.error == 0 && !c.limit)
            pd_writer_flush(&c.w);
    }
    g_handles[0] = NULL;
    limit_reached(&c, o);
    if (c.error != 0)
        status = 1;
    if (close_dumper(&c, NULL) != 0)
        status = 1;
    if (o->count_only)
        printf("%" PRIu64 " packet%s\n", c.captured, c.captured == 1 ? "" : "s");
    fflush(stdout);
    pd_printer_free(&c.pr);
    pkt_close(c.h);
    return status;
}

static int tstamp_source(const char *name)
{
    if (strcmp(name, "host") == 0 || strcmp(name, "host_lowprec") == 0 ||
        strcmp(name, "host_hiprec") == 0)
        return PKT_TSTAMP_SOURCE_SOFTWARE;
    if (strcmp(name, "adapter") == 0)
        return PKT_TSTAMP_SOURCE_ADAPTER;
    if (strcmp(name, "adapter_unsynced") == 0)
        return PKT_TSTAMP_SOURCE_ADAPTER_UNSYNCED;
    return -1;
}

static int run_capture(const struct pd_options *o)
{
    const char *ifname = o->iface ? o->iface : "any";
    uint16_t arphrd = pkt_iface_linktype(o->iface);
    bool cooked = o->iface == NULL || arphrd != PKT_LINKTYPE_ETHERNET;
    if (o->dlt_name != NULL) {
        int d = pkt_dlt_from_name(o->dlt_name);
        if (d < 0) {
            fprintf(stderr, PD_PROG ": invalid data link type %s\n", o->dlt_name);
            return 1;
        }
        if (d == PKT_DLT_LINUX_SLL2)
            cooked = true;
        else if (!(d == PKT_DLT_EN10MB && !cooked)) {
            fprintf(stderr, PD_PROG ": %s is not one of the DLTs supported by this device\n",
                    o->dlt_name);
            return 1;
        }
    }
    int ts_source = PKT_TSTAMP_SOURCE_SOFTWARE;
    if (o->tstamp_type != NULL) {
        ts_source = tstamp_source(o->tstamp_type);
        if (ts_source < 0) {
            fprintf(stderr, PD_PROG ": invalid time stamp type %s\n", o->tstamp_type);
            return 1;
        }
        uint8_t srcs[8];
        int n = pkt_tstamp_sources(o->iface, srcs, sizeof srcs);
        bool ok = false;
        for (int i = 0; i < n && i < (int)sizeof srcs; i++)
            ok = ok || srcs[i] == ts_source;
        if (!ok) {
            fprintf(stderr,
                    PD_PROG ": WARNING: When trying to set timestamp type '%s' on %s: That type "
                            "of time stamp is not supported by that device\n",
                    o->tstamp_type, ifname);
            ts_source = PKT_TSTAMP_SOURCE_SOFTWARE;
        }
    }
    uint16_t dlt = pkt_dlt_of(arphrd, cooked);
    uint32_t net = 0, mask = 0;
    if (o->iface != NULL && pkt_lookupnet(o->iface, &net, &mask) < 0)
        mask = 0;
    int status = 0;
    pkt_bpf_insn_t *prog = NULL;
    uint32_t prog_len = 0;
    bool compiled = false;
    status = compile(o, dlt, o->snaplen ? o->snaplen : PD_DEFAULT_SNAPLEN, mask,
                     PKT_COMPILE_LIVE, &prog, &prog_len, &compiled);
    if (status != 0)
        return status;

    /* Always start from the defaults: fields added later get sane values. */
    pkt_config_t cfg;
    pkt_config_default(&cfg);
    cfg.promiscuous = o->promiscuous;
    cfg.direction = o->direction;
    cfg.immediate = o->immediate;
    cfg.snaplen = o->snaplen;
    cfg.cooked = cooked;
    cfg.tstamp_resolution = o->nano ? PKT_TSTAMP_NANO : PKT_TSTAMP_MICRO;
    cfg.tstamp_source = (uint8_t)ts_source;
    cfg.filter = prog;
    cfg.filter_len = prog_len;
    if (o->buffer_kib != 0)
        cfg.buffer_size = (int64_t)o->buffer_kib * 1024;
    else if (o->immediate)
        cfg.buffer_size = IMMEDIATE_RING;
    else if (o->write_path != NULL)
        cfg.buffer_size = WRITE_RING;
    /* A status line needs the loop to wake up once a second even on a quiet link. */
    bool status_line = o->write_path != NULL && !o->print && isatty(STDERR_FILENO);
    if (status_line)
        cfg.read_timeout_ms = 1000;

    if (o->threads > 1) {
        status = pd_run_threads(o, &cfg, prog, prog_len, ifname,
                                o->snaplen ? o->snaplen : PD_DEFAULT_SNAPLEN);
        free_prog(prog, compiled);
        return status;
    }

    struct capture c;
    memset(&c, 0, sizeof c);
    int rc = pkt_open(o->iface, &cfg, &c.h);
    free_prog(prog, compiled); /* pkt_open copied it */
    if (rc < 0) {
        pd_open_error(ifname, rc);
        return 1;
    }
    pkt_config_t eff;
    rc = pkt_get_config(c.h, &eff);
    if (rc < 0) {
        report("pkt_get_config", rc);
        pkt_close(c.h);
        return 1;
    }
    dlt = pkt_dlt(c.h);
    uint32_t file_snaplen = o->snaplen ? o->snaplen : PD_DEFAULT_SNAPLEN;

    c.print = o->write_path == NULL || o->print;
    c.count_only = o->count_only;
    c.count = o->count;
    setup_printer(&c.pr, o);
    c.pr.dlt = eff.cooked ? PD_DLT_COOKED_LIVE : PKT_DLT_EN10MB;
    c.pr.tag_in_meta = !eff.vlan_insert;
    if (o->write_path != NULL && open_dumper(&c, o, dlt, file_snaplen) != 0) {
        pkt_close(c.h);
        return 1;
    }
    if (o->user != NULL && pd_drop_privileges(o->user) != 0) {
        close_dumper(&c, NULL);
        pkt_close(c.h);
        return 1;
    }
    if (c.print)
        setvbuf(stdout, NULL, _IOLBF, 0); /* each line as soon as it is printed */

    char dname[96];
    pd_dlt_text(dlt, dname, sizeof dname);
    if (c.print && !o->verbose && !o->count_only)
        fprintf(stderr, PD_PROG ": verbose output suppressed, use -v[v]... for full protocol "
                        "decode\n");
    fprintf(stderr, "listening on %s, link-type %s, snapshot length %" PRIu32 " bytes\n", ifname,
            dname, file_snaplen);
    if (o->verbose > 2)
        fprintf(stderr, PD_PROG ": libpkt %s, %s ring of %lld bytes%s%s\n", pkt_version(),
                eff.immediate ? "TPACKET_V2" : "TPACKET_V3", (long long)eff.buffer_size,
                prog_len ? ", filter attached" : "", eff.cooked ? ", cooked" : "");

    g_handles[0] = c.h; /* from here on a signal breaks the read */
    double last_t = now_s();
    uint64_t last_n = 0;
    bool status_shown = false;
    while (!g_stop && c.error == 0 && !c.limit && (c.count == 0 || c.captured < c.count)) {
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
        if (c.writing && o->packet_buffered && rc > 0 && c.error == 0 && !c.limit &&
            pd_writer_flush(&c.w) != 0) {
            status = 1;
            break;
        }
        if (status_line) {
            double t = now_s();
            if (t - last_t >= 1.0) {
                pkt_stats_t st;
                if (pkt_stats(c.h, true, &st) == 0) {
                    double bytes = (double)pd_writer_bytes(&c.w);
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
    g_handles[0] = NULL; /* the handler must not touch a closed handle */
    if (c.error != 0)
        status = 1;
    if (status_shown)
        fputc('\n', stderr);
    limit_reached(&c, o);

    pkt_stats_t st = {0, 0};
    rc = pkt_stats(c.h, true, &st);
    if (rc < 0) {
        report("pkt_stats", rc);
        status = 1;
    }
    if (close_dumper(&c, rc == 0 ? &st : NULL) != 0)
        status = 1;
    if (o->count_only)
        printf("%" PRIu64 " packet%s\n", c.captured, c.captured == 1 ? "" : "s");
    if (c.print)
        fflush(stdout);
    pd_printer_free(&c.pr);
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
    if (rc < 0 && o.expr_path != NULL)
        rc = read_expr_file(o.expr_path, &o.expr) != 0 ? 1 : -1;
    if (rc < 0 && o.list_ifaces)
        rc = pd_list_ifaces();
    else if (rc < 0 && o.list_dlts) {
        char def[PKT_IFNAMSIZ + 1];
        const char *ifn = o.iface;
        if (!o.iface_given && pkt_default_iface(def, sizeof def) > 0)
            ifn = def;
        rc = pd_list_dlts(ifn);
    }
    else if (rc < 0 && o.list_tstamp_types)
        rc = pd_list_tstamp_types(o.iface);
    if (rc < 0)
        rc = install_stop_handlers() != 0 ? 1 : o.read_path ? run_offline(&o) : run_capture(&o);
    free(o.expr);
    return rc;
}
