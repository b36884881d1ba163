#!/usr/bin/env bash
# Builds the libpcap-compatible library (crates/pkt-pcap) as libpcap.so.0.8.
#
#   scripts/compat-lib.sh [release|debug]     -> target/<profile>/compat/libpcap.so.0.8
#
# and, beside it, libpcap.so.1 (the name other distributions' programs ask for) and libpcap.so
# (for `cc -L target/release/compat -lpcap`), both links to it. The Rust crate is a staticlib;
# the C driver links it whole into the shared library with libpcap's soname and exports only
# the symbols of crates/pkt-pcap/exports.map (libpcap's: pcap_* and bpf_*), which a Rust
# cdylib cannot (it would take libpkt's soname and export libpkt's pkt_* too).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
profile=${1:-release}
case $profile in
release) cargo build --release -p pkt-pcap ;;
debug) cargo build -p pkt-pcap ;;
*) echo "compat-lib.sh: profile is release or debug, not '$profile'" >&2; exit 2 ;;
esac
out="target/$profile/compat"
mkdir -p "$out"
${CC:-cc} -shared -o "$out/libpcap.so.0.8.tmp" \
    -Wl,-soname,libpcap.so.0.8 \
    -Wl,--version-script=crates/pkt-pcap/exports.map \
    -Wl,-z,defs -Wl,--gc-sections \
    -Wl,--whole-archive "target/$profile/libpkt_pcap.a" -Wl,--no-whole-archive \
    -lpthread -ldl -lm -lrt -lutil -lgcc_s
mv -f "$out/libpcap.so.0.8.tmp" "$out/libpcap.so.0.8"
ln -sf libpcap.so.0.8 "$out/libpcap.so.1"
ln -sf libpcap.so.0.8 "$out/libpcap.so"
echo "$out/libpcap.so.0.8"
