#!/usr/bin/env bash
# Soak: a long run at the sender's full rate with two libpkt handles in one fanout group and a
# pcap writer, on a veth pair between two network namespaces that this script creates (and
# deletes on any exit). It prints figures; it is not a timed assertion.
#
#   sudo bench/soak.sh [SECONDS]          default 60 (or DURATION=SECONDS)
#
# Environment (all optional):
#   DURATION   seconds the sender runs (default 60; the first argument wins)
#   COUNT      at most this many frames (default DURATION x 5,000,000, above any rate here)
#   SIZE       frame bytes, 14..1514 (default 64)
#   RING       ring size of each handle (default 8M)
#   FANOUT     lb (round robin, default), rnd or hash (all frames are one flow: hash sends
#              everything to one member)
#   ROTATE     the pcap file is closed and opened again (truncated) at this size (default 32M)
#   SAMPLE     seconds between RSS/fd samples of the capture process (default 5)
#   PKT_LIB_DIR  folder with libpkt.so (default: build with cargo into
#              ${CARGO_TARGET_DIR:-target}/release)
#
# What runs:
#   namespace S, CPU 0: `soak send` (bench/soak.c): pkt_write_batch (sendmmsg) of bench.h's
#     frame as fast as it goes, until COUNT frames or DURATION seconds.
#   namespace R, CPU 1: `soak cap`: two handles in one fanout group, each read by its own
#     thread with pkt_read_batch, and a writer thread appending every packet read to a pcap
#     file with pkt_dump_write (in a tmpfs folder, rotated at ROTATE, deleted at the end).
#   The capture is open (both members joined, all its memory allocated) before the sender
#   starts. After the sender exits, the script waits until the receiver's rx_packets stops
#   changing, then asks the capture to drain (SIGUSR1): each reader stops once a read timed out
#   and its packets read + drops equal the kernel's count for the socket.
#
# What it prints:
#   frames sent (as pkt_write_batch reported), frames delivered (the receiving veth's
#   rx_packets, taken before and after), packets read by each handle and their drops
#   (pkt_stats total), read + drops against delivered: EXACT or MISMATCH; records the writer
#   wrote (must equal read); VmRSS (and RssAnon) of the capture process at start, mid and end,
#   its open descriptors at start and end, and every sample.
#
# Traffic never leaves the two namespaces (no addresses, IPv6 off, frames to a MAC nobody has);
# the sender is bounded in count and time, every wait is bounded, and only processes this
# script started are signalled. Exit status: 0 when the run completed (whatever the figures
# say), 1 when something could not run.
set -uo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH/.." && pwd)"
BUILD="$BENCH/build/soak"

die() {
    echo "soak.sh: $*" >&2
    exit 1
}

if [[ ${1:-} == -h || ${1:-} == --help ]]; then
    sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
    exit 0
fi
DURATION=${1:-${DURATION:-60}}
SIZE=${SIZE:-64}
RING=${RING:-8M}
FANOUT=${FANOUT:-lb}
ROTATE=${ROTATE:-32M}
SAMPLE=${SAMPLE:-5}
[[ $DURATION =~ ^[1-9][0-9]*$ ]] && ((DURATION <= 3600)) || die "DURATION must be 1..3600 seconds"
COUNT=${COUNT:-$((DURATION * 5000000))}
[[ $COUNT =~ ^[1-9][0-9]*$ ]] || die "COUNT must be a positive number"
[[ $SIZE =~ ^[0-9]+$ ]] && ((SIZE >= 14 && SIZE <= 1514)) || die "SIZE must be 14..1514"
[[ $SAMPLE =~ ^[1-9][0-9]*$ ]] || die "SAMPLE must be a positive number of seconds"
[[ $FANOUT == lb || $FANOUT == rnd || $FANOUT == hash ]] || die "FANOUT is lb, rnd or hash"

[[ $EUID -eq 0 ]] || die "needs root (network namespaces, packet sockets)"
(($(nproc) >= 2)) || die "needs 2 CPUs (sender on CPU 0, capture on CPU 1)"
for tool in cc ip taskset timeout readelf; do
    command -v "$tool" >/dev/null 2>&1 || die "needs $tool"
done

# ---- build: libpkt (unless PKT_LIB_DIR is given), then soak.c against it

if [[ -n ${PKT_LIB_DIR:-} ]]; then
    LIB_DIR=$PKT_LIB_DIR
else
    if ! command -v cargo >/dev/null 2>&1 && [[ -x $HOME/.cargo/bin/cargo ]]; then
        PATH="$HOME/.cargo/bin:$PATH"
    fi
    echo "== building libpkt (cargo build --release)"
    (cd "$ROOT" && cargo build --release 2>&1 | tail -n 2) || die "cargo build --release failed"
    LIB_DIR="${CARGO_TARGET_DIR:-$ROOT/target}/release"
fi
LIB="$LIB_DIR/libpkt.so"
[[ -f $LIB ]] || die "$LIB not found"
mkdir -p "$BUILD"
soname=$(readelf -d "$LIB" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[[ -n $soname ]] && ln -sfn "$LIB" "$BUILD/$soname"
cc -O2 -g -std=gnu11 -Wall -Wextra -Werror -I"$ROOT/include" -o "$BUILD/soak" "$BENCH/soak.c" \
    -L"$LIB_DIR" -lpkt -lpthread -Wl,-rpath,"$BUILD" || die "cannot build bench/soak.c"

# ---- namespaces S and R, a veth pair between them; a tmpfs folder for the pcap file

NS_S="pks-s-$$-$RANDOM"
NS_R="pks-r-$$-$RANDOM"
IF_S=pkss0
IF_R=pksr0
WRAPPERS=() # timeout processes this script started and has not reaped
CAP_WRAP=""
CAP_PID=""  # the capture process (timeout's child), once it said so
WORK=""

alive() { # alive PID: running, not a zombie
    local st
    st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)
    [[ -n $st && $st != Z ]]
}

cleanup() {
    local pid
    # The capture's own id is signalled only while its timeout wrapper still waits for it (the
    # id cannot have gone to another process then).
    for pid in "${WRAPPERS[@]}"; do
        kill -TERM "$pid" 2>/dev/null # timeout passes it on to its child
    done
    [[ -n $CAP_PID ]] && alive "$CAP_WRAP" && kill -TERM "$CAP_PID" 2>/dev/null
    for pid in "${WRAPPERS[@]}"; do
        for _ in $(seq 30); do
            alive "$pid" || break
            sleep 0.1
        done
        if alive "$pid"; then
            [[ $pid == "$CAP_WRAP" && -n $CAP_PID ]] && kill -KILL "$CAP_PID" 2>/dev/null
            kill -KILL "$pid" 2>/dev/null
        fi
        wait "$pid" 2>/dev/null
    done
    ip netns del "$NS_S" 2>/dev/null
    ip netns del "$NS_R" 2>/dev/null
    [[ -n $WORK && -d $WORK ]] && rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ -d /dev/shm && -w /dev/shm ]]; then
    WORK=$(mktemp -d /dev/shm/pkt-soak.XXXXXX) || die "cannot create a folder in /dev/shm"
else
    WORK=$(mktemp -d /tmp/pkt-soak.XXXXXX) || die "cannot create a folder in /tmp"
fi

ip netns add "$NS_S" || die "cannot create network namespace $NS_S"
ip netns add "$NS_R" || die "cannot create network namespace $NS_R"
for ns in "$NS_S" "$NS_R"; do
    # No IPv6: nothing but the soak's frames on the link (no RS, MLD or DAD).
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
        net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1
    ip -n "$ns" link set lo up
done
ip -n "$NS_S" link add "$IF_S" type veth peer name "$IF_R" netns "$NS_R" ||
    die "cannot create the veth pair"
ip -n "$NS_S" link set "$IF_S" up && ip -n "$NS_R" link set "$IF_R" up ||
    die "cannot bring the veth pair up"
for _ in $(seq 50); do
    ip -n "$NS_R" link show "$IF_R" | grep -q LOWER_UP &&
        ip -n "$NS_S" link show "$IF_S" | grep -q LOWER_UP && break
    sleep 0.1
done

stat_of() { # stat_of NS IFACE COUNTER
    ip netns exec "$1" cat "/sys/class/net/$2/statistics/$3"
}
proc_kb() { # proc_kb PID FIELD: a field of /proc/PID/status in kB
    awk -v f="$2:" '$1 == f { print $2; exit }' "/proc/$1/status" 2>/dev/null
}
fd_count() {
    local n
    n=$(ls "/proc/$1/fd" 2>/dev/null | wc -l) || n=0
    echo "$n"
}

# ---- capture first

echo "== soak: ${DURATION} s, ${SIZE} B frames, fanout $FANOUT over 2 handles ($RING rings)," \
    "pcap writer rotating at $ROTATE in $WORK"
ip netns exec "$NS_R" taskset -c 1 timeout -k 5 $((DURATION + 150)) \
    "$BUILD/soak" cap "$IF_R" -r "$WORK/ready" -w "$WORK/soak.pcap" -b "$RING" -m "$FANOUT" \
    -R "$ROTATE" -D $((DURATION + 120)) >"$WORK/cap.out" 2>"$WORK/cap.err" &
CAP_WRAP=$!
WRAPPERS+=("$CAP_WRAP")
for _ in $(seq 100); do
    [[ -s $WORK/ready ]] && break
    kill -0 "$CAP_WRAP" 2>/dev/null || break
    sleep 0.1
done
[[ -s $WORK/ready ]] || die "the capture did not start: $(cat "$WORK/cap.err")"
CAP_PID=$(cat "$WORK/ready")
[[ $CAP_PID =~ ^[0-9]+$ ]] || die "bad ready file"

SAMPLES=() # "t rss anon file fds"
sample() { # sample T
    SAMPLES+=("$1 $(proc_kb "$CAP_PID" VmRSS) $(proc_kb "$CAP_PID" RssAnon) $(proc_kb "$CAP_PID" RssFile) $(fd_count "$CAP_PID")")
}

rx0=$(stat_of "$NS_R" "$IF_R" rx_packets)
tx0=$(stat_of "$NS_S" "$IF_S" tx_packets)
txd0=$(stat_of "$NS_S" "$IF_S" tx_dropped)
sample 0

# ---- the sender, with samples while it runs

ip netns exec "$NS_S" taskset -c 0 timeout -k 5 $((DURATION + 30)) \
    "$BUILD/soak" send "$IF_S" -d "$DURATION" -n "$COUNT" -s "$SIZE" \
    >"$WORK/send.out" 2>"$WORK/send.err" &
SEND_WRAP=$!
WRAPPERS+=("$SEND_WRAP")
t0=$SECONDS
next=$SAMPLE
# Bounded: the sender's own timeout ends it by DURATION + 35 s.
while kill -0 "$SEND_WRAP" 2>/dev/null && ((SECONDS - t0 < DURATION + 40)); do
    sleep 0.5
    if ((SECONDS - t0 >= next)); then
        sample $((SECONDS - t0))
        next=$((next + SAMPLE))
    fi
done
wait "$SEND_WRAP"
send_rc=$?
WRAPPERS=("$CAP_WRAP") # a reaped process id is never signalled (it may belong to another)
((send_rc == 0)) || die "the sender failed (exit $send_rc): $(cat "$WORK/send.err")"

# ---- barrier: the link is quiet, then the capture drains

last=-1
for _ in $(seq 100); do
    now=$(stat_of "$NS_R" "$IF_R" rx_packets)
    [[ $now == "$last" ]] && break
    last=$now
    sleep 0.2
done
sample end
kill -USR1 "$CAP_PID" 2>/dev/null
wait "$CAP_WRAP"
cap_rc=$?
CAP_PID=""
WRAPPERS=()
((cap_rc == 0)) || die "the capture failed (exit $cap_rc): $(cat "$WORK/cap.err")"

rx1=$(stat_of "$NS_R" "$IF_R" rx_packets)
tx1=$(stat_of "$NS_S" "$IF_S" tx_packets)
txd1=$(stat_of "$NS_S" "$IF_S" tx_dropped)

# ---- figures

kv() { # kv KEY FILE
    awk -v k="$1" '{ for (i = 1; i <= NF; i++) { n = index($i, "=");
        if (substr($i, 1, n - 1) == k) { print substr($i, n + 1); exit } } }' "$2"
}
sent=$(kv sent "$WORK/send.out")
pps=$(kv pps "$WORK/send.out")
secs=$(kv secs "$WORK/send.out")
retries=$(kv retries "$WORK/send.out")
C="$WORK/cap.out"
r0=$(kv h0_read "$C") r1=$(kv h1_read "$C") d0=$(kv h0_drops "$C") d1=$(kv h1_drops "$C")
c0=$(kv h0_recvs "$C") c1=$(kv h1_recvs "$C")
nread=$(kv read "$C") drops=$(kv drops "$C") written=$(kv written "$C")
[[ -n $nread && -n $drops && -n $sent ]] || die "no figures: $(cat "$WORK/cap.out" "$WORK/cap.err")"
delivered=$((rx1 - rx0))
diff=$((delivered - (nread + drops)))
verdict=EXACT
((diff == 0)) || verdict=MISMATCH
per_handle="yes"
((r0 + d0 == c0 && r1 + d1 == c1)) || per_handle="NO"
writer_ok="yes"
((written == nread)) || writer_ok="NO"

n=${#SAMPLES[@]}
read -r _ rss_start anon_start _ fds_start <<<"${SAMPLES[0]}"
read -r _ rss_mid anon_mid _ _ <<<"${SAMPLES[$(((n - 1) / 2))]}"
read -r _ rss_end anon_end _ fds_end <<<"${SAMPLES[$((n - 1))]}"
# Growth once traffic runs (the first sample under traffic to the end): the threads' first use
# of their stacks and malloc arenas comes before it. The end sample is taken after the link
# went quiet, when the readers have met their first read timeouts: the code of that path
# (libpkt's, libc's) is paged in then, which shows in RssFile.
read -r t_first rss_first _ <<<"${SAMPLES[$((n > 2 ? 1 : 0))]}"

printf '%-42s %s\n' \
    "frames sent (pkt_write_batch):" "$sent ($pps pps over $secs s, $retries retries)" \
    "sender veth tx_packets / tx_dropped:" "$((tx1 - tx0)) / $((txd1 - txd0))" \
    "frames delivered (receiver rx_packets):" "$delivered" \
    "read by the handles (h0 + h1):" "$r0 + $r1 = $nread" \
    "drops (h0 + h1, pkt_stats total):" "$d0 + $d1 = $drops" \
    "read + drops:" "$((nread + drops))" \
    "delivered - (read + drops):" "$diff $verdict" \
    "per handle read + drops == recvs:" "$per_handle ($r0 + $d0 = $c0, $r1 + $d1 = $c1)" \
    "sent - delivered:" "$((sent - delivered))" \
    "records written by the pcap writer:" "$written (== read: $writer_ok), $(kv rotations "$C") rotations, $(kv dump_bytes "$C") bytes" \
    "capture VmRSS start / mid / end (kB):" "$rss_start / $rss_mid / $rss_end" \
    "capture RssAnon start / mid / end (kB):" "$anon_start / $anon_mid / $anon_end" \
    "capture VmRSS growth after ${t_first} s (kB):" "$((rss_end - rss_first))" \
    "capture open fds start / end:" "$fds_start / $fds_end"
echo "samples (seconds: VmRSS kB, RssAnon kB, RssFile kB, fds):"
for s in "${SAMPLES[@]}"; do
    read -r t rss anon file fds <<<"$s"
    printf '  %4s: %s %s %s %s\n' "$t" "$rss" "$anon" "$file" "$fds"
done
exit 0
