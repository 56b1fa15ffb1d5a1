#!/bin/sh
# t_run.sh - tests/run.sh itself, on stand-in tests in a scratch tree: two
# tests run at the same time, each test's output is printed whole and in the
# listed order whatever finished first, a failure is counted and named, the
# last line is the tally CI reads, and the exit status says whether all passed.
cd "$(dirname "$0")/.." || exit 2
W=$(mktemp -d /tmp/t_run.XXXXXX) || exit 2
trap 'rm -rf "$W"' EXIT
fail=0
bad() { echo "t_run: FAIL: $*"; fail=1; }

mkdir -p "$W/tests" "$W/build/tests"
cp tests/run.sh "$W/tests/"
# check_a and check_b wait for each other: they pass only when run together.
# check_a finishes last but is listed first.
meet() {
    printf '#!/bin/sh\necho "%s: one"\ntouch "%s/%s.up"\ni=0\n' "$1" "$W" "$1"
    printf 'while [ ! -f "%s/%s.up" ]; do i=$((i + 1)); [ $i -lt 200 ] || exit 1; sleep 0.05; done\n' "$W" "$2"
    printf 'sleep %s\necho "%s: two"\n' "$3" "$1"
}
meet check_a check_b 1 >"$W/build/tests/check_a"
meet check_b check_a 0 >"$W/build/tests/check_b"
chmod +x "$W/build/tests/check_a" "$W/build/tests/check_b"
printf 'echo "t_x: broken"\nexit 3\n' >"$W/tests/t_x.sh"

(cd "$W" && sh tests/run.sh) >"$W/out" 2>&1
status=$?
[ "$status" -ne 0 ] || bad "a failing test gave exit status 0"
cat >"$W/want" <<'EOF'
check_a: one
check_a: two
== check_a: ok
check_b: one
check_b: two
== check_b: ok
t_x: broken
== t_x: FAIL
failed: t_x
2 passed, 1 failed
EOF
sed 's/ (.*s)$//' "$W/out" | diff -u "$W/want" - || bad "output differs (above)"

# All passing: exit status 0, and the times of the run are kept.
rm "$W/tests/t_x.sh" "$W"/*.up
(cd "$W" && sh tests/run.sh) >"$W/out" 2>&1 || bad "all passing gave exit status $?"
[ "$(tail -n 1 "$W/out")" = "2 passed, 0 failed" ] || bad "last line: $(tail -n 1 "$W/out")"
grep -q "^check_a [0-9]" "$W/build/test-times" || bad "no build/test-times"

[ $fail -eq 0 ] && echo "t_run: ok"
exit $fail
