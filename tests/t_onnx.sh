#!/bin/sh
# t_onnx.sh - `convc export --onnx` checked by independent software: for the
# four seed models, tests/onnx/every_kind.spec (one model with every layer
# kind and option the export maps that OpenCV runs), linear_head.spec (a
# linear head) and tests/export/separable.spec (relu6), briefly trained, the ONNX checker (Debian's
# python3-onnx) validates the exported model and OpenCV's dnn module
# (python3-opencv) runs it on the first 1,000 test images: the classes must
# equal the trainer's and the probabilities lie within 1e-5 of its own.
# Also: the operators of every_kind's graph (tests/onnx/every_kind.ops), and
# errors (a checkpoint of another architecture, a path that cannot be
# written) exit 1 with a message and leave no file.
cd "$(dirname "$0")/.." || exit 2
CC=${CC:-cc}
DATA=${CONVC_DATA:-/usr/share/datasets/fashion-mnist}
PY=/usr/bin/python3     # Debian's modules, whatever python3 is first on PATH
N=1000
LIBS=$(make -s --no-print-directory print-libs) || exit 2
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
status=0
fail() { echo "t_onnx: $*"; status=1; }

if [ ! -f "$DATA/t10k-images-idx3-ubyte.gz" ]; then
    echo "t_onnx: no data set in $DATA: skipped"
    exit 0
fi
"$PY" -c 'import cv2, onnx, numpy' ||
    { echo "t_onnx: $PY lacks cv2, onnx or numpy (make deps installs them)"; exit 1; }

models=""
for s in specs/baseline.spec specs/cnn_k3.spec specs/cnn_k5.spec specs/cnn_k7.spec \
         tests/onnx/every_kind.spec tests/onnx/linear_head.spec tests/export/separable.spec; do
    name=$(basename "$s" .spec)
    d=$tmp/$name
    bin/convc gen --trainer-main "$s" -o "$d" > /dev/null || { fail "$s: gen"; continue; }
    # One compile of the model for the trainer and the reference.
    $CC -O1 -march=native -ffp-contract=fast -std=c11 -Iruntime -I"$d" -c -o "$d/model.o" \
        "$d/model.c" &&
    $CC -O1 -std=c11 -Iruntime -I"$d" -o "$d/train" "$d/main.c" "$d/model.o" \
        build/libconvc.a $LIBS &&
    $CC -O1 -std=c11 -Iruntime -Ibuild -I"$d" -DNAME="$name" -o "$d/probs" \
        tests/onnx/trainer_probs.c "$d/model.o" build/libconvc.a $LIBS ||
        { fail "$s: build"; continue; }
    # Enough training that the classes are far apart (sigmoid and tanh
    # learn slowly at the default rate).
    case $name in every_kind|linear_head|separable) train="--limit-train 2000 --lr 0.01" ;;
    *) train="--limit-train 600" ;; esac
    # shellcheck disable=SC2086 # options are words
    "$d/train" --epochs 1 $train --limit-test 100 --threads 2 --quiet \
        --data "$DATA" --save "$d/w.ckpt" > "$d/train.log" 2>&1 ||
        { cat "$d/train.log"; fail "$s: train"; continue; }
    "$d/probs" "$d/w.ckpt" "$DATA/t10k-images-idx3-ubyte.gz" $N "$tmp/$name.probs" ||
        { fail "$s: trainer's probabilities"; continue; }
    bin/convc export "$s" --weights "$d/w.ckpt" --onnx -o "$tmp/$name.onnx" ||
        { fail "$s: export --onnx"; continue; }
    models="$models $name"
done
# shellcheck disable=SC2086 # the model names are words
"$PY" tests/onnx/compare_onnx.py "$DATA/t10k-images-idx3-ubyte.gz" \
    "$DATA/t10k-labels-idx1-ubyte.gz" $N "$tmp" $models || fail "OpenCV disagrees with the trainer"

# Errors: a message, status 1, no file.
if [ -f "$tmp/cnn_k3/w.ckpt" ]; then
    bin/convc export specs/cnn_k5.spec --weights "$tmp/cnn_k3/w.ckpt" --onnx -o "$tmp/bad.onnx" \
        2> "$tmp/err"
    rc=$?
    [ $rc -eq 1 ] && grep -q "w.ckpt: error: .*spec hash" "$tmp/err" && [ ! -e "$tmp/bad.onnx" ] ||
        fail "another architecture's checkpoint: status $rc, '$(cat "$tmp/err")'"
    bin/convc export specs/cnn_k3.spec --weights "$tmp/cnn_k3/w.ckpt" --onnx \
        -o "$tmp/no/such/dir.onnx" 2> "$tmp/err"
    rc=$?
    [ $rc -eq 1 ] && grep -q "no/such/dir.onnx" "$tmp/err" ||
        fail "unwritable output: status $rc, '$(cat "$tmp/err")'"
    ls "$tmp" | grep -q 'tmp' && fail "a temporary file is left behind"
fi
exit $status
