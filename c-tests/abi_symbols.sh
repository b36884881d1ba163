#!/usr/bin/env bash
# usage: abi_symbols.sh LIBPKT_SO [NM] [READELF]
# Fails if libpkt.so defines a dynamic symbol (function or data) whose name does not start with
# pkt_, or if its soname is not libpkt.so.0 (the major version).
set -u
lib="$1"
nm="${2:-nm}"
readelf="${3:-readelf}"
[ -n "$nm" ] || nm=nm
[ -n "$readelf" ] || readelf=readelf
status=0

if [ ! -f "$lib" ]; then
    echo "FAIL abi_symbols: $lib not found" >&2
    exit 1
fi

# nm -D --defined-only prints "VALUE TYPE NAME" (VALUE may be blank); A (absolute) entries are
# version nodes, not code or data.
syms=$("$nm" -D --defined-only "$lib") || { echo "FAIL abi_symbols: nm failed" >&2; exit 1; }
bad=$(printf '%s\n' "$syms" | awk 'NF >= 2 { name = $NF; type = $(NF-1);
        if (type == "A") next;
        sub(/@.*/, "", name);
        if (name !~ /^pkt_/) print type, name }')
count=$(printf '%s\n' "$syms" | awk 'NF >= 2 && $(NF-1) != "A"' | wc -l)
if [ -n "$bad" ]; then
    echo "FAIL abi_symbols: symbols outside the pkt_ namespace are exported:" >&2
    printf '  %s\n' "$bad" | head -50 >&2
    status=1
fi
if [ "$count" -eq 0 ]; then
    echo "FAIL abi_symbols: no exported symbols at all" >&2
    status=1
fi
for fn in pkt_config_default pkt_config_check pkt_open pkt_read pkt_write pkt_setfilter \
    pkt_stats pkt_breakloop pkt_fd pkt_get_config pkt_linktype pkt_close pkt_iface_linktype \
    pkt_os_supported pkt_kernel_version pkt_is_temporary pkt_is_timeout pkt_tstamp_valid \
    pkt_vlan_valid pkt_strerror pkt_errmsg pkt_version; do
    if ! printf '%s\n' "$syms" | awk '{ n = $NF; sub(/@.*/, "", n); print $(NF-1), n }' |
        grep -qx "T $fn"; then
        echo "FAIL abi_symbols: $fn is not exported as a function" >&2
        status=1
    fi
done

soname=$("$readelf" -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')
if [ "$soname" != "libpkt.so.0" ]; then
    echo "FAIL abi_symbols: soname is '${soname}', expected libpkt.so.0" >&2
    status=1
fi

if [ "$status" = 0 ]; then
    echo "PASS abi_symbols: $count symbols, all pkt_*; soname $soname"
fi
exit "$status"
