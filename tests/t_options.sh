#!/bin/sh
# t_options.sh - every program's options behave as in other GNU tools
# (getopt_long, base/options.h): --opt=value and --opt value, -- ends the
# options, a unique abbreviation is accepted and an ambiguous one refused by
# name, usage errors exit 2 with the program's own message; help exits 0 on
# standard output.  For bin/convc and check, summary, gen, run; convc-eda;
# convc-report.
cd "$(dirname "$0")/.." || exit 2
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM
failed=0; total=0
# expect STATUS DESCRIPTION COMMAND...: output in $tmp/out and $tmp/err
expect() {
    want=$1; what=$2; shift 2
    total=$((total + 1))
    "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    got=$?
    if [ "$got" -ne "$want" ]; then
        echo "FAIL $what: exit status $got, expected $want"; cat "$tmp/err"
        failed=$((failed + 1)); return 1
    fi
}
# err_is TEXT: the first line of standard error is TEXT
err_is() {
    total=$((total + 1))
    got=$(head -n 1 "$tmp/err")
    [ "$got" = "$1" ] || { echo "FAIL: stderr '$got', expected '$1'"; failed=$((failed + 1)); }
}
out_has() {
    total=$((total + 1))
    grep -q -- "$1" "$tmp/out" || { echo "FAIL: stdout lacks '$1'"; failed=$((failed + 1)); }
}
c=bin/convc

# ---- bin/convc: options before the command ----
expect 0 "convc --vers" $c --vers && out_has "^convc [0-9]"
expect 0 "convc --he" $c --he && out_has "^usage: convc"
expect 2 "convc --version=1" $c --version=1 && err_is "convc: --version takes no value"
expect 2 "convc --frob" $c --frob=1 && err_is "convc: unknown option '--frob'"
expect 0 "convc -- check" $c -- check specs/cnn_k3.spec
# a command's options are its own
expect 0 "convc summary --help" $c summary --help && out_has "^usage: convc summary"

# ---- check and summary: -- ends the options; options after the files ----
cp specs/cnn_k3.spec "$tmp/-k3.spec"
expect 0 "check -- -k3.spec" sh -c "cd '$tmp' && '$PWD/$c' check -- -k3.spec"
expect 2 "check -k3.spec" sh -c "cd '$tmp' && '$PWD/$c' check -k3.spec" &&
    err_is "convc check: unknown option '-k'"
expect 0 "summary FILE --hel" $c summary specs/cnn_k3.spec --hel && out_has "^usage: convc summary"
expect 2 "check --nope" $c check --nope specs/cnn_k3.spec && err_is "convc check: unknown option '--nope'"

# ---- gen: abbreviations, -o DIR, -oDIR, --, values ----
expect 0 "gen --trainer -o DIR" $c gen --trainer -o "$tmp/g1" specs/cnn_k3.spec
total=$((total + 1)); [ -f "$tmp/g1/main.c" ] || { echo "FAIL gen --trainer: no main.c"; failed=$((failed + 1)); }
expect 0 "gen -oDIR" $c gen specs/cnn_k3.spec -o"$tmp/g2"
total=$((total + 1)); [ -f "$tmp/g2/model.c" ] && [ ! -f "$tmp/g2/main.c" ] ||
    { echo "FAIL gen -oDIR"; failed=$((failed + 1)); }
expect 2 "gen -o" $c gen specs/cnn_k3.spec -o && err_is "convc gen: -o needs a value"
expect 2 "gen --direct=1" $c gen --direct=1 specs/cnn_k3.spec -o "$tmp/g3" &&
    err_is "convc gen: --direct takes no value"
expect 1 "gen -- --direct" $c gen -o "$tmp/g3" -- --direct &&
    err_is "--direct: error: cannot open: No such file or directory"

# ---- run: =value and value, abbreviations, ambiguity, values ----
expect 0 "run --epochs=3" $c run --dry-run --epochs=3 specs/kernel_size.yaml && out_has "3 epochs"
expect 0 "run --epochs 4" $c run --dry-run --epochs 4 specs/kernel_size.yaml && out_has "4 epochs"
expect 0 "run --dry --ep 5" $c run --dry --ep 5 specs/kernel_size.yaml && out_has "5 epochs"
expect 2 "run --limit=3" $c run --limit=3 specs/kernel_size.yaml &&
    err_is "convc run: option '--limit' is ambiguous (--limit-train, --limit-test)"
expect 2 "run --epochs x" $c run --epochs x specs/kernel_size.yaml &&
    err_is "convc run: --epochs: 'x' is not valid (expected an integer from 1 to 100000)"
expect 2 "run --out" $c run specs/kernel_size.yaml --out && err_is "convc run: --out needs a value"
expect 2 "run two files" $c run a.yaml b.yaml && err_is "convc run: unexpected argument 'b.yaml'"

# ---- convc-eda ----
expect 2 "eda --samp=99" bin/convc-eda --samp=99 &&
    err_is "convc eda: --samples: '99' is not valid (expected a whole number from 1 to 64)"
expect 2 "eda --heading 0" bin/convc-eda --heading 0 &&
    err_is "convc eda: --heading: '0' is not valid (expected a whole number from 1 to 5)"
expect 1 "eda --data=DIR" bin/convc-eda --data="$tmp/none" --out "$tmp/eda" &&
    err_is "convc eda: $tmp/none: data directory not found: install the Debian package dataset-fashion-mnist (apt-get install dataset-fashion-mnist), or point --data DIR or \$CONVC_DATA at a directory with the IDX files"
expect 2 "eda --data" bin/convc-eda --data && err_is "convc eda: --data needs a value"
expect 2 "eda -- x" bin/convc-eda -- --out && err_is "convc eda: unexpected argument '--out'"
expect 2 "eda --h" bin/convc-eda --h &&
    err_is "convc eda: option '--h' is ambiguous (--heading, --help)"
expect 0 "eda --hel" bin/convc-eda --hel && out_has "^usage: convc eda"

# ---- convc-report ----
expect 0 "report --he" bin/convc-report --he && out_has "^usage: convc-report"
expect 2 "report --x" bin/convc-report --x && err_is "convc-report: unknown option '--x'"
expect 2 "report" bin/convc-report && err_is "convc-report: no results directory given"
mkdir "$tmp/-r"
expect 1 "report -- -r" sh -c "cd '$tmp' && '$PWD/bin/convc-report' -- -r" &&
    err_is "convc-report: -r/experiment.json: not found: run 'convc run EXPERIMENT.yaml' first"

echo "t_options: $total checks, $failed failed"
[ "$failed" -eq 0 ]
