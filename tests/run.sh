#!/bin/sh
# run.sh - run every test of the suite and print the tally.
#   build/tests/check_*        Check unit tests (then again under ASan+UBSan)
#   tests/t_*.sh               script tests (golden, errors, e2e ...)
# Each prints its own details; a failing one does not stop the others.
cd "$(dirname "$0")/.." || exit 2
passed=0; failed=0; failures=""
run() {
    name=$1; shift
    start=$(date +%s)
    if "$@"; then
        passed=$((passed + 1)); r=ok
    else
        failed=$((failed + 1)); r=FAIL; failures="$failures $name"
    fi
    echo "== $name: $r ($(( $(date +%s) - start ))s)"
}
for t in build/tests/check_*; do
    [ -x "$t" ] && run "$(basename "$t")" "$t"
done
for t in build/asan/tests/check_*; do
    [ -x "$t" ] && run "asan/$(basename "$t")" "$t"
done
for t in tests/t_*.sh; do
    [ -f "$t" ] && run "$(basename "$t" .sh)" sh "$t"
done
[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
