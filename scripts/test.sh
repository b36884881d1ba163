#!/usr/bin/env bash
# The README's test command: every check CI runs, in order, stopping at the first failure.
#
#   sudo scripts/test.sh                 all steps
#   sudo scripts/test.sh c-tests go      only these steps, in the order given (names: STEPS below)
#
# On a fresh Debian machine (as root) it first installs the tools it misses. The C tests
# need root: each runs in its own network namespace. With CI=true a skipped C test fails.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lab.sh
. scripts/lab.sh

STEPS=(tools fmt clippy cargo-test release c-tests c-tests-asan examples install compat go zig demo)
passed=0
current=""
started=$SECONDS

step() {
    current=$1
    printf '\n==== [%d/%d] %s: %s\n' $((passed + 1)) ${#STEPS[@]} "$1" "$2"
}
done_step() {
    passed=$((passed + 1))
}
finish() {
    local rc=$?
    if ((rc != 0)); then
        printf '\n==== FAILED at step "%s" (exit %d) after %d s\n' "$current" "$rc" $((SECONDS - started))
        echo "test.sh: $passed passed, 1 failed"
    fi
}
trap finish EXIT

# ctest_run DIR: runs the registered tests; with CI=true a skipped test or an empty run fails.
ctest_run() {
    local dir=$1 log="$1/ctest.log"
    (cd "$dir" && ctest --output-on-failure -j2) 2>&1 | tee "$log"
    if grep -q 'No tests were found' "$log"; then
        echo "ctest ran no test in $dir" >&2
        return 1
    fi
    if [[ "${CI:-}" == true ]] && grep -Eq '\*\*\*Skipped|Not Run' "$log"; then
        echo "CI=true: skipped tests count as failures" >&2
        return 1
    fi
}

step_tools() { # install what is missing
    if ! command -v cargo >/dev/null 2>&1; then
        echo "cargo not found: install the Rust toolchain (https://rustup.rs) first" >&2
        exit 1
    fi
    # tcpdump and tshark read back the savefiles the C tests write (test_dump_*); libpcap-dev is the
    # test-only reference of crates/pkt-bpf/tests/compile_diff.rs and of test_offline_diff and
    # test_offline_filter (never linked into libpkt); those capture with tcpdump and dumpcap
    # (wireshark-common) and run c-tests/gen_savefiles.py (python3). wireshark-common asks whether
    # non-root users may capture: answer no, without a question.
    if [[ $EUID -eq 0 ]] && command -v debconf-set-selections >/dev/null 2>&1; then
        echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
    fi
    ensure_tools cmake:cmake make:make cc:gcc ip:iproute2 sysctl:procps ping:iputils-ping \
        nm:binutils objdump:binutils readelf:binutils pkg-config:pkg-config \
        tcpdump:tcpdump tshark:tshark dumpcap:wireshark-common python3:python3 \
        pcap-config:libpcap-dev go:golang-go
    # The gopacket/pcap program of tests/compat (step compat) builds on Debian's gopacket.
    if [[ ! -d /usr/share/gocode/src/github.com/google/gopacket/pcap ]]; then
        if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
                golang-github-google-gopacket-dev </dev/null ||
                { apt-get update -q </dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
                    --no-install-recommends golang-github-google-gopacket-dev </dev/null; }
        else
            echo "missing: golang-github-google-gopacket-dev (the compat step's gopacket program)" >&2
        fi
    fi
    for component in fmt clippy; do
        if ! cargo "$component" --version >/dev/null 2>&1; then
            rustup component add "${component/fmt/rustfmt}"
        fi
    done
    if [[ $EUID -ne 0 ]]; then
        echo "warning: not root: the C tests need network namespaces and will be skipped" >&2
    fi
    cargo --version
    cmake --version | head -n1
}

step_fmt() { # cargo fmt --all -- --check
    cargo fmt --all -- --check
}

step_clippy() { # cargo clippy --workspace --all-targets -- -D warnings
    cargo clippy --workspace --all-targets -- -D warnings
}

step_cargo_test() { # cargo test --workspace (unit tests, header staleness, pkt-bpf's compiler tests against libpcap and the kernel)
    cargo test --workspace
}

step_release() { # cargo build --release (libpkt and crates/pkt-pcap), libpcap.so.0.8 linked from it; the static link line against rustc's
    cargo build --release
    bash scripts/compat-lib.sh release
    ls -l target/release/libpkt.so target/release/libpkt.a target/release/compat/libpcap.so.0.8
    bash scripts/static-libs.sh check
}

# kernel_has_vlan: can this kernel create 802.1Q interfaces? Tried in a throwaway namespace.
kernel_has_vlan() {
    local ns="pktvlan-$$" ok=1
    ip netns add "$ns" || return 1
    if ip -n "$ns" link add vt0 type veth peer name vt1 &&
        ip -n "$ns" link add link vt0 name vt0.100 type vlan id 100 2>/dev/null; then
        ok=0
    fi
    ip netns del "$ns"
    return $ok
}

# test_vlan_iface needs the kernel's 802.1Q support (a VLAN interface); test_vlan covers VLAN
# metadata on every kernel with raw tagged frames. Sets EXCLUDE once.
EXCLUDE=""
vlan_checked=0
exclude_tests() {
    ((vlan_checked)) && return 0
    vlan_checked=1
    if [[ $EUID -eq 0 ]] && ! kernel_has_vlan; then
        echo "this kernel cannot create VLAN interfaces (no 8021q): test_vlan_iface is not registered"
        EXCLUDE="test_vlan_iface"
    fi
}

step_c_tests() { # C tests against libpkt.so and libpkt.a, each in its own network namespace
    exclude_tests
    cmake -S c-tests -B build/c-tests -DPKT_LIB_DIR="$ROOT/target/release" -DPKT_EXCLUDE_TESTS="$EXCLUDE"
    cmake --build build/c-tests -j2
    ctest_run build/c-tests
}

step_c_tests_asan() { # C tests with AddressSanitizer, LeakSanitizer and UBSan
    exclude_tests
    cmake -S c-tests -B build/c-tests-asan -DPKT_LIB_DIR="$ROOT/target/release" -DPKT_SANITIZE=ON \
        -DPKT_EXCLUDE_TESTS="$EXCLUDE"
    cmake --build build/c-tests-asan -j2
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1 \
        LSAN_OPTIONS=print_suppressions=0 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        ctest_run build/c-tests-asan
}

step_examples() { # examples/ and tools/ (pktdump) with -Wall -Wextra -Wpedantic -Werror, shared and static; the C programs in the docs; bpfc against tcpdump -d
    bash scripts/doc-snippets.sh
    cmake -S examples -B build/examples -DPKT_LIB_DIR="$ROOT/target/release" \
        -DPKT_INCLUDE_DIR="$ROOT/include"
    cmake --build build/examples -j2
    # bpfc's -d/-dd/-ddd against tcpdump's on every link type it takes by name (no traffic).
    # In a network namespace of its own as root: nothing in it can reach a name server.
    if [[ $EUID -eq 0 ]]; then
        unshare -n bash tests/bpfc/diff.sh build/examples/bpfc
    else
        bash tests/bpfc/diff.sh build/examples/bpfc
    fi
    cmake -S tools -B build/tools -DPKT_LIB_DIR="$ROOT/target/release" \
        -DPKT_INCLUDE_DIR="$ROOT/include"
    cmake --build build/tools -j2
}

step_install() { # scripts/install.sh into a temporary prefix and DESTDIR; programs built with pkg-config and find_package(pkt) against the installed files only, run in a network namespace; man pages; --uninstall (tests/install/check.sh)
    if [[ $EUID -eq 0 ]]; then
        bash tests/install/check.sh
    else
        echo "skipped: not root"
    fi
}

step_compat() { # libpcap.so.0.8 on libpkt (scripts/compat-lib.sh release) vs the system's libpcap: symbols, layouts, tcpdump -r over generated and damaged files, tcpdump live, dumpcap and a gopacket program in network namespaces, the API differential of tests/pcap-api (tests/compat/run.sh)
    bash scripts/compat-lib.sh release
    if [[ $EUID -eq 0 ]]; then
        bash tests/compat/run.sh
    elif [[ "${CI:-}" == true ]]; then
        echo "CI=true: the compat tests need root" >&2
        return 1
    else
        echo "not root: only the symbol and layout tests (the others need network namespaces)"
        bash tests/compat/run.sh symbols layout
    fi
}

step_go() { # Go package: gofmt, go vet, go test (plain and -race) and examples in a network namespace (bindings/go/test.sh)
    bash bindings/go/test.sh
}

step_zig() { # Zig bindings: zig fmt, build, zig build test in a network namespace (bindings/zig/test.sh)
    bindings/zig/test.sh
}

step_demo() { # scripts/demo.sh --no-build (the README's main command)
    if [[ $EUID -eq 0 ]]; then
        bash scripts/demo.sh --no-build
    else
        echo "skipped: not root"
    fi
}

# The steps asked for (all, in order, without arguments); an unknown name is refused.
if (($#)); then
    for name in "$@"; do
        [[ " ${STEPS[*]} " == *" $name "* ]] || {
            echo "test.sh: no step '$name'; the steps: ${STEPS[*]}" >&2
            exit 2
        }
    done
    STEPS=("$@")
fi
for name in "${STEPS[@]}"; do
    fn="step_${name//-/_}"
    step "$name" "$(sed -n "s/^$fn() { # //p" "${BASH_SOURCE[0]}")"
    "$fn"
    done_step
done

printf '\n==== all %d steps passed in %d s\n' "$passed" $((SECONDS - started))
echo "test.sh: $passed passed, 0 failed"
