#!/usr/bin/env bash
# tcpdump's own test suite as a held-out body for the compatible library: every case of
# tcpdump's tests/TESTLIST (its capture file and options), and every capture file in that
# directory with no options and with -vv -e, read by the same /usr/bin/tcpdump on the system's
# libpcap and on target/<profile>/compat. Output, error text and exit code must be identical;
# and each file copied with -r FILE -w OUT must give byte-identical copies.
#
#   tests/compat/tcpdump_suite.sh TESTS_DIR [COMPAT_LIB_DIR]
#
# TESTS_DIR is the tests/ directory of a tcpdump source tree (the test files are tcpdump's and
# are not part of this repository, so CI does not run this; it is a measurement). Prints each
# difference and "N cases, M differences"; exits 1 when M > 0. No traffic, no root needed.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TESTS=${1:?usage: tcpdump_suite.sh TESTS_DIR [COMPAT_LIB_DIR]}
COMPAT=${2:-$ROOT/target/release/compat}
[[ -f $TESTS/TESTLIST ]] || { echo "tcpdump_suite.sh: no TESTLIST in $TESTS" >&2; exit 2; }
[[ -f $COMPAT/libpcap.so.0.8 ]] || { echo "tcpdump_suite.sh: no $COMPAT/libpcap.so.0.8 (scripts/compat-lib.sh release)" >&2; exit 2; }
LD_LIBRARY_PATH=$COMPAT tcpdump --version 2>&1 | grep -q libpkt ||
    { echo "tcpdump_suite.sh: tcpdump does not load $COMPAT" >&2; exit 2; }
cd "$TESTS" || exit 2
n=0 d=0
one() { # FILE OPTIONS...
    local f=$1 a b
    shift
    a=$(timeout 30 tcpdump -n -r "$f" "$@" 2>&1; echo "exit $?")
    b=$(LD_LIBRARY_PATH=$COMPAT timeout 30 tcpdump -n -r "$f" "$@" 2>&1; echo "exit $?")
    n=$((n + 1))
    if [[ $a != "$b" ]]; then
        d=$((d + 1))
        echo "DIFFERS: tcpdump -n -r $f $*"
        diff <(echo "$a") <(echo "$b") | head -n 8
    fi
}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
copy() { # FILE: tcpdump -r FILE -w OUT on both libraries, the copies compared byte for byte
    local f=$1 a b
    a=$(timeout 30 tcpdump -r "$f" -w "$OUT/a" 2>&1; echo "exit $?")
    b=$(LD_LIBRARY_PATH=$COMPAT timeout 30 tcpdump -r "$f" -w "$OUT/b" 2>&1; echo "exit $?")
    n=$((n + 1))
    if [[ $a != "$b" ]] || ! cmp -s "$OUT/a" "$OUT/b"; then
        d=$((d + 1))
        echo "DIFFERS: tcpdump -r $f -w OUT"
        diff <(echo "$a") <(echo "$b") | head -n 4
        cmp "$OUT/a" "$OUT/b" 2>&1 | head -n 2
    fi
    rm -f "$OUT/a" "$OUT/b"
}
while read -r name input _output opts; do
    [[ -z $name || $name == \#* ]] && continue
    # TESTLIST's options are shell words (quoted filter expressions).
    eval "set -- $opts"
    one "$input" "$@"
done <TESTLIST
shopt -s nullglob
for f in *.pcap *.pcapng; do
    one "$f"
    one "$f" -vv -e
    copy "$f"
done
echo "$n cases, $d differences"
((d == 0))
