/* Version, OS and kernel queries, error helpers, status-word helpers, interface link types. */
#include "common.h"

#include <limits.h>
#include <linux/if_packet.h>
#include <sys/utsname.h>

static void check_version(void)
{
    char want[64];
    snprintf(want, sizeof want, "%d.%d.%d", PKT_VERSION_MAJOR, PKT_VERSION_MINOR,
             PKT_VERSION_PATCH);
    const char *v = pkt_version();
    CHECK(v != NULL);
    CHECKF(strcmp(v, want) == 0, "pkt_version() \"%s\", header macros say \"%s\"", v, want);
    CHECK(PKT_VERSION_MAJOR >= 0 && PKT_VERSION_MINOR >= 0 && PKT_VERSION_PATCH >= 0);
    CHECK(pkt_version() == v || strcmp(pkt_version(), v) == 0);
}

static void check_kernel_version(void)
{
    int32_t major = -7, minor = -7;
    pkt_kernel_version(&major, &minor);
    CHECKF(major > 0 && minor >= 0, "pkt_kernel_version: %d.%d", major, minor);
    struct utsname u;
    CHECK(uname(&u) == 0);
    int umaj = -1, umin = -1;
    CHECK(sscanf(u.release, "%d.%d", &umaj, &umin) == 2);
    CHECKF(major == umaj && minor == umin, "pkt_kernel_version %d.%d, uname says %s", major,
           minor, u.release);
    /* cached: the same answer again */
    int32_t major2 = -7, minor2 = -7;
    pkt_kernel_version(&major2, &minor2);
    CHECK(major2 == major && minor2 == minor);
}

static void check_strerror(void)
{
    const int codes[] = {0, -EINVAL, -EAGAIN, -EINTR, -ETIMEDOUT, -ENODEV, -ENETDOWN,
                         -EMSGSIZE, -ENOSYS, EINVAL, 1, -4095, -4096, -100000, 123456789,
                         INT_MIN, INT_MAX};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        const char *s = pkt_strerror(codes[i]);
        CHECKF(s != NULL, "pkt_strerror(%d) is NULL", codes[i]);
        CHECKF(strlen(s) < 4096, "pkt_strerror(%d) is absurdly long", codes[i]);
    }
    const int real_errors[] = {-EINVAL, -EAGAIN, -EINTR, -ETIMEDOUT, -ENODEV, -ENETDOWN,
                               -EMSGSIZE, -ENOSYS};
    for (size_t i = 0; i < sizeof real_errors / sizeof real_errors[0]; i++)
        CHECKF(pkt_strerror(real_errors[i])[0] != '\0', "pkt_strerror(%d) is empty",
               real_errors[i]);
    /* distinct errors read differently */
    CHECK(strcmp(pkt_strerror(-EINVAL), pkt_strerror(-ENODEV)) != 0);
    CHECK(strcmp(pkt_strerror(-EAGAIN), pkt_strerror(-ETIMEDOUT)) != 0);
    CHECK(pkt_errmsg() != NULL);
}

static void check_error_classes(void)
{
    struct {
        int code;
        bool temporary, timeout;
    } table[] = {
        {-EAGAIN, true, false},    {-EINTR, true, false},      {-ETIMEDOUT, true, true},
        {-ENOBUFS, true, false},   {-EINVAL, false, false},    {-ENODEV, false, false},
        {-ENOSYS, false, false},   {-EMSGSIZE, false, false},  {-EPERM, false, false},
        {0, false, false},         {1, false, false},          {ETIMEDOUT, false, false},
        {INT_MIN, false, false},   {INT_MAX, false, false},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        CHECKF(pkt_is_temporary(table[i].code) == table[i].temporary,
               "pkt_is_temporary(%d) = %d, expected %d", table[i].code,
               pkt_is_temporary(table[i].code), table[i].temporary);
        CHECKF(pkt_is_timeout(table[i].code) == table[i].timeout,
               "pkt_is_timeout(%d) = %d, expected %d", table[i].code,
               pkt_is_timeout(table[i].code), table[i].timeout);
    }
}

static void check_status_words(void)
{
    const uint32_t TS_SOFTWARE = 1u << 29, TS_RAW_HARDWARE = 1u << 31;
    const uint32_t VLAN_VALID = 0x10, VLAN_TPID_VALID = 0x40;
    CHECKF(pkt_tstamp_valid(TS_SOFTWARE) == 0, "got %d", pkt_tstamp_valid(TS_SOFTWARE));
    CHECKF(pkt_tstamp_valid(TS_SOFTWARE | 0x1) == 0, "got %d",
           pkt_tstamp_valid(TS_SOFTWARE | 0x1));
    CHECKF(pkt_tstamp_valid(TS_RAW_HARDWARE) == 1, "got %d", pkt_tstamp_valid(TS_RAW_HARDWARE));
    CHECKF(pkt_tstamp_valid(TS_RAW_HARDWARE | 0x1) == 1, "got %d",
           pkt_tstamp_valid(TS_RAW_HARDWARE | 0x1));
    CHECKF(pkt_tstamp_valid(0) == -1, "no timestamp bit: got %d", pkt_tstamp_valid(0));
    CHECKF(pkt_tstamp_valid(0x1 | VLAN_VALID) == -1, "got %d", pkt_tstamp_valid(0x11));

    CHECK(pkt_vlan_valid(VLAN_VALID));
    CHECK(pkt_vlan_valid(VLAN_VALID | VLAN_TPID_VALID));
    CHECK(pkt_vlan_valid(VLAN_VALID | VLAN_TPID_VALID | TS_SOFTWARE | 0x1));
    CHECK(!pkt_vlan_valid(0));
    CHECK(!pkt_vlan_valid(0x1));
    CHECK(!pkt_vlan_valid(VLAN_TPID_VALID));
    CHECK(!pkt_vlan_valid(TS_SOFTWARE | TS_RAW_HARDWARE));
}

static void check_linktypes(void)
{
    CHECKF(pkt_iface_linktype("lo") == PKT_LINKTYPE_ETHERNET, "lo: %u",
           pkt_iface_linktype("lo"));
    CHECKF(pkt_iface_linktype("v0") == PKT_LINKTYPE_ETHERNET, "v0: %u",
           pkt_iface_linktype("v0"));
    CHECK(PKT_LINKTYPE_ETHERNET == 1);
    CHECK(PKT_LINKTYPE_NONE == 0xffff);
    CHECKF(pkt_iface_linktype("nonexistent0") == PKT_LINKTYPE_NONE, "nonexistent0: %u",
           pkt_iface_linktype("nonexistent0"));
    CHECK(pkt_iface_linktype("") == PKT_LINKTYPE_NONE);
    CHECK(pkt_iface_linktype(NULL) == PKT_LINKTYPE_NONE);
    CHECK(pkt_iface_linktype("a-name-much-longer-than-ifnamsiz") == PKT_LINKTYPE_NONE);
    CHECK(pkt_iface_linktype("../../../etc") == PKT_LINKTYPE_NONE);
}

static void check_constants(void)
{
    CHECK(PKT_PROTO_ALL == 0x0003);
    CHECK(PKT_PROTO_IP == 0x0800);
    CHECK(PKT_PROTO_IP6 == 0x86dd);
    CHECK(PKT_PROTO_ARP == 0x0806);
    CHECK(PKT_DIR_INOUT == 0 && PKT_DIR_IN == 1 && PKT_DIR_OUT == 2);
    CHECK(PKT_TSTAMP_NANO == 0 && PKT_TSTAMP_MICRO == 1);
    CHECK(PKT_PACKET_HOST == PACKET_HOST && PKT_PACKET_BROADCAST == PACKET_BROADCAST &&
          PKT_PACKET_MULTICAST == PACKET_MULTICAST && PKT_PACKET_OTHERHOST == PACKET_OTHERHOST &&
          PKT_PACKET_OUTGOING == PACKET_OUTGOING);
    CHECK(sizeof(pkt_bpf_insn_t) == 8);
    CHECK(offsetof(pkt_bpf_insn_t, code) == 0 && offsetof(pkt_bpf_insn_t, jt) == 2 &&
          offsetof(pkt_bpf_insn_t, jf) == 3 && offsetof(pkt_bpf_insn_t, k) == 4);
}

int main(void)
{
    test_init("test_misc", 30);
    CHECKF(pkt_errmsg() != NULL && pkt_errmsg()[0] == '\0',
           "pkt_errmsg() is \"%s\" before any failure", pkt_errmsg());
    check_version();
    CHECK(pkt_os_supported());
    check_kernel_version();
    check_strerror();
    check_error_classes();
    check_status_words();
    check_linktypes();
    check_constants();
    return test_pass();
}
