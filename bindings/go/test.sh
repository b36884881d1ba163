#!/usr/bin/env bash
# Tests of the Go package (bindings/go), from any directory:
#
#   sudo bindings/go/test.sh
#
# As root on a fresh Debian machine it installs what it misses (golang-go, Debian's
# golang.org/x/net, gcc, iproute2, tcpdump), builds libpkt when target/release/libpkt.a is
# missing (cargo build --release), then: gofmt, go vet, the build of every package (the seed
# program examples/seedcompat also without cgo), and go test (plain and -race) plus the two
# examples inside a network namespace with a veth pair v0 <-> v1 that it creates and always
# deletes. The last line says whether everything passed; the exit status is non-zero if not.
# Without root the network tests are skipped, and with CI=true a skip is a failure.
set -euo pipefail

GODIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$GODIR/../.." && pwd)"
BUILD="$ROOT/build/go"
cd "$GODIR"

# The Go environment lives under build/ (git-ignored), whatever HOME is; no network access.
export GOPATH="$BUILD/gopath" GOCACHE="$BUILD/cache" GOFLAGS=-mod=readonly GOPROXY=off
export GO111MODULE=on CGO_ENABLED=1 GOTOOLCHAIN=local
export PATH="$PATH:/usr/lib/go/bin:/usr/local/go/bin"

STEPS=(tools library gofmt vet build test race examples installed)
passed=0
current=""
started=$SECONDS
NS=""
PIDS=()

step() {
    current=$1
    printf '\n==== go [%d/%d] %s: %s\n' $((passed + 1)) ${#STEPS[@]} "$1" "$2"
}
cleanup() {
    local rc=$? pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    [[ -n $NS ]] && ip netns del "$NS" 2>/dev/null
    if ((rc != 0)); then
        printf '\n==== go: FAILED at step "%s" (exit %d) after %d s\n' "$current" "$rc" $((SECONDS - started))
        echo "bindings/go/test.sh: $passed passed, 1 failed"
    fi
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

skip_or_fail() {
    if [[ ${CI:-} == true ]]; then
        echo "CI=true: $* (a skip is a failure)" >&2
        return 1
    fi
    echo "SKIP: $*" >&2
}

# apt_install PACKAGE...: Debian packages, as root, without questions.
apt_install() {
    if [[ $EUID -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
        echo "missing; install these packages first: $*" >&2
        return 1
    fi
    echo "installing: $*"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q </dev/null
    apt-get install -y -q --no-install-recommends "$@" </dev/null
}

step tools "install what is missing"
missing=()
command -v go >/dev/null 2>&1 || missing+=(golang-go)
# golang.org/x/net/bpf (the seed's filter type) comes from Debian: go.mod replaces the module
# with this directory, so nothing is downloaded.
[[ -d /usr/share/gocode/src/golang.org/x/net/bpf ]] || missing+=(golang-golang-x-net-dev)
command -v gcc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
command -v tcpdump >/dev/null 2>&1 || missing+=(tcpdump)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
command -v timeout >/dev/null 2>&1 || missing+=(coreutils)
((${#missing[@]} == 0)) || apt_install "${missing[@]}"
go version
passed=$((passed + 1))

step library "libpkt's static library"
if [[ ! -f $ROOT/target/release/libpkt.a ]]; then
    command -v cargo >/dev/null 2>&1 || PATH="$PATH:${HOME:-/root}/.cargo/bin"
    command -v cargo >/dev/null 2>&1 || { echo "cargo not found: install the Rust toolchain" >&2; exit 1; }
    (cd "$ROOT" && cargo build --release)
fi
ls -l "$ROOT/target/release/libpkt.a"
passed=$((passed + 1))

step gofmt "gofmt -l (must list nothing)"
unformatted=$(gofmt -l .)
if [[ -n $unformatted ]]; then
    echo "not gofmt'ed:" >&2
    echo "$unformatted" >&2
    exit 1
fi
passed=$((passed + 1))

step vet "go vet (with cgo, and the seed's surface without cgo)"
go vet ./...
CGO_ENABLED=0 go vet .
passed=$((passed + 1))

step build "every package, the examples and the benchmark"
mkdir -p "$BUILD/bin"
go build ./...
go build -o "$BUILD/bin/capture" ./examples/capture
go build -o "$BUILD/bin/seedcompat" ./examples/seedcompat
go build -o "$BUILD/bin/gobench" ./bench
# A program written for the seed builds without cgo too (NewHandler then says
# ErrNotImplemented, as the seed did on other systems).
CGO_ENABLED=0 go build -o /dev/null ./examples/seedcompat
go test -c -o "$BUILD/bin/packet.test" .
go test -race -c -o "$BUILD/bin/packet.race.test" .
ls -l "$BUILD/bin"
passed=$((passed + 1))

# The network namespace of the tests: lo and v0 <-> v1, no IPv6 (nothing but the tests'
# frames on the link), deleted by the EXIT trap.
lab=0
if [[ $EUID -ne 0 ]]; then
    skip_or_fail "not root: no network namespace, the capture tests skip"
elif NS="pktgo-$$-$RANDOM" && ip netns add "$NS"; then
    in_ns() { ip netns exec "$NS" "$@"; }
    in_ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 \
        >/dev/null 2>&1 || true
    in_ns ip link set lo up
    in_ns ip link add v0 mtu 1500 type veth peer name v1 mtu 1500
    in_ns ip link set v0 up
    in_ns ip link set v1 up
    for _ in $(seq 1 500); do
        [[ $(in_ns cat /sys/class/net/v0/operstate) == up &&
            $(in_ns cat /sys/class/net/v1/operstate) == up ]] && break
        sleep 0.01
    done
    lab=1
    echo "network namespace $NS: v0 <-> v1 up"
else
    NS=""
    skip_or_fail "cannot create a network namespace"
fi
run() { # in the namespace when there is one, bounded in time
    if ((lab)); then
        ip netns exec "$NS" timeout --signal=TERM --kill-after=5 "$@"
    else
        timeout --signal=TERM --kill-after=5 "$@"
    fi
}

step test "go test (in the namespace)"
run 300 go test -count=1 -v -timeout 240s . 2>&1 | tee "$BUILD/test.log"
grep -q '^ok ' "$BUILD/test.log" || { echo "go test failed" >&2; exit 1; }
if ! ((lab)) || [[ $EUID -ne 0 ]]; then
    grep -c -- '--- SKIP' "$BUILD/test.log" || true
fi
passed=$((passed + 1))

step race "go test -race (in the namespace)"
run 400 go test -race -count=1 -timeout 300s . 2>&1 | tee "$BUILD/race.log"
grep -q '^ok ' "$BUILD/race.log" || { echo "go test -race failed" >&2; exit 1; }
passed=$((passed + 1))

step examples "the seed program and the capture example (in the namespace)"
if ((lab)); then
    run 60 "$BUILD/bin/seedcompat" -rx v0 -tx v1 -n 5 | tee "$BUILD/seedcompat.log"
    grep -q '^seedcompat: OK' "$BUILD/seedcompat.log"
    out="$BUILD/capture.log"
    ip netns exec "$NS" timeout 60 "$BUILD/bin/capture" -i v0 -c 3 -t 5000 -f 'ether proto 0x88b5' \
        -w "$BUILD/capture.pcap" \
        >"$out" 2>&1 &
    PIDS+=($!)
    sleep 0.5
    run 60 "$BUILD/bin/gobench" send -i v1 -n 3 -s 60
    wait "${PIDS[0]}"
    PIDS=()
    cat "$out"
    [[ $(grep -c 'ethertype 0x88b5' "$out") == 3 ]] || { echo "capture did not print 3 packets" >&2; exit 1; }
    [[ $(tcpdump -nn -r "$BUILD/capture.pcap" 2>/dev/null | grep -c '^[0-9]') == 3 ]] ||
        { echo "tcpdump did not read 3 packets from capture.pcap" >&2; exit 1; }
else
    skip_or_fail "no network namespace: the examples are built, not run"
fi
passed=$((passed + 1))

step installed "against an installed libpkt: scripts/install.sh into a temporary prefix, go test -tags libpkt_pkgconfig (pkg-config, libpkt.so.0 from the prefix) in the namespace"
if ((lab)); then
    PREFIX_DIR="$BUILD/prefix"
    rm -rf "$PREFIX_DIR"
    bash "$ROOT/scripts/install.sh" --prefix "$PREFIX_DIR" --no-build >/dev/null
    PKG_CONFIG_PATH="$PREFIX_DIR/lib/pkgconfig" go test -tags libpkt_pkgconfig -c -o "$BUILD/bin/packet.pc.test" .
    lib=$(LD_LIBRARY_PATH="$PREFIX_DIR/lib" ldd "$BUILD/bin/packet.pc.test" | awk '/libpkt\.so/ {print $3}')
    [[ $lib == "$PREFIX_DIR/lib/libpkt.so.0" ]] || { echo "packet.pc.test loads libpkt from '$lib'" >&2; exit 1; }
    run 300 env LD_LIBRARY_PATH="$PREFIX_DIR/lib" "$BUILD/bin/packet.pc.test" -test.count=1 -test.timeout 240s \
        2>&1 | tee "$BUILD/installed.log"
    grep -qx 'PASS' "$BUILD/installed.log" || { echo "go test against the installed libpkt failed" >&2; exit 1; }
    bash "$ROOT/scripts/install.sh" --uninstall --prefix "$PREFIX_DIR" >/dev/null
else
    skip_or_fail "no network namespace: the installed-libpkt tests are not run"
fi
passed=$((passed + 1))

printf '\n==== go: all %d steps passed in %d s\n' "$passed" $((SECONDS - started))
echo "bindings/go/test.sh: $passed passed, 0 failed"
