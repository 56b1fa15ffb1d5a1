#!/bin/sh
# t_bias_bits.sh - the plain loops and the vector kernels of both register
# files sum the bias-like gradients (biases, batchnorm's gamma and beta) in
# the same order, so they give the same bits (docs/generated-code.md): one
# pass of tests/bias_bits/bias_bits.spec, built three ways without FMA
# contraction, compared byte for byte tensor by tensor.
cd "$(dirname "$0")/.." || exit 2
CC=${CC:-cc}
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
bin/convc gen tests/bias_bits/bias_bits.spec -o "$tmp/gen" > /dev/null || exit 1
. tests/other_registers.sh
other=$OTHER_REGISTERS
status=0
k=0
for flags in "-march=native -DCONVC_NO_VECTOR" "-march=native" "$other"; do
    k=$((k + 1))
    # shellcheck disable=SC2086 # flags are words
    if ! $CC -std=c11 -Wall -Wextra -Werror -O2 -ffp-contract=off $flags -Iruntime -I"$tmp/gen" \
            -DMODEL=bias_bits_model -o "$tmp/grads$k" tests/bias_bits/grads_main.c \
            "$tmp/gen/model.c" -lm ||
       ! "$tmp/grads$k" > "$tmp/g$k" 2> "$tmp/tensors"; then
        echo "t_bias_bits: does not build or run [$flags]"
        exit 1
    fi
    echo "$flags" > "$tmp/flags$k"
done
# name offset count of each bias-like tensor: its bytes in the three builds
grep -E '\.(bias|gamma|beta) ' "$tmp/tensors" > "$tmp/compared"
[ -s "$tmp/compared" ] || { echo "t_bias_bits: no bias-like tensors"; exit 1; }
while read -r name offset count; do
    for k in 2 3; do
        if ! cmp -s "$tmp/g1" "$tmp/g$k" -i "$((4 * offset)):$((4 * offset))" \
                -n "$((4 * count))"; then
            echo "t_bias_bits: $name: the plain loops and [$(cat "$tmp/flags$k")] differ"
            status=1
        fi
    done
done < "$tmp/compared"
[ $status -eq 0 ] && echo "t_bias_bits: $(wc -l < "$tmp/compared") tensors, the same bits in the plain loops, [-march=native] and [$other]"
exit $status
