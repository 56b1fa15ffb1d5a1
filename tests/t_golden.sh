#!/bin/sh
# t_golden.sh - generated/ is exactly what bin/convc generates from specs/
# (a stale file fails), generation is deterministic, and the generated code
# compiles warning-free with gcc and clang, with and without the vector
# kernels.
cd "$(dirname "$0")/.." || exit 2
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/a" "$tmp/b"
status=0
fail() { echo "t_golden: $*"; status=1; }

for s in specs/*.spec; do
    m=$(basename "$s" .spec)
    bin/convc gen "$s" -o "$tmp/a/$m" || { fail "$s: convc gen failed"; continue; }
    bin/convc gen "$s" -o "$tmp/b/$m" || { fail "$s: convc gen failed"; continue; }
    diff -r "$tmp/a/$m" "$tmp/b/$m" > /dev/null || fail "$s: two runs differ"
    if [ ! -d "generated/$m" ]; then
        fail "generated/$m is missing: run 'make regen'"
    elif ! diff -ru "generated/$m" "$tmp/a/$m" > "$tmp/diff"; then
        head -n 20 "$tmp/diff"
        fail "generated/$m is stale: run 'make regen' and commit"
    fi
done
for d in generated/*/; do
    m=$(basename "$d")
    [ -f "specs/$m.spec" ] || fail "generated/$m has no spec in specs/"
done

for cc in gcc clang; do
    command -v $cc > /dev/null || { echo "t_golden: $cc not installed, skipped"; continue; }
    for d in "$tmp"/a/*/; do
        for flags in "" "-mavx2 -mfma" "-mavx2 -mfma -DCONVC_NO_VECTOR"; do
            $cc -std=c11 -pedantic -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
                -Wmissing-prototypes -O0 $flags -Iruntime -I"$d" -c -o "$tmp/model.o" \
                "$d/model.c" || fail "$d/model.c: $cc $flags warns or fails"
        done
    done
done
# The command: an error in the spec writes nothing; --trainer-main adds main.c;
# an existing output is replaced whole.
printf 'input 28x28x1\nconv 8 k=3 bogus\n' > "$tmp/bad.spec"
bin/convc gen "$tmp/bad.spec" -o "$tmp/bad" 2> /dev/null
[ $? -eq 1 ] || fail "a bad spec does not exit with status 1"
[ -e "$tmp/bad" ] && fail "a bad spec left $tmp/bad behind"
bin/convc gen --trainer-main specs/cnn_k3.spec -o "$tmp/tm" || fail "--trainer-main failed"
grep -q 'convc_trainer_main(&cnn_k3_model, argc, argv)' "$tmp/tm/main.c" ||
    fail "main.c does not call convc_trainer_main"
bin/convc gen specs/baseline.spec -o "$tmp/tm" || fail "regenerating over a directory failed"
grep -q baseline_model "$tmp/tm/model.c" || fail "model.c was not replaced"
ls "$tmp/tm" | grep -q tmp && fail "temporary files left in the output directory"
bin/convc gen specs/baseline.spec -o "$tmp/no/such/dir" 2> /dev/null && fail "an unusable -o succeeded"
bin/convc gen 2> /dev/null; [ $? -eq 2 ] || fail "no arguments is not a usage error"

[ $status -eq 0 ] && echo "t_golden: generated/ is current; gcc and clang compile it cleanly"
exit $status
