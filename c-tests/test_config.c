/* pkt_config_default, pkt_config_check, pkt_get_config (the effective configuration). */
#include "common.h"

static void check_defaults(void)
{
    pkt_config_t c;
    memset(&c, 0x5a, sizeof c);
    pkt_config_default(&c);
    CHECKF(c.read_timeout_ms == 0, "read_timeout_ms %lld", (long long)c.read_timeout_ms);
    CHECKF(c.buffer_size == 2 * 1024 * 1024, "buffer_size %lld", (long long)c.buffer_size);
    CHECKF(c.block_timeout_ms == 100, "block_timeout_ms %lld", (long long)c.block_timeout_ms);
    CHECK(c.filter == NULL);
    CHECK(c.filter_len == 0);
    CHECKF(c.proto == PKT_PROTO_ALL, "proto 0x%x", c.proto);
    CHECKF(c.direction == PKT_DIR_INOUT, "direction %u", c.direction);
    CHECKF(c.tstamp_resolution == PKT_TSTAMP_NANO, "tstamp_resolution %u", c.tstamp_resolution);
    CHECKF(c.max_nil_read == 1024, "max_nil_read %llu", (unsigned long long)c.max_nil_read);
    CHECK(!c.immediate);
    CHECK(!c.promiscuous);
    CHECK(!c.nonblock);
    CHECK(!c.cooked);
    CHECKF(c.tstamp_source == PKT_TSTAMP_SOURCE_SOFTWARE, "tstamp_source %u", c.tstamp_source);
}

static void check_check(void)
{
    pkt_config_t c;
    CHECK(pkt_config_check(NULL));
    pkt_config_default(&c);
    CHECK(pkt_config_check(&c));

    for (unsigned d = 0; d <= 2; d++) {
        pkt_config_default(&c);
        c.direction = (uint8_t)d;
        CHECKF(pkt_config_check(&c), "direction %u rejected", d);
    }
    pkt_config_default(&c);
    c.direction = 3;
    CHECK(!pkt_config_check(&c));
    c.direction = 255;
    CHECK(!pkt_config_check(&c));

    pkt_config_default(&c);
    c.tstamp_resolution = PKT_TSTAMP_MICRO;
    CHECK(pkt_config_check(&c));
    c.tstamp_resolution = 2;
    CHECK(!pkt_config_check(&c));

    /* every timestamp source is a valid value (the interface decides at open), others not */
    for (unsigned s = 0; s <= 2; s++) {
        pkt_config_default(&c);
        c.tstamp_source = (uint8_t)s;
        CHECKF(pkt_config_check(&c), "tstamp_source %u rejected", s);
    }
    c.tstamp_source = 3;
    CHECK(!pkt_config_check(&c));

    pkt_bpf_insn_t prog[4];
    filter_ethertype(prog, TEST_ETHERTYPE, 262144);
    pkt_config_default(&c);
    c.filter = NULL;
    c.filter_len = 4;
    CHECK(!pkt_config_check(&c));
    c.filter = prog;
    CHECK(pkt_config_check(&c));
    c.filter_len = 0; /* a program with length 0 is "no filter" */
    CHECK(pkt_config_check(&c));
    pkt_bpf_insn_t broken[2] = {BPF_STMT_(OP_LD_IMM, 0), BPF_STMT_(OP_LD_IMM, 1)}; /* no ret */
    c.filter = broken;
    c.filter_len = 2;
    CHECK(!pkt_config_check(&c));
    CHECKF(pkt_errmsg()[0] != '\0', "pkt_config_check gave no reason for the broken filter");

    /* the kernel's retire timeout is 32 bits wide (header: over UINT32_MAX is invalid) */
    pkt_config_default(&c);
    c.block_timeout_ms = (int64_t)UINT32_MAX + 1;
    CHECK(!pkt_config_check(&c));
    c.block_timeout_ms = 65535;
    CHECK(pkt_config_check(&c));

    /* values the contract gives a meaning to, however odd, are valid */
    pkt_config_default(&c);
    c.read_timeout_ms = -5;
    c.buffer_size = -1;
    c.block_timeout_ms = -1;
    c.max_nil_read = 0;
    c.proto = 0x88b5;
    c.immediate = c.promiscuous = c.nonblock = c.cooked = true;
    CHECK(pkt_config_check(&c));
}

static void check_effective(void)
{
    pkt_config_t want, got;
    pkt_t *h;

    /* defaults: every field comes back, the buffer at least as large as asked */
    pkt_config_default(&want);
    h = open_ok("v0", &want);
    memset(&got, 0x5a, sizeof got);
    CHECK_RC(pkt_get_config(h, &got), 0);
    CHECKF(got.buffer_size >= want.buffer_size, "buffer_size %lld < %lld",
           (long long)got.buffer_size, (long long)want.buffer_size);
    CHECK(got.read_timeout_ms == 0);
    CHECK(got.block_timeout_ms == 100);
    CHECK(got.filter == NULL && got.filter_len == 0);
    CHECK(got.proto == PKT_PROTO_ALL);
    CHECK(got.direction == PKT_DIR_INOUT);
    CHECK(got.tstamp_resolution == PKT_TSTAMP_NANO);
    CHECK(got.max_nil_read == 1024);
    CHECK(!got.immediate && !got.promiscuous && !got.nonblock && !got.cooked);
    CHECK(got.tstamp_source == PKT_TSTAMP_SOURCE_SOFTWARE);
    CHECK(pkt_linktype(h) == PKT_LINKTYPE_ETHERNET);
    CHECK_RC(pkt_close(h), 0);

    /* NULL config = defaults */
    h = NULL;
    CHECK_RC(pkt_open("v0", NULL, &h), 0);
    CHECK(h != NULL);
    CHECK_RC(pkt_get_config(h, &got), 0);
    CHECK(got.buffer_size >= 2 * 1024 * 1024);
    CHECK(got.direction == PKT_DIR_INOUT && got.proto == PKT_PROTO_ALL && !got.cooked);
    CHECK_RC(pkt_close(h), 0);

    /* every settable field round-trips; the filter is not reported; an odd size is rounded up */
    pkt_bpf_insn_t prog[4];
    filter_ethertype(prog, TEST_ETHERTYPE, 262144);
    pkt_config_default(&want);
    want.read_timeout_ms = 1234;
    want.buffer_size = 3 * 1024 * 1024 + 17;
    want.block_timeout_ms = 42;
    want.filter = prog;
    want.filter_len = 4;
    want.proto = TEST_ETHERTYPE;
    want.direction = PKT_DIR_IN;
    want.tstamp_resolution = PKT_TSTAMP_MICRO;
    want.max_nil_read = 7;
    want.promiscuous = true;
    want.nonblock = true;
    h = open_ok("v0", &want);
    memset(&got, 0x5a, sizeof got);
    CHECK_RC(pkt_get_config(h, &got), 0);
    CHECKF(got.buffer_size >= want.buffer_size, "buffer_size %lld < requested %lld",
           (long long)got.buffer_size, (long long)want.buffer_size);
    CHECKF(got.buffer_size < 16 * want.buffer_size, "buffer_size %lld for %lld requested",
           (long long)got.buffer_size, (long long)want.buffer_size);
    note("buffer_size %lld requested, %lld effective", (long long)want.buffer_size,
         (long long)got.buffer_size);
    CHECK(got.read_timeout_ms == 1234);
    CHECK(got.block_timeout_ms == 42);
    CHECK(got.filter == NULL && got.filter_len == 0);
    CHECK(got.proto == TEST_ETHERTYPE);
    CHECK(got.direction == PKT_DIR_IN);
    CHECK(got.tstamp_resolution == PKT_TSTAMP_MICRO);
    CHECK(got.max_nil_read == 7);
    CHECK(got.promiscuous && got.nonblock && !got.immediate && !got.cooked);
    CHECK_RC(pkt_close(h), 0);

    /* immediate mode and explicit cooked mode are reported */
    pkt_config_default(&want);
    want.immediate = true;
    want.cooked = true;
    h = open_ok("v0", &want);
    CHECK_RC(pkt_get_config(h, &got), 0);
    CHECK(got.immediate && got.cooked);
    CHECK(got.buffer_size >= 2 * 1024 * 1024);
    CHECK_RC(pkt_close(h), 0);

    /* all interfaces: cooked is forced on, with NULL and with "" */
    const char *any_names[] = {NULL, ""};
    for (int i = 0; i < 2; i++) {
        pkt_config_default(&want);
        CHECK(!want.cooked);
        h = open_ok(any_names[i], &want);
        CHECK_RC(pkt_get_config(h, &got), 0);
        CHECKF(got.cooked, "cooked not forced on for ifname %s", any_names[i] ? "\"\"" : "NULL");
        CHECK(got.filter == NULL && got.filter_len == 0);
        CHECK_RC(pkt_close(h), 0);
    }

    /* a caller's later changes to its config or filter do not reach the handle */
    pkt_config_default(&want);
    want.read_timeout_ms = 300;
    pkt_bpf_insn_t prog2[4];
    filter_ethertype(prog2, TEST_ETHERTYPE, 262144);
    want.filter = prog2;
    want.filter_len = 4;
    h = open_ok("v0", &want);
    want.read_timeout_ms = 999;
    memset(prog2, 0xff, sizeof prog2); /* the filter was copied at open */
    CHECK_RC(pkt_get_config(h, &got), 0);
    CHECK(got.read_timeout_ms == 300);
    raw_tx_t tx = raw_tx_open("v1");
    uint8_t v0mac[6];
    mac_of("v0", v0mac);
    raw_tx_send_seq(&tx, v0mac, OTHER_ETHERTYPE, 1, 100);
    raw_tx_send_seq(&tx, v0mac, TEST_ETHERTYPE, 2, 100);
    const uint8_t *d;
    pkt_info_t info;
    int rc = read_test_frame(h, 3000, false, &d, &info);
    CHECK_OK(rc);
    CHECKF(frame_seq(d, info.caplen, ETH_HDR_LEN) == 2,
           "the filter given at open no longer works after the caller overwrote its copy "
           "(seq %lld)", (long long)frame_seq(d, info.caplen, ETH_HDR_LEN));
    raw_tx_close(&tx);
    CHECK_RC(pkt_close(h), 0);
}

int main(void)
{
    test_init("test_config", 40);
    check_defaults();
    check_check();
    check_effective();
    return test_pass();
}
