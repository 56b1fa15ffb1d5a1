#!/bin/sh
# mpi.sh - the MPI section of `make bench` (bench/run.sh runs it): the cost of
# the gradient exchange per step for cnn_k3's 220,234 parameters and K = 4
# (bench/mpi_exchange.c), and cnn_k3's training milliseconds per step of the
# MPI trainer, with 1 and 2 processes of 1 thread.  The step time is the
# difference of a 40-step and a 120-step run over 80 steps, so loading the
# data and starting the processes cancel out.  Lines on stdout:
# impl,model,metric,config,value,note (bench/run.sh's CSV).
cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
DATA=${BENCH_DATA:-/usr/share/datasets/fashion-mnist}
LIBS=${LIBS:-$(make -s --no-print-directory print-libs)}
command -v mpirun > /dev/null && command -v mpicc > /dev/null ||
    { echo "bench: no mpirun/mpicc: the MPI rows skipped (make deps)" >&2; exit 0; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl=self,vader
MPIRUN="mpirun --oversubscribe"
OUT=$BUILD/bench/mpi
mkdir -p "$OUT" || exit 1
# shellcheck disable=SC2086
mpicc -std=c11 -D_GNU_SOURCE -O2 -Iruntime -o "$OUT/mpi_exchange" bench/mpi_exchange.c \
    runtime/train/exchange_mpi.c "$BUILD/libconvc.a" $LIBS ||
    { echo "bench: mpi_exchange does not build" >&2; exit 0; }
for np in 1 2; do
    $MPIRUN -np $np "$OUT/mpi_exchange" 220234 4 300 |
        awk -F, -v np=$np '{ printf "convc,cnn_k3,mpi_exchange_us,np%d_t1,%s,gradient exchange per step (K 4)\n", np, $4
                             printf "convc,cnn_k3,mpi_exchange_cpu_us,np%d_t1,%s,its CPU time on rank 0\n", np, $5 }'
done
make -s MODEL=cnn_k3 MPI=1 > "$OUT/make.log" 2>&1 ||
    { echo "bench: make MODEL=cnn_k3 MPI=1 failed (see $OUT/make.log)" >&2; exit 0; }
[ -d "$DATA" ] || { echo "bench: no data in $DATA: the MPI step rows skipped" >&2; exit 0; }
now() { date +%s.%N; }
for np in 1 2; do
    for steps in 40 120; do
        t0=$(now)
        $MPIRUN -np $np "$BUILD/cnn_k3/train_mpi" --data "$DATA" --limit-train 3840 \
            --limit-test 1 --epochs 1 --threads 1 --steps $steps --no-save --quiet ||
            { echo "bench: train_mpi -np $np failed" >&2; exit 0; }
        eval "t_$steps=\$(awk -v a=$t0 -v b=$(now) 'BEGIN { print b - a }')"
    done
    # shellcheck disable=SC2154
    awk -v np=$np -v a="$t_40" -v b="$t_120" 'BEGIN {
        printf "convc,cnn_k3,mpi_step_ms,np%d_t1,%.2f,training step of train_mpi (batch 32)\n", np, 1000 * (b - a) / 80 }'
done
