/* pktdump's -w output: the dumper, and tcpdump 4.99.3's savefile rotation.
 *
 *   -C SIZE   before writing a packet, when the file already holds more than SIZE * 1000000
 *             bytes (header and records), close it and open the next one: FILE, FILE1, FILE2,
 *             ...; so a file exceeds SIZE by at most the last packet written to it
 *   -W N      with -C: the numbers are N values wide (FILE0 .. FILE9 for 10, FILE00 .. FILE10
 *             for 11) and wrap around after N files (the oldest is overwritten); with -G and
 *             no -C: stop after N files
 *   -G SECS   at the first packet SECS or more seconds (time(2), whole seconds) after the
 *             current file was opened, close it and open the next; FILE goes through
 *             strftime(3) with the local time of that moment (without % patterns every file
 *             gets the same name); with -C too, the -C numbers start again at 0 each time
 *   -z CMD    run CMD FILE (fork, lowest priority, execlp; not waited for) after closing a
 *             file by rotation; not for the file open at the end
 *
 * This follows tcpdump.c's dump_packet_and_trunc and MakeFilename (read for behaviour). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pktdump.h"

_Static_assert(sizeof(((struct pd_writer *)0)->cur) == PATH_MAX + 1, "cur holds a path");

/* tcpdump's getWflagChars: the digits of n - 1 (0 for 1). */
static int digits_of(int n)
{
    int c = 0;
    for (n -= 1; n > 0; n /= 10)
        c++;
    return c;
}

/* tcpdump's MakeFilename: the name through strftime when -G is on, then the number cnt in
 * width digits unless both are 0. Returns 0, or 1 after reporting a name that is too long. */
static int make_name(struct pd_writer *w, int cnt, int digits)
{
    char name[PATH_MAX + 1];
    if (w->rotate_secs != 0) {
        struct tm tm;
        if (localtime_r(&w->interval_start, &tm) == NULL) {
            fprintf(stderr, PD_PROG ": localtime: %s\n", strerror(errno));
            return 1;
        }
        if (strftime(name, PATH_MAX, w->base, &tm) == 0)
            name[0] = '\0'; /* too long, or empty */
    } else {
        snprintf(name, sizeof name, "%s", w->base);
    }
    if (cnt == 0 && digits == 0) {
        snprintf(w->cur, sizeof w->cur, "%s", name);
    } else if (snprintf(w->cur, sizeof w->cur, "%s%0*d", name, digits, cnt) > PATH_MAX) {
        fprintf(stderr, PD_PROG ": too many output files or filename is too long (> %d)\n",
                PATH_MAX);
        return 1;
    }
    return 0;
}

static int open_current(struct pd_writer *w)
{
    int rc = pkt_dump_open(w->cur, w->dlt, w->snaplen, w->flags, &w->d);
    if (rc < 0) {
        w->d = NULL;
        fprintf(stderr, PD_PROG ": %s: %s\n", w->cur, pkt_errmsg());
        return 1;
    }
    return 0;
}

/* Reaps the -z commands that have finished (pktdump has no other children). */
static void reap(void)
{
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
}

/* -z: CMD FILE in the background at the lowest priority, as tcpdump's compress_savefile. */
static void run_command(const struct pd_writer *w)
{
    reap();
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, PD_PROG ": compress_savefile: fork failed: %s\n", strerror(errno));
        return;
    }
    if (pid > 0)
        return;
    if (setpriority(PRIO_PROCESS, 0, 19) != 0) {
        /* tcpdump ignores this too */
    }
    execlp(w->command, w->command, w->cur, (char *)NULL);
    fprintf(stderr, PD_PROG ": compress_savefile: execlp(%s, %s) failed: %s\n", w->command,
            w->cur, strerror(errno));
    _exit(1); /* not exit(): the parent's stdio buffers and atexit handlers are not ours */
}

/* Closes the file for a rotation and runs -z on it. Returns 0, or PD_WRITE_ERROR. */
static int close_for_rotation(struct pd_writer *w)
{
    int64_t bytes = pkt_dump_bytes(w->d);
    int rc = pkt_dump_close(w->d);
    w->d = NULL;
    if (bytes > 0)
        w->closed_bytes += bytes;
    if (rc < 0) {
        fprintf(stderr, PD_PROG ": %s: %s\n", w->cur, pkt_errmsg());
        return PD_WRITE_ERROR;
    }
    if (w->command != NULL)
        run_command(w);
    return 0;
}

int pd_writer_open(struct pd_writer *w, const struct pd_options *o, uint16_t dlt,
                   uint32_t snaplen)
{
    memset(w, 0, sizeof *w);
    w->base = o->write_path;
    w->dlt = dlt;
    w->snaplen = snaplen;
    w->flags = (o->pcapng ? PKT_DUMP_PCAPNG : 0) | (o->nano ? PKT_DUMP_NANO : 0);
    w->file_size = o->file_size;
    w->rotate_secs = o->rotate_secs;
    w->file_count = o->file_count;
    w->digits = o->file_count > 0 ? digits_of(o->file_count) : 0;
    w->interval_start = o->rotate_start;
    /* -z and -W do something only when -C or -G rotates */
    w->command = w->file_size != 0 || w->rotate_secs != 0 ? o->rotate_cmd : NULL;
    /* the first file: numbered only with -C */
    if (make_name(w, 0, w->file_size != 0 ? w->digits : 0) != 0)
        return 1;
    return open_current(w);
}

int pd_writer_write(struct pd_writer *w, const uint8_t *data, const pkt_info_t *info)
{
    if (w->d == NULL)
        return PD_WRITE_ERROR;
    /* -G first: a time rotation and a size rotation due at the same packet make one new file */
    if (w->rotate_secs != 0) {
        time_t t = time(NULL);
        if (t != (time_t)-1 && t - w->interval_start >= w->rotate_secs) {
            w->interval_start = t;
            w->time_count++;
            if (close_for_rotation(w) != 0)
                return PD_WRITE_ERROR;
            if (w->file_size == 0 && w->file_count > 0 && w->time_count >= w->file_count)
                return PD_WRITE_LIMIT;
            w->size_count = 0;
            if (make_name(w, 0, w->file_size != 0 ? w->digits : 0) != 0 || open_current(w) != 0)
                return PD_WRITE_ERROR;
        }
    }
    if (w->file_size != 0 && pkt_dump_bytes(w->d) > w->file_size) {
        if (close_for_rotation(w) != 0)
            return PD_WRITE_ERROR;
        w->size_count++;
        if (w->file_count > 0 && w->size_count >= w->file_count)
            w->size_count = 0;
        if (make_name(w, w->size_count, w->digits) != 0 || open_current(w) != 0)
            return PD_WRITE_ERROR;
    }
    if (pkt_dump_write(w->d, data, info) < 0) {
        fprintf(stderr, PD_PROG ": %s: %s\n", w->cur, pkt_errmsg());
        return PD_WRITE_ERROR;
    }
    return 0;
}

int pd_writer_flush(struct pd_writer *w)
{
    if (w->d != NULL && pkt_dump_flush(w->d) < 0) {
        fprintf(stderr, PD_PROG ": %s: %s\n", w->cur, pkt_errmsg());
        return PD_WRITE_ERROR;
    }
    return 0;
}

int64_t pd_writer_bytes(struct pd_writer *w)
{
    int64_t b = w->d != NULL ? pkt_dump_bytes(w->d) : 0;
    return w->closed_bytes + (b > 0 ? b : 0);
}

int pd_writer_close(struct pd_writer *w, const pkt_stats_t *st, bool failed)
{
    int status = 0;
    if (w->command != NULL)
        reap();
    if (w->d == NULL)
        return 0;
    if (st != NULL && !failed && pkt_dump_stats(w->d, st) < 0) {
        fprintf(stderr, PD_PROG ": %s: %s\n", w->cur, pkt_errmsg());
        status = 1;
    }
    int rc = pkt_dump_close(w->d); /* flushes */
    w->d = NULL;
    if (rc < 0 && !failed) {
        fprintf(stderr, PD_PROG ": %s: %s\n", w->cur, pkt_errmsg());
        status = 1;
    }
    return status;
}
