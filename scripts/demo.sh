#!/usr/bin/env bash
# The README's main command: pktdump, libpkt's capture tool, on live traffic in a throwaway lab.
#
#   sudo scripts/demo.sh [--no-build]
#
# Builds libpkt, pktdump (tools/) and inject (examples/), creates two network namespaces joined
# by a veth pair (see scripts/lab.sh), and runs pktdump on veth-a in namespace A, printing each
# packet as it arrives and writing them all to build/demo/demo.pcap. From namespace B it then
# sends varied, bounded traffic: pings (with the ARP exchange before them), a UDP datagram to
# a closed port (answered with ICMP port unreachable), a TCP connection attempt to a closed
# port (SYN, answered with RST) and two raw VLAN-tagged frames (examples/inject -V). Once the
# last frame has been printed it stops pktdump with SIGINT, shows pktdump's closing lines, and
# reads build/demo/demo.pcap back with tcpdump (installed if missing), checking that tcpdump
# reads exactly the packets pktdump printed, and at least the ones the traffic must produce.
#
# Everything it creates is deleted on exit, also on failure or Ctrl-C, except
# build/demo/demo.pcap, kept to be opened in tcpdump or Wireshark. Traffic stays inside the
# lab: B reaches nothing but 10.99.0.1. Each step is bounded in time.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lab.sh
. scripts/lab.sh

BUILD="$ROOT/build/examples"
TOOLS_BUILD="$ROOT/build/tools"
OUT_DIR="$ROOT/build/demo"
PCAP="$OUT_DIR/demo.pcap"
PINGS=3
VLAN_ID=100
VLAN_FRAMES=2
UDP_PORT=9 # closed in A (discard): answered with ICMP port unreachable
TCP_PORT=7 # closed in A (echo): answered with RST
# What the traffic must produce at least: ARP request and reply, each echo request and reply,
# the UDP datagram, SYN and RST, the VLAN frames. (The ICMP port unreachable is rate limited by
# the kernel, so it is shown but not counted on.)
MIN_PACKETS=$((2 + 2 * PINGS + 1 + 2 + VLAN_FRAMES))

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
fail() {
    echo "demo: FAILED: $*" >&2
    exit 1
}

ensure_tools ip:iproute2 sysctl:procps ping:iputils-ping timeout:coreutils tcpdump:tcpdump
if ((build)); then
    ensure_tools cmake:cmake make:make cc:gcc objdump:binutils
    say "build: cargo build --release, tools, examples"
    cargo build --release
    cmake -S examples -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
        -DPKT_LIB_DIR="$ROOT/target/release" -DPKT_INCLUDE_DIR="$ROOT/include" >/dev/null
    cmake --build "$BUILD" -j2
    cmake -S tools -B "$TOOLS_BUILD" -DCMAKE_BUILD_TYPE=Release \
        -DPKT_LIB_DIR="$ROOT/target/release" -DPKT_INCLUDE_DIR="$ROOT/include" >/dev/null
    cmake --build "$TOOLS_BUILD" -j2
fi
for exe in "$TOOLS_BUILD/pktdump" "$BUILD/inject"; do
    if [[ ! -x "$exe" ]]; then
        echo "$exe is missing: run $0 without --no-build" >&2
        exit 1
    fi
done

NS_A="pktdemo-a-$$"
NS_B="pktdemo-b-$$"
TMP="$(mktemp -d)"
pktdump_pid=""
tail_pid=""

cleanup() {
    local pid
    for pid in "$pktdump_pid" "$tail_pid"; do
        if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    lab_down "$NS_A" "$NS_B"
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# wait_for SECONDS COMMAND...: runs COMMAND every 0.1 s until it succeeds (0) or time is up (1).
wait_for() {
    local tenths=$(($1 * 10)) i
    shift
    for ((i = 0; i < tenths; i++)); do
        if "$@"; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}
pktdump_listening() { grep -q 'listening on' "$TMP/status"; }
pktdump_gone() { ! kill -0 "$pktdump_pid" 2>/dev/null; }
vlan_frames_printed() { (($(grep -c "vlan $VLAN_ID," "$TMP/packets" || true) >= VLAN_FRAMES)); }

say "lab: $NS_A ($LAB_IF_A $LAB_ADDR_A/24) <-> $NS_B ($LAB_IF_B $LAB_ADDR_B/24)"
lab_up "$NS_A" "$NS_B"
# No ARP probes of their own while the demo runs (they would only add lines).
ip netns exec "$NS_A" sysctl -q -w "net.ipv4.neigh.$LAB_IF_A.delay_first_probe_time=60"
ip netns exec "$NS_B" sysctl -q -w "net.ipv4.neigh.$LAB_IF_B.delay_first_probe_time=60"

mkdir -p "$OUT_DIR"
rm -f "$PCAP"
say "pktdump -i $LAB_IF_A -e -w $PCAP --print (in $NS_A)"
# `ip netns exec` execs the program, so $! is pktdump itself.
ip netns exec "$NS_A" "$TOOLS_BUILD/pktdump" -i "$LAB_IF_A" -e -w "$PCAP" --print \
    >"$TMP/packets" 2>"$TMP/status" &
pktdump_pid=$!
# Show each packet line as pktdump prints it; tail ends when pktdump does.
tail -n +1 -s 0.2 -f --pid="$pktdump_pid" "$TMP/packets" &
tail_pid=$!

# pktdump says "listening on" once its ring and socket are ready: start the traffic only then.
if ! wait_for 10 pktdump_listening; then
    cat "$TMP/status" >&2
    fail "pktdump did not start"
fi
sed -n '/listening on/p' "$TMP/status"

# Bounded traffic, inside the lab only.
in_b() { ip netns exec "$NS_B" timeout 10 "$@"; }
in_b ping -q -c "$PINGS" -i 0.2 -w 5 "$LAB_ADDR_A" >"$TMP/ping" 2>&1 ||
    { cat "$TMP/ping" >&2; fail "ping"; }
# bash's /dev/udp and /dev/tcp: a datagram to a closed port, a connection attempt refused
in_b bash -c "echo hello >/dev/udp/$LAB_ADDR_A/$UDP_PORT" ||
    fail "could not send the UDP datagram"
if in_b bash -c "exec 3<>/dev/tcp/$LAB_ADDR_A/$TCP_PORT" 2>/dev/null; then
    fail "TCP port $TCP_PORT is open in $NS_A?"
fi
in_b "$BUILD/inject" -i "$LAB_IF_B" -V "$VLAN_ID" -c "$VLAN_FRAMES" 2>"$TMP/inject" ||
    { cat "$TMP/inject" >&2; fail "inject"; }

# The VLAN frames come last: once pktdump has printed them, it has seen everything.
if ! wait_for 10 vlan_frames_printed; then
    fail "pktdump did not print the $VLAN_FRAMES VLAN frames within 10 s"
fi
kill -INT "$pktdump_pid"
if ! wait_for 5 pktdump_gone; then
    fail "pktdump did not stop within 5 s of SIGINT"
fi
pktdump_rc=0
wait "$pktdump_pid" || pktdump_rc=$?
pktdump_pid=""
wait "$tail_pid" || true
tail_pid=""

say "pktdump stopped by SIGINT (exit status $pktdump_rc):"
sed -n '/listening on/!p' "$TMP/status"
echo "traffic: $(grep -h 'packets transmitted' "$TMP/ping");" \
    "UDP and TCP to closed ports; $(cat "$TMP/inject")"
((pktdump_rc == 0)) || fail "pktdump exited with status $pktdump_rc"

say "tcpdump -e -n -r $PCAP (-e: link-level headers, VLAN tags included)"
timeout 20 tcpdump -e -n -r "$PCAP" >"$TMP/tcpdump" 2>"$TMP/tcpdump.err" ||
    { cat "$TMP/tcpdump.err" >&2; fail "tcpdump could not read $PCAP"; }
cat "$TMP/tcpdump.err" "$TMP/tcpdump"

printed=$(grep -c "^[0-9]" "$TMP/packets" || true) # packet lines (hex dumps start with a tab)
captured=$(sed -n 's/^\([0-9]*\) packets\{0,1\} captured$/\1/p' "$TMP/status")
read_back=$(grep -c "^[0-9]" "$TMP/tcpdump" || true)
count() { grep -c -- "$1" "$2" || true; }
arp=$(count 'ethertype ARP (0x0806)' "$TMP/packets")
echo_in=$(count "> $LAB_ADDR_A: ICMP echo request" "$TMP/packets")
echo_out=$(count "$LAB_ADDR_A > .*: ICMP echo reply" "$TMP/packets")
udp=$(count "> $LAB_ADDR_A.$UDP_PORT: UDP" "$TMP/packets")
syn=$(count "> $LAB_ADDR_A.$TCP_PORT: Flags \[S\]" "$TMP/packets")
rst=$(count "$LAB_ADDR_A.$TCP_PORT > .*Flags \[R\.\]" "$TMP/packets")
vlan=$(count "vlan $VLAN_ID, p 0, .*(0x88b5)" "$TMP/packets")
say "summary"
echo "demo: pktdump printed $printed packets ($arp ARP, $echo_in echo requests in, $echo_out echo" \
    "replies out, $udp UDP, $syn SYN, $rst RST, $vlan VLAN $VLAN_ID), captured ${captured:-?};" \
    "tcpdump read $read_back back from $PCAP"
[[ "$captured" == "$printed" ]] ||
    fail "pktdump printed $printed packets but says it captured ${captured:-?}"
((read_back == printed)) ||
    fail "tcpdump read $read_back packets from $PCAP, pktdump printed $printed"
((printed >= MIN_PACKETS)) || fail "expected at least $MIN_PACKETS packets"
((arp >= 2 && echo_in == PINGS && echo_out == PINGS && udp == 1 && syn >= 1 && rst >= 1 &&
    vlan == VLAN_FRAMES)) ||
    fail "expected 2 ARP, $PINGS echo requests and replies, 1 UDP, SYN and RST," \
        "$VLAN_FRAMES VLAN frames"
tagged="802.1Q (0x8100), length 64: vlan $VLAN_ID, p 0, ethertype Unknown (0x88b5)"
grep -q "$tagged" "$TMP/tcpdump" ||
    fail "tcpdump does not show the VLAN tag in $PCAP"
echo "demo: OK ($PCAP kept)"
