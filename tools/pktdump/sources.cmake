# pktdump's sources, for the tool (tools/CMakeLists.txt) and its tests (c-tests/CMakeLists.txt,
# which link PKTDUMP_CORE_SOURCES as the library pktdump_core and call pktdump_main):
#
#   include(<repository>/tools/pktdump/sources.cmake)
set(PKTDUMP_DIR "${CMAKE_CURRENT_LIST_DIR}")
set(PKTDUMP_CORE_SOURCES
    "${PKTDUMP_DIR}/options.c"
    "${PKTDUMP_DIR}/capture.c"
    "${PKTDUMP_DIR}/savefile.c"
    "${PKTDUMP_DIR}/threads.c"
    "${PKTDUMP_DIR}/print.c"
    "${PKTDUMP_DIR}/print_ip.c"
    "${PKTDUMP_DIR}/print_l4.c"
    "${PKTDUMP_DIR}/print_dns.c"
    "${PKTDUMP_DIR}/lists.c"
    "${PKTDUMP_DIR}/bpf_file.c")
set(PKTDUMP_MAIN_SOURCE "${PKTDUMP_DIR}/main.c")
