#!/usr/bin/env bash
# The Go package's benchmark (not a test): packets per second and capture CPU per packet of
# Read (a copy per packet, the seed's API), ReadZeroCopy, ReadBatch and ReadSlim on the same veth
# traffic, beside the C reference (pkt_read_batch and pkt_read_slim in a loop written in C).
#
#   sudo bindings/go/bench/run.sh            3 repetitions (about 2 minutes)
#   sudo bindings/go/bench/run.sh --quick    1 repetition, smaller counts
#
# Options: --reps N, --count64 N (frames per run at 64 B, default 1000000), --count1500 N
# (default 500000), --ring BYTES (capture ring, default 8 MiB), --batch N (packets per call of
# ReadBatch, ReadSlim and the C reference, default 32 as bench/run.sh), --out FILE (also write
# the table there).
#
# Layout: one network namespace that this script creates (and deletes on any exit) with a veth
# pair v0 <-> v1. The sender (bench send: WriteBatch, sendmmsg) runs on CPU 0 and sends a fixed
# count of frames on v1 to a MAC address that is not v0's, with ethertype 0x88b5, so the
# receiving stack drops them right after the capture taps; the reader (bench recv) runs on
# CPU 1 on v0 and is opened before the sender starts. CPU per packet is the reader process's
# user + system time (getrusage) from its first packet to its end, over packets read. On veth
# the kernel's copy into the ring runs on the sender's CPU, so packets/s is mostly the
# sender's rate; compare the read paths by CPU per packet.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
GODIR="$(cd "$HERE/.." && pwd)"
ROOT="$(cd "$GODIR/../.." && pwd)"
BUILD="$ROOT/build/go"
CMDLINE="bindings/go/bench/run.sh $*"

REPS=3 COUNT64=1000000 COUNT1500=500000 RING=$((8 << 20)) BATCH=32 OUT=""
die() {
    echo "run.sh: $*" >&2
    exit 1
}
while (($#)); do
    case $1 in
    --quick) REPS=1 COUNT64=200000 COUNT1500=100000 ;;
    --reps) REPS=$2; shift ;;
    --count64) COUNT64=$2; shift ;;
    --count1500) COUNT1500=$2; shift ;;
    --ring) RING=$2; shift ;;
    --batch) BATCH=$2; shift ;;
    --out) OUT=$2; shift ;;
    -h | --help) sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
    esac
    shift
done
for v in "$REPS" "$COUNT64" "$COUNT1500" "$RING" "$BATCH"; do
    [[ $v =~ ^[1-9][0-9]*$ ]] || die "not a positive number: $v"
done
[[ $EUID -eq 0 ]] || die "needs root (network namespaces, packet sockets)"
(($(nproc) >= 2)) || die "needs 2 CPUs (sender on CPU 0, reader on CPU 1)"
for tool in ip taskset timeout awk go; do
    command -v "$tool" >/dev/null 2>&1 || die "missing $tool (bindings/go/test.sh installs Go)"
done

# ---- build
export GOPATH="${GOPATH:-$BUILD/gopath}" GOCACHE="${GOCACHE:-$BUILD/cache}"
export GOFLAGS="${GOFLAGS:--mod=readonly}" GOPROXY="${GOPROXY:-off}" CGO_ENABLED=1
if [[ ! -f $ROOT/target/release/libpkt.a ]]; then
    (cd "$ROOT" && cargo build --release) || die "cargo build --release failed"
fi
mkdir -p "$BUILD"
(cd "$GODIR" && go build -o "$BUILD/gobench" ./bench) || die "go build ./bench failed"
BENCH="$BUILD/gobench"

# ---- network
NS="pkgob-$$-$RANDOM"
PIDS=()
TMP="$(mktemp -d)"
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    ip netns del "$NS" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

ip netns add "$NS" || die "cannot create network namespace $NS"
in_ns() { ip netns exec "$NS" "$@"; }
in_ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1
in_ns ip link set lo up
in_ns ip link add v0 type veth peer name v1 || die "cannot create the veth pair"
in_ns ip link set v0 up && in_ns ip link set v1 up || die "cannot bring the veth pair up"
for _ in $(seq 1 500); do
    [[ $(in_ns cat /sys/class/net/v0/operstate) == up && $(in_ns cat /sys/class/net/v1/operstate) == up ]] && break
    sleep 0.01
done

# ---- runs
# busy_pct: the busier CPU's busy percentage over 0.5 s (from /proc/stat).
busy_pct() {
    local a b
    a=$(grep -E '^cpu[0-9]+ ' /proc/stat)
    sleep 0.5
    b=$(grep -E '^cpu[0-9]+ ' /proc/stat)
    paste <(echo "$a") <(echo "$b") | awk '{
        n = (NF) / 2; t1 = 0; t2 = 0
        for (i = 2; i <= n; i++) t1 += $i
        for (i = n + 2; i <= NF; i++) t2 += $i
        idle = ($(n + 5) + $(n + 6)) - ($5 + $6)
        busy = 100 * (1 - idle / (t2 - t1))
        if (busy > max) max = busy
    } END { printf "%d\n", max }'
}
# quiet: waits (at most 30 s) until no CPU is more than 15% busy; says so when it gives up.
NOISY=0
quiet() {
    local i p
    for i in $(seq 1 60); do
        p=$(busy_pct)
        ((p <= 15)) && return 0
    done
    echo "note: CPUs still busy ($p%) after 30 s; measuring anyway" >&2
    NOISY=$((NOISY + 1))
}
RAW="$TMP/raw.txt"
: >"$RAW"
run_one() { # SIZE COUNT MODE
    local size=$1 count=$2 mode=$3 out="$TMP/recv.txt" pid i
    : >"$out"
    quiet
    in_ns taskset -c 1 timeout 120 "$BENCH" recv -i v0 -mode "$mode" -n "$count" -B "$RING" \
        -batch "$BATCH" -idle 1000 >"$out" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    for i in $(seq 1 1000); do
        grep -q '^ready' "$out" && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.01
    done
    grep -q '^ready' "$out" || die "reader did not start: $(cat "$out")"
    local sendline
    sendline=$(in_ns taskset -c 0 timeout 120 "$BENCH" send -i v1 -n "$count" -s "$size") ||
        die "sender failed: $sendline"
    wait "$pid" || die "reader failed: $(cat "$out")"
    PIDS=()
    local line
    line=$(grep '^mode=' "$out") || die "no result from the reader: $(cat "$out")"
    echo "size=$size $line $(echo "$sendline" | sed 's/mode=send //; s/pps=/send_pps=/; s/secs=/send_secs=/')" | tee -a "$RAW"
}
echo "== $REPS repetition(s); ring $RING bytes; ReadBatch size $BATCH; sender WriteBatch on CPU 0, reader on CPU 1"
MODES=(read read1 zerocopy zerocopy1 batch slim c-batch c-slim)
for size in 64 1500; do
    count=$COUNT64
    [[ $size == 1500 ]] && count=$COUNT1500
    for rep in $(seq 1 "$REPS"); do
        # Rotate the order, so no read path always runs first.
        for k in "${!MODES[@]}"; do
            run_one "$size" "$count" "${MODES[$(((k + rep) % ${#MODES[@]}))]}"
        done
    done
done

# ---- report: medians with min..max
report() {
    echo "Go package, $(date -u +%Y-%m-%d), kernel $(uname -r), $(nproc) CPUs, $(go version | awk '{print $3}'), libpkt $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?'); command: \`$CMDLINE\`; $REPS repetition(s), medians (min..max)"
    echo
    echo "| frame | read path | packets | drops | packets/s | CPU ns/packet | x c-batch |"
    echo "| --- | --- | --- | --- | --- | --- | --- |"
    awk -v batch="$BATCH" '
    {
        for (i = 1; i <= NF; i++) { split($i, a, "="); f[a[1]] = a[2] }
        key = f["size"] " " f["mode"]
        n[key]++; pk[key] += f["pkts"]; dr[key] += f["drops"]
        cpu[key, n[key]] = f["cpu_ns"]; pps[key, n[key]] = f["pps"]
        if (!(key in seen)) { seen[key] = 1; order[++nk] = key }
    }
    function med(arr, key, cnt,   i, j, t, v) {
        for (i = 1; i <= cnt; i++) v[i] = arr[key, i] + 0
        for (i = 1; i <= cnt; i++) for (j = i + 1; j <= cnt; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
        lo = v[1]; hi = v[cnt]
        return (cnt % 2) ? v[(cnt + 1) / 2] : (v[cnt / 2] + v[cnt / 2 + 1]) / 2
    }
    END {
        nm = split("read1 read zerocopy1 zerocopy batch slim c-batch c-slim", modes, " ")
        name["read1"] = "Read (copy), ReadAhead 1"; name["read"] = "Read (copy), ReadAhead 64"
        name["zerocopy1"] = "ReadZeroCopy, ReadAhead 1"; name["zerocopy"] = "ReadZeroCopy, ReadAhead 64"
        name["batch"] = "ReadBatch, " batch " per call"
        name["slim"] = "ReadSlim, " batch " per call"
        name["c-batch"] = "C: pkt_read_batch, " batch " per call"
        name["c-slim"] = "C: pkt_read_slim, " batch " per call"
        for (s = 1; s <= 2; s++) for (m = 1; m <= nm; m++) {
            size = (s == 1) ? 64 : 1500
            mode = modes[m]
            key = size " " mode
            if (!(key in seen)) continue
            c = n[key]
            p = med(pps, key, c); plo = lo; phi = hi
            u = med(cpu, key, c); ulo = lo; uhi = hi
            range = (c > 1) ? sprintf(" (%.1f..%.1f)", ulo, uhi) : ""
            prange = (c > 1) ? sprintf(" (%.0f..%.0f)", plo / 1000, phi / 1000) : ""
            ck = size " c-batch"
            ratio = "-"
            if (ck in seen) { cb = med(cpu, ck, n[ck]); if (cb > 0) ratio = sprintf("%.2f", u / cb) }
            printf "| %d B | %s | %d | %d | %.0f k%s | %.1f%s | %s |\n", size, name[mode], pk[key], dr[key], p / 1000, prange, u, range, ratio
        }
    }' "$RAW"
}
echo
report | tee "$TMP/table.md"
((NOISY == 0)) || echo "($NOISY run(s) started while other work kept a CPU over 15% busy)" | tee -a "$TMP/table.md"
if [[ -n $OUT ]]; then
    cp "$TMP/table.md" "$OUT"
    echo "written to $OUT"
fi
