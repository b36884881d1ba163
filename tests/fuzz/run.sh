#!/usr/bin/env bash
# Fuzzes libpkt's savefile reader with libFuzzer (tests/fuzz/fuzz_savefile.c), for longer runs
# than the seeded mutation tests CI runs (src/savefile/tests.rs, c-tests/test_offline_diff.c):
#
#   tests/fuzz/run.sh [SECONDS [JOBS]]     (default 60 s, 1 job)
#
# Installs clang when missing, builds libpkt, seeds the corpus with files libpkt's writer and
# c-tests/gen_savefiles.py make, and keeps what libFuzzer finds in build/fuzz/corpus (crashes in
# build/fuzz/crash-*). Any crash, hang (over 10 s) or leak fails the run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SECONDS_TO_RUN=${1:-60}
JOBS=${2:-1}
command -v clang >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang; }
command -v python3 >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3; }
(cd "$ROOT" && cargo build --release -q)
OUT="$ROOT/build/fuzz"
mkdir -p "$OUT/corpus" "$OUT/seeds"
clang -g -O1 -fsanitize=fuzzer,address,undefined -I"$ROOT/include" -o "$OUT/fuzz_savefile" \
    "$ROOT/tests/fuzz/fuzz_savefile.c" "$ROOT/target/release/libpkt.a" $(bash "$ROOT/scripts/static-libs.sh")
# Seeds: the generator's files (both byte orders, pcapng with several sections and interfaces).
python3 "$ROOT/c-tests/gen_savefiles.py" "$OUT/seeds" >/dev/null
find "$OUT/seeds" -type f -size -64k -exec cp -n {} "$OUT/corpus/" \;
cd "$OUT"
./fuzz_savefile -max_total_time="$SECONDS_TO_RUN" -timeout=10 -rss_limit_mb=1024 -max_len=65536 \
    -jobs="$JOBS" -workers="$JOBS" corpus
