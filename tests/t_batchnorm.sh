#!/bin/sh
# t_batchnorm.sh - batch normalization end to end:
#  - one training batch and the inference after it against PyTorch
#    (tests/batchnorm/torch_reference.py), plain loops and vector kernels;
#  - a trainer whose checkpoints are byte-identical for 1, 2 and 3 threads
#    (the batch statistics and every gradient sum have one order), with a
#    partial last batch; a run stopped by --steps and resumed ends with the
#    same bytes as one uninterrupted run; the moving statistics are updated
#    and no optimizer state touches them;
#  - the exported file (batchnorm folded into the conv and dense layers)
#    predicts the test images as the trainer's evaluation does.
cd "$(dirname "$0")/.." || exit 2
CC=${CC:-cc}
MODEL_CFLAGS=${MODEL_CFLAGS:--O3 -march=native -ffp-contract=fast -std=c11 -Wall -Wextra}
LIBS=${LIBS:-$(make -s --no-print-directory print-libs)}
PY=/usr/bin/python3
DATA=${CONVC_DATA:-/usr/share/datasets/fashion-mnist}
W=$(mktemp -d /tmp/t_batchnorm.XXXXXX) || exit 2
trap 'rm -rf "$W"' EXIT
fail=0
bad() { echo "t_batchnorm: FAIL: $*"; fail=1; }

# ---- PyTorch ----------------------------------------------------------------
$PY -c 'import torch, numpy' 2> /dev/null || { bad "$PY lacks torch or numpy (make deps)"; exit 1; }
R=tests/batchnorm/reference.spec
bin/convc gen "$R" -o "$W/ref" || { bad "$R: gen"; exit 1; }
for flags in "-DCONVC_NO_VECTOR" "-march=native -ffp-contract=fast"; do
    d=$W/ref/run$(echo "$flags" | tr -c 'a-z' '_')
    mkdir -p "$d"
    # shellcheck disable=SC2086
    $CC -std=c11 -pedantic -Wall -Wextra -Werror -Wno-unused-function -O2 $flags -Iruntime \
        -I"$W/ref" -Itests/gradcheck -DMODEL=bn_reference_model -o "$d/ref" \
        tests/batchnorm/reference_main.c "$W/ref/model.c" -lm || { bad "reference_main.c [$flags]"; continue; }
    "$d/ref" "$d" 7 || { bad "reference run [$flags]"; continue; }
    $PY tests/batchnorm/torch_reference.py "$R" "$d" 7 > "$d/log" 2>&1
    rc=$?
    echo "$(tail -n 1 "$d/log") [$flags]"
    [ $rc -eq 0 ] || { cat "$d/log"; bad "PyTorch disagrees [$flags]"; }
done

# ---- training: thread counts, resume ------------------------------------------
S=tests/batchnorm/small.spec
bin/convc gen --trainer-main "$S" -o "$W/small" || { bad "$S: gen"; exit 1; }
# shellcheck disable=SC2086
$CC $MODEL_CFLAGS -Iruntime -I"$W/small" -o "$W/train" "$W/small/model.c" "$W/small/main.c" \
    build/libconvc.a $LIBS || { bad "$S: the trainer does not build"; exit 1; }
RUN="--data $DATA --limit-train 300 --limit-test 100 --epochs 2 --batch 32 --seed 7 --quiet"
for t in 1 2 3; do
    # shellcheck disable=SC2086
    "$W/train" $RUN --threads $t --save "$W/t$t.ckpt" || bad "training with $t threads"
done
for t in 2 3; do
    cmp "$W/t1.ckpt" "$W/t$t.ckpt" > /dev/null || bad "the checkpoints of 1 and $t threads differ"
done
# shellcheck disable=SC2086
"$W/train" $RUN --threads 2 --steps 13 --save "$W/r.ckpt" > /dev/null
# shellcheck disable=SC2086
"$W/train" --resume "$W/r.ckpt" --data "$DATA" --threads 2 --quiet || bad "resume"
cmp "$W/t2.ckpt" "$W/r.ckpt" > /dev/null || bad "a resumed run differs from an uninterrupted one"

# The trainer moves the moving statistics; no optimizer state (Adam's two
# arrays, momentum's velocity) ever gets a value there.
$PY tests/batchnorm/moving_stats.py "$W/t1.ckpt" || bad "moving statistics (adam)"
# shellcheck disable=SC2086
"$W/train" $RUN --epochs 1 --optimizer momentum --threads 2 --save "$W/m.ckpt" &&
    $PY tests/batchnorm/moving_stats.py "$W/m.ckpt" || bad "moving statistics (momentum)"

# ---- export -------------------------------------------------------------------
bin/convc export "$S" --weights "$W/t1.ckpt" -o "$W/small/bn_small.c" || bad "export"
grep -q 'batchnorm1_forward\|batchnorm2_forward' "$W/small/bn_small.c" &&
    bad "the export normalizes instead of folding batchnorm into the conv and dense layers"
gzip -dc "$DATA/t10k-images-idx3-ubyte.gz" 2> /dev/null | head -c 400016 > "$W/t10k-images"
for flags in "" "-DBN_SMALL_NO_VECTOR"; do
    # shellcheck disable=SC2086
    $CC -std=c11 -O1 -march=native -ffp-contract=fast -Iruntime -I"$W/small" -DNAME=bn_small \
        -DEXPORTED='"bn_small.c"' -DBN_SMALL_IMPLEMENTATION -DBN_SMALL_STATIC $flags \
        -o "$W/compare" tests/export/compare_main.c "$W/small/model.c" build/libconvc.a $LIBS &&
        "$W/compare" "$W/t1.ckpt" "$W/t10k-images" || bad "the export's predictions differ [$flags]"
done
[ $fail -eq 0 ] && echo "t_batchnorm: ok"
exit $fail
