#!/bin/sh
# layer_cost.sh - the cost per FLOP of one layer, against the seed's 3x3
# convolution: three models that differ in one layer on a 28x28x32 map,
#   none:   input 28x28x1; conv 32 k=3 same relu;            pool avg global; dense 10
#   conv:   ... conv 32 k=3 same relu; conv 32 k=3 same relu; ...
#   LAYER:  ... conv 32 k=3 same relu; <LAYER>;               ...
# each measured by bench/bench.c (training images/s at batch 32 on one
# thread, one-image latency).  The layer's cost is the difference to `none`;
# its GFLOP/s are 3 x its forward FLOPs (training) or 1 x (latency) over that
# time.  Run after `make build`, on an idle machine: every number is a
# wall-clock rate.
#   sh bench/layer_cost.sh ['dwconv k=3 same relu'] [seconds per measurement]
cd "$(dirname "$0")/.." || exit 2
LAYER=${1:-dwconv k=3 same relu}
SECONDS_PER=${2:-3}
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
tail='pool avg global
dense 10'
printf 'model none\n%s\n%s\n' "$head" "$tail" > "$tmp/none.spec"
printf 'model conv\n%s\nconv 32 k=3 same relu\n%s\n' "$head" "$tail" > "$tmp/conv.spec"
printf 'model layer\n%s\n%s\n%s\n' "$head" "$LAYER" "$tail" > "$tmp/layer.spec"

# flops, training images/s, latency in microseconds, for one model
measure() {
    d=$tmp/$1
    bin/convc gen "$tmp/$1.spec" -o "$d" > /dev/null || exit 1
    # shellcheck disable=SC2086
    $CC $MODEL_CFLAGS -Iruntime -I"$d" -DBENCH_MODEL="$1_model" -o "$d/bench" bench/bench.c \
        "$d/model.c" build/libconvc.a $LIBS || exit 1
    "$d/bench" --seconds "$SECONDS_PER" --max-threads 1 |
        awk -F, '$3 == "flops_forward" { f = $5 } $3 == "train_ips" && $4 == "b32_t1" { t = $5 }
                 $3 == "latency_us" { l = $5 } END { print f, t, l }'
}
set -- $(measure none) $(measure conv) $(measure layer)
awk -v layer="$LAYER" -v f0="$1" -v t0="$2" -v l0="$3" -v fc="$4" -v tc="$5" -v lc="$6" \
    -v fl="$7" -v tl="$8" -v ll="$9" 'BEGIN {
    # seconds per image the layer adds, and its GFLOP/s
    gc = 3 * (fc - f0) / (1 / tc - 1 / t0) / 1e9; gl = 3 * (fl - f0) / (1 / tl - 1 / t0) / 1e9
    ic = (fc - f0) / ((lc - l0) * 1e-6) / 1e9;   il = (fl - f0) / ((ll - l0) * 1e-6) / 1e9
    printf "%-32s %12s %14s %14s\n", "layer (on 28x28x32)", "fwd MFLOPs", "train GFLOP/s", "infer GFLOP/s"
    printf "%-32s %12.3f %14.2f %14.2f\n", "conv 32 k=3 same relu", (fc - f0) / 1e6, gc, ic
    printf "%-32s %12.3f %14.2f %14.2f\n", layer, (fl - f0) / 1e6, gl, il
    printf "cost per FLOP relative to the conv: %.2fx in training, %.2fx in inference\n", gc / gl, ic / il
}'
