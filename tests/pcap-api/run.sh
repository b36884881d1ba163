#!/usr/bin/env bash
# A differential test of libpcap's API semantics: tests/pcap-api/api.c, built against the
# system's pcap.h and linked with -lpcap, runs once on the system's libpcap and once on the
# compatible library (LD_LIBRARY_PATH=target/release/compat), one section at a time, and the
# two outputs (stdout and the exit code) must be identical.
#
#   bash tests/pcap-api/run.sh [SECTION...]     (root; default: every section)
#
# Needs target/release/compat/libpcap.so.0.8:
#   cargo build --release && bash scripts/compat-lib.sh release
#
# Two network namespaces are made (and deleted on any exit): A holds lo, v0 (10.9.0.1/24,
# 02:00:00:00:00:01, up) and vd0 (down, no address); B holds their peers v1 (02:00:00:00:00:02,
# up) and vd1. IPv6 is off in both, so the kernel sends nothing of its own; the program sends
# its frames itself. Each run is bounded by PCAP_API_TIMEOUT seconds (default 30).
#
# Prints every difference (diff of libpcap's output, "<", against the library's, ">"), then
# "N checks, M differences, K known": a check is a line of libpcap's output (the exit code is
# one), a difference a line that is not the same on both (a changed block counts its longer
# side). The cases of tests/pcap-api/known-differences.txt (compiler-optimizer cases only, each
# with its reason) are compared apart: K counts those that differ; they do not fail the run.
# Exit status: 0 with no difference, 1 with any, 2 when it cannot run.
# PCAP_API_KEEP=DIR keeps the outputs (DIR/{libpcap,compat}/SECTION.{out,err}).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
COMPAT="${PCAP_API_COMPAT:-$ROOT/target/release/compat}"
LIMIT="${PCAP_API_TIMEOUT:-30}"
ALL_SECTIONS=(misc compile lifecycle read break direction filter offline devs init init-utf8)
if [ $# -gt 0 ]; then
    SECTIONS=("$@")
else
    SECTIONS=("${ALL_SECTIONS[@]}")
fi

die() {
    echo "run.sh: $*" >&2
    exit 2
}

[ "$(id -u)" = 0 ] || die "needs root (network namespaces, raw sockets)"
command -v ip >/dev/null || die "needs iproute2 (ip)"
[ -e "$COMPAT/libpcap.so.0.8" ] ||
    die "no $COMPAT/libpcap.so.0.8: cargo build --release && bash scripts/compat-lib.sh release"

work="$(mktemp -d /tmp/pcap-api.XXXXXX)"
nsa="pcapapi-a-$$"
nsb="pcapapi-b-$$"
child=
cleanup() {
    if [ -n "$child" ]; then
        kill -TERM "$child" 2>/dev/null || true
        wait "$child" 2>/dev/null || true
    fi
    ip -n "$nsa" link del v0 2>/dev/null || true
    ip -n "$nsa" link del vd0 2>/dev/null || true
    ip netns del "$nsa" 2>/dev/null || true
    ip netns del "$nsb" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

${CC:-cc} -Wall -Wextra -Werror -O1 -o "$work/api" "$ROOT/tests/pcap-api/api.c" -lpcap -lpthread ||
    die "cannot build api.c (libpcap-dev?)"

ip netns add "$nsa" || die "cannot create a network namespace"
ip netns add "$nsb" || die "cannot create a network namespace"
for ns in "$nsa" "$nsb"; do
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    ip -n "$ns" link set lo up
done
ip -n "$nsa" link add v0 type veth peer name v1 netns "$nsb"
ip -n "$nsa" link add vd0 type veth peer name vd1 netns "$nsb"
ip -n "$nsa" link set v0 address 02:00:00:00:00:01
ip -n "$nsb" link set v1 address 02:00:00:00:00:02
ip -n "$nsa" link set vd0 address 02:00:00:00:00:03
ip -n "$nsb" link set vd1 address 02:00:00:00:00:04
ip -n "$nsa" addr add 10.9.0.1/24 dev v0
ip -n "$nsa" link set v0 up
ip -n "$nsb" link set v1 up

# Both ends must report carrier before the first frame (bounded: 5 s).
up=no
for _ in $(seq 1 500); do
    s0="$(ip netns exec "$nsa" cat /sys/class/net/v0/operstate)"
    s1="$(ip netns exec "$nsb" cat /sys/class/net/v1/operstate)"
    if [ "$s0" = up ] && [ "$s1" = up ]; then
        up=yes
        break
    fi
    sleep 0.01
done
[ "$up" = yes ] || die "the veth pair did not come up (v0 $s0, v1 $s1)"

# run LIB SECTION: stdout and "exit N" in $work/LIB/SECTION.out, stderr beside it.
run() {
    local lib="$1" section="$2" dir="$work/$1/$2" rc=0
    mkdir -p "$dir"
    local -a envs=(env -u LD_LIBRARY_PATH -u LD_PRELOAD "API_PEER_NS=/run/netns/$nsb")
    if [ "$lib" = compat ]; then
        envs+=("LD_LIBRARY_PATH=$COMPAT")
    fi
    # In the background and waited for, so that a signal to this script runs its traps at once
    # (cleanup stops the run, then deletes the namespaces).
    (cd "$dir" && exec timeout --signal=TERM --kill-after=5 "$LIMIT" \
        ip netns exec "$nsa" "${envs[@]}" "$work/api" "$section") \
        >"$work/$lib/$section.out" 2>"$work/$lib/$section.err" &
    child=$!
    wait "$child" || rc=$?
    child=
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
        echo "TIMEOUT after ${LIMIT}s" >>"$work/$lib/$section.out"
    fi
    echo "exit $rc" >>"$work/$lib/$section.out"
}

# Which library each run loaded.
run libpcap version
run compat version
grep -q '^libpcap version' "$work/libpcap/version.out" ||
    die "the reference run did not load libpcap: $(head -n 1 "$work/libpcap/version.out")"
grep -q '^libpkt version' "$work/compat/version.out" ||
    die "the compat run did not load the compatible library: $(head -n 1 "$work/compat/version.out")"

# split_known SECTION FILE: takes the known cases of SECTION out of FILE (into FILE.known, one
# case after another, each under a "=== HEADER" line).
KNOWN="$ROOT/tests/pcap-api/known-differences.txt"
split_known() {
    local section="$1" file="$2"
    awk -F '\t' -v section="$section" -v known="$KNOWN" -v out="$file.rest" -v kout="$file.known" '
        BEGIN {
            while ((getline line < known) > 0) {
                if (line ~ /^#/ || line == "") continue
                split(line, f, "\t")
                if (f[1] == section) want[f[2]] = 1
            }
            printf "" > out
            printf "" > kout
        }
        {
            if (in_case && substr($0, 1, 2) == "  ") { print > kout; next }
            in_case = 0
            if ($0 in want) { in_case = 1; print "=== " $0 > kout; next }
            print > out
        }' "$file"
    mv -f "$file.rest" "$file"
}

checks=0
differences=0
known=0
for section in "${SECTIONS[@]}"; do
    run libpcap "$section"
    run compat "$section"
    n="$(wc -l <"$work/libpcap/$section.out")"
    checks=$((checks + n))
    split_known "$section" "$work/libpcap/$section.out"
    split_known "$section" "$work/compat/$section.out"
    # Each known case on its own: a difference counts once per case.
    while IFS=$'\t' read -r ksec khead kwhy; do
        [ "$ksec" = "$section" ] || continue
        a="$(awk -v h="=== $khead" '$0 == h {p = 1; next} /^=== / {p = 0} p' "$work/libpcap/$section.out.known")"
        b="$(awk -v h="=== $khead" '$0 == h {p = 1; next} /^=== / {p = 0} p' "$work/compat/$section.out.known")"
        if ! grep -qxF "=== $khead" "$work/libpcap/$section.out.known"; then
            echo "=== $section: known difference '$khead' not in libpcap's output (tests/pcap-api/known-differences.txt is stale)"
            differences=$((differences + 1))
        elif [ "$a" != "$b" ]; then
            known=$((known + 1))
            echo "=== $section: known difference: $khead ($kwhy)"
        else
            echo "=== $section: known difference '$khead' is identical now: delete it from tests/pcap-api/known-differences.txt"
        fi
    done < <(grep -v '^#' "$KNOWN" | grep -v '^$')
    if ! diff -a "$work/libpcap/$section.out" "$work/compat/$section.out" >"$work/$section.diff"; then
        # A changed block "a,bcd,e" counts max(b-a+1, e-d+1); an added or deleted one its lines.
        m="$(awk '/^[0-9]/ {
                split($0, s, /[acd]/)
                n1 = split(s[1], l, ","); o = (n1 == 2) ? l[2] - l[1] + 1 : 1
                n2 = split(s[2], r, ","); w = (n2 == 2) ? r[2] - r[1] + 1 : 1
                if ($0 ~ /a/) o = 0
                if ($0 ~ /d/) w = 0
                t += (o > w) ? o : w
            } END { print t + 0 }' "$work/$section.diff")"
        differences=$((differences + m))
        echo "=== $section: $m differences (< libpcap, > compat)"
        cat "$work/$section.diff"
        if [ -s "$work/compat/$section.err" ]; then
            echo "--- $section: compat stderr (first lines)"
            head -n 5 "$work/compat/$section.err"
        fi
    else
        echo "=== $section: $n checks, identical"
    fi
done

if [ -n "${PCAP_API_KEEP:-}" ]; then
    mkdir -p "$PCAP_API_KEEP"
    cp -r "$work/libpcap" "$work/compat" "$PCAP_API_KEEP/"
fi
echo "$checks checks, $differences differences, $known known"
[ "$differences" = 0 ]
