#!/usr/bin/env bash
# tcpdump on libpkt's libpcap-compatible library against tcpdump on the system's libpcap, in the
# same run: the same tcpdump binary (/usr/bin/tcpdump), the same traffic, one library after the
# other, repeated.
#
#   sudo bench/compat.sh [--reps N] [--count64 N] [--count1500 N] [--out FILE] [--no-build]
#
# For 64 B and 1500 B frames, `tcpdump -i IF -w /dev/null` and `tcpdump -i IF -w FILE` (FILE on
# tmpfs, so that the disk does not set the pace), each with the system's libpcap and with
# libpkt's (LD_LIBRARY_PATH=target/release/compat): tcpdump's CPU time per packet captured
# (user + system, from /proc/PID/schedstat, from "listening on" to the end), packets captured
# and packets dropped by the kernel (tcpdump's own report at SIGINT). Defaults: tcpdump's
# (2 MB buffer, 262144-byte snapshot, 1 s buffer timeout).
#
# Layout: trafgen sends from namespace S on CPU 0 over a veth pair to namespace R, where
# tcpdump runs on CPU 1. Frames go to a MAC that is not the receiver's with an ethertype no
# protocol claims, so the receiving stack drops them after the capture tap. Every send is a
# fixed count bounded in time; namespaces are deleted on any exit; only processes started
# here are signalled. A benchmark, not a test: it fails only when something cannot run.
set -uo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH/.." && pwd)"
OUTDIR="$BENCH/out"
CMDLINE="bench/compat.sh $*"
REPS=3
COUNT64=1000000
COUNT1500=500000
RESULTS="$BENCH/results-compat.md"
BUILD=1

die() {
    echo "compat.sh: $*" >&2
    exit 1
}
while (($#)); do
    case $1 in
    --reps) REPS=$2; shift ;;
    --count64) COUNT64=$2; shift ;;
    --count1500) COUNT1500=$2; shift ;;
    --out) RESULTS=$2; shift ;;
    --no-build) BUILD=0 ;;
    -h | --help) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1" ;;
    esac
    shift
done
for v in "$REPS" "$COUNT64" "$COUNT1500"; do
    [[ $v =~ ^[1-9][0-9]*$ ]] || die "not a positive count: $v"
done
[[ $EUID -eq 0 ]] || die "needs root (network namespaces, packet sockets)"
(($(nproc) >= 2)) || die "needs 2 CPUs (sender on CPU 0, tcpdump on CPU 1)"
mkdir -p "$OUTDIR"

missing=()
for pair in tcpdump:tcpdump trafgen:netsniff-ng ip:iproute2 taskset:util-linux; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
if ((${#missing[@]})); then
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"; } </dev/null \
        >>"$OUTDIR/apt.log" 2>&1 || die "apt-get install ${missing[*]} failed"
fi

if ((BUILD)); then
    (cd "$ROOT" && cargo build --release 2>&1 | tail -n 2 && bash scripts/compat-lib.sh release) ||
        die "cannot build the compatible library"
fi
COMPAT="$ROOT/target/release/compat"
[[ -f $COMPAT/libpcap.so.0.8 ]] || die "$COMPAT/libpcap.so.0.8 missing (scripts/compat-lib.sh release)"
LD_LIBRARY_PATH=$COMPAT tcpdump --version 2>&1 | grep -q libpkt || die "tcpdump does not load the compatible library"

NS_S="pkc-s-$$"
NS_R="pkc-r-$$"
IF_S=pkcs0
IF_R=pkcr0
TMP=$(mktemp -d /dev/shm/pkt-compat.XXXXXX)
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    ip netns del "$NS_S" 2>/dev/null
    ip netns del "$NS_R" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ip netns add "$NS_S" && ip netns add "$NS_R" || die "cannot create network namespaces"
for ns in "$NS_S" "$NS_R"; do
    # No IPv6: no router or neighbour solicitations beside the measured frames.
    ip netns exec "$ns" sh -c 'for k in all default; do
        echo 1 > /proc/sys/net/ipv6/conf/$k/disable_ipv6; done' 2>/dev/null
done
ip -n "$NS_S" link add "$IF_S" type veth peer name "$IF_R" netns "$NS_R" || die "cannot create the veth pair"
ip -n "$NS_S" link set "$IF_S" up && ip -n "$NS_R" link set "$IF_R" up || die "cannot bring the veth pair up"
for _ in $(seq 50); do
    ip -n "$NS_R" link show "$IF_R" | grep -q LOWER_UP && break
    sleep 0.1
done

frame() { # SIZE: dst 02:..:02, src 02:..:01, ethertype 0x88b5
    echo "{ 0x02,0,0,0,0,0x02, 0x02,0,0,0,0,0x01, c16(0x88b5), fill(0xab, $(($1 - 14))) }"
}

# run LIB SIZE COUNT OUT: sets RES to "ns_per_pkt captured dropped" (not in a subshell: PIDS
# must know the capture for the cleanup)
run() {
    local lib=$1 size=$2 count=$3 out=$4 err="$TMP/err" pid t0 t1 cap drop env=()
    [[ $lib == libpkt ]] && env=(env "LD_LIBRARY_PATH=$COMPAT")
    : >"$err"
    ip netns exec "$NS_R" taskset -c 1 "${env[@]}" tcpdump -Z root -i "$IF_R" -n -w "$out" 2>"$err" </dev/null >/dev/null &
    pid=$!
    PIDS+=("$pid")
    for _ in $(seq 100); do
        grep -q 'listening on' "$err" && break
        sleep 0.05
    done
    grep -q 'listening on' "$err" || { echo "tcpdump did not start: $(cat "$err")" >&2; return 1; }
    # tcpdump's process is one thread: its schedstat is its CPU time in ns.
    t0=$(cut -d' ' -f1 "/proc/$pid/schedstat")
    timeout -k 2 $((60 + count / 10000)) ip netns exec "$NS_S" taskset -c 0 trafgen --dev "$IF_S" \
        -n "$count" -P 1 --no-sock-mem -Q "$(frame "$size")" >"$TMP/trafgen.log" 2>&1 ||
        { echo "trafgen failed: $(tail -n 2 "$TMP/trafgen.log")" >&2; return 1; }
    # Let the capture drain the ring (the last block retires after the 1 s buffer timeout).
    sleep 1.5
    t1=$(cut -d' ' -f1 "/proc/$pid/schedstat")
    kill -INT "$pid"
    wait "$pid"
    cap=$(sed -n 's/^\([0-9]*\) packets\{0,1\} captured.*/\1/p' "$err")
    drop=$(sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by kernel.*/\1/p' "$err")
    [[ -n $cap && -n $drop ]] || { echo "no counts from tcpdump: $(cat "$err")" >&2; return 1; }
    RES=$(awk -v d=$((t1 - t0)) -v c="$cap" -v x="$drop" 'BEGIN { printf "%.1f %d %d\n", c ? d / c : 0, c, x }')
}

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

{
    echo "# tcpdump on libpkt's compatible library vs on libpcap"
    echo
    echo "Command: \`$CMDLINE\`, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null),"
    echo "$(tcpdump --version 2>&1 | head -n 2 | tr '\n' ' '); compat: $(LD_LIBRARY_PATH=$COMPAT tcpdump --version 2>&1 | sed -n 2p);"
    echo "trafgen $(trafgen -v 2>&1 | head -n 1 | awk '{ print $2 }') on CPU 0, tcpdump on CPU 1; $REPS repetitions, medians; kernel $(uname -r)."
    echo
    echo "| frame | output | packets sent | libpcap ns/pkt | libpkt ns/pkt | ratio | libpcap dropped | libpkt dropped | libpcap captured | libpkt captured |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
} >"$RESULTS.tmp"

for size in 64 1500; do
    count=$COUNT64
    ((size == 1500)) && count=$COUNT1500
    for output in /dev/null file; do
        declare -A ns=() cap=() drop=()
        for ((r = 1; r <= REPS; r++)); do
            # Alternate which library goes first, so that neither always meets a cold cache.
            libs=(libpcap libpkt)
            ((r % 2 == 0)) && libs=(libpkt libpcap)
            for lib in "${libs[@]}"; do
                out=$output
                [[ $output == file ]] && out="$TMP/cap.pcap"
                run "$lib" "$size" "$count" "$out" || die "run $lib $size $output failed"
                res=$RES
                rm -f "$TMP/cap.pcap"
                read -r n c d <<<"$res"
                echo "$size B -w $output $lib rep $r: $n ns/pkt, $c captured, $d dropped"
                ns[$lib]+="$n "
                cap[$lib]+="$c "
                drop[$lib]+="$d "
            done
        done
        m() { tr ' ' '\n' <<<"$1" | grep . | median; }
        a=$(m "${ns[libpcap]}") b=$(m "${ns[libpkt]}")
        ratio=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a ? b / a : 0 }')
        echo "| $size B | -w $output | $count | $a | $b | $ratio | $(m "${drop[libpcap]}") | $(m "${drop[libpkt]}") | $(m "${cap[libpcap]}") | $(m "${cap[libpkt]}") |" >>"$RESULTS.tmp"
        unset ns cap drop
    done
done
{
    echo
    echo "ratio: libpkt's CPU per packet over libpcap's (goal of issue 18: at most 0.6). CPU per packet is"
    echo "tcpdump's whole process (its printing or writing included), so the library's share is smaller"
    echo "than the total; -w file writes to tmpfs."
} >>"$RESULTS.tmp"
mv "$RESULTS.tmp" "$RESULTS"
cat "$RESULTS"
