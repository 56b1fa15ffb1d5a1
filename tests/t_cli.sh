#!/bin/sh
# t_cli.sh - bin/convc's command line: help, version, exit statuses, standard
# input, `check`, `summary` and `ir` on the shipped specs, git-style subcommands;
# the options of every program (convc, convc-eda, convc-report).
cd "$(dirname "$0")/.." || exit 2
convc=${CONVC:-bin/convc}
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM
failed=0; total=0
# expect STATUS DESCRIPTION COMMAND... : runs COMMAND, output in $tmp/out, $tmp/err
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
ok() { total=$((total + 1)); if ! "$@"; then echo "FAIL: $*"; failed=$((failed + 1)); fi; }
has() { grep -q -- "$1" "$2"; }

expect 0 "--help" "$convc" --help && ok has "usage: convc" "$tmp/out"
expect 0 "--version" "$convc" --version && ok has "^convc [0-9]" "$tmp/out"
expect 2 "no command" "$convc"
expect 2 "unknown command" "$convc" frobnicate && ok has "unknown command 'frobnicate'" "$tmp/err"
expect 2 "unknown option" "$convc" --frob
for cmd in check summary ir; do
    expect 0 "$cmd --help" "$convc" $cmd --help && ok has "usage: convc $cmd" "$tmp/out"
    expect 2 "$cmd without files" "$convc" $cmd
    expect 2 "$cmd bad option" "$convc" $cmd --nope specs/cnn_k3.spec
done

# check: silent on success, status 1 on a bad or missing file
expect 0 "check specs" "$convc" check specs/baseline.spec specs/cnn_k3.spec specs/cnn_k5.spec specs/cnn_k7.spec
ok test ! -s "$tmp/out"
ok test ! -s "$tmp/err"
expect 1 "check missing file" "$convc" check "$tmp/none.spec" && ok has "none.spec: error: cannot open" "$tmp/err"
expect 1 "check good then bad" "$convc" check specs/cnn_k3.spec tests/errors/empty.spec

# summary: the seed's totals, one file or several
for pair in baseline:101,770 cnn_k3:220,234 cnn_k5:253,514 cnn_k7:303,434; do
    m=${pair%%:*}; n=${pair#*:}
    expect 0 "summary $m" "$convc" summary specs/$m.spec && ok has "^Total params: $n\$" "$tmp/out"
done
expect 0 "summary all" "$convc" summary specs/baseline.spec specs/cnn_k3.spec specs/cnn_k5.spec specs/cnn_k7.spec
ok test "$(grep -c '^Total params: ' "$tmp/out")" -eq 4
# summary of a graph: 'as' names in the layer column, what a layer reads
# where it is not the line before ("<- conv3, x"), vectors as (n,)
expect 0 "summary graph" "$convc" summary tests/gradcheck/graph.spec
ok has "^a (conv)  *(6, 5, 4)  *76  *0.00  k=3x3 " "$tmp/out"
ok has "^conv3 (conv) .*  <- a k=3x3 stride=1x1 same pad=1,1,1,1 tanh\$" "$tmp/out"
ok has "^add2 (add)  *(6, 5, 8)  .*  <- c, c tanh\$" "$tmp/out"
ok has "^add3 (add)  *(6,)  .*  <- dense2, h linear\$" "$tmp/out"
ok has "^pool1 (pool) .*  avg 2x2 " "$tmp/out"
# a name longer than the usual column widens it: the shapes stay aligned
printf '%s\n' "model long_names" "input 8x8x1" "conv 4 k=3 same relu as a_rather_long_layer_name_x" \
    "conv 4 k=3 same" "add a_rather_long_layer_name_x" "flatten" "dense 3 softmax" > "$tmp/long.spec"
expect 0 "summary long names" "$convc" summary "$tmp/long.spec"
ok test "$(sed -n '/^Layer (type)/,/^Total/p' "$tmp/out" | grep -v '^[=T]' |
           awk '{ print match($0, / (Output Shape|\([0-9]+(, [0-9]+)*,?\)) /) }' | sort -u)" = 34

# ir: the name and the canonical text, every default spelled out
expect 0 "ir cnn_k3" "$convc" ir specs/cnn_k3.spec
printf '%s\n' "model cnn_k3" "input 28x28x1" \
    "conv 32 k=3x3 stride=1x1 same pad=1,1,1,1 relu -> 28x28x32" \
    "pool max 2x2 stride=2x2 valid pad=0,0,0,0 -> 14x14x32" \
    "conv 64 k=3x3 stride=1x1 same pad=1,1,1,1 relu -> 14x14x64" \
    "pool max 2x2 stride=2x2 valid pad=0,0,0,0 -> 7x7x64" "flatten -> 1x1x3136" \
    "dense 64 relu -> 1x1x64" "dense 10 softmax -> 1x1x10" >"$tmp/want"
ok cmp -s "$tmp/want" "$tmp/out"
total=$((total + 1))
echo 'model m; input 9x7x3; conv 4 k=2x3 stride=2 same; pool avg 3 same; dropout .5; flatten; dense 3' \
    | "$convc" ir - >"$tmp/out" 2>"$tmp/err" || { echo "FAIL ir -"; failed=$((failed + 1)); }
printf '%s\n' "model m" "input 9x7x3" \
    "conv 4 k=2x3 stride=2x2 same pad=0,1,1,1 linear -> 5x4x4" \
    "pool avg 3x3 stride=3x3 same pad=0,1,1,1 -> 2x2x4" "dropout 0.5 -> 2x2x4" \
    "flatten -> 1x1x16" "dense 3 linear -> 1x1x3" >"$tmp/want"
ok cmp -s "$tmp/want" "$tmp/out"
expect 0 "ir two files" "$convc" ir specs/baseline.spec specs/cnn_k3.spec
ok test "$(grep -c '^model ' "$tmp/out")" -eq 2
ok test "$(grep -c '^$' "$tmp/out")" -eq 1
expect 1 "ir bad file" "$convc" ir specs/cnn_k3.spec tests/errors/empty.spec
ok test "$(grep -c '^model ' "$tmp/out")" -eq 1

# standard input, and the one-line form
total=$((total + 1))
echo 'input 28x28x1; conv 32 k=3 same relu; pool 2; conv 64 k=3 same relu; pool 2; flatten; dense 64 relu; dense 10 softmax' \
    | "$convc" summary - >"$tmp/out" 2>"$tmp/err" || { echo "FAIL summary -"; failed=$((failed + 1)); }
ok has "^Total params: 220,234\$" "$tmp/out"
ok has "^Model: model (-)" "$tmp/out"
total=$((total + 1))
printf 'input 4x4x1\nconv 2 k=9\n' | "$convc" check - 2>"$tmp/err" && { echo "FAIL check - accepted"; failed=$((failed + 1)); }
ok has "^-:2:10: error: kernel 9x9 does not fit input 4x4" "$tmp/err"
# limits are checked by `check`, before any code is generated
total=$((total + 1))
echo 'input 8x8x1; flatten; dense 300 softmax' | "$convc" check - 2>"$tmp/err" && { echo "FAIL check - accepted 300 classes"; failed=$((failed + 1)); }
ok has "^-:1:29: error: the output layer has 300 units, over the limit of 256 classes" "$tmp/err"
# what `check` accepts, `gen` generates: a model whose Winograd scratch would
# pass the work limit gets the direct kernels in the buffers sema bounded
printf 'input 512x512x256\n' > "$tmp/huge.spec"
for i in 1 2 3 4 5 6 7; do echo 'conv 256 k=3 same' >> "$tmp/huge.spec"; done
printf 'pool 64\nflatten\ndense 10 softmax\n' >> "$tmp/huge.spec"
expect 0 "check at the work bound" "$convc" check "$tmp/huge.spec"
expect 0 "gen at the work bound" "$convc" gen "$tmp/huge.spec" -o "$tmp/huge"
total=$((total + 1))
grep -q wino "$tmp/huge/model.c" && { echo "FAIL gen at the work bound: Winograd kernels"; failed=$((failed + 1)); }

# git-style: convc X runs convc-X from convc's own directory
mkdir "$tmp/bin"
cp "$convc" "$tmp/bin/convc"
printf '#!/bin/sh\necho "hello $*"\nexit 3\n' >"$tmp/bin/convc-hello"
chmod +x "$tmp/bin/convc-hello"
expect 3 "external command" "$tmp/bin/convc" hello a b && ok has "^hello a b\$" "$tmp/out"
expect 2 "no path tricks" "$tmp/bin/convc" ../bin/convc-hello

# export reads checkpoints through the runtime's reader: a header too short
# for its CRC (bytes 24 to 27) is refused with the file and the field.
S=tests/fuzz/corpus_checkpoint/regress_short_header_26.ckpt
expect 1 "export of a 26-byte checkpoint" "$convc" export specs/cnn_k3.spec --weights "$S" \
    -o "$tmp/short.c" &&
    ok test "$(cat "$tmp/err")" = "$S: error: length: 26 bytes cannot hold the header and the CRC (truncated)" &&
    ok test ! -e "$tmp/short.c"

# ---- options: getopt_long in every program (base/options.h): --opt=value
# and --opt value, -- ends the options, options after the operands, unique
# abbreviations accepted, ambiguous ones refused by name; convc and its
# commands, convc-eda, convc-report ----
err1() { head -n 1 "$tmp/err"; }

# bin/convc: options before the command
expect 0 "convc --vers" "$convc" --vers && ok has "^convc [0-9]" "$tmp/out"
expect 0 "convc --he" "$convc" --he && ok has "^usage: convc" "$tmp/out"
expect 2 "convc --version=1" "$convc" --version=1 && ok test "$(err1)" = "convc: --version takes no value"
expect 2 "convc --frob" "$convc" --frob=1 && ok test "$(err1)" = "convc: unknown option '--frob'"
expect 0 "convc -- check" "$convc" -- check specs/cnn_k3.spec
# a command's options are its own
expect 0 "convc summary --help" "$convc" summary --help && ok has "^usage: convc summary" "$tmp/out"

# check and summary: -- ends the options; options after the files
cp specs/cnn_k3.spec "$tmp/-k3.spec"
expect 0 "check -- -k3.spec" sh -c "cd '$tmp' && '$PWD/$convc' check -- -k3.spec"
expect 2 "check -k3.spec" sh -c "cd '$tmp' && '$PWD/$convc' check -k3.spec" &&
    ok test "$(err1)" = "convc check: unknown option '-k'"
expect 0 "summary FILE --hel" "$convc" summary specs/cnn_k3.spec --hel && ok has "^usage: convc summary" "$tmp/out"
expect 2 "check --nope" "$convc" check --nope specs/cnn_k3.spec && ok test "$(err1)" = "convc check: unknown option '--nope'"

# gen: abbreviations, -o DIR, -oDIR, --, values
expect 0 "gen --trainer -o DIR" "$convc" gen --trainer -o "$tmp/g1" specs/cnn_k3.spec
ok test -f "$tmp/g1/main.c"
expect 0 "gen -oDIR" "$convc" gen specs/cnn_k3.spec -o"$tmp/g2"
ok test -f "$tmp/g2/model.c"
ok test ! -f "$tmp/g2/main.c"
expect 2 "gen -o" "$convc" gen specs/cnn_k3.spec -o && ok test "$(err1)" = "convc gen: -o needs a value"
expect 2 "gen --direct=1" "$convc" gen --direct=1 specs/cnn_k3.spec -o "$tmp/g3" &&
    ok test "$(err1)" = "convc gen: --direct takes no value"
expect 1 "gen -- --direct" "$convc" gen -o "$tmp/g3" -- --direct &&
    ok test "$(err1)" = "--direct: error: cannot open: No such file or directory"

# run: =value and value, abbreviations, ambiguity, values
expect 0 "run --epochs=3" "$convc" run --dry-run --epochs=3 specs/kernel_size.yaml && ok has "3 epochs" "$tmp/out"
expect 0 "run --epochs 4" "$convc" run --dry-run --epochs 4 specs/kernel_size.yaml && ok has "4 epochs" "$tmp/out"
expect 0 "run --dry --ep 5" "$convc" run --dry --ep 5 specs/kernel_size.yaml && ok has "5 epochs" "$tmp/out"
expect 2 "run --limit=3" "$convc" run --limit=3 specs/kernel_size.yaml &&
    ok test "$(err1)" = "convc run: option '--limit' is ambiguous (--limit-train, --limit-test)"
expect 2 "run --epochs x" "$convc" run --epochs x specs/kernel_size.yaml &&
    ok test "$(err1)" = "convc run: --epochs: 'x' is not valid (expected an integer from 1 to 100000)"
expect 2 "run --out" "$convc" run specs/kernel_size.yaml --out && ok test "$(err1)" = "convc run: --out needs a value"
expect 2 "run two files" "$convc" run a.yaml b.yaml && ok test "$(err1)" = "convc run: unexpected argument 'b.yaml'"

# run-one (what Slurm jobs run): DIR and INDEX, --build MODEL or --report
expect 2 "run-one --rep --build" "$convc" run-one "$tmp" --rep --build=m &&
    ok test "$(err1)" = "convc run-one: expected DIR and one of INDEX, --build MODEL, --report"
expect 2 "run-one DIR x" "$convc" run-one "$tmp" x &&
    ok test "$(err1)" = "convc run-one: INDEX: 'x' is not valid (expected a run's index, 0 or more)"
expect 1 "run-one --rep DIR" "$convc" run-one --rep "$tmp" &&
    ok test "$(err1)" = "convc run-one: $tmp/slurm/command: No such file or directory"

# convc-eda
expect 2 "eda --samp=99" bin/convc-eda --samp=99 &&
    ok test "$(err1)" = "convc eda: --samples: '99' is not valid (expected a whole number from 1 to 64)"
expect 2 "eda --heading 0" bin/convc-eda --heading 0 &&
    ok test "$(err1)" = "convc eda: --heading: '0' is not valid (expected a whole number from 1 to 5)"
expect 1 "eda --data=DIR" bin/convc-eda --data="$tmp/none" --out "$tmp/eda" &&
    ok test "$(err1)" = "convc eda: $tmp/none: data directory not found: install the Debian package dataset-fashion-mnist (apt-get install dataset-fashion-mnist), or point --data DIR or \$CONVC_DATA at a directory with the IDX files"
expect 2 "eda --data" bin/convc-eda --data && ok test "$(err1)" = "convc eda: --data needs a value"
expect 2 "eda -- x" bin/convc-eda -- --out && ok test "$(err1)" = "convc eda: unexpected argument '--out'"
expect 2 "eda --h" bin/convc-eda --h &&
    ok test "$(err1)" = "convc eda: option '--h' is ambiguous (--heading, --help)"
expect 0 "eda --hel" bin/convc-eda --hel && ok has "^usage: convc eda" "$tmp/out"

# convc-report
expect 0 "report --he" bin/convc-report --he && ok has "^usage: convc-report" "$tmp/out"
expect 2 "report --x" bin/convc-report --x && ok test "$(err1)" = "convc-report: unknown option '--x'"
expect 2 "report" bin/convc-report && ok test "$(err1)" = "convc-report: no results directory given"
mkdir "$tmp/-r"
expect 1 "report -- -r" sh -c "cd '$tmp' && '$PWD/bin/convc-report' -- -r" &&
    ok test "$(err1)" = "convc-report: -r/experiment.json: not found: run 'convc run EXPERIMENT.yaml' first"

echo "t_cli: $total checks, $failed failed"
[ "$failed" -eq 0 ]
