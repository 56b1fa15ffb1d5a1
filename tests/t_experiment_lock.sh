#!/bin/sh
# t_experiment_lock.sh - one runner per output directory, and no trainer
# outlives its runner (with the stand-in make and trainer of
# tests/experiments/fake/, whose training takes FAKE_TRAIN_SLEEP tenths of a
# second): a second `convc run` on the same directory refuses and names the
# first one's pid; after `kill -9` of the runner its trainer stops too, in
# the serial and in the parallel (--jobs 2) runner.  Only processes this
# script starts are signalled.
cd "$(dirname "$0")/.." || exit 2
tmp=$(mktemp -d) || exit 2
started=""
cleanup() {
    for p in $started; do kill -9 "$p" 2>/dev/null; done
    if [ -f "$tmp/pids" ]; then
        for p in $(cat "$tmp/pids"); do kill -9 "$p" 2>/dev/null; done
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/root" && cp Makefile "$tmp/root/"
export CONVC_ROOT="$tmp/root"
export PATH="$PWD/tests/experiments/fake:$PATH"
export FAKE_TRAIN_PIDS="$tmp/pids"
out=$tmp/out
fail=0
check() { if ! "$@"; then echo "FAIL: $*"; fail=1; fi; }

# Waits up to 10 s for a trainer to write its pid; prints the newest.
trainer_pid() {
    i=0
    while [ "$i" -lt 100 ]; do
        [ -s "$tmp/pids" ] && { tail -n 1 "$tmp/pids"; return 0; }
        sleep 0.1; i=$((i + 1))
    done
    return 1
}
# 0 once process $1 is gone (waits up to 5 s).
gone() {
    i=0
    while [ "$i" -lt 50 ]; do
        kill -0 "$1" 2>/dev/null || return 0
        sleep 0.1; i=$((i + 1))
    done
    return 1
}

for jobs in 1 2; do
    rm -rf "$out" "$tmp/pids"
    FAKE_TRAIN_SLEEP=300 bin/convc run tests/experiments/runner.yaml --out "$out" \
        --jobs "$jobs" --no-report >"$tmp/first.log" 2>&1 &
    runner=$!
    started="$started $runner"
    trainer=$(trainer_pid) || { echo "FAIL: jobs $jobs: no trainer started"; cat "$tmp/first.log"; fail=1; continue; }

    # A second runner on the same directory refuses, naming the first.
    bin/convc run tests/experiments/runner.yaml --out "$out" --no-report >"$tmp/second.log" 2>&1
    check test $? -eq 1
    echo "convc run: $out is in use by another 'convc run' (pid $runner) or the trainers it started; wait for it, stop it, or give --wait" >"$tmp/expected"
    check diff -u "$tmp/expected" "$tmp/second.log"

    # The runner killed outright: its trainer gets SIGTERM and stops.
    kill -9 "$runner"
    wait "$runner" 2>/dev/null
    check gone "$trainer"
done

# With the runner and its trainers gone, the directory is free again.
bin/convc run tests/experiments/runner.yaml --out "$out" --no-report >"$tmp/third.log" 2>&1
check grep -q "tiny_dense seed 1: done" "$tmp/third.log"
check test -z "$(grep 'in use' "$tmp/third.log")"

[ "$fail" -eq 0 ] && echo "experiment lock: all as expected"
exit "$fail"
