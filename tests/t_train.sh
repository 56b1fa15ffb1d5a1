#!/bin/sh
# t_train.sh - the trainer's command line, on the fixture MLP and the real
# Fashion-MNIST files: usage errors, help, data errors, checkpoint errors,
# determinism, history CSV, eval (text and JSON) and predict.
cd "$(dirname "$0")/.." || exit 2
T=${FIXTURE_TRAINER:-build/tests/fixture_trainer}
[ -x "$T" ] || { echo "t_train: $T not built (make unit-tests)"; exit 1; }
W=$(mktemp -d /tmp/t_train.XXXXXX)
trap 'rm -rf "$W"' EXIT
fail=0
bad() { echo "t_train: FAIL: $*"; fail=1; }

# expect STATUS PATTERN -- command...: exit status and a pattern in its output
expect() {
    want=$1 pattern=$2; shift 3
    "$@" >"$W/out" 2>&1
    got=$?
    [ "$got" -eq "$want" ] || { bad "'$*' exited $got, expected $want"; sed 's/^/  | /' "$W/out"; return; }
    [ -z "$pattern" ] || grep -q -e "$pattern" "$W/out" || { bad "'$*' output lacks '$pattern'"; sed 's/^/  | /' "$W/out"; }
}

SMALL="--limit-train 600 --limit-test 300 --threads 2 --quiet"

# ---- usage errors: exit 2 naming the flag ----
expect 2 "--epochs" -- $T --epochs -1
expect 2 "--epochs" -- $T --epochs 0
expect 2 "--batch" -- $T --batch 0
expect 2 "--lr" -- $T --lr abc
expect 2 "^$T train: --momentum: 'abc' is not valid (expected a number >= 0 and < 1)\$" -- $T --momentum abc
expect 2 "^$T train: --batch: '2.5' is not valid (expected an integer from 1 to 65536)\$" -- $T --batch 2.5
expect 2 "--lr" -- $T --lr nan
expect 2 "--lr" -- $T --lr -0.1
expect 2 "--threads" -- $T --threads 0
expect 2 "--val-split" -- $T --val-split 1
expect 2 "^$T train: --optimizer: 'adagrad' is not one of sgd, momentum, nesterov, adam or adamw\$" -- $T --optimizer adagrad
expect 2 "--seed" -- $T --seed -3
expect 2 "--seed" -- $T --seed " -1"        # strtoull would read a huge seed
expect 2 "--epochs" -- $T --epochs " 5"
expect 2 "--limit-train" -- $T --limit-train 12x
expect 2 "--steps" -- $T --steps
expect 2 "unknown option '--bogus'" -- $T --bogus 1
expect 2 "unknown command 'fly'" -- $T fly
expect 2 "--weights" -- $T eval
expect 2 "--json" -- $T eval --weights x --json=1
expect 2 "no IMAGE" -- $T predict --weights x
expect 2 "exclude" -- $T --resume a --init-from b

# ---- help documents every flag and command ----
expect 0 "eval --weights" -- $T --help
for f in --epochs --batch --lr --optimizer --seed --threads --data --val-split \
         --limit-train --limit-test --steps --no-shuffle --save --resume --init-from \
         --history --quiet --save-every --schedule --lr-factor --lr-every --warmup \
         --lr-patience --min-lr --weight-decay --decay-all --early-stop --restore-best \
         --shift --flip --crop-pad --cutout --image-size --test-split --skip-bad; do
    $T --help | grep -q -e "$f" || bad "--help lacks $f"
    $T train --help | grep -q -e "$f" || bad "train --help lacks $f"
done
expect 0 "confusion" -- $T eval --help
expect 0 "PGM" -- $T predict --help
expect 0 "filters" -- $T viz --help

# ---- data errors ----
expect 1 "dataset-fashion-mnist" -- $T --data "$W/nothing" $SMALL
mkdir -p "$W/d"
printf 'not an idx file at all' > "$W/d/train-images-idx3-ubyte"
printf 'x' > "$W/d/train-labels-idx1-ubyte"
expect 1 "train-images-idx3-ubyte: magic" -- $T --data "$W/d" $SMALL
CONVC_DATA="$W/nothing" $T $SMALL >"$W/out" 2>&1
grep -q "$W/nothing" "$W/out" || bad "CONVC_DATA is not used"

# ---- a short run: checkpoint, history, determinism ----
expect 0 "" -- $T $SMALL --epochs 2 --save "$W/a.ckpt" --history "$W/h.csv"
H2="epoch,train_loss,train_accuracy,test_loss,test_accuracy,seconds,lr,val_loss,val_accuracy,event"
head -1 "$W/h.csv" | grep -qx "$H2,eval_seconds" || bad "history header: $(head -1 "$W/h.csv")"
[ "$(wc -l < "$W/h.csv")" -eq 3 ] || bad "history has $(wc -l < "$W/h.csv") lines, expected 3"
# eval_seconds: a part of the epoch's seconds, the evaluation of 300 images.
awk -F, 'NR > 1 && !($11 ~ /^[0-9]+\.[0-9]+$/ && $11 + 0 <= $6 + 0) { exit 1 }' "$W/h.csv" \
    || bad "eval_seconds is not a part of seconds: $(cat "$W/h.csv")"
# A resumed run widens the history of an earlier header: the kept rows get
# empty new columns, the epoch it redoes is written anew.
expect 0 "" -- $T $SMALL --epochs 1 --save "$W/e1.ckpt"
printf '%s\n1,0.5,0.8,0.4,0.85,1.000,0.001,,,\n2,0.4,0.9,0.3,0.88,1.000,0.001,,,\n' "$H2" > "$W/h2.csv"
printf '%s\n1,0.5,0.8,0.4,0.85,1.000\n' \
    "epoch,train_loss,train_accuracy,test_loss,test_accuracy,seconds" > "$W/h1.csv"
for v in 1 2; do
    expect 0 "" -- $T $SMALL --resume "$W/e1.ckpt" --epochs 2 --no-save --history "$W/h$v.csv"
    head -1 "$W/h$v.csv" | grep -qx "$H2,eval_seconds" || bad "h$v: header not widened"
    sed -n 2p "$W/h$v.csv" | grep -q "^1,0.5,0.8,0.4,0.85,1.000" || bad "h$v: row 1 not kept"
    awk -F, 'NR == 2 && NF != 11 { exit 1 } NR == 3 && ($1 != 2 || $11 == "") { exit 1 }
             END { if (NR != 3) exit 1 }' "$W/h$v.csv" || bad "h$v: not widened: $(cat "$W/h$v.csv")"
done
expect 0 "" -- $T $SMALL --epochs 2 --save "$W/b.ckpt"
cmp -s "$W/a.ckpt" "$W/b.ckpt" || bad "two runs with the same seed differ"
expect 0 "" -- $T $SMALL --epochs 2 --save "$W/c.ckpt" --seed 9
cmp -s "$W/a.ckpt" "$W/c.ckpt" && bad "another seed gave the same weights"
ls "$W"/*.tmp >/dev/null 2>&1 && bad "temporary checkpoint files left behind"
# Plain epoch lines when not on a terminal.
$T --limit-train 600 --limit-test 300 --epochs 1 --no-save >"$W/out" 2>&1
grep -q "^Epoch 1/1 - .*[0-9]s .*loss: .*test_loss: .*test_acc: " "$W/out" || bad "no epoch line: $(cat "$W/out")"
# A Keras-like bar on a terminal.
if command -v script >/dev/null; then
    script -qc "$T --limit-train 3000 --limit-test 300 --epochs 1 --no-save" /dev/null \
        > "$W/tty" 2>&1
    grep -q "94/94 \[==============================\] - .*ms/step - loss: .*test_acc: " "$W/tty" \
        || bad "no progress bar on a terminal: $(tr '\r' '\n' < "$W/tty" | tail -3)"
    grep -q "^Epoch 1/1" "$W/tty" || bad "no 'Epoch 1/1' header on a terminal"
fi
# --quiet prints nothing.
$T $SMALL --epochs 1 --no-save >"$W/out" 2>&1
[ -s "$W/out" ] && bad "--quiet printed: $(cat "$W/out")"

# ---- checkpoint errors name both sides ----
CONVC_FIXTURE=softmax $T $SMALL --epochs 1 --save "$W/soft.ckpt"
expect 1 "'fixture_softmax'.*'fixture_mlp'" -- $T eval --weights "$W/soft.ckpt" --limit-test 10
expect 1 "'fixture_softmax'.*'fixture_mlp'" -- $T --resume "$W/soft.ckpt"
head -c 1000 "$W/a.ckpt" > "$W/trunc.ckpt"
expect 1 "truncated" -- $T eval --weights "$W/trunc.ckpt"
cp "$W/a.ckpt" "$W/flip.ckpt"
printf '\377' | dd of="$W/flip.ckpt" bs=1 seek=5000 conv=notrunc 2>/dev/null
expect 1 "crc32" -- $T --resume "$W/flip.ckpt"
cmp -s "$W/a.ckpt" "$W/b.ckpt" || bad "a checkpoint changed"
expect 2 "--batch: 64 differs" -- $T --resume "$W/a.ckpt" --batch 64

# ---- crafted checkpoints (right length and CRC): settings pass the option
# checks, weights are finite, a header too short for its CRC is refused ----
# exact STATUS LINE -- command...: exit status and the exact first output line
exact() {
    want=$1 line=$2; shift 3
    "$@" >"$W/out" 2>&1
    got=$?
    [ "$got" -eq "$want" ] && [ "$(head -1 "$W/out")" = "$line" ] ||
        { bad "'$*' exited $got, expected $want and '$line'"; sed 's/^/  | /' "$W/out"; }
}
# A resume reads the data directory the run read unless --data names another,
# and only the training set the checkpoint's fingerprint names: the same files
# elsewhere are accepted, other images of the same size and count refused.
DATA=${CONVC_DATA:-/usr/share/datasets/fashion-mnist}
mkdir "$W/same" "$W/other"
for f in train-images-idx3 train-labels-idx1 t10k-images-idx3 t10k-labels-idx1; do
    ln -s "$DATA/$f-ubyte.gz" "$W/same/$f-ubyte.gz"
done
expect 0 "" -- $T --resume "$W/a.ckpt" --data "$W/same" --no-save --quiet
if command -v python3 >/dev/null; then
    python3 tests/random_idx.py "$W/other" 600 300 10 3
    exact 1 "error: $W/a.ckpt: data_hash: the training set in $W/other (600 images of 28x28x1, IDX) is not the one the run was trained on; resume with --data naming that run's data" \
        -- $T --resume "$W/a.ckpt" --data "$W/other" --no-save --quiet
    # trained on other, resumed without --data: other again (the default set
    # would be refused)
    expect 0 "" -- $T $SMALL --epochs 1 --data "$W/other" --save "$W/other.ckpt"
    expect 0 "" -- $T --resume "$W/other.ckpt" --epochs 2 --no-save --quiet
    expect 1 "data_hash" -- $T --resume "$W/other.ckpt" --epochs 2 --data "$DATA" --no-save --quiet
fi
if command -v python3 >/dev/null; then
    for patch in "val_split=nan:val_split: nan is not valid (expected a number >= 0 and < 1, as for --val-split)" \
                 "val_split=-4503599627370496:val_split: -4503599627370496 is not valid (expected a number >= 0 and < 1, as for --val-split)" \
                 "workers=3000:workers: 3000 is not valid (expected an integer from 1 to 64, as for --workers)" \
                 "n_train=0:n_train: 0 is not valid (expected an integer from 1 to 2000000000)" \
                 "isa=1024:isa: 0x400 has bits of no known instruction set"; do
        python3 tests/ckpt_patch.py "$W/a.ckpt" "$W/bad.ckpt" "${patch%%:*}"
        exact 1 "error: $W/bad.ckpt: ${patch#*:}" -- $T --resume "$W/bad.ckpt" --quiet
    done
    # A trainer built for other instruction sets would round differently.
    python3 tests/ckpt_patch.py "$W/a.ckpt" "$W/isa.ckpt" isa=1023
    $T --resume "$W/isa.ckpt" --quiet > "$W/out" 2>&1 && bad "a resume across instruction sets ran"
    grep -q "^error: $W/isa.ckpt: isa: the checkpoint was trained by a trainer built for sse4.2 avx avx2 fma f16c avx512f avx512dq avx512bw avx512vl neon, this one is built for .*; its sums would round differently (resume with the trainer that wrote it)$" "$W/out" ||
        { bad "a resume across instruction sets: wrong message"; cat "$W/out"; }
    python3 tests/ckpt_patch.py "$W/a.ckpt" "$W/nan.ckpt" "param[3]=nan"
    exact 1 "error: $W/nan.ckpt: parameters: parameter 3 is NaN (checkpoints never hold one; corrupt file)" \
        -- $T eval --weights "$W/nan.ckpt" --limit-test 10
fi
S=tests/fuzz/corpus_checkpoint/regress_short_header_26.ckpt
exact 1 "error: $S: length: 26 bytes cannot hold the header and the CRC (truncated)" \
    -- $T eval --weights "$S" --limit-test 10

# ---- eval ----
expect 0 "confusion matrix" -- $T eval --weights "$W/a.ckpt" --limit-test 500
grep -q "Ankle boot" "$W/out" || bad "eval lacks class names"
$T eval --weights "$W/a.ckpt" --limit-test 500 --json > "$W/e.json" || bad "eval --json failed"
if command -v python3 >/dev/null; then
    python3 - "$W/e.json" <<'PY' || bad "eval --json: $(cat "$W/e.json")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["model"] == "fixture_mlp" and j["n"] == 500 and len(j["spec_hash"]) == 16
assert len(j["class_names"]) == 10 and j["class_names"][0] == "T-shirt/top"
assert len(j["confusion"]) == 10 and sum(map(sum, j["confusion"])) == 500
assert abs(j["accuracy"] - sum(j["confusion"][k][k] for k in range(10)) / 500) < 1e-6
assert 0 < j["loss"] < 3 and len(j["per_class_accuracy"]) == 10
PY
fi

# A result that cannot be written is an error (a runner trusts exit status 0).
if [ -w /dev/full ]; then
    expect 1 "cannot write the results" -- sh -c "$T eval --weights '$W/a.ckpt' --limit-test 50 --json >/dev/full"
fi

# ---- predict: a PGM written by hand (a bright vertical bar: a trouser?) ----
{ printf 'P5\n28 28\n255\n'; i=0; while [ $i -lt 28 ]; do
    printf '\000\000\000\000\000\000\000\000\000\000\310\310\310\310\310\310\310\310\000\000\000\000\000\000\000\000\000\000'
    i=$((i + 1)); done; } > "$W/bar.pgm"
expect 0 "bar.pgm: .* (0\.[0-9]*)" -- $T predict --weights "$W/a.ckpt" "$W/bar.pgm"
expect 1 "nothing.pgm" -- $T predict --weights "$W/a.ckpt" "$W/nothing.pgm"

# ---- viz: the fixture has no conv layer ----
expect 0 "no conv layer" -- $T viz --weights "$W/a.ckpt" --out "$W/viz"
expect 2 "--out" -- $T viz --weights "$W/a.ckpt"

# ---- init-from starts from the weights with a fresh optimizer ----
expect 0 "" -- $T $SMALL --epochs 1 --init-from "$W/a.ckpt" --save "$W/i.ckpt"

[ $fail -eq 0 ] && echo "t_train: ok ($T)"
# Once more under ASan+UBSan when that build exists.
if [ $fail -eq 0 ] && [ -z "$FIXTURE_TRAINER" ] && [ -x build/asan/tests/fixture_trainer ]; then
    FIXTURE_TRAINER=build/asan/tests/fixture_trainer sh "$0" || fail=1
fi
exit $fail
