/* pcap/namedb.h on the library it runs on: every call with names the machine has, names it
 * has not, and malformed text, each result printed. namedb.sh runs it on the system's libpcap
 * and on the compatible library and compares the outputs. Lookups use only local files
 * (/etc/hosts, /etc/services, /etc/protocols, /etc/networks, /etc/ethers) and numeric forms:
 * nothing here asks a name server. */
#include <pcap/pcap.h>
#include <pcap/namedb.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

extern struct eproto {
    const char *s;
    u_short p;
} eproto_db[];

static void addr(const char *name) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    bpf_u_int32 **l = pcap_nametoaddr(name); /* deprecated, still exported and tested */
#pragma GCC diagnostic pop
    printf("nametoaddr(%s):", name);
    if (l == NULL) {
        printf(" NULL\n");
        return;
    }
    for (; *l != NULL; l++)
        printf(" %08x", **l);
    printf("\n");
}

static void addrinfo(const char *name) {
    struct addrinfo *ai = pcap_nametoaddrinfo(name), *a;
    printf("nametoaddrinfo(%s):", name);
    if (ai == NULL)
        printf(" NULL");
    for (a = ai; a != NULL; a = a->ai_next) {
        char buf[INET6_ADDRSTRLEN] = "?";
        if (a->ai_family == AF_INET)
            inet_ntop(AF_INET, &((struct sockaddr_in *)a->ai_addr)->sin_addr, buf, sizeof buf);
        else if (a->ai_family == AF_INET6)
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)a->ai_addr)->sin6_addr, buf, sizeof buf);
        printf(" [%d %d %d %s]", a->ai_family, a->ai_socktype, a->ai_protocol, buf);
    }
    printf("\n");
    if (ai != NULL)
        freeaddrinfo(ai);
}

static void port(const char *name) {
    int p = -7, pr = -7;
    int r = pcap_nametoport(name, &p, &pr);
    printf("nametoport(%s) = %d port %d proto %d\n", name, r, p, pr);
}

static void range(const char *name) {
    int a = -7, b = -7, pr = -7;
    int r = pcap_nametoportrange(name, &a, &b, &pr);
    printf("nametoportrange(%s) = %d ports %d %d proto %d\n", name, r, a, b, pr);
}

/* Prints "WHAT(S) =" and the 6 bytes of a malloc'd address (freed here), or NULL. */
static void print6(const char *what, const char *s, u_char *e) {
    printf("%s(%s) =", what, s);
    if (e == NULL) {
        printf(" NULL\n");
        return;
    }
    for (int i = 0; i < 6; i++)
        printf(" %02x", e[i]);
    printf("\n");
    free(e);
}

int main(int argc, char **argv) {
    static const char *hosts[] = {"localhost", "127.0.0.1", "10.1.2.3", "ip6-localhost", NULL};
    static const char *ais[] = {"localhost", "127.0.0.1", "::1", "10.1.2.3", "fe80::1", NULL};
    static const char *nets[] = {"loopback", "link-local", "pktnet", "nosuchnet", "", NULL};
    static const char *ports[] = {"http", "https", "domain", "ssh", "ntp", "syslog", "who",
                                  "biff", "80", "nosuchservice", "", NULL};
    static const char *ranges[] = {"1-2", "80-443", " 10-20", "+5-6", "http-https", "ssh-domain",
                                   "domain-ntp", "x-y", "http-", "-http", "80", "1-2-3",
                                   "http-https-ssh", "", "99999-1", NULL};
    static const char *protos[] = {"tcp", "udp", "icmp", "ipv6-icmp", "sctp", "ip", "TCP",
                                   "nosuchproto", "", NULL};
    static const char *eprotos[] = {"ip", "ip6", "arp", "rarp", "aarp", "atalk", "decnet", "lat",
                                    "loopback", "mopdl", "moprc", "sca", "IP", "ipx", "", NULL};
    static const char *llcs[] = {"iso", "stp", "ipx", "netbeui", "ISO", "ip", "", NULL};
    static const char *ethers[] = {"0:1:2:3:4:5", "00:11:22:33:44:55", "00-11-22-33-44-55",
                                   "0011.2233.4455", "a:b:c:d:e:f", "AA:BB:CC:DD:EE:FF",
                                   ":1:2:3:4:5:6", "001122334455", NULL};
    /* (Not "1:2:3": libpcap leaves the bytes it does not parse uninitialised; ours are 0.) */
    static const char *names[] = {"pkt-one", "pkt-two", "pkt-long", "nosuchhost", NULL};
    const char **s;

    if (argc != 2) {
        fprintf(stderr, "usage: namedb ETHERS_FILE\n");
        return 2;
    }
    for (s = hosts; *s; s++)
        addr(*s);
    for (s = ais; *s; s++)
        addrinfo(*s);
    for (s = nets; *s; s++)
        printf("nametonetaddr(%s) = %08x\n", *s, pcap_nametonetaddr(*s));
    for (s = ports; *s; s++)
        port(*s);
    for (s = ranges; *s; s++)
        range(*s);
    for (s = protos; *s; s++)
        printf("nametoproto(%s) = %d\n", *s, pcap_nametoproto(*s));
    for (s = eprotos; *s; s++)
        printf("nametoeproto(%s) = %d\n", *s, pcap_nametoeproto(*s));
    for (s = llcs; *s; s++)
        printf("nametollc(%s) = %d\n", *s, pcap_nametollc(*s));
    for (struct eproto *e = eproto_db; e->s != NULL; e++)
        printf("eproto_db: %s %04x\n", e->s, e->p);
    for (s = ethers; *s; s++)
        print6("ether_aton", *s, pcap_ether_aton(*s));
    for (s = names; *s; s++)
        print6("ether_hostton", *s, pcap_ether_hostton(*s));

    FILE *f = fopen(argv[1], "r");
    if (f == NULL) {
        perror(argv[1]);
        return 1;
    }
    struct pcap_etherent *ep;
    while ((ep = pcap_next_etherent(f)) != NULL)
        printf("etherent: %02x:%02x:%02x:%02x:%02x:%02x [%s]\n", ep->addr[0], ep->addr[1],
               ep->addr[2], ep->addr[3], ep->addr[4], ep->addr[5], ep->name);
    printf("etherent: end\n");
    fclose(f);
    return 0;
}
