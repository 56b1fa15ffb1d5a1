#!/bin/sh
# t_faults.sh - checkpoints survive faults: a full disk (a small tmpfs when
# one can be mounted, and always a file-size limit, ulimit -f) and SIGKILL
# in the middle of writing a checkpoint.  Each time the trainer fails with
# a message naming the file, leaves no .tmp file, the previous checkpoint is
# intact, and resuming with room again ends with the bytes of an
# uninterrupted run.  SIGKILL at other points of a run: t_resume.sh.
cd "$(dirname "$0")/.." || exit 2
T=${FIXTURE_TRAINER:-build/tests/fixture_trainer}
[ -x "$T" ] || { echo "t_faults: $T not built (make unit-tests)"; exit 1; }
W=$(mktemp -d /tmp/t_faults.XXXXXX) || exit 2
mnt=$W/tmpfs
pids=""
cleanup() {
    for p in $pids; do kill -9 "$p" 2>/dev/null; done
    mountpoint -q "$mnt" 2>/dev/null && umount "$mnt"
    rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fail=0
bad() { echo "t_faults: FAIL: $*"; fail=1; }

# 640 images = 20 batches an epoch, a checkpoint every 5: the run stopped by
# --steps 10 writes its next checkpoint at batch 15.
RUN="--limit-train 640 --limit-test 100 --epochs 2 --threads 2 --save-every 5 --quiet"
$T $RUN --save "$W/ref.ckpt" || { echo "t_faults: reference run failed"; exit 1; }

# first_piece CKPT: trains 10 batches into CKPT, keeps a copy in $W/before.
first_piece() {
    $T $RUN --save "$W/piece.ckpt" --steps 10 && cp "$W/piece.ckpt" "$W/before" &&
        mv "$W/piece.ckpt" "$1"
}

# failed_save WHAT STATUS ERRFILE CKPT REASON: the trainer, resumed from CKPT,
# exited with STATUS and could not save: the message names the file and
# REASON, no .tmp file is left and CKPT is the one it started from.
failed_save() {
    [ "$2" -eq 1 ] || bad "$1: exit status $2, expected 1"
    grep -q "$4.tmp: cannot write: $5" "$3" || bad "$1: no '$4.tmp: cannot write: $5' in: $(cat "$3")"
    [ -e "$4.tmp" ] && bad "$1: $4.tmp was left behind"
    cmp -s "$W/before" "$4" || bad "$1: the previous checkpoint changed"
}

# resumes_to_reference WHAT CKPT: with room again, the run ends where the
# uninterrupted one did.
resumes_to_reference() {
    $T --resume "$2" --quiet || { bad "$1: resuming failed"; return; }
    cmp -s "$W/ref.ckpt" "$2" || bad "$1: the resumed run differs from an uninterrupted one"
}

# ---- the file-size limit: EFBIG, not a silent death by SIGXFSZ ----
first_piece "$W/f.ckpt" || bad "ulimit -f: the first piece failed"
(ulimit -f 100 && exec $T --resume "$W/f.ckpt" --quiet) 2>"$W/f.err"
failed_save "ulimit -f" $? "$W/f.err" "$W/f.ckpt" "File too large"
resumes_to_reference "ulimit -f" "$W/f.ckpt"

# ---- a full file system: room for one checkpoint and a half ----
mkdir "$mnt"
size=$(( $(wc -c < "$W/ref.ckpt") * 3 / 2 ))
if mount -t tmpfs -o size="$size" tmpfs "$mnt" 2>/dev/null; then
    first_piece "$mnt/d.ckpt" || bad "tmpfs: the first piece failed"
    $T --resume "$mnt/d.ckpt" --quiet 2>"$W/d.err"
    failed_save "tmpfs" $? "$W/d.err" "$mnt/d.ckpt" "No space left on device"
    mount -o remount,size=16m "$mnt" || bad "tmpfs: cannot grow it"
    resumes_to_reference "tmpfs" "$mnt/d.ckpt"
    umount "$mnt"
else
    echo "t_faults: note: cannot mount a tmpfs here: a full disk is tested with ulimit -f only"
fi

# ---- SIGKILL while a checkpoint is being written ----
# The temporary file is a FIFO that a reader holds open without reading: the
# trainer writes until the pipe is full and blocks there, half-way through.
first_piece "$W/k.ckpt" || bad "SIGKILL: the first piece failed"
mkfifo "$W/k.ckpt.tmp"
$T --resume "$W/k.ckpt" --quiet &
trainer=$!
# shellcheck disable=SC2217 # the reader only holds the FIFO open
sleep 600 <"$W/k.ckpt.tmp" &
reader=$!
pids="$trainer $reader"
# writing() is true once the trainer has the FIFO open.
writing() {
    for fd in "/proc/$trainer/fd/"*; do
        [ "$(readlink "$fd" 2>/dev/null)" = "$W/k.ckpt.tmp" ] && return 0
    done
    return 1
}
i=0
while ! writing && [ $i -lt 1000 ]; do sleep 0.01; i=$((i + 1)); done
if writing; then
    kill -9 "$trainer"
    { wait "$trainer"; } 2>/dev/null
    [ $? -eq 137 ] || bad "SIGKILL: the trainer was not killed"
else
    bad "SIGKILL: the trainer did not block writing its checkpoint"
fi
kill -9 "$reader" 2>/dev/null
wait "$reader" 2>/dev/null
pids=""
cmp -s "$W/before" "$W/k.ckpt" || bad "SIGKILL: the previous checkpoint changed"
rm -f "$W/k.ckpt.tmp"
resumes_to_reference "SIGKILL" "$W/k.ckpt"

[ $fail -eq 0 ] && echo "t_faults: ok"
exit $fail
