#!/bin/sh
# t_experiment_errors.sh - every bad experiment in tests/experiments/bad/ is
# rejected before anything is built or trained: exit status 1, no output
# directory, and the messages of X.err exactly (or, where the message comes
# from the front end, every line of X.expect somewhere in the output).
cd "$(dirname "$0")/.." || exit 2
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
fail=0
for yaml in tests/experiments/bad/*.yaml; do
    base=${yaml%.yaml}
    bin/convc run "$yaml" --out "$tmp/out" >"$tmp/stdout" 2>"$tmp/stderr"
    rc=$?
    if [ "$rc" -ne 1 ]; then
        echo "FAIL $yaml: exit status $rc, expected 1"; fail=1; continue
    fi
    if [ -e "$tmp/out" ]; then
        echo "FAIL $yaml: $tmp/out was created"; fail=1; rm -rf "$tmp/out"; continue
    fi
    if [ -f "$base.err" ]; then
        if ! diff -u "$base.err" "$tmp/stderr"; then
            echo "FAIL $yaml: messages differ from $base.err"; fail=1
        fi
    elif [ -f "$base.expect" ]; then
        while IFS= read -r line; do
            if ! grep -qF -- "$line" "$tmp/stderr"; then
                echo "FAIL $yaml: missing '$line'"; cat "$tmp/stderr"; fail=1
            fi
        done <"$base.expect"
    else
        echo "FAIL $yaml: no $base.err or $base.expect"; fail=1
    fi
done
# Trainer settings from the YAML reach the trainer as its flags: the
# experiment's, then a model's own; data: settings reach eval too.
bin/convc run tests/experiments/training_settings.yaml --dry-run --out "$tmp/ts" >"$tmp/stdout" 2>&1
for want in "train train --epochs 2 --batch 32 --lr 0.002 --optimizer adamw --seed 1 --schedule cosine --warmup 20 --min-lr 0.0001 --weight-decay 0.05 --early-stop 3 --restore-best --crop-pad 2 --limit-train 320" \
            "--crop-pad 2 --flip --cutout 4 --schedule step --lr-every 1 --lr-factor 0.5 --limit-train" \
            "--test-split 0.25 --skip-bad --save" "eval --weights" "--json --limit-test 200 --test-split 0.25 --skip-bad >" \
            "convc-eda --out $tmp/ts/eda --heading 3 --crop-pad 2"; do
    grep -qF -- "$want" "$tmp/stdout" || { echo "FAIL training_settings.yaml: no '$want'"; cat "$tmp/stdout"; fail=1; }
done
grep -q -- "--decay-all" "$tmp/stdout" && { echo "FAIL training_settings.yaml: decay_all: false gave a flag"; fail=1; }
# The good files parse and check (dry run: nothing is built).
for yaml in specs/*.yaml tests/experiments/*.yaml; do
    if ! bin/convc run "$yaml" --dry-run --out "$tmp/dry" >"$tmp/stdout" 2>"$tmp/stderr"; then
        echo "FAIL $yaml: the dry run failed"; cat "$tmp/stderr"; fail=1
    fi
    [ -e "$tmp/dry" ] && { echo "FAIL $yaml: the dry run wrote $tmp/dry"; fail=1; }
done
[ "$fail" -eq 0 ] && echo "experiment errors: all as expected"
exit "$fail"
