#!/usr/bin/env bash
# The README's install command: builds libpkt in release mode and installs it like a system
# library.
#
#   sudo scripts/install.sh [--prefix DIR] [--no-build]     (default prefix /usr/local)
#   sudo scripts/install.sh --uninstall [--prefix DIR]      removes exactly what was installed
#
# PREFIX=DIR works as --prefix; DESTDIR=DIR stages the install under DIR (for packaging): the
# files then name PREFIX, not DESTDIR. Installs, under PREFIX:
#   include/pkt.h
#   lib/libpkt.so.X.Y.Z, lib/libpkt.so.X (the soname) -> it, lib/libpkt.so (for -lpkt) -> it
#   lib/libpkt.a
#   lib/pkgconfig/libpkt.pc              pkg-config --cflags --libs libpkt (--static for libpkt.a)
#   lib/cmake/pkt/pktConfig.cmake        find_package(pkt): pkt::pkt (shared), pkt::pkt_static
#   lib/cmake/pkt/pktConfigVersion.cmake
#   bin/pktdump, bin/bpfc                the tools, linked with libpkt.a (they need no libpkt.so)
#   lib/libpkt-compat/libpcap.so.0.8     the libpcap-compatible library (crates/pkt-pcap), and
#   lib/libpkt-compat/libpcap.so.1 -> it  in a directory of its own: never over the system's
#                                        libpcap, and not on the loader's default path
#   bin/pkt-run                          pkt-run CMD ARGS: runs a libpcap program on it
#   share/man/man1/pkt-run.1
#   share/man/man1/pktdump.1, share/man/man3/libpkt.3
#   share/libpkt/install-manifest.txt    what was installed, for --uninstall
# Libraries and tools are installed stripped (the release build keeps debug info for
# profiling; the installed files do not carry it).
#
# Why not cargo-c: Debian's cargo-c (0.9.14) embeds a 2022 cargo that only knows the git index
# of crates.io and cannot reach the registry this project builds from; the crates.io release is
# a build of cargo itself (minutes on every fresh machine and CI run). What it would do here is
# this script's few steps, which CI checks end to end (scripts/test.sh, step "install").
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lab.sh
. scripts/lab.sh

usage() {
    sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

PREFIX="${PREFIX:-/usr/local}"
DESTDIR="${DESTDIR:-}"
action=install
build=1
while (($#)); do
    case $1 in
    --prefix) (($# >= 2)) || usage; PREFIX=$2; shift ;;
    --prefix=*) PREFIX=${1#--prefix=} ;;
    --uninstall) action=uninstall ;;
    --no-build) build=0 ;;
    -h | --help) usage ;;
    *) echo "install.sh: unknown argument '$1'" >&2; usage ;;
    esac
    shift
done
[[ $PREFIX == /* ]] || { echo "install.sh: the prefix must be an absolute path: $PREFIX" >&2; exit 2; }
PREFIX="${PREFIX%/}"
[[ -n $PREFIX ]] || PREFIX=/
STAGE="${DESTDIR%/}$PREFIX"
MANIFEST_REL="share/libpkt/install-manifest.txt"
MANIFEST="$STAGE/$MANIFEST_REL"

if [[ $action == uninstall ]]; then
    if [[ ! -f $MANIFEST ]]; then
        echo "install.sh: nothing to uninstall: no $MANIFEST" >&2
        exit 1
    fi
    # Files and links first, then the directories the install created, deepest first.
    while IFS= read -r rel; do
        [[ $rel == d\ * ]] && continue
        rm -f -- "$STAGE/$rel"
    done <"$MANIFEST"
    dirs=$(grep '^d ' "$MANIFEST" | cut -c3- | sort -r)
    rm -f -- "$MANIFEST"
    while IFS= read -r rel; do
        [[ -n $rel && $rel != . ]] && { rmdir -- "$STAGE/$rel" 2>/dev/null || true; }
    done <<<"$dirs"
    # The prefix itself, when the install made it.
    if grep -qx '\.' <<<"$dirs"; then
        rmdir -- "$STAGE" 2>/dev/null || true
    fi
    if [[ -z $DESTDIR && $EUID -eq 0 ]] && command -v ldconfig >/dev/null 2>&1; then
        ldconfig
    fi
    echo "uninstalled libpkt from $STAGE"
    exit 0
fi

VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
MAJOR=${VERSION%%.*}
[[ $VERSION =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "install.sh: no version in Cargo.toml" >&2; exit 1; }

ensure_tools cc:gcc strip:binutils install:coreutils
if ((build)); then
    command -v cargo >/dev/null 2>&1 || { echo "install.sh: cargo not found (https://rustup.rs)" >&2; exit 1; }
    cargo build --release
    bash scripts/compat-lib.sh release >/dev/null
fi
LIB="$ROOT/target/release"
for f in "$LIB/libpkt.so" "$LIB/libpkt.a" include/pkt.h "$LIB/compat/libpcap.so.0.8"; do
    [[ -f $f ]] || { echo "install.sh: $f is missing: build first (cargo build --release)" >&2; exit 1; }
done

# The tools: each C program linked with libpkt.a and the system libraries it needs, as the .pc
# file and the CMake package below spell them too: from scripts/static-libs.txt.
# pktdump is tools/pktdump/*.c; bpfc is examples/bpfc.c.
STATIC_LIBS=$(bash scripts/static-libs.sh)                     # -lpthread -ldl ...
STATIC_NAMES=$(bash scripts/static-libs.sh names | tr ' ' ';')   # pthread;dl;... for CMake
TOOLS_BUILD="$ROOT/build/install-tools"
mkdir -p "$TOOLS_BUILD"
for tool in pktdump bpfc; do
    if [[ -d tools/$tool ]]; then
        srcs=("tools/$tool"/*.c)
    else
        srcs=("examples/$tool.c")
    fi
    cc -O2 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -I include -o "$TOOLS_BUILD/$tool" \
        "${srcs[@]}" "$LIB/libpkt.a" $STATIC_LIBS
done

# What was installed, relative to the prefix; directories made are noted as "d DIR".
declare -a manifest=()
mkdirs() {
    local rel=$1 parts="" part
    IFS=/ read -r -a comps <<<"$rel"
    for part in "${comps[@]}"; do
        parts=${parts:+$parts/}$part
        if [[ ! -d $STAGE/$parts ]]; then
            install -d -m 0755 "$STAGE/$parts"
            manifest+=("d $parts")
        fi
    done
}
put() { # put MODE SRC REL
    mkdirs "$(dirname "$3")"
    install -m "$1" "$2" "$STAGE/$3"
    manifest+=("$3")
}
link() { # link TARGET REL
    ln -sfn "$1" "$STAGE/$2"
    manifest+=("$2")
}

if [[ ! -d $STAGE ]]; then
    mkdir -p "$STAGE"
    manifest+=("d .")
fi
put 0644 include/pkt.h include/pkt.h
put 0755 "$LIB/libpkt.so" "lib/libpkt.so.$VERSION"
strip --strip-unneeded "$STAGE/lib/libpkt.so.$VERSION"
link "libpkt.so.$VERSION" "lib/libpkt.so.$MAJOR"
link "libpkt.so.$VERSION" lib/libpkt.so
put 0644 "$LIB/libpkt.a" lib/libpkt.a
strip --strip-debug "$STAGE/lib/libpkt.a"
for tool in pktdump bpfc; do
    put 0755 "$TOOLS_BUILD/$tool" "bin/$tool"
    strip "$STAGE/bin/$tool"
done
put 0755 "$LIB/compat/libpcap.so.0.8" lib/libpkt-compat/libpcap.so.0.8
strip --strip-unneeded "$STAGE/lib/libpkt-compat/libpcap.so.0.8"
link libpcap.so.0.8 lib/libpkt-compat/libpcap.so.1
put 0755 tools/pkt-run/pkt-run bin/pkt-run
put 0644 docs/pkt-run.1 share/man/man1/pkt-run.1
put 0644 docs/pktdump.1 share/man/man1/pktdump.1
put 0644 docs/libpkt.3 share/man/man3/libpkt.3

gen="$TOOLS_BUILD/gen"
mkdir -p "$gen"
cat >"$gen/libpkt.pc" <<EOF
prefix=$PREFIX
exec_prefix=\${prefix}
libdir=\${exec_prefix}/lib
includedir=\${prefix}/include

Name: libpkt
Description: Packet capture and injection on Linux over AF_PACKET memory-mapped rings
Version: $VERSION
Libs: -L\${libdir} -lpkt
Libs.private: $STATIC_LIBS
Cflags: -I\${includedir}
EOF
put 0644 "$gen/libpkt.pc" lib/pkgconfig/libpkt.pc

cat >"$gen/pktConfig.cmake" <<EOF
# find_package(pkt): imported targets pkt::pkt (libpkt.so) and pkt::pkt_static (libpkt.a with
# the system libraries it needs). Written by libpkt's scripts/install.sh; relocatable (paths are
# found from this file's place, PREFIX/lib/cmake/pkt).
get_filename_component(_pkt_prefix "\${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
if(NOT TARGET pkt::pkt)
  add_library(pkt::pkt SHARED IMPORTED)
  set_target_properties(pkt::pkt PROPERTIES
    IMPORTED_LOCATION "\${_pkt_prefix}/lib/libpkt.so.$VERSION"
    IMPORTED_SONAME "libpkt.so.$MAJOR"
    INTERFACE_INCLUDE_DIRECTORIES "\${_pkt_prefix}/include")
endif()
if(NOT TARGET pkt::pkt_static)
  add_library(pkt::pkt_static STATIC IMPORTED)
  set_target_properties(pkt::pkt_static PROPERTIES
    IMPORTED_LOCATION "\${_pkt_prefix}/lib/libpkt.a"
    INTERFACE_INCLUDE_DIRECTORIES "\${_pkt_prefix}/include"
    INTERFACE_LINK_LIBRARIES "$STATIC_NAMES")
endif()
set(pkt_VERSION "$VERSION")
unset(_pkt_prefix)
EOF
cat >"$gen/pktConfigVersion.cmake" <<EOF
# Compatibility of libpkt $VERSION with find_package(pkt VERSION): same major version and not
# older than asked; while the major version is 0, the same minor version too.
set(PACKAGE_VERSION "$VERSION")
set(PACKAGE_VERSION_COMPATIBLE FALSE)
if(NOT PACKAGE_FIND_VERSION OR
   (PACKAGE_FIND_VERSION_MAJOR EQUAL ${VERSION%%.*} AND
    NOT PACKAGE_FIND_VERSION VERSION_GREATER PACKAGE_VERSION AND
    (NOT ${VERSION%%.*} EQUAL 0 OR PACKAGE_FIND_VERSION_MINOR EQUAL $(echo "$VERSION" | cut -d. -f2))))
  set(PACKAGE_VERSION_COMPATIBLE TRUE)
  if(PACKAGE_FIND_VERSION VERSION_EQUAL PACKAGE_VERSION)
    set(PACKAGE_VERSION_EXACT TRUE)
  endif()
endif()
if(NOT CMAKE_SIZEOF_VOID_P STREQUAL "8")
  set(PACKAGE_VERSION_UNSUITABLE TRUE)
endif()
EOF
put 0644 "$gen/pktConfig.cmake" lib/cmake/pkt/pktConfig.cmake
put 0644 "$gen/pktConfigVersion.cmake" lib/cmake/pkt/pktConfigVersion.cmake

# The manifest: an earlier install's entries are kept (so that directories it made are still
# removed), this one's added.
mkdirs "$(dirname "$MANIFEST_REL")"
{
    [[ -f $MANIFEST ]] && cat "$MANIFEST"
    printf '%s\n' "${manifest[@]}"
} | awk '!seen[$0]++' >"$MANIFEST.new"
mv "$MANIFEST.new" "$MANIFEST"
chmod 0644 "$MANIFEST"

if [[ -z $DESTDIR && $EUID -eq 0 ]] && command -v ldconfig >/dev/null 2>&1; then
    ldconfig
fi
echo "installed libpkt $VERSION into $STAGE"
echo "  $PREFIX/bin/pkt-run tcpdump -i eth0      (tcpdump and other libpcap programs on libpkt)"
echo "  cc app.c \$(pkg-config --cflags --libs libpkt)     (PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig if needed)"
