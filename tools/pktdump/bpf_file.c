/* pktdump --bpf-file FILE: a classic BPF program in tcpdump -ddd format. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* strtok_r */
#endif

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pktdump.h"

#define BPF_MAX_INSNS 4096u /* the kernel's limit (BPF_MAXINSNS) */

/* Splits a line into at most max decimal fields; '#' starts a comment. Returns the count, or -1
 * for a field that is not a plain decimal number (its text in *bad), or max + 1 for too many. */
static int split_numbers(char *line, uint64_t *out, int max, const char **bad)
{
    int n = 0;
    char *save = NULL;
    char *hash = strchr(line, '#');
    if (hash)
        *hash = '\0';
    static const char space[] = " \t\r\n";
    for (char *tok = strtok_r(line, space, &save); tok; tok = strtok_r(NULL, space, &save)) {
        if (n == max)
            return max + 1;
        if (!pd_parse_number(tok, 0, UINT64_MAX, &out[n])) {
            *bad = tok;
            return -1;
        }
        n++;
    }
    return n;
}

int pd_load_filter(const char *path, pkt_bpf_insn_t **prog_out, uint32_t *len_out)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, PD_PROG ": %s: %s\n", path, strerror(errno));
        return 1;
    }
    char line[512];
    unsigned lineno = 0;
    uint64_t count = 0;
    uint32_t have = 0;
    pkt_bpf_insn_t *prog = NULL;
    int status = 0;
    const char *why = NULL;
    char detail[160] = "";

    while (fgets(line, sizeof line, f) != NULL) {
        lineno++;
        if (strchr(line, '\n') == NULL && !feof(f)) {
            why = "line too long";
            break;
        }
        uint64_t v[4];
        const char *bad = NULL;
        int n = split_numbers(line, v, 4, &bad);
        if (n == 0)
            continue;
        if (n < 0) {
            snprintf(detail, sizeof detail, "'%s' is not a decimal number%s", bad,
                     prog == NULL ? " (a filter expression? give it with -F or after the flags)"
                                  : "");
            why = detail;
            break;
        }
        if (prog == NULL) {
            if (n != 1) {
                why = "the first line must hold the instruction count alone";
                break;
            }
            if (v[0] < 1 || v[0] > BPF_MAX_INSNS) {
                snprintf(detail, sizeof detail, "instruction count %" PRIu64 " is not 1..%u", v[0],
                         BPF_MAX_INSNS);
                why = detail;
                break;
            }
            count = v[0];
            prog = calloc((size_t)count, sizeof *prog);
            if (prog == NULL) {
                why = "out of memory";
                break;
            }
            continue;
        }
        if (have == count) {
            snprintf(detail, sizeof detail, "more instructions than the count (%" PRIu64 ") says",
                     count);
            why = detail;
            break;
        }
        if (n != 4) {
            snprintf(detail, sizeof detail, "instruction %u needs 4 numbers (code jt jf k), got %d",
                     have + 1, n);
            why = detail;
            break;
        }
        if (v[0] > UINT16_MAX || v[1] > UINT8_MAX || v[2] > UINT8_MAX || v[3] > UINT32_MAX) {
            snprintf(detail, sizeof detail,
                     "instruction %u out of range (code <= 65535, jt and jf <= 255, "
                     "k <= 4294967295)",
                     have + 1);
            why = detail;
            break;
        }
        prog[have].code = (uint16_t)v[0];
        prog[have].jt = (uint8_t)v[1];
        prog[have].jf = (uint8_t)v[2];
        prog[have].k = (uint32_t)v[3];
        have++;
    }
    if (why == NULL && ferror(f)) {
        fprintf(stderr, PD_PROG ": %s: read error\n", path);
        status = 1;
    } else if (why != NULL) {
        fprintf(stderr, PD_PROG ": %s:%u: %s\n", path, lineno, why);
        status = PD_EXIT_USAGE;
    } else if (prog == NULL) {
        fprintf(stderr, PD_PROG ": %s: empty filter file (want tcpdump -ddd output)\n", path);
        status = PD_EXIT_USAGE;
    } else if (have != count) {
        fprintf(stderr,
                PD_PROG ": %s:%u: the count says %" PRIu64 " instructions, the file has %u\n",
                path, lineno, count, have);
        status = PD_EXIT_USAGE;
    }
    fclose(f);
    if (status != 0) {
        free(prog);
        return status;
    }
    *prog_out = prog;
    *len_out = have;
    return 0;
}
