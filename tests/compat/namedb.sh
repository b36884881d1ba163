#!/usr/bin/env bash
# pcap/namedb.h (pcap_nametoaddr ... pcap_next_etherent, eproto_db): namedb.c built against the
# system's pcap.h, run on libpcap and on the compatible library; outputs compared. The
# /etc/ethers-format file is written here (entries, comments, junk, a long name, CRLF, a last
# line without its newline); the lookups touch only local files and numeric forms.
set -euo pipefail
# shellcheck source=tests/compat/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ct_init namedb
ct_need cc
[[ -e /usr/include/pcap/namedb.h ]] || ct_skip_or_fail "pcap/namedb.h is missing (libpcap-dev)"
cc -Wall -Werror -O1 -o "$CT_OUT/namedb" "$CT_DIR/namedb.c" -lpcap
long=$(printf 'n%.0s' $(seq 1 140))
printf '%s\n' \
    '# a comment' \
    '' \
    '0:1:2:3:4:5 pkt-one' \
    '  00:11:22:33:44:55	pkt-two # trailing comment' \
    '8:0:20:1:2:3' \
    "a:b:c:d:e:f $long" \
    'zz:1:2:3:4:5 notanaddress' \
    '1:2:3:4:5:6:7 toomany' \
    '1:2:3 short' \
    '1:2:3:4:5:6x junk' \
    $'aa:bb:cc:dd:ee:ff crlf\r' \
    '02:00:00:00:00:01      #only-comment' >"$CT_OUT/ethers"
printf 'ff:ee:dd:cc:bb:aa last-no-newline' >>"$CT_OUT/ethers"
ct_ref "$CT_OUT/namedb" "$CT_OUT/ethers" >"$CT_OUT/ref.txt" 2>&1 || echo "exit $?" >>"$CT_OUT/ref.txt"
ct_compat "$CT_OUT/namedb" "$CT_OUT/ethers" >"$CT_OUT/compat.txt" 2>&1 || echo "exit $?" >>"$CT_OUT/compat.txt"
# One case per line, so that the count says how much was compared.
n=$(wc -l <"$CT_OUT/ref.txt")
CT_CASES=$((CT_CASES + n - 1))
ct_same "namedb" "$CT_OUT/ref.txt" "$CT_OUT/compat.txt"
ct_summary
