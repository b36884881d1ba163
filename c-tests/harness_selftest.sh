#!/usr/bin/env bash
# Checks netns.sh's kernel log scan: the matching on made-up /dev/kmsg records, then real runs
# of netns.sh around commands that write to /dev/kmsg (root only; otherwise the second part is
# skipped, exit 77).
#
# usage: harness_selftest.sh [NETNS_SH]
#
# User space cannot write kernel records (facility 0) to /dev/kmsg, and netns.sh ignores user
# records except those carrying "pkt-harness-selftest-TOKEN:" with the TOKEN of
# PKT_TEST_KMSG_SELFTEST. Each run here uses a token of its own, so the WARNING lines it writes
# fail only its own netns.sh runs, never a test running at the same time (ctest -j2).
set -u

netns_sh="${1:-$(dirname "${BASH_SOURCE[0]}")/netns.sh}"
failures=0
tok="t$$x$RANDOM"
mark="pkt-harness-selftest-$tok:"

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# ---- matching (no root needed)

# filter_case WANT_LINES DESCRIPTION RECORD...: the filter prints WANT_LINES lines for them.
filter_case() {
    local want=$1 what=$2 out n
    shift 2
    out=$(printf '%s\n' "$@" | PKT_TEST_KMSG_SELFTEST=$tok bash "$netns_sh" --kmsg-filter)
    n=$(printf '%s' "$out" | grep -c '')
    if [ "$n" != "$want" ]; then
        fail "filter: $what: $n lines instead of $want: ${out:-(none)}"
    fi
}

for line in \
    'WARNING: CPU: 1 PID: 4242 at net/packet/af_packet.c:1234 packet_rcv+0x1/0x2' \
    'BUG: KASAN: slab-use-after-free in tpacket_rcv+0x10/0x20' \
    'BUG: unable to handle page fault for address: ffff888000000000' \
    'Oops: general protection fault, probably for non-canonical address 0xdead: 0000 [#1] SMP' \
    'general protection fault: 0000 [#1] PREEMPT SMP NOPTI' \
    'kernel BUG at net/core/skbuff.c:100!' \
    'UBSAN: array-index-out-of-bounds in net/packet/af_packet.c:99:1' \
    'Call Trace:' \
    'refcount_t: underflow; use-after-free.' \
    'list_add corruption. prev->next should be next (ffff1), but was ffff2.' \
    'list_del corruption, ffff1->next is LIST_POISON1 (dead000000000100)' \
    'watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [test_threads:77]' \
    'INFO: task test_faults:77 blocked for more than 120 seconds.' \
    'rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:' \
    'unregister_netdevice: waiting for v0 to become free. Usage count = 2'; do
    filter_case 1 "kernel line '$line'" "4,100,5000001,-;$line"
done
filter_case 2 "two kernel lines with a dictionary line between" \
    '4,100,5000001,-;WARNING: CPU: 0 PID: 1 at x.c:1 f+0x0/0x1' ' SUBSYSTEM=net' \
    '4,101,5000002,c;Call Trace:'
filter_case 0 "harmless kernel lines" '6,200,1,-;v0: renamed from veth0' \
    '6,201,2,-;v1: entered promiscuous mode' '6,202,3,-;IPv6: ADDRCONF(NETDEV_CHANGE): v0: link becomes ready' \
    '5,203,4,-;audit: type=1400 audit(0.0:1): apparmor="STATUS"'
filter_case 0 "dictionary lines only" ' WARNING: not a record' ' DEVICE=+net:v0'
filter_case 0 "a user-space record (facility 1) without the token" \
    '12,300,1,-;someprog: WARNING: CPU: 0 something'
filter_case 0 "a user-space record with another run's token" \
    "12,301,1,-;pkt-harness-selftest-${tok}0: WARNING: CPU: 0 other run" \
    '12,302,1,-;pkt-harness-selftest-other: BUG: other run'
filter_case 1 "a user-space record with this run's token" "12,303,1,-;$mark WARNING: CPU: 0 selftest"
filter_case 0 "this run's token on a harmless line" "12,304,1,-;$mark all is well"
if [ "$(printf '4,5,12345678,-;BUG: x\n' | bash "$netns_sh" --kmsg-filter)" != "[12.345678] BUG: x" ]; then
    fail "filter: the line is not printed as '[seconds] message'"
fi

# ---- real runs of netns.sh

if [ "$(id -u)" != 0 ] || [ ! -w /dev/kmsg ] || [ ! -r /dev/kmsg ]; then
    if [ "$failures" != 0 ]; then
        exit 1
    fi
    echo "SKIP: the netns.sh runs need root and a readable, writable /dev/kmsg" >&2
    exit 77
fi

# run_case WANT_RC WANT_STDERR DESCRIPTION ARGS...: netns.sh ARGS exits WANT_RC and, unless
# WANT_STDERR is empty, prints it on stderr.
run_case() {
    local want=$1 want_err=$2 what=$3 err rc
    shift 3
    err=$(PKT_TEST_KMSG_SELFTEST=$tok CI= bash "$netns_sh" "$@" 2>&1 >/dev/null)
    rc=$?
    if [ "$rc" != "$want" ]; then
        fail "netns.sh: $what: exit $rc instead of $want; stderr: ${err:-(none)}"
    elif [ -n "$want_err" ] && ! printf '%s\n' "$err" | grep -qF -- "$want_err"; then
        fail "netns.sh: $what: stderr does not say '$want_err': ${err:-(none)}"
    else
        echo "ok: $what (exit $rc)"
    fi
}

inject() { printf '<4>%s\n' "$1" >/dev/kmsg; }

run_case 0 "" "a test that passes, nothing logged" /bin/true
run_case 3 "" "the test's own exit status is kept" /bin/sh -c 'exit 3'
inject "$mark WARNING: CPU: 0 PID: $$ at before-the-test"
run_case 0 "" "a WARNING logged before netns.sh started does not count" /bin/true
run_case 1 "netns.sh: kernel: [" "a WARNING logged during the test fails it" \
    /bin/sh -c "printf '<4>%s\n' '$mark WARNING: CPU: 0 PID: 1 at during-the-test' >/dev/kmsg"
run_case 1 "$mark WARNING: CPU: 0 PID: 1 at named" "the failure names the kernel line" \
    /bin/sh -c "printf '<4>%s\n' '$mark WARNING: CPU: 0 PID: 1 at named' >/dev/kmsg"
run_case 1 "$mark BUG: KASAN" "a BUG line fails a test that exited 77 (skip)" \
    /bin/sh -c "printf '<4>%s\n' '$mark BUG: KASAN: selftest' >/dev/kmsg; exit 77"
run_case 0 "" "a harmless line carrying the token does not fail" \
    /bin/sh -c "printf '<4>%s\n' '$mark nothing wrong here' >/dev/kmsg"
run_case 0 "" "a WARNING carrying another run's token is ignored" \
    /bin/sh -c "printf '<4>%s\n' 'pkt-harness-selftest-${tok}0: WARNING: CPU: 0 other' >/dev/kmsg"
run_case 0 "" "a user-space WARNING without the token is ignored" \
    /bin/sh -c "printf '<4>%s\n' 'pkt-harness-selftest WARNING: CPU: 0 no token' >/dev/kmsg"
# 50 records before it (each read(2) of /dev/kmsg gives one).
run_case 1 "at line 50" "a WARNING after many other lines is found" \
    /bin/sh -c "i=1; while [ \$i -lt 50 ]; do printf '<6>%s\n' \"$mark filler \$i\"; i=\$((i + 1)); done >/dev/kmsg
                printf '<4>%s\n' '$mark WARNING: CPU: 0 PID: 1 at line 50' >/dev/kmsg"
run_case 0 "" "the test does not inherit the /dev/kmsg descriptor" \
    /bin/sh -c '! ls -l /proc/self/fd/ | grep -q kmsg'
PKT_TEST_KMSG=0 run_case 0 "" "PKT_TEST_KMSG=0 turns the scan off" \
    /bin/sh -c "printf '<4>%s\n' '$mark WARNING: CPU: 0 PID: 1 scan off' >/dev/kmsg"

if [ "$failures" != 0 ]; then
    echo "harness_selftest: $failures failures" >&2
    exit 1
fi
echo "harness_selftest: all passed"
