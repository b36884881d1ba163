/* pkt_lookupnet: an interface's IPv4 network and netmask in network byte order, against
 * libpcap's pcap_lookupnet on the same interfaces: several addresses (the first counts), a peer
 * address, none (-EADDRNOTAVAIL, "no IPv4 address assigned"), an address only under a label, a
 * down interface, a name that is not UTF-8, no such interface (-ENODEV); NULL, "" and "any" give
 * 0/0. A netmask of 0 gives the class mask (libpcap means to, but on a little-endian machine it
 * applies the class test to the network-order value: there the two differ, which is noted). */
#include "common.h"

#ifdef PKT_NO_LIBPCAP
int main(void)
{
    test_init("test_iface_lookupnet", 10);
    SKIP("libpcap-dev is not installed: it is this test's oracle");
}
#else

#include <arpa/inet.h>
#include <pcap/pcap.h>

#define NAME_E9 "\xe9t0"
#define SH_E9 "\"$(printf '\\351t0')\""

static uint32_t ip(const char *text)
{
    struct in_addr a;
    CHECK(inet_pton(AF_INET, text, &a) == 1);
    return a.s_addr;
}

static const char *str(uint32_t a)
{
    static char buf[4][INET_ADDRSTRLEN];
    static int k;
    struct in_addr in = {.s_addr = a};
    k = (k + 1) % 4;
    inet_ntop(AF_INET, &in, buf[k], sizeof buf[k]);
    return buf[k];
}

/* pkt_lookupnet must succeed with net/mask. */
static void want_net(const char *name, const char *net, const char *mask)
{
    uint32_t n = 0xdeadbeef, m = 0xdeadbeef;
    int rc = pkt_lookupnet(name, &n, &m);
    CHECKF(rc == 0, "pkt_lookupnet(%s) returned %d (%s): %s", name ? name : "NULL", rc,
           pkt_strerror(rc), pkt_errmsg());
    CHECKF(n == ip(net) && m == ip(mask), "pkt_lookupnet(%s): %s/%s, expected %s/%s",
           name ? name : "NULL", str(n), str(m), net, mask);
}

/* pkt_lookupnet must fail with `code`, writing nothing. */
static void want_error(const char *name, int code, const char *msg)
{
    uint32_t n = 0xdeadbeef, m = 0xdeadbeef;
    CHECK_RC(pkt_lookupnet(name, &n, &m), code);
    CHECK(n == 0xdeadbeef && m == 0xdeadbeef);
    CHECKF(msg == NULL || strstr(pkt_errmsg(), msg) != NULL, "pkt_lookupnet(%s): message \"%s\"",
           name, pkt_errmsg());
}

/* Both libraries on `name`: equal results (or both fail). Returns libpcap's status. */
static int compare(const char *name)
{
    char err[PCAP_ERRBUF_SIZE] = "";
    bpf_u_int32 pn = 0, pm = 0;
    int prc = pcap_lookupnet(name, &pn, &pm, err);
    uint32_t n = 0, m = 0;
    int rc = pkt_lookupnet(name, &n, &m);
    if (prc == 0)
        CHECKF(rc == 0 && n == pn && m == pm, "%s: libpcap %s/%s, libpkt %d %s/%s",
               name ? name : "NULL", str(pn), str(pm), rc, str(n), str(m));
    else
        CHECKF(rc < 0, "%s: libpcap fails (%s), libpkt gives %s/%s", name ? name : "NULL", err,
               str(n), str(m));
    return prc;
}

int main(void)
{
    test_init("test_iface_lookupnet", 60);
    const char *kind = "dummy";
    if (sh("ip link add d0 type dummy 2>/dev/null") != 0) {
        kind = "ifb";
        if (sh("ip link add d0 type ifb") != 0)
            SKIP("neither dummy nor ifb interfaces can be created");
    }
    sh_ok("ip link add d1 type %s && ip link add d2 type %s", kind, kind);
    bool e9 = sh("ip link add " SH_E9 " type %s", kind) == 0;
    sh_ok("ip addr add 10.1.0.1/24 brd + dev v0 && ip addr add 10.1.1.1/24 dev v0 &&"
          " ip addr add 10.1.2.1/16 label v0:3 dev v0");
    sh_ok("ip addr add 10.0.0.1 peer 10.0.0.2 dev d0 && ip link set d0 up");
    sh_ok("ip addr add 10.4.0.1/0 dev d1");        /* down, netmask 0 */
    sh_ok("ip addr add 172.20.0.1/12 label d2:1 dev d2 && ip link set d2 up");
    if (e9)
        sh_ok("ip addr add 10.9.0.1/16 dev " SH_E9);

    want_net("v0", "10.1.0.0", "255.255.255.0");
    want_net("v0:3", "10.1.0.0", "255.255.0.0"); /* the label's own address: 10.1.2.1/16 */
    want_net("d0", "10.0.0.1", "255.255.255.255");
    want_net("lo", "127.0.0.0", "255.0.0.0");
    want_net("d1", "10.0.0.0", "255.0.0.0");     /* class A */
    want_net("d2:1", "172.16.0.0", "255.240.0.0");
    if (e9)
        want_net(NAME_E9, "10.9.0.0", "255.255.0.0");
    want_net(NULL, "0.0.0.0", "0.0.0.0");
    want_net("", "0.0.0.0", "0.0.0.0");
    want_net("any", "0.0.0.0", "0.0.0.0");

    want_error("v1", -EADDRNOTAVAIL, "no IPv4 address assigned");
    want_error("d2", -EADDRNOTAVAIL, "no IPv4 address assigned"); /* only under a label */
    want_error("nope0", -ENODEV, "nope0");
    want_error("\xe9x9", -ENODEV, NULL);
    want_error("abcdefghijklmnopq", -ENODEV, NULL);
    uint32_t n = 1, m = 2;
    CHECK_RC(pkt_lookupnet("v0", NULL, &m), -EINVAL);
    CHECK_RC(pkt_lookupnet("v0", &n, NULL), -EINVAL);
    CHECK(n == 1 && m == 2);

    /* libpcap on the same names */
    const char *names[] = {"v0", "v0:3", "d0", "lo", "v1", "d2", "d2:1", "nope0", "any", NULL};
    for (int i = 0; names[i] != NULL; i++)
        compare(names[i]);
    CHECK(compare(NULL) == 0);
    if (e9)
        CHECK(compare(NAME_E9) == 0);
    char err[PCAP_ERRBUF_SIZE];
    bpf_u_int32 pn, pm;
    CHECK(pcap_lookupnet("v1", &pn, &pm, err) != 0 && strstr(err, "no IPv4 address assigned"));
    /* netmask 0: libpkt uses the class mask of the address */
    if (pcap_lookupnet("d1", &pn, &pm, err) == 0 && (pn != ip("10.0.0.0") || pm != ip("255.0.0.0")))
        note("libpcap gives d1 (10.4.0.1/0) %s/%s, libpkt 10.0.0.0/255.0.0.0", str(pn), str(pm));
    else
        CHECK(compare("d1") == 0);
    return test_pass();
}
#endif /* PKT_NO_LIBPCAP */
