#!/usr/bin/env bash
# Compiles every C program shown in the documentation (the ```c blocks that define main) against
# include/pkt.h and links it with libpkt.a, with -Wall -Wextra -Werror: a guide whose example
# does not build is a bug. Used by scripts/test.sh's examples step.
#
#   scripts/doc-snippets.sh [FILE.md ...]     (default: README.md docs/*.md)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
(($# > 0)) || set -- README.md docs/*.md
out="$ROOT/build/doc-snippets"
rm -rf "$out"
mkdir -p "$out"
n=0
for md in "$@"; do
    # Each ```c ... ``` block into its own file, named after the document and the block's place.
    awk -v dir="$out" -v base="$(basename "$md" .md)" '
        /^```c[[:space:]]*$/ { inblock = 1; k++; file = sprintf("%s/%s-%d.c", dir, base, k); next }
        /^```/ && inblock { inblock = 0; close(file); next }
        inblock { print > file }
    ' "$md"
done
for c in "$out"/*.c; do
    [[ -e $c ]] || continue
    grep -q 'int main' "$c" || continue # a fragment, not a program
    cc -std=gnu11 -Wall -Wextra -Werror -I"$ROOT/include" -o "${c%.c}" "$c" \
        "$ROOT/target/release/libpkt.a" $(bash "$ROOT/scripts/static-libs.sh")
    n=$((n + 1))
    echo "doc-snippets: $(basename "$c") builds"
done
((n > 0)) || { echo "doc-snippets: no program found in $*" >&2; exit 1; }
