#!/bin/sh
# t_slurm.sh - `convc run --launcher slurm` on a private one-node Slurm
# cluster that the test starts and stops itself (tests/slurm_cluster.sh):
# an experiment of one tiny CNN and two seeds runs as build, array and
# report jobs; every run is ok and the report is written; the checkpoints
# and evaluations are the bytes of a local `convc run`; and a run that gets
# the warning signal in its second epoch saves its checkpoint, requeues
# itself and resumes to the same bytes; submitted again, every run is reused.
cd "$(dirname "$0")/.." || exit 2
PATH=$PATH:/usr/sbin
for prog in munged slurmctld slurmd sbatch squeue scancel scontrol sinfo; do
    command -v "$prog" >/dev/null 2>&1 || {
        echo "SKIP: $prog is not installed (make deps installs munge, slurmctld, slurmd, slurm-client)"
        exit 0
    }
done
. tests/slurm_cluster.sh
tmp=$(mktemp -d) || exit 2
runner=""
cleanup() {
    [ -n "$runner" ] && kill "$runner" 2>/dev/null && wait "$runner" 2>/dev/null
    cluster_stop || status=1
    rm -rf "$tmp"
}
trap 'cleanup; exit $status' EXIT
trap 'exit 1' INT TERM
status=1
fail=0
check() { if ! "$@"; then echo "FAIL: $*"; fail=1; fi; }
yaml=tests/experiments/slurm.yaml
out=$tmp/out
run=slurm_cnn_k3

# The reference: a local run into the same directory (the checkpoint names
# its spec file), kept aside; then the runs are removed to run again.
if ! bin/convc run "$yaml" --out "$out" --quiet --no-report >"$tmp/local.log" 2>&1; then
    echo "FAIL: the local run failed:"; cat "$tmp/local.log"; exit
fi
mkdir -p "$tmp/ref"
for s in 1 2; do
    cp "$out/runs/$run-s$s/model.ckpt" "$tmp/ref/s$s.ckpt"
    cp "$out/runs/$run-s$s/eval.json" "$tmp/ref/s$s.json"
done
rm -rf "$out/runs"

chmod 0755 "$tmp"       # munged wants every directory above its socket open
mkdir "$tmp/cluster"
cluster_start "$tmp/cluster" || exit

# Submit and wait in the background; stop seed 1 in its second epoch.
bin/convc run "$yaml" --out "$out" --launcher slurm --jobs 2 --wait \
    --sbatch "--time=10 --nice=0" >"$tmp/slurm.log" 2>&1 &
runner=$!
history=$out/runs/$run-s1/history.csv
i=0
until [ -f "$out/slurm/jobs" ] && [ "$(grep -c . "$history" 2>/dev/null)" = 2 ]; do
    i=$((i + 1))
    if [ $i -gt 1500 ] || ! kill -0 "$runner" 2>/dev/null; then
        echo "FAIL: seed 1 did not finish its first epoch:"; cat "$tmp/slurm.log"
        squeue; cat "$out"/logs/slurm-*.out; exit
    fi
    sleep 0.1
done
array=$(sed -n 's/^runs //p' "$out/slurm/jobs")
check scancel --batch --signal=USR2 "${array}_0"

# A guard against a hang, not a time limit: Slurm restarts the requeued task
# after about 11 s.
i=0
while kill -0 "$runner" 2>/dev/null && [ $i -lt 3000 ]; do i=$((i + 1)); sleep 0.1; done
kill -0 "$runner" 2>/dev/null && { echo "FAIL: the jobs did not end:"; squeue; exit; }
wait "$runner"
rc=$?
runner=""
check test "$rc" -eq 0
[ "$rc" -eq 0 ] || { cat "$tmp/slurm.log"; cat "$out"/logs/slurm-*.out; }
check grep -q "^\[slurm\] runs: job array $array (2 tasks, at most 2 at once)$" "$tmp/slurm.log"
check grep -q "^experiment slurm: done; report: $out/report.md$" "$tmp/slurm.log"
check test "$(grep -c "^$run,CNN,[^,]*,[12],ok," "$out/results.csv")" -eq 2
check test -s "$out/report.md"
check test -s "$out/runs/$run-s2/viz/filters.png"
for s in 1 2; do
    check cmp "$tmp/ref/s$s.ckpt" "$out/runs/$run-s$s/model.ckpt"
    check cmp "$tmp/ref/s$s.json" "$out/runs/$run-s$s/eval.json"
done
# Seed 1 stopped in epoch 2, requeued itself, and resumed from its checkpoint.
log=$out/logs/slurm-${array}_0.out
check grep -q "stopped by SIGTERM at epoch 2, batch" "$out/runs/$run-s1/train.log"
check grep -q "stopped by the warning signal (SIGUSR2), checkpoint saved; requeueing job" "$log"
check grep -q "seed 1: resuming from" "$log"
scontrol show job "${array}_0" >"$tmp/task0"
check grep -q "Restarts=1 " "$tmp/task0"
check test "$(grep -c . "$history")" -eq 3

# Submitted again once those jobs have ended: every run is reused.
bin/convc run "$yaml" --out "$out" --launcher slurm --wait >"$tmp/again.log" 2>&1
check test $? -eq 0
array=$(sed -n 's/^runs //p' "$out/slurm/jobs")
check grep -q "seed 2: finished earlier, reused" "$out/logs/slurm-${array}_1.out"
check cmp "$tmp/ref/s2.ckpt" "$out/runs/$run-s2/model.ckpt"

[ "$fail" -eq 0 ] && echo "slurm: 2 runs as a job array, one requeued, bytes as a local run"
status=$fail
