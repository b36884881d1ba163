#!/usr/bin/env bash
# The README's main command: a live capture with libpkt in a throwaway lab.
#
#   sudo scripts/demo.sh [--no-build]
#
# Builds libpkt and examples/capture.c, creates two network namespaces joined by a veth pair
# (see scripts/lab.sh), starts the capture on veth-a in namespace A, pings A from B five times
# and injects three raw frames from B with examples/inject.c, and prints one line per packet
# as the capture sees it. Everything it creates is deleted on exit, also on failure or Ctrl-C.
# Traffic stays inside the lab: B reaches nothing but 10.99.0.1.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lab.sh
. scripts/lab.sh

BUILD="$ROOT/build/examples"
PINGS=5
INJECTS=3
# ARP request and reply, each echo request and reply, each injected frame
EXPECTED=$((2 + 2 * PINGS + INJECTS))
IDLE_MS=3000 # the capture stops once the link has been quiet this long
WATCHDOG_S=20 # and is stopped with SIGTERM if it is still running this long after the traffic

build=1
case "${1:-}" in
"") ;;
--no-build) build=0 ;;
*)
    echo "usage: $0 [--no-build]" >&2
    exit 2
    ;;
esac

if [[ $EUID -ne 0 ]]; then
    echo "demo.sh creates network namespaces and opens packet sockets: run it as root (sudo $0)" >&2
    exit 1
fi

say() { printf '\n==== %s\n' "$*"; }

ensure_tools ip:iproute2 sysctl:procps ping:iputils-ping
if ((build)); then
    ensure_tools cmake:cmake make:make cc:gcc objdump:binutils
    say "build: cargo build --release, examples"
    cargo build --release
    cmake -S examples -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
        -DPKT_LIB_DIR="$ROOT/target/release" -DPKT_INCLUDE_DIR="$ROOT/include" >/dev/null
    cmake --build "$BUILD" -j2
fi
for exe in capture inject; do
    if [[ ! -x "$BUILD/$exe" ]]; then
        echo "$BUILD/$exe is missing: run $0 without --no-build" >&2
        exit 1
    fi
done

NS_A="pktdemo-a-$$"
NS_B="pktdemo-b-$$"
TMP="$(mktemp -d)"
capture_pid=""
tail_pid=""

cleanup() {
    local pid
    for pid in "$capture_pid" "$tail_pid"; do
        if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    lab_down "$NS_A" "$NS_B"
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "lab: $NS_A ($LAB_IF_A $LAB_ADDR_A/24) <-> $NS_B ($LAB_IF_B $LAB_ADDR_B/24)"
lab_up "$NS_A" "$NS_B"

say "capture on $LAB_IF_A in $NS_A: up to $EXPECTED packets, stop after $IDLE_MS ms of quiet"
# `ip netns exec` execs the program, so $! is the capture itself.
ip netns exec "$NS_A" "$BUILD/capture" -i "$LAB_IF_A" -c "$EXPECTED" -t "$IDLE_MS" \
    >"$TMP/packets" 2>"$TMP/status" &
capture_pid=$!
# Show each packet line as the capture prints it; tail ends when the capture does.
tail -n +1 -s 0.2 -f --pid="$capture_pid" "$TMP/packets" &
tail_pid=$!

# The capture says "listening" once its ring and socket are ready: start traffic only then.
for ((i = 0; i < 100; i++)); do
    if grep -q listening "$TMP/status"; then
        break
    fi
    if ! kill -0 "$capture_pid" 2>/dev/null; then
        break
    fi
    sleep 0.1
done
if ! grep -q listening "$TMP/status"; then
    echo "demo: the capture did not start:" >&2
    cat "$TMP/status" >&2
    exit 1
fi
sed -n '/listening/p' "$TMP/status"

# Bounded traffic, inside the lab only.
ip netns exec "$NS_B" ping -q -c "$PINGS" -i 0.2 -w 5 "$LAB_ADDR_A" >"$TMP/ping" 2>&1 ||
    { cat "$TMP/ping" >&2; exit 1; }
ip netns exec "$NS_B" "$BUILD/inject" -i "$LAB_IF_B" -c "$INJECTS" 2>"$TMP/inject" ||
    { cat "$TMP/inject" >&2; exit 1; }

for ((i = 0; i < WATCHDOG_S * 10; i++)); do
    if ! kill -0 "$capture_pid" 2>/dev/null; then
        break
    fi
    sleep 0.1
done
if kill -0 "$capture_pid" 2>/dev/null; then
    echo "demo: the capture is still running after ${WATCHDOG_S} s: stopping it (SIGTERM)" >&2
    kill -TERM "$capture_pid"
fi
capture_rc=0
wait "$capture_pid" || capture_rc=$?
capture_pid=""
wait "$tail_pid" || true
tail_pid=""

sed -n '/listening/!p' "$TMP/status"
say "traffic: $(grep -h 'packets transmitted' "$TMP/ping"); $(cat "$TMP/inject")"

printed=$(wc -l <"$TMP/packets")
echo_in=$(grep -c ' in .*ICMP$' "$TMP/packets" || true)
echo_out=$(grep -c ' out .*ICMP$' "$TMP/packets" || true)
injected=$(grep -c ' 0x88b5 ' "$TMP/packets" || true)
echo "demo: $printed packets: $echo_in ICMP in, $echo_out ICMP out, $injected injected frames"
if ((capture_rc != 0)); then
    echo "demo: FAILED: the capture exited with status $capture_rc" >&2
    exit 1
fi
if ((echo_in != PINGS || echo_out != PINGS || injected != INJECTS)); then
    echo "demo: FAILED: expected $PINGS ICMP in, $PINGS ICMP out and $INJECTS injected frames" >&2
    exit 1
fi
echo "demo: OK"
