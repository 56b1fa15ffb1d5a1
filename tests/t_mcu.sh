#!/bin/sh
# t_mcu.sh - shipping to microcontrollers: `convc export`'s options
# (getopt_long), its memory plan and RAM/flash budget, --int8 on a model of
# every layer kind int8 computes (tests/mcu/every_kind_q8.spec, briefly
# trained: the int8 file's classes against the float file's, the accuracy
# convc reports, per-layer error, bad input), and the proof on a
# Cortex-M4F: examples/mcu cross-compiled and run under qemu-system-arm
# (mps2-an386, semihosting) on 100 test images, against the same main on
# the host: int8 outputs bit for bit, float outputs within 1e-5.  One model
# is trained; cnn_k3 (the plan's and the budget's known numbers, the int8
# firmware's size) and the float model under QEMU take random weights.
# Builds whose optimization is not what is checked use -O1.
cd "$(dirname "$0")/.." || exit 2
CC=${CC:-cc}
DATA=${CONVC_DATA:-/usr/share/datasets/fashion-mnist}
convc=bin/convc
LIBS=$(make -s --no-print-directory print-libs) || exit 2
tmp=$(mktemp -d) || exit 2
qemu_pid=
trap '[ -n "$qemu_pid" ] && kill "$qemu_pid" 2> /dev/null; rm -rf "$tmp"' EXIT INT TERM
status=0
fail() { echo "t_mcu: $*"; status=1; }
# expect STATUS WHAT COMMAND...: output in $tmp/out and $tmp/err
expect() {
    want=$1; what=$2; shift 2
    "$@" > "$tmp/out" 2> "$tmp/err" < /dev/null
    got=$?
    [ "$got" -eq "$want" ] || { fail "$what: exit status $got, expected $want: $(head -c 300 "$tmp/err")"; return 1; }
}
# first line of stderr equals the text
err_is() { [ "$(head -n 1 "$tmp/err")" = "$1" ] || fail "message '$(head -n 1 "$tmp/err")', expected '$1'"; }
# the last line of stderr equals the text (after warnings)
err_ends() { [ "$(tail -n 1 "$tmp/err")" = "$1" ] || fail "message '$(tail -n 1 "$tmp/err")', expected '$1'"; }

# The export's example main flushes denormals to zero (GCC and clang on
# x86 and AArch64), as the trainer does.
printf 'P2\n3 2\n255\n255 0 0\n0 0 0\n' > "$tmp/one.pgm"
for cc in "gcc -std=c99" "clang -std=c99"; do
    $cc -pedantic -Wall -Wextra -Werror -O2 -include tests/mcu/denormal_model.h -o "$tmp/den" \
        compiler/output/export_main.c || { fail "export_main.c: $cc"; continue; }
    [ "$("$tmp/den" "$tmp/one.pgm")" = "$tmp/one.pgm: flushed (1.0000)" ] ||
        fail "export_main.c ($cc) does not flush denormals to zero"
done

if [ ! -f "$DATA/t10k-images-idx3-ubyte.gz" ]; then
    echo "t_mcu: no data set in $DATA: skipped"
    exit 0
fi

# ---- a briefly trained model of every kind, and a small data set ----------
EK=tests/mcu/every_kind_q8.spec
bin/convc gen --trainer-main $EK -o "$tmp/ek" > /dev/null || exit 1
$CC -O1 -std=c11 -Iruntime -I"$tmp/ek" -o "$tmp/ek/train" "$tmp/ek/model.c" "$tmp/ek/main.c" \
    build/libconvc.a $LIBS || exit 1
"$tmp/ek/train" --epochs 1 --limit-train 3000 --limit-test 100 --lr 0.005 --threads 2 --quiet \
    --data "$DATA" --save "$tmp/ek.ckpt" > "$tmp/train.log" 2>&1 ||
    { cat "$tmp/train.log"; exit 1; }
# Random weights (tests/export/fake_ckpt.c) for the rest: GEN SPEC NAME
fake() {
    bin/convc gen "$1" -o "$tmp/$2" > /dev/null &&
    $CC -std=c11 -O1 -Iruntime -I"$tmp/$2" -DNAME="$2" -o "$tmp/$2/fake" tests/export/fake_ckpt.c \
        "$tmp/$2/model.c" build/libconvc.a $LIBS && "$tmp/$2/fake" "$tmp/$2.ckpt"
}
fake specs/cnn_k3.spec cnn_k3 || exit 1
# IDX files of the first 300 training and 1,000 test images (the counts are
# bytes 4..7 of the header).
idx() { # SRC.gz N HEADER_BYTES ITEM_BYTES OUT
    gunzip -c "$1" > "$tmp/whole"
    { head -c 4 "$tmp/whole"; printf "\\000\\000\\$(printf %03o $(($2 / 256)))\\$(printf %03o $(($2 % 256)))"
      tail -c +9 "$tmp/whole" | head -c $(($3 - 8 + $2 * $4)); } > "$5"
}
d=$tmp/data
mkdir -p "$d" "$tmp/zero"
idx "$DATA/train-images-idx3-ubyte.gz" 300 16 784 "$d/train-images-idx3-ubyte"
idx "$DATA/train-labels-idx1-ubyte.gz" 300 8 1 "$d/train-labels-idx1-ubyte"
idx "$DATA/t10k-images-idx3-ubyte.gz" 1000 16 784 "$d/t10k-images-idx3-ubyte"
idx "$DATA/t10k-labels-idx1-ubyte.gz" 1000 8 1 "$d/t10k-labels-idx1-ubyte"
# The same with black training images: a zero range.
{ head -c 16 "$d/train-images-idx3-ubyte"; head -c 235200 /dev/zero; } > "$tmp/zero/train-images-idx3-ubyte"
cp "$d/train-labels-idx1-ubyte" "$d/t10k-images-idx3-ubyte" "$d/t10k-labels-idx1-ubyte" "$tmp/zero/"

# ---- options: getopt_long ------------------------------------------------
K3="specs/cnn_k3.spec"
expect 0 "--opt=value" $convc export $K3 --weights="$tmp/cnn_k3.ckpt" --output="$tmp/a.c" --target=cortex-m4
expect 0 "--opt value, options after the spec" $convc export --target cortex-m4 $K3 --weights "$tmp/cnn_k3.ckpt" -o "$tmp/b.c"
cmp -s "$tmp/a.c" "$tmp/b.c" || fail "--opt=value and --opt value give different files"
expect 0 "abbreviations" $convc export $K3 --wei "$tmp/cnn_k3.ckpt" --out "$tmp/c.c" --target=cortex-m4 --fla=1M
cmp -s "$tmp/a.c" "$tmp/c.c" || fail "abbreviated options give a different file"
expect 2 "ambiguous abbreviation" $convc export $K3 --weights "$tmp/cnn_k3.ckpt" -o "$tmp/d.c" --tar cortex-m4
err_is "convc export: option '--tar' is ambiguous (--target, --targets)"
grep -q "^usage: convc export" "$tmp/err" || fail "no usage after an ambiguous option"
cp $K3 "$tmp/-k3.spec"
expect 0 "-- ends the options" $convc export --weights "$tmp/cnn_k3.ckpt" -o "$tmp/e.c" -- "$tmp/-k3.spec"
expect 2 "unknown option" $convc export $K3 --frob
err_is "convc export: unknown option '--frob'"
expect 2 "missing value" $convc export $K3 --weights
err_is "convc export: --weights needs a value"
expect 2 "bad target" $convc export $K3 --weights "$tmp/cnn_k3.ckpt" -o "$tmp/f.c" --target=z80
err_is "convc export: --target: 'z80' is not valid (expected host or cortex-m4; --targets lists them)"
expect 2 "bad size" $convc export $K3 --weights "$tmp/cnn_k3.ckpt" -o "$tmp/f.c" --ram 12Q
err_is "convc export: --ram: '12Q' is not valid (expected a size in bytes: 65536, 64K or 1M)"
expect 2 "bad count" $convc export $K3 --weights "$tmp/cnn_k3.ckpt" -o "$tmp/f.c" --int8 --calibrate 0
err_is "convc export: --calibrate: '0' is not valid (expected a whole number of images, 1 or more)"
expect 0 "--help" $convc export --help && grep -q "^usage: convc export" "$tmp/out" || fail "--help"
expect 0 "--targets" $convc export --targets && grep -q "^cortex-m4 " "$tmp/out" || fail "--targets"

# ---- the memory plan and the budget ---------------------------------------
expect 0 "float export for cortex-m4" $convc export $K3 --weights "$tmp/cnn_k3.ckpt" -o "$tmp/k3.c" \
    --target cortex-m4 --ram 256K --flash 1M
grep -q "RAM:   125,440 B of work arena (224,960 B without reuse), peak at pool1: 125,440 B live;" \
    "$tmp/out" || fail "float arena: $(cat "$tmp/out")"
grep -q "^#define CNN_K3_WORK_FLOATS 31360\$" "$tmp/k3.c" || fail "the file's arena is not 31,360 floats"
expect 1 "over the RAM budget" $convc export $K3 --weights "$tmp/cnn_k3.ckpt" -o "$tmp/g.c" --ram 64K
err_is "specs/cnn_k3.spec: error: the work arena takes 365,440 B of RAM, over --ram 64K (65,536 B); the peak is at layer 3, conv2 (line 6: conv 64 k=3 same relu), with 352,256 B live"
[ -e "$tmp/g.c" ] && fail "a file was written over the RAM budget"
expect 1 "over the flash budget" $convc export $K3 --weights "$tmp/cnn_k3.ckpt" -o "$tmp/g.c" --flash 512K --target cortex-m4
err_is "specs/cnn_k3.spec: error: the weights take 880,936 B of flash, over --flash 512K (524,288 B), before any code"
[ -e "$tmp/g.c" ] && fail "a file was written over the flash budget"
# the summary prints the same plan
expect 0 "summary" $convc summary $K3
grep -q "^pool1  *6,272  *31,360  <- peak\$" "$tmp/out" || fail "summary: no peak at pool1"
grep -q "^Arena (--target cortex-m4): 31,360 floats = 125,440 bytes" "$tmp/out" || fail "summary: arena"

# ---- int8 ------------------------------------------------------------------
# cnn_k3: the int8 arena, on a few calibration images
expect 0 "--int8 cnn_k3" $convc export $K3 --weights "$tmp/cnn_k3.ckpt" -o "$tmp/k3_q8.c" \
    --target cortex-m4 --int8 --calibrate 20 --eval 0 --data "$d" --ram 64K --flash 300K
grep -q "RAM:   31,360 B of work arena" "$tmp/out" || fail "int8 arena is not 31,360 bytes"
grep -q "; no test images compared" "$tmp/out" || fail "--eval 0 compared images"

# every kind: a graph, calibrated on the 300 training images
expect 0 "--int8" $convc export $EK --weights "$tmp/ek.ckpt" -o "$tmp/ek_q8.c" --target cortex-m4 \
    --int8 --calibrate 500 --data "$d"
cat "$tmp/out"
grep -q "warning: --calibrate 500 is more than the 300 training images: calibrating on 300" "$tmp/err" ||
    fail "--calibrate over the training set is not clamped with a warning"
grep -q "float against int8 on 1000 test images" "$tmp/out" || fail "int8 not compared on 1000 images"
# the accuracy convc reports: int8 within 2.5 points of float, and well
# above chance (the comparison means something)
set -- $(sed -n 's/^  accuracy: float \([0-9.]*\)%, int8 \([0-9.]*\)%.*/\1 \2/p' "$tmp/out")
awk -v f="$1" -v q="$2" 'BEGIN { exit !(f >= 40 && q >= f - 2.5) }' ||
    fail "accuracy: float $1%, int8 $2% (float under 40% or int8 more than 2.5 points lower)"
# each layer's mean error stays under one quantization step; a tanh or
# sigmoid layer's (and dropout2's, batchnorm4's output) under two: its
# fixed output step (1/128, 1/256) is finer than its pre-activation's,
# whose rounding the table carries over
tables=" conv3 dwconv2 add2 batchnorm4 dropout2 dense2 "
steps='{ bound = index(tables, " " $1 " ") ? 2.0 : 1.0 }'
# (every layer has its row, but the two batchnorms that fold into the layer
# before them: a changed format would check nothing)
layers=$(bin/convc summary "$EK" | awk '/^=+$/ { rule++; next } rule == 1 { n++ } END { print n - 2 }')
awk -v tables="$tables" -v layers="$layers" "$steps"'
     $1 ~ /^[a-z]+[0-9]+$/ && NF == 6 { rows++; if ($NF >= bound) { print "t_mcu: " $1 " mean error " $NF " steps"; bad = 1 } }
     END { if (rows != layers) { print "t_mcu: " rows " per-layer error rows for " layers " layers"; bad = 1 }
           exit bad }' "$tmp/out" || fail "a layer's int8 error is too large"
for k in dwconv add concat batchnorm; do
    grep -q "^  ${k}[0-9]" "$tmp/out" || fail "no $k layer in the int8 model"
done
# tanh and sigmoid: TensorFlow Lite's fixed output scales and zero points,
# and a table after the kernel of each of the five
for l in conv3 dwconv2 add2 dense2; do
    grep -q "^  $l  *0.0078125  *0 " "$tmp/out" || fail "tanh layer $l is not at scale 1/128, zero point 0"
done
grep -q "^  batchnorm4  *0.00390625  *-128 " "$tmp/out" || fail "sigmoid layer batchnorm4 is not at scale 1/256, zero point -128"
[ "$(grep -c '^    every_kind_q8__q8_lut(w + [0-9]*, [0-9]*, every_kind_q8__[a-z0-9]*_lut);$' "$tmp/ek_q8.c")" -eq 5 ] ||
    fail "the int8 file does not apply five tables"
# the int8 file compiles everywhere the float file does
W="-pedantic -Wall -Wextra -Werror"
# (gcc builds it, with the warnings of the optimizer; the others check it)
gcc -std=c99 $W -O2 -DEVERY_KIND_Q8_MAIN -DEVERY_KIND_Q8_STATIC -o "$tmp/q8_classify" "$tmp/ek_q8.c" -lm ||
    fail "int8 file: gcc, static mode"
for cc in "clang -std=c99" "g++ -x c++"; do
    $cc $W -fsyntax-only -DEVERY_KIND_Q8_MAIN "$tmp/ek_q8.c" || fail "int8 file: $cc"
done
if command -v tcc > /dev/null; then
    tcc -Wall -Werror -DEVERY_KIND_Q8_MAIN -o "$tmp/q8_tcc" "$tmp/ek_q8.c" -lm || fail "int8 file: tcc"
fi
# the int8 file's classes against the float file's on the 1,000 test images
$convc export $EK --weights "$tmp/ek.ckpt" -o "$tmp/ek.c" > /dev/null || fail "every kind: float export"
gcc -std=c99 -O1 -DEVERY_KIND_Q8_MAIN -o "$tmp/f32_classify" "$tmp/ek.c" -lm || fail "float file: gcc"
"$tmp/f32_classify" "$d/t10k-images-idx3-ubyte" | sed 's/ (.*//' > "$tmp/f32.classes"
"$tmp/q8_classify" "$d/t10k-images-idx3-ubyte" | sed 's/ (.*//' > "$tmp/q8.classes"
same=$(paste -d '|' "$tmp/f32.classes" "$tmp/q8.classes" | awk -F '|' '$1 == $2 { n++ } END { print n + 0 }')
[ "$(wc -l < "$tmp/q8.classes")" -eq 1000 ] || fail "the int8 file classified $(wc -l < "$tmp/q8.classes") images"
[ "$same" -ge 950 ] || fail "the int8 file agrees with the float file on $same of 1000 images (< 950)"
echo "t_mcu: every kind: the int8 file gives the float file's class for $same of 1000 test images"

# unfolded batchnorms with a channel of gamma near 0 and a large beta
# (tests/mcu/every_kind_q8.spec's batchnorm2 and batchnorm4; offsets from
# its model.h): the bias fits int32 by a coarser weight scale
/usr/bin/python3 tests/ckpt_patch.py "$tmp/ek.ckpt" "$tmp/tiny.ckpt" "param[3440]=1e-9" \
    "param[3456]=3.0" "param[6320]=-1e-9" "param[6336]=-2.5" || exit 1
grep -q "P_BATCHNORM2_GAMMA  *3440 " "$tmp/ek/model.c" && grep -q "P_BATCHNORM4_GAMMA  *6320 " "$tmp/ek/model.c" ||
    fail "the batchnorms' gamma is not where the test patches it"
expect 0 "--int8 with a nearly constant batchnorm channel" $convc export $EK --weights "$tmp/tiny.ckpt" \
    -o "$tmp/tiny.c" --int8 --calibrate 100 --eval 200 --data "$d"
awk -v tables="$tables" "$steps"'
     $1 ~ /^batchnorm[24]$/ { n++; if ($NF >= bound) bad = 1 } END { exit bad || n != 2 }' "$tmp/out" ||
    fail "nearly constant batchnorm channels: $(grep '^  batchnorm' "$tmp/out")"

# bad input
expect 1 "--int8 with black calibration images" $convc export $EK --weights "$tmp/ek.ckpt" -o "$tmp/h.c" --int8 --data "$tmp/zero"
err_ends "tests/mcu/every_kind_q8.spec: error: --int8: the 300 calibration images are all 0: a zero range cannot be quantized"
# dense2 (dense 16 tanh) with weights and biases of 0 (offsets from its
# model.h): its pre-activation has a zero range
grep -q "P_DENSE2_KERNEL  *6384 " "$tmp/ek/model.c" && grep -q "P_DENSE2_BIAS  *6640 " "$tmp/ek/model.c" ||
    fail "dense2's parameters are not where the test patches them"
/usr/bin/python3 tests/ckpt_patch.py "$tmp/ek.ckpt" "$tmp/flat.ckpt" $(seq 6384 6655 | sed 's/.*/param[&]=0/') || exit 1
expect 1 "--int8 with a tanh layer whose pre-activation is 0" $convc export $EK --weights "$tmp/flat.ckpt" -o "$tmp/h.c" --int8 --data "$d" --calibrate 20 --eval 0
err_ends "tests/mcu/every_kind_q8.spec:32: error: --int8: every pre-activation of layer dense2 is 0 on the 20 calibration images: a zero range cannot be quantized"
# Checkpoints hold no NaN (the reader refuses one), but weights can overflow.
/usr/bin/python3 tests/ckpt_patch.py "$tmp/ek.ckpt" "$tmp/inf.ckpt" "param[0]=3.4e38" "param[200]=3.4e38" || exit 1
expect 1 "--int8 with overflowing weights" $convc export $EK --weights "$tmp/inf.ckpt" -o "$tmp/h.c" --int8 --data "$d" --eval 0
err_ends "tests/mcu/every_kind_q8.spec:9: error: --int8: layer conv1 gives NaN or infinite values on the calibration images: the checkpoint's weights are broken"
expect 1 "--int8 with another spec's checkpoint" $convc export specs/cnn_k5.spec --weights "$tmp/cnn_k3.ckpt" -o "$tmp/h.c" --int8 --data "$d"
grep -q "spec hash" "$tmp/err" || fail "another spec's checkpoint: $(cat "$tmp/err")"
[ -e "$tmp/h.c" ] && fail "a file was written despite an error"

# ---- Cortex-M4F under QEMU -------------------------------------------------
if ! command -v arm-none-eabi-gcc > /dev/null || ! command -v qemu-system-arm > /dev/null; then
    echo "t_mcu: arm-none-eabi-gcc or qemu-system-arm missing (make deps): QEMU runs skipped"
    [ $status -eq 0 ] && echo "t_mcu: ok"
    exit $status
fi
# run_board OUT: the firmware under QEMU, bounded, killed by its own PID
run_board() {
    timeout 300 qemu-system-arm -M mps2-an386 -nographic -monitor none -serial none \
        -semihosting-config enable=on,target=native -kernel "$1/firmware.elf" > "$1/board.out" &
    qemu_pid=$!
    wait "$qemu_pid"
    rc=$?
    qemu_pid=
    return $rc
}
# build OUT SRC MODEL N TARGETS [MAKE ARGUMENTS]: the firmware (and the host
# program) of N test images
build() {
    out=$1 src=$2 model=$3 n=$4 targets=$5
    shift 5
    make -s -C examples/mcu OUT="$out" SRC="$src" MODEL="$model" DATA="$DATA" N="$n" "$@" \
        $targets > "$out.log" 2>&1 || { cat "$out.log"; return 1; }
}
O1="CFLAGS=-O1 -std=c99 -Wall -Wextra -ffunction-sections -fdata-sections"

# int8 cnn_k3: the sizes the targets allow (the example's own -O2)
q=$tmp/board_k3
if build "$q" "$tmp/k3_q8.c" cnn_k3 1 size INT8=1; then
    # the model's object: text+data is flash, bss is RAM
    set -- $(grep 'model.o$' "$q.log")
    echo "t_mcu: cnn_k3 int8 on cortex-m4: flash $(($1 + $2)) B, RAM $3 B (arm-none-eabi-size)"
    [ $(($1 + $2)) -le 307200 ] || fail "int8 cnn_k3 takes $(($1 + $2)) B of flash (> 300 KB)"
    [ "$3" -le 65536 ] || fail "int8 cnn_k3 takes $3 B of RAM (> 64 KB)"
else
    fail "int8 cnn_k3 firmware does not build"
fi

# int8, every kind: bit for bit the host's on 100 images
q=$tmp/board_q8
if build "$q" "$tmp/ek_q8.c" every_kind_q8 100 all INT8=1 "$O1" && "$q/host" > "$q/host.out"; then
    run_board "$q" || fail "int8 firmware failed under QEMU"
    cmp -s "$q/host.out" "$q/board.out" || fail "int8 outputs differ between the host and the board"
    [ "$(grep -c '^[0-9]' "$q/board.out")" -eq 100 ] || fail "the board classified $(grep -c '^[0-9]' "$q/board.out") images"
    echo "t_mcu: every kind, int8 under QEMU: $(tail -n 1 "$q/board.out")"
else
    fail "int8 firmware does not build"
fi

# float: a small CNN with random weights, within 1e-5 of the host
fake tests/mcu/small.spec small || exit 1
$convc export tests/mcu/small.spec --weights "$tmp/small.ckpt" -o "$tmp/small.c" --target cortex-m4 > /dev/null ||
    fail "small: export"
f=$tmp/board_f32
if build "$f" "$tmp/small.c" small 20 all "$O1" && "$f/host" > "$f/host.out"; then
    run_board "$f" || fail "float firmware failed under QEMU"
    /usr/bin/python3 tests/mcu/compare_outputs.py "$f/host.out" "$f/board.out" 1e-5 ||
        fail "float outputs differ between the host and the board"
else
    fail "float firmware does not build"
fi

[ $status -eq 0 ] && echo "t_mcu: ok"
exit $status
