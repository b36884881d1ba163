/* pktdump's command line: bad flags and values exit 2 with the usage on stderr; -h and --help
 * print it on stdout and exit 0; a bad -F file exits 2 naming the file and line, a malformed
 * filter expression exits 2 with pkt_compile's message; errors from
 * libpkt (no such interface, a program the kernel refuses) exit 1 with pkt_errmsg's text. */
#include "pktdump_harness.h"

/* pktdump ARGS... must exit with `code`, and stderr (or stdout for 0) must hold `want`. */
static void expect(int code, const char *want, const char *const *args)
{
    pd_proc_t p;
    int rc = pd_run(&p, args, 10000);
    const char *text = pd_text(&p, code == 0 ? PD_OUT : PD_ERR);
    if (rc != code || strstr(text, want) == NULL ||
        (code == 2 && strstr(text, "usage: pktdump") == NULL && strstr(want, ".bpf:") == NULL &&
         strstr(want, "filter file") == NULL && strstr(want, "filter expression") == NULL)) {
        pd_dump_output(&p);
        FAIL("%s ...: exit %d (want %d), looking for \"%s\"", args[0] ? args[0] : "", rc, code,
             want);
    }
    if (code == 0 && pd_text(&p, PD_ERR)[0] != '\0') {
        pd_dump_output(&p);
        FAIL("%s: something on stderr", args[0]);
    }
    pd_free(&p);
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

int main(void)
{
    test_init("pktdump_args", 90);

    expect(0, "usage: pktdump", ARGS("-h"));
    expect(0, "--bpf-file FILE", ARGS("--help"));
    expect(0, "libpkt", ARGS("--version"));

    expect(2, "unknown option -g", ARGS("-g"));
    expect(2, "unknown option --bogus", ARGS("--bogus"));
    expect(2, "option -c needs a value", ARGS("-c"));
    expect(2, "bad -c value '0'", ARGS("-c", "0"));
    expect(2, "bad -c value 'ten'", ARGS("-c", "ten"));
    expect(2, "bad -c value '-5'", ARGS("-c", "-5"));
    expect(2, "bad -c value '99999999999999999999999'", ARGS("-c", "99999999999999999999999"));
    expect(2, "bad -s value '262145'", ARGS("-s", "262145"));
    expect(2, "bad -s value '1k'", ARGS("-s", "1k"));
    expect(2, "bad -B value '0'", ARGS("-B", "0"));
    expect(2, "bad -Q value 'sideways'", ARGS("-Q", "sideways"));
    expect(2, "bad -i value ''", ARGS("-i", ""));
    expect(2, "go with -w FILE", ARGS("--pcapng"));
    expect(2, "go with -w FILE", ARGS("-i", "v0", "--print"));
    expect(2, "both write to standard output", ARGS("-w", "-", "--print"));
    expect(2, "filter expression 'udp port and'", ARGS("-i", "v0", "udp", "port", "and"));
    expect(2, "exclude each other", ARGS("-i", "v0", "--bpf-file", "/dev/null", "udp"));
    expect(2, "exclude each other", ARGS("-i", "v0", "-F", "/dev/null", "udp"));
    expect(2, "exclude each other", ARGS("-r", "-", "-i", "v0"));
    expect(1, "-I: monitor mode is not supported", ARGS("-I", "-i", "v0"));
    expect(1, "invalid data link type FOO", ARGS("-i", "v0", "-y", "FOO"));
    expect(1, "Couldn't find user 'nosuchuser0'", ARGS("-i", "v0", "-Z", "nosuchuser0"));
    expect(1, "can't open /nonexistent-dir/expr", ARGS("-i", "v0", "-F", "/nonexistent-dir/expr"));
    expect(1, "/nonexistent-dir/x.pcap: No such file or directory",
           ARGS("-r", "/nonexistent-dir/x.pcap"));
    expect(0, "Data link types for v0 (use option -y to set):\n  EN10MB (Ethernet)\n",
           ARGS("-L", "-i", "v0"));
    expect(0, ".v0 [Up, Running, Connected]\n", ARGS("-D"));

    char dir[64], path[128];
    pd_tmpdir(dir, sizeof dir);
    struct {
        const char *text;
        const char *want; /* after "FILE:" */
    } bad[] = {
        {"2\n6 0 0 65535\n", ":2: the count says 2 instructions, the file has 1"},
        {"1\n6 0 0 65535\n6 0 0 0\n", ":3: more instructions than the count (1) says"},
        {"1\n6 0 0\n", ":2: instruction 1 needs 4 numbers (code jt jf k), got 3"},
        {"1\n6 0 0 0 0\n", ":2: instruction 1 needs 4 numbers"},
        {"1\n6 256 0 0\n", ":2: instruction 1 out of range"},
        {"1\n65536 0 0 0\n", ":2: instruction 1 out of range"},
        {"1\n6 0 0 4294967296\n", ":2: instruction 1 out of range"},
        {"# a comment\n\n2\n6 0 0 -1\n6 0 0 0\n", ":4: '-1' is not a decimal number"},
        {"1\nret #0\n", ":2: 'ret' is not a decimal number"},
        {"udp port 53\n",
         ":1: 'udp' is not a decimal number (a filter expression? give it with -F"},
        {"0\n", ":1: instruction count 0 is not 1..4096"},
        {"4097\n", ":1: instruction count 4097 is not 1..4096"},
        {"1 2\n", ":1: the first line must hold the instruction count alone"},
        {"", ": empty filter file"},
        {"\n# nothing\n", ": empty filter file"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(path, sizeof path, "%s/bad%zu.bpf", dir, i);
        pd_write_file(path, bad[i].text);
        char want[256];
        snprintf(want, sizeof want, "%s%s", path, bad[i].want);
        expect(2, want, ARGS("-i", "v0", "--bpf-file", path));
    }

    /* a file that cannot be read: exit 1 */
    snprintf(path, sizeof path, "%s/missing.bpf", dir);
    expect(1, "missing.bpf: No such file or directory", ARGS("-i", "v0", "--bpf-file", path));

    /* well-formed but not a valid program (no ret at the end): libpkt refuses it, exit 1 */
    snprintf(path, sizeof path, "%s/noret.bpf", dir);
    pd_write_file(path, "1\n40 0 0 12\n");
    expect(1, "pktdump: v0: ", ARGS("-i", "v0", "--bpf-file", path));

    expect(1, "pktdump: nosuch0: No such device exists\n", ARGS("-i", "nosuch0"));
    /* an unwritable path: the dumper cannot open, exit 1 */
    expect(1, "/nonexistent-dir/x.pcap", ARGS("-i", "v0", "-w", "/nonexistent-dir/x.pcap"));

    pd_rmdir(dir);
    return test_pass();
}
