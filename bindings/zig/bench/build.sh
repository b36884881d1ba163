#!/usr/bin/env bash
# Builds the Zig benchmark (bench.zig, ReleaseFast, libpkt.a) and prints its path; the Zig of
# bindings/zig/test.sh (build/zig-toolchain, or ZIG=...) must be installed (test.sh does it).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ZIGDIR="$(cd "$HERE/.." && pwd)"
ROOT="$(cd "$ZIGDIR/../.." && pwd)"
BUILD="$ROOT/build"
ZIG="${ZIG:-$BUILD/zig-toolchain/0.15.2/ziglang/zig}"
[[ -x $ZIG ]] || { echo "build.sh: no Zig at $ZIG (run bindings/zig/test.sh once, or set ZIG)" >&2; exit 1; }
cd "$ZIGDIR"
"$ZIG" build bench -Doptimize=ReleaseFast --cache-dir "$BUILD/zig-cache/local" \
    --global-cache-dir "$BUILD/zig-cache/global" --prefix "$BUILD/zig-out-bench" >&2
echo "$BUILD/zig-out-bench/bin/pkt-bench"
