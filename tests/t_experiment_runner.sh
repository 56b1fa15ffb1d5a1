#!/bin/sh
# t_experiment_runner.sh - what `convc run` does around the trainers, with a
# stand-in make and trainer (tests/experiments/fake/) so that it runs in
# seconds: parallel runs, a model that does not build (the others finish and
# the report marks it), a failing run, reuse of finished runs, a changed
# setting that retrains, resuming a run that stopped before evaluation, and
# a launcher prefix.
cd "$(dirname "$0")/.." || exit 2
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/root" && cp Makefile "$tmp/root/"
export CONVC_ROOT="$tmp/root"
export PATH="$PWD/tests/experiments/fake:$PATH"
out=$tmp/out
fail=0
check() { if ! "$@"; then echo "FAIL: $*"; fail=1; fi; }
run() { bin/convc run tests/experiments/runner.yaml --out "$out" "$@" >"$tmp/log" 2>&1; }

# Two jobs at once; 'broken' does not build: exit status 1, the rest finish.
run --jobs 2
check test $? -eq 1
check grep -q "\[build\] broken: FAILED" "$tmp/log"
check test -s "$out/runs/tiny_dense-s1/eval.json"
# Workers take the runs with the most FLOPs per image first.
check test "$(sed -n 's/^\[[0-9]*\/6\] \(.*\): started$/\1/p' "$tmp/log" | tr '\n' ,)" = \
    "tiny_cnn_k3 seed 1,tiny_cnn_k3 seed 2,tiny_dense seed 1,tiny_dense seed 2,"
check test -s "$out/runs/tiny_dense-s2/eval.json"
check test -s "$out/runs/tiny_cnn_k3-s2/viz/filters.png"
check test ! -e "$out/runs/tiny_dense-s1/viz"          # no conv layers, no pictures
check grep -q "^broken,broken,,1,failed," "$out/results.csv"
check grep -q "^tiny_cnn_k3,tiny_cnn_k3,3,2,ok,.*,0.850000,0.320000,1.5000,2,9$" "$out/results.csv"
check grep -q "| broken | 2 | FAILED: the trainer was not built" "$out/report.md"
check grep -q "| tiny_dense | tiny_dense | — | 12,730 | 0.03 | 81.50% ± 0.71 |" "$out/report.md"

# A rerun reuses the four finished runs.
run
check test "$(grep -c 'finished earlier, reused' "$tmp/log")" -eq 4

# A failing run is reported; the other runs are still reused.
rm "$out/runs/tiny_cnn_k3-s1/eval.json" "$out/runs/tiny_cnn_k3-s1/model.ckpt"
FAKE_TRAIN_FAIL=tiny_cnn_k3 run
check test $? -eq 1
check grep -q "tiny_cnn_k3 seed 1: FAILED: training failed (exit status 1)" "$tmp/log"
check grep -q "\*\*tiny_cnn_k3\*\* seed 1 did not finish: training failed" "$out/report.md"
check test "$(grep -c 'finished earlier, reused' "$tmp/log")" -eq 3

# Stopped after training, before evaluation: resumes from the checkpoint.
run
check grep -q "tiny_cnn_k3 seed 1: done" "$tmp/log"
rm "$out/runs/tiny_dense-s2/eval.json"
run
check grep -q "tiny_dense seed 2: resuming from" "$tmp/log"
check grep -q "fake: resumed from" "$out/runs/tiny_dense-s2/train.log"

# A changed setting (epochs) retrains every run.
run --epochs 3
check test "$(grep -c 'finished earlier, reused' "$tmp/log")" -eq 0
check grep -q "^tiny_dense,tiny_dense,,1,ok,.*,3,6$" "$out/results.csv"

# The dry run prints the commands and touches nothing.
rm -rf "$out"
bin/convc run tests/experiments/runner.yaml --out "$out" --dry-run >"$tmp/log" 2>&1
check test $? -eq 0
check test ! -e "$out"
check grep -q -- "train --epochs 2 --batch 16 --lr 0.001 --optimizer adam --seed 2 --threads 1 --limit-train 64 --limit-test 32" "$tmp/log"

# A launcher prefix runs every build and trainer command, here two at once.
rm -rf "$out"
FAKE_LAUNCH_LOG=$tmp/launch.log run --launcher "launch --tag t" --jobs 2
check test $? -eq 1
check test "$(grep -c "^make -s --no-print-directory -C $CONVC_ROOT SPEC=" "$tmp/launch.log")" -eq 3
check test "$(grep -c "/train train --epochs 2 " "$tmp/launch.log")" -eq 4
check test "$(grep -c "/train eval --weights " "$tmp/launch.log")" -eq 4
check test "$(grep -c "/train viz --weights " "$tmp/launch.log")" -eq 2
check grep -q "^tiny_cnn_k3,tiny_cnn_k3,3,2,ok," "$out/results.csv"

[ "$fail" -eq 0 ] && echo "experiment runner: all as expected"
exit "$fail"
