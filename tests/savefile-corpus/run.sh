#!/usr/bin/env bash
# Reads a directory of capture files nobody here wrote (a public test suite) with libpkt and with
# libpcap (the oracle, linked by this tool only) and compares them packet by packet, then reads
# mutated copies with libpkt under AddressSanitizer and UBSan, each file under a time limit.
# Not part of CI (the files are not ours to ship); run it by hand on any corpus:
#
#   tests/savefile-corpus/run.sh DIR [MUTATIONS_PER_FILE]      (default 20)
#
# e.g. tcpdump's tests: git clone https://github.com/the-tcpdump-group/tcpdump && run.sh tcpdump/tests
# Exit 0 when every file reads the same and no mutated copy crashes or hangs.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIR=${1:?usage: run.sh DIR [MUTATIONS_PER_FILE]}
MUT=${2:-20}
command -v cc >/dev/null && [[ -e /usr/include/pcap/pcap.h ]] || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc libpcap-dev
}
(cd "$ROOT" && cargo build --release -q)
OUT="$ROOT/build/savefile-corpus"
mkdir -p "$OUT"
cc -std=gnu11 -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -Wall -Wextra -Werror \
    -I"$ROOT/include" -o "$OUT/corpus_diff" "$ROOT/tests/savefile-corpus/corpus_diff.c" \
    "$ROOT/target/release/libpkt.a" $(bash "$ROOT/scripts/static-libs.sh") -lpcap
mapfile -d '' files < <(find "$DIR" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \
    -o -name '*.pcap[0-9]*' -o -name '*.ntar' \) -print0 | sort -z)
((${#files[@]} > 0)) || { echo "run.sh: no capture files under $DIR" >&2; exit 2; }
# One process per file keeps a hang or crash attributable; 60 s each at most.
fail=0 same=0 differ=0 further=0
for f in "${files[@]}"; do
    if out=$(timeout 60 "$OUT/corpus_diff" -m "$MUT" "$f" 2>&1); then
        if grep -q ' 1 read further' <<<"$out"; then further=$((further + 1)); else same=$((same + 1)); fi
    else
        rc=$?
        if ((rc == 1)); then
            differ=$((differ + 1))
            grep -A2 '^DIFFER' <<<"$out"
        else
            fail=$((fail + 1))
            echo "CRASH/HANG (exit $rc) $f"
            tail -5 <<<"$out"
        fi
    fi
done
echo "savefile-corpus: ${#files[@]} files: $same read the same by libpkt and libpcap, $further read further" \
    "by libpkt (libpcap 1.10 refuses their pcapng interfaces of different link types or snap lengths)," \
    "$differ differ," \
    "$fail crashed or hung; $MUT mutated copies of each read by libpkt under ASan/UBSan"
((differ == 0 && fail == 0))
