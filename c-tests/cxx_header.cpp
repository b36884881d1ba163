// pkt.h from C++: it compiles with -Wall -Wextra -Wpedantic -Werror as C++11, the functions have
// C linkage (this links against libpkt.so), and a few calls behave.
#include <pkt.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

int main()
{
    pkt_config_t c;
    pkt_config_default(&c);
    if (!pkt_config_check(&c) || c.buffer_size != 2 * 1024 * 1024 || c.filter != nullptr) {
        std::fprintf(stderr, "FAIL cxx_header: pkt_config_default\n");
        return 1;
    }
    char want[64];
    std::snprintf(want, sizeof want, "%d.%d.%d", PKT_VERSION_MAJOR, PKT_VERSION_MINOR,
                  PKT_VERSION_PATCH);
    if (std::strcmp(pkt_version(), want) != 0) {
        std::fprintf(stderr, "FAIL cxx_header: pkt_version %s, header %s\n", pkt_version(), want);
        return 1;
    }
    pkt_t *h = nullptr;
    if (pkt_open("v0", &c, nullptr) != -EINVAL || pkt_close(h) != 0 ||
        pkt_strerror(-EINVAL) == nullptr || pkt_is_timeout(-EINVAL)) {
        std::fprintf(stderr, "FAIL cxx_header: basic calls\n");
        return 1;
    }
    pkt_bpf_insn_t prog[1] = {{0x06, 0, 0, 0}};
    pkt_info_t info = pkt_info_t();
    pkt_stats_t st = pkt_stats_t();
    (void)prog;
    (void)info;
    (void)st;
    std::fprintf(stderr, "PASS cxx_header\n");
    return 0;
}
