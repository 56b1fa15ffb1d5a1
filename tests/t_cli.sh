#!/bin/sh
# t_cli.sh - bin/convc's command line: help, version, exit statuses, standard
# input, `check` and `summary` on the shipped specs, git-style subcommands.
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
for cmd in check summary; do
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

echo "t_cli: $total checks, $failed failed"
[ "$failed" -eq 0 ]
