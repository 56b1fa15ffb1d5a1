#!/bin/sh
# t_random_specs.sh - the compiler on specs nobody wrote: random valid specs
# (tests/random_spec.py, seeds FIRST to FIRST + COUNT - 1; default 1 to 8),
# each
#   - gradient-checked (its --smooth variant) in the plain loops, the vector
#     kernels and the vector kernels under ASan and UBSan, built with -O2
#     -march=native -Werror (the build that met GCC 12's misaligned local
#     arrays, docs/generated-code.md);
#   - cross-checked against PyTorch (tests/xcheck/xcheck.py, every
#     activation; skipped without python3-torch);
#   - exported with random weights, the file's predictions compared with
#     the trainer's forward pass (-O2 -march=native, vector and plain);
# and the first two seeds' 28x28x1 variants trained (the real trainer, the
# Makefile's MODEL_CFLAGS, a random data set, batches of 7): 1, 2 and 3
# threads give the same checkpoint bytes, and so do 2 and 3 processes of
# the MPI trainer (when Open MPI is installed) and a run stopped by --steps
# and resumed.
# A longer campaign: RANDOM_SPECS_FIRST=100 RANDOM_SPECS=200 sh tests/t_random_specs.sh
cd "$(dirname "$0")/.." || exit 2
CC=${CC:-cc}
PY=/usr/bin/python3
FIRST=${RANDOM_SPECS_FIRST:-1}
COUNT=${RANDOM_SPECS:-8}
LIBS=$(make -s --no-print-directory print-libs) || exit 2
if [ ! -x bin/convc ] || [ ! -f build/libconvc.a ]; then
    echo "t_random_specs: make build first"
    exit 1
fi
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
status=0
fail() { echo "t_random_specs: seed $seed: $*"; status=1; }
VEC="-O2 -march=native -ffp-contract=fast"
SAN="-O1 -g -march=native -ffp-contract=fast -fsanitize=address,undefined -fno-sanitize-recover=all"

seed=$FIRST
while [ "$seed" -lt $((FIRST + COUNT)) ]; do
    d=$tmp/$seed
    mkdir -p "$d"
    if ! "$PY" tests/random_spec.py "$seed" --smooth > "$d/smooth.spec" ||
       ! "$PY" tests/random_spec.py "$seed" > "$d/any.spec"; then
        fail "no spec"
        seed=$((seed + 1))
        continue
    fi
    model=rs${seed}_model
    # gradients, three builds
    for build in plain vector asan; do
        case $build in
            plain) flags="$VEC -DCONVC_NO_VECTOR" ;;
            vector) flags=$VEC ;;
            asan) flags=$SAN ;;
        esac
        g=$d/gc_$build
        # shellcheck disable=SC2086 # flags are words
        if ! bin/convc gen "$d/smooth.spec" -o "$g" > /dev/null 2> "$d/gen.log" ||
           ! $CC -std=c11 -pedantic -Wall -Wextra -Werror $flags -Iruntime -I"$g" \
               -Itests/gradcheck -DMODEL="$model" -o "$g/gradcheck" \
               tests/gradcheck/gradcheck_main.c "$g/model.c" -lm 2> "$d/cc.log"; then
            fail "$build: does not generate or compile: $(cat "$d/gen.log" "$d/cc.log" | head -5)"
            continue
        fi
        "$g/gradcheck" 3 300 2e-2 > "$d/gc.log" 2>&1 ||
            fail "$build: gradient check: $(tail -n 3 "$d/gc.log")"
    done
    # the exported file against the trainer's forward pass, random weights
    e=$d/export
    up=$(echo "rs$seed" | tr '[:lower:]' '[:upper:]')
    # shellcheck disable=SC2086 # LIBS are words
    if ! bin/convc gen "$d/any.spec" -o "$e" > "$d/export.log" 2>&1 ||
       ! $CC -std=c11 -O0 -Iruntime -I"$e" -DNAME="rs$seed" -o "$e/fake" tests/export/fake_ckpt.c \
           "$e/model.c" build/libconvc.a $LIBS >> "$d/export.log" 2>&1 ||
       ! "$e/fake" "$e/w.ckpt" >> "$d/export.log" 2>&1 ||
       ! bin/convc export "$d/any.spec" --weights "$e/w.ckpt" -o "$e/rs$seed.c" \
           >> "$d/export.log" 2>&1; then
        fail "export: cannot write the file: $(tail -n 5 "$d/export.log")"
    else
        for flags in "" "-D${up}_NO_VECTOR"; do
            # shellcheck disable=SC2086 # flags and LIBS are words
            if ! $CC -std=c11 $VEC -Iruntime -I"$e" -DNAME="rs$seed" -DEXPORTED="\"rs$seed.c\"" \
                   -D"${up}_IMPLEMENTATION" -D"${up}_STATIC" $flags -o "$e/compare" \
                   tests/export/compare_main.c "$e/model.c" build/libconvc.a $LIBS \
                   > "$e/compare.log" 2>&1 ||
               ! "$e/compare" "$e/w.ckpt" -random >> "$e/compare.log" 2>&1; then
                fail "export: predictions differ $flags: $(tail -n 3 "$e/compare.log")"
            fi
        done
    fi
    seed=$((seed + 1))
done

# Training: the same bytes for any thread count, and after a resume.
"$PY" tests/random_idx.py "$tmp/data" 96 32 2 7 || exit 2
MODEL_CFLAGS=$(sed -n 's/^MODEL_CFLAGS *?= *//p' Makefile)
mpi=""
if command -v mpirun > /dev/null && command -v mpicc > /dev/null; then
    . tests/mpi_env.sh
    if mpi_exchange_obj "$tmp/exchange_mpi.o"; then
        mpi=1
    else
        fail "exchange_mpi.c does not compile"
    fi
fi
for seed in $FIRST $((FIRST + 1)); do
    t=$tmp/train$seed
    run="--epochs 2 --batch 7 --quiet --seed $seed --data $tmp/data"
    # shellcheck disable=SC2086 # flags, LIBS and run are words
    if ! "$PY" tests/random_spec.py "$seed" --input 28x28x1 > "$tmp/train$seed.spec" ||
       ! bin/convc gen --trainer-main "$tmp/train$seed.spec" -o "$t" > "$t.log" 2>&1 ||
       ! $CC $MODEL_CFLAGS -Werror -Iruntime -I"$t" -c -o "$t/model.o" "$t/model.c" \
           >> "$t.log" 2>&1 ||
       ! $CC $MODEL_CFLAGS -Werror -Iruntime -I"$t" -c -o "$t/main.o" "$t/main.c" \
           >> "$t.log" 2>&1 ||
       ! $CC -o "$t/train" "$t/model.o" "$t/main.o" build/libconvc.a $LIBS >> "$t.log" 2>&1; then
        fail "training: no trainer: $(tail -n 5 "$t.log")"
        continue
    fi
    for threads in 1 2 3; do
        # shellcheck disable=SC2086 # run is words
        "$t/train" $run --threads $threads --save "$t/t$threads.ckpt" >> "$t.log" 2>&1 ||
            fail "training on $threads threads: $(tail -n 3 "$t.log")"
    done
    if ! cmp -s "$t/t1.ckpt" "$t/t2.ckpt" || ! cmp -s "$t/t1.ckpt" "$t/t3.ckpt"; then
        fail "training: 1, 2 and 3 threads give different checkpoints"
    fi
    if [ -n "$mpi" ]; then
        # shellcheck disable=SC2086 # LIBS are words
        mpicc -o "$t/train_mpi" "$t/model.o" "$t/main.o" "$tmp/exchange_mpi.o" \
            build/libconvc.a $LIBS >> "$t.log" 2>&1 ||
            fail "training: no MPI trainer: $(tail -n 5 "$t.log")"
        for np in 2 3; do
            # shellcheck disable=SC2086 # run is words
            $MPIRUN -np $np "$t/train_mpi" $run --threads 1 \
                --save "$t/np$np.ckpt" >> "$t.log" 2>&1 ||
                fail "training under $np processes: $(tail -n 3 "$t.log")"
            cmp -s "$t/t1.ckpt" "$t/np$np.ckpt" ||
                fail "training: $np processes give another checkpoint than 1 thread"
        done
    fi
    # 14 batches an epoch: stopped in the middle of the second epoch
    # shellcheck disable=SC2086 # run is words
    if ! "$t/train" $run --threads 2 --steps 20 --save "$t/r.ckpt" >> "$t.log" 2>&1 ||
       ! "$t/train" --resume "$t/r.ckpt" --quiet >> "$t.log" 2>&1; then
        fail "training: stopped or resumed run failed: $(tail -n 3 "$t.log")"
    fi
    cmp -s "$t/t2.ckpt" "$t/r.ckpt" || fail "training: the resumed run ends elsewhere"
done

# PyTorch, all the specs in one run
if "$PY" -c 'import torch' 2> /dev/null; then
    # shellcheck disable=SC2046 # one path per spec
    "$PY" tests/xcheck/xcheck.py check --work "$tmp/xcheck" --builds plain,vector,direct \
        $(ls "$tmp"/*/any.spec) > "$tmp/xcheck.log" 2>&1 ||
        { seed="$FIRST-$((FIRST + COUNT - 1))"; fail "PyTorch cross-check:"; cat "$tmp/xcheck.log"; }
    tail -n 1 "$tmp/xcheck.log"
else
    echo "t_random_specs: $PY has no torch (python3-torch): the cross-check skipped"
fi
[ $status -eq 0 ] && echo "t_random_specs: seeds $FIRST to $((FIRST + COUNT - 1)): ok"
exit $status
