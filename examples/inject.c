/*
 * inject: send COUNT Ethernet broadcast frames on an interface with pkt_write.
 *
 *   inject -i IFACE [-c COUNT] [-V VLAN_ID]
 *
 * Each frame goes to ff:ff:ff:ff:ff:ff from the locally administered address
 * 02:00:00:00:00:01, with the IEEE "local experimental" ethertype 0x88b5 and the text
 * "libpkt inject N" as payload, padded to the 60-byte Ethernet minimum. With -V the frames
 * carry an 802.1Q tag with that VLAN id (priority 0) before the ethertype, 64 bytes in all,
 * as a tagged frame is on the wire (no VLAN interface needed). Such frames reach
 * only packet sockets (no protocol stack handles 0x88b5), so they are harmless on a test
 * link. Run it only on an interface of a lab you own, e.g. a veth in a network namespace.
 *
 * Needs CAP_NET_RAW (run as root).
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pkt.h"

#define ETHERTYPE_EXPERIMENTAL 0x88b5
#define ETHERTYPE_VLAN 0x8100
#define MIN_FRAME 60
#define VLAN_TAG 4

static void report(const char *what, int code)
{
    fprintf(stderr, "inject: %s: %s (%s)\n", what, pkt_strerror(code), pkt_errmsg());
}

int main(int argc, char **argv)
{
    const char *iface = NULL;
    unsigned long count = 1;
    unsigned long vlan = 0; /* 0: untagged */
    int opt;

    while ((opt = getopt(argc, argv, "i:c:V:h")) != -1) {
        char *end = NULL;
        switch (opt) {
        case 'i': iface = optarg; break;
        case 'c':
            errno = 0;
            count = strtoul(optarg, &end, 10);
            if (errno || *end || optarg[0] == '-' || count == 0 || count > 1000000) {
                fprintf(stderr, "inject: bad count '%s' (1..1000000)\n", optarg);
                return 2;
            }
            break;
        case 'V':
            errno = 0;
            vlan = strtoul(optarg, &end, 10);
            if (errno || *end || optarg[0] == '-' || vlan == 0 || vlan > 4094) {
                fprintf(stderr, "inject: bad VLAN id '%s' (1..4094)\n", optarg);
                return 2;
            }
            break;
        case 'h':
            printf("usage: inject -i IFACE [-c COUNT] [-V VLAN_ID]\n");
            return 0;
        default:
            fprintf(stderr, "usage: inject -i IFACE [-c COUNT] [-V VLAN_ID]\n");
            return 2;
        }
    }
    if (!iface || !*iface || optind != argc) {
        /* writing needs one interface: a handle on all interfaces has no default one */
        fprintf(stderr, "usage: inject -i IFACE [-c COUNT] [-V VLAN_ID]\n");
        return 2;
    }

    pkt_config_t cfg;
    pkt_config_default(&cfg);
    pkt_t *h = NULL;
    int rc = pkt_open(iface, &cfg, &h);
    if (rc < 0) {
        report("pkt_open", rc);
        return 1;
    }

    static const uint8_t header[14] = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff,                      /* destination: broadcast */
        0x02, 0x00, 0x00, 0x00, 0x00, 0x01,                      /* source: locally administered */
        ETHERTYPE_EXPERIMENTAL >> 8, ETHERTYPE_EXPERIMENTAL & 0xff, /* ethertype, big-endian */
    };
    int status = 0;
    unsigned long sent = 0;
    size_t len = vlan ? MIN_FRAME + VLAN_TAG : MIN_FRAME;
    for (unsigned long i = 1; i <= count; i++) {
        uint8_t frame[MIN_FRAME + VLAN_TAG];
        memset(frame, 0, sizeof frame);
        memcpy(frame, header, sizeof header);
        size_t payload = sizeof header;
        if (vlan) {
            /* the 802.1Q tag goes between the source address and the ethertype */
            static const uint8_t tpid[2] = {ETHERTYPE_VLAN >> 8, ETHERTYPE_VLAN & 0xff};
            memcpy(frame + 12, tpid, 2);
            frame[14] = (uint8_t)(vlan >> 8); /* priority 0, DEI 0, then the 12-bit id */
            frame[15] = (uint8_t)(vlan & 0xff);
            memcpy(frame + 16, header + 12, 2);
            payload += VLAN_TAG;
        }
        snprintf((char *)frame + payload, len - payload, "libpkt inject %lu", i);

        /* ifindex 0: the interface the handle is bound to; proto in host byte order */
        rc = pkt_write(h, frame, len, 0, vlan ? ETHERTYPE_VLAN : ETHERTYPE_EXPERIMENTAL);
        if (rc < 0) {
            report("pkt_write", rc);
            status = 1;
            break;
        }
        if ((size_t)rc != len) {
            fprintf(stderr, "inject: pkt_write sent %d of %zu bytes\n", rc, len);
            status = 1;
            break;
        }
        sent++;
    }
    if (vlan)
        fprintf(stderr, "inject: sent %lu frame%s of %zu bytes on %s, VLAN %lu\n", sent,
                sent == 1 ? "" : "s", len, iface, vlan);
    else
        fprintf(stderr, "inject: sent %lu frame%s of %zu bytes on %s\n", sent,
                sent == 1 ? "" : "s", len, iface);

    rc = pkt_close(h);
    if (rc < 0) {
        report("pkt_close", rc);
        status = 1;
    }
    return status;
}
