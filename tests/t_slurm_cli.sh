#!/bin/sh
# t_slurm_cli.sh - what `convc run --launcher slurm` submits, with stand-ins
# for sbatch, squeue and scancel (tests/slurm_fake/), so that it runs without a
# cluster: the sbatch command lines of the build, array and report jobs, the
# files the jobs read, a refused submission that cancels the jobs submitted
# before it, and the errors of the options and of `convc run-one`.  The jobs
# themselves run on a real cluster in tests/t_slurm.sh.
cd "$(dirname "$0")/.." || exit 2
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM
export PATH="$PWD/tests/slurm_fake:$PATH" FAKE_SLURM_LOG="$tmp/slurm.log"
yaml=tests/experiments/slurm.yaml
out=$tmp/out
fail=0
check() { if ! "$@"; then echo "FAIL: $*"; fail=1; fi; }
# expect STATUS COMMAND...: output in $tmp/out.txt, errors in $tmp/err.txt
expect() {
    want=$1; shift
    "$@" >"$tmp/out.txt" 2>"$tmp/err.txt" </dev/null
    got=$?
    [ "$got" -eq "$want" ] && return 0
    echo "FAIL: exit status $got, expected $want: $*"; cat "$tmp/out.txt" "$tmp/err.txt"
    fail=1; return 1
}
same() {    # same FILE TEXT
    [ "$(cat "$1")" = "$2" ] && return 0
    printf 'FAIL: %s is\n%s\n---- expected\n%s\n' "$1" "$(cat "$1")" "$2"; fail=1
}

expect 2 bin/convc run "$yaml" --launcher " " &&
    same "$tmp/err.txt" "convc run: --launcher takes 'slurm' or a command of 1 to 32 words to run make and the trainers with (e.g. 'srun -n1 -c2'), got ' '"
expect 2 bin/convc run "$yaml" --sbatch --time=5 &&
    same "$tmp/err.txt" "convc run: --sbatch needs --launcher slurm"

# The submission: three sbatch commands, the user's options after convc's.
expect 0 bin/convc run "$yaml" --out "$out" --launcher slurm --jobs 2 \
    --sbatch " --partition=p1   --time=5 "
abs=$(cd "$out" && pwd -P)
check grep -qx "\[slurm\] build jobs: 100" "$tmp/out.txt"
check grep -qx "\[slurm\] runs: job array 101 (2 tasks, at most 2 at once)" "$tmp/out.txt"
check grep -qx "\[slurm\] report: job 102" "$tmp/out.txt"
same "$FAKE_SLURM_LOG" "sbatch --parsable --job-name=convc-build-slurm_cnn_k3 --output=$abs/logs/slurm-build-%j.out --partition=p1 --time=5 $abs/slurm/job.sh --build slurm_cnn_k3
sbatch --parsable --job-name=convc-slurm --output=$abs/logs/slurm-%A_%a.out --array=0-1%2 --requeue --signal=B:USR2@120 --open-mode=append --cpus-per-task=1 --dependency=afterany:100 --partition=p1 --time=5 $abs/slurm/job.sh
sbatch --parsable --job-name=convc-slurm-report --output=$abs/logs/slurm-report-%j.out --dependency=afterany:101 --partition=p1 --time=5 $abs/slurm/job.sh --report"
check test -x "$out/slurm/job.sh"
check grep -qx "exec '$PWD/bin/convc' run-one '$abs' \"\$@\"" "$out/slurm/job.sh"
same "$out/slurm/command" "convc run command 1
$PWD
$yaml
--out
$out
--launcher
slurm
--jobs
2
--sbatch
 --partition=p1   --time=5 "
same "$out/slurm/jobs" "builds 100
runs 101
report 102"
check grep -q '"status": "pending"' "$out/experiment.json"
check test -s "$out/specs/slurm_cnn_k3.spec"
check test ! -e "$out/runs/slurm_cnn_k3-s1"

# convc run-one: its arguments, the saved command, the plan.
expect 2 bin/convc run-one "$out"
expect 2 bin/convc run-one "$out" -1
expect 1 bin/convc run-one "$tmp/none" 0 &&
    same "$tmp/err.txt" "convc run-one: $tmp/none/slurm/command: No such file or directory"
mkdir -p "$tmp/bad/slurm" && printf 'convc run command 9\n' >"$tmp/bad/slurm/command"
expect 1 bin/convc run-one "$tmp/bad" 0 &&
    same "$tmp/err.txt" "convc run-one: $tmp/bad/slurm/command: not a command saved by 'convc run --launcher slurm'"
printf 'convc run command 1\n' >"$tmp/bad/slurm/command"
expect 1 bin/convc run-one "$tmp/bad" 0 &&
    same "$tmp/err.txt" "convc run-one: $tmp/bad/slurm/command: no directory"
expect 1 bin/convc run-one "$out" 2 &&
    same "$tmp/out.txt" "convc run-one: run 2 does not exist (the experiment has 2)"
expect 1 bin/convc run-one "$out" --build nosuch &&
    same "$tmp/out.txt" "convc run-one: the experiment has no model 'nosuch'"
cp "$out/slurm/plan" "$tmp/plan"
sed 's/^epochs 2$/epochs 3/' "$tmp/plan" >"$out/slurm/plan"
expect 1 bin/convc run-one "$out" 0 &&
    same "$tmp/out.txt" "convc run-one: $out/slurm/plan: the experiment gives other runs than when it was submitted; submit the experiment again"
check test ! -e "$out/runs/slurm_cnn_k3-s1"

# A second submission while jobs of the first are queued is refused; once
# they have left the queue, it goes ahead.
: >"$FAKE_SLURM_LOG"
FAKE_SQUEUE=101 expect 1 bin/convc run "$yaml" --out "$out" --launcher slurm
check grep -qx "convc run: jobs of an earlier submission to $out are still in the queue (101); wait for them or cancel them: scancel 100 101 102" "$tmp/out.txt"
same "$FAKE_SLURM_LOG" "squeue --noheader --format=%i --jobs=100,101,102"
expect 0 bin/convc run "$yaml" --out "$out" --launcher slurm
check grep -qx "\[slurm\] report: job 102" "$tmp/out.txt"

# sbatch refuses the array: the build job submitted before is cancelled.
: >"$FAKE_SLURM_LOG"
FAKE_SBATCH_FAIL=convc-slurm expect 1 bin/convc run "$yaml" --out "$tmp/out2" --launcher slurm
check grep -qx "sbatch: error: Batch job submission failed: Invalid partition name specified" "$tmp/err.txt"
check grep -qx "convc run: sbatch failed (exit status 1)" "$tmp/out.txt"
check grep -qx "convc run: the jobs submitted before (100) were cancelled" "$tmp/out.txt"
check grep -qx "scancel 100" "$FAKE_SLURM_LOG"

[ "$fail" -eq 0 ] && echo "slurm command line: submissions and errors as expected"
exit "$fail"
