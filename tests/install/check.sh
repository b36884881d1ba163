#!/usr/bin/env bash
# Installs libpkt the way a user does (scripts/install.sh) and uses only the installed files:
#   - into a temporary prefix: pkg-config --cflags --libs (shared) and --static (a fully static
#     program), find_package(pkt) with pkt::pkt and pkt::pkt_static, each program run in a
#     network namespace (c-tests/netns.sh: a veth pair v0 <-> v1), the shared ones checked to
#     load libpkt.so.0 from the prefix; the installed pktdump and bpfc run; man -l renders both
#     pages; --uninstall leaves nothing;
#   - staged with DESTDIR: the files name the final prefix; --uninstall with DESTDIR leaves nothing.
# Nothing points into the build tree: the programs are built in a temporary folder, from
# tests/install/app.c and CMakeLists.txt only.
#
#   sudo tests/install/check.sh          (after cargo build --release)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/tests/install"
# shellcheck source=scripts/lab.sh
. "$ROOT/scripts/lab.sh"
ensure_tools cc:gcc cmake:cmake pkg-config:pkg-config man:man-db ldd:libc-bin ip:iproute2

WORK=$(mktemp -d /tmp/pkt-install.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
PREFIX="$WORK/prefix"
fail() {
    echo "install check: $*" >&2
    exit 1
}

echo "--- install into $PREFIX"
bash "$ROOT/scripts/install.sh" --prefix "$PREFIX" --no-build
export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig"
pkg-config --exists libpkt || fail "pkg-config does not find libpkt"
[[ $(pkg-config --modversion libpkt) == "$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -n1)" ]] ||
    fail "pkg-config version differs from Cargo.toml"
[[ $(readlink "$PREFIX/lib/libpkt.so.0") == libpkt.so.0.1.0 ]] || fail "libpkt.so.0 is not a link to libpkt.so.0.1.0"
readelf -d "$PREFIX/lib/libpkt.so.0.1.0" | grep -q 'SONAME.*\[libpkt\.so\.0\]' || fail "soname is not libpkt.so.0"
if readelf -S "$PREFIX/lib/libpkt.so.0.1.0" | grep -q '\.debug_info'; then
    fail "the installed libpkt.so carries debug info"
fi
ls -l "$PREFIX/lib/libpkt.so.0.1.0" "$PREFIX/lib/libpkt.a"

mkdir -p "$WORK/src"
cp "$HERE/app.c" "$HERE/CMakeLists.txt" "$WORK/src/"
cd "$WORK/src"
echo "--- pkg-config, shared"
# shellcheck disable=SC2046
cc -std=c11 -Wall -Wextra -Wpedantic -Werror -o app_pc app.c $(pkg-config --cflags --libs libpkt) \
    -Wl,-rpath,"$PREFIX/lib"
echo "--- pkg-config, fully static (-static with Libs.private)"
# shellcheck disable=SC2046
cc -std=c11 -Wall -Wextra -Wpedantic -Werror -static -o app_pc_static app.c \
    $(pkg-config --cflags libpkt) $(pkg-config --static --libs libpkt) 2> static.log ||
    { cat static.log >&2; fail "static link failed"; }
# glibc warns about getaddrinfo/getpwuid_r in static programs; anything else is a problem.
if grep -v -e "statically linked applications requires at runtime" -e "in function" static.log | grep -q .; then
    cat static.log >&2
    fail "unexpected messages from the static link"
fi
echo "--- find_package(pkt), shared and static"
cmake -S . -B build -DCMAKE_PREFIX_PATH="$PREFIX" -DCMAKE_BUILD_RPATH="$PREFIX/lib" >/dev/null
cmake --build build >/dev/null

for exe in app_pc app_cmake; do
    path=./$exe
    [[ -x $path ]] || path=build/$exe
    lib=$(ldd "$path" | awk '/libpkt\.so/ {print $3}')
    [[ $lib == "$PREFIX/lib/libpkt.so.0" ]] || fail "$exe loads libpkt from '$lib', not the prefix"
done
for exe in app_pc app_pc_static build/app_cmake build/app_cmake_static; do
    echo "--- run $exe in a network namespace"
    bash "$ROOT/c-tests/netns.sh" "$PWD/$exe" v1 v0
done

echo "--- installed tools and manual pages"
"$PREFIX/bin/pktdump" --version
"$PREFIX/bin/bpfc" -O -ddd udp port 53 | head -n 1 | grep -qx '[0-9]*' || fail "bpfc does not compile 'udp port 53'"
echo "--- the libpcap-compatible library and pkt-run"
compat="$PREFIX/lib/libpkt-compat"
readelf -d "$compat/libpcap.so.0.8" | grep -q 'SONAME.*\[libpcap\.so\.0\.8\]' || fail "libpcap.so.0.8's soname is not libpcap.so.0.8"
[[ $(readlink "$compat/libpcap.so.1") == libpcap.so.0.8 ]] || fail "libpcap.so.1 is not a link to libpcap.so.0.8"
if readelf -S "$compat/libpcap.so.0.8" | grep -q '\.debug_info'; then
    fail "the installed libpcap.so.0.8 carries debug info"
fi
[[ ! -e $PREFIX/lib/libpcap.so.0.8 ]] || fail "libpcap.so.0.8 is installed on the default library path"
if command -v tcpdump >/dev/null 2>&1; then
    which=$("$PREFIX/bin/pkt-run" --which tcpdump)
    grep -q "=> $compat/libpcap.so.0.8" <<<"$which" || fail "pkt-run --which tcpdump: $which"
    ver=$("$PREFIX/bin/pkt-run" tcpdump --version 2>&1)
    grep -q '^libpkt version' <<<"$ver" || fail "pkt-run tcpdump --version does not name libpkt: $ver"
    # Without pkt-run, the system's libpcap.
    if tcpdump --version 2>&1 | grep -q libpkt; then fail "tcpdump without pkt-run loads libpkt"; fi
    # A setuid copy run by another user: the loader would ignore the library path; refused.
    cp "$(command -v tcpdump)" "$WORK/tcpdump-suid"
    chmod 4755 "$WORK/tcpdump-suid"
    chmod 0755 "$WORK"
    if out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$PREFIX/bin/pkt-run" "$WORK/tcpdump-suid" --version 2>&1); then
        fail "pkt-run ran a setuid program as another user: $out"
    fi
    grep -q 'setuid' <<<"$out" || fail "pkt-run's refusal of a setuid program does not say why: $out"
fi
# A static program: refused, naming why.
printf 'int main(void) { return 0; }\n' >"$WORK/static.c"
cc -static -o "$WORK/static" "$WORK/static.c"
if out=$("$PREFIX/bin/pkt-run" "$WORK/static" 2>&1); then fail "pkt-run ran a static program"; fi
grep -q 'statically linked' <<<"$out" || fail "pkt-run's refusal of a static program does not say why: $out"
for page in man1/pktdump.1 man1/pkt-run.1 man3/libpkt.3; do
    out=$(MANWIDTH=80 man -l "$PREFIX/share/man/$page" 2>&1) || fail "man -l $page: $out"
    grep -q "SYNOPSIS" <<<"$out" || fail "man -l $page rendered no SYNOPSIS"
done
# The manual (page and docs/pktdump.md) documents exactly the flags pktdump -h lists.
flags=$("$PREFIX/bin/pktdump" -h | grep -oE '^  (-[A-Za-z]|--[A-Za-z-]+)' | tr -d ' ' | sort -u)
[[ -n $flags ]] || fail "pktdump -h lists no flags"
page=$(MANWIDTH=200 man -l "$PREFIX/share/man/man1/pktdump.1" 2>/dev/null)
for f in $flags --version; do
    grep -qE -- "(^|[^a-z-])$f([^a-z-]|$)" <<<"$page" || fail "man pktdump does not document $f"
    grep -qF -- "\`$f" "$ROOT/docs/pktdump.md" || fail "docs/pktdump.md does not document $f"
done
for f in $(grep -oE '^\| `(-[A-Za-z]|--[A-Za-z-]+)' "$ROOT/docs/pktdump.md" | tr -d '|` ' | sort -u); do
    "$PREFIX/bin/pktdump" -h | grep -qE -- "(^|[ ,;])$f([ ,:]|$)" || fail "docs/pktdump.md documents $f, pktdump -h does not list it"
done
MANPATH="$PREFIX/share/man" man -w pktdump | grep -q "$PREFIX" || fail "man does not find pktdump in the prefix"

echo "--- uninstall"
bash "$ROOT/scripts/install.sh" --uninstall --prefix "$PREFIX"
[[ ! -e $PREFIX ]] || { find "$PREFIX"; fail "uninstall left files behind"; }

echo "--- DESTDIR staging"
STAGE="$WORK/stage"
DESTDIR="$STAGE" PREFIX=/usr/local bash "$ROOT/scripts/install.sh" --no-build
grep -qx 'prefix=/usr/local' "$STAGE/usr/local/lib/pkgconfig/libpkt.pc" || fail "staged .pc does not name the final prefix"
DESTDIR="$STAGE" PREFIX=/usr/local bash "$ROOT/scripts/install.sh" --uninstall
left=$(find "$STAGE" -mindepth 1 ! -type d)
[[ -z $left ]] || fail "DESTDIR uninstall left: $left"
echo "install check: passed"
