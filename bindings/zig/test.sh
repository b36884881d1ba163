#!/usr/bin/env bash
# Builds and tests libpkt's Zig bindings (bindings/zig). Run as root, from any directory:
#
#   sudo bindings/zig/test.sh
#
# Steps, stopping at the first failure:
#   toolchain  Zig 0.15.2 from the PyPI package ziglang, installed under build/zig-toolchain/
#              when missing (pip --target: no virtualenv, nothing outside the repository)
#   libpkt     cargo build --release at the repository root, when target/release/libpkt.a is
#              missing (scripts/test.sh builds it before calling this script)
#   fmt        zig fmt --check
#   build      the example (build/zig-out/bin/pkt-capture) and the test binaries, linked with
#              libpkt.a, and again with libpkt.so (-Dlinkage=dynamic, build/zig-out-dynamic)
#   test       zig build test, static and dynamic, each inside a fresh network namespace with a
#              veth pair v0 <-> v1 (c-tests/netns.sh creates it and deletes it on any exit)
#   example    pkt-capture captures 4 packets on lo inside a fresh namespace
#
# The last line is "zig: N passed, N failed" (tests plus the example run); the exit status is
# non-zero on any failure. Zig's caches live under build/zig-cache/, nothing depends on HOME.
# Environment: CI=true makes a skipped test a failure (it always is as root: every test runs in
# a namespace); ZIG=/path/to/zig uses that Zig (it must be 0.15.2) instead of the pinned one.
set -euo pipefail

ZIG_VERSION=0.15.2

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BUILD="$ROOT/build"
NETNS="$ROOT/c-tests/netns.sh"
LOGS="$BUILD/zig-logs"
export ZIG_GLOBAL_CACHE_DIR="$BUILD/zig-cache/global"
export ZIG_LOCAL_CACHE_DIR="$BUILD/zig-cache/local"
export PKT_ZIG_TEST_TMPDIR="$BUILD/zig-test-tmp"
export PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
cd "$HERE"
mkdir -p "$LOGS" "$PKT_ZIG_TEST_TMPDIR"

passed=0
failed=0
skipped=0
current=""
steps=(toolchain libpkt fmt build test example)
step_no=0

step() {
    current=$1
    step_no=$((step_no + 1))
    printf '\n==== zig [%d/%d] %s: %s\n' "$step_no" ${#steps[@]} "$1" "$2"
}
finish() {
    local rc=$?
    if ((rc != 0)); then
        printf '\n==== zig: FAILED at step "%s" (exit %d)\n' "$current" "$rc"
        ((failed > 0)) || failed=1
    fi
    if ((skipped > 0)); then
        echo "zig: $passed passed, $failed failed, $skipped skipped"
    else
        echo "zig: $passed passed, $failed failed"
    fi
}
trap finish EXIT

is_root() { [[ $EUID -eq 0 ]]; }
apt_install() {
    if is_root && command -v apt-get >/dev/null 2>&1; then
        echo "installing $* with apt-get"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null ||
            { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null; }
    else
        echo "missing: $* (install it, or run as root on Debian)" >&2
        return 1
    fi
}

# ---------------------------------------------------------------------------------------------
step toolchain "Zig $ZIG_VERSION (PyPI ziglang==$ZIG_VERSION)"
TOOLCHAIN="$BUILD/zig-toolchain/$ZIG_VERSION"
if [[ -n "${ZIG:-}" ]]; then
    echo "using ZIG=$ZIG"
else
    ZIG="$TOOLCHAIN/ziglang/zig"
    if [[ "$("$ZIG" version 2>/dev/null || true)" != "$ZIG_VERSION" ]]; then
        if ! python3 -m pip --version >/dev/null 2>&1; then
            apt_install python3-pip
        fi
        tmp="$TOOLCHAIN.tmp.$$"
        rm -rf "$tmp"
        mkdir -p "$(dirname "$TOOLCHAIN")"
        echo "pip install --target $TOOLCHAIN ziglang==$ZIG_VERSION"
        # --target installs outside any environment, so Debian's "externally managed" rule
        # (PEP 668) does not apply; older pips without that exemption get the override flag.
        if ! timeout 900 python3 -m pip install -q --target "$tmp" "ziglang==$ZIG_VERSION"; then
            rm -rf "$tmp"
            timeout 900 python3 -m pip install -q --break-system-packages --target "$tmp" "ziglang==$ZIG_VERSION"
        fi
        rm -rf "$TOOLCHAIN"
        mv "$tmp" "$TOOLCHAIN"
    fi
fi
got="$("$ZIG" version)"
if [[ "$got" != "$ZIG_VERSION" ]]; then
    echo "$ZIG is Zig $got, not $ZIG_VERSION" >&2
    exit 1
fi
echo "zig $got: $ZIG"

# ---------------------------------------------------------------------------------------------
step libpkt "libpkt.a and libpkt.so (cargo build --release when missing)"
if [[ ! -f "$ROOT/target/release/libpkt.a" || ! -f "$ROOT/target/release/libpkt.so" ]]; then
    (cd "$ROOT" && cargo build --release)
fi
ls -l "$ROOT/target/release/libpkt.a" "$ROOT/target/release/libpkt.so"
# The shared library under its soname, for the dynamically linked build.
DYN_LIB_DIR="$BUILD/zig-lib"
mkdir -p "$DYN_LIB_DIR"
cp -f "$ROOT/target/release/libpkt.so" "$DYN_LIB_DIR/libpkt.so"
ln -sf libpkt.so "$DYN_LIB_DIR/libpkt.so.0"

# ---------------------------------------------------------------------------------------------
step fmt "zig fmt --check"
"$ZIG" fmt --check build.zig build.zig.zon src tests examples

# ---------------------------------------------------------------------------------------------
zig_build() { # PREFIX ARGS...: zig build with the caches under build/
    local prefix=$1
    shift
    "$ZIG" build --cache-dir "$ZIG_LOCAL_CACHE_DIR" --global-cache-dir "$ZIG_GLOBAL_CACHE_DIR" \
        --prefix "$prefix" "$@"
}
STATIC=("$BUILD/zig-out")
DYNAMIC=("$BUILD/zig-out-dynamic" -Dlinkage=dynamic "-Dlibpkt-lib-dir=$DYN_LIB_DIR")

step build "example and test binaries, static and dynamic"
zig_build "${STATIC[@]}" install build-tests --summary all
zig_build "${DYNAMIC[@]}" install build-tests --summary all
ls -l "$BUILD/zig-out/bin/pkt-capture" "$BUILD/zig-out-dynamic/bin/pkt-capture"
"$BUILD/zig-out/bin/pkt-capture" --help >/dev/null

# ---------------------------------------------------------------------------------------------
# count_tests LOG RC: adds the counts of a `zig build test --summary all` run to the totals.
count_tests() {
    local log=$1 rc=$2 line rest p s f
    line=$(grep -a 'Build Summary:' "$log" | tail -n1 || true)
    rest=$(sed -n 's/.*[0-9][0-9]*\/[0-9][0-9]* tests passed\(.*\)$/\1/p' <<<"$line")
    p=$(sed -n 's/.* \([0-9][0-9]*\)\/[0-9][0-9]* tests passed.*/\1/p' <<<"$line")
    s=$(grep -o '[0-9][0-9]* skipped' <<<"$rest" | grep -o '[0-9]*' || true)
    f=$(grep -o '[0-9][0-9]* failed' <<<"$rest" | grep -o '[0-9]*' || true)
    passed=$((passed + ${p:-0}))
    skipped=$((skipped + ${s:-0}))
    failed=$((failed + ${f:-0}))
    # A run that failed without a failed test (a crash, a compile error, a timeout) counts once.
    if [[ $rc -ne 0 && -z "$f" ]]; then
        failed=$((failed + 1))
    fi
    echo "-> ${p:-0} passed, ${f:-0} failed, ${s:-0} skipped (exit $rc)"
}

step test "zig build test in a fresh network namespace (veth v0 <-> v1), static and dynamic"
if is_root; then
    command -v ip >/dev/null 2>&1 || apt_install iproute2
fi
for variant in static dynamic; do
    if [[ $variant == static ]]; then args=("${STATIC[@]}"); else args=("${DYNAMIC[@]}"); fi
    log="$LOGS/test-$variant.log"
    echo "--- $variant: zig build test (log: $log)"
    set +e
    if is_root; then
        PKT_TEST_TIMEOUT=300 bash "$NETNS" "$ZIG" build --cache-dir "$ZIG_LOCAL_CACHE_DIR" \
            --global-cache-dir "$ZIG_GLOBAL_CACHE_DIR" --prefix "${args[@]}" test --summary all \
            </dev/null 2>&1 | tee "$log"
        rc=${PIPESTATUS[0]}
    else
        echo "not root: the network tests are skipped (they need a network namespace)"
        zig_build "${args[@]}" test --summary all </dev/null 2>&1 | tee "$log"
        rc=${PIPESTATUS[0]}
    fi
    set -e
    count_tests "$log" "$rc"
done
if ((skipped > 0)) && { is_root || [[ "${CI:-}" == true ]]; }; then
    echo "$skipped tests skipped: every test must run (root, CI=true)" >&2
    failed=$((failed + skipped))
fi
((failed == 0)) || exit 1

# ---------------------------------------------------------------------------------------------
step example "pkt-capture -i lo -c 4 in a fresh namespace while UDP datagrams go to a closed port"
if is_root; then
    set +e
    PKT_TEST_TIMEOUT=60 bash "$NETNS" bash -c '
        exe=$1 out=$2
        "$exe" -i lo -c 4 -t 5000 >"$out.out" 2>"$out.err" &
        pid=$!
        for _ in $(seq 1 100); do grep -q listening "$out.err" && break; sleep 0.05; done
        # Each datagram to the closed port 9 gives 2 packets on lo: the UDP one, and the ICMP
        # port unreachable answer.
        for _ in 1 2 3; do echo zig >/dev/udp/127.0.0.1/9 || true; sleep 0.2; done
        wait "$pid"
        rc=$?
        cat "$out.out" "$out.err"
        [ "$rc" = 0 ] || { echo "pkt-capture exited $rc"; exit 1; }
        [ "$(grep -c "IP 127.0.0.1 > 127.0.0.1 UDP" "$out.out")" -ge 1 ] || { echo "no UDP line"; exit 1; }
        [ "$(grep -c "IP 127.0.0.1 > 127.0.0.1 ICMP" "$out.out")" -ge 1 ] || { echo "no ICMP line"; exit 1; }
        [ "$(wc -l <"$out.out")" = 4 ] || { echo "expected 4 lines"; exit 1; }
        grep -q "^4 packets captured" "$out.err" || { echo "no closing line"; exit 1; }
    ' _ "$BUILD/zig-out/bin/pkt-capture" "$LOGS/example" </dev/null
    rc=$?
    set -e
    if [[ $rc -eq 0 ]]; then
        passed=$((passed + 1))
        echo "-> example OK"
    else
        failed=$((failed + 1))
        echo "-> example FAILED (exit $rc)"
        exit 1
    fi
else
    echo "not root: skipped"
    skipped=$((skipped + 1))
    [[ "${CI:-}" != true ]] || exit 1
fi
current="finished"
