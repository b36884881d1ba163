/* pkt_setfilter rejects broken classic BPF programs with -EINVAL and a reason in pkt_errmsg(),
 * and the filter in place before the call keeps working. */
#include "common.h"

typedef struct {
    const char *what;
    pkt_bpf_insn_t prog[4];
    size_t len;
} bad_prog_t;

int main(void)
{
    test_init("test_filter_invalid", 40);

    const bad_prog_t bad[] = {
        {"conditional jump past the end", {BPF_JUMP_(OP_JEQ_K, 1, 5, 0), BPF_STMT_(OP_RET_K, 0)}, 2},
        {"false branch past the end", {BPF_JUMP_(OP_JEQ_K, 1, 0, 3), BPF_STMT_(OP_RET_K, 0)}, 2},
        {"ja past the end", {BPF_STMT_(OP_JA, 10), BPF_STMT_(OP_RET_K, 0)}, 2},
        {"no ret at the end", {BPF_STMT_(OP_LD_IMM, 0), BPF_STMT_(OP_LD_IMM, 1)}, 2},
        {"single non-ret instruction", {BPF_STMT_(OP_LD_IMM, 0)}, 1},
        {"division by constant 0",
         {BPF_STMT_(OP_LD_IMM, 1), BPF_STMT_(OP_DIV_K, 0), BPF_STMT_(OP_RET_K, 0)}, 3},
        {"unknown opcode", {BPF_STMT_(0xffff, 0), BPF_STMT_(OP_RET_K, 0)}, 2},
        {"scratch memory index 16", {BPF_STMT_(OP_LD_MEM, 16), BPF_STMT_(OP_RET_K, 0)}, 2},
        {"load of never-stored scratch memory",
         {BPF_STMT_(OP_LD_MEM, 0), BPF_STMT_(0x16 /* ret a */, 0)}, 2},
    };

    pkt_config_t c = test_config();
    pkt_t *h = open_ok("v0", &c);
    pkt_bpf_insn_t good[4];
    filter_ethertype(good, TEST_ETHERTYPE, 262144);
    CHECK_OK(pkt_setfilter(h, good, 4));

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = pkt_setfilter(h, bad[i].prog, bad[i].len);
        CHECKF(rc == -EINVAL, "%s: pkt_setfilter returned %d (%s), expected -EINVAL", bad[i].what,
               rc, pkt_strerror(rc));
        const char *m = pkt_errmsg();
        CHECKF(m != NULL && m[0] != '\0', "%s: empty pkt_errmsg", bad[i].what);
        note("%s: \"%s\"", bad[i].what, m);
    }
    CHECK_RC(pkt_setfilter(h, NULL, 3), -EINVAL);

    /* the good filter set before the rejected ones is still the one in force */
    raw_tx_t tx = raw_tx_open("v1");
    uint8_t v0mac[6];
    mac_of("v0", v0mac);
    for (uint32_t s = 0; s < 10; s++)
        raw_tx_send_seq(&tx, v0mac, (s % 2) ? TEST_ETHERTYPE : OTHER_ETHERTYPE, s, 80);
    rx_frame_t *got = calloc(16, sizeof *got);
    CHECK(got != NULL);
    int n = collect_frames(h, false, 600, got, 16);
    CHECKF(n == 5, "%d frames after the rejected filters, expected the 5 of ethertype 0x88b5", n);
    for (int i = 0; i < n; i++) {
        CHECK(got[i].data[12] == 0x88 && got[i].data[13] == 0xb5);
        CHECK(frame_seq(got[i].data, got[i].info.caplen, ETH_HDR_LEN) == 2 * i + 1);
    }
    free(got);
    raw_tx_close(&tx);
    CHECK_RC(pkt_close(h), 0);
    return test_pass();
}
