#!/bin/sh
# t_bench_derive.sh - the numbers `make bench` derives from its raw
# measurements (bench/derive.awk), on made-up measurements with known
# answers: GFLOP/s and shares of the FMA peak, the AVX2 build's share of the
# AVX2 peak, the stand-ins for a probe that another process disturbed, the
# real epoch's total and its rate against the kernel loop.
cd "$(dirname "$0")/.." || exit 2
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
status=0

# derive RAW-LINES EXPECTED-LINES NAME: every expected line is in the output
derive() {
    printf '%s\n' "$1" > "$tmp/raw.csv"
    awk -F, -v OFS=, -f bench/derive.awk "$tmp/raw.csv" > "$tmp/out.csv" || {
        echo "t_bench_derive: $3: awk failed"; status=1; return
    }
    printf '%s\n' "$2" | while IFS= read -r line; do
        grep -qxF "$line" "$tmp/out.csv" || echo "t_bench_derive: $3: missing: $line"
    done > "$tmp/missing"
    if [ -s "$tmp/missing" ]; then
        cat "$tmp/missing"
        echo "  derived:"
        sed 's/^/    /' "$tmp/out.csv"
        status=1
    fi
    # every raw line is kept
    printf '%s\n' "$1" | while IFS= read -r line; do
        grep -qxF "$line" "$tmp/out.csv" || echo "t_bench_derive: $3: raw line lost: $line"
    done | grep . && status=1
}

# The 1-thread probe disturbed (461.7 > 2.1 x 209.5): the 1-thread shares are
# of half the 2-thread peak, 230.85; the AVX2 build's of the AVX2 probe.
derive 'probe,machine,fma_gflops,t1,112.2,avx2
probe,machine,fma_gflops,t2,226.2,avx2
probe,machine,fma_peak_gflops,t1,209.5,best variant
probe,machine,fma_peak_gflops,t2,461.7,best variant
convc,cnn_k3,flops_forward,n1,8192680,
convc,cnn_k3,direct_train_ips,b32_t1,5000,
convc,cnn_k3,direct_train_ips,b32_t2,9000,
convc,cnn_k3,direct_avx2_train_ips,b32_t1,3000,' \
'convc,cnn_k3,direct_train_gflops,b32_t1,122.89,3 x forward FLOPs per image
convc,cnn_k3,direct_peak_pct,b32_t1,53.2,of half the t2 FMA peak
convc,cnn_k3,direct_train_gflops,b32_t2,221.20,3 x forward FLOPs per image
convc,cnn_k3,direct_peak_pct,b32_t2,47.9,of the t2 FMA peak
convc,cnn_k3,direct_avx2_train_gflops,b32_t1,73.73,3 x forward FLOPs per image
convc,cnn_k3,direct_avx2_peak_pct,b32_t1,65.7,of the t1 AVX2 FMA peak' \
'disturbed 1-thread probe'

# The 2-thread probe disturbed (300 < 0.8 x 2 x 230): the 2-thread shares are
# of twice the 1-thread peak; PyTorch's rates use convc's FLOP count.
derive 'probe,machine,fma_peak_gflops,t1,230.0,best variant
probe,machine,fma_peak_gflops,t2,300.0,best variant
convc,cnn_k3,flops_forward,n1,8192680,
convc,cnn_k3,train_ips,b32_t1,5000,
convc,cnn_k3,train_ips,b32_t2,9000,
torch,cnn_k3,train_ips,b32_t2,2000,channels_last' \
'convc,cnn_k3,peak_pct,b32_t1,53.4,of the t1 FMA peak
convc,cnn_k3,peak_pct,b32_t2,48.1,of 2 x the t1 FMA peak
torch,cnn_k3,train_gflops,b32_t2,49.16,3 x forward FLOPs per image
torch,cnn_k3,peak_pct,b32_t2,10.7,of 2 x the t1 FMA peak' \
'disturbed 2-thread probe'

# A real epoch: its three phases summed, its training rate (60,000 images in
# 4 s) against the loop's best (14,000/s) and median (13,000/s) windows.
derive 'convc,cnn_k3,train_ips,b32_t2,14000,
convc,cnn_k3,train_ips_median,b32_t2,13000,the median window
convc,cnn_k3,epoch_images,real_b32,60000,
convc,cnn_k3,epoch_load_s,real_b32,0.25,
convc,cnn_k3,epoch_train_s,real_b32,4.0,
convc,cnn_k3,epoch_test_s,real_b32,0.21,' \
'convc,cnn_k3,epoch_s,real_b32,4.46,load + train + test
convc,cnn_k3,trainer_vs_loop_pct,real_b32,107.1,training rate of the epoch / the b32 t2 kernel loop (best window)
convc,cnn_k3,trainer_vs_loop_median_pct,real_b32,115.4,training rate of the epoch / the b32 t2 kernel loop (median window)' \
'real epoch'

[ $status = 0 ] && echo "t_bench_derive: ok"
exit $status
