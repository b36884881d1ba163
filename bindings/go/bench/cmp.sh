#!/usr/bin/env bash
# The binding read paths against C, side by side (a benchmark, not a test: no number fails it).
#
#   sudo bindings/go/bench/cmp.sh                 5 interleaved repetitions (about 1 minute)
#   sudo bindings/go/bench/cmp.sh --reps 9 --zig  also the Zig wrapper (bindings/zig/bench)
#
# Every reader reads the same traffic in the same run: bench_test.go's BenchmarkRing (a ring
# prefilled with --frames 64-byte frames sent on a veth pair while nobody reads, then read
# whole; only the reads of blocks the kernel had retired are timed) and BenchmarkFile (a mapped
# pcap file of 65,536 64-byte frames), --packets packets per run, --batch packets per call.
# The C reference (c-batch: pkt_read_batch, c-slim: pkt_read_slim, a loop written in C, see
# bench/refread.h) runs in the same process as the Go readers; with --zig, the Zig benchmark
# (bindings/zig/bench/bench.zig) runs the Zig wrapper and the same C loop in its own process.
# Each repetition runs every reader once, in an order rotated per repetition, each in its
# own process pinned to CPU 1; the table gives medians with min..max, and each reader's ratio
# to c-batch and to c-slim of the same repetition (median of the ratios, min..max).
#
# Options: --reps N (5), --packets N (200000), --frames N (100000 per prefill), --batch N (32),
# --readers "LIST" (default: every Go and C reader), --zig, --measure cpu|wall (cpu: the
# process's user + system time over the timed reads, getrusage, the default: what other work on
# a shared machine takes of the wall time does not count; wall: the elapsed time), --out FILE
# (also write the table).
# Layout: a network namespace this script creates with a veth pair v0 <-> v1, deleted on any
# exit; traffic stays inside it.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
GODIR="$(cd "$HERE/.." && pwd)"
ROOT="$(cd "$GODIR/../.." && pwd)"
BUILD="$ROOT/build/go"
CMDLINE="bindings/go/bench/cmp.sh $*"

REPS=5 PACKETS=200000 FRAMES=100000 BATCH=32 OUT="" ZIG=0 MEASURE=cpu
READERS="go-batch go-slim go-zerocopy go-read go-read1 c-batch c-slim"
die() {
    echo "cmp.sh: $*" >&2
    exit 1
}
while (($#)); do
    case $1 in
    --reps) REPS=$2; shift ;;
    --packets) PACKETS=$2; shift ;;
    --frames) FRAMES=$2; shift ;;
    --batch) BATCH=$2; shift ;;
    --readers) READERS=$2; shift ;;
    --zig) ZIG=1 ;;
    --measure) MEASURE=$2; shift ;;
    --out) OUT=$2; shift ;;
    -h | --help) sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
    esac
    shift
done
for v in "$REPS" "$PACKETS" "$FRAMES" "$BATCH"; do
    [[ $v =~ ^[1-9][0-9]*$ ]] || die "not a positive number: $v"
done
((BATCH <= 256)) || die "--batch is at most 256"
[[ $MEASURE == cpu || $MEASURE == wall ]] || die "--measure is cpu or wall"
[[ $EUID -eq 0 ]] || die "needs root (network namespaces, packet sockets)"
(($(nproc) >= 2)) || die "needs 2 CPUs"

# ---- build
export GOPATH="${GOPATH:-$BUILD/gopath}" GOCACHE="${GOCACHE:-$BUILD/cache}"
export GOFLAGS="${GOFLAGS:--mod=readonly}" GOPROXY="${GOPROXY:-off}" CGO_ENABLED=1
if [[ ! -f $ROOT/target/release/libpkt.a ]]; then
    (cd "$ROOT" && cargo build --release) || die "cargo build --release failed"
fi
mkdir -p "$BUILD"
(cd "$GODIR" && go test -c -o "$BUILD/gobench.test" ./bench) || die "go test -c ./bench failed"
GOBENCH="$BUILD/gobench.test"
ZIGBENCH=""
if ((ZIG)); then
    ZIGBENCH=$(bash "$ROOT/bindings/zig/bench/build.sh") || die "building the Zig benchmark failed"
    READERS="$READERS zig-batch zig-slim zig-c-batch zig-c-slim"
fi

# ---- network
NS="pkcmp-$$-$RANDOM"
TMP="$(mktemp -d)"
cleanup() {
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

# ---- runs: lines "rep=R kind=Ring|File reader=NAME ns=X cpu=Y allocs=Z"
RAW="$TMP/raw.txt"
: >"$RAW"
run_one() { # REP READER
    local rep=$1 r=$2 out="$TMP/out.txt"
    if [[ $r == zig-* ]]; then
        in_ns taskset -c 1 timeout 300 "$ZIGBENCH" --reader "${r#zig-}" --packets "$PACKETS" \
            --frames "$FRAMES" --batch "$BATCH" >"$out" 2>&1 || die "$r failed: $(tail -5 "$out")"
    else
        in_ns taskset -c 1 timeout 300 "$GOBENCH" -test.run '^$' -test.bench "^Benchmark(Ring|File)\$/^$r\$" \
            -test.benchtime "${PACKETS}x" -batch "$BATCH" -frames "$FRAMES" >"$out" 2>&1 ||
            die "$r failed: $(tail -5 "$out")"
    fi
    # "BenchmarkRing/go-batch[-P]  N  X ns/op  A allocs/pkt  C cpu-ns/pkt  W ns/pkt"
    awk -v rep="$rep" -v r="$r" '/^Benchmark(Ring|File)\// {
        kind = substr($1, 10); sub(/\/.*/, "", kind)
        ns = cpu = al = ""
        for (i = 3; i < NF; i++) {
            if ($(i + 1) == "ns/pkt") ns = $i
            if ($(i + 1) == "cpu-ns/pkt") cpu = $i
            if ($(i + 1) == "allocs/pkt") al = $i
        }
        printf "rep=%s kind=%s reader=%s ns=%s cpu=%s allocs=%s\n", rep, kind, r, ns, cpu, al
    }' "$out" | tee -a "$RAW"
}
read -r -a LIST <<<"$READERS"
echo "== $REPS repetition(s) of ${#LIST[@]} readers; $PACKETS packets per run, $BATCH per call; prefill $FRAMES frames"
for rep in $(seq 1 "$REPS"); do
    for k in "${!LIST[@]}"; do
        run_one "$rep" "${LIST[$(((k + rep) % ${#LIST[@]}))]}"
    done
done

# ---- report
report() {
    echo "Binding read paths vs C, $(date -u +%Y-%m-%d), kernel $(uname -r), $(nproc) CPUs, $(go version | awk '{print $3}'), libpkt $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?'); command: \`$CMDLINE\`; $REPS interleaved repetitions, $PACKETS packets each, $BATCH per call, 64-byte frames; medians (min..max); x c-batch / x c-slim: ratio to the C loop of the same repetition (for zig-*: to zig-c-*, the C loop in the Zig process)"
    echo
    local m="CPU ns/pkt"
    [[ $MEASURE == wall ]] && m="wall ns/pkt"
    echo "| reader | ring $m | x c-batch | x c-slim | file $m | x c-batch | x c-slim | allocs/pkt |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
    awk -v order="$READERS" -v measure="$MEASURE" '
    {
        for (i = 1; i <= NF; i++) { split($i, a, "="); f[a[1]] = a[2] }
        k = f["kind"] SUBSEP f["reader"]
        ns[k, f["rep"]] = (measure == "cpu") ? f["cpu"] : f["ns"]; al[f["reader"]] = f["allocs"]; reps[f["rep"]] = 1
    }
    function stat(vals, cnt,   i, j, t) {
        for (i = 1; i <= cnt; i++) for (j = i + 1; j <= cnt; j++) if (vals[j] < vals[i]) { t = vals[i]; vals[i] = vals[j]; vals[j] = t }
        lo = vals[1]; hi = vals[cnt]
        return (cnt % 2) ? vals[(cnt + 1) / 2] : (vals[cnt / 2] + vals[cnt / 2 + 1]) / 2
    }
    # cell(kind, reader, ref): the median (min..max) of ns, or of ns / ref ns of the same rep
    function cell(kind, r, ref, fmt,   rp, cnt, v, m, base) {
        cnt = 0; delete v
        base = (r ~ /^zig-/ && ref != "") ? "zig-" ref : ref
        for (rp in reps) {
            if (!((kind, r, rp) in ns) || ns[kind, r, rp] == "") continue
            if (ref == "") v[++cnt] = ns[kind, r, rp] + 0
            else if (((kind, base, rp) in ns) && ns[kind, base, rp] > 0) v[++cnt] = ns[kind, r, rp] / ns[kind, base, rp]
        }
        if (cnt == 0) return "-"
        m = stat(v, cnt)
        return (cnt > 1) ? sprintf(fmt " (" fmt ".." fmt ")", m, lo, hi) : sprintf(fmt, m)
    }
    END {
        n = split(order, rs, " ")
        for (i = 1; i <= n; i++) {
            r = rs[i]
            printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", r,
                cell("Ring", r, "", "%.1f"), cell("Ring", r, "c-batch", "%.2f"), cell("Ring", r, "c-slim", "%.2f"),
                cell("File", r, "", "%.1f"), cell("File", r, "c-batch", "%.2f"), cell("File", r, "c-slim", "%.2f"),
                (al[r] == "" ? "-" : sprintf("%.2f", al[r]))
        }
    }' "$RAW"
}
echo
report | tee "$TMP/table.md"
if [[ -n $OUT ]]; then
    cp "$TMP/table.md" "$OUT"
    echo "written to $OUT"
fi
