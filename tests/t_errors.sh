#!/bin/sh
# t_errors.sh - the golden error corpus.  Each tests/errors/X.spec must make
# `convc summary` exit with status 1, write exactly tests/errors/X.err to
# standard error and nothing to standard output.  Each tests/warnings/X.spec
# must compile (status 0, a summary on standard output) with exactly
# tests/warnings/X.err on standard error.
#   UPDATE=1 sh tests/t_errors.sh   rewrites the .err files (review the diff)
cd "$(dirname "$0")/.." || exit 2
convc=${CONVC:-bin/convc}
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM
total=0; failed=0
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }
# golden SPEC STATUS: runs `convc summary SPEC`, expects STATUS, and its
# standard error to be exactly SPEC's .err (rewritten first with UPDATE).
# Status 1 (an error) writes nothing to standard output; status 0 (a warning)
# prints the summary and at least one warning.
golden() {
    spec=$1 want=$2 golden=${1%.spec}.err
    total=$((total + 1))
    "$convc" summary "$spec" >"$tmp/out" 2>"$tmp/err"
    status=$?
    if [ -n "$UPDATE" ]; then
        cp "$tmp/err" "$golden"
    fi
    if [ "$status" -ne "$want" ]; then
        fail "$spec" "exit status $status, expected $want"
    elif [ "$want" -eq 1 ] && [ -s "$tmp/out" ]; then
        fail "$spec" "wrote to standard output"
    elif [ "$want" -eq 0 ] && { [ ! -s "$tmp/out" ] || ! grep -q ': warning: ' "$tmp/err"; }; then
        fail "$spec" "no summary or no warning"
    elif [ ! -f "$golden" ]; then
        fail "$spec" "no $golden"
    elif ! cmp -s "$golden" "$tmp/err"; then
        fail "$spec" "standard error differs from $golden:"
        diff -u "$golden" "$tmp/err" | head -20
    fi
}
for spec in tests/errors/*.spec; do
    golden "$spec" 1
done
for spec in tests/warnings/*.spec; do
    golden "$spec" 0
done
for golden in tests/errors/*.err tests/warnings/*.err; do
    [ -f "${golden%.err}.spec" ] || fail "$golden" "has no .spec"
done
# `check` reports the same errors, also for several files at once.
"$convc" check tests/errors/kernel_too_big.spec tests/errors/empty.spec >"$tmp/out" 2>"$tmp/err"
status=$?
cat tests/errors/kernel_too_big.err tests/errors/empty.err >"$tmp/both"
[ "$status" -eq 1 ] && [ ! -s "$tmp/out" ] && cmp -s "$tmp/both" "$tmp/err" \
    || fail "check FILE FILE" "status $status or output differs"
echo "t_errors: $total specs, $failed failed"
[ "$failed" -eq 0 ]
