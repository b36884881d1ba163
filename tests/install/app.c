/* A program written from the contract (include/pkt.h) that uses only an installed libpkt: it
 * sends a frame on one end of a veth pair and reads it back on the other, byte for byte.
 *
 *   usage: app TX_IFACE RX_IFACE        exit 0 when the frame arrived intact
 */
#include <pkt.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s TX_IFACE RX_IFACE\n", argv[0]);
        return 2;
    }
    pkt_config_t cfg;
    pkt_config_default(&cfg);
    cfg.read_timeout_ms = 200;
    cfg.direction = PKT_DIR_IN;
    pkt_t *tx = NULL, *rx = NULL;
    int rc = pkt_open(argv[1], &cfg, &tx);
    if (rc == 0)
        rc = pkt_open(argv[2], &cfg, &rx);
    if (rc < 0) {
        fprintf(stderr, "pkt_open: %s\n", pkt_errmsg());
        return 1;
    }
    unsigned char frame[100];
    memset(frame, 0xff, 6);                                 /* broadcast */
    memcpy(frame + 6, "\x02\x00\x00\x00\x00\x01", 6);
    frame[12] = 0x88, frame[13] = 0xb5;                     /* local experimental ethertype */
    for (size_t i = 14; i < sizeof frame; i++)
        frame[i] = (unsigned char)i;
    rc = pkt_write(tx, frame, sizeof frame, 0, 0);
    if (rc != (int)sizeof frame) {
        fprintf(stderr, "pkt_write: %d %s\n", rc, pkt_errmsg());
        return 1;
    }
    for (int tries = 0; tries < 25; tries++) { /* 25 read timeouts of 200 ms at most */
        const uint8_t *data;
        pkt_info_t info;
        rc = pkt_read(rx, 1, &data, &info);
        if (rc == -ETIMEDOUT || rc == 0)
            continue;
        if (rc < 0) {
            fprintf(stderr, "pkt_read: %s\n", pkt_errmsg());
            return 1;
        }
        if (info.caplen == sizeof frame && memcmp(data, frame, sizeof frame) == 0) {
            pkt_stats_t st;
            if (pkt_stats(rx, true, &st) < 0 || st.recvs < 1)
                return 1;
            printf("ok: libpkt %s, %u bytes received intact\n", pkt_version(), info.caplen);
            pkt_close(tx);
            pkt_close(rx);
            return 0;
        }
    }
    fprintf(stderr, "the frame did not arrive\n");
    return 1;
}
