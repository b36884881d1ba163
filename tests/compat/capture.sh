#!/usr/bin/env bash
# dumpcap and a gopacket/pcap program (tests/compat/gopacket, on Debian's gopacket package) on
# the compat library (issue 18), each beside the same program on the system's libpcap:
#   - dumpcap -i v0 -a packets:N -w FILE (pcapng and -P pcap, with and without -f, -i any):
#     both files hold the N frames sent (numbered, checked one by one), tshark reads them and
#     prints the same; dumpcap -D and -L print the same;
#   - gocap info (devices, link names, BPF programs) the same, its version naming libpkt;
#   - gocap live: the N frames sent, each, in order, the same as on libpcap; its file readable
#     by tshark;
#   - gocap send (pcap_sendpacket) on the compat side: tcpdump on libpcap receives every frame;
#   - gocap read over tests/compat/gen_files.py's files: the same packets, timestamps, errors.
#
#   sudo tests/compat/capture.sh
set -euo pipefail
# shellcheck source=tests/compat/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/compat/netns.sh
. "$CT_DIR/netns.sh"
ct_init capture
ct_need dumpcap tshark tcpdump go ip python3 timeout
[[ -d /usr/share/gocode/src/github.com/google/gopacket/pcap ]] ||
    ct_skip_or_fail "gopacket is missing (apt-get install golang-github-google-gopacket-dev)"
export TZ=UTC LC_ALL=C
TRAFFIC="$CT_DIR/traffic.py"
started=$SECONDS

# The gopacket program, built offline in GOPATH mode against Debian's package.
gocap="$CT_OUT_BASE/gocap"
GO111MODULE=off GOPATH=/usr/share/gocode GOPROXY=off GOFLAGS='' GOCACHE="$CT_OUT_BASE/gocache" \
    go build -o "$gocap" "$CT_DIR/gopacket/main.go"

ct_ns_up
N=50

# Counts the numbered frames of TAG (0..N-1) in FILE (a savefile) and checks that each is there.
frames_ok() { # FILE TAG N
    local file=$1 tag=$2 n=$3 i
    for ((i = 0; i < n; i++)); do
        grep -aq "pkt-compat-frame-$tag-$(printf %04d "$i")" "$file" || { echo "frame $i of $tag missing in $file"; return 1; }
    done
}

# ---- dumpcap
dumpcap_case() { # NAME ARGS... (with @FILE@; stops by itself after N+1 packets)
    local name=$1 side f tag
    shift
    round_no=$((${round_no:-0} + 1))
    tag="d$round_no"
    local -A pids=()
    for side in ref compat; do
        f="$CT_OUT/$name.$side"
        ct_env_of "$side"
        ct_bg "$f.out" "$f.err" "${CT_A[@]}" "${CT_ENV[@]}" timeout -k 5 60 dumpcap "${@//@FILE@/$f.file}"
        pids[$side]=$CT_LAST_PID
    done
    for side in ref compat; do
        ct_wait_for 10 grep -q 'Capturing on' "$CT_OUT/$name.$side.err" ||
            echo "$CT_NAME: $name ($side): dumpcap not capturing after 10 s: $(head -c 300 "$CT_OUT/$name.$side.err")"
    done
    ct_in_b timeout 30 python3 "$TRAFFIC" frames v1 "$N" "$tag" >/dev/null
    for side in ref compat; do
        f="$CT_OUT/$name.$side"
        ct_wait_for 20 ct_gone "${pids[$side]}" || echo "$CT_NAME: $name ($side): dumpcap still running 20 s after the frames"
        ct_stop "${pids[$side]}" INT 5
        echo "--- exit $CT_RC" >>"$f.err"
        sed -i "s|$f.file|FILE|g" "$f.err"
        [[ -e $f.file ]] || : >"$f.file"
        python3 "$CT_DIR/pcapcmp.py" "$f.file" >"$f.list"
        ct_ref tshark -r "$f.file" -T fields -e frame.number -e frame.len -e frame.cap_len -e eth.src -e eth.type \
            -e frame.interface_name -e frame.encap_type >"$f.tshark" 2>&1 || echo "tshark failed: $?" >>"$f.tshark"
    done
    ct_same "$name:stderr+exit" "$CT_OUT/$name.ref.err" "$CT_OUT/$name.compat.err"
    ct_same "$name:packets" "$CT_OUT/$name.ref.list" "$CT_OUT/$name.compat.list"
    ct_same "$name:tshark" "$CT_OUT/$name.ref.tshark" "$CT_OUT/$name.compat.tshark"
    ct_check "$name:frames" "the compat file lacks frames sent" frames_ok "$CT_OUT/$name.compat.file" "$tag" "$N"
    ct_check "$name:count" "tshark does not read $((N + 1)) frames from the compat file" \
        test "$(grep -c '^[0-9]' "$CT_OUT/$name.compat.tshark")" = $((N + 1))
}
dumpcap_case dumpcap-ng -i v0 -a packets:$((N + 1)) -w @FILE@
dumpcap_case dumpcap-pcap -P -i v0 -a packets:$((N + 1)) -w @FILE@
dumpcap_case dumpcap-f -i v0 -f "ether proto 0x88b5" -a packets:$((N + 1)) -w @FILE@
dumpcap_case dumpcap-c -i v0 -c $((N + 1)) -s 64 -w @FILE@
dumpcap_case dumpcap-any -i any -a packets:$((N + 1)) -w @FILE@

dumpcap_static() { # NAME ARGS...
    local name=$1 side rc
    shift
    for side in ref compat; do
        rc=0
        ct_side_in_a "$side" timeout -k 5 30 dumpcap "$@" >"$CT_OUT/$name.$side" 2>&1 || rc=$?
        echo "--- exit $rc" >>"$CT_OUT/$name.$side"
    done
    ct_same "$name" "$CT_OUT/$name.ref" "$CT_OUT/$name.compat"
}
dumpcap_static dumpcap-D -D
dumpcap_static dumpcap-L -L -i v0
dumpcap_static dumpcap-L-any -L -i any
dumpcap_static dumpcap-bad-filter -i v0 -f "tcp port" -c 1 -w "$CT_OUT/never.pcapng"
dumpcap_static dumpcap-missing-if -i nonesuch0 -c 1 -w "$CT_OUT/never.pcapng"

# ---- gopacket: info
for side in ref compat; do
    ct_env_of "$side"
    ct_in_a "${CT_ENV[@]}" "$gocap" info >"$CT_OUT/gocap-info.$side" 2>&1 || echo "--- exit $?" >>"$CT_OUT/gocap-info.$side"
done
grep -v '^version:' "$CT_OUT/gocap-info.ref" >"$CT_OUT/gocap-info-noversion.ref"
grep -v '^version:' "$CT_OUT/gocap-info.compat" >"$CT_OUT/gocap-info-noversion.compat"
ct_same gocap-info "$CT_OUT/gocap-info-noversion.ref" "$CT_OUT/gocap-info-noversion.compat"
if [[ "${COMPAT_REF:-0}" != 1 ]]; then
    ct_check gocap-version "pcap.Version() on the compat library does not name libpkt: $(grep '^version:' "$CT_OUT/gocap-info.compat")" \
        grep -q '^version:.*libpkt' "$CT_OUT/gocap-info.compat"
fi

# ---- gopacket: live capture of N numbered frames (+ the end marker), both sides at once.
gocap_live() { # NAME ARGS...
    local name=$1 side f tag
    shift
    round_no=$((${round_no:-0} + 1))
    tag="g$round_no"
    local -A pids=()
    for side in ref compat; do
        f="$CT_OUT/$name.$side"
        ct_env_of "$side"
        ct_bg "$f.out" "$f.err" "${CT_A[@]}" "${CT_ENV[@]}" timeout -k 5 60 "$gocap" live -c $((N + 1)) -t 30 -w "$f.pcap" "$@"
        pids[$side]=$CT_LAST_PID
    done
    for side in ref compat; do
        ct_wait_for 10 grep -q 'listening on' "$CT_OUT/$name.$side.err" ||
            echo "$CT_NAME: $name ($side): gocap not listening after 10 s: $(head -c 300 "$CT_OUT/$name.$side.err")"
    done
    ct_in_b timeout 30 python3 "$TRAFFIC" frames v1 "$N" "$tag" >/dev/null
    for side in ref compat; do
        f="$CT_OUT/$name.$side"
        ct_wait_for 20 ct_gone "${pids[$side]}" || echo "$CT_NAME: $name ($side): gocap still running 20 s after the frames"
        ct_stop "${pids[$side]}" INT 5
        echo "--- exit $CT_RC" >>"$f.err"
        ct_ref tshark -r "$f.pcap" -T fields -e frame.number -e frame.len -e eth.type >"$f.tshark" 2>&1 || echo "tshark failed: $?" >>"$f.tshark"
    done
    ct_same "$name:packets" "$CT_OUT/$name.ref.out" "$CT_OUT/$name.compat.out"
    ct_same "$name:stderr+exit" "$CT_OUT/$name.ref.err" "$CT_OUT/$name.compat.err"
    ct_same "$name:tshark" "$CT_OUT/$name.ref.tshark" "$CT_OUT/$name.compat.tshark"
    ct_check "$name:frames" "the compat capture lacks frames sent" frames_ok "$CT_OUT/$name.compat.pcap" "$tag" "$N"
}
gocap_live gocap-live -i v0
gocap_live gocap-live-f -i v0 -f "ether proto 0x88b5"
gocap_live gocap-live-any -i any

# ---- gopacket: pcap_sendpacket on the compat side, received by tcpdump on libpcap.
f="$CT_OUT/gocap-send"
ct_bg "$f.tcpdump.out" "$f.tcpdump.err" "${CT_A[@]}" "${CT_ENV_ref[@]}" timeout -k 5 60 tcpdump -Z root -i v0 -c 20 -w "$f.pcap" "ether proto 0x88b5"
pid=$CT_LAST_PID
ct_wait_for 10 grep -q 'listening on' "$f.tcpdump.err" || echo "$CT_NAME: gocap-send: tcpdump not listening"
ct_in_b "${CT_ENV_compat[@]}" timeout 30 "$gocap" send -i v1 -n 20 >"$f.out" 2>&1 || echo "--- exit $?" >>"$f.out"
ct_wait_for 20 ct_gone "$pid" || echo "$CT_NAME: gocap-send: tcpdump still running 20 s after the frames"
ct_stop "$pid" INT 5
ct_check gocap-send "gocap send on the compat library: $(head -c 300 "$f.out")" grep -qx 'sent 20' "$f.out"
sent_ok() {
    local i
    for ((i = 0; i < 20; i++)); do
        grep -aq "gocap frame $(printf %04d "$i")" "$f.pcap" || { echo "gocap frame $i not received"; return 1; }
    done
}
ct_check gocap-send-received "tcpdump on libpcap did not receive the 20 frames (exit $CT_RC)" sent_ok

# ---- gopacket: read every generated file.
files_dir="$CT_OUT/files"
python3 "$CT_DIR/gen_files.py" "$files_dir" >/dev/null
mapfile -t files < <(find "$files_dir" -maxdepth 1 -type f -printf '%f\n' | sort)
for file in "${files[@]}"; do
    for mode in plain F filter; do
        args=(read -r "$files_dir/$file")
        case $mode in
        F) args+=(-F) ;;
        filter) args+=(-f "tcp or vlan") ;;
        esac
        name="gocap-read-$file-$mode"
        for side in ref compat; do
            ct_env_of "$side"
            rc=0
            "${CT_ENV[@]}" timeout -k 5 30 "$gocap" "${args[@]}" >"$CT_OUT/$name.$side" 2>&1 || rc=$?
            echo "--- exit $rc" >>"$CT_OUT/$name.$side"
        done
        ct_same "$name" "$CT_OUT/$name.ref" "$CT_OUT/$name.compat"
        if cmp -s "$CT_OUT/$name.ref" "$CT_OUT/$name.compat"; then
            rm -f "$CT_OUT/$name.ref" "$CT_OUT/$name.compat"
        fi
    done
done
echo "capture: $((SECONDS - started)) s"
ct_summary
