#!/bin/sh
# run.sh - what `make bench` runs (after `make build`): the FMA peak probe, the
# convc bench for each seed model, PyTorch's reference when /usr/bin/python3
# has torch, then one table.  Raw and derived numbers go to build/bench/latest.csv.
#
# Environment (the Makefile passes its own values):
#   CC, MODEL_CFLAGS, LIBS     how generated models are compiled and linked (default: the Makefile's)
#   BENCH_MODELS               default: baseline cnn_k3 cnn_k5 cnn_k7 cnn_k3_bn residual
#   BENCH_SPECS                directory of their specs (default: specs; a model
#                              not found there is looked up in bench/specs)
#   BENCH_SECONDS              time per convc measurement (default 1.5)
#   TORCH_SECONDS              time per PyTorch measurement and setting (default 1.0)
#   BENCH_TRAIN_STEPS          steps of the real training run whose peak RSS is taken (50)
#   BENCH_EPOCH                1: the end-to-end rows, one real epoch per model on each side (default);
#                              0: skip them (they take about two epochs per model and side)
#   BENCH_DATA                 the real data for them (default /usr/share/datasets/fashion-mnist)
#   BENCH_EPOCH_LIMIT          training images of that epoch (default 0: all; for a quick check)
#   BENCH_MPI                  1: the MPI rows, bench/mpi.sh (default); 0: skip them
#   BENCH_EPOCH_ALL            1: PyTorch's epoch in every 2-thread setting and memory format, the
#                              best kept; default: the setting that won its b32 t2 kernel-loop row
cd "$(dirname "$0")/.." || exit 2

CC=${CC:-cc}
[ -n "$MODEL_CFLAGS" ] || MODEL_CFLAGS=$(sed -n 's/^MODEL_CFLAGS *?= *//p' Makefile)
if [ -z "$LIBS" ]; then
    # shellcheck disable=SC2046
    LIBS="$(pkg-config --libs $(sed -n 's/^PKGS *:= *//p' Makefile) 2>/dev/null) -lpthread -lm"
fi
BUILD=${BUILD:-build}
BIN=${BIN:-bin}
MODELS=${BENCH_MODELS:-baseline cnn_k3 cnn_k5 cnn_k7 cnn_k3_bn residual}
SPECS=${BENCH_SPECS:-specs}
SECONDS_PER=${BENCH_SECONDS:-1.5}
TORCH_SECONDS=${TORCH_SECONDS:-1.0}
TRAIN_STEPS=${BENCH_TRAIN_STEPS:-50}
EPOCH=${BENCH_EPOCH:-1}
DATA=${BENCH_DATA:-/usr/share/datasets/fashion-mnist}
EPOCH_LIMIT=${BENCH_EPOCH_LIMIT:-0}
EPOCH_ALL=${BENCH_EPOCH_ALL:-0}
TORCH_PY=/usr/bin/python3      # Debian's python3-torch lives here, not in other interpreters

OUT=$BUILD/bench
RAW=$OUT/raw.csv
CSV=$OUT/latest.csv
NOTES=$OUT/notes.txt
mkdir -p "$OUT" || exit 1
: > "$RAW"
: > "$NOTES"
note() { echo "$*" >> "$NOTES"; echo "bench: $*" >&2; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
# Appends measurement lines (impl,model,metric,config,value,note), no header.
collect() { grep -v '^impl,' >> "$RAW"; }
# A model's spec: $SPECS/M.spec, else bench/specs/M.spec (models only the
# bench uses, with no committed generated code).
spec_of() { if [ -f "$SPECS/$1.spec" ]; then echo "$SPECS/$1.spec"; else echo "bench/specs/$1.spec"; fi; }

started=$(now)
machine="$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1), $(nproc) cores, $(uname -m)"
echo "bench: $machine" >&2
# Every number is a wall-clock rate: other busy processes lower them all.
load=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null)
if [ -n "$load" ] && awk -v l="$load" 'BEGIN { exit !(l > 0.5) }'; then
    note "load average $load when the bench started: other processes competed for the cores"
fi

# ---- the machine's FMA peak ---------------------------------------------------
$CC -O2 -std=c11 -Wall -Wextra -pthread -o "$OUT/fma_peak" bench/fma_peak.c || exit 1
"$OUT/fma_peak" 2 1.0 > "$OUT/fma_peak.csv" || exit 1
awk -F, 'NR > 1 && $1 == "probe" { printf "probe,machine,fma_gflops,t%s,%s,%s\n", $3, $4, $2 }
         NR > 1 && $1 == "peak"  { printf "probe,machine,fma_peak_gflops,t%s,%s,best variant\n", $3, $4 }' \
    "$OUT/fma_peak.csv" | collect

# Does the model build use AVX-512?  Then the direct kernels are measured in an
# AVX2 build too.
# shellcheck disable=SC2086
AVX512=$(echo | $CC $MODEL_CFLAGS -dM -E -x c - 2>/dev/null | grep -q '__AVX512F__' && echo yes)

# ---- convc --------------------------------------------------------------------
for m in $MODELS; do
    spec=$(spec_of "$m")
    dir=$OUT/$m
    mkdir -p "$dir"
    if [ ! -f "$spec" ]; then
        note "$m: $spec not found, skipped"
        continue
    fi
    if ! "$BIN/convc" gen "$spec" -o "$dir" 2> "$dir/gen.log"; then
        note "$m: convc gen failed ($(head -n 1 "$dir/gen.log")), convc side skipped"
        continue
    fi
    # The descriptor's name is the spec's model name, which may differ from the file's.
    sym=$(sed -n 's/.*const convc_model \([A-Za-z_][A-Za-z0-9_]*\);.*/\1/p' "$dir/model.h" | head -n 1)
    [ -n "$sym" ] || sym=${m}_model

    # Compile time: the generated code alone, as `make MODEL=...` compiles it.
    t0=$(now)
    # shellcheck disable=SC2086
    if ! $CC $MODEL_CFLAGS -Iruntime -I"$dir" -c -o "$dir/model.o" "$dir/model.c"; then
        note "$m: the generated code does not compile, convc side skipped"
        continue
    fi
    echo "convc,$m,compile_s,gcc,$(elapsed "$t0" "$(now)"),$CC $MODEL_CFLAGS" | collect

    # shellcheck disable=SC2086
    if ! $CC $MODEL_CFLAGS -Iruntime -DBENCH_MODEL="$sym" -o "$dir/bench" bench/bench.c \
            "$dir/model.o" "$BUILD/libconvc.a" $LIBS; then
        note "$m: bench does not link against $BUILD/libconvc.a, convc side skipped"
        continue
    fi
    echo "bench: $m ..." >&2
    "$dir/bench" --seconds "$SECONDS_PER" | collect

    # Where the model has Winograd layers, training again with every
    # convolution computed directly (convc gen --direct): the kernels' own
    # share of the FMA peak, and what the algorithm adds.
    # shellcheck disable=SC2086
    if grep -q '_wino_' "$dir/model.c" &&
       "$BIN/convc" gen --direct "$spec" -o "$dir/direct" 2> "$dir/direct_gen.log" &&
       $CC $MODEL_CFLAGS -Iruntime -I"$dir/direct" -DBENCH_MODEL="$sym" -o "$dir/bench_direct" \
           bench/bench.c "$dir/direct/model.c" "$BUILD/libconvc.a" $LIBS; then
        echo "bench: $m, direct convolutions ..." >&2
        "$dir/bench_direct" --seconds "$SECONDS_PER" --train-only |
            sed -n 's/^convc,\([^,]*\),train_ips,/convc,\1,direct_train_ips,/p' | collect
        # On an AVX-512 machine, the same kernels built for AVX2 (8-float
        # vectors), against the probe's AVX2 peak.
        # shellcheck disable=SC2086
        if [ "$AVX512" = yes ] &&
           $CC $MODEL_CFLAGS -mno-avx512f -Iruntime -I"$dir/direct" -DBENCH_MODEL="$sym" \
               -o "$dir/bench_direct_avx2" bench/bench.c "$dir/direct/model.c" "$BUILD/libconvc.a" $LIBS; then
            echo "bench: $m, direct convolutions, AVX2 build ..." >&2
            "$dir/bench_direct_avx2" --seconds "$SECONDS_PER" --train-only |
                sed -n 's/^convc,\([^,]*\),train_ips,/convc,\1,direct_avx2_train_ips,/p' | collect
        fi
    fi

    # Peak memory of a real, short training run of the trainer users run.
    if make --no-print-directory -s BUILD="$BUILD" BIN="$BIN" SPEC="$spec" MODEL="$m" model > "$dir/make_model.log" 2>&1 &&
       [ -x "$BUILD/$m/train" ]; then
        rss=$("$dir/bench" --rss "$BUILD/$m/train" --steps "$TRAIN_STEPS" --batch 32 \
              --threads 2 --limit-test 1000 --quiet --save "$dir/$m.ckpt" 2> "$dir/train.log")
        if [ -n "$rss" ]; then
            echo "convc,$m,rss_mb,train,$rss,$BUILD/$m/train --steps $TRAIN_STEPS --batch 32 --threads 2" | collect
        else
            note "$m: the training run failed ($(tail -n 1 "$dir/train.log")); peak RSS is the bench's own training loop"
        fi
    else
        note "$m: no trainer (make MODEL=$m failed, see $dir/make_model.log); peak RSS is the bench's own training loop"
    fi

    # One-image latency of the exported standalone file, when the export exists.
    if [ -f "$dir/$m.ckpt" ] &&
       "$BIN/convc" export "$spec" --weights "$dir/$m.ckpt" -o "$dir/${m}_infer.c" 2> "$dir/export.log"; then
        name=${sym%_model}
        upper=$(echo "$name" | tr '[:lower:]' '[:upper:]')
        # shellcheck disable=SC2086
        if $CC $MODEL_CFLAGS -DEXPORT_FILE="\"${m}_infer.c\"" -DEXPORT_PREDICT="${name}_predict" \
               -D"${upper}_IMPLEMENTATION" -I"$dir" -o "$dir/export_latency" \
               bench/export_latency.c -lm 2> "$dir/export_build.log"; then
            "$dir/export_latency" "$m" "$SECONDS_PER" | collect
        else
            note "$m: bench/export_latency.c does not build against the exported file (see $dir/export_build.log)"
        fi
    elif [ -f "$dir/$m.ckpt" ]; then
        note "$m: convc export failed ($(head -n 1 "$dir/export.log")), exported-file latency n/a"
    else
        note "$m: no checkpoint from the training run, so no exported file: its latency is n/a"
    fi
done

# ---- PyTorch ------------------------------------------------------------------
torch_ok=no
specs=""
for m in $MODELS; do [ -f "$(spec_of "$m")" ] && specs="$specs $(spec_of "$m")"; done
if [ -z "$specs" ]; then
    note "no spec files found: PyTorch comparison skipped"
elif ! "$TORCH_PY" -c 'import torch' 2> /dev/null; then
    note "PyTorch not found ($TORCH_PY cannot import torch): comparison skipped; \`make bench-deps\` installs it"
else
    echo "bench: PyTorch ..." >&2
    # shellcheck disable=SC2086
    if CONVC=$BIN/convc "$TORCH_PY" bench/torch_ref.py --seconds "$TORCH_SECONDS" $specs > "$OUT/torch.csv"; then
        collect < "$OUT/torch.csv"
        torch_ok=yes
    else
        note "bench/torch_ref.py failed: PyTorch comparison skipped"
    fi
fi

# ---- one real epoch: what the user waits for -------------------------------
# The trainer users run, `train --epochs 1 --batch 32 --threads 2` (Adam), on
# the real data: loading, the training epoch and the test evaluation, timed
# from outside (the whole process) and split by its own history (the epoch's
# seconds, of which eval_seconds evaluated the test set).  The training
# phase's rate against the kernel loop's b32 t2 rate shows what the trainer
# loses outside the kernels.
history_column() {      # the named column of the first epoch's row
    awk -F, -v name="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) col = i }
                          NR == 2 && col { print $col }' "$1"
}
limit_flag=""
[ "$EPOCH_LIMIT" != 0 ] && limit_flag="--limit-train $EPOCH_LIMIT"
if [ "$EPOCH" = 1 ] && [ ! -d "$DATA" ]; then
    note "no data in $DATA (BENCH_DATA): the end-to-end epoch rows skipped"
    EPOCH=0
fi
[ "$EPOCH" = 1 ] && [ "$EPOCH_LIMIT" != 0 ] &&
    note "the end-to-end epochs train on $EPOCH_LIMIT images only (BENCH_EPOCH_LIMIT)"
for m in $MODELS; do
    [ "$EPOCH" = 1 ] || break
    dir=$OUT/$m
    train=$BUILD/$m/train
    [ -x "$train" ] || { note "$m: no trainer, end-to-end epoch n/a"; continue; }
    echo "bench: $m, one real epoch ..." >&2
    t0=$(now)
    # shellcheck disable=SC2086
    if ! "$train" --epochs 1 --batch 32 --threads 2 --data "$DATA" $limit_flag --no-save \
            --history "$dir/epoch_full.csv" > "$dir/epoch_full.log" 2>&1; then
        note "$m: the real epoch failed ($(tail -n 1 "$dir/epoch_full.log"))"
        continue
    fi
    wall=$(elapsed "$t0" "$(now)")
    full=$(history_column "$dir/epoch_full.csv" seconds)
    tested=$(history_column "$dir/epoch_full.csv" eval_seconds)
    images=$(sed -n 's/.*; \([0-9][0-9]*\) training images.*/\1/p' "$dir/epoch_full.log" | head -n 1)
    awk -v m="$m" -v wall="$wall" -v full="$full" -v te="$tested" -v n="$images" 'BEGIN {
        c = "real_b32"
        if (n != "")
            printf "convc,%s,epoch_images,%s,%d,training images of the epoch\n", m, c, n
        printf "convc,%s,epoch_load_s,%s,%.3f,process wall minus the epoch\n", m, c, wall - full
        printf "convc,%s,epoch_train_s,%s,%.3f,the epoch minus its evaluation\n", m, c, full - te
        printf "convc,%s,epoch_test_s,%s,%.3f,eval_seconds of the history\n", m, c, te
    }' | collect
    lines=$(awk -F, 'NR > 1 { n++ } END { print n + 0 }' "$dir/epoch_full.csv")
    [ "$lines" = 1 ] || note "$m: unexpected history in $dir/epoch_full.csv"
done

if [ "$EPOCH" = 1 ] && [ "$torch_ok" = yes ]; then
    for m in $MODELS; do
        spec=$(spec_of "$m")
        # The setting that won PyTorch's b32 t2 kernel loop, e.g.
        # "OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1 channels_last".
        won=$(awk -F, -v m="$m" '$1 == "torch" && $2 == m && $3 == "train_ips" && $4 == "b32_t2" { print $6 }' \
              "$OUT/torch.csv")
        if [ "$EPOCH_ALL" = 1 ] || [ -z "$won" ]; then
            candidates="OMP_NUM_THREADS=2,OPENBLAS_NUM_THREADS=1
OMP_NUM_THREADS=2,OPENBLAS_NUM_THREADS=1,OMP_WAIT_POLICY=PASSIVE
OMP_NUM_THREADS=2"
            formats="nchw channels_last"
        else
            candidates=$(echo "$won" | tr ' ' '\n' | grep '=' | paste -sd, -)
            formats=$(echo "$won" | tr ' ' '\n' | grep -v = | head -n 1)
        fi
        best=""
        for vars in $candidates; do
            for fmt in $formats; do
                echo "bench: PyTorch $m, one real epoch ($vars $fmt) ..." >&2
                # shellcheck disable=SC2046
                if env -u OPENBLAS_NUM_THREADS -u OMP_WAIT_POLICY $(echo "$vars" | tr , ' ') \
                       CONVC="$BIN/convc" "$TORCH_PY" bench/torch_epoch.py --data "$DATA" --format "$fmt" \
                       --limit "$EPOCH_LIMIT" "$spec" > "$OUT/$m/torch_epoch.tmp" 2> "$OUT/$m/torch_epoch.log"; then
                    total=$(awk -F, '{ s += $5 } END { print s }' "$OUT/$m/torch_epoch.tmp")
                    if [ -z "$best" ] || awk -v a="$total" -v b="$best" 'BEGIN { exit !(a < b) }'; then
                        best=$total
                        sed "s/,\([^,]*\)\$/,\1; $(echo "$vars" | tr , ' ') $fmt/" \
                            "$OUT/$m/torch_epoch.tmp" > "$OUT/$m/torch_epoch.csv"
                    fi
                else
                    note "$m: PyTorch's real epoch failed ($(tail -n 1 "$OUT/$m/torch_epoch.log"))"
                fi
            done
        done
        [ -n "$best" ] && collect < "$OUT/$m/torch_epoch.csv"
        rm -f "$OUT/$m/torch_epoch.tmp"
    done
fi

# ---- MPI: the gradient exchange, np 1 against np 2 (bench/mpi.sh) ------------
if [ "${BENCH_MPI:-1}" = 1 ]; then
    echo "bench: MPI exchange and steps, np 1 and 2 ..." >&2
    BUILD=$BUILD LIBS=$LIBS BENCH_DATA=$DATA sh bench/mpi.sh | collect
fi

# ---- derived numbers, CSV and the table ---------------------------------------
awk -F, -v OFS=, -f bench/derive.awk "$RAW" > "$CSV.body"
{ echo "impl,model,metric,config,value,note"; cat "$CSV.body"; } > "$CSV"
rm -f "$CSV.body"
# The stand-ins derive.awk took for a probe that another process disturbed.
scaling=$(awk -F, '$3 == "fma_peak_gflops" { p[$4] = $5 }
                   END { if (p["t1"] > 0 && p["t2"] > 0) printf "%.2f", p["t2"] / p["t1"] }' "$CSV")
if grep -q ',of 2 x the t1 FMA peak$' "$CSV"; then
    note "the 2-thread FMA peak came out only ${scaling}x the 1-thread one: another process held a core, so the 2-thread rows understate both sides, and their share of the peak is taken of 2 x the 1-thread peak"
fi
if grep -q ',of half the t2 FMA peak$' "$CSV"; then
    note "the 2-thread FMA peak came out ${scaling}x the 1-thread one: another process held the core during the 1-thread probe, so the 1-thread shares of the peak are taken of half the 2-thread peak"
fi

awk -F, -v models="$MODELS" -v torch_ok="$torch_ok" '
    { v[$1 "|" $2 "|" $3 "|" $4] = $5 }
    function val(impl, m, metric, config,   k) {
        k = impl "|" m "|" metric "|" config
        return (k in v) ? v[k] : ""
    }
    function num(x) {
        if (x == "" || x == "-") return x == "" ? "n/a" : x
        if (x + 0 >= 1000) return sprintf("%.0f", x)
        if (x + 0 >= 10) return sprintf("%.1f", x)
        return sprintf("%.2f", x)
    }
    function line(m, label, c, t, ratio) {
        printf "%-9s %-30s %12s %12s %9s\n", m, label, c, t, ratio
    }
    # One row of model m: convc metric/config against torch tmetric/tconfig
    # ("-": nothing to compare); the model is named on its first row only.
    function row(label, metric, config, tmetric, tconfig,   c, t, r) {
        c = val("convc", m, metric, config)
        t = tmetric == "-" ? "-" : val("torch", m, tmetric, tconfig)
        r = (c != "" && t != "" && t != "-" && t + 0 > 0) ? sprintf("%.2fx", c / t) : "-"
        line(shown == m ? "" : m, label, num(c),
             (t == "" && torch_ok != "yes") ? "skipped" : num(t), r)
        shown = m
    }
    function same(label, metric, config) {
        row(label, metric, config, metric, config)
    }
    # Seconds, where the ratio is the speed-up: PyTorch s / convc s.
    function faster(label, metric, config,   c, t, r) {
        c = val("convc", m, metric, config)
        t = val("torch", m, metric, config)
        r = (c != "" && t != "" && c + 0 > 0) ? sprintf("%.2fx", t / c) : "-"
        line(shown == m ? "" : m, label, num(c), (t == "" && torch_ok != "yes") ? "skipped" : num(t), r)
        shown = m
    }
    END {
        line("model", "config", "convc", "PyTorch", "ratio")
        n = split(models, ms, " ")
        for (i = 1; i <= n; i++) {
            m = ms[i]
            same("train img/s b32 t1", "train_ips", "b32_t1")
            same("train img/s b32 t2", "train_ips", "b32_t2")
            same("train img/s b128 t1", "train_ips", "b128_t1")
            same("train img/s b128 t2", "train_ips", "b128_t2")
            row("latency us, 1 image", "latency_us", "n1_t1", "latency_us", "n1")
            row("latency us, exported file", "export_latency_us", "n1_t1", "latency_us", "n1")
            same("infer img/s, batch 1000 t2", "throughput_ips", "b1000_t2")
            same("train GFLOP/s b32 t1", "train_gflops", "b32_t1")
            same("% of 1-thread FMA peak", "peak_pct", "b32_t1")
            same("train GFLOP/s b32 t2", "train_gflops", "b32_t2")
            same("% of 2-thread FMA peak", "peak_pct", "b32_t2")
            if (val("convc", m, "direct_train_ips", "b32_t2") != "") {
                row("direct conv: train img/s b32 t2", "direct_train_ips", "b32_t2",
                    "train_ips", "b32_t2")
                row("direct conv: % of 1-thread peak", "direct_peak_pct", "b32_t1", "-")
                row("direct conv: % of 2-thread peak", "direct_peak_pct", "b32_t2", "-")
            }
            if (val("convc", m, "direct_avx2_peak_pct", "b32_t1") != "") {
                row("direct AVX2: % of AVX2 peak t1", "direct_avx2_peak_pct", "b32_t1", "-")
                row("direct AVX2: % of AVX2 peak t2", "direct_avx2_peak_pct", "b32_t2", "-")
            }
            if (val("convc", m, "rss_mb", "train") != "")
                row("peak RSS MB, training run", "rss_mb", "train", "-")
            else
                row("peak RSS MB, bench loop", "rss_mb", "bench_loop", "-")
            row("compile s", "compile_s", "gcc", "-")
            if (val("convc", m, "epoch_s", "real_b32") != "") {
                faster("real epoch s, b32 t2 (speed-up)", "epoch_s", "real_b32")
                faster("  loading s", "epoch_load_s", "real_b32")
                faster("  training s", "epoch_train_s", "real_b32")
                faster("  test evaluation s", "epoch_test_s", "real_b32")
                row("  training rate, % of loop (best)", "trainer_vs_loop_pct", "real_b32", "-")
                row("  training rate, % of loop (median)", "trainer_vs_loop_median_pct", "real_b32", "-")
            }
        }
        printf "FMA peak (probe): %s GFLOP/s on 1 thread, %s on 2\n",
               num(val("probe", "machine", "fma_peak_gflops", "t1")),
               num(val("probe", "machine", "fma_peak_gflops", "t2"))
    }' "$CSV"
echo "machine: $machine"
echo "ratio = convc / PyTorch: above 1 is better for img/s and GFLOP/s, below 1 for latency."
echo "GFLOP/s = 3 x forward FLOPs per image x images/s; PyTorch latency is its best thread setting."
echo "real epoch rows: one epoch on the real data with Adam, then the test set, data loading and"
echo "process start included on both sides; their ratio is the speed-up, PyTorch s / convc s."
won=$(awk -F, '$1 == "torch" && $3 == "epoch_train_s" { sub(/^.*; /, "", $6); print $2 ": " $6 }' "$CSV")
[ -n "$won" ] && echo "$won" | sed 's/^/PyTorch setting of the real epoch, /' 
echo "FLOPs count every multiply-add of a direct convolution; convc's Winograd layers execute"
echo "fewer, so their share can pass 100%. 'direct conv' rows: convc gen --direct, the kernels' own share."
if grep -q ',direct_avx2_peak_pct,' "$CSV"; then
    echo "'direct AVX2' rows: the same code built with -mno-avx512f, against the probe's AVX2 peak:"
    awk -F, '$3 == "fma_gflops" && $6 == "avx2" { p[$4] = $5 }
             END { printf "%s GFLOP/s on 1 thread, %s on 2.\n", p["t1"], p["t2"] }' "$CSV"
fi
awk -F, '$3 ~ /^mpi_/ { printf "MPI %-22s %-7s %s: %s\n", $3 == "mpi_step_ms" ? "train ms/step" : $3 == "mpi_exchange_us" ? "exchange us/step" : "exchange CPU us/step", $4, $2, $5 }' "$CSV"
if [ -s "$NOTES" ]; then
    echo "notes:"
    sed 's/^/  /' "$NOTES"
fi
echo "CSV: $CSV ($(elapsed "$started" "$(now)") s in all)"
