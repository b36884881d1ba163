/* Timestamp sources (config.tstamp_source, pkt_tstamp_sources): what interfaces without an
 * adapter clock say and do.
 *   - pkt_tstamp_sources lists software only on the veth pair, loopback, and a dummy interface
 *     (or, where the kernel has no dummy driver, ifb, bridge and tap interfaces), consistent
 *     with the raw ETHTOOL_GET_TS_INFO answer asked here independently; software only for all
 *     interfaces; -ENODEV for a missing one; its argument rules.
 *   - pkt_open with an adapter source on each of them: -EOPNOTSUPP, the interface named in
 *     pkt_errmsg, *out untouched, no descriptor left; on all interfaces (NULL, "", "any") too.
 *   - an out-of-range value: pkt_config_check false, pkt_open -EINVAL.
 *   - the default (software): pkt_get_config reports it, and received frames (V3 and V2 rings)
 *     carry software timestamps (pkt_tstamp_valid 0) of the real-time clock.
 * Adapter clocks themselves need hardware (a PTP-capable NIC) and are not tested here. */
#include "common.h"

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* linux/ethtool.h and linux/net_tstamp.h, spelled out (those headers are not -Wpedantic
 * clean). */
#define SIOCETHTOOL_         0x8946
#define ETHTOOL_GET_TS_INFO_ 0x41
#define SOF_SOFTWARE         (1u << 4)
#define SOF_SYS_HARDWARE     (1u << 5)
#define SOF_RAW_HARDWARE     (1u << 6)
#define HWTSTAMP_FILTER_ALL_ 1

struct ts_info {
    uint32_t cmd, so_timestamping;
    int32_t phc_index;
    uint32_t tx_types, tx_reserved[3], rx_filters, rx_reserved[3];
};

/* The driver's answer, asked without libpkt; false if it gives none. */
static bool ts_info(const char *ifname, struct ts_info *info)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    CHECK(fd >= 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
    memset(info, 0, sizeof *info);
    info->cmd = ETHTOOL_GET_TS_INFO_;
    ifr.ifr_data = (void *)info;
    int rc = ioctl(fd, SIOCETHTOOL_, &ifr);
    int err = errno;
    close(fd);
    if (rc != 0)
        note("%s: SIOCETHTOOL(ETHTOOL_GET_TS_INFO): %s", ifname, strerror(err));
    return rc == 0;
}

static const char *source_name(uint8_t s)
{
    switch (s) {
    case PKT_TSTAMP_SOURCE_SOFTWARE: return "software";
    case PKT_TSTAMP_SOURCE_ADAPTER: return "adapter";
    case PKT_TSTAMP_SOURCE_ADAPTER_UNSYNCED: return "adapter_unsynced";
    default: return "?";
    }
}

/* The list for ifname, checked against the driver's answer: software first, then each adapter
 * clock exactly when the adapter stamps all received packets and reports that clock. Returns
 * whether an adapter clock is listed. */
static bool check_list(const char *ifname)
{
    uint8_t out[8];
    memset(out, 0xee, sizeof out);
    int n = pkt_tstamp_sources(ifname, out, sizeof out);
    CHECKF(n >= 1 && n <= 3, "pkt_tstamp_sources(%s): %d (%s)", ifname, n, pkt_errmsg());
    CHECKF(out[0] == PKT_TSTAMP_SOURCE_SOFTWARE, "%s: first source %u", ifname, out[0]);
    CHECKF(out[n] == 0xee, "%s: wrote past the %d sources it counts", ifname, n);
    struct ts_info info;
    if (ts_info(ifname, &info)) {
        bool all = info.rx_filters & (1u << HWTSTAMP_FILTER_ALL_);
        int want = 1 + (all && (info.so_timestamping & SOF_SYS_HARDWARE)) +
                   (all && (info.so_timestamping & SOF_RAW_HARDWARE));
        note("%s: so_timestamping 0x%x, rx_filters 0x%x, phc %d: %d source%s (%s%s%s)", ifname,
             info.so_timestamping, info.rx_filters, info.phc_index, n, n > 1 ? "s" : "",
             source_name(out[0]), n > 1 ? ", " : "", n > 1 ? source_name(out[1]) : "");
        CHECKF(n == want, "%s: %d sources listed, the driver's answer gives %d", ifname, n, want);
    } else {
        /* no answer: every source, as libpcap lists them */
        CHECKF(n == 3, "%s: %d sources without an ethtool answer", ifname, n);
    }
    for (int i = 1; i < n; i++)
        CHECK(out[i] > out[i - 1] && out[i] <= PKT_TSTAMP_SOURCE_ADAPTER_UNSYNCED);
    /* the count alone, and a short buffer: the count, the first entries only */
    CHECK_RC(pkt_tstamp_sources(ifname, NULL, 0), n);
    uint8_t one[2] = {0xee, 0xee};
    CHECK_RC(pkt_tstamp_sources(ifname, one, 1), n);
    CHECK(one[0] == PKT_TSTAMP_SOURCE_SOFTWARE && one[1] == 0xee);
    return n > 1;
}

/* pkt_open with an adapter source on an interface that has none: -EOPNOTSUPP naming it. */
static void check_refused(const char *ifname)
{
    static const uint8_t hw[] = {PKT_TSTAMP_SOURCE_ADAPTER, PKT_TSTAMP_SOURCE_ADAPTER_UNSYNCED};
    int fds = count_open_fds();
    for (size_t i = 0; i < sizeof hw / sizeof hw[0]; i++) {
        pkt_config_t c = test_config();
        c.tstamp_source = hw[i];
        CHECK(pkt_config_check(&c)); /* the interface decides, at open */
        pkt_t *h = (pkt_t *)&h;
        int rc = pkt_open(ifname, &c, &h);
        const char *msg = pkt_errmsg();
        CHECKF(rc == -EOPNOTSUPP, "pkt_open(%s, %s): %d (%s)", ifname ? ifname : "NULL",
               source_name(hw[i]), rc, msg);
        CHECK(h == (pkt_t *)&h);
        if (ifname != NULL && ifname[0] != '\0' && strcmp(ifname, "any") != 0) {
            char want[64];
            snprintf(want, sizeof want, "%s has no hardware timestamps (ethtool -T %s)", ifname,
                     ifname);
            CHECKF(strstr(msg, want) != NULL, "pkt_open(%s, %s): message \"%s\" lacks \"%s\"",
                   ifname, source_name(hw[i]), msg, want);
        } else {
            CHECKF(strstr(msg, "all interfaces") != NULL, "all interfaces, %s: message \"%s\"",
                   source_name(hw[i]), msg);
        }
        CHECKF(strstr(msg, "tstamp_source") != NULL, "message \"%s\" does not name the field",
               msg);
        if (i == 0)
            note("pkt_open(%s, %s): %s", ifname ? ifname : "NULL", source_name(hw[i]), msg);
    }
    CHECKF(count_open_fds() == fds, "%s: %d descriptors before, %d after the refused opens",
           ifname ? ifname : "NULL", fds, count_open_fds());
}

static void check_interface(const char *ifname)
{
    CHECKF(!check_list(ifname), "%s lists an adapter clock: not a virtual interface?", ifname);
    check_refused(ifname);
}

/* A dummy interface, or where this kernel has no dummy driver the other virtual drivers with
 * answers of their own (ifb: the kernel's default; bridge; tap: ethtool_op_get_ts_info). */
static void check_virtual_interfaces(void)
{
    if (sh("ip link add d0 type dummy 2>/dev/null") == 0) {
        sh_ok("ip link set d0 up");
        check_interface("d0");
        sh_ok("ip link del d0");
        return;
    }
    note("no dummy driver in this kernel (CONFIG_DUMMY): ifb, bridge and tap instead");
    int tried = 0;
    static const char *const kinds[][2] = {{"i0", "ip link add i0 type ifb"},
                                           {"b0", "ip link add b0 type bridge"},
                                           {"t0", "ip tuntap add t0 mode tap"}};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (sh("%s 2>/dev/null", kinds[i][1]) != 0) {
            note("cannot create %s (%s)", kinds[i][0], kinds[i][1]);
            continue;
        }
        sh_ok("ip link set %s up", kinds[i][0]);
        check_interface(kinds[i][0]);
        sh_ok("ip link del %s", kinds[i][0]);
        tried++;
    }
    CHECKF(tried > 0, "no virtual interface besides veth and lo could be made");
}

static void check_arguments(void)
{
    uint8_t out[4] = {0xee, 0xee, 0xee, 0xee};
    /* all interfaces: software only */
    const char *all[] = {NULL, "", "any"};
    for (size_t i = 0; i < 3; i++) {
        memset(out, 0xee, sizeof out);
        CHECK_RC(pkt_tstamp_sources(all[i], out, sizeof out), 1);
        CHECK(out[0] == PKT_TSTAMP_SOURCE_SOFTWARE && out[1] == 0xee);
    }
    memset(out, 0xee, sizeof out);
    CHECK_RC(pkt_tstamp_sources("nosuch0", out, sizeof out), -ENODEV);
    CHECKF(strstr(pkt_errmsg(), "nosuch0") != NULL, "%s", pkt_errmsg());
    CHECK(out[0] == 0xee); /* untouched on failure */
    CHECK_RC(pkt_tstamp_sources("a-name-longer-than-ifnamsiz", out, sizeof out), -ENODEV);
    CHECK_RC(pkt_tstamp_sources("v0", NULL, 1), -EINVAL);
    CHECK_RC(pkt_tstamp_sources("v0", out, 0), 1);
    CHECK(out[0] == 0xee);
}

static void check_out_of_range(void)
{
    static const uint8_t bad[] = {3, 4, 0x7f, 0xff};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pkt_config_t c = test_config();
        c.tstamp_source = bad[i];
        CHECKF(!pkt_config_check(&c), "tstamp_source %u accepted", bad[i]);
        CHECKF(strstr(pkt_errmsg(), "tstamp_source") != NULL, "%s", pkt_errmsg());
        pkt_t *h = (pkt_t *)&h;
        CHECK_RC(pkt_open("v0", &c, &h), -EINVAL);
        CHECK(h == (pkt_t *)&h);
        CHECKF(strstr(pkt_errmsg(), "config.tstamp_source") != NULL, "%s", pkt_errmsg());
    }
}

/* The default source on a V3 or V2 ring: reported by pkt_get_config, and frames from v1 carry
 * software timestamps from the real-time clock. */
static void check_software(bool immediate, bool explicit_source)
{
    const char *mode = immediate ? "V2" : "V3";
    pkt_config_t c = test_config();
    config_mode(&c, immediate);
    CHECK(c.tstamp_source == PKT_TSTAMP_SOURCE_SOFTWARE);
    if (explicit_source)
        c.tstamp_source = PKT_TSTAMP_SOURCE_SOFTWARE;
    pkt_t *h = open_ok("v0", &c);
    pkt_config_t got;
    memset(&got, 0x5a, sizeof got);
    CHECK_RC(pkt_get_config(h, &got), 0);
    CHECKF(got.tstamp_source == PKT_TSTAMP_SOURCE_SOFTWARE, "%s: pkt_get_config: source %u",
           mode, got.tstamp_source);

    raw_tx_t tx = raw_tx_open("v1");
    uint8_t v0mac[6];
    mac_of("v0", v0mac);
    int64_t before = real_ns() / 1000 * 1000;
    for (uint32_t s = 0; s < 10; s++)
        raw_tx_send_seq(&tx, v0mac, TEST_ETHERTYPE, s, 80);
    rx_frame_t *frames = calloc(11, sizeof *frames);
    CHECK(frames != NULL);
    int n = collect_frames(h, false, 500, frames, 10);
    int64_t after = real_ns();
    CHECKF(n == 10, "%s: %d of 10 frames", mode, n);
    for (int i = 0; i < n; i++) {
        const pkt_info_t *in = &frames[i].info;
        CHECKF(pkt_tstamp_valid(in->status) == 0, "%s: frame %d: pkt_tstamp_valid %d (status 0x%x)",
               mode, i, pkt_tstamp_valid(in->status), in->status);
        int64_t ts = in->sec * 1000000000 + in->nsec;
        CHECKF(ts >= before && ts <= after, "%s: timestamp %lld.%09u outside the send window",
               mode, (long long)in->sec, in->nsec);
    }
    free(frames);
    raw_tx_close(&tx);
    CHECK_RC(pkt_close(h), 0);
}

int main(void)
{
    test_init("test_tstamp_source", 60);
    check_arguments();
    check_out_of_range();
    check_interface("v0");
    check_interface("v1");
    check_interface("lo");
    check_virtual_interfaces();
    check_refused(NULL);
    check_refused("");
    check_refused("any");
    check_software(false, false);
    check_software(true, true);
    /* the veth still works after the refused opens: nothing was left turned on */
    check_software(false, true);
    return test_pass();
}
