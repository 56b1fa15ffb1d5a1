#!/bin/sh
# layer_cost.sh - the cost per FLOP (and per byte) of one layer, against the
# seed's 3x3 convolution: three models that differ in one layer on a
# 28x28x32 map,
#   none:   input 28x28x1; conv 32 k=3 same relu [as head];  pool avg global; dense 10
#   conv:   ... conv 32 k=3 same relu; conv 32 k=3 same relu; ...
#   LAYER:  ... conv 32 k=3 same relu; <LAYER>;               ...
# (LAYER may name `head`: 'add head relu', 'concat head'), each measured by
# bench/bench.c (training images/s at batch 32 on one thread, one-image
# latency), the best of ROUNDS (3) measurements taken in turn with the other
# two models'.  The layer's cost is the difference to `none`.
#
# FLOPs: the forward count of the compiler (docs/spec-language.md); in
# training 3 x that (forward, input and weight gradients), and for batchnorm
# 9 more per value: its training pass is 15 FLOPs per value against the 2
# of its inference forward (each sample's sum (1) and sum of squares about
# its mean (3), the normalization (2), the two gradient sums (1 + 3) and the
# input gradient (5), as the generated steps compute them), its activation
# 3 x that activation's forward.
# Bytes: the least any implementation moves per image, 4 x (input + output)
# in inference and twice that in training (the backward pass reads the
# output gradient and writes the input gradient); the memory-bound kinds
# (batchnorm, add, concat, pooling) are judged by these GB/s.
# Run after `make build`, on an idle machine: every number is a wall-clock
# rate.  GEN_FLAGS is passed to `convc gen`: GEN_FLAGS=--direct measures a
# conv layer's direct kernels (against the direct reference conv), whose
# GFLOP/s are then their own share of the FMA peak.
#   [GEN_FLAGS=--direct] [ROUNDS=3] sh bench/layer_cost.sh ['dwconv k=3 same relu'] [seconds per measurement]
cd "$(dirname "$0")/.." || exit 2
LAYER=${1:-dwconv k=3 same relu}
SECONDS_PER=${2:-3}
ROUNDS=${ROUNDS:-3}
CC=${CC:-cc}
[ -n "$MODEL_CFLAGS" ] || MODEL_CFLAGS=$(sed -n 's/^MODEL_CFLAGS *?= *//p' Makefile)
if [ -z "$LIBS" ]; then
    # shellcheck disable=SC2046
    LIBS="$(pkg-config --libs $(sed -n 's/^PKGS *:= *//p' Makefile) 2>/dev/null) -lpthread -lm"
fi
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT

head='input 28x28x1
conv 32 k=3 same relu'
case $LAYER in *head*) head="$head as head" ;; esac
tail='pool avg global
dense 10'
printf 'model none\n%s\n%s\n' "$head" "$tail" > "$tmp/none.spec"
printf 'model conv\n%s\nconv 32 k=3 same relu\n%s\n' "$head" "$tail" > "$tmp/conv.spec"
printf 'model layer\n%s\n%s\n%s\n' "$head" "$LAYER" "$tail" > "$tmp/layer.spec"

# The bench binary of one model.
build() {
    d=$tmp/$1
    # shellcheck disable=SC2086
    bin/convc gen $GEN_FLAGS "$tmp/$1.spec" -o "$d" > /dev/null || exit 1
    # shellcheck disable=SC2086
    $CC $MODEL_CFLAGS -Iruntime -I"$d" -DBENCH_MODEL="$1_model" -o "$d/bench" bench/bench.c \
        "$d/model.c" build/libconvc.a $LIBS || exit 1
}
# "model flops training-images/s latency-us" of one measurement of one model
measure() {
    "$tmp/$1/bench" --seconds "$SECONDS_PER" --max-threads 1 |
        awk -F, -v m="$1" '$3 == "flops_forward" { f = $5 } $3 == "train_ips" && $4 == "b32_t1" { t = $5 }
                           $3 == "latency_us" { l = $5 } END { print m, f, t, l }'
}
# The best of ROUNDS measurements of each model, the three taken in turn so
# that a busy moment of the machine falls on all of them alike: "flops
# images/s latency" of none, conv and layer.
best_of_rounds() {
    for m in none conv layer; do build $m; done
    r=0
    while [ $r -lt "$ROUNDS" ]; do
        for m in none conv layer; do measure $m; done
        r=$((r + 1))
    done | awk '{ f[$1] = $2; if ($3 > t[$1]) t[$1] = $3; if (!($1 in l) || $4 < l[$1]) l[$1] = $4 }
                END { print f["none"], t["none"], l["none"], f["conv"], t["conv"], l["conv"],
                            f["layer"], t["layer"], l["layer"] }'
}
# values in and out of the layer (the line after the head in `convc ir`:
# its input is the head's 28x28x32)
values=$(bin/convc ir "$tmp/layer.spec" |
         awk 'NR == 4 { split($NF, o, "x"); print 28 * 28 * 32 + o[1] * o[2] * o[3] }')
case $LAYER in
    batchnorm*) per_value=9 ;;
    *)          per_value=0 ;;
esac
# shellcheck disable=SC2046
set -- $(best_of_rounds)
awk -v layer="$LAYER" -v f0="$1" -v t0="$2" -v l0="$3" -v fc="$4" -v tc="$5" -v lc="$6" \
    -v fl="$7" -v tl="$8" -v ll="$9" -v extra="$per_value" -v values="$values" 'BEGIN {
    # seconds per image the layer adds in training and inference
    sc = 1 / tc - 1 / t0; sl = 1 / tl - 1 / t0; uc = (lc - l0) * 1e-6; ul = (ll - l0) * 1e-6
    train = 3 * (fl - f0) + extra * (values - 28 * 28 * 32)    # extra per output value
    gc = 3 * (fc - f0) / sc / 1e9; gl = train / sl / 1e9
    ic = (fc - f0) / uc / 1e9;     il = (fl - f0) / ul / 1e9
    printf "%-28s %10s %10s %9s %9s %11s %11s\n", "layer (on 28x28x32)", "train FLOP", \
           "train us", "GFLOP/s", "GB/s", "infer GFLOP", "infer GB/s"
    printf "%-28s %10.3fM %10.1f %9.2f %9.2f %11.2f %11.2f\n", "conv 32 k=3 same relu", \
           3 * (fc - f0) / 1e6, sc * 1e6, gc, 8 * 2 * 25088 / sc / 1e9, ic, 4 * 2 * 25088 / uc / 1e9
    printf "%-28s %10.3fM %10.1f %9.2f %9.2f %11.2f %11.2f\n", layer, train / 1e6, \
           sl * 1e6, gl, 8 * values / sl / 1e9, il, 4 * values / ul / 1e9
    printf "cost per FLOP relative to the conv: %.2fx in training, %.2fx in inference\n", gc / gl, ic / il
}'
