#!/bin/sh
# t_experiment.sh - a tiny real experiment end to end (tests/experiments/
# tiny.yaml: two models, two seeds, 320 training images, 200 test images, one
# epoch): every file is written, the report's numbers are the CSV's, which are
# the trainer's, the sections over seeds (summed confusion matrices and their
# most confused pairs, the published numbers' verdicts) and results/index.md
# agree with the run files (tests/report_check.py), a rerun reuses the
# finished runs, and a run without its evaluation resumes from its checkpoint.
cd "$(dirname "$0")/.." || exit 2
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
out=$tmp/tiny
fail=0
check() { if ! "$@"; then echo "FAIL: $*"; fail=1; fi; }

if ! bin/convc run tests/experiments/tiny.yaml --out "$out" --quiet >"$tmp/log" 2>&1; then
    echo "FAIL: convc run failed:"; cat "$tmp/log"; exit 1
fi
for f in experiment.json results.csv results.json report.md plots/curves.png \
         plots/params_vs_accuracy.png plots/confusion_tiny_dense.png \
         plots/confusion_tiny_cnn_k3.png specs/tiny_dense.spec specs/tiny_cnn_k3.spec \
         runs/tiny_dense-s7/eval.json runs/tiny_dense-s7/history.csv \
         runs/tiny_dense-s7/model.ckpt runs/tiny_dense-s7/stamp \
         runs/tiny_cnn_k3-s7/eval.json runs/tiny_cnn_k3-s7/viz/filters.png \
         runs/tiny_dense-s8/eval.json runs/tiny_cnn_k3-s8/eval.json; do
    check test -s "$out/$f"
done
check grep -q "model tiny_cnn_k3" "$out/specs/tiny_cnn_k3.spec"
check grep -q "conv 4 k=3 same relu" "$out/specs/tiny_cnn_k3.spec"

# Every row: the CSV's accuracy is eval.json's, and the report's table of
# every run shows both rounded the same way (report_check.py checks the
# means and standard deviations).
rows=$(tail -n +2 "$out/results.csv" | wc -l)
check test "$rows" -eq 4
tail -n +2 "$out/results.csv" | while IFS=, read -r model label factor seed status params \
        mflops acc loss spe epochs lines; do
    [ "$status" = ok ] || { echo "FAIL: $model seed $seed: $status"; exit 1; }
    eval_acc=$(sed -n 's/.*"accuracy": *\([0-9.eE+-]*\).*/\1/p' "$out/runs/$model-s$seed/eval.json")
    awk -v a="$acc" -v b="$eval_acc" 'BEGIN { d = a - b; exit !(d < 1e-6 && d > -1e-6) }' ||
        { echo "FAIL: $model: CSV accuracy $acc, eval.json $eval_acc"; exit 1; }
    pct=$(awk -v a="$acc" 'BEGIN { printf "%.2f%%", 100 * a }')
    lss=$(awk -v a="$loss" 'BEGIN { printf "%.4f", a }')
    run_row="| $model | $seed | ok | $pct | $lss | $epochs |"
    grep -qxF "$run_row" "$out/report.md" ||
        { echo "FAIL: $model seed $seed: report.md lacks '$run_row'"; exit 1; }
    row=$(grep "^| $label | $model | " "$out/report.md")
    p=$(awk -v p="$params" 'BEGIN { s = sprintf("%d", p); o = "";
        for (i = 1; i <= length(s); i++) { o = o substr(s, i, 1);
        if ((length(s) - i) % 3 == 0 && i < length(s)) o = o "," } print o }')
    case "$row" in *"| $p |"*) ;; *) echo "FAIL: $model: report row lacks $p"; exit 1 ;; esac
    [ "$epochs" = 1 ] || { echo "FAIL: $model: $epochs epochs in the history"; exit 1; }
    [ -n "$lines" ] && [ "$lines" -gt 0 ] || { echo "FAIL: $model: no code lines"; exit 1; }
done || fail=1
check grep -q "^## Findings" "$out/report.md"
check grep -q "^## Interpretation" "$out/report.md"
check grep -q "(plots/curves.png)" "$out/report.md"
check grep -q "(runs/tiny_cnn_k3-s7/viz/filters.png)" "$out/report.md"
check grep -q "the shaded band around it runs from the lowest to the highest seed" "$out/report.md"
check grep -q "^## Compared with the published result" "$out/report.md"
check grep -q "^Labels 7 and 8 of that table are swapped.$" "$out/report.md"

# The index over this study and one never run; then every number over seeds.
if bin/convc-report --index "$tmp" tests/experiments/tiny.yaml tests/experiments/runner.yaml \
        >"$tmp/index.log" 2>&1; then
    check grep -q '^| — | `tests/experiments/runner.yaml` | — | — | — | Not run yet: ' "$tmp/index.md"
    if command -v python3 >/dev/null; then
        python3 tests/report_check.py "$out" || fail=1
    else
        echo "FAIL: python3 is needed to check the report against the run files"; fail=1
    fi
else
    echo "FAIL: convc-report --index failed:"; cat "$tmp/index.log"; fail=1
fi
bin/convc-report --index >/dev/null 2>&1
check test $? -eq 2
bin/convc-report --index "$tmp/none" >/dev/null 2>"$tmp/index.err"
check test $? -eq 1
check grep -qx "convc-report: $tmp/none: cannot read the results directory" "$tmp/index.err"

# A rerun reuses both runs and trains nothing.
cp "$out/runs/tiny_dense-s7/model.ckpt" "$tmp/before.ckpt"
bin/convc run tests/experiments/tiny.yaml --out "$out" --quiet >"$tmp/log2" 2>&1 || {
    echo "FAIL: the rerun failed"; cat "$tmp/log2"; fail=1; }
check test "$(grep -c 'finished earlier, reused' "$tmp/log2")" -eq 4
check cmp -s "$tmp/before.ckpt" "$out/runs/tiny_dense-s7/model.ckpt"

# A run that stopped before its evaluation resumes from its checkpoint.
rm "$out/runs/tiny_dense-s7/eval.json"
bin/convc run tests/experiments/tiny.yaml --out "$out" --quiet >"$tmp/log3" 2>&1 || {
    echo "FAIL: the resumed run failed"; cat "$tmp/log3"; fail=1; }
check grep -q "tiny_dense seed 7: resuming from" "$tmp/log3"
check test -s "$out/runs/tiny_dense-s7/eval.json"
check test "$(grep -c 'finished earlier, reused' "$tmp/log3")" -eq 3

[ "$fail" -eq 0 ] && echo "tiny experiment: $(grep -c . "$out/results.csv") CSV lines, report matches"
exit "$fail"
