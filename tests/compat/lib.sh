# shellcheck shell=bash
# Shared by the tests of tests/compat/ (sourced, not run): the two sides of each differential,
# the counters every test prints in its summary, and the missing-tool rule.
#
# The two sides: "ref" runs a program on the system's libpcap (LD_LIBRARY_PATH unset); "compat"
# runs the same program with LD_LIBRARY_PATH=$COMPAT_LIB_DIR (default target/release/compat,
# which `bash scripts/compat-lib.sh release` fills). COMPAT_REF=1 points the compat side at an
# empty directory instead, so both sides are libpcap: the harness checking itself (every case
# must then agree).
#
# Environment: COMPAT_LIB_DIR, COMPAT_REF, COMPAT_OUT (where outputs go; default build/compat),
# CI (true: a missing tool fails instead of skipping).

CT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck disable=SC2034 # CT_DIR and CT_REF_LIB are for the scripts that source this file
CT_DIR="$CT_ROOT/tests/compat"
CT_OUT_BASE="${COMPAT_OUT:-$CT_ROOT/build/compat}"
# shellcheck disable=SC2034
CT_REF_LIB=/usr/lib/x86_64-linux-gnu/libpcap.so.0.8
if [[ "${COMPAT_REF:-0}" == 1 ]]; then
    CT_COMPAT_DIR="$CT_OUT_BASE/empty-libdir"
    mkdir -p "$CT_COMPAT_DIR"
else
    CT_COMPAT_DIR="${COMPAT_LIB_DIR:-$CT_ROOT/target/release/compat}"
fi
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ in tests/compat
CT_CASES=0
CT_DIFFS=0
CT_NAME=""
CT_OUT=""

# ct_init NAME: the test's name (summary lines, output directory build/compat/NAME, emptied).
ct_init() {
    CT_NAME=$1
    CT_OUT="$CT_OUT_BASE/$1"
    rm -rf "$CT_OUT"
    mkdir -p "$CT_OUT"
    : >"$CT_OUT/failed.txt"
    if [[ "${COMPAT_REF:-0}" == 1 ]]; then
        echo "$CT_NAME: COMPAT_REF=1: both sides are the system's libpcap (harness self-check)"
    elif [[ ! -e "$CT_COMPAT_DIR/libpcap.so.0.8" ]]; then
        echo "$CT_NAME: no $CT_COMPAT_DIR/libpcap.so.0.8: run bash scripts/compat-lib.sh release" >&2
        exit 1
    fi
}

# ct_skip_or_fail MESSAGE: a test that cannot run skips (exit 77), or fails with CI=true.
ct_skip_or_fail() {
    if [[ "${CI:-}" == true ]]; then
        echo "$CT_NAME: FAIL (CI=true): $1" >&2
        exit 1
    fi
    echo "$CT_NAME: SKIP: $1" >&2
    exit 77
}

# ct_need CMD...: every command must exist (see ct_skip_or_fail).
ct_need() {
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || ct_skip_or_fail "$c is missing (scripts/test.sh tools installs it)"
    done
    if [[ $EUID -ne 0 ]]; then
        ct_skip_or_fail "needs root (network namespaces, raw sockets)"
    fi
}

# The environment of each side, as a command prefix (for `ip netns exec NS "${CT_ENV_ref[@]}" CMD`).
# shellcheck disable=SC2034
CT_ENV_ref=(env -u LD_LIBRARY_PATH)
# shellcheck disable=SC2034
CT_ENV_compat=(env "LD_LIBRARY_PATH=$CT_COMPAT_DIR")

# ct_env_of SIDE: sets CT_ENV to SIDE's prefix (ref or compat).
# shellcheck disable=SC2034 # CT_ENV is for the caller
ct_env_of() {
    case $1 in
    ref) CT_ENV=("${CT_ENV_ref[@]}") ;;
    compat) CT_ENV=("${CT_ENV_compat[@]}") ;;
    *) echo "ct_env_of: no side '$1'" >&2; return 2 ;;
    esac
}

# ct_ref CMD... / ct_compat CMD...: CMD on the system's libpcap / on the compat library.
ct_ref() {
    env -u LD_LIBRARY_PATH "$@"
}
ct_compat() {
    env LD_LIBRARY_PATH="$CT_COMPAT_DIR" "$@"
}

# ct_fail CASE MESSAGE: a case that differs (or fails outright); counted, listed, printed.
ct_fail() {
    CT_DIFFS=$((CT_DIFFS + 1))
    printf '%s\n' "$1" >>"$CT_OUT/failed.txt"
    printf 'DIFFER %s: %s\n' "$1" "$2"
}

# ct_same CASE REF_FILE COMPAT_FILE: one case compared; a difference prints a short diff
# (CT_DIFF_LINES lines, default 16). Always returns 0: the counters carry the verdict.
ct_same() {
    CT_CASES=$((CT_CASES + 1))
    if ! cmp -s "$2" "$3"; then
        ct_fail "$1" "$(basename "$2") vs $(basename "$3")"
        local d
        d=$(diff -u --label "ref:$1" --label "compat:$1" "$2" "$3" || true)
        if [[ $d == Binary* ]]; then
            d="$d"$'\n'"$( (cmp -l "$2" "$3" 2>&1 || true) | sed -n 1,8p)"
        fi
        head -n "${CT_DIFF_LINES:-16}" <<<"$d" | cut -c 1-200 | sed 's/^/    /'
    fi
}

# ct_check CASE DESCRIPTION CMD...: one case that is an assertion rather than a diff (returns 0).
ct_check() {
    local name=$1 what=$2
    shift 2
    CT_CASES=$((CT_CASES + 1))
    if ! "$@"; then
        ct_fail "$name" "$what"
    fi
}

# ct_wait_for SECONDS CMD...: polls CMD (every 20 ms) until it succeeds; 1 at the deadline.
ct_wait_for() {
    local end=$((SECONDS + $1)) i
    shift
    for ((i = 0; ; i++)); do
        "$@" && return 0
        ((SECONDS < end)) || return 1
        sleep 0.02
    done
}

# ct_summary: the test's closing lines; exit status 1 when a case differed.
ct_summary() {
    local passed=$((CT_CASES - CT_DIFFS))
    echo "$CT_NAME: $CT_CASES cases compared, $CT_DIFFS differences (list: $CT_OUT/failed.txt)"
    echo "$CT_NAME: $passed passed, $CT_DIFFS failed"
    ((CT_DIFFS == 0))
}
