#!/usr/bin/env bash
# tcpdump -r on the system's libpcap vs on the compat library (issue 18), over the capture
# files tests/compat/gen_files.py writes (protocols on many link types, pcap and pcapng, us and
# ns, both byte orders, damaged files): stdout, stderr and exit status must be identical for
# every file and option set; `tcpdump -r F -w OUT` must write byte-identical files.
#
#   tests/compat/tcpdump_read.sh [FILTER]     FILTER: only files whose name contains it
#
# As root it runs in a network namespace of its own (the option set without -n resolves
# names: no query may leave the machine). See tests/compat/lib.sh for COMPAT_REF and the rest.
set -euo pipefail
# shellcheck source=tests/compat/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
if [[ $EUID -eq 0 && -z "${CT_ISOLATED:-}" ]]; then
    CT_ISOLATED=1 exec unshare -n bash "${BASH_SOURCE[0]}" "$@"
fi
ct_init tcpdump_read
command -v tcpdump >/dev/null 2>&1 || ct_skip_or_fail "tcpdump is missing"
command -v python3 >/dev/null 2>&1 || ct_skip_or_fail "python3 is missing"
only=${1:-}
files_dir="$CT_OUT/files"
python3 "$CT_DIR/gen_files.py" "$files_dir" >/dev/null
mapfile -t files < <(find "$files_dir" -maxdepth 1 -type f -name "*$only*" -printf '%f\n' | sort)
((${#files[@]})) || { echo "tcpdump_read: no file matches '$only'" >&2; exit 2; }
export TZ=UTC LC_ALL=C

# The option sets: NAME, then tcpdump's arguments after -r FILE.
sets=(
    "n|-nn"
    "v|-nn -v"
    "vvv-e|-nn -vvv -e"
    "x|-nn -x"
    "XX-e|-nn -e -XX"
    "A-q|-nn -q -A"
    "nano-tt|-nn -tt --time-stamp-precision=nano"
    "micro-tttt|-nn -tttt --time-stamp-precision=micro"
    "ttt|-nn -ttt"
    "tttttt|-nn -ttttt"
    "c5|-nn -c 5"
    "names-e|-e"
    "f-tcp-udp|-nn -e tcp or udp"
    "f-vlan|-nn -e vlan or mpls or pppoes"
    "f-ip6-arp|-nn -v ip6 or arp"
    "f-len|-nn greater 200 and not icmp"
    "f-bytes|-nn ether[0] & 1 = 1 or ip[8] = 64"
    "f-syntax|-nn tcp port"
    "f-linktype|-nn wlan host 02:00:00:00:00:01"
    "d|-d ip and tcp port 80"
    "dd|-dd udp or arp"
    "ddd|-ddd vlan 100 and udp"
    "d-O|-O -d ip"
)
# Option sets that write a file, compared byte for byte (stdout, stderr, status too).
wsets=(
    "w|"
    "w-nano-f|--time-stamp-precision=nano ip"
    "w-c7|-c 7"
    "w-snap|-s 80"
)

# run SIDE NAME ARGS...: tcpdump on SIDE (ref/compat) in the files' directory; writes
# NAME.SIDE (stdout, then its stderr and exit status).
run_side() {
    local side=$1 name=$2 rc=0
    shift 2
    (cd "$files_dir" && "ct_$side" timeout -k 5 60 tcpdump "$@" >"$CT_OUT/$name.$side.out" 2>"$CT_OUT/$name.$side.err") || rc=$?
    { cat "$CT_OUT/$name.$side.out"; echo "--- stderr"; cat "$CT_OUT/$name.$side.err"; echo "--- exit $rc"; } >"$CT_OUT/$name.$side"
    rm -f "$CT_OUT/$name.$side.out" "$CT_OUT/$name.$side.err"
}

# pair NAME ARGS...: both sides at once (two cores), then one comparison.
pair() {
    local name=$1
    shift
    run_side ref "$name" "$@" &
    run_side compat "$name" "$@"
    wait $!
    ct_same "$name" "$CT_OUT/$name.ref" "$CT_OUT/$name.compat"
    if cmp -s "$CT_OUT/$name.ref" "$CT_OUT/$name.compat"; then
        rm -f "$CT_OUT/$name.ref" "$CT_OUT/$name.compat"
    fi
}

started=$SECONDS
for f in "${files[@]}"; do
    for s in "${sets[@]}"; do
        read -r -a args <<<"${s#*|}"
        pair "$f:${s%%|*}" -r "$f" "${args[@]}"
    done
    # -r - (standard input).
    name="$f:stdin"
    for side in ref compat; do
        rc=0
        "ct_$side" timeout -k 5 60 tcpdump -nn -r - <"$files_dir/$f" >"$CT_OUT/$name.$side" 2>&1 || rc=$?
        echo "--- exit $rc" >>"$CT_OUT/$name.$side"
    done
    ct_same "$name" "$CT_OUT/$name.ref" "$CT_OUT/$name.compat"
    if cmp -s "$CT_OUT/$name.ref" "$CT_OUT/$name.compat"; then
        rm -f "$CT_OUT/$name.ref" "$CT_OUT/$name.compat"
    fi
    for s in "${wsets[@]}"; do
        read -r -a args <<<"${s#*|}"
        name="$f:${s%%|*}"
        run_side ref "$name" -r "$f" -w "$CT_OUT/$name.ref.pcap" "${args[@]}" &
        run_side compat "$name" -r "$f" -w "$CT_OUT/$name.compat.pcap" "${args[@]}"
        wait $!
        sed -i "s|$CT_OUT/$name\.\(ref\|compat\)\.pcap|OUT|g" "$CT_OUT/$name.ref" "$CT_OUT/$name.compat"
        ct_same "$name" "$CT_OUT/$name.ref" "$CT_OUT/$name.compat"
        if [[ -e "$CT_OUT/$name.ref.pcap" || -e "$CT_OUT/$name.compat.pcap" ]]; then
            touch "$CT_OUT/$name.ref.pcap" "$CT_OUT/$name.compat.pcap"
            ct_same "$name:file" "$CT_OUT/$name.ref.pcap" "$CT_OUT/$name.compat.pcap"
            if cmp -s "$CT_OUT/$name.ref.pcap" "$CT_OUT/$name.compat.pcap"; then
                rm -f "$CT_OUT/$name.ref.pcap" "$CT_OUT/$name.compat.pcap"
            fi
        fi
        if cmp -s "$CT_OUT/$name.ref" "$CT_OUT/$name.compat"; then
            rm -f "$CT_OUT/$name.ref" "$CT_OUT/$name.compat"
        fi
    done
done
if [[ -s "$CT_OUT/failed.txt" ]]; then
    echo "tcpdump_read: differences by option set:"
    awk -F: '{ n[$2]++ } END { for (k in n) printf "  %5d %s\n", n[k], k }' "$CT_OUT/failed.txt" | sort -rn
    echo "tcpdump_read: differences by kind of file:"
    awk -F: '{ split($1, p, "-"); n[p[1] "-" p[2]]++ } END { for (k in n) printf "  %5d %s\n", n[k], k }' "$CT_OUT/failed.txt" | sort -rn
fi
echo "tcpdump_read: ${#files[@]} files x $((${#sets[@]} + 1 + ${#wsets[@]})) option sets in $((SECONDS - started)) s"
ct_summary
