#!/bin/sh
# t_mpi.sh - data-parallel training over Open MPI (build/<m>/train_mpi):
#  - a CNN and a batchnorm model trained by 1, 2 and 3 processes (3 does not
#    divide the 4 slices evenly) of 1 and 2 threads each give checkpoints
#    byte-identical (cmp) to the plain trainer's, and so does the plain
#    trainer with 3 threads; only rank 0 writes the checkpoint and history;
#  - a run stopped by --steps under 2 processes resumes under 3 and ends
#    with the bytes of the uninterrupted run;
#  - SIGTERM to one rank stops every rank at the same batch with a
#    checkpoint, from which the plain trainer finishes the same run;
#  - more processes than slices, and a resume with other --workers, are
#    refused by name.
cd "$(dirname "$0")/.." || exit 2
command -v mpirun > /dev/null && command -v mpicc > /dev/null || {
    echo "t_mpi: SKIP: mpirun or mpicc not found (make deps installs openmpi-bin libopenmpi-dev)"
    exit 0
}
CC=${CC:-cc}
MODEL_CFLAGS=${MODEL_CFLAGS:--O2 -march=native -ffp-contract=fast -std=c11 -Wall -Wextra}
LIBS=${LIBS:-$(make -s --no-print-directory print-libs)}
DATA=${CONVC_DATA:-/usr/share/datasets/fashion-mnist}
. tests/mpi_env.sh
W=$(mktemp -d /tmp/t_mpi.XXXXXX) || exit 2
trap 'rm -rf "$W"' EXIT
fail=0
bad() { echo "t_mpi: FAIL: $*"; fail=1; }

# The first 2,000 training and 100 test images as raw IDX files: each of the
# many processes below then reads 1.6 MB instead of decompressing 30 MB.
python3 - "$DATA" "$W/data" 2000 100 <<'PY' || { bad "cannot cut the data set in $DATA"; exit 1; }
import gzip, os, struct, sys
src, dst, counts = sys.argv[1], sys.argv[2], {"train": int(sys.argv[3]), "t10k": int(sys.argv[4])}
os.makedirs(dst)
for part, n in counts.items():
    for kind, header, size in (("images-idx3", 16, 784), ("labels-idx1", 8, 1)):
        name = "%s-%s-ubyte" % (part, kind)
        path = os.path.join(src, name)
        data = gzip.open(path + ".gz").read() if os.path.exists(path + ".gz") else open(path, "rb").read()
        out = bytearray(data[:header])
        out[4:8] = struct.pack(">I", n)
        open(os.path.join(dst, name), "wb").write(bytes(out) + data[header:header + n * size])
PY
DATA=$W/data

mpi_exchange_obj "$W/exchange_mpi.o" || { bad "exchange_mpi.c does not compile"; exit 1; }
# One object of each model, linked as the plain and as the MPI trainer.
build() {   # build NAME SPEC
    bin/convc gen --trainer-main "$2" -o "$W/$1" || { bad "$2: gen"; return 1; }
    # shellcheck disable=SC2086
    $CC $MODEL_CFLAGS -Iruntime -I"$W/$1" -c -o "$W/$1/model.o" "$W/$1/model.c" &&
        $CC $MODEL_CFLAGS -Iruntime -I"$W/$1" -c -o "$W/$1/main.o" "$W/$1/main.c" &&
        $CC -o "$W/$1/train" "$W/$1/model.o" "$W/$1/main.o" build/libconvc.a $LIBS &&
        mpicc -o "$W/$1/train_mpi" "$W/$1/model.o" "$W/$1/main.o" "$W/exchange_mpi.o" \
            build/libconvc.a $LIBS || { bad "$2: the trainers do not build"; return 1; }
}

# ---- the cmp matrix ---------------------------------------------------------
# 200 images in batches of 30: slices of 7 and 8 images, a last batch of 20.
RUN="--data $DATA --limit-train 200 --limit-test 50 --epochs 2 --batch 30 --seed 3 --quiet"
for m in cnn:tests/mpi/cnn.spec bn:tests/batchnorm/small.spec; do
    name=${m%%:*}
    build "$name" "${m#*:}" || continue
    T=$W/$name/train
    # shellcheck disable=SC2086
    "$T" $RUN --threads 1 --save "$W/$name.ckpt" --history "$W/$name.csv" ||
        { bad "$name: the plain trainer"; continue; }
    # shellcheck disable=SC2086
    "$T" $RUN --threads 3 --save "$W/$name.t3.ckpt" && cmp "$W/$name.ckpt" "$W/$name.t3.ckpt" ||
        bad "$name: 3 threads differ from 1"
    row="$name:"
    for np in 1 2 3; do
        for t in 1 2; do
            c=$W/$name.np$np.t$t.ckpt
            # shellcheck disable=SC2086
            $MPIRUN -np $np "$T"_mpi $RUN --threads $t --save "$c" --history "$c.csv" \
                > "$W/out" 2>&1 || { bad "$name: np $np, $t threads failed"; cat "$W/out"; }
            if cmp "$W/$name.ckpt" "$c" > /dev/null; then
                row="$row np$np/t$t=same"
            else
                row="$row np$np/t$t=DIFFERENT"
                bad "$name: np $np, $t threads: the checkpoint differs from the plain trainer's"
            fi
            [ "$(wc -l < "$c.csv")" = "$(wc -l < "$W/$name.csv")" ] ||
                bad "$name: np $np: the history has other lines than the plain run's (one writer)"
        done
    done
    echo "$row"
done

# ---- resume with another number of processes ---------------------------------
T=$W/bn/train
if [ -x "$T"_mpi ]; then
    # shellcheck disable=SC2086
    $MPIRUN -np 2 "$T"_mpi $RUN --steps 9 --save "$W/r.ckpt" > /dev/null 2>&1
    # shellcheck disable=SC2086
    $MPIRUN -np 3 "$T"_mpi --resume "$W/r.ckpt" --data "$DATA" --quiet > "$W/out" 2>&1 ||
        { bad "resume under 3 processes"; cat "$W/out"; }
    cmp "$W/bn.ckpt" "$W/r.ckpt" > /dev/null ||
        bad "stopped under 2 processes, resumed under 3: differs from the uninterrupted run"
    # shellcheck disable=SC2086
    "$T" --resume "$W/bn.ckpt" --data "$DATA" --workers 2 --epochs 3 --quiet > "$W/out" 2>&1
    [ "$(head -1 "$W/out")" = "$T train: --workers: 2 differs from the checkpoint's 4 in $W/bn.ckpt; a resumed run must keep it" ] ||
        { bad "a resume with other --workers is not refused by name"; cat "$W/out"; }
    # shellcheck disable=SC2086
    $MPIRUN -np 3 "$T"_mpi $RUN --workers 2 --no-save > "$W/out" 2>&1 &&
        bad "3 processes for 2 slices were accepted"
    grep -q -- "--workers: 2 slices cannot be shared by 3 processes" "$W/out" ||
        { bad "3 processes for 2 slices: no message naming --workers"; cat "$W/out"; }
fi

# ---- SIGTERM to one rank -------------------------------------------------------
T=$W/cnn/train
if [ -x "$T"_mpi ]; then
    LONG="--data $DATA --limit-train 2000 --limit-test 50 --epochs 2 --batch 10 --seed 4 --quiet"
    # shellcheck disable=SC2086
    "$T" $LONG --threads 2 --save "$W/long.ckpt" || bad "the long plain run"
    # shellcheck disable=SC2086
    $MPIRUN -np 2 "$T"_mpi $LONG --threads 1 --save "$W/s.ckpt" --save-every 30 \
        > "$W/sig.out" 2>&1 &
    mpi=$!
    i=0
    while [ ! -f "$W/s.ckpt" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
    # the last rank: a process of this run's binary among mpirun's descendants
    rank=$(ps -o pid=,args= --ppid $mpi | awk -v t="$T"_mpi '$2 == t { p = $1 } END { print p }')
    [ -n "$rank" ] || rank=$(ps -eo pid=,ppid=,args= | awk -v t="$T"_mpi '$3 == t { p = $1 } END { print p }')
    if [ -n "$rank" ]; then kill -TERM "$rank"; else bad "SIGTERM: no rank process found"; fi
    wait $mpi
    rc=$?
    # 400 batches: the run cannot end on its own before the signal
    if [ $rc -eq 0 ]; then
        bad "SIGTERM to one rank: the run ended with status 0"
    else
        grep "stopped by SIGTERM at epoch" "$W/sig.out" ||
            { bad "SIGTERM to one rank: rank 0 does not report the stop"; cat "$W/sig.out"; }
        # shellcheck disable=SC2086
        "$T" --resume "$W/s.ckpt" --data "$DATA" --threads 2 --quiet ||
            bad "resume after SIGTERM"
        cmp "$W/long.ckpt" "$W/s.ckpt" > /dev/null ||
            bad "SIGTERM to one rank, resumed: differs from the uninterrupted run"
    fi
fi

[ $fail -eq 0 ] && echo "t_mpi: ok"
exit $fail
