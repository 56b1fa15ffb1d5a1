#!/bin/sh
# t_fuzz_replay.sh - replays the fuzz seed corpus, the error corpus and the
# shipped specs through the fuzz harness, built with ASan+UBSan and leak
# checking, so every input must be handled without a crash, undefined
# behaviour or leak.  Uses a plain replay main: libFuzzer is not needed.
cd "$(dirname "$0")/.." || exit 2
. tests/fuzz/sources.sh
out=build/fuzz-replay
mkdir -p "$out" || exit 2
[ -f build/gen/parser.c ] && [ -f build/gen/lexer.c ] || make build/gen/parser.c build/gen/lexer.c || exit 2
${CC:-cc} -g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=address,undefined -fno-sanitize-recover=all \
    -fno-omit-frame-pointer -Icompiler -Iruntime -Ibuild/gen -DCONVC_VERSION='"replay"' \
    -o "$out/replay" tests/fuzz/fuzz_spec.c tests/fuzz/replay_main.c $FUZZ_SOURCES || exit 1
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    "$out/replay" tests/fuzz/corpus/* tests/errors/*.spec specs/*.spec
