#!/bin/sh
# run.sh [SECONDS] - build the libFuzzer harness for the spec front end and
# the code generator, and fuzz it.  Seeds come from tests/fuzz/corpus (read
# only); new inputs and crash artifacts go to build/fuzz/.  Needs clang
# (see `make deps`).
cd "$(dirname "$0")/../.." || exit 2
seconds=${1:-60}
out=build/fuzz
clang=${CLANG:-clang}
. tests/fuzz/sources.sh
mkdir -p "$out/corpus" || exit 2
[ -f build/gen/parser.c ] && [ -f build/gen/lexer.c ] || make build/gen/parser.c build/gen/lexer.c || exit 2
"$clang" -g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=all -Icompiler -Iruntime -Ibuild/gen -DCONVC_VERSION='"fuzz"' \
    -o "$out/fuzz_spec" tests/fuzz/fuzz_spec.c $FUZZ_SOURCES || exit 2
exec "$out/fuzz_spec" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
    -dict=tests/fuzz/spec.dict -artifact_prefix="$out/" "$out/corpus" tests/fuzz/corpus
