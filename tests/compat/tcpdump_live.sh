#!/usr/bin/env bash
# tcpdump live on the system's libpcap and, at the same time on the same interface, on the
# compat library (issue 18), in two network namespaces this script makes (tests/compat/netns.sh):
# the same deterministic, bounded traffic (tests/compat/traffic.py: ICMP, UDP, TCP to a
# listener, ARP, IPv6, 802.1Q, QinQ, 802.3, small and full frames) must give the same decoded
# output (timestamps off: -t), the same savefiles (timestamps aside), the same exit status and
# the same closing counts on SIGINT; -c N ends both alike; -i any (SLL and SLL2), filters,
# -d/-dd/-ddd, -D, -L, --list-time-stamp-types, a bad filter and a missing interface print
# the same. `tcpdump --version` on the compat side must name libpkt.
#
#   sudo tests/compat/tcpdump_live.sh
#
# Each round: every capture pair starts, the script waits (deadline) for "listening on" in
# each one's stderr, sends the traffic, waits (deadline) until each capture has printed or
# written the end markers (an 0x88b5 frame from each side, sent last), then SIGINTs them.
set -euo pipefail
# shellcheck source=tests/compat/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/compat/netns.sh
. "$CT_DIR/netns.sh"
ct_init tcpdump_live
ct_need tcpdump ip python3 timeout
export TZ=UTC LC_ALL=C
ct_ns_up
PORT=7777
TRAFFIC="$CT_DIR/traffic.py"
round_no=0

# The listener of the TCP and UDP traffic, for the whole run (at most 10 minutes).
ct_bg "$CT_OUT/serve.out" "$CT_OUT/serve.err" "${CT_A[@]}" timeout 600 python3 "$TRAFFIC" serve 10.77.0.1 "$PORT" 590
ct_wait_for 10 grep -q ready "$CT_OUT/serve.out" || { cat "$CT_OUT/serve.err" >&2; exit 1; }

# round TAG SPEC...: one traffic round. SPEC is "NAME|KIND|ARGS": KIND "text" (stdout is
# decoded packets: waits for the 0x88b5 markers), "in"/"out" (text, -Q in/out: one marker),
# "write" (ARGS write the file @FILE@ with -U: waits for the markers in it), "count" (-c N:
# waits for the exit). ARGS are split on blanks; a filter goes last.
round() {
    local tag=$1 spec name kind args side_args side pid f
    shift
    round_no=$((round_no + 1))
    local -A pids=() kinds=()
    local names=()
    for spec in "$@"; do
        name="$tag-${spec%%|*}"
        kind=${spec#*|}
        kind=${kind%%|*}
        read -r -a args <<<"${spec#*|*|}"
        names+=("$name")
        kinds[$name]=$kind
        for side in ref compat; do
            f="$CT_OUT/$name.$side"
            side_args=("${args[@]//@FILE@/$f.pcap}")
            ct_env_of "$side"
            ct_bg "$f.out" "$f.err" "${CT_A[@]}" "${CT_ENV[@]}" timeout -k 5 120 tcpdump "${side_args[@]}"
            pids[$name.$side]=$CT_LAST_PID
        done
    done
    for name in "${names[@]}"; do
        for side in ref compat; do
            f="$CT_OUT/$name.$side"
            if ! ct_wait_for 10 grep -q 'listening on' "$f.err"; then
                echo "$CT_NAME: $name ($side) not listening after 10 s: $(head -c 300 "$f.err")"
            fi
        done
    done
    ct_in_b timeout 60 python3 "$TRAFFIC" send v1 10.77.0.2 10.77.0.1 02:00:00:00:00:01 "$PORT" "r$round_no" \
        >"$CT_OUT/$tag.traffic" 2>&1 || { cat "$CT_OUT/$tag.traffic" >&2; exit 1; }
    ct_in_a timeout 10 python3 "$TRAFFIC" frames v0 0 "r$round_no-out" >>"$CT_OUT/$tag.traffic" 2>&1
    for name in "${names[@]}"; do
        for side in ref compat; do
            f="$CT_OUT/$name.$side"
            pid=${pids[$name.$side]}
            case ${kinds[$name]} in
            text) ct_wait_for 10 markers_at_least 2 "$f.out" || echo "$CT_NAME: $name ($side): markers not seen in 10 s" ;;
            in | out) ct_wait_for 10 markers_at_least 1 "$f.out" || echo "$CT_NAME: $name ($side): marker not seen in 10 s" ;;
            write) ct_wait_for 10 file_markers_at_least 2 "$f.pcap" || echo "$CT_NAME: $name ($side): markers not in the file in 10 s" ;;
            count) ct_wait_for 20 ct_gone "$pid" || echo "$CT_NAME: $name ($side): still running 20 s after the traffic" ;;
            esac
        done
    done
    # SIGINT to all at once, then collect.
    for name in "${names[@]}"; do
        for side in ref compat; do
            kill -INT "${pids[$name.$side]}" 2>/dev/null || true
        done
    done
    for name in "${names[@]}"; do
        for side in ref compat; do
            f="$CT_OUT/$name.$side"
            ct_stop "${pids[$name.$side]}" INT 10
            echo "--- exit $CT_RC" >>"$f.err"
            if [[ ${kinds[$name]} == count ]]; then
                # -c N ends while traffic may still arrive: the kernel's count at that moment
                # is not the same for two processes.
                sed -i 's/^[0-9]* packets received by filter$/(N) packets received by filter/' "$f.err"
            fi
            if [[ ${kinds[$name]} == write ]]; then
                [[ -e $f.pcap ]] || : >"$f.pcap"
                python3 "$CT_DIR/pcapcmp.py" "$f.pcap" >"$f.list"
            fi
        done
        ct_same "$name:stdout" "$CT_OUT/$name.ref.out" "$CT_OUT/$name.compat.out"
        ct_same "$name:stderr+exit" "$CT_OUT/$name.ref.err" "$CT_OUT/$name.compat.err"
        if [[ ${kinds[$name]} == write ]]; then
            ct_same "$name:file" "$CT_OUT/$name.ref.list" "$CT_OUT/$name.compat.list"
            # What tcpdump reads back from each file (on the reference library).
            for side in ref compat; do
                ct_ref tcpdump -nn -t -e -r "$CT_OUT/$name.$side.pcap" >"$CT_OUT/$name.$side.readback" 2>&1 || true
                sed -i "s|$CT_OUT/$name.$side.pcap|FILE|" "$CT_OUT/$name.$side.readback"
            done
            ct_same "$name:readback" "$CT_OUT/$name.ref.readback" "$CT_OUT/$name.compat.readback"
        fi
    done
}

markers_at_least() { (($(grep -c 'ethertype Unknown (0x88b5)' "$2" || true) >= $1)); }
file_markers_at_least() { [[ -e $2 ]] && (($(grep -ao 'pkt-compat-end-' "$2" | wc -l) >= $1)); }

# What tcpdump prints without traffic: NAME, then its arguments; stdout, stderr and exit
# status compared. In namespace A.
static() {
    local name=$1 side rc
    shift
    for side in ref compat; do
        rc=0
        ct_side_in_a "$side" timeout -k 5 30 tcpdump "$@" >"$CT_OUT/static-$name.$side" 2>"$CT_OUT/static-$name.$side.err" || rc=$?
        { echo "--- stderr"; cat "$CT_OUT/static-$name.$side.err"; echo "--- exit $rc"; } >>"$CT_OUT/static-$name.$side"
        rm -f "$CT_OUT/static-$name.$side.err"
    done
    ct_same "static-$name" "$CT_OUT/static-$name.ref" "$CT_OUT/static-$name.compat"
}

started=$SECONDS
# Every filtered capture also takes the end markers: "ether proto 0x88b5 or ( EXPR )".
mark="ether proto 0x88b5 or ("
round eth \
    "nn|text|-l -nn -t -i v0" \
    "e-v|text|-l -nn -t -e -v -i v0" \
    "e-x|text|-l -nn -t -e -x -i v0" \
    "vvv-XX|text|-l -nn -t -vvv -XX -i v0" \
    "p-s96|text|-l -nn -t -e -p -s 96 -x -i v0" \
    "B-imm-j|text|-l -nn -t -e -B 8192 --immediate-mode -j host -i v0" \
    "Q-in|in|-l -nn -t -e -Q in -i v0" \
    "Q-out|out|-l -nn -t -e -Q out -i v0" \
    "f-icmp|text|-l -nn -t -e -i v0 $mark icmp )" \
    "f-udp|text|-l -nn -t -e -i v0 $mark udp port $PORT )" \
    "f-tcpflags|text|-l -nn -t -e -i v0 $mark tcp[tcpflags] & (tcp-syn|tcp-rst) != 0 )" \
    "f-vlan100|text|-l -nn -t -e -i v0 $mark vlan 100 )" \
    "f-vlan-udp|text|-l -nn -t -e -i v0 $mark vlan and udp )" \
    "f-arp-ip6|text|-l -nn -t -e -i v0 $mark arp or ip6 )" \
    "f-not-ip|text|-l -nn -t -e -i v0 $mark not ip )" \
    "f-host|text|-l -nn -t -e -i v0 $mark host 10.77.0.2 and not port $PORT )" \
    "f-greater|text|-l -nn -t -e -i v0 $mark greater 500 )" \
    "f-ether|text|-l -nn -t -e -i v0 $mark ether src 02:00:00:00:00:02 and not arp )" \
    "c5|count|-c 5 -l -nn -t -e -i v0" \
    "c12-w|count|-c 12 -Z root -w @FILE@ -i v0" \
    "w|write|-U -Z root -w @FILE@ -i v0" \
    "w-s64|write|-U -s 64 -Z root -w @FILE@ -i v0" \
    "w-nano|write|-U --time-stamp-precision=nano -Z root -w @FILE@ -i v0" \
    "w-f|write|-U -Z root -w @FILE@ -i v0 $mark udp or icmp )"
round any \
    "nn|text|-l -nn -t -i any" \
    "e|text|-l -nn -t -e -i any" \
    "sll2-e-x|text|-l -nn -t -e -x -y LINUX_SLL2 -i any" \
    "sll2-v|text|-l -nn -t -v -y LINUX_SLL2 -i any" \
    "f-icmp|text|-l -nn -t -e -i any $mark icmp )" \
    "f-sll2-tcp|text|-l -nn -t -e -y LINUX_SLL2 -i any $mark tcp )" \
    "f-inbound|in|-l -nn -t -e -i any inbound" \
    "Q-out|out|-l -nn -t -e -Q out -i any" \
    "c7|count|-c 7 -l -nn -t -e -i any" \
    "w|write|-U -Z root -w @FILE@ -i any" \
    "w-sll2|write|-U -y LINUX_SLL2 -Z root -w @FILE@ -i any"

# No traffic.
exprs=("ip" "tcp port 80" "vlan 100 and udp" "icmp6 or arp" "ether host 02:00:00:00:00:01"
    "portrange 1000-2000 and not host 10.77.0.2" "ip[2:2] > 100" "tcp[tcpflags] & tcp-syn != 0"
    "inbound" "ether proto 0x88b5 or vlan")
for i in "${!exprs[@]}"; do
    read -r -a e <<<"${exprs[$i]}"
    static "d$i-default" -d "${e[@]}"
    static "d$i-v0" -d -i v0 "${e[@]}"
    static "dd$i-v0" -dd -i v0 "${e[@]}"
    static "ddd$i-any" -ddd -i any "${e[@]}"
    static "d$i-any-sll2" -d -i any -y LINUX_SLL2 "${e[@]}"
    static "dd$i-lo" -dd -i lo "${e[@]}"
    static "d$i-O-v0" -d -O -i v0 "${e[@]}"
    static "d$i-s64-v0" -d -s 64 -i v0 "${e[@]}"
done
static D -D
static list-interfaces --list-interfaces
static L-v0 -L -i v0
static L-any -L -i any
static L-lo -L -i lo
static J-v0 --list-time-stamp-types -i v0
static J-any -J -i any
static J-lo -J -i lo
static bad-filter -i v0 -c 1 "tcp port"
static bad-filter-port -i v0 -c 1 "udp port 99999"
static bad-filter-name -i v0 -c 1 "host nonesuch.invalid"
static bad-filter-link -i v0 -c 1 "wlan addr1 02:00:00:00:00:01"
static bad-filter-d -d -i v0 "ip and ("
static missing-if -i nonesuch0 -c 1
static missing-if-d -d -i nonesuch0 ip
static missing-if-L -L -i nonesuch0
static missing-if-J -J -i nonesuch0
static bad-dlt -i v0 -y NONESUCH -c 1
static dlt-unsupported -i v0 -y LINUX_SLL2 -c 1
static bad-tstamp-type -i v0 -j adapter_unsynced -c 1
static bad-tstamp-precision -i v0 --time-stamp-precision=pico -c 1
# An interface that is down (no traffic: stopped after listening by the deadline of timeout).
ip -n "$CT_NS_A" link add v2 type veth peer name v3
for side in ref compat; do
    rc=0
    ct_side_in_a "$side" timeout -s INT 2 tcpdump -nn -i v2 -c 1 >"$CT_OUT/static-down.$side" 2>&1 || rc=$?
    echo "--- exit $rc" >>"$CT_OUT/static-down.$side"
done
ct_same static-down "$CT_OUT/static-down.ref" "$CT_OUT/static-down.compat"

# --version: the compat side names libpkt (and is otherwise tcpdump's).
ct_ref tcpdump --version >"$CT_OUT/version.ref" 2>&1
ct_compat tcpdump --version >"$CT_OUT/version.compat" 2>&1
if [[ "${COMPAT_REF:-0}" == 1 ]]; then
    ct_same version "$CT_OUT/version.ref" "$CT_OUT/version.compat"
else
    ct_check version "tcpdump --version on the compat library does not name libpkt: $(tr '\n' ' ' <"$CT_OUT/version.compat")" \
        grep -q libpkt "$CT_OUT/version.compat"
    ct_check version-libpcap "tcpdump --version on libpcap names libpkt" grep -q '^libpcap version' "$CT_OUT/version.ref"
fi
echo "tcpdump_live: 2 traffic rounds, $((SECONDS - started)) s"
ct_summary
