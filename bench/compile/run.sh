#!/usr/bin/env bash
# Program size and compile time of libpkt's filter compiler vs libpcap's, over the expression
# corpus of the differential test (crates/pkt-bpf/tests/compile_diff/exprs/*.txt), optimized, for EN10MB,
# LINUX_SLL, LINUX_SLL2 and RAW (issue 6, "Measure"). Prints a markdown summary table, the
# expressions where ours is longer, and writes the per-expression table to
# bench/compile/out/sizes.md.
#
#   bench/compile/run.sh [REPS]     # REPS compiles per expression for the timing (default 200)
#
# Needs cc and libpcap-dev (the reference; never linked into libpkt).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
REPS="${1:-200}"
OUT="$ROOT/bench/compile/out"
mkdir -p "$OUT"

if [[ ! -e /usr/include/pcap/pcap.h ]]; then
    if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends libpcap-dev </dev/null
    else
        echo "libpcap-dev is missing (apt-get install libpcap-dev)" >&2
        exit 1
    fi
fi

echo "libpcap: $(dpkg-query -W -f '${Version}' libpcap0.8-dev 2>/dev/null || echo unknown);" \
    "rustc: $(rustc --version); $(nproc) CPUs; $REPS compiles per expression"
# Build first, so that compiler warnings do not end up in the table.
cargo test --release --quiet --no-run -p pkt-bpf --test compile_diff 2>/dev/null ||
    cargo test --release --no-run -p pkt-bpf --test compile_diff
COMPILE_BENCH_REPS="$REPS" COMPILE_BENCH_OUT="$OUT/sizes.md" \
    cargo test --release --quiet -p pkt-bpf --test compile_diff -- --ignored --exact bench --nocapture --test-threads 1 \
    2>/dev/null | grep -v -E '^(running [0-9]+ tests?|test bench \.\.\.|test result:|\.)$' | cat -s
