#!/usr/bin/env bash
# The symbol test of the libpcap-compatible library (issue 18):
#  (a) every program present (Debian's tcpdump, dumpcap, tshark; the gopacket program given as
#      GOCAP) imports no pcap_*/bpf_* symbol that tests/compat/symbols.txt lacks;
#  (b) the compat library defines every symbol of symbols.txt;
#  (c) it exports nothing but what libpcap itself exports (pcap_*, bpf_*, eproto_db), and all
#      of that;
#  (d) its SONAME is libpcap.so.0.8 (and libpcap.so.1 links to it).
#
#   tests/compat/symbols.sh [GOCAP]       (GOCAP: default build/compat/gocap, if built)
#
# With COMPAT_REF=1 the system's libpcap stands in for the compat library.
set -euo pipefail
# shellcheck source=tests/compat/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ct_init symbols
for c in nm readelf; do
    command -v "$c" >/dev/null 2>&1 || ct_skip_or_fail "$c is missing (binutils)"
done
list="$CT_DIR/symbols.txt"
grep -v '^#' "$list" | cut -f1 | sort -u >"$CT_OUT/wanted.txt"
if [[ "${COMPAT_REF:-0}" == 1 ]]; then
    lib=$CT_REF_LIB
else
    lib="$CT_COMPAT_DIR/libpcap.so.0.8"
fi
[[ -e $CT_REF_LIB ]] || ct_skip_or_fail "$CT_REF_LIB is missing (libpcap0.8)"

# pcap_*/bpf_* names a binary or library imports (undefined) or defines.
imports() { nm -D --undefined-only "$1" | awk '$NF ~ /^(pcap|bpf)_/ { sub(/@.*/, "", $NF); print $NF }' | sort -u; }
defines() { nm -D --defined-only "$1" | awk '{ sub(/@.*/, "", $NF); print $NF }' | sort -u; }

# (a)
gocap=${1:-$CT_OUT_BASE/gocap}
programs=(/usr/bin/tcpdump /usr/bin/dumpcap /usr/bin/tshark "$gocap")
for p in "${programs[@]}"; do
    if [[ ! -e $p ]]; then
        CT_CASES=$((CT_CASES + 1))
        if [[ "${CI:-}" == true ]]; then
            ct_fail "imports:$(basename "$p")" "$p is missing (CI=true)"
        else
            echo "symbols: note: $p is missing: its imports are not checked"
        fi
        continue
    fi
    imports "$p" >"$CT_OUT/imports-$(basename "$p").txt"
    missing=$(comm -23 "$CT_OUT/imports-$(basename "$p").txt" "$CT_OUT/wanted.txt" | tr '\n' ' ')
    ct_check "imports:$(basename "$p")" "imports symbols not in symbols.txt: $missing" test -z "$missing"
    echo "symbols: $(basename "$p") imports $(wc -l <"$CT_OUT/imports-$(basename "$p").txt") libpcap symbols"
done

if [[ ! -e $lib ]]; then
    ct_fail "library" "$lib is missing"
    ct_summary
    exit 1
fi
defines "$lib" >"$CT_OUT/defined.txt"
defines "$CT_REF_LIB" | grep -E '^((pcap|bpf)_.*|eproto_db)$' >"$CT_OUT/libpcap-defined.txt" || true

# (b) one case per symbol, so the summary counts what is there.
missing=()
while read -r s; do
    CT_CASES=$((CT_CASES + 1))
    if ! grep -qx "$s" "$CT_OUT/defined.txt"; then
        missing+=("$s")
        CT_DIFFS=$((CT_DIFFS + 1))
        echo "defined:$s" >>"$CT_OUT/failed.txt"
    fi
done <"$CT_OUT/wanted.txt"
if ((${#missing[@]})); then
    echo "DIFFER defined: the library lacks ${#missing[@]} of $(wc -l <"$CT_OUT/wanted.txt") symbols: ${missing[*]}"
fi
# (c)
extra=$(comm -23 "$CT_OUT/defined.txt" "$CT_OUT/libpcap-defined.txt" | tr '\n' ' ')
ct_check "exports" "exports what libpcap does not: $extra" test -z "$extra"
# (c') and everything libpcap 1.10 exports (pcap/namedb.h's calls and eproto_db included): a
# program that links any of them would not even start on a library without it.
lacking=$(comm -13 "$CT_OUT/defined.txt" "$CT_OUT/libpcap-defined.txt" | tr '\n' ' ')
ct_check "complete" "lacks what libpcap exports: $lacking" test -z "$lacking"
# (d)
soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
ct_check "soname" "SONAME is '$soname', not libpcap.so.0.8" test "$soname" = libpcap.so.0.8
if [[ "${COMPAT_REF:-0}" != 1 ]]; then
    ct_check "libpcap.so.1" "libpcap.so.1 is not a link to libpcap.so.0.8" \
        test "$(readlink "$CT_COMPAT_DIR/libpcap.so.1")" = libpcap.so.0.8
fi
echo "symbols: $lib defines $(grep -cxFf "$CT_OUT/wanted.txt" "$CT_OUT/defined.txt" || true) of $(wc -l <"$CT_OUT/wanted.txt") listed symbols"
ct_summary
