/* pkt_compile without a socket: valid programs for every link type and flag combination, bad
 * expressions refused with -EINVAL and a position in pkt_errmsg, too-long programs with
 * -E2BIG, bad arguments with -EINVAL, pkt_free_prog(NULL). */
#include "common.h"

static void ok(const char *expr, uint16_t lt, uint32_t flags)
{
    pkt_bpf_insn_t *p = NULL;
    size_t n = 0;
    int rc = pkt_compile(expr, lt, 96, flags, &p, &n);
    CHECKF(rc == 0, "pkt_compile(\"%s\", %u, flags %u): %d (%s)", expr, lt, flags, rc, pkt_errmsg());
    CHECK(p != NULL && n > 0);
    /* The last instruction returns; accept returns the snaplen somewhere. */
    CHECK(p[n - 1].code == 0x06);
    bool has_snap = false;
    for (size_t i = 0; i < n; i++)
        has_snap |= p[i].code == 0x06 && p[i].k == 96;
    CHECK(has_snap);
    pkt_free_prog(p);
}

static void bad(const char *expr, uint16_t lt, const char *pos)
{
    pkt_bpf_insn_t *p = (pkt_bpf_insn_t *)&p;
    size_t n = 12345;
    int rc = pkt_compile(expr, lt, 0, 0, &p, &n);
    CHECKF(rc == -EINVAL, "pkt_compile(\"%s\"): %d, expected -EINVAL", expr, rc);
    CHECKF(strstr(pkt_errmsg(), pos) != NULL, "pkt_compile(\"%s\"): message \"%s\" lacks \"%s\"",
           expr, pkt_errmsg(), pos);
    /* out-parameters untouched on failure */
    CHECK(p == (pkt_bpf_insn_t *)&p && n == 12345);
}

int main(void)
{
    test_init("test_compile_errors", 30);
    const uint16_t lts[] = {PKT_DLT_EN10MB, 12, PKT_DLT_RAW, PKT_DLT_LINUX_SLL, PKT_DLT_LINUX_SLL2};
    for (size_t i = 0; i < sizeof lts / sizeof lts[0]; i++)
        for (uint32_t f = 0; f < 4; f++) {
            ok("tcp port 80 or udp port 53", lts[i], f);
            ok("host 10.0.0.1 and not net 192.168.0.0/16", lts[i], f);
            ok("ip and tcp[tcpflags] & tcp-syn != 0", lts[i], f);
            ok("", lts[i], f);
        }
    ok("vlan 100 and ip", PKT_DLT_EN10MB, 0);
    ok("vlan 100 and ip", PKT_DLT_EN10MB, PKT_COMPILE_LIVE);
    ok("inbound", PKT_DLT_LINUX_SLL2, 0);
    ok("inbound", PKT_DLT_EN10MB, PKT_COMPILE_LIVE);
    /* offline = libpcap's dead handle on Linux: ancillary loads where the header lacks them */
    ok("inbound", PKT_DLT_EN10MB, 0);
    ok("ifindex 3 and outbound", PKT_DLT_RAW, PKT_COMPILE_OPTIMIZE);

    bad("tcp port", PKT_DLT_EN10MB, "position 8");
    bad("host 1.2.3.4 and", PKT_DLT_EN10MB, "position 16");
    bad("(tcp", PKT_DLT_EN10MB, "position 4");
    bad("tcp @ udp", PKT_DLT_EN10MB, "position 4");
    bad("ip[0:3] = 1", PKT_DLT_EN10MB, "position 0");
    bad("port 99999", PKT_DLT_EN10MB, "position 5");
    bad("vlan 100", PKT_DLT_LINUX_SLL, "position 0");
    bad("gateway foo", PKT_DLT_EN10MB, "position 8");
    bad("tcp", 9999, "link type");

    /* 600 hosts: longer than the kernel's 4096 instructions */
    size_t cap = 600 * 32;
    char *big = malloc(cap);
    CHECK(big != NULL);
    size_t off = 0;
    for (int i = 0; i < 600; i++)
        off += (size_t)snprintf(big + off, cap - off, "%shost 10.0.%d.%d", i ? " or " : "",
                                i / 256, i % 256);
    pkt_bpf_insn_t *p = NULL;
    size_t n = 0;
    CHECK_RC(pkt_compile(big, PKT_DLT_EN10MB, 0, 0, &p, &n), -E2BIG);
    free(big);

    CHECK_RC(pkt_compile(NULL, PKT_DLT_EN10MB, 0, 0, &p, &n), -EINVAL);
    CHECK_RC(pkt_compile("tcp", PKT_DLT_EN10MB, 0, 0, NULL, &n), -EINVAL);
    CHECK_RC(pkt_compile("tcp", PKT_DLT_EN10MB, 0, 0, &p, NULL), -EINVAL);
    CHECK_RC(pkt_compile("tcp", PKT_DLT_EN10MB, 0, 16, &p, &n), -EINVAL);
    pkt_free_prog(NULL);
    return test_pass();
}
