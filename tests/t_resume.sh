#!/bin/sh
# t_resume.sh - nothing is lost: a run killed with SIGKILL in the middle of
# an epoch, resumed from its last checkpoint, ends with the same bytes as an
# uninterrupted run; so do runs stopped by SIGTERM, SIGINT and --steps.
cd "$(dirname "$0")/.." || exit 2
T=${FIXTURE_TRAINER:-build/tests/fixture_trainer}
[ -x "$T" ] || { echo "t_resume: $T not built (make unit-tests)"; exit 1; }
W=$(mktemp -d /tmp/t_resume.XXXXXX)
trap 'rm -rf "$W"' EXIT
fail=0
bad() { echo "t_resume: FAIL: $*"; fail=1; }

# 2,400 images = 75 batches an epoch; a checkpoint every 10 batches.
RUN="--limit-train 2400 --limit-test 200 --epochs 6 --threads 2 --save-every 10 --quiet"
$T $RUN --save "$W/ref.ckpt" || { echo "t_resume: reference run failed"; exit 1; }

# Starts a run in the background, waits until its first checkpoint exists,
# lets it go on for $2 seconds, sends signal $1; prints the exit status.
interrupt() {
    sig=$1 delay=$2 ckpt=$3
    rm -f "$ckpt"
    $T $RUN --save "$ckpt" 2>>"$W/stderr" &
    pid=$!
    i=0
    while [ ! -f "$ckpt" ] && [ $i -lt 3000 ]; do sleep 0.01; i=$((i + 1)); done
    sleep "$delay"
    kill -"$sig" $pid 2>/dev/null
    { wait $pid; } 2>/dev/null
    echo $?
}

# SIGKILL at several points; each must resume to the reference bytes.
killed=0
for delay in 0 0.03 0.1 0.2; do
    status=$(interrupt KILL $delay "$W/k.ckpt")
    if [ "$status" -eq 137 ]; then killed=$((killed + 1))
    else echo "t_resume: note: the run ended (status $status) before SIGKILL after ${delay}s"; fi
    [ -f "$W/k.ckpt" ] || { bad "no checkpoint after SIGKILL (delay $delay)"; continue; }
    $T --resume "$W/k.ckpt" --quiet || bad "resume after SIGKILL (delay $delay) failed"
    cmp "$W/ref.ckpt" "$W/k.ckpt" || bad "SIGKILL after ${delay}s: resumed weights differ"
done

[ $killed -gt 0 ] || bad "no SIGKILL landed while the run was going"

# SIGTERM and SIGINT: checkpoint at the next batch, exit 143 / 130.
status=$(interrupt TERM 0.1 "$W/t.ckpt")
[ "$status" -eq 143 ] || bad "SIGTERM: exit status $status, expected 143"
$T --resume "$W/t.ckpt" --quiet && cmp "$W/ref.ckpt" "$W/t.ckpt" || bad "SIGTERM: resume differs"
status=$(interrupt INT 0.1 "$W/i.ckpt")
[ "$status" -eq 130 ] || bad "SIGINT: exit status $status, expected 130"
$T --resume "$W/i.ckpt" --quiet && cmp "$W/ref.ckpt" "$W/i.ckpt" || bad "SIGINT: resume differs"

# --steps stops mid-epoch, deterministically; resume in two more pieces.
$T $RUN --save "$W/s.ckpt" --steps 100 || bad "--steps run failed"
$T --resume "$W/s.ckpt" --steps 123 --quiet || bad "second piece failed"
$T --resume "$W/s.ckpt" --quiet || bad "last piece failed"
cmp "$W/ref.ckpt" "$W/s.ckpt" || bad "--steps pieces differ from one run"

# A resumed run keeps the history rows of the epochs it did not redo.
$T $RUN --save "$W/h.ckpt" --history "$W/h.csv" --steps 200
$T --resume "$W/h.ckpt" --history "$W/h.csv" --quiet
[ "$(cut -d, -f1 "$W/h.csv" | tr '\n' ' ')" = "epoch 1 2 3 4 5 6 " ] \
    || bad "history after resume: $(cut -d, -f1 "$W/h.csv" | tr '\n' ' ')"

# The evaluation settings are the run's: a resumed run evaluates on the
# checkpoint's --limit-test images, and refuses another number.
$T $RUN --save "$W/e.ckpt" --steps 10
$T --resume "$W/e.ckpt" --steps 1 > "$W/out" 2>&1 || bad "resume without --limit-test failed"
grep -q "training images (validation split 0), 200 test images" "$W/out" \
    || bad "resume without --limit-test: $(head -1 "$W/out")"
$T --resume "$W/e.ckpt" --limit-test 300 --quiet > "$W/out" 2>&1
[ $? -eq 2 ] || bad "--limit-test 300 against a checkpoint of 200 was accepted"
grep -qxF "$T train: --limit-test: 300 differs from the checkpoint's 200 in $W/e.ckpt; a resumed run must keep it" "$W/out" \
    || bad "--limit-test conflict: $(cat "$W/out")"
$T --resume "$W/e.ckpt" --limit-test 200 --steps 1 --quiet || bad "the same --limit-test was refused"

# A checkpoint whose batch position is past the end of its epoch (75
# batches) is refused, not resumed with the epoch skipped.
if command -v python3 >/dev/null; then
    python3 tests/ckpt_patch.py "$W/e.ckpt" "$W/past.ckpt" batch_pos=75
    $T --resume "$W/past.ckpt" --quiet > "$W/out" 2>&1
    [ $? -eq 1 ] || bad "a batch position past the epoch was accepted"
    grep -qxF "error: $W/past.ckpt: batch_pos: 75 batches done, but an epoch of 2400 images has 75 batches of 32" "$W/out" \
        || bad "batch position past the epoch: $(cat "$W/out")"
fi

[ $fail -eq 0 ] && echo "t_resume: ok"
exit $fail
