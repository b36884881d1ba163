#!/usr/bin/env bash
# The lab that scripts/demo.sh captures in, and the tool installer scripts/test.sh and
# scripts/demo.sh share. Source it for the functions, or run it:
#
#   scripts/lab.sh check    build a lab, ping across it, delete it (needs root)
#
# A lab is two network namespaces joined by a veth pair, created directly inside them:
#
#   namespace A: veth-a 10.99.0.1/24  <---->  namespace B: veth-b 10.99.0.2/24
#
# Nothing of it exists in the caller's namespace, neither has a route beyond 10.99.0.0/24,
# and IPv6 is off in both, so the only packets on the link are the ones a script sends.

LAB_ADDR_A=10.99.0.1
LAB_ADDR_B=10.99.0.2
LAB_IF_A=veth-a
LAB_IF_B=veth-b

# ensure_tools COMMAND:PACKAGE...: installs (Debian, as root) the packages of missing commands.
ensure_tools() {
    local pair missing=()
    for pair in "$@"; do
        command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
    done
    if ((${#missing[@]} == 0)); then
        return 0
    fi
    if [[ $EUID -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
        echo "missing commands; install these packages first: ${missing[*]}" >&2
        return 1
    fi
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q </dev/null
    apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
}

# lab_up NS_A NS_B: creates the two namespaces and the link between them.
lab_up() {
    local a=$1 b=$2 ns
    ip netns add "$a"
    ip netns add "$b"
    for ns in "$a" "$b"; do
        # Quiet link: no IPv6 (no router solicitations, MLD or DAD) in the lab.
        # Best effort: a kernel without IPv6 has no such keys.
        ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 \
            net.ipv6.conf.default.disable_ipv6=1 2>/dev/null || true
        ip -n "$ns" link set lo up
    done
    ip link add "$LAB_IF_A" netns "$a" type veth peer name "$LAB_IF_B" netns "$b"
    ip -n "$a" addr add "$LAB_ADDR_A/24" dev "$LAB_IF_A"
    ip -n "$b" addr add "$LAB_ADDR_B/24" dev "$LAB_IF_B"
    ip -n "$a" link set "$LAB_IF_A" up
    ip -n "$b" link set "$LAB_IF_B" up
    lab_wait_carrier "$a" "$LAB_IF_A"
}

# lab_wait_carrier NS IFACE: waits (at most 5 s) until the link reports LOWER_UP.
lab_wait_carrier() {
    local i
    for ((i = 0; i < 50; i++)); do
        if ip -n "$1" link show "$2" | grep -q LOWER_UP; then
            return 0
        fi
        sleep 0.1
    done
    echo "lab: $2 in $1 has no carrier after 5 s" >&2
    return 1
}

# lab_down NS...: deletes the namespaces (the veth pair goes with them); never fails.
lab_down() {
    local ns
    for ns in "$@"; do
        ip netns del "$ns" 2>/dev/null || true
    done
}

lab_check() {
    ensure_tools ip:iproute2 sysctl:procps ping:iputils-ping
    local a="pktlab-a-$$" b="pktlab-b-$$"
    # Expanded now: the locals are gone when the EXIT trap runs.
    # shellcheck disable=SC2064
    trap "lab_down '$a' '$b'" EXIT
    lab_up "$a" "$b"
    ip netns exec "$b" ping -c 3 -i 0.2 -w 5 "$LAB_ADDR_A"
    echo "lab: $a and $b work"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    set -euo pipefail
    case "${1:-}" in
    check) lab_check ;;
    *)
        echo "usage: $0 check" >&2
        exit 2
        ;;
    esac
fi
