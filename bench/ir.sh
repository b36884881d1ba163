#!/usr/bin/env bash
# Instructions per packet of libpkt's read paths on a prefilled ring (no waiting, full blocks),
# counted by callgrind inside read_all() only: the per-packet cost of the library itself, which
# the paced whole-process measurement of run.sh mixes with start-up and block timeouts.
#
#   sudo bench/ir.sh [N]        (N frames, default 100000; needs root, valgrind, gcc)
#
# Makes its own network namespace with a veth pair (deleted on exit); frames never leave it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
N=${1:-100000}
BUILD="$ROOT/bench/build"
mkdir -p "$BUILD"
(cd "$ROOT" && cargo build --release -q)
gcc -O2 -g -std=gnu11 -Wall -Wextra -Werror -I"$ROOT/include" -o "$BUILD/ir" "$ROOT/bench/ir.c" \
    "$ROOT/target/release/libpkt.a" $(bash "$ROOT/scripts/static-libs.sh")
ns="pktir-$$"
trap 'ip netns del "$ns" 2>/dev/null || true' EXIT
ip netns add "$ns"
ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null || true
ip -n "$ns" link add v0 type veth peer name v1
ip -n "$ns" link set v0 up
ip -n "$ns" link set v1 up
echo "| read path | packets | instructions | per packet |"
echo "| --- | --- | --- | --- |"
for mode in pkt_read pkt_read_batch pkt_dispatch pkt_read_slim raw_v3; do
    out="$BUILD/ir.callgrind.$mode"
    got=$(ip netns exec "$ns" valgrind -q --tool=callgrind --callgrind-out-file="$out" \
        --toggle-collect=read_all "$BUILD/ir" "$mode" "$N" | awk '{print $2}')
    ir=$(awk '/^(summary|totals):/ {print $2; exit}' "$out")
    echo "| $mode | $got | $ir | $(awk -v a="$ir" -v b="$got" 'BEGIN {printf "%.1f", a / b}') |"
done
