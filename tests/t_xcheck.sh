#!/bin/sh
# t_xcheck.sh - convc's generated code against PyTorch in float64
# (tests/xcheck/xcheck.py): forward outputs, loss and every gradient of the
# specs in tests/xcheck/ and the seed models, with the plain loops, the
# vector kernels and the direct vector kernels; then optimizer steps through
# the real trainer.  Relative error per tensor at most 1e-5.  Skipped when
# /usr/bin/python3 has no torch (Debian's python3-torch, `make deps`).
cd "$(dirname "$0")/.." || exit 2
PY=/usr/bin/python3
if ! "$PY" -c 'import torch' 2> /dev/null; then
    echo "t_xcheck: $PY has no torch (python3-torch): skipped"
    exit 0
fi
[ -x bin/convc ] && [ -f build/libconvc.a ] || { echo "t_xcheck: bin/convc not built (make build)"; exit 1; }
tmp=$(mktemp -d /tmp/t_xcheck.XXXXXX) || exit 2
trap 'rm -rf "$tmp"' EXIT
status=0

SEEDS="specs/baseline.spec specs/cnn_k3.spec specs/cnn_k5.spec specs/cnn_k7.spec"
# shellcheck disable=SC2086
"$PY" tests/xcheck/xcheck.py check --work "$tmp" --builds plain,vector,direct \
    tests/xcheck/*.spec $SEEDS || status=1

# SGD with lr 1 makes the update the mean gradient; larger rates than the
# defaults keep every update well above the float32 spacing of its parameter.
"$PY" tests/xcheck/xcheck.py step --work "$tmp" --batch 4 \
    --run sgd:1:1 --run momentum:3:0.5 --run nesterov:2:0.5 --run adam:3:0.05 \
    --run adamw:3:0.05 \
    tests/xcheck/step.spec || status=1

# The check can fail: the same model with its sigmoid derivative y (1 - y)
# made y (1.00005 - y), a gradient error of about 1e-4, must be caught.
# (xcheck.py generates a model into WORK/NAME/gen unless it is there.)
mutant=$tmp/mutant/xc_dense/gen
mkdir -p "$mutant" && bin/convc gen tests/xcheck/dense.spec -o "$mutant" || exit 1
sed -i 's/\* (1\.0f - out\([0-9]*\)\[i\])/* (1.00005f - out\1[i])/' "$mutant/model.c"
if ! grep -q '1.00005f' "$mutant/model.c"; then
    echo "t_xcheck: FAIL: the deliberate error no longer applies to the generated code"
    status=1
elif "$PY" tests/xcheck/xcheck.py check --work "$tmp/mutant" --builds plain \
         tests/xcheck/dense.spec > "$tmp/mutant.log" 2>&1; then
    cat "$tmp/mutant.log"
    echo "t_xcheck: FAIL: a wrong sigmoid derivative passed the cross-check"
    status=1
elif ! grep -q '^ *d dense3.kernel .* > 1e-05$' "$tmp/mutant.log"; then
    cat "$tmp/mutant.log"
    echo "t_xcheck: FAIL: the wrong sigmoid derivative was not reported as dense3's gradient"
    status=1
else
    echo "t_xcheck: a deliberately wrong sigmoid derivative is caught: $(grep -c ' > 1e-05$' "$tmp/mutant.log") tensors over the tolerance"
fi

[ $status -eq 0 ] || echo "t_xcheck: FAIL: convc and PyTorch differ by more than the tolerance"
exit $status
