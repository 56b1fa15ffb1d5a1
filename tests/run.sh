#!/bin/sh
# run.sh - runs every test of the suite, TEST_JOBS (2) at a time, and prints the
# tally as its last line, "N passed, N failed"; the exit status is non-zero
# when a test failed.
#   build/tests/check_*        Check unit tests
#   build/asan/tests/check_*   the same under ASan+UBSan, where built
#   tests/t_*.sh               script tests (golden, errors, e2e ...)
# Each test's output goes to a file of its own and is printed whole, in the
# order above, so the log reads the same whatever ran at the same time.
# The longest tests (by the CPU seconds of the last run, kept in
# build/test-times) start first, so that none is left running alone at the end.
# A failing test does not stop the others.
cd "$(dirname "$0")/.." || exit 2
jobs=${TEST_JOBS:-2}
times=build/test-times

# run.sh --one DIR ID: runs task ID of DIR/tasks ("NAME COMMAND...") with
# its output in DIR/ID.log, then writes "STATUS SECONDS CPU-SECONDS" to
# DIR/ID.rc (CPU: user+sys of the test's processes, which, unlike the
# seconds, hardly depend on what else the machine runs).
if [ "$1" = --one ]; then
    dir=$2 id=$3
    # shellcheck disable=SC2046 # the task line is words
    set -- $(sed -n "${id}p" "$dir/tasks")
    shift
    start=$(date +%s)
    "$@" >"$dir/$id.log" 2>&1 </dev/null &
    child=$!
    echo $$ >"$dir/$id.pid"
    trap 'kill $child 2>/dev/null' TERM INT
    wait $child
    rc=$?
    # a signal interrupts the first wait; the second collects the status
    kill -0 $child 2>/dev/null && { wait $child; rc=$?; }
    # The second line of `times` (run here: a subshell has no children):
    # "XmY.YYs XmY.YYs", the user and sys time of the children.
    times >"$dir/$id.times"
    cpu=$(awk 'NR == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/)
                         printf "%d", u[1] * 60 + u[2] + s[1] * 60 + s[2] + 0.5 }' "$dir/$id.times")
    # (DIR is gone when the suite was stopped)
    { echo "$rc $(( $(date +%s) - start )) $cpu" >"$dir/$id.tmp" &&
      mv "$dir/$id.tmp" "$dir/$id.rc"; } 2>/dev/null
    exit 0
fi

dir=$(mktemp -d /tmp/convc_tests.XXXXXX) || exit 2
pool=""
stop() {
    [ -n "$pool" ] && kill "$pool" 2>/dev/null
    for p in "$dir"/*.pid; do
        [ -f "$p" ] && [ ! -f "${p%.pid}.rc" ] && kill "$(cat "$p")" 2>/dev/null
    done
}
trap 'stop; rm -rf "$dir"' EXIT
trap 'exit 130' INT TERM

n=0
: >"$dir/tasks"
add() { n=$((n + 1)); echo "$*" >>"$dir/tasks"; }
for t in build/tests/check_*; do
    [ -x "$t" ] && add "$(basename "$t")" "$t"
done
# Under ASan the codegen suite runs a reduced set (CODEGEN_REDUCED, see
# tests/check_codegen.c): what it leaves out compiles the same generated code
# again to check numerics, which the normal build does in full.
for t in build/asan/tests/check_*; do
    [ -x "$t" ] && add "asan/$(basename "$t")" env CODEGEN_REDUCED=1 "$t"
done
for t in tests/t_*.sh; do
    [ -f "$t" ] && add "$(basename "$t" .sh)" sh "$t"
done

# Longest first: the last run's CPU seconds, 0 for a test new since then
# (with no earlier run, the order above, which starts the codegen suite early).
i=0
while read -r name _; do
    i=$((i + 1))
    secs=$( [ -f "$times" ] && awk -v n="$name" '$1 == n { print $2 }' "$times")
    echo "${secs:-0} $i"
done <"$dir/tasks" | sort -k1,1nr -k2,2n | cut -d' ' -f2 >"$dir/order"
xargs -r -n 1 -P "$jobs" sh tests/run.sh --one "$dir" <"$dir/order" &
pool=$!

passed=0; failed=0; failures=""
: >"$dir/times"
i=0
while read -r name _; do
    i=$((i + 1))
    while [ ! -f "$dir/$i.rc" ]; do
        kill -0 "$pool" 2>/dev/null || [ -f "$dir/$i.rc" ] || { echo "run.sh: the pool stopped"; exit 2; }
        sleep 0.5
    done
    read -r rc secs cpu <"$dir/$i.rc"
    cat "$dir/$i.log"
    if [ "$rc" -eq 0 ]; then
        passed=$((passed + 1)); r=ok
    else
        failed=$((failed + 1)); r=FAIL; failures="$failures $name"
    fi
    echo "== $name: $r (${secs}s, CPU ${cpu}s)"
    echo "$name $cpu" >>"$dir/times"
done <"$dir/tasks"
wait "$pool"
pool=""
mkdir -p build && cp "$dir/times" "$times"
[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
