#!/usr/bin/env bash
# Every test of the libpcap-compatible library (issue 18), against the library in
# target/release/compat (build it first: bash scripts/compat-lib.sh release):
#
#   symbols         symbols.sh: the symbol list, exports, soname
#   layout          cargo test -p pkt-pcap --test layout: struct layouts and constants vs pcap.h
#   tcpdump_read    tcpdump -r over generated and damaged capture files
#   tcpdump_live    tcpdump live in network namespaces, -d/-D/-L/-J, errors
#   capture         dumpcap and the gopacket program
#   namedb          namedb.sh: pcap/namedb.h's lookups and eproto_db
#   pcap_api        pcap_api.sh: tests/pcap-api/run.sh, the API differential (api.c)
#
#   sudo tests/compat/run.sh [TEST...]        (default: all, in this order)
#
# Each test's full output goes to build/compat/TEST.log; this prints its DIFFER lines (the
# first 30) and summary. The closing lines count cases over all tests. Exit 1 if any case
# differs or a test fails to run; COMPAT_REF=1 runs the harness libpcap against libpcap.
set -euo pipefail
# shellcheck source=tests/compat/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tests=(symbols layout tcpdump_read tcpdump_live capture namedb pcap_api)
if (($#)); then
    for t in "$@"; do
        [[ " ${tests[*]} " == *" $t "* ]] || { echo "run.sh: no test '$t' (tests: ${tests[*]})" >&2; exit 2; }
    done
    tests=("$@")
fi
mkdir -p "$CT_OUT_BASE"
total_cases=0 total_diffs=0 broken=() skipped=()
started=$SECONDS
# The gopacket program, for symbols (its imports) and capture.
if command -v go >/dev/null 2>&1 && [[ -d /usr/share/gocode/src/github.com/google/gopacket/pcap ]]; then
    GO111MODULE=off GOPATH=/usr/share/gocode GOPROXY=off GOFLAGS='' GOCACHE="$CT_OUT_BASE/gocache" \
        go build -o "$CT_OUT_BASE/gocap" "$CT_DIR/gopacket/main.go"
fi
for t in "${tests[@]}"; do
    log="$CT_OUT_BASE/$t.log"
    t0=$SECONDS
    rc=0
    case $t in
    layout) (cd "$CT_ROOT" && cargo test -q -p pkt-pcap --test layout -- --nocapture) >"$log" 2>&1 || rc=$? ;;
    *) bash "$CT_DIR/$t.sh" >"$log" 2>&1 || rc=$? ;;
    esac
    printf '\n==== compat/%s (exit %d, %d s)\n' "$t" "$rc" $((SECONDS - t0))
    if ((rc == 77)); then
        grep SKIP "$log" || true
        skipped+=("$t")
        continue
    fi
    grep '^DIFFER' "$log" | head -n 30 || true
    if [[ $t == layout ]]; then
        grep -E '^layout:|panicked|SKIPPED|differs from' "$log" || true
        n=$(sed -n 's/^layout: \([0-9]*\) values compared.*/\1/p' "$log")
        d=$(sed -n 's/^layout: .* \([0-9]*\) differ$/\1/p' "$log")
        if [[ -z $n ]]; then
            broken+=("$t")
            tail -n 20 "$log"
            continue
        fi
        total_cases=$((total_cases + n))
        total_diffs=$((total_diffs + d))
        ((rc == 0)) || ((d > 0)) || broken+=("$t")
        continue
    fi
    grep -E "^$t: |SKIP" "$log" | grep -v COMPAT_REF || true
    line=$(grep -E "^$t: [0-9]+ cases compared, [0-9]+ differences" "$log" || true)
    if [[ -z $line ]]; then
        broken+=("$t")
        echo "compat/$t did not finish:"
        tail -n 20 "$log"
        continue
    fi
    read -r n d < <(sed -E 's/^[^:]*: ([0-9]+) cases compared, ([0-9]+) differences.*/\1 \2/' <<<"$line")
    total_cases=$((total_cases + n))
    total_diffs=$((total_diffs + d))
    # A test that stopped with an error after printing its summary, or failed with no difference.
    if ((rc != 0 && d == 0)); then
        broken+=("$t")
    fi
done
printf '\n==== compat: %d cases compared, %d differences, %d s' "$total_cases" "$total_diffs" $((SECONDS - started))
if ((${#broken[@]})); then
    printf '; did not run to the end: %s' "${broken[*]}"
fi
if ((${#skipped[@]})); then
    printf '; skipped: %s' "${skipped[*]}"
fi
printf '\n'
echo "compat: $((total_cases - total_diffs)) passed, $((total_diffs + ${#broken[@]})) failed, ${#skipped[@]} skipped"
((total_diffs == 0 && ${#broken[@]} == 0))
