# derive.awk - the numbers bench/run.sh derives from its raw measurements
# (impl,model,metric,config,value,note lines): every raw line is copied, and
# after it what it completes.
#   awk -F, -v OFS=, -f bench/derive.awk raw.csv
# - GFLOP/s of training = 3 x forward FLOPs x images/s (forward + backward),
#   for both implementations, from convc's count of the model's forward
#   FLOPs (the probe's and convc's lines come before the training rates that
#   need them), and their share of the FMA peak: the AVX2 build's of the
#   probe's AVX2 peak, the others' of its best.
# - A probe run that another process disturbed: two cores cannot do more
#   than twice one, nor one core less than half of two.  An N-thread peak
#   below 0.8 x N x the 1-thread one stands for N x the 1-thread peak; a
#   2-thread peak above 2.1 x the 1-thread one makes the 1-thread shares be
#   taken of half of it.
# - A real epoch's load, train and test seconds summed; the epoch's training
#   rate against the kernel loop's b32 t2 rate (best and median window).
{ print }
$1 == "convc" && $3 == "flops_forward" { flops[$2] = $5 }
$3 ~ /^epoch_(load|train|test)_s$/ {
    total[$1 "," $2] += $5
    if (++phases[$1 "," $2] == 3)
        print $1, $2, "epoch_s", $4, sprintf("%.2f", total[$1 "," $2]), "load + train + test"
}
$1 == "convc" && $3 == "train_ips" && $4 == "b32_t2" { loop[$2] = $5 }
$1 == "convc" && $3 == "train_ips_median" && $4 == "b32_t2" { loop_median[$2] = $5 }
$1 == "convc" && $3 == "epoch_images" { images[$2] = $5 }
$1 == "convc" && $3 == "epoch_train_s" && ($2 in loop) && ($2 in images) && $5 > 0 {
    print $1, $2, "trainer_vs_loop_pct", $4, sprintf("%.1f", 100 * (images[$2] / $5) / loop[$2]),
          "training rate of the epoch / the b32 t2 kernel loop (best window)"
    if (($2 in loop_median) && loop_median[$2] > 0)
        print $1, $2, "trainer_vs_loop_median_pct", $4,
              sprintf("%.1f", 100 * (images[$2] / $5) / loop_median[$2]),
              "training rate of the epoch / the b32 t2 kernel loop (median window)"
}
$1 == "probe" && $3 == "fma_peak_gflops" { peak[$4] = $5 }
$1 == "probe" && $3 == "fma_gflops" && $6 == "avx2" { avx2[$4] = $5 }
($3 == "train_ips" || $3 == "direct_train_ips" || $3 == "direct_avx2_train_ips") && ($2 in flops) {
    g = 3 * flops[$2] * $5 / 1e9
    t = $4; sub(/^b[0-9]+_/, "", t)
    pre = $3; sub(/train_ips$/, "", pre)
    print $1, $2, pre "train_gflops", $4, sprintf("%.2f", g), "3 x forward FLOPs per image"
    # the AVX2 build against the AVX2 probe, the others against the best
    isa = pre == "direct_avx2_" ? "AVX2 " : ""
    if (isa != "" ? !(t in avx2) : !(t in peak))
        next
    ref = isa != "" ? avx2[t] : peak[t]
    one = isa != "" ? avx2["t1"] : peak["t1"]; two = isa != "" ? avx2["t2"] : peak["t2"]
    n = substr(t, 2) + 0
    what = "of the " t " " isa "FMA peak"
    if (n > 1 && ref < 0.8 * n * one) {
        ref = n * one; what = "of " n " x the t1 " isa "FMA peak"
    } else if (n == 1 && two > 2.1 * one) {
        ref = two / 2; what = "of half the t2 " isa "FMA peak"
    }
    print $1, $2, pre "peak_pct", $4, sprintf("%.1f", 100 * g / ref), what
}
