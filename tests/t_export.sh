#!/bin/sh
# t_export.sh - `convc export`: a briefly trained cnn_k3 exported to one C
# file that compiles warning-free as C99 (gcc, clang), as C++, with tcc and in
# static mode; whose weights equal the checkpoint's bit for bit and whose
# predictions equal the trainer's forward pass on the 10,000 test images
# (and so do a depthwise-separable model's, whose linear head's training
# loss equals its evaluated loss);
# whose example main rejects bad PGM/IDX input with a clear message; and a
# checkpoint of another architecture is refused.
cd "$(dirname "$0")/.." || exit 2
CC=${CC:-cc}
DATA=${CONVC_DATA:-/usr/share/datasets/fashion-mnist}
# The runtime's link line (make print-libs).
LIBS=$(make -s --no-print-directory print-libs) || exit 2
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
status=0
fail() { echo "t_export: $*"; status=1; }

# The example main is a C file of its own (embedded in every export): it
# compiles against a stub model as C99, C++ and with tcc, and classifies.
W="-pedantic -Wall -Wextra -Werror"
printf 'P2\n3 2\n255\n255 0 0\n0 0 0\n' > "$tmp/bright.pgm"
printf 'P5\n3 2\n255\n\000\000\000\000\000\000' > "$tmp/dark.pgm"
for cc in "gcc -std=c99" "clang -std=c99" "g++ -x c++" "tcc"; do
    command -v ${cc%% *} > /dev/null || continue
    w=$W; [ "$cc" = tcc ] && w="-Wall -Werror"
    $cc $w -include tests/export/stub_model.h -o "$tmp/stub_main" compiler/output/export_main.c ||
        { fail "export_main.c: $cc"; continue; }
    out=$("$tmp/stub_main" "$tmp/bright.pgm" "$tmp/dark.pgm" 2>&1)
    [ "$out" = "$tmp/bright.pgm: bright (1.0000)
$tmp/dark.pgm: dark (1.0000)" ] || fail "export_main.c ($cc) prints '$out'"
    "$tmp/stub_main" > /dev/null 2> "$tmp/usage"
    [ $? -eq 2 ] && grep -q "with the model stub;" "$tmp/usage" || fail "export_main.c ($cc): usage"
done

if [ ! -f "$DATA/t10k-images-idx3-ubyte.gz" ]; then
    echo "t_export: no data set in $DATA: skipped"
    exit 0
fi

# A trainer for cnn_k3, one short epoch, a checkpoint.
bin/convc gen --trainer-main specs/cnn_k3.spec -o "$tmp/m" || exit 1
$CC -O2 -march=native -ffp-contract=fast -std=c11 -Iruntime -I"$tmp/m" -o "$tmp/train" \
    "$tmp/m/model.c" "$tmp/m/main.c" build/libconvc.a $LIBS || exit 1
"$tmp/train" --epochs 1 --limit-train 2000 --limit-test 100 --threads 2 --quiet \
    --data "$DATA" --save "$tmp/k3.ckpt" > "$tmp/train.log" 2>&1 ||
    { cat "$tmp/train.log"; exit 1; }

bin/convc export specs/cnn_k3.spec --weights "$tmp/k3.ckpt" -o "$tmp/cnn_k3.c" || exit 1
echo "t_export: cnn_k3.c: $(wc -c < "$tmp/cnn_k3.c") bytes, $(wc -l < "$tmp/cnn_k3.c") lines"

# Compilers and modes.
gcc -std=c99 $W -O2 -DCNN_K3_MAIN -o "$tmp/classify" "$tmp/cnn_k3.c" -lm || fail "gcc -std=c99"
clang -std=c99 $W -O1 -DCNN_K3_MAIN -o "$tmp/classify_clang" "$tmp/cnn_k3.c" -lm ||
    fail "clang -std=c99"
g++ -x c++ $W -O1 -DCNN_K3_MAIN -o "$tmp/classify_cxx" "$tmp/cnn_k3.c" -lm || fail "g++ -x c++"
# GCC and clang take the vector kernels, on SSE registers above and with AVX
# here (gcc and g++ on the smaller exports below: the same code, with
# Winograd layers, at a fraction of the compile time).
clang -std=c99 $W -O1 -march=native -DCNN_K3_MAIN -o "$tmp/classify_native" "$tmp/cnn_k3.c" -lm ||
    fail "clang -std=c99 -march=native"
if command -v tcc > /dev/null; then
    tcc -Wall -Werror -DCNN_K3_MAIN -o "$tmp/classify_tcc" "$tmp/cnn_k3.c" -lm || fail "tcc"
else
    echo "t_export: tcc not installed: skipped"
fi
gcc -std=c99 $W -O2 -I"$tmp" -o "$tmp/example" examples/export/classify.c -lm ||
    fail "examples/export/classify.c (static mode)"
# Declarations alone (no implementation) compile too.
printf '#include "cnn_k3.c"\nint f(const float *x);\nint f(const float *x) { return cnn_k3_predict(x, 0); }\n' \
    > "$tmp/decl.c"
gcc -std=c99 $W -I"$tmp" -c -o "$tmp/decl.o" "$tmp/decl.c" || fail "declarations only"
# The implementation's short names for its vector helpers end with it.
printf '#define CNN_K3_IMPLEMENTATION\n#include "cnn_k3.c"\nint vf8, vload, vstore, vsplat;\n' \
    > "$tmp/names.c"
gcc -std=c99 $W -march=native -I"$tmp" -c -o "$tmp/names.o" "$tmp/names.c" ||
    fail "the vector helpers' short names leak out of the implementation"

# Same predictions as the trainer's forward pass on every test image (the
# plain loops, slower, on the first 1,000: the same code for every image).
gunzip -c "$DATA/t10k-images-idx3-ubyte.gz" > "$tmp/t10k-images" || exit 1
{ printf '\000\000\010\003\000\000\003\350'; tail -c +9 "$tmp/t10k-images" | head -c $((8 + 1000 * 784)); } \
    > "$tmp/t1k-images"
$CC -std=c11 -O1 -march=native -ffp-contract=fast -Iruntime -I"$tmp/m" -I"$tmp" \
    -DNAME=cnn_k3 -DEXPORTED='"cnn_k3.c"' -DCNN_K3_IMPLEMENTATION -DCNN_K3_STATIC \
    -o "$tmp/compare" tests/export/compare_main.c "$tmp/m/model.c" build/libconvc.a $LIBS ||
    fail "compare_main.c does not build"
"$tmp/compare" "$tmp/k3.ckpt" "$tmp/t10k-images" || fail "predictions differ"
# The plain loops of the exported file against the trainer's vector kernels.
$CC -std=c11 -O1 -march=native -ffp-contract=fast -Iruntime -I"$tmp/m" -I"$tmp" \
    -DNAME=cnn_k3 -DEXPORTED='"cnn_k3.c"' -DCNN_K3_IMPLEMENTATION -DCNN_K3_STATIC \
    -DCNN_K3_NO_VECTOR -o "$tmp/compare_plain" tests/export/compare_main.c "$tmp/m/model.c" \
    build/libconvc.a $LIBS || fail "compare_main.c does not build"
"$tmp/compare_plain" "$tmp/k3.ckpt" "$tmp/t1k-images" || fail "predictions differ (plain loops)"
n=$("$tmp/classify" "$tmp/t1k-images" | wc -l)
[ "$n" -eq 1000 ] || fail "classify printed $n lines for 1000 images"
if [ -x "$tmp/classify_tcc" ]; then
    "$tmp/classify" "$tmp/t1k-images" | head -n 200 > "$tmp/gcc.out"
    "$tmp/classify_tcc" "$tmp/t1k-images" | head -n 200 > "$tmp/tcc.out"
    cmp -s "$tmp/gcc.out" "$tmp/tcc.out" || echo "t_export: note: tcc's output differs from gcc's in the last digits"
fi

# Bad inputs to the example main: a clear message and status 1, never a crash.
gcc -std=c99 -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -DCNN_K3_MAIN \
    -o "$tmp/classify_asan" "$tmp/cnn_k3.c" -lm || fail "sanitizer build"
b=$tmp/bad
mkdir -p "$b"
printf 'P5\n27 28\n255\n' > "$b/wrong_size.pgm"; head -c 756 /dev/zero >> "$b/wrong_size.pgm"
printf 'P5\n28 28\n255\n' > "$b/truncated.pgm"; head -c 700 /dev/zero >> "$b/truncated.pgm"
printf 'P2\n28 28\n255\n1 2 3\n' > "$b/short_ascii.pgm"
printf 'P2\n28 28\n0\n' > "$b/bad_maxval.pgm"
printf 'P5\n28' > "$b/header.pgm"
printf 'hello, world\n' > "$b/text.txt"
: > "$b/empty"
head -c 1000 "$tmp/t10k-images" > "$b/truncated.idx"
head -c 16 "$tmp/t10k-images" > "$b/header_only.idx"
printf '\000\000\015\003' > "$b/float.idx"; head -c 12 /dev/zero >> "$b/float.idx"
printf '\000\000\010\001\000\000\000\001x' > "$b/labels.idx"
printf '\000\000\010\003' > "$b/short_header.idx"
head -c 100 "$DATA/t10k-images-idx3-ubyte.gz" > "$b/compressed.gz"
for f in "$b"/*; do
    "$tmp/classify_asan" "$f" > "$tmp/out" 2> "$tmp/err"
    rc=$?
    if [ $rc -ne 1 ] || [ ! -s "$tmp/err" ] || grep -q Sanitizer "$tmp/err"; then
        fail "$(basename "$f"): status $rc, message '$(head -c 200 "$tmp/err")'"
    fi
done
"$tmp/classify_asan" "$b/missing.pgm" 2> /dev/null && fail "a missing file is accepted"
# A good PGM from the test set (P5) gives one line.
{ printf 'P5\n# a comment\n28 28\n255\n'; tail -c +17 "$tmp/t10k-images" | head -c 784; } > "$tmp/one.pgm"
"$tmp/classify_asan" "$tmp/one.pgm" | grep -q "one.pgm: " || fail "a good PGM is not classified"
{ printf 'P5\n28 28\n255\n'; tail -c +17 "$tmp/t10k-images" | head -c 784; } > "$tmp/plain.pgm"
"$tmp/example" "$tmp/plain.pgm" > /dev/null || fail "examples/export/classify.c fails on a good PGM"

# A depthwise-separable model (dwconv with a multiplier and a stride, global
# average pooling, relu6, leaky_relu) with a linear head, trained briefly:
# the export predicts what the trainer does on every test image, with the
# vector kernels and with the plain loops.
S=tests/export/separable.spec
bin/convc gen --trainer-main "$S" -o "$tmp/sep" || exit 1
$CC -O2 -march=native -ffp-contract=fast -std=c11 -Iruntime -I"$tmp/sep" -o "$tmp/sep/train" \
    "$tmp/sep/model.c" "$tmp/sep/main.c" build/libconvc.a $LIBS || exit 1
"$tmp/sep/train" --epochs 1 --lr 0.01 --limit-train 2000 --limit-test 100 --threads 2 --quiet \
    --data "$DATA" --save "$tmp/sep.ckpt" > "$tmp/train.log" 2>&1 ||
    { cat "$tmp/train.log"; exit 1; }
bin/convc export "$S" --weights "$tmp/sep.ckpt" -o "$tmp/separable.c" || exit 1
for flags in "" "-DSEPARABLE_NO_VECTOR"; do
    $CC -std=c11 -O1 -march=native -ffp-contract=fast -Iruntime -I"$tmp/sep" -I"$tmp" \
        -DNAME=separable -DEXPORTED='"separable.c"' -DSEPARABLE_IMPLEMENTATION -DSEPARABLE_STATIC \
        $flags -o "$tmp/sep/compare" tests/export/compare_main.c "$tmp/sep/model.c" \
        build/libconvc.a $LIBS || fail "separable: compare_main.c does not build $flags"
    "$tmp/sep/compare" "$tmp/sep.ckpt" "$tmp/t10k-images" || fail "separable: predictions differ $flags"
done
# The loss of a linear head: training (softmax cross-entropy of the logits)
# and `train eval` (from the probabilities) agree on the same weights.  The
# training set is the test set here, and a learning rate of 1e-9 leaves the
# weights as they were, so the epoch's mean training loss, the test loss of
# the history and `eval` all see the same images and weights (trained: the
# loss is below ln 10, the loss of uniform probabilities).
mkdir -p "$tmp/same"
for k in images-idx3 labels-idx1; do
    ln -s "$DATA/t10k-$k-ubyte.gz" "$tmp/same/train-$k-ubyte.gz"
    ln -s "$DATA/t10k-$k-ubyte.gz" "$tmp/same/t10k-$k-ubyte.gz"
done
"$tmp/sep/train" --init-from "$tmp/sep.ckpt" --epochs 1 --optimizer sgd --lr 1e-9 --batch 32 \
    --limit-train 512 --limit-test 512 --threads 2 --quiet --data "$tmp/same" \
    --history "$tmp/sep.csv" --save "$tmp/same.ckpt" > "$tmp/train.log" 2>&1 ||
    { cat "$tmp/train.log"; exit 1; }
eval_loss=$("$tmp/sep/train" eval --weights "$tmp/same.ckpt" --data "$tmp/same" --limit-test 512 \
    --json | sed -n 's/.*"loss":\([^,]*\),.*/\1/p')
tail -n 1 "$tmp/sep.csv" | awk -F, -v e="$eval_loss" '
    function abs(x) { return x < 0 ? -x : x }
    { print "t_export: linear head: training loss " $2 ", test loss " $4 ", eval loss " e
      exit !(e != "" && $2 < 2.29 && abs($2 - $4) < 1e-4 && abs($2 - e) < 1e-4) }' ||
    fail "separable: the training loss and the evaluated loss differ"

# Other layer kinds (dropout, average pooling, odd shapes, several channels):
# random weights through the runtime's checkpoint writer, then the same checks.
for s in tests/gradcheck/*.spec; do
    name=$(sed -n 's/^model  *\([A-Za-z_][A-Za-z0-9_]*\).*/\1/p' "$s")
    up=$(echo "$name" | tr a-z A-Z)
    d=$tmp/$name
    bin/convc gen "$s" -o "$d" || { fail "$s: gen"; continue; }
    $CC -std=c11 -O0 -Iruntime -I"$d" -DNAME="$name" -o "$d/fake" tests/export/fake_ckpt.c \
        "$d/model.c" build/libconvc.a $LIBS && "$d/fake" "$d/w.ckpt" || { fail "$s: checkpoint"; continue; }
    bin/convc export "$s" --weights "$d/w.ckpt" -o "$d/$name.c" || { fail "$s: export"; continue; }
    # Warnings that need the optimizer's flow analysis come from the -O2
    # build; the other compilers and modes only have to accept the file.
    # (gcc's vector path: the comparison build below)
    for cc in "gcc -std=c99 -O2" "g++ -x c++ -O0" "g++ -x c++ -march=native -O0" \
              "clang -std=c99 -march=native -O0"; do
        $cc $W -D"${up}_MAIN" -o "$d/classify" "$d/$name.c" -lm || fail "$s: $cc"
    done
    for flags in "" "-D${up}_NO_VECTOR"; do
        $CC -std=c11 -O1 -march=native -ffp-contract=fast -Iruntime -I"$d" -DNAME="$name" \
            -DEXPORTED="\"$name.c\"" -D"${up}_IMPLEMENTATION" -D"${up}_STATIC" $flags \
            -o "$d/compare" tests/export/compare_main.c "$d/model.c" build/libconvc.a $LIBS &&
            "$d/compare" "$d/w.ckpt" -random || fail "$s: predictions differ $flags"
    done
done

# A checkpoint of another architecture is refused, and nothing is written.
if bin/convc export specs/cnn_k5.spec --weights "$tmp/k3.ckpt" -o "$tmp/wrong.c" 2> "$tmp/err"; then
    fail "a cnn_k3 checkpoint was accepted for cnn_k5"
fi
grep -q "error" "$tmp/err" || fail "no error message for a mismatched checkpoint"
[ -e "$tmp/wrong.c" ] && fail "a file was written despite the error"
head -c 5000 "$tmp/k3.ckpt" > "$tmp/trunc.ckpt"
bin/convc export specs/cnn_k3.spec --weights "$tmp/trunc.ckpt" -o "$tmp/wrong.c" 2> /dev/null &&
    fail "a truncated checkpoint was accepted"

[ $status -eq 0 ] && echo "t_export: ok"
exit $status
