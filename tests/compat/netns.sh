# shellcheck shell=bash
# The namespace pair of the live compat tests (sourced; needs root):
#
#   namespace $CT_NS_A: v0 10.77.0.1/24 02:00:00:00:00:01  <-veth->  namespace $CT_NS_B: v1 10.77.0.2/24 02:00:00:00:00:02
#
# Both made here, addresses only inside them; IPv6 off and static neighbour entries, so the
# kernels send nothing of their own: the only frames on the link are the tests' (traffic.py).
# ct_ns_up installs an EXIT trap that kills the processes registered with ct_bg and deletes
# both namespaces, also on failure.

CT_NS_A="pktct-a-$$"
CT_NS_B="pktct-b-$$"
CT_PIDS=()

ct_ns_down() {
    local p
    for p in "${CT_PIDS[@]}"; do
        { kill -KILL "$p" && wait "$p"; } 2>/dev/null || true
    done
    ip netns del "$CT_NS_A" 2>/dev/null || true
    ip netns del "$CT_NS_B" 2>/dev/null || true
}

ct_ns_up() {
    trap ct_ns_down EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    ip netns add "$CT_NS_A"
    ip netns add "$CT_NS_B"
    local ns
    for ns in "$CT_NS_A" "$CT_NS_B"; do
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
        ip -n "$ns" link set lo up
    done
    ip link add v0 netns "$CT_NS_A" address 02:00:00:00:00:01 type veth peer name v1 netns "$CT_NS_B" \
        address 02:00:00:00:00:02
    ip -n "$CT_NS_A" addr add 10.77.0.1/24 dev v0
    ip -n "$CT_NS_B" addr add 10.77.0.2/24 dev v1
    ip -n "$CT_NS_A" link set v0 up
    ip -n "$CT_NS_B" link set v1 up
    ip -n "$CT_NS_A" neigh replace 10.77.0.2 lladdr 02:00:00:00:00:02 nud permanent dev v0
    ip -n "$CT_NS_B" neigh replace 10.77.0.1 lladdr 02:00:00:00:00:01 nud permanent dev v1
    local i
    for ((i = 0; i < 250; i++)); do
        if ip -n "$CT_NS_A" link show v0 | grep -q LOWER_UP && ip -n "$CT_NS_B" link show v1 | grep -q LOWER_UP; then
            return 0
        fi
        sleep 0.02
    done
    echo "$CT_NAME: the veth pair has no carrier after 5 s" >&2
    return 1
}

# ct_in_a CMD... / ct_in_b CMD...: CMD in namespace A / B; CT_A and CT_B: the prefixes.
# shellcheck disable=SC2034
CT_A=(ip netns exec "$CT_NS_A")
# shellcheck disable=SC2034
CT_B=(ip netns exec "$CT_NS_B")
ct_in_a() { ip netns exec "$CT_NS_A" "$@"; }
ct_in_b() { ip netns exec "$CT_NS_B" "$@"; }
# ct_side_in_a SIDE CMD...: CMD in namespace A on SIDE's library (ref or compat).
ct_side_in_a() {
    ct_env_of "$1"
    shift
    ip netns exec "$CT_NS_A" "${CT_ENV[@]}" "$@"
}

# ct_bg OUT ERR CMD...: starts CMD in the background (stdout OUT, stderr ERR), registers its
# PID for the EXIT trap and leaves it in CT_LAST_PID. CMD must be a program, not a shell
# function, so that the PID is the program's (ip netns exec, env and timeout all exec or pass
# signals on): prefix it with "${CT_A[@]}" or "${CT_B[@]}" (the namespaces) and
# "${CT_ENV_ref[@]}" or "${CT_ENV_compat[@]}".
ct_bg() {
    local out=$1 err=$2
    shift 2
    "$@" >"$out" 2>"$err" </dev/null &
    CT_LAST_PID=$!
    CT_PIDS+=("$CT_LAST_PID")
}

# ct_stop PID SIGNAL SECONDS: sends SIGNAL, waits at most SECONDS for the exit, then SIGKILL.
# Sets CT_RC to the exit status (as `wait` gives it; 137 after the SIGKILL). Not in a $(...):
# only this shell can wait for its children.
# shellcheck disable=SC2034 # CT_RC is for the caller
ct_stop() {
    local pid=$1 sig=$2 secs=$3
    CT_RC=0
    kill "-$sig" "$pid" 2>/dev/null || true
    if ! ct_wait_for "$secs" ct_gone "$pid"; then
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" || CT_RC=$?
}

# ct_gone PID: the process has exited (a zombie counts: only its status is left).
ct_gone() {
    [[ ! -e /proc/$1 ]] || [[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" == Z ]]
}
