# PKT_STATIC_LIBS: the system libraries linked after libpkt.a, read from their one description,
# scripts/static-libs.txt (see there why these). Included by c-tests/, examples/ and tools/.
file(STRINGS "${CMAKE_CURRENT_LIST_DIR}/static-libs.txt" _pkt_static_libs REGEX "^[^#]")
string(REGEX REPLACE "[ \t]+" ";" _pkt_static_libs "${_pkt_static_libs}")
set(PKT_STATIC_LIBS "${_pkt_static_libs}" CACHE STRING "System libraries libpkt.a needs")
