#!/bin/sh
# run.sh [SECONDS] - builds every libFuzzer harness tests/fuzz/fuzz_NAME.c
# (see harnesses.sh) and fuzzes each for SECONDS (60).  Seeds come from
# tests/fuzz/corpus_NAME (read only); new inputs go to build/fuzz/NAME/corpus
# and crash artifacts to build/fuzz/NAME/.  A harness that fails does not stop
# the others; the exit status says whether any failed.  Needs clang.
cd "$(dirname "$0")/../.." || exit 2
. tests/fuzz/harnesses.sh
seconds=${1:-60}
clang=${CLANG:-clang}
failed=""
for name in $(fuzz_harnesses); do
    out=build/fuzz/$name
    mkdir -p "$out/corpus" || exit 2
    dict=""
    [ -f "tests/fuzz/$name.dict" ] && dict=-dict=tests/fuzz/$name.dict
    echo "== fuzz $name for ${seconds}s"
    if ! fuzz_build "$name" "$out/fuzz_$name" "$clang" -fsanitize=fuzzer,address,undefined; then
        failed="$failed $name(build)"
        continue
    fi
    # shellcheck disable=SC2046,SC2086 # lists of words
    "$out/fuzz_$name" -max_total_time="$seconds" -timeout=10 $dict $(fuzz_field "$name" OPTIONS) \
        -artifact_prefix="$out/" "$out/corpus" "tests/fuzz/corpus_$name" || failed="$failed $name"
done
if [ -n "$failed" ]; then
    echo "fuzz: failed:$failed (inputs in build/fuzz/NAME/)"
    exit 1
fi
echo "fuzz: every harness ran ${seconds}s without a failure"
