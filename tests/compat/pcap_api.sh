#!/usr/bin/env bash
# The API differential of the libpcap-compatible library: tests/pcap-api/run.sh (api.c on the
# system's libpcap and on the compatible library, section by section, in two network
# namespaces), summed up as the other compat tests are: one DIFFER line per differing section,
# then "pcap_api: N cases compared, M differences" (a case is a line of libpcap's output; the
# known compiler-optimizer cases of tests/pcap-api/known-differences.txt are reported, not
# counted). Any difference fails.
#
#   sudo tests/compat/pcap_api.sh [SECTION...]
#
# COMPAT_REF=1 skips it: run.sh itself checks that its second run loaded the compatible library.
set -euo pipefail
# shellcheck source=tests/compat/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ct_init pcap_api
if [[ "${COMPAT_REF:-0}" == 1 ]]; then
    echo "pcap_api: SKIP (COMPAT_REF=1: run.sh compares libpcap with the compatible library only)"
    exit 77
fi
command -v "${CC:-cc}" >/dev/null 2>&1 || ct_skip_or_fail "${CC:-cc} is missing (gcc)"
[[ -e /usr/include/pcap/pcap.h ]] || ct_skip_or_fail "/usr/include/pcap/pcap.h is missing (libpcap-dev)"
command -v ip >/dev/null 2>&1 || ct_skip_or_fail "ip is missing (iproute2)"
rc=0
PCAP_API_COMPAT="$CT_COMPAT_DIR" PCAP_API_KEEP="$CT_OUT/outputs" \
    bash "$CT_ROOT/tests/pcap-api/run.sh" "$@" >"$CT_OUT/run.txt" 2>&1 || rc=$?
cat "$CT_OUT/run.txt"
line=$(grep -E '^[0-9]+ checks, [0-9]+ differences' "$CT_OUT/run.txt" || true)
if [[ -z $line ]]; then
    echo "pcap_api: tests/pcap-api/run.sh did not finish (exit $rc)" >&2
    exit 1
fi
read -r n d k < <(sed -E 's/^([0-9]+) checks, ([0-9]+) differences(, ([0-9]+) known)?.*/\1 \2 \4/' <<<"$line")
sed -nE 's/^=== ([^:]+): ([0-9]+) differences.*/DIFFER pcap_api \1: \2 differing lines/p' "$CT_OUT/run.txt"
grep -E '^=== [^:]+: known difference' "$CT_OUT/run.txt" | sed 's/^=== /pcap_api: /' || true
echo "pcap_api: $n cases compared, $d differences${k:+ ($k known compiler-optimizer cases, tests/pcap-api/known-differences.txt)}"
exit "$rc"
