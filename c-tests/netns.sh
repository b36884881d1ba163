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
#
# Kernel log scan (liburing's runtests.sh habit): the kernel's log is read through /dev/kmsg
# from where it stood just before the namespace was made until it was deleted again; a kernel
# line matching KMSG_PATTERN (WARNING:, BUG:, Oops, KASAN, ...) fails the test (exit 1) and is
# printed. The log is the machine's, not the namespace's: a line caused by a test running at
# the same time fails that test too. PKT_TEST_KMSG=0 turns the scan off; without a readable
# /dev/kmsg it is skipped with a note. Only kernel records count (facility 0: user space cannot
# forge those through /dev/kmsg), plus, for harness_selftest.sh, user-space records carrying
# "pkt-harness-selftest-$PKT_TEST_KMSG_SELFTEST:" (that token only, so a selftest running at
# the same time as other tests never fails them).
#
#   netns.sh --kmsg-filter     reads /dev/kmsg records on stdin, prints the matching ones
set -u

# ---- kernel log scan

KMSG_PATTERN='WARNING:|BUG:|Oops|general protection fault|KASAN|UBSAN|kernel BUG|Call Trace'
KMSG_PATTERN="$KMSG_PATTERN|refcount_t|list_add corruption|list_del corruption|soft lockup"
KMSG_PATTERN="$KMSG_PATTERN|hung task|hung_task|blocked for more than|detected stalls"
KMSG_PATTERN="$KMSG_PATTERN|unregister_netdevice: waiting for"

# Records of /dev/kmsg ("PRI,SEQ,USEC,FLAGS;message", then " KEY=value" dictionary lines) on
# stdin; prints "[seconds] message" for each that counts and matches KMSG_PATTERN.
kmsg_filter() {
    awk -v pat="$KMSG_PATTERN" -v tok="${PKT_TEST_KMSG_SELFTEST:-}" '
        /^[0-9]/ {
            semi = index($0, ";")
            if (semi == 0)
                next
            split(substr($0, 1, semi - 1), f, ",")
            msg = substr($0, semi + 1)
            kernel = int(f[1] / 8) == 0
            selftest = tok != "" && index(msg, "pkt-harness-selftest-" tok ":") > 0
            if ((kernel || selftest) && msg ~ pat)
                printf "[%d.%06d] %s\n", int(f[3] / 1000000), f[3] % 1000000, msg
        }'
}

if [ "${1:-}" = "--kmsg-filter" ]; then
    kmsg_filter
    exit 0
fi

# Prints the records that reached the kernel log since the last call (the open descriptor
# $kfd keeps the position). Each read(2) of /dev/kmsg gives one record; dd stops at EAGAIN
# (nothing more), or at EPIPE when records were overwritten before being read: then it notes
# the loss and goes on. Bounded: at most 20 restarts.
kmsg_read() {
    local i out
    for i in $(seq 1 20); do
        out=$(dd iflag=nonblock bs=65536 status=none <&"$kfd" 2>&1)
        printf '%s\n' "$out" | grep -v '^dd: '
        case $out in
        *"dd: error reading"*"Broken pipe"*)
            [ "$1" = quiet ] || echo "netns.sh: note: the kernel log overran; some lines were lost" >&2
            ;;
        *"dd: error reading"*"Resource temporarily unavailable"*) return 0 ;;
        *"dd: "*)
            echo "netns.sh: note: cannot read /dev/kmsg: $(printf '%s\n' "$out" | grep '^dd: ' | head -n 1)" >&2
            return 0
            ;;
        *) return 0 ;;
        esac
    done
}

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

# The log position before anything of the test exists (the namespace and veth set-up count).
kfd=
if [ "${PKT_TEST_KMSG:-1}" = 0 ]; then
    :
elif { exec {kfd}</dev/kmsg; } 2>/dev/null; then
    kmsg_read quiet >/dev/null
else
    kfd=
    echo "netns.sh: note: /dev/kmsg is not readable: the kernel log is not scanned" >&2
fi

ns="pktt-$$-${RANDOM}${RANDOM}"

# Deleting v0 first is synchronous (the kernel has released the device when ip returns), so a
# warning from its teardown appears before the scan; the namespace itself is freed later by a
# kernel worker.
cleanup() {
    ip -n "$ns" link del v0 2>/dev/null || true
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
# The test runs as a child (not exec) so the EXIT trap still removes the namespace; it does not
# inherit the /dev/kmsg descriptor.
if [ -n "$kfd" ]; then
    ip netns exec "$ns" timeout --signal=TERM --kill-after=5 "$limit" "$@" {kfd}<&-
else
    ip netns exec "$ns" timeout --signal=TERM --kill-after=5 "$limit" "$@"
fi
rc=$?
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    echo "netns.sh: test killed after ${limit}s" >&2
    rc=1
elif [ "$rc" = 77 ]; then
    skip_status
    rc=$?
fi

cleanup
if [ -n "$kfd" ]; then
    bad=$(kmsg_read report | kmsg_filter)
    if [ -n "$bad" ]; then
        echo "netns.sh: FAIL: the kernel logged these lines while the test ran (a test running" \
            "at the same time may have caused them):" >&2
        printf '%s\n' "$bad" | sed 's/^/netns.sh: kernel: /' >&2
        rc=1
    fi
fi
exit "$rc"
