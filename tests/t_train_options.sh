#!/bin/sh
# t_train_options.sh - the trainer's schedules, weight decay, early stopping,
# augmentation and data folders through its command line (fixture MLP):
# getopt_long conventions, flag errors word for word, exact resume with all
# of them on, augmentation independent of the thread split, history marks.
cd "$(dirname "$0")/.." || exit 2
T=${FIXTURE_TRAINER:-build/tests/fixture_trainer}
[ -x "$T" ] || { echo "t_train_options: $T not built (make unit-tests)"; exit 1; }
W=$(mktemp -d /tmp/t_train_options.XXXXXX)
trap 'rm -rf "$W"' EXIT
fail=0
bad() { echo "t_train_options: FAIL: $*"; fail=1; }

# exact STATUS LINE -- command...: exit status and the exact first line of output
exact() {
    want=$1 line=$2; shift 3
    "$@" >"$W/out" 2>&1
    got=$?
    [ "$got" -eq "$want" ] && [ "$(head -1 "$W/out")" = "$line" ] ||
        { bad "'$*' exited $got, expected $want and '$line'"; sed 's/^/  | /' "$W/out"; }
}

# ---- getopt_long: --opt=value, --opt value, --, abbreviations ----
SMALL="--limit-train 300 --limit-test 100 --threads 2 --quiet --epochs 1"
$T $SMALL --lr=0.01 --save "$W/eq.ckpt" || bad "--lr=0.01 refused"
$T $SMALL --lr 0.01 --save="$W/sp.ckpt" || bad "--lr 0.01 refused"
$T $SMALL --lr-f 0.5 --l 0.01 --save "$W/ab.ckpt" 2>"$W/out" && bad "--l (lr, lr-factor, ...) accepted"
$T $SMALL --lr 0.01 --sched constant --save "$W/ab.ckpt" || bad "abbreviation --sched refused"
cmp -s "$W/eq.ckpt" "$W/sp.ckpt" || bad "--lr=0.01 and --lr 0.01 differ"
cmp -s "$W/eq.ckpt" "$W/ab.ckpt" || bad "--sched constant changed the run"
exact 2 "$T train: option '--sa' is ambiguous (--save-every, --save)" -- $T --sa x
exact 2 "$T train: unexpected argument '--epochs'" -- $T --quiet -- --epochs 1
exact 2 "$T eval: option '--t' is ambiguous (--threads, --test-split)" -- $T eval --t 1
exact 2 "$T eval: unexpected argument 'extra'" -- $T eval --weights w -- extra

# ---- flag errors name the flag, the value and the rule ----
exact 2 "$T train: --schedule: 'linear' is not one of constant, step, cosine or plateau" -- $T --schedule linear
exact 2 "$T train: --lr-factor: '1' is not valid (expected a number > 0 and < 1)" -- $T --lr-factor 1
exact 2 "$T train: --lr-every: '0' is not valid (expected an integer from 1 to 1000000)" -- $T --lr-every 0
exact 2 "$T train: --warmup: '-1' is not valid (expected an integer from 0 to 2000000000)" -- $T --warmup -1
exact 2 "$T train: --min-lr: '10' is not valid (expected a number >= 0 and < 10)" -- $T --min-lr 10
exact 2 "$T train: --weight-decay: '1' is not valid (expected a number >= 0 and < 1)" -- $T --weight-decay 1
exact 2 "$T train: --early-stop: '0' is not valid (expected an integer from 1 to 1000000)" -- $T --early-stop 0
exact 2 "$T train: --shift: '2000' is not valid (expected an integer from 0 to 1024)" -- $T --shift 2000
exact 2 "$T train: --workers: '0' is not valid (expected an integer from 1 to 64)" -- $T --workers 0
exact 2 "$T train: --workers: '65' is not valid (expected an integer from 1 to 64)" -- $T --workers 65
exact 2 "$T train: --cutout: 'x' is not valid (expected an integer from 0 to 1024)" -- $T --cutout x
exact 2 "$T train: --crop-pad: '1.5' is not valid (expected an integer from 0 to 1024)" -- $T --crop-pad 1.5
exact 2 "$T train: --flip takes no value" -- $T --flip=1
exact 2 "$T train: --test-split: '0' is not valid (expected a number > 0 and < 1)" -- $T --test-split 0
exact 2 "$T train: --image-size: '0x5' is not valid (expected HxW, each from 1 to 16384)" -- $T --image-size 0x5
exact 2 "$T train: --image-size: '32' is not valid (expected HxW, e.g. 32x32)" -- $T --image-size 32
exact 2 "$T train: --restore-best needs --early-stop PATIENCE" -- $T --restore-best
exact 2 "$T train: --warmup needs a value" -- $T --warmup
exact 2 "$T train: --schedule: the value is empty" -- $T --schedule=

# ---- everything at once: an uninterrupted run against one in pieces ----
ALL="--limit-train 900 --limit-test 200 --val-split 0.2 --epochs 12 --threads 2 --quiet
     --optimizer adamw --lr 0.01 --schedule plateau --lr-patience 1 --lr-factor 0.5
     --early-stop 2 --restore-best --shift 2 --flip --cutout 6"
$T $ALL --save "$W/ref.ckpt" --history "$W/ref.csv" || bad "reference run failed"
$T $ALL --save "$W/p.ckpt" --history "$W/p.csv" --steps 40 || bad "first piece failed"
$T --resume "$W/p.ckpt" --history "$W/p.csv" --steps 57 --quiet || bad "second piece failed"
$T --resume "$W/p.ckpt" --history "$W/p.csv" --quiet || bad "last piece failed"
cmp "$W/ref.ckpt" "$W/p.ckpt" || bad "plateau + early stopping + augmentation: pieces differ"
# The history without its times (seconds, eval_seconds); column 10 is the event.
cut -d, -f1-5,7-10 "$W/ref.csv" > "$W/ref.cut"
cut -d, -f1-5,7-10 "$W/p.csv" > "$W/p.cut"
cmp -s "$W/ref.cut" "$W/p.cut" || bad "history in pieces differs: $(diff "$W/ref.cut" "$W/p.cut")"
# The run stopped early (marked in the history), kept its best epoch's
# weights, and a resume has nothing to do.
last=$(tail -1 "$W/ref.cut")
[ "${last##*,}" = stopped ] || bad "no 'stopped' mark: $last"
best=$(grep ',best$' "$W/ref.cut" | tail -1 | cut -d, -f1)
best_test=$(grep ',best$' "$W/ref.cut" | tail -1 | cut -d, -f4)
[ -n "$best" ] && [ "$best" -lt "$(tail -1 "$W/ref.csv" | cut -d, -f1)" ] || bad "no best epoch before the stop"
$T --resume "$W/ref.ckpt" --epochs 20 > "$W/out" 2>&1 || bad "resuming a stopped run failed"
grep -qxF "nothing to do: $W/ref.ckpt stopped early after epoch $(tail -1 "$W/ref.csv" | cut -d, -f1) (best epoch $best)" "$W/out" \
    || bad "resuming a stopped run: $(cat "$W/out")"
$T eval --weights "$W/ref.ckpt" --limit-test 200 --json > "$W/e.json" || bad "eval failed"
grep -q "\"loss\":$best_test," "$W/e.json" || bad "restored weights: eval $(cat "$W/e.json") is not epoch $best's test loss $best_test"
# The plateau lowered the rate, and the history says so.
# (When depends on the arithmetic: each change halves the rate.)
cut -d, -f7 "$W/ref.csv" | awk 'NR == 2 && $1 != 0.01 { exit 1 }
    NR > 2 && $1 != prev && $1 != prev / 2 { exit 1 } NR > 2 && $1 != prev { n++ }
    NR > 1 { prev = $1 } END { exit n ? 0 : 1 }' \
    || bad "lr column: $(cut -d, -f7 "$W/ref.csv" | tr '\n' ' ')"

# Cosine with warm-up and L2 decay, stopped with --steps mid-epoch.
COS="--limit-train 600 --limit-test 100 --epochs 3 --threads 2 --quiet --optimizer momentum
     --schedule cosine --warmup 10 --weight-decay 0.001 --decay-all --shift 1"
$T $COS --save "$W/c.ckpt" --history "$W/c.csv" || bad "cosine run failed"
$T $COS --save "$W/cp.ckpt" --steps 25 && $T --resume "$W/cp.ckpt" --quiet || bad "cosine pieces failed"
cmp "$W/c.ckpt" "$W/cp.ckpt" || bad "cosine schedule: pieces differ"
# 19 steps an epoch, 10 of warm-up, 57 in all: each epoch's last step s
# has 0.01 (1 + cos(pi (s - 10) / 47)) / 2, for s = 18, 37, 56.
[ "$(cut -d, -f7 "$W/c.csv" | tr '\n' ' ')" = "lr 0.0093020079 0.00384089925 1.11656069e-05 " ] \
    || bad "cosine lr column: $(cut -d, -f7 "$W/c.csv" | tr '\n' ' ')"
exact 2 "$T train: --schedule: step differs from the checkpoint's cosine in $W/cp.ckpt; a resumed run must keep it" \
    -- $T --resume "$W/cp.ckpt" --schedule step
exact 2 "$T train: --shift: 2 differs from the checkpoint's 1 in $W/cp.ckpt; a resumed run must keep it" \
    -- $T --resume "$W/cp.ckpt" --shift 2

# ---- more threads than --workers slices: said once ----
n=$($T --limit-train 100 --limit-test 10 --epochs 2 --threads 6 --no-save | grep -c \
    "^note: 2 of the 6 threads have no slice of the batch to compute (--workers 4); they help with the optimizer and evaluation only (a larger --workers gives them slices)$")
[ "$n" = 1 ] || bad "6 threads for 4 slices: the note is printed $n times, not once"

# ---- augmentation depends on the sample's position, not on the threads ----
AUG="--limit-train 64 --limit-test 50 --epochs 2 --batch 1 --quiet --shift 3 --flip --cutout 5 --crop-pad 2"
$T $AUG --threads 1 --save "$W/t1.ckpt" && $T $AUG --threads 2 --save "$W/t2.ckpt" || bad "thread runs failed"
cmp "$W/t1.ckpt" "$W/t2.ckpt" || bad "augmented runs with 1 and 2 threads differ"
$T $AUG --threads 1 --save "$W/t1b.ckpt" --no-shuffle
$T $AUG --threads 1 --save "$W/plain.ckpt" --no-shuffle --shift 0 --flip --cutout 0 --crop-pad 0
cmp -s "$W/t1b.ckpt" "$W/plain.ckpt" && bad "augmentation changed nothing"

# ---- PNG folders through the trainer: the model's input must match ----
if command -v python3 >/dev/null; then
    python3 - "$W/png" <<'PY'
import os, struct, sys, zlib
def png(path, w, h, rgb, v):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    c = 3 if rgb else 1
    raw = b''.join(b'\0' + bytes([v]) * (w * c) for _ in range(h))
    ch = lambda t, d: struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))
    open(path, 'wb').write(b'\x89PNG\r\n\x1a\n' + ch(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2 if rgb else 0, 0, 0, 0))
                           + ch(b'IDAT', zlib.compress(raw)) + ch(b'IEND', b''))
root = sys.argv[1]
for k in range(3):
    for i in range(10):
        png('%s/gray/class%d/%d.png' % (root, k, i), 28, 28, False, 40 * k + i)
        png('%s/rgb/class%d/%d.png' % (root, k, i), 32, 32, True, 40 * k + i)
PY
    $T --data "$W/png/gray" --epochs 2 --threads 2 --save "$W/g.ckpt" > "$W/out" 2>&1 || bad "PNG folder run failed: $(cat "$W/out")"
    grep -q "24 training images (validation split 0), 6 test images from $W/png/gray (PNG folders)" "$W/out" \
        || bad "PNG folder run: $(head -1 "$W/out")"
    $T --data "$W/png/gray" --epochs 1 --threads 2 --no-save > "$W/out" 2>&1
    grep -q "(PNG folders, cached)" "$W/out" || bad "second load did not use the cache: $(head -1 "$W/out")"
    $T eval --weights "$W/g.ckpt" --data "$W/png/gray" --json > "$W/e.json" || bad "eval on folders failed"
    grep -q '"class_names":\["class0","class1","class2",' "$W/e.json" || bad "class names: $(cat "$W/e.json")"
    exact 1 "error: $W/png/rgb: image size: the data set's images are 32x32x3 but model 'fixture_mlp' (tests/fixtures/mlp) takes 28x28x1" \
        -- $T --data "$W/png/rgb" --quiet
    $T --data "$W/png/rgb" --image-size 28x28 --quiet --no-save 2>&1 | grep -q "32x32x3\|28x28x3" \
        || bad "--image-size did not resample the RGB folder"
fi

[ $fail -eq 0 ] && echo "t_train_options: ok"
exit $fail
