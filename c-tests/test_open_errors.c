/* pkt_open failures: unknown and over-long interface names (-ENODEV), invalid configurations
 * and filters (-EINVAL); *out stays untouched; pkt_errmsg() says what failed, per thread. */
#include "common.h"

#include <pthread.h>

static pkt_t *const SENTINEL_HANDLE = (pkt_t *)(uintptr_t)0x1234;

static void expect_open_fails(const char *ifname, const pkt_config_t *cfg, int want,
                              const char *what)
{
    pkt_t *h = SENTINEL_HANDLE;
    int rc = pkt_open(ifname, cfg, &h);
    CHECKF(rc == want, "%s: pkt_open returned %d (%s), expected %d (%s); pkt_errmsg \"%s\"",
           what, rc, pkt_strerror(rc), want, pkt_strerror(want), pkt_errmsg());
    CHECKF(h == SENTINEL_HANDLE, "%s: failing pkt_open wrote *out", what);
    const char *m = pkt_errmsg();
    CHECKF(m != NULL && m[0] != '\0', "%s: pkt_errmsg() is empty after a failure", what);
}

static void *thread_fail(void *arg)
{
    (void)arg;
    pkt_t *h = SENTINEL_HANDLE;
    int rc = pkt_open("nonexistent1", NULL, &h);
    if (rc != -ENODEV || pkt_errmsg()[0] == '\0')
        return (void *)"thread: expected -ENODEV with a message";
    return NULL;
}

int main(void)
{
    test_init("test_open_errors", 30);
    pkt_config_t c;

    /* unknown interface */
    expect_open_fails("nonexistent0", NULL, -ENODEV, "nonexistent0");
    const char *m = pkt_errmsg();
    note("pkt_errmsg after opening nonexistent0: \"%s\"", m);
    CHECKF(strstr(m, "nonexistent0") != NULL || strchr(m, ':') != NULL,
           "pkt_errmsg \"%s\" names neither the interface nor a failing step", m);

    /* names of IFNAMSIZ (16) bytes or more cannot exist */
    expect_open_fails("abcdefghijklmnop", NULL, -ENODEV, "16-char name");
    expect_open_fails("v0v0v0v0v0v0v0v0v0v0v0v0v0v0v0v0v0v0v0v0v0v0v0v0v0v0v0v0v0v0v0v0v0v0v0"
                      "v0v0v0v0v0v0v0v0v0v0v0v0v0v0v0",
                      NULL, -ENODEV, "100-char name");
    expect_open_fails("v0 ", NULL, -ENODEV, "name with a trailing space");
    /* A 16-byte name must not be cut to 15 bytes and open the interface that has those 15. */
    CHECK(strlen("pktlong12345678") == 15);
    sh_ok("ip link add pktlong12345678 type veth peer name pktlongpeer"
          " && ip link set pktlong12345678 up && ip link set pktlongpeer up");
    pkt_t *lh = open_ok("pktlong12345678", NULL);
    CHECK_RC(pkt_close(lh), 0);
    expect_open_fails("pktlong12345678X", NULL, -ENODEV, "16-char name whose prefix exists");
    sh_ok("ip link del pktlong12345678");

    /* invalid configurations */
    pkt_config_default(&c);
    c.direction = 3;
    expect_open_fails("v0", &c, -EINVAL, "direction 3");
    pkt_config_default(&c);
    c.tstamp_resolution = 2;
    expect_open_fails("v0", &c, -EINVAL, "tstamp_resolution 2");
    pkt_config_default(&c);
    c.filter = NULL;
    c.filter_len = 4;
    expect_open_fails("v0", &c, -EINVAL, "filter_len 4 without filter");

    /* broken filter programs at open */
    pkt_bpf_insn_t no_ret[2] = {BPF_STMT_(OP_LD_IMM, 0), BPF_STMT_(OP_LD_IMM, 1)};
    pkt_config_default(&c);
    c.filter = no_ret;
    c.filter_len = 2;
    expect_open_fails("v0", &c, -EINVAL, "filter without ret");
    pkt_bpf_insn_t jump_out[2] = {BPF_JUMP_(OP_JEQ_K, 1, 5, 0), BPF_STMT_(OP_RET_K, 0)};
    c.filter = jump_out;
    expect_open_fails("v0", &c, -EINVAL, "filter jumping out of range");
    note("pkt_errmsg after a bad filter at open: \"%s\"", pkt_errmsg());

    /* a NULL out-pointer is refused before anything happens */
    CHECK_RC(pkt_open("v0", NULL, NULL), -EINVAL);

    /* pkt_errmsg is per thread: another thread's failure does not change this thread's */
    pkt_config_default(&c);
    c.direction = 9;
    expect_open_fails("v0", &c, -EINVAL, "direction 9");
    char mine[1024];
    snprintf(mine, sizeof mine, "%s", pkt_errmsg());
    pthread_t t;
    void *res = NULL;
    CHECK(pthread_create(&t, NULL, thread_fail, NULL) == 0);
    CHECK(pthread_join(t, &res) == 0);
    CHECKF(res == NULL, "%s", (const char *)res);
    CHECKF(strcmp(mine, pkt_errmsg()) == 0,
           "this thread's pkt_errmsg changed from \"%s\" to \"%s\" after another thread failed",
           mine, pkt_errmsg());

    /* the failures left the library usable */
    pkt_t *h = open_ok("v0", NULL);
    CHECK_RC(pkt_close(h), 0);
    return test_pass();
}
