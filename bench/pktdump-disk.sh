#!/usr/bin/env bash
# Capture to disk: pktdump -w and pktdump --threads 2 -w against tcpdump -w and dumpcap -w, in
# the same run, on the same traffic, repeated (issue 17's benchmark).
#
#   sudo bench/pktdump-disk.sh [--reps N] [--count64 N] [--count1500 N] [--disk-dir DIR]
#                              [--outputs "tmpfs disk null"] [--out FILE] [--no-build]
#
# For 64 B and 1500 B frames sent at the sender's full rate, with FILE on tmpfs (/dev/shm) and
# FILE on the real disk (--disk-dir, default /var/tmp), and with --outputs null also -w /dev/null
# (no file: what the capture costs without the page cache; pktdump and tcpdump only, lost is
# sent - captured there), each repetition runs, in a rotated order:
#   none        nothing captures (the sender's own rate, the baseline of "rate kept")
#   pktdump     build/tools/pktdump -i IF -w FILE
#   pktdump-t2  build/tools/pktdump -i IF --threads 2 -w FILE (FILE_0.pcap, FILE_1.pcap)
#   tcpdump     tcpdump -Z root -i IF -n -w FILE
#   dumpcap     dumpcap -i IF -P -w FILE (-P: pcap, as the others write; default buffer)
# Every tool runs with its defaults otherwise. Reported per tool (medians over the
# repetitions): CPU ns per packet written (user + system of every thread of the capture
# process, from /proc/PID/task/*/schedstat, from "listening on" until 1.5 s after the sender
# finished), its ratio to tcpdump's in the same repetition, packets captured and dropped (the
# tool's own closing report), packets in the files (capinfos), lost = sent - in the files, and
# the sender's rate while it captured over its rate with nothing capturing ("rate kept").
#
# Layout: trafgen sends from namespace S on CPU 0 over a veth pair to namespace R. The
# single-threaded capturers run on CPU 1 (taskset -c 1). pktdump --threads 2 runs under
# taskset -c 0,1 and pins its capture thread i to the i-th CPU of that mask: thread 0 shares
# CPU 0 with trafgen (and with the kernel's veth receive path, which runs in the sender's
# context), thread 1 has CPU 1. The frames are UDP/IPv4 from 256 source ports (trafgen's
# dinc()) so that pktdump's default hash fanout spreads them over both threads; they go to a
# MAC that is not the receiver's, so the receiving stack drops them after the capture tap.
# Every send is a fixed count bounded in time; namespaces and files are deleted on any exit;
# only processes started here are signalled. A benchmark, not a test: it fails only when
# something cannot run, never because of a number.
set -uo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH/.." && pwd)"
OUTDIR="$BENCH/out"
CMDLINE="bench/pktdump-disk.sh $*"
REPS=3
COUNT64=1000000
COUNT1500=500000
DISKDIR=/var/tmp
RESULTS="$BENCH/results-pktdump.md"
BUILD=1
TOOLS=(none pktdump pktdump-t2 tcpdump dumpcap)
OUTPUTS=(tmpfs disk)

die() {
    echo "pktdump-disk.sh: $*" >&2
    exit 1
}
while (($#)); do
    case $1 in
    --reps) REPS=$2; shift ;;
    --count64) COUNT64=$2; shift ;;
    --count1500) COUNT1500=$2; shift ;;
    --disk-dir) DISKDIR=$2; shift ;;
    --outputs) read -r -a OUTPUTS <<<"$2"; shift ;;
    --out) RESULTS=$2; shift ;;
    --no-build) BUILD=0 ;;
    -h | --help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) die "unknown option $1" ;;
    esac
    shift
done
for v in "$REPS" "$COUNT64" "$COUNT1500"; do
    [[ $v =~ ^[1-9][0-9]*$ ]] || die "not a positive count: $v"
done
[[ $EUID -eq 0 ]] || die "needs root (network namespaces, packet sockets)"
(($(nproc) >= 2)) || die "needs 2 CPUs (sender on CPU 0, capture on CPU 1)"
[[ -d $DISKDIR ]] || die "--disk-dir $DISKDIR: no such directory"
for o in "${OUTPUTS[@]}"; do
    [[ $o == tmpfs || $o == disk || $o == null ]] || die "--outputs: no output '$o' (tmpfs, disk, null)"
done
mkdir -p "$OUTDIR"
RAW="$OUTDIR/pktdump-disk-raw.txt"

missing=()
for pair in tcpdump:tcpdump trafgen:netsniff-ng ip:iproute2 taskset:util-linux \
    dumpcap:wireshark-common capinfos:wireshark-common cmake:cmake make:make cc:gcc; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
if ((${#missing[@]})); then
    export DEBIAN_FRONTEND=noninteractive
    # wireshark-common asks whether non-root users may capture: no, without a question.
    command -v debconf-set-selections >/dev/null 2>&1 &&
        echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
    { apt-get update -q && apt-get install -y -q --no-install-recommends $(printf '%s\n' "${missing[@]}" | sort -u); } \
        </dev/null >>"$OUTDIR/apt.log" 2>&1 || die "apt-get install ${missing[*]} failed"
fi

# pktdump as the repository builds it (README: cargo build --release, then CMake on tools/)
PKTDUMP="$ROOT/build/tools/pktdump"
if ((BUILD)); then
    (cd "$ROOT" && cargo build --release 2>&1 | tail -n 2 &&
        cmake -S tools -B build/tools -DPKT_LIB_DIR="$ROOT/target/release" >/dev/null &&
        cmake --build build/tools -j2 2>&1 | tail -n 1) || die "cannot build pktdump"
fi
[[ -x $PKTDUMP ]] || die "$PKTDUMP missing (cargo build --release; cmake -S tools -B build/tools; cmake --build build/tools)"

NS_S="pkd-s-$$"
NS_R="pkd-r-$$"
IF_S=pkds0
IF_R=pkdr0
SHMDIR=$(mktemp -d /dev/shm/pkt-disk.XXXXXX) || die "mktemp on /dev/shm failed"
DSKDIR=$(mktemp -d "$DISKDIR/pkt-disk.XXXXXX") || die "mktemp in $DISKDIR failed"
TMP="$SHMDIR/tmp"
mkdir -p "$TMP"
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    ip netns del "$NS_S" 2>/dev/null
    ip netns del "$NS_R" 2>/dev/null
    rm -rf "$SHMDIR" "$DSKDIR"
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

# frame SIZE: Ethernet to 02:..:02 (not the receiver), IPv4 10.0.0.1 > 10.0.0.2, UDP from port
# 30000 + 0..255 (one flow per source port) to 5001, payload 0xab.
frame() {
    local size=$1
    echo "{ 0x02,0,0,0,0,0x02, 0x02,0,0,0,0,0x01, c16(0x0800),
      0x45, 0, c16($((size - 14))), c16(0), c16(0x4000), 64, 17, csumip(14, 33),
      10,0,0,1, 10,0,0,2,
      0x75, dinc(48, 255), c16(5001), c16($((size - 34))), c16(0),
      fill(0xab, $((size - 42))) }"
}

task_ns() { # PID: CPU time of all its threads, ns (schedstat's first field)
    cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%d\n", s }'
}
rx_packets() {
    ip netns exec "$NS_R" cat /sys/class/net/$IF_R/statistics/rx_packets
}
infile() { # FILE...: packets in them (capinfos)
    local f n=0 c
    for f in "$@"; do
        c=$(capinfos -M -c "$f" 2>/dev/null | sed -n 's/^Number of packets: *//p')
        [[ $c =~ ^[0-9]+$ ]] || { echo "capinfos cannot read $f" >&2; echo -1; return; }
        n=$((n + c))
    done
    echo $n
}

# run TOOL SIZE COUNT DIR: sets RES to "ns_per_pkt captured dropped infile sent_pps delivered"
# (not in a subshell: PIDS must know the capture for the cleanup)
run() {
    local tool=$1 size=$2 count=$3 dir=$4 err="$TMP/err" out="$4/cap.pcap" pid="" t0 t1 cap drop
    local ready files=() w0 w1 rx0 rx1 pps n
    [[ $dir == null ]] && out=/dev/null
    [[ $dir != null ]] && rm -f "$dir"/cap*
    : >"$err"
    [[ $dir == "$DSKDIR" ]] && sync
    case $tool in
    none) ;;
    pktdump)
        ip netns exec "$NS_R" taskset -c 1 "$PKTDUMP" -i "$IF_R" -w "$out" 2>"$err" </dev/null >/dev/null &
        pid=$! ready='listening on' files=("$out") ;;
    pktdump-t2)
        ip netns exec "$NS_R" taskset -c 0,1 "$PKTDUMP" -i "$IF_R" --threads 2 -w "$out" 2>"$err" </dev/null >/dev/null &
        pid=$! ready='listening on' files=("$dir/cap_0.pcap" "$dir/cap_1.pcap") ;;
    tcpdump)
        ip netns exec "$NS_R" taskset -c 1 tcpdump -Z root -i "$IF_R" -n -w "$out" 2>"$err" </dev/null >/dev/null &
        pid=$! ready='listening on' files=("$out") ;;
    dumpcap)
        ip netns exec "$NS_R" taskset -c 1 dumpcap -i "$IF_R" -P -w "$out" 2>"$err" </dev/null >/dev/null &
        pid=$! ready='Capturing on' files=("$out") ;;
    *) die "no tool $tool" ;;
    esac
    if [[ -n $pid ]]; then
        PIDS+=("$pid")
        for _ in $(seq 200); do
            grep -q "$ready" "$err" && break
            sleep 0.05
        done
        grep -q "$ready" "$err" || { echo "$tool did not start: $(cat "$err")" >&2; return 1; }
        sleep 0.2 # --threads: the threads start just after the line
        t0=$(task_ns "$pid")
    fi
    rx0=$(rx_packets)
    w0=$(date +%s%N)
    timeout -k 2 $((60 + count / 10000)) ip netns exec "$NS_S" taskset -c 0 trafgen --dev "$IF_S" \
        -n "$count" -P 1 --no-sock-mem -Q "$(frame "$size")" >"$TMP/trafgen.log" 2>&1 ||
        { echo "trafgen failed: $(tail -n 2 "$TMP/trafgen.log")" >&2; return 1; }
    w1=$(date +%s%N)
    # trafgen's own time on its CPU ("N sec, M usec on CPU0"), else the wall time around it
    pps=$(awk -v c="$count" -v w=$((w1 - w0)) '{ gsub(/\r/, " ") } /sec,.*usec on CPU/ { t = $1 + $3 / 1e6 }
        END { if (!(t > 0)) t = w / 1e9; printf "%.0f\n", c / t }' "$TMP/trafgen.log")
    if [[ -z $pid ]]; then
        sleep 0.5
        rx1=$(rx_packets)
        RES="0 0 0 0 $pps $((rx1 - rx0))"
        return 0
    fi
    # Let the capture drain its ring (tcpdump's buffer timeout is 1 s).
    sleep 1.5
    rx1=$(rx_packets)
    t1=$(task_ns "$pid")
    kill -INT "$pid"
    for _ in $(seq 300); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && { kill -KILL "$pid"; echo "$tool did not stop within 30 s of SIGINT" >&2; }
    wait "$pid"
    case $tool in
    dumpcap)
        # "Packets received/dropped on interface 'X': R/D (pcap:P/dumpcap:U/flushed:F/ws_if:W)"
        # (its running "Packets: N" counter ends with \r, not with a new line)
        cap=$(grep -o 'Packets captured: *[0-9]*' "$err" | tail -n 1 | grep -o '[0-9]*$')
        drop=$(sed -n "s|^Packets received/dropped on interface .*: *[0-9]*/\([0-9]*\) .*|\1|p" "$err" | tail -n 1) ;;
    *)
        cap=$(sed -n 's/^\([0-9]*\) packets\{0,1\} captured.*/\1/p' "$err" | tail -n 1)
        drop=$(sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by kernel.*/\1/p' "$err" | tail -n 1) ;;
    esac
    [[ -n $cap && -n $drop ]] || { echo "no counts from $tool: $(cat "$err")" >&2; return 1; }
    if [[ $dir == null ]]; then
        n=$cap
    else
        n=$(infile "${files[@]}")
        rm -f "$dir"/cap*
    fi
    RES=$(awk -v d=$((t1 - t0)) -v n="$n" -v c="$cap" -v x="$drop" -v p="$pps" -v r=$((rx1 - rx0)) \
        'BEGIN { printf "%.1f %d %d %d %d %d\n", (n > 0 ? d / n : 0), c, x, n, p, r }')
}

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR) print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
range() { sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { if (NR) print lo ".." hi }'; }
m() { tr ' ' '\n' <<<"$1" | grep . | median; }
mr() { tr ' ' '\n' <<<"$1" | grep . | range; }

echo "# $(date -u '+%F %T') $CMDLINE" >>"$RAW"
declare -A NSV CAP DROP INF LOST KEPT RATIO
for size in 64 1500; do
    count=$COUNT64
    ((size == 1500)) && count=$COUNT1500
    for output in "${OUTPUTS[@]}"; do
        dir=$SHMDIR
        [[ $output == disk ]] && dir=$DSKDIR
        [[ $output == null ]] && dir=null
        tools=("${TOOLS[@]}")
        # no /dev/null_0 for --threads; dumpcap wants a file
        [[ $output == null ]] && tools=(none pktdump tcpdump)
        for ((r = 1; r <= REPS; r++)); do
            # Rotate the order, so that no tool always comes first or last.
            order=()
            for ((i = 0; i < ${#tools[@]}; i++)); do
                order+=("${tools[$(((i + r - 1) % ${#tools[@]}))]}")
            done
            declare -A rns=() rpps=()
            for tool in "${order[@]}"; do
                run "$tool" "$size" "$count" "$dir" || die "run $tool $size B $output failed"
                read -r n c d f p x <<<"$RES"
                line="$size B $output rep $r $tool: $n ns/pkt, $c captured, $d dropped, $f in file, sent $count at $p pps, $x delivered"
                echo "$line"
                echo "$line" >>"$RAW"
                rns[$tool]=$n
                rpps[$tool]=$p
                k="$size/$output/$tool"
                [[ $tool == none ]] && continue
                NSV[$k]+="$n "
                CAP[$k]+="$c "
                DROP[$k]+="$d "
                INF[$k]+="$f "
                LOST[$k]+="$((count - f)) "
            done
            for tool in "${tools[@]}"; do
                [[ $tool == none ]] && continue
                k="$size/$output/$tool"
                KEPT[$k]+="$(awk -v a="${rpps[$tool]}" -v b="${rpps[none]}" 'BEGIN { printf "%.2f", b ? a / b : 0 }') "
                RATIO[$k]+="$(awk -v a="${rns[$tool]}" -v b="${rns[tcpdump]}" 'BEGIN { printf "%.2f", b ? a / b : 0 }') "
            done
            KEPT["$size/$output/none"]+="${rpps[none]} "
            unset rns rpps
        done
    done
done

{
    echo "# Capture to disk: pktdump against tcpdump and dumpcap"
    echo
    echo "Command: \`$CMDLINE\`, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null),"
    echo "$("$PKTDUMP" --version 2>&1 | head -n 1); $(tcpdump --version 2>&1 | head -n 2 | tr '\n' ' ')"
    echo "$(dumpcap --version 2>&1 | head -n 1 | sed 's/ *$//'); trafgen $(trafgen -v 2>&1 | head -n 1 | awk '{ print $2 }');"
    echo "kernel $(uname -r), $(nproc) CPUs ($(sed -n 's/^model name[^:]*: *//p' /proc/cpuinfo | head -n 1));"
    echo "tmpfs: /dev/shm; disk: $DISKDIR ($(df -T "$DISKDIR" | awk 'NR == 2 { print $2 " on " $1 }')). $REPS repetitions, medians (min..max)."
    echo
    echo "| frame | file on | tool | CPU ns/pkt | × tcpdump | captured | dropped | in file | lost (sent − in file) | rate kept |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
    for size in 64 1500; do
        count=$COUNT64
        ((size == 1500)) && count=$COUNT1500
        for output in "${OUTPUTS[@]}"; do
            for tool in "${TOOLS[@]}"; do
                [[ $tool == none ]] && continue
                k="$size/$output/$tool"
                [[ -n ${NSV[$k]:-} ]] || continue
                echo "| $size B | $output | $tool | $(m "${NSV[$k]}") ($(mr "${NSV[$k]}")) | $(m "${RATIO[$k]}") | $(m "${CAP[$k]}") | $(m "${DROP[$k]}") ($(mr "${DROP[$k]}")) | $(m "${INF[$k]}") | $(m "${LOST[$k]}") ($(mr "${LOST[$k]}")) | $(m "${KEPT[$k]}") |"
            done
        done
    done
    echo
    echo "Sender alone (nothing capturing), packets per second, median (min..max):"
    for size in 64 1500; do
        for output in "${OUTPUTS[@]}"; do
            k="$size/$output/none"
            echo "$size B ($output runs): $(m "${KEPT[$k]}") ($(mr "${KEPT[$k]}"));"
        done
    done
    echo
    echo "Packets sent: $COUNT64 at 64 B, $COUNT1500 at 1500 B per run. CPU ns/pkt is the whole capture"
    echo "process (every thread) per packet in its files; × tcpdump is that over tcpdump's in the same"
    echo "repetition (median of the per-repetition ratios); dropped is the tool's own closing count"
    echo "(pktdump, tcpdump: \"dropped by kernel\"; dumpcap: the dropped figure of \"Packets"
    echo "received/dropped\"); in file is capinfos' count over the tool's files (for /dev/null: the"
    echo "tool's captured count); rate kept is the"
    echo "sender's rate (trafgen's own time) over its rate with nothing capturing in the same repetition."
    echo
    echo "## Goal (issue 17)"
    echo
    echo "pktdump at most 0.5× tcpdump's CPU per packet, and zero loss in the runs where tcpdump loses"
    echo "packets. Per configuration (medians):"
    echo
    for size in 64 1500; do
        for output in "${OUTPUTS[@]}"; do
            for tool in pktdump pktdump-t2; do
                k="$size/$output/$tool"
                [[ -n ${NSV[$k]:-} && $output != null ]] || continue
                t="$size/$output/tcpdump"
                ratio=$(m "${RATIO[$k]}") lost=$(m "${LOST[$k]}") tlost=$(m "${LOST[$t]}")
                cpu=$(awk -v r="$ratio" 'BEGIN { print (r <= 0.5) ? "met" : "missed" }')
                if awk -v t="$tlost" 'BEGIN { exit !(t > 0) }'; then
                    loss=$(awk -v l="$lost" 'BEGIN { print (l == 0) ? "met" : "missed" }')
                    loss="$loss (tcpdump lost $tlost, $tool $lost)"
                else
                    loss="not applicable (tcpdump lost none; $tool lost $lost)"
                fi
                echo "- $size B, $output, $tool: CPU ${ratio}× tcpdump: $cpu; loss: $loss."
            done
        done
    done
} >"$RESULTS.tmp"
mv "$RESULTS.tmp" "$RESULTS"
cat "$RESULTS"
echo "raw lines: $RAW"
