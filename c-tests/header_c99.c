/* pkt.h compiles on its own as C99 with -Wall -Wextra -Wpedantic -Werror. */
#include <pkt.h>

int pkt_header_c99_check(void);
int pkt_header_c99_check(void)
{
    pkt_config_t c;
    pkt_info_t i;
    pkt_stats_t s;
    pkt_bpf_insn_t b;
    (void)i;
    (void)s;
    (void)b;
    pkt_config_default(&c);
    return pkt_config_check(&c) ? 0 : 1;
}
