/*
 * inject: send COUNT Ethernet broadcast frames on an interface with pkt_write.
 *
 *   inject -i IFACE [-c COUNT]
 *
 * Each frame goes to ff:ff:ff:ff:ff:ff from the locally administered address
 * 02:00:00:00:00:01, with the IEEE "local experimental" ethertype 0x88b5 and the text
 * "libpkt inject N" as payload, padded to the 60-byte Ethernet minimum. Such frames reach
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
#define MIN_FRAME 60

static void report(const char *what, int code)
{
    fprintf(stderr, "inject: %s: %s (%s)\n", what, pkt_strerror(code), pkt_errmsg());
}

int main(int argc, char **argv)
{
    const char *iface = NULL;
    unsigned long count = 1;
    int opt;

    while ((opt = getopt(argc, argv, "i:c:h")) != -1) {
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
        case 'h':
            printf("usage: inject -i IFACE [-c COUNT]\n");
            return 0;
        default:
            fprintf(stderr, "usage: inject -i IFACE [-c COUNT]\n");
            return 2;
        }
    }
    if (!iface || !*iface || optind != argc) {
        /* writing needs one interface: a handle on all interfaces has no default one */
        fprintf(stderr, "usage: inject -i IFACE [-c COUNT]\n");
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
    for (unsigned long i = 1; i <= count; i++) {
        uint8_t frame[MIN_FRAME];
        memset(frame, 0, sizeof frame);
        memcpy(frame, header, sizeof header);
        snprintf((char *)frame + sizeof header, sizeof frame - sizeof header, "libpkt inject %lu",
                 i);

        /* ifindex 0: the interface the handle is bound to; proto in host byte order */
        rc = pkt_write(h, frame, sizeof frame, 0, ETHERTYPE_EXPERIMENTAL);
        if (rc < 0) {
            report("pkt_write", rc);
            status = 1;
            break;
        }
        if ((size_t)rc != sizeof frame) {
            fprintf(stderr, "inject: pkt_write sent %d of %zu bytes\n", rc, sizeof frame);
            status = 1;
            break;
        }
        sent++;
    }
    fprintf(stderr, "inject: sent %lu frame%s of %d bytes on %s\n", sent, sent == 1 ? "" : "s",
            MIN_FRAME, iface);

    rc = pkt_close(h);
    if (rc < 0) {
        report("pkt_close", rc);
        status = 1;
    }
    return status;
}
