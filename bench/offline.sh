#!/usr/bin/env bash
# Reading savefiles, libpkt against libpcap, in one run (bench/offline.c): a 1,000,000-packet
# file of 64-byte frames and one of 1500-byte frames (about 1.5 GB), written with libpkt's
# writer, read with pkt_read, pkt_read_batch, pkt_read_slim (32 per call), pkt_dispatch, pcap_next_ex and pcap_dispatch,
# interleaved; prints ns/packet (median, min..max) and the ratios to pcap_dispatch.
#
#   bench/offline.sh [REPS [PACKETS]]      (default 5 repetitions, 1000000 packets)
#
# No network and no root needed. The files go to a fresh directory under ${TMPDIR:-/tmp}
# (about 1.6 GB free needed), deleted on exit. libpcap-dev is a benchmark-only dependency:
# libpkt never links it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPS=${1:-5}
PACKETS=${2:-1000000}
BUILD="$ROOT/bench/build"
mkdir -p "$BUILD"
if [[ ! -e /usr/include/pcap/pcap.h ]]; then
    echo "offline.sh: needs libpcap-dev (apt-get install libpcap-dev)" >&2
    exit 1
fi
(cd "$ROOT" && cargo build --release -q)
gcc -O2 -g -std=gnu11 -Wall -Wextra -Werror -I"$ROOT/include" -o "$BUILD/offline" \
    "$ROOT/bench/offline.c" "$ROOT/target/release/libpkt.a" $(bash "$ROOT/scripts/static-libs.sh") -lpcap
dir=$(mktemp -d "${TMPDIR:-/tmp}/pktoffline-XXXXXX")
trap 'rm -rf "$dir"' EXIT
echo "# bench/offline.sh $REPS $PACKETS: $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$BUILD/offline" "$dir" "$REPS" "$PACKETS"
