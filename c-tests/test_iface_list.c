/* pkt_iface_list: the interfaces of the namespace and "any", with flags, index, ARPHRD, DLT and
 * every address, in libpcap's order; libpcap's pcap_findalldevs is the oracle (same interfaces,
 * same order, same flags, same addresses), and pkt_default_iface against pcap_lookupdev.
 *
 * The namespace gets, besides lo and v0 <-> v1: d0 (a dummy, or an ifb where the kernel has no
 * dummy driver: both Ethernet without a link state) with addresses that have peers, d1 of the
 * same kind left down with a /0 address, tn0 (a tun: point-to-point, raw IP, no carrier) with
 * peer addresses, and "\xe9t0" (a name that is not UTF-8). v0 gets several IPv4 addresses (one
 * under a label) and IPv6 ones, link-local included. Then v0, d0 and "\xe9t0" go down (v1 loses
 * its carrier) and the list is compared again. */
#include "common.h"

#ifdef PKT_NO_LIBPCAP
int main(void)
{
    test_init("test_iface_list", 10);
    SKIP("libpcap-dev is not installed: it is this test's oracle");
}
#else

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <pcap/pcap.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define NAME_E9 "\xe9t0"
#define SH_E9 "\"$(printf '\\351t0')\""

/* ARPHRD values and link types, spelled out. */
#define ARPHRD_ETHER_ 1
#define ARPHRD_LOOPBACK_ 772
#define ARPHRD_NONE_ 0xfffe

static bool have_tun, have_e9;
static const char *kind; /* "dummy" or "ifb" */

/* ---- socket addresses ---- */

static void sa_str(const struct sockaddr *sa, char *buf, size_t n)
{
    if (sa == NULL) {
        snprintf(buf, n, "NULL");
        return;
    }
    char a[INET6_ADDRSTRLEN];
    switch (sa->sa_family) {
    case AF_INET:
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, a, sizeof a);
        snprintf(buf, n, "%s", a);
        break;
    case AF_INET6: {
        const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)(const void *)sa;
        inet_ntop(AF_INET6, &s->sin6_addr, a, sizeof a);
        snprintf(buf, n, "%s%%%u", a, (unsigned)s->sin6_scope_id);
        break;
    }
    case AF_PACKET: {
        const struct sockaddr_ll *l = (const struct sockaddr_ll *)(const void *)sa;
        int k = snprintf(buf, n, "ll(if %d, type %u, len %u) ", l->sll_ifindex, l->sll_hatype,
                         l->sll_halen);
        for (unsigned i = 0; i < l->sll_halen && i < 8 && k > 0 && (size_t)k + 3 < n; i++)
            k += snprintf(buf + k, n - (size_t)k, "%02x", l->sll_addr[i]);
        break;
    }
    default:
        snprintf(buf, n, "family %d", sa->sa_family);
    }
}

static bool sa_equal(const struct sockaddr *a, const struct sockaddr *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    if (a->sa_family != b->sa_family)
        return false;
    switch (a->sa_family) {
    case AF_INET:
        return ((const struct sockaddr_in *)(const void *)a)->sin_addr.s_addr ==
               ((const struct sockaddr_in *)(const void *)b)->sin_addr.s_addr;
    case AF_INET6: {
        const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
        return memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0 &&
               x->sin6_scope_id == y->sin6_scope_id;
    }
    case AF_PACKET: {
        const struct sockaddr_ll *x = (const void *)a, *y = (const void *)b;
        unsigned len = x->sll_halen < 8 ? x->sll_halen : 8;
        return x->sll_ifindex == y->sll_ifindex && x->sll_hatype == y->sll_hatype &&
               x->sll_halen == y->sll_halen && memcmp(x->sll_addr, y->sll_addr, len) == 0;
    }
    default:
        return false;
    }
}

static struct sockaddr_in6 v6(const char *text, uint32_t scope)
{
    struct sockaddr_in6 s;
    memset(&s, 0, sizeof s);
    s.sin6_family = AF_INET6;
    CHECK(inet_pton(AF_INET6, text, &s.sin6_addr) == 1);
    s.sin6_scope_id = scope;
    return s;
}

static struct sockaddr_in v4(const char *text)
{
    struct sockaddr_in s;
    memset(&s, 0, sizeof s);
    s.sin_family = AF_INET;
    CHECK(inet_pton(AF_INET, text, &s.sin_addr) == 1);
    return s;
}

#define SA(x) ((const struct sockaddr *)(const void *)&(x))

/* ---- the list ---- */

static const pkt_iface_t *find(const pkt_iface_t *l, const char *name)
{
    for (; l != NULL; l = l->next)
        if (strcmp(l->name, name) == 0)
            return l;
    FAIL("interface \"%s\" is not in the list", name);
}

/* The address entry of i whose addr equals `addr`; fails if there is none. */
static const pkt_iface_addr_t *find_addr(const pkt_iface_t *i, const struct sockaddr *addr)
{
    for (const pkt_iface_addr_t *a = i->addresses; a != NULL; a = a->next)
        if (sa_equal(a->addr, addr))
            return a;
    char s[128];
    sa_str(addr, s, sizeof s);
    FAIL("%s: no address %s", i->name, s);
}

static void check_sa(const char *what, const char *ifname, const struct sockaddr *got,
                     const struct sockaddr *want)
{
    if (!sa_equal(got, want)) {
        char g[128], w[128];
        sa_str(got, g, sizeof g);
        sa_str(want, w, sizeof w);
        FAIL("%s: %s is %s, expected %s", ifname, what, g, w);
    }
}

static int count_family(const pkt_iface_t *i, int family)
{
    int n = 0;
    for (const pkt_iface_addr_t *a = i->addresses; a != NULL; a = a->next)
        n += a->addr->sa_family == family;
    return n;
}

/* libpcap's figure of merit (pcap.c), from the flags and the name. */
static unsigned merit(unsigned flags, const char *name)
{
    unsigned n = 0;
    if (!(flags & PKT_IF_RUNNING))
        n |= 0x80000000u;
    if (!(flags & PKT_IF_UP))
        n |= 0x40000000u;
    if (!(flags & PKT_IF_WIRELESS) &&
        (flags & PKT_IF_CONNECTION_STATUS) == PKT_IF_CONNECTION_STATUS_DISCONNECTED)
        n |= 0x20000000u;
    if (flags & PKT_IF_LOOPBACK)
        n |= 0x10000000u;
    if (strcmp(name, "any") == 0)
        n |= 0x08000000u;
    return n;
}

/* Generic checks of a list: count, order, indexes, "any", address families in order. */
static void check_shape(const pkt_iface_t *l, int count)
{
    int n = 0, anys = 0;
    const pkt_iface_t *prev = NULL;
    for (const pkt_iface_t *i = l; i != NULL; prev = i, i = i->next) {
        n++;
        CHECK(i->name != NULL && i->name[0] != '\0');
        CHECKF(strlen(i->name) < PKT_IFNAMSIZ, "name \"%s\"", i->name);
        if (strcmp(i->name, "any") == 0) {
            anys++;
            CHECKF(i->flags == (PKT_IF_UP | PKT_IF_RUNNING | PKT_IF_CONNECTION_STATUS_NOT_APPLICABLE),
                   "any: flags 0x%x", i->flags);
            CHECK(i->index == 0);
            CHECK(i->arphrd == PKT_LINKTYPE_NONE);
            CHECK(i->dlt == PKT_DLT_LINUX_SLL2);
            CHECK(i->description != NULL &&
                  strcmp(i->description, "Pseudo-device that captures on all interfaces") == 0);
            CHECK(i->addresses == NULL);
        } else {
            CHECKF(i->index > 0 && (unsigned)i->index == if_nametoindex(i->name),
                   "%s: index %d, if_nametoindex %u", i->name, i->index,
                   if_nametoindex(i->name));
            CHECKF(i->description == NULL, "%s: description \"%s\"", i->name, i->description);
            CHECKF(i->dlt == pkt_dlt_of(i->arphrd, !(i->arphrd == ARPHRD_ETHER_ ||
                                                     i->arphrd == ARPHRD_LOOPBACK_)),
                   "%s: dlt %u for arphrd %u", i->name, i->dlt, i->arphrd);
            CHECKF(pkt_iface_linktype(i->name) ==
                       (i->arphrd == ARPHRD_LOOPBACK_ ? PKT_LINKTYPE_ETHERNET : i->arphrd),
                   "%s: pkt_iface_linktype %u, arphrd %u", i->name, pkt_iface_linktype(i->name),
                   i->arphrd);
        }
        CHECKF((i->flags & ~0x3fu) == 0, "%s: unknown flags 0x%x", i->name, i->flags);
        /* link layer, then IPv4, then IPv6 */
        int rank = 0;
        for (const pkt_iface_addr_t *a = i->addresses; a != NULL; a = a->next) {
            CHECK(a->addr != NULL);
            int f = a->addr->sa_family;
            int r = f == AF_PACKET ? 0 : f == AF_INET ? 1 : f == AF_INET6 ? 2 : 9;
            CHECKF(r != 9 && r >= rank, "%s: address family %d out of order", i->name, f);
            rank = r;
            if (f == AF_PACKET) {
                const struct sockaddr_ll *ll = (const void *)a->addr;
                CHECK(ll->sll_ifindex == i->index && ll->sll_hatype == i->arphrd);
                CHECK(a->netmask == NULL);
            } else {
                CHECKF(a->netmask != NULL && a->netmask->sa_family == f, "%s: netmask",
                       i->name);
            }
            CHECK(a->broadaddr == NULL || a->broadaddr->sa_family == f);
            CHECK(a->dstaddr == NULL || a->dstaddr->sa_family == f);
        }
        if (prev != NULL) {
            unsigned mp = merit(prev->flags, prev->name), mi = merit(i->flags, i->name);
            CHECKF(mp < mi || (mp == mi && prev->index < i->index),
                   "order: %s (merit 0x%x, index %d) before %s (merit 0x%x, index %d)",
                   prev->name, mp, prev->index, i->name, mi, i->index);
        }
    }
    CHECKF(n == count, "pkt_iface_list returned %d, the list has %d", count, n);
    CHECK(anys == 1);
}

/* ---- the oracle ---- */

/* libpcap's entries that are network interfaces (not its other sources: nflog, dbus, usbmon,
 * bluetooth), and "any". */
static bool oracle_entry(const pcap_if_t *d)
{
    return strcmp(d->name, "any") == 0 || if_nametoindex(d->name) != 0;
}

/* Compares the list with pcap_findalldevs; returns false with `why` filled on a difference. */
static bool same_as_libpcap(const pkt_iface_t *l, char *why, size_t n)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_if_t *devs = NULL;
    if (pcap_findalldevs(&devs, err) != 0)
        FAIL("pcap_findalldevs: %s", err);
    bool same = true;
    const pcap_if_t *d = devs;
    const pkt_iface_t *i = l;
    for (;; d = d->next, i = i->next) {
        while (d != NULL && !oracle_entry(d))
            d = d->next;
        if (d == NULL || i == NULL) {
            if (d != NULL || i != NULL) {
                snprintf(why, n, "libpcap has %s where libpkt has %s", d ? d->name : "(end)",
                         i ? i->name : "(end)");
                same = false;
            }
            break;
        }
        if (strcmp(d->name, i->name) != 0) {
            snprintf(why, n, "libpcap lists %s where libpkt lists %s", d->name, i->name);
            same = false;
            break;
        }
        if (d->flags != i->flags) {
            snprintf(why, n, "%s: libpcap's flags 0x%x, libpkt's 0x%x", i->name, d->flags,
                     i->flags);
            same = false;
            break;
        }
        if ((d->description == NULL) != (i->description == NULL) ||
            (d->description != NULL && strcmp(d->description, i->description) != 0)) {
            snprintf(why, n, "%s: descriptions differ", i->name);
            same = false;
            break;
        }
        const pcap_addr_t *pa = d->addresses;
        const pkt_iface_addr_t *a = i->addresses;
        for (int k = 0;; k++, pa = pa->next, a = a->next) {
            if (pa == NULL || a == NULL) {
                if (pa != NULL || a != NULL) {
                    snprintf(why, n, "%s: libpcap has %s addresses than libpkt (at %d)",
                             i->name, pa ? "more" : "fewer", k);
                    same = false;
                }
                break;
            }
            const struct sockaddr *g[4] = {a->addr, a->netmask, a->broadaddr, a->dstaddr};
            const struct sockaddr *w[4] = {pa->addr, pa->netmask, pa->broadaddr, pa->dstaddr};
            static const char *what[4] = {"addr", "netmask", "broadaddr", "dstaddr"};
            for (int f = 0; f < 4; f++) {
                if (!sa_equal(g[f], w[f])) {
                    char gs[128], ws[128];
                    sa_str(g[f], gs, sizeof gs);
                    sa_str(w[f], ws, sizeof ws);
                    snprintf(why, n, "%s: address %d: %s: libpkt %s, libpcap %s", i->name, k,
                             what[f], gs, ws);
                    same = false;
                }
            }
            if (!same)
                break;
        }
        if (!same)
            break;
    }
    pcap_freealldevs(devs);
    return same;
}

/* Lists with libpkt twice around libpcap and compares, until two libpkt lists in a row agree
 * with each other and libpcap (links settle asynchronously); bounded. Returns the list (the
 * caller frees it) and its count. */
static pkt_iface_t *list_matching_libpcap(int *count)
{
    char why[512] = "";
    for (int attempt = 0; attempt < 100; attempt++) {
        pkt_iface_t *l = NULL;
        int n = CHECK_OK(pkt_iface_list(&l));
        CHECK(l != NULL);
        check_shape(l, n);
        if (same_as_libpcap(l, why, sizeof why)) {
            pkt_iface_t *again = NULL;
            int n2 = CHECK_OK(pkt_iface_list(&again));
            bool stable = n2 == n;
            for (const pkt_iface_t *a = l, *b = again; stable && a != NULL; a = a->next, b = b->next)
                stable = b != NULL && strcmp(a->name, b->name) == 0 && a->flags == b->flags;
            pkt_iface_list_free(again);
            if (stable) {
                *count = n;
                return l;
            }
            snprintf(why, sizeof why, "libpkt's list changed between two calls");
        }
        pkt_iface_list_free(l);
        sleep_ms(20);
    }
    FAIL("the list differs from libpcap's: %s", why);
}

/* ---- interface state ---- */

static unsigned ifflags(const char *name)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    CHECK(fd >= 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
    CHECKF(ioctl(fd, SIOCGIFFLAGS, &ifr) == 0, "SIOCGIFFLAGS %s: %s", name, strerror(errno));
    close(fd);
    return (unsigned)(unsigned short)ifr.ifr_flags;
}

/* Waits (bounded) until the interface's IFF_RUNNING is `running`. */
static void wait_running(const char *name, bool running)
{
    for (int i = 0; i < 500; i++) {
        if (((ifflags(name) & IFF_RUNNING) != 0) == running)
            return;
        sleep_ms(10);
    }
    FAIL("%s did not become %s", name, running ? "running" : "not running");
}

static void setup(void)
{
    if (sh("ip link add d0 type dummy 2>/dev/null") == 0)
        kind = "dummy";
    else if (sh("ip link add d0 type ifb") == 0)
        kind = "ifb";
    else
        SKIP("neither dummy nor ifb interfaces can be created");
    note("d0, d1 and \\xe9t0 are %s interfaces", kind);
    sh_ok("ip link add d1 type %s", kind);
    have_e9 = sh("ip link add " SH_E9 " type %s", kind) == 0;
    if (!have_e9)
        note("an interface named \\xe9t0 cannot be created here: not checked");
    have_tun = sh("ip tuntap add dev tn0 mode tun") == 0;
    if (!have_tun)
        note("no tun device: the point-to-point interface is not checked");

    /* IPv6 on v0, d0, tn0 without addresses of the kernel's own (no link-local, no DAD) */
    sh_ok("for i in v0 d0 %s; do ip link set $i addrgenmode none &&"
          " sysctl -qw net.ipv6.conf.$i.disable_ipv6=0 || exit 1; done",
          have_tun ? "tn0" : "");
    sh_ok("ip addr add 10.1.0.1/24 brd + dev v0 && ip addr add 10.1.1.1/24 dev v0 &&"
          " ip addr add 10.1.2.1/16 label v0:3 dev v0 &&"
          " ip addr add 2001:db8::1/64 nodad dev v0 && ip addr add fe80::1/64 nodad dev v0");
    sh_ok("ip addr add 10.1.0.2/24 brd + dev v1");
    sh_ok("ip addr add 10.0.0.1 peer 10.0.0.2 dev d0 &&"
          " ip addr add 2001:db8:1::1 peer 2001:db8:1::2 nodad dev d0 && ip link set d0 up");
    sh_ok("ip addr add 10.4.0.1/0 dev d1");
    if (have_tun)
        sh_ok("ip addr add 10.2.0.1 peer 10.2.0.2 dev tn0 &&"
              " ip addr add 2001:db8:2::1 peer 2001:db8:2::2 nodad dev tn0 && ip link set tn0 up");
    if (have_e9)
        sh_ok("ip link set " SH_E9 " up");
    wait_running("d0", true);
    if (have_e9)
        wait_running(NAME_E9, true);
    wait_link_up("v0", 5000);
    wait_link_up("v1", 5000);
}

static void check_flags(const pkt_iface_t *l, const char *name, unsigned want, uint16_t arphrd,
                        uint16_t dlt)
{
    const pkt_iface_t *i = find(l, name);
    CHECKF(i->flags == want, "%s: flags 0x%x, expected 0x%x", name, i->flags, want);
    CHECKF(i->arphrd == arphrd, "%s: arphrd %u, expected %u", name, i->arphrd, arphrd);
    CHECKF(i->dlt == dlt, "%s: dlt %u, expected %u", name, i->dlt, dlt);
}

#define UP_RUNNING (PKT_IF_UP | PKT_IF_RUNNING)

static void check_up(const pkt_iface_t *l)
{
    check_flags(l, "lo", UP_RUNNING | PKT_IF_LOOPBACK | PKT_IF_CONNECTION_STATUS_NOT_APPLICABLE,
                ARPHRD_LOOPBACK_, PKT_DLT_EN10MB);
    check_flags(l, "v0", UP_RUNNING | PKT_IF_CONNECTION_STATUS_CONNECTED, ARPHRD_ETHER_,
                PKT_DLT_EN10MB);
    check_flags(l, "v1", UP_RUNNING | PKT_IF_CONNECTION_STATUS_CONNECTED, ARPHRD_ETHER_,
                PKT_DLT_EN10MB);
    check_flags(l, "d0", UP_RUNNING | PKT_IF_CONNECTION_STATUS_NOT_APPLICABLE, ARPHRD_ETHER_,
                PKT_DLT_EN10MB);
    check_flags(l, "d1", PKT_IF_CONNECTION_STATUS_NOT_APPLICABLE, ARPHRD_ETHER_, PKT_DLT_EN10MB);
    if (have_e9)
        check_flags(l, NAME_E9, UP_RUNNING | PKT_IF_CONNECTION_STATUS_NOT_APPLICABLE,
                    ARPHRD_ETHER_, PKT_DLT_EN10MB);
    if (have_tun)
        check_flags(l, "tn0", PKT_IF_UP | PKT_IF_CONNECTION_STATUS_DISCONNECTED, ARPHRD_NONE_,
                    PKT_DLT_LINUX_SLL2);

    /* v0: its MAC, the three IPv4 addresses (one under the label v0:3), two IPv6 */
    const pkt_iface_t *v0 = find(l, "v0");
    CHECK(count_family(v0, AF_PACKET) == 1 && count_family(v0, AF_INET) == 3 &&
          count_family(v0, AF_INET6) == 2);
    const struct sockaddr_ll *ll = (const void *)v0->addresses->addr;
    uint8_t mac[6];
    mac_of("v0", mac);
    CHECK(ll->sll_family == AF_PACKET && ll->sll_halen == 6 && memcmp(ll->sll_addr, mac, 6) == 0);
    const struct sockaddr_ll *bll = (const void *)v0->addresses->broadaddr;
    CHECK(bll != NULL && bll->sll_halen == 6 && memcmp(bll->sll_addr, MAC_BROADCAST, 6) == 0);
    CHECK(v0->addresses->dstaddr == NULL);
    struct sockaddr_in a = v4("10.1.0.1"), m = v4("255.255.255.0"), b = v4("10.1.0.255");
    const pkt_iface_addr_t *e = find_addr(v0, SA(a));
    check_sa("netmask of 10.1.0.1", "v0", e->netmask, SA(m));
    check_sa("broadcast of 10.1.0.1", "v0", e->broadaddr, SA(b));
    CHECK(e->dstaddr == NULL);
    a = v4("10.1.2.1"), m = v4("255.255.0.0");
    check_sa("netmask of 10.1.2.1", "v0", find_addr(v0, SA(a))->netmask, SA(m));
    struct sockaddr_in6 a6 = v6("2001:db8::1", 0), m6 = v6("ffff:ffff:ffff:ffff::", 0);
    e = find_addr(v0, SA(a6));
    check_sa("netmask of 2001:db8::1", "v0", e->netmask, SA(m6));
    CHECK(e->broadaddr == NULL && e->dstaddr == NULL);
    a6 = v6("fe80::1", (uint32_t)v0->index);
    check_sa("netmask of fe80::1", "v0", find_addr(v0, SA(a6))->netmask, SA(m6));

    /* d0 broadcasts: the peer is reported as the broadcast address, as libpcap does */
    const pkt_iface_t *d0 = find(l, "d0");
    a = v4("10.0.0.1"), m = v4("255.255.255.255"), b = v4("10.0.0.2");
    e = find_addr(d0, SA(a));
    check_sa("netmask of 10.0.0.1", "d0", e->netmask, SA(m));
    check_sa("broadcast of 10.0.0.1", "d0", e->broadaddr, SA(b));
    CHECK(e->dstaddr == NULL);
    a6 = v6("2001:db8:1::1", 0);
    struct sockaddr_in6 p6 = v6("2001:db8:1::2", 0);
    check_sa("broadcast of 2001:db8:1::1", "d0", find_addr(d0, SA(a6))->broadaddr, SA(p6));

    /* d1: down, a /0 address */
    a = v4("10.4.0.1"), m = v4("0.0.0.0");
    check_sa("netmask of 10.4.0.1", "d1", find_addr(find(l, "d1"), SA(a))->netmask, SA(m));

    /* tn0: point-to-point, no link-layer address, the peers as destinations */
    if (have_tun) {
        const pkt_iface_t *t = find(l, "tn0");
        CHECK(count_family(t, AF_PACKET) == 0);
        a = v4("10.2.0.1"), b = v4("10.2.0.2");
        e = find_addr(t, SA(a));
        check_sa("destination of 10.2.0.1", "tn0", e->dstaddr, SA(b));
        CHECK(e->broadaddr == NULL);
        a6 = v6("2001:db8:2::1", 0), p6 = v6("2001:db8:2::2", 0);
        check_sa("destination of 2001:db8:2::1", "tn0", find_addr(t, SA(a6))->dstaddr, SA(p6));
    }
    /* lo: no broadcast */
    a = v4("127.0.0.1"), m = v4("255.0.0.0");
    e = find_addr(find(l, "lo"), SA(a));
    check_sa("netmask of 127.0.0.1", "lo", e->netmask, SA(m));
    CHECK(e->broadaddr == NULL && e->dstaddr == NULL);
    if (have_e9)
        CHECK(count_family(find(l, NAME_E9), AF_INET) == 0);
}

/* The first up, running, non-loopback interface of the list (not "any"), or NULL. */
static const char *first_candidate(const pkt_iface_t *l)
{
    for (; l != NULL; l = l->next)
        if ((l->flags & UP_RUNNING) == UP_RUNNING && !(l->flags & PKT_IF_LOOPBACK) &&
            strcmp(l->name, "any") != 0)
            return l->name;
    return NULL;
}

static const char *libpcap_lookupdev(void)
{
    static char name[64];
    char err[PCAP_ERRBUF_SIZE];
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    const char *d = pcap_lookupdev(err);
#pragma GCC diagnostic pop
    if (d == NULL)
        return NULL;
    snprintf(name, sizeof name, "%s", d);
    return name;
}

static void check_layout(void)
{
    CHECK(offsetof(pkt_iface_t, next) == offsetof(pcap_if_t, next));
    CHECK(offsetof(pkt_iface_t, name) == offsetof(pcap_if_t, name));
    CHECK(offsetof(pkt_iface_t, description) == offsetof(pcap_if_t, description));
    CHECK(offsetof(pkt_iface_t, addresses) == offsetof(pcap_if_t, addresses));
    CHECK(offsetof(pkt_iface_t, flags) == offsetof(pcap_if_t, flags));
    CHECK(sizeof(((pkt_iface_t *)0)->flags) == sizeof(((pcap_if_t *)0)->flags));
    CHECK(sizeof(pkt_iface_addr_t) == sizeof(pcap_addr_t));
    CHECK(offsetof(pkt_iface_addr_t, addr) == offsetof(pcap_addr_t, addr));
    CHECK(offsetof(pkt_iface_addr_t, netmask) == offsetof(pcap_addr_t, netmask));
    CHECK(offsetof(pkt_iface_addr_t, broadaddr) == offsetof(pcap_addr_t, broadaddr));
    CHECK(offsetof(pkt_iface_addr_t, dstaddr) == offsetof(pcap_addr_t, dstaddr));
    CHECK(PKT_IF_LOOPBACK == PCAP_IF_LOOPBACK && PKT_IF_UP == PCAP_IF_UP &&
          PKT_IF_RUNNING == PCAP_IF_RUNNING && PKT_IF_WIRELESS == PCAP_IF_WIRELESS);
    CHECK(PKT_IF_CONNECTION_STATUS == PCAP_IF_CONNECTION_STATUS &&
          PKT_IF_CONNECTION_STATUS_UNKNOWN == PCAP_IF_CONNECTION_STATUS_UNKNOWN &&
          PKT_IF_CONNECTION_STATUS_CONNECTED == PCAP_IF_CONNECTION_STATUS_CONNECTED &&
          PKT_IF_CONNECTION_STATUS_DISCONNECTED == PCAP_IF_CONNECTION_STATUS_DISCONNECTED &&
          PKT_IF_CONNECTION_STATUS_NOT_APPLICABLE == PCAP_IF_CONNECTION_STATUS_NOT_APPLICABLE);
}

int main(void)
{
    test_init("test_iface_list", 90);
    check_layout();

    /* bad arguments; free(NULL) */
    CHECK_RC(pkt_iface_list(NULL), -EINVAL);
    CHECK(pkt_errmsg()[0] != '\0');
    pkt_iface_list_free(NULL);
    char buf[PKT_IFNAMSIZ];
    CHECK_RC(pkt_default_iface(NULL, 16), -EINVAL);

    setup();
    int n = 0;
    pkt_iface_t *l = list_matching_libpcap(&n);
    note("%d interfaces, the same as libpcap's", n);
    check_up(l);
    if (have_e9)
        CHECK(find(l, NAME_E9)->index == (int)if_nametoindex(NAME_E9));

    /* the default interface: the first up, running, non-loopback one; libpcap agrees */
    const char *want = first_candidate(l);
    CHECK(want != NULL);
    memset(buf, 'x', sizeof buf);
    CHECK_RC(pkt_default_iface(buf, sizeof buf), (long long)strlen(want));
    CHECKF(strcmp(buf, want) == 0, "pkt_default_iface gave \"%s\", expected \"%s\"", buf, want);
    const char *ld = libpcap_lookupdev();
    CHECKF(ld != NULL && strcmp(ld, want) == 0, "pcap_lookupdev gave %s, libpkt %s",
           ld ? ld : "NULL", want);
    /* too small a buffer: -ERANGE, nothing written */
    char small[PKT_IFNAMSIZ];
    memset(small, 'x', sizeof small);
    CHECK_RC(pkt_default_iface(small, strlen(want)), -ERANGE);
    CHECK(small[0] == 'x');
    CHECK_RC(pkt_default_iface(small, 0), -ERANGE);
    pkt_iface_list_free(l);

    /* down: v0 (v1 loses its carrier), d0, \xe9t0 */
    sh_ok("ip link set v0 down && ip link set d0 down");
    if (have_e9)
        sh_ok("ip link set " SH_E9 " down");
    wait_running("v1", false);
    wait_running("v0", false);
    l = list_matching_libpcap(&n);
    check_flags(l, "v0", PKT_IF_CONNECTION_STATUS_DISCONNECTED, ARPHRD_ETHER_, PKT_DLT_EN10MB);
    check_flags(l, "v1", PKT_IF_UP | PKT_IF_CONNECTION_STATUS_DISCONNECTED, ARPHRD_ETHER_,
                PKT_DLT_EN10MB);
    check_flags(l, "d0", PKT_IF_CONNECTION_STATUS_NOT_APPLICABLE, ARPHRD_ETHER_, PKT_DLT_EN10MB);
    /* nothing up and running but lo: no default (libpcap would name its first non-loopback
     * entry, which is "any" here) */
    CHECK(first_candidate(l) == NULL);
    memset(buf, 'x', sizeof buf);
    CHECK_RC(pkt_default_iface(buf, sizeof buf), -ENODEV);
    CHECK(buf[0] == 'x');
    CHECK(strstr(pkt_errmsg(), "pkt_default_iface") != NULL);
    ld = libpcap_lookupdev();
    note("pcap_lookupdev now gives %s", ld ? ld : "NULL");
    pkt_iface_list_free(l);
    return test_pass();
}
#endif /* PKT_NO_LIBPCAP */
