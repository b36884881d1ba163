#!/usr/bin/env bash
# libpkt's benchmark suite: libpkt against libpcap, in the same run, on a veth pair between two
# network namespaces that this script creates (and deletes on any exit).
#
#   sudo bench/run.sh            full run: 5 repetitions (about 7 minutes)
#   sudo bench/run.sh --quick    smoke run: 1 repetition, small counts (about 1-2 minutes)
#
# Options:
#   --reps N             repetitions of the capture, send and fanout runs (default 5; quick 1)
#   --sections LIST      comma-separated subset of capture,callgrind,send,fanout,idle,scale,filter
#                        (default all)
#   --scale-counts LIST  packet counts of the scale section (default 100000,1000000,10000000)
#   --count64 N          frames per capture run at 64 B (default 2000000; quick 300000)
#   --count1500 N        frames per capture/fanout run at 1500 B (default 1000000; quick 200000)
#   --send-count N       frames per send-rate run (default 1000000; quick 200000)
#   --cg N1,N2           packet counts of the callgrind runs (default 20000,60000; quick 5000,15000)
#   --batch N            pkt_read_batch / pkt_read_slim batch size (default 32: the batch's ring
#                        lines stay in L1 until the loop touches them; pkt_read_batch's doc)
#   --readers LIST       comma-separated subset of the capture readers (default all: pkt_read,
#                        pkt_read_batch, pkt_dispatch, pkt_read_slim, pcap_next_ex, pcap_dispatch,
#                        raw_v3)
#   --send-batch N       frames per pkt_write_batch call in the send section (default 256)
#   --sizes LIST         frame sizes of the capture runs (default 64,1500)
#   --bufs LIST          ring sizes of the capture runs (default 2M,8M)
#   --idle S             seconds of the idle measurement (default 10; quick 3)
#   --sender S           trafgen (default) or libpkt (pkt_write_batch, the fallback)
#   --no-install         do not apt-get missing packages
#   --out FILE           results file (default bench/results.md)
#
# What it measures (see bench/README.md for the method and why):
#   capture   libpkt pkt_read, pkt_read_batch, pkt_dispatch, pkt_read_slim vs libpcap pcap_next_ex,
#             pcap_dispatch and the floor, raw_v3 (a minimal TPACKET_V3 reader, bench/rawv3.h);
#             64 B and 1500 B frames; 2 MiB and 8 MiB buffers: packets, drops, capture-process CPU
#             ns per packet (user + system from getrusage, first packet to the end), the ratio to
#             libpcap, and the sender's achieved rate.
#   callgrind user-space instructions per packet of each read path (marginal over two counts).
#   send      packets per second and sender CPU per frame of pkt_write, pkt_write_batch
#             (sendmmsg, TX ring, TX ring + qdisc bypass), pcap_inject and trafgen, with nothing
#             capturing, on the veth and on a dummy interface (the kernel drops at once).
#   fanout    1500 B, 2 MiB: two libpkt fanout members against one handle: drops.
#   idle      every reader open on a silent link for a while: CPU and wake-ups.
#   scale     64 B, 8 MiB at 10^5, 10^6, 10^7 packets: CPU per packet, and peak RSS beside the ring.
#   filter    64 B, 8 MiB: no filter, a kernel filter, a program run in user space (too long for
#             the kernel), libpkt against libpcap: the filter's cost per packet.
#
# Layout: sender in namespace S on CPU 0, capture in namespace R on CPU 1. The frames go to a MAC
# that is not the receiver's, with an ethertype no protocol claims, so the receiving stack drops
# them right after the capture taps. Traffic never leaves the two namespaces; every send is a
# fixed count bounded in time; only processes this script started are ever signalled.
#
# It is a benchmark, not a test: it exits non-zero only when something cannot run, never
# because a number is bad.
set -uo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH/.." && pwd)"
BUILD="$BENCH/build"
OUTDIR="$BENCH/out"
CMDLINE="bench/run.sh $*"

QUICK=0
REPS=""
SECTIONS="capture,callgrind,send,fanout,idle,scale,filter"
COUNT64="" COUNT1500="" SEND_COUNT="" CG="" IDLE_S=""
BATCH=32
READERS_OPT="" SIZES_OPT="" BUFS_OPT=""
SEND_BATCH=256
SCALE_COUNTS="100000 1000000 10000000"
SENDER=trafgen
INSTALL=1
RESULTS="$BENCH/results.md"

die() {
    echo "run.sh: $*" >&2
    exit 1
}

while (($#)); do
    case $1 in
    --quick) QUICK=1 ;;
    --reps) REPS=$2; shift ;;
    --sections) SECTIONS=$2; shift ;;
    --count64) COUNT64=$2; shift ;;
    --count1500) COUNT1500=$2; shift ;;
    --send-count) SEND_COUNT=$2; shift ;;
    --cg) CG=$2; shift ;;
    --batch) BATCH=$2; shift ;;
    --readers) READERS_OPT=$2; shift ;;
    --sizes) SIZES_OPT=$2; shift ;;
    --send-batch) SEND_BATCH=$2; shift ;;
    --scale-counts) SCALE_COUNTS=${2//,/ }; shift ;;
    --bufs) BUFS_OPT=$2; shift ;;
    --idle) IDLE_S=$2; shift ;;
    --sender) SENDER=$2; shift ;;
    --no-install) INSTALL=0 ;;
    --out) RESULTS=$2; shift ;;
    -h | --help) sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
    esac
    shift
done
if ((QUICK)); then
    : "${REPS:=1}" "${COUNT64:=300000}" "${COUNT1500:=200000}" "${SEND_COUNT:=200000}"
    : "${CG:=5000,15000}" "${IDLE_S:=3}"
else
    : "${REPS:=5}" "${COUNT64:=2000000}" "${COUNT1500:=1000000}" "${SEND_COUNT:=1000000}"
    : "${CG:=20000,60000}" "${IDLE_S:=10}"
fi
CG_N1=${CG%,*}
CG_N2=${CG#*,}
for v in "$REPS" "$COUNT64" "$COUNT1500" "$SEND_COUNT" "$CG_N1" "$CG_N2" "$BATCH" "$SEND_BATCH" "$IDLE_S"; do
    [[ $v =~ ^[1-9][0-9]*$ ]] || die "not a positive count: $v"
done
((CG_N2 > CG_N1)) || die "--cg N1,N2 needs N2 > N1"
[[ $SENDER == trafgen || $SENDER == libpkt ]] || die "--sender is trafgen or libpkt"
has_section() { [[ ",$SECTIONS," == *",$1,"* ]]; }

[[ $EUID -eq 0 ]] || die "needs root (network namespaces, packet sockets)"
(($(nproc) >= 2)) || die "needs 2 CPUs (sender on CPU 0, capture on CPU 1)"
STARTED=$SECONDS

# ---------------------------------------------------------------------------------------------
# Tools

# Installs the Debian packages whose marker (a command or a file) is missing.
ensure_packages() {
    local pair missing=() marker
    for pair in "$@"; do
        marker=${pair%%:*}
        if [[ $marker == /* ]]; then
            [[ -e $marker ]] && continue
        else
            command -v "$marker" >/dev/null 2>&1 && continue
        fi
        missing+=("${pair#*:}")
    done
    ((${#missing[@]})) || return 0
    ((INSTALL)) || die "missing packages (and --no-install): ${missing[*]}"
    command -v apt-get >/dev/null 2>&1 || die "missing packages and no apt-get: ${missing[*]}"
    echo "installing: ${missing[*]} (log: $OUTDIR/apt.log)"
    mkdir -p "$OUTDIR"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q </dev/null >>"$OUTDIR/apt.log" 2>&1 || die "apt-get update failed"
    apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null \
        >>"$OUTDIR/apt.log" 2>&1 || die "apt-get install ${missing[*]} failed"
}

# libpcap-dev is a benchmark-only dependency: libpkt itself never links it.
ensure_packages gcc:gcc /usr/include/stdio.h:libc6-dev readelf:binutils ip:iproute2 taskset:util-linux \
    awk:mawk timeout:coreutils valgrind:valgrind /usr/include/pcap/pcap.h:libpcap-dev
if [[ $SENDER == trafgen ]]; then
    # A failed install is not fatal: the libpkt sender takes over, and the results say so.
    (ensure_packages trafgen:netsniff-ng) || true
fi
if ! command -v cargo >/dev/null 2>&1; then
    [[ -x $HOME/.cargo/bin/cargo ]] && PATH="$HOME/.cargo/bin:$PATH"
fi
# Debian's own cargo may be older than the crate's rust-version; rustup's is what CI uses.
command -v cargo >/dev/null 2>&1 || ensure_packages cargo:cargo

# ---------------------------------------------------------------------------------------------
# Build: libpkt, then the bench programs linked against libpkt.so through its soname.

echo "== building libpkt (cargo build --release)"
built=0
for attempt in 1 2 3; do
    if (cd "$ROOT" && cargo build --release 2>&1 | tail -n 3); then
        built=1
        break
    fi
    # Someone may be editing the sources right now: give them a moment.
    ((attempt < 3)) && { echo "build failed; retrying in 30 s"; sleep 30; }
done
((built)) || die "cargo build --release failed (libpkt needs the Rust of Cargo.toml's rust-version)"
LIB="$ROOT/target/release/libpkt.so"
[[ -f $LIB ]] || die "$LIB not found after the build"

mkdir -p "$BUILD" "$OUTDIR"
soname=$(readelf -d "$LIB" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[[ -n $soname ]] && ln -sfn "$LIB" "$BUILD/$soname"
for prog in cap send; do
    gcc -O2 -g -std=gnu11 -Wall -Wextra -Werror -I"$ROOT/include" -o "$BUILD/$prog" "$BENCH/$prog.c" \
        -L"$ROOT/target/release" -lpkt -lpcap -Wl,-rpath,"$BUILD" ||
        die "cannot build bench/$prog.c"
done
LIB_SUM=$(sha256sum "$LIB" | cut -c1-16)
VERSIONS=$("$BUILD/cap" -V) || die "bench/build/cap does not run"

# ---------------------------------------------------------------------------------------------
# Network: namespace S (sender, iface $IF_S) <-veth-> namespace R (capture, iface $IF_R)

NS_S="pkb-s-$$-$RANDOM"
NS_R="pkb-r-$$-$RANDOM"
IF_S=pkbs0
IF_R=pkbr0
IF_D=pkbd0 # a dummy (or ifb) interface in S: the send section's second device
PIDS=()

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    ip netns del "$NS_S" 2>/dev/null
    ip netns del "$NS_R" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

ip netns add "$NS_S" || die "cannot create network namespace $NS_S"
ip netns add "$NS_R" || die "cannot create network namespace $NS_R"
for ns in "$NS_S" "$NS_R"; do
    # No IPv6: nothing but the benchmark's frames on the link (no RS, MLD or DAD).
    # shellcheck disable=SC2016 # $k is the inner shell's
    ip netns exec "$ns" sh -c 'for k in all default; do
        echo 1 > /proc/sys/net/ipv6/conf/$k/disable_ipv6; done' 2>/dev/null
done
ip -n "$NS_S" link add "$IF_S" type veth peer name "$IF_R" netns "$NS_R" ||
    die "cannot create the veth pair"
if ! ip -n "$NS_S" link set "$IF_S" up || ! ip -n "$NS_R" link set "$IF_R" up; then
    die "cannot bring the veth pair up"
fi
for _ in $(seq 50); do
    ip -n "$NS_R" link show "$IF_R" | grep -q LOWER_UP &&
        ip -n "$NS_S" link show "$IF_S" | grep -q LOWER_UP && break
    sleep 0.1
done

in_s() { ip netns exec "$NS_S" taskset -c 0 "$@"; }
in_r() { ip netns exec "$NS_R" taskset -c 1 "$@"; }

# ---------------------------------------------------------------------------------------------
# Noise: CPU use of both CPUs from /proc/stat, in ticks.

# Steal (the hypervisor running something else on our vCPU) counts as busy: for a reader it is
# time away just like another process running.
cpu_ticks() { # prints "busy0 total0 busy1 total1 steal1"
    awk '$1 == "cpu0" || $1 == "cpu1" { b = $2 + $3 + $4 + $7 + $8 + $9; t = b + $5 + $6;
         printf "%d %d ", b, t } $1 == "cpu1" { s = $9 } END { print s }' /proc/stat
}
busy_pct() { # busy_pct "BEFORE" "AFTER" -> "pct0 pct1" (fields 1-5 before, 6-10 after)
    echo "$1 $2" | awk '{ d0 = $7 - $2; d1 = $9 - $4;
        printf "%.1f %.1f\n", d0 ? 100 * ($6 - $1) / d0 : 0, d1 ? 100 * ($8 - $3) / d1 : 0 }'
}
ticks_hz=$(getconf CLK_TCK)

# Waits until both CPUs are quiet (other work shares these machines), at most 5 s per run and
# about 2 minutes in all (400 extra samples of 0.3 s), and sets PRE0/PRE1 to the busy % seen
# just before the run.
QUIET_PCT=15
QUIET_BUDGET=400
quiet_wait() {
    local t0=$SECONDS a b p
    while :; do
        a=$(cpu_ticks)
        sleep 0.3
        b=$(cpu_ticks)
        read -r PRE0 PRE1 <<<"$(busy_pct "$a" "$b")"
        p=$(awk -v x="$PRE0" -v y="$PRE1" -v q=$QUIET_PCT 'BEGIN { print (x < q && y < q) }')
        ((p)) && return
        ((SECONDS - t0 >= 5 || QUIET_BUDGET <= 0)) && return
        QUIET_BUDGET=$((QUIET_BUDGET - 1))
    done
}

# ---------------------------------------------------------------------------------------------
# Senders. Both the capture runs and the send-rate runs use these, so every contender sees the
# same traffic.

trafgen_packet() { # SIZE: the frame of bench.h (dst 02:..:02, src 02:..:01, ethertype 0x88b5)
    echo "{ 0x02,0,0,0,0,0x02, 0x02,0,0,0,0,0x01, c16(0x88b5), fill(0xab, $(($1 - 14))) }"
}

# send_traffic SIZE COUNT [GAP_US]: sends COUNT frames of SIZE bytes from namespace S on CPU 0,
# sets SENDER_PPS (achieved rate) and returns non-zero if the sender failed.
# trafgen: one worker (-P 1) on CPU 0, no global sysctl or IRQ changes (-A -Q).
send_traffic() {
    local size=$1 count=$2 gap=${3:-} log="$OUTDIR/sender.log" limit
    limit=$((60 + count / 10000))
    SENDER_PPS=0
    if [[ $SENDER == trafgen ]]; then
        timeout -k 2 "$limit" ip netns exec "$NS_S" taskset -c 0 trafgen --dev "$IF_S" \
            -n "$count" -P 1 --no-sock-mem -Q ${gap:+-t "${gap}us"} "$(trafgen_packet "$size")" \
            >"$log" 2>&1 || return 1
        # "\r  1 sec, 20101 usec on CPU0 (1000000 packets)" (the \r would be a field of its own)
        SENDER_PPS=$(awk '/usec on CPU/ { gsub(/\r/, ""); s = $1 + $3 / 1e6; n = $7; gsub(/\(/, "", n);
                          if (s > 0) printf "%.0f", n / s }' "$log")
    else
        local mode=pkt_write_batch_sendmmsg
        [[ -n $gap ]] && mode=pkt_write
        timeout -k 2 "$limit" ip netns exec "$NS_S" taskset -c 0 "$BUILD/send" "$mode" \
            "$IF_S" -n "$count" -s "$size" ${gap:+-g "$gap"} >"$log" 2>&1 || return 1
        SENDER_PPS=$(sed -n 's/.* pps=\([0-9]*\).*/\1/p' "$log")
    fi
    [[ -n $SENDER_PPS ]] || SENDER_PPS=0
}

if [[ $SENDER == trafgen ]]; then
    if ! command -v trafgen >/dev/null 2>&1 || ! send_traffic 64 10; then
        echo "trafgen cannot run here ($(tail -n 1 "$OUTDIR/sender.log" 2>/dev/null)):" \
            "falling back to libpkt's pkt_write_batch sender"
        SENDER=libpkt
        FALLBACK_WHY="FALLBACK: trafgen cannot run here"
    fi
fi
if [[ $SENDER == trafgen ]]; then
    SENDER_DESC="trafgen ($(trafgen -v 2>&1 | head -n 1 | awk '{ print $2 }'), 1 worker, TX ring, qdisc bypass)"
else
    SENDER_DESC="libpkt pkt_write_batch (sendmmsg) — ${FALLBACK_WHY:-chosen with --sender libpkt}"
fi
SENDER_DESC_PACED="$SENDER_DESC, paced -t 50us"
[[ $SENDER == libpkt ]] && SENDER_DESC_PACED="libpkt pkt_write, one frame every 50 us"

# ---------------------------------------------------------------------------------------------
# Runs. Every result is one line of key=value pairs in $RAW; the report is computed from it.

RAW="$OUTDIR/raw.txt"
: >"$RAW"
record() { echo "$*" >>"$RAW"; }

# start_cap TAG ARGS...: starts a capture process in namespace R on CPU 1 (under the command in
# the array CAP_WRAP, e.g. valgrind, when set) and waits until its handle is open. Sets CAP_PID,
# CAP_OUT.
CAP_WRAP=()
start_cap() {
    local tag=$1
    shift
    CAP_OUT="$OUTDIR/cap-$tag.out"
    local ready="$OUTDIR/cap-$tag.ready"
    rm -f "$ready"
    ip netns exec "$NS_R" taskset -c 1 "${CAP_WRAP[@]}" "$BUILD/cap" "$@" -r "$ready" \
        >"$CAP_OUT" 2>&1 &
    CAP_PID=$!
    PIDS+=("$CAP_PID")
    local i
    for ((i = 0; i < 600; i++)); do # 60 s: valgrind starts slowly
        [[ -e $ready ]] && return 0
        kill -0 "$CAP_PID" 2>/dev/null || break
        sleep 0.1
    done
    return 1
}

# stop_cap PID: after the grace period, asks the reader to stop (it drains and reports), and
# waits at most 30 s before killing it. Returns its exit status.
stop_cap() {
    local pid=$1 i rc
    kill -USR1 "$pid" 2>/dev/null
    for ((i = 0; i < 300; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    wait "$pid"
    rc=$?
    local keep=() p
    for p in "${PIDS[@]}"; do
        [[ $p == "$pid" ]] || keep+=("$p")
    done
    PIDS=("${keep[@]}")
    return $rc
}

# The last partial ring block is handed over after the 100 ms block timeout, and a vCPU can be
# away for 50-100 ms here: after the sender is done, wait this long before stopping readers.
GRACE=0.5

kv() { # kv KEY "LINE": the value of KEY=... in LINE
    awk -v k="$1" '{ for (i = 1; i <= NF; i++) { n = index($i, "=");
        if (substr($i, 1, n - 1) == k) { print substr($i, n + 1); exit } } }' <<<"$2"
}

# capture_run TAGS REP SIZE BUF READER COUNT: one capture contender against the fixed-count
# sender; TAGS (e.g. "section=capture") start its line in $RAW.
capture_run() {
    local tags=$1 rep=$2 size=$3 buf=$4 reader=$5 count=$6 base status=ok line a b f0 f1
    local foreign=0 steal=0
    base="$tags rep=$rep size=$size buf=$buf reader=$reader count=$count"
    quiet_wait
    base="$base pre0=$PRE0 pre1=$PRE1"
    if [[ $reader == none ]]; then
        send_traffic "$size" "$count" || status=sender-failed
        record "$base sender_pps=$SENDER_PPS status=$status"
        return
    fi
    if ! start_cap run "$reader" "$IF_R" -b "$buf" -B "$BATCH" -T 120 "${CAP_EXTRA[@]}"; then
        record "$base status=cap-failed:$(tail -n 1 "$CAP_OUT" | tr ' ' '_')"
        stop_cap "$CAP_PID"
        return
    fi
    a=$(cpu_ticks)
    send_traffic "$size" "$count" || status=sender-failed
    sleep "$GRACE"
    stop_cap "$CAP_PID" || status=cap-exit-$?
    b=$(cpu_ticks)
    line=$(grep '^mode=' "$CAP_OUT" | tail -n 1)
    [[ -n $line ]] || status="cap-failed:$(tail -n 1 "$CAP_OUT" | tr ' ' '_')"
    # Foreign use of the capture CPU: its busy time over the run minus the reader's own CPU.
    read -r f0 f1 <<<"$(busy_pct "$a" "$b")"
    # fields of "$a $b": 1-5 before, 6-10 after (busy0 total0 busy1 total1 steal1)
    read -r foreign steal <<<"$(echo "$a $b" | awk -v hz="$ticks_hz" -v own="$(kv cpu_ns "$line")" '{
        dt = ($9 - $4) / hz; if (dt <= 0) { print 0, 0; exit }
        f = (($8 - $3) / hz - own / 1e9) / dt * 100
        printf "%.1f %.1f\n", f < 0 ? 0 : f, ($10 - $5) / hz / dt * 100 }')"
    record "$base sender_pps=$SENDER_PPS pkts=$(kv pkts "$line") drops=$(kv drops "$line")" \
        "recvs=$(kv recvs "$line") ns_per_pkt=$(kv ns_per_pkt "$line")" \
        "user_ns=$(kv user_ns "$line") sys_ns=$(kv sys_ns "$line") ring=$(kv ring "$line")" \
        "rss_kib=$(kv rss_kib "$line") filter=$(kv filter "$line")" \
        "cpu0=$f0 cpu1=$f1 foreign1=$foreign steal1=$steal status=$status"
}

CAP_EXTRA=() # more arguments for cap in capture_run (the filter section's -e / -E)

# Rotates a list by N, so each repetition runs the contenders in another order and none is
# always first after the sender's warm-up or last before a burst of foreign work.
rotate() {
    local n=$1
    shift
    local a=("$@") i
    for ((i = 0; i < ${#a[@]}; i++)); do
        printf '%s ' "${a[(i + n) % ${#a[@]}]}"
    done
}

READERS=(pkt_read pkt_read_batch pkt_dispatch pkt_read_slim pcap_next_ex pcap_dispatch raw_v3)
BUFS=(2M 8M)
SIZES=(64 1500)
[[ -n $READERS_OPT ]] && IFS=, read -ra READERS <<<"$READERS_OPT"
[[ -n $SIZES_OPT ]] && IFS=, read -ra SIZES <<<"$SIZES_OPT"
[[ -n $BUFS_OPT ]] && IFS=, read -ra BUFS <<<"$BUFS_OPT"
count_for() { (($1 == 64)) && echo "$COUNT64" || echo "$COUNT1500"; }

progress() { printf '[%4ds] %s\n' $((SECONDS - STARTED)) "$*"; }

# ---- capture
if has_section capture; then
    for ((rep = 1; rep <= REPS; rep++)); do
        for size in "${SIZES[@]}"; do
            progress "capture rep $rep/$REPS, $size B"
            capture_run section=capture "$rep" "$size" - none "$(count_for "$size")"
            for buf in "${BUFS[@]}"; do
                for reader in $(rotate "$rep" "${READERS[@]}"); do
                    capture_run section=capture "$rep" "$size" "$buf" "$reader" \
                        "$(count_for "$size")"
                done
            done
        done
    done
fi

# ---- scale: the same readers at 10^5, 10^6 and 10^7 packets (64 B, 8 MiB): flat per packet?
# Also the peak RSS of each reader beside its ring.
SCALE_READERS=(pkt_read_batch pkt_read_slim pcap_dispatch raw_v3)
if has_section scale; then
    for ((rep = 1; rep <= REPS; rep++)); do
        for count in $SCALE_COUNTS; do
            progress "scale rep $rep/$REPS, $count packets"
            for reader in $(rotate "$rep" "${SCALE_READERS[@]}"); do
                capture_run "section=scale" "$rep" 64 8M "$reader" "$count"
            done
        done
    done
fi

# ---- filter: 64 B, 8 MiB, every frame matching: no filter, a kernel filter (ether proto
# 0x88b5), and a program the kernel refuses (over 4096 instructions: that expression or'ed with
# hundreds of host tests, which the frames never reach), so both libraries run it in user space.
FILTER_READERS=(pkt_read_batch pkt_read_slim pcap_dispatch)
if has_section filter; then
    long="$OUTDIR/long-filter.txt"
    {
        printf 'ether proto 0x88b5'
        for ((i = 0; i < 800; i++)); do printf ' or host 10.99.%d.%d' $((i / 250)) $((i % 250 + 1)); done
        echo
    } >"$long"
    for ((rep = 1; rep <= REPS; rep++)); do
        for kind in none kernel user; do
            progress "filter rep $rep/$REPS, $kind"
            case $kind in
            none) CAP_EXTRA=() ;;
            kernel) CAP_EXTRA=(-e "ether proto 0x88b5") ;;
            user) CAP_EXTRA=(-E "$long") ;;
            esac
            for reader in $(rotate "$rep" "${FILTER_READERS[@]}"); do
                capture_run "section=filter kind=$kind" "$rep" 64 8M "$reader" "$COUNT64"
            done
        done
    done
    CAP_EXTRA=()
fi

# ---- callgrind: user-space instructions per packet, marginal over two packet counts, with a
# paced sender so that nothing drops (valgrind slows the reader some 50x).
if has_section callgrind; then
    for reader in "${READERS[@]}"; do
        for n in "$CG_N1" "$CG_N2"; do
            progress "callgrind $reader, $n packets"
            cgout="$OUTDIR/callgrind.$reader.$n"
            rm -f "$cgout"
            base="section=callgrind reader=$reader n=$n"
            CAP_WRAP=(valgrind -q --tool=callgrind "--callgrind-out-file=$cgout")
            if ! start_cap cg "$reader" "$IF_R" -b 2M -B "$BATCH" -T 300; then
                record "$base status=cap-failed:$(tail -n 1 "$CAP_OUT" | tr ' ' '_')"
                stop_cap "$CAP_PID"
                CAP_WRAP=()
                continue
            fi
            CAP_WRAP=()
            status=ok
            send_traffic 64 "$n" 50 || status=sender-failed
            sleep 1
            stop_cap "$CAP_PID" || status=cap-exit-$?
            line=$(grep '^mode=' "$CAP_OUT" | tail -n 1)
            ir=$(awk '/^summary:/ { print $2 }' "$cgout" 2>/dev/null)
            [[ -n $ir ]] || status=no-callgrind-output
            record "$base ir=${ir:-0} pkts=$(kv pkts "$line") drops=$(kv drops "$line")" \
                "sender_pps=$SENDER_PPS status=$status"
        done
    done
fi

# ---- send: packets per second and sender CPU per frame of each send path, 64 B, nothing
# capturing, on the veth (whose receive side runs on the sending CPU) and on a dummy interface
# (the kernel drops each frame at once, so the library's own cost shows). trafgen's CPU comes
# from the shell's `times` (its children's user + system), the others' from getrusage.
SENDERS=(pkt_write pkt_write_batch_sendmmsg pkt_write_batch_ring pkt_write_batch_ring+bypass
    pcap_inject trafgen)
if has_section send; then
    # A kernel without the dummy driver (some VM kernels) may have ifb, whose transmit drops
    # every frame that tc did not redirect to it, at once: the same measurement.
    DROP_DEV=""
    for kind in dummy ifb; do
        if ip -n "$NS_S" link add "$IF_D" type "$kind" 2>/dev/null; then
            DROP_DEV=$kind
            break
        fi
    done
    [[ -n $DROP_DEV ]] && ip -n "$NS_S" link set "$IF_D" up ||
        echo "no dummy or ifb interface in this kernel: sending on veth only"
    for ((rep = 1; rep <= REPS; rep++)); do
        for dev in veth $DROP_DEV; do
            progress "send rep $rep/$REPS, $dev"
            ifc=$IF_S
            [[ $dev != veth ]] && ifc=$IF_D
            for method in $(rotate "$rep" "${SENDERS[@]}"); do
                quiet_wait
                base="section=send dev=$dev rep=$rep method=$method count=$SEND_COUNT pre0=$PRE0 pre1=$PRE1"
                log="$OUTDIR/send.log"
                if [[ $method == trafgen ]]; then
                    if [[ $SENDER != trafgen ]]; then
                        record "$base status=trafgen-unavailable"
                        continue
                    fi
                    # shellcheck disable=SC2016 # the inner shell's
                    if timeout -k 2 120 ip netns exec "$NS_S" taskset -c 0 bash -c \
                        'trafgen --dev "$1" -n "$2" -P 1 --no-sock-mem -Q "$3" || exit 1; times' \
                        _ "$ifc" "$SEND_COUNT" "$(trafgen_packet 64)" >"$log" 2>&1; then
                        pps=$(awk '/usec on CPU/ { gsub(/\r/, ""); s = $1 + $3 / 1e6; n = $7; gsub(/\(/, "", n);
                                   if (s > 0) printf "%.0f", n / s }' "$log")
                        # `times`: second line "XmY.YYYs XmY.YYYs" is the children's user, system
                        cpu=$(awk -v n="$SEND_COUNT" 'function sec(t) { split(t, a, "m"); sub(/s$/, "", a[2]); return a[1] * 60 + a[2] }
                                   /^[0-9]+m[0-9.]+s [0-9]+m[0-9.]+s$/ { l++; if (l == 2) printf "%.1f", (sec($1) + sec($2)) * 1e9 / n }' "$log")
                        record "$base pps=${pps:-0} cpu_ns_per_pkt=$cpu status=ok"
                    else
                        record "$base status=failed"
                    fi
                    continue
                fi
                args=("${method%+bypass}" "$ifc" -n "$SEND_COUNT" -s 64 -B "$SEND_BATCH")
                [[ $method == *+bypass ]] && args+=(-q)
                if timeout -k 2 120 ip netns exec "$NS_S" taskset -c 0 "$BUILD/send" "${args[@]}" \
                    >"$log" 2>&1; then
                    line=$(grep '^mode=' "$log" | tail -n 1)
                    record "$base pps=$(kv pps "$line") cpu_ns_per_pkt=$(kv cpu_ns_per_pkt "$line")" \
                        "status=ok"
                else
                    record "$base status=failed:$(tail -n 1 "$log" | tr ' ' '_')"
                fi
            done
        done
    done
fi

# ---- fanout: 1500 B, 2 MiB, two pkt_read_batch members in one PKT_FANOUT_LB group against one
# handle. Both members share CPU 1 (CPU 0 is the sender's). Every frame is the same flow, so
# hash fanout would send them all to one member: round robin is the mode that splits them.
if has_section fanout; then
    for ((rep = 1; rep <= REPS; rep++)); do
        progress "fanout rep $rep/$REPS"
        for members in $(rotate "$rep" 1 2); do
            if ((members == 1)); then
                capture_run "section=fanout members=1" "$rep" 1500 2M pkt_read_batch "$COUNT1500"
                continue
            fi
            quiet_wait
            base="section=fanout members=2 rep=$rep size=1500 buf=2M reader=pkt_read_batch"
            base="$base count=$COUNT1500 pre0=$PRE0 pre1=$PRE1"
            group=$((1000 + RANDOM % 60000))
            status=ok
            start_cap m1 pkt_read_batch "$IF_R" -b 2M -B "$BATCH" -T 120 -f "lb:$group" ||
                status=cap-failed
            p1=$CAP_PID out1=$CAP_OUT
            start_cap m2 pkt_read_batch "$IF_R" -b 2M -B "$BATCH" -T 120 -f "lb:$group" ||
                status=cap-failed
            p2=$CAP_PID out2=$CAP_OUT
            if [[ $status == ok ]]; then
                send_traffic 1500 "$COUNT1500" || status=sender-failed
                sleep "$GRACE"
            fi
            stop_cap "$p1" || status=cap-exit-$?
            stop_cap "$p2" || status=cap-exit-$?
            l1=$(grep '^mode=' "$out1" | tail -n 1)
            l2=$(grep '^mode=' "$out2" | tail -n 1)
            if [[ -z $l1 || -z $l2 ]]; then
                record "$base status=cap-failed:$(cat "$out1" "$out2" | tail -n 2 | tr '\n ' '__')"
                continue
            fi
            record "$base sender_pps=$SENDER_PPS pkts=$(($(kv pkts "$l1") + $(kv pkts "$l2")))" \
                "drops=$(($(kv drops "$l1") + $(kv drops "$l2")))" \
                "split=$(kv pkts "$l1")/$(kv pkts "$l2")" \
                "ns_per_pkt=$(echo "$l1 $l2" | awk '{ for (i = 1; i <= NF; i++)
                    if ($i ~ /^(cpu_ns|pkts)=/) { split($i, kv, "="); s[kv[1]] += kv[2] }
                    if (s["pkts"]) printf "%.2f", s["cpu_ns"] / s["pkts"]; else print 0 }')" \
                "status=$status"
        done
    done
fi

# ---- idle: every reader open on the silent link at once (they do not compete: none has
# anything to do) for IDLE_S seconds; CPU used and how often each blocked and woke up.
if has_section idle; then
    progress "idle, ${IDLE_S} s"
    ipids=() iouts=() inames=()
    for reader in "${READERS[@]}"; do
        if start_cap "idle-$reader" "$reader" "$IF_R" -b 8M -B "$BATCH" -T 300 -I; then
            ipids+=("$CAP_PID") iouts+=("$CAP_OUT") inames+=("$reader")
        else
            record "section=idle reader=$reader status=cap-failed:$(tail -n 1 "$CAP_OUT" | tr ' ' '_')"
            stop_cap "$CAP_PID"
        fi
    done
    sleep "$IDLE_S"
    for i in "${!ipids[@]}"; do
        status=ok
        stop_cap "${ipids[$i]}" || status=cap-exit-$?
        line=$(grep '^mode=' "${iouts[$i]}" | tail -n 1)
        [[ -n $line ]] || status=cap-failed
        record "section=idle reader=${inames[$i]} secs=$IDLE_S pkts=$(kv pkts "$line")" \
            "all_cpu_ns=$(kv all_cpu_ns "$line") wakeups=$(kv wakeups "$line") status=$status"
    done
fi

# ---------------------------------------------------------------------------------------------
# Report

ELAPSED=$((SECONDS - STARTED))
LIB_SUM_END=$(sha256sum "$LIB" | cut -c1-16)
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
CPU_MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)

{
    echo "# libpkt benchmark results"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); run took ${ELAPSED} s"
    echo "- command: \`$CMDLINE\`"
    echo "- machine: $(nproc) CPUs, $CPU_MODEL; kernel $(uname -r)"
    echo "- libraries: $VERSIONS; libpkt commit $COMMIT, libpkt.so sha256 $LIB_SUM"
    [[ $LIB_SUM_END != "$LIB_SUM" ]] &&
        echo "- **warning: libpkt.so was rebuilt during the run (sha256 now $LIB_SUM_END); later runs used the new build**"
    echo "- sender: $SENDER_DESC, on CPU 0; readers on CPU 1"
    echo "- repetitions: $REPS; frames per capture run: $COUNT64 at 64 B, $COUNT1500 at 1500 B;" \
        "send runs: $SEND_COUNT frames; callgrind: $CG_N1 and $CG_N2 frames at 64 B" \
        "($SENDER_DESC_PACED); pkt_read_batch batch: $BATCH"
    echo
    awk -f "$BENCH/report.awk" "$RAW"
} >"$RESULTS.tmp" && mv "$RESULTS.tmp" "$RESULTS"

echo
cat "$RESULTS"
echo
echo "results: $RESULTS (raw: $RAW); took ${ELAPSED} s"
