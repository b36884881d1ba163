#!/usr/bin/env bash
# libpkt's static link line, from its one description (scripts/static-libs.txt).
#
#   scripts/static-libs.sh            the flags: -lpthread -ldl ...
#   scripts/static-libs.sh names      the names: pthread dl ...
#   scripts/static-libs.sh check      fails unless the description covers what this Rust
#                                     toolchain's standard library needs, and the copies that
#                                     cannot read the file (Go's cgo line, Zig's build.zig, the README) match it
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
names=$(grep -v '^#' "$ROOT/scripts/static-libs.txt" | tr -s ' \n' ' ' | sed 's/^ //; s/ $//')
flags=$(for n in $names; do printf -- '-l%s ' "$n"; done | sed 's/ $//')
case "${1:-flags}" in
flags) echo "$flags" ;;
names) echo "$names" ;;
check)
    fail=0
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    echo 'pub fn f() {}' >"$tmp/x.rs"
    need=$(rustc --crate-type staticlib --print native-static-libs -o "$tmp/libx.a" "$tmp/x.rs" 2>&1 |
        sed -n 's/.*native-static-libs: //p')
    [[ -n $need ]] || { echo "static-libs: rustc printed no native-static-libs" >&2; exit 1; }
    for l in $need; do
        n=${l#-l}
        case $n in
        c) continue ;;          # the compiler driver links libc last
        gcc_s) n=gcc_eh ;;      # the static unwinder instead
        esac
        if ! grep -qw -- "$n" <<<"$names"; then
            echo "static-libs: rustc's standard library needs -l$n; scripts/static-libs.txt lacks it" >&2
            fail=1
        fi
    done
    go_line=$(sed -n 's/^#cgo LDFLAGS: .*libpkt\.a //p' "$ROOT/bindings/go/cgo_intree_linux.go")
    [[ $go_line == "$flags" ]] || {
        echo "static-libs: bindings/go/cgo_intree_linux.go links '$go_line', the description says '$flags'" >&2
        fail=1
    }
    # Zig links its bundled libunwind where the description says gcc_eh.
    zig_want=$(for n in $names; do [[ $n == gcc_eh ]] && n=unwind; printf '"%s" ' "$n"; done)
    zig_got=$(grep -o '"util".*"unwind"\|for (\[_\]\[\]const u8{[^}]*}' "$ROOT/bindings/zig/build.zig" | head -1 |
        grep -o '"[a-z_]*"' | tr '\n' ' ')
    [[ $(tr ' ' '\n' <<<"$zig_got" | sort | tr -s '\n' ' ') == $(tr ' ' '\n' <<<"$zig_want" | sort | tr -s '\n' ' ') ]] || {
        echo "static-libs: bindings/zig/build.zig links $zig_got, the description says $zig_want" >&2
        fail=1
    }
    grep -qF -- "libpkt.a $flags" "$ROOT/README.md" || {
        echo "static-libs: README.md's static link line is not 'libpkt.a $flags'" >&2
        fail=1
    }
    ((fail == 0)) && echo "static-libs: $flags (covers rustc's: $need)"
    exit "$fail"
    ;;
*) echo "usage: $0 [flags|names|check]" >&2; exit 2 ;;
esac
