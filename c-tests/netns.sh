#!/usr/bin/env bash
# Runs one test program inside a fresh network namespace that holds lo and a veth pair
# v0 <-> v1 (both up, MTU 1500, IPv6 off so the kernel sends nothing of its own), and deletes
# the namespace on any exit.
#
# usage: netns.sh BINARY [ARGS...]
#
# Exit status: the test's; 77 (skipped) becomes 1 when CI=true, because CI runs as root and a
# skipped test there hides a failure.
# Environment: PKT_TEST_TIMEOUT (seconds, default 90) bounds the test run, so the namespace is
# always cleaned up even if the test hangs (CTest's own timeout would kill this script first
# with SIGKILL, leaving the namespace behind).
set -u

skip_status() {
    if [ "${CI:-}" = "true" ]; then
        echo "netns.sh: skipped test counts as a failure because CI=true" >&2
        return 1
    fi
    return 77
}

if [ $# -lt 1 ]; then
    echo "usage: $0 BINARY [ARGS...]" >&2
    exit 2
fi

if [ "$(id -u)" != 0 ]; then
    echo "SKIP: netns.sh needs root to create network namespaces" >&2
    skip_status
    exit $?
fi
if ! command -v ip >/dev/null 2>&1; then
    echo "SKIP: netns.sh needs iproute2 (ip)" >&2
    skip_status
    exit $?
fi

ns="pktt-$$-${RANDOM}${RANDOM}"

cleanup() {
    ip netns del "$ns" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

if ! ip netns add "$ns" 2>/dev/null; then
    echo "SKIP: cannot create network namespace $ns (ip netns add failed)" >&2
    skip_status
    exit $?
fi

in_ns() { ip netns exec "$ns" "$@"; }

# IPv6 off before the veth exists, so no router solicitation, DAD or MLD frame ever appears on it.
in_ns sysctl -qw net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1 || true
in_ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 >/dev/null 2>&1 || true

if ! in_ns ip link set lo up ||
    ! in_ns ip link add v0 mtu 1500 type veth peer name v1 mtu 1500 ||
    ! in_ns ip link set v0 up ||
    ! in_ns ip link set v1 up; then
    echo "netns.sh: cannot set up lo and the veth pair in $ns" >&2
    if ! in_ns ip link show v0 >/dev/null 2>&1; then
        echo "SKIP: veth interfaces are not available" >&2
        skip_status
        exit $?
    fi
    exit 1
fi
in_ns sysctl -qw net.ipv6.conf.v0.disable_ipv6=1 >/dev/null 2>&1 || true
in_ns sysctl -qw net.ipv6.conf.v1.disable_ipv6=1 >/dev/null 2>&1 || true

# Wait (bounded) for both ends to report carrier, so the first frame of a test is not lost.
for _ in $(seq 1 500); do
    s0=$(in_ns cat /sys/class/net/v0/operstate 2>/dev/null)
    s1=$(in_ns cat /sys/class/net/v1/operstate 2>/dev/null)
    [ "$s0" = up ] && [ "$s1" = up ] && break
    sleep 0.01
done
if [ "$s0" != up ] || [ "$s1" != up ]; then
    echo "netns.sh: veth pair did not come up (v0 $s0, v1 $s1)" >&2
    exit 1
fi

export PKT_TEST_NETNS="$ns"
limit="${PKT_TEST_TIMEOUT:-90}"
# The test runs as a child (not exec) so the EXIT trap still removes the namespace.
ip netns exec "$ns" timeout --signal=TERM --kill-after=5 "$limit" "$@"
rc=$?
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    echo "netns.sh: test killed after ${limit}s" >&2
    rc=1
elif [ "$rc" = 77 ]; then
    skip_status
    rc=$?
fi
exit "$rc"
