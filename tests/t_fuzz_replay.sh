#!/bin/sh
# t_fuzz_replay.sh - replays the seed corpus of every fuzz harness (and the
# inputs its .sources file names on a REPLAY: line) through the harness,
# built with ASan+UBSan and leak checking, so every input must be handled
# without a crash, undefined behaviour or leak.  Uses a plain replay main:
# libFuzzer is not needed.  Harnesses are found by name (harnesses.sh).
# The harnesses link the sanitizer build's libraries (build/asan, made by
# `make test` first; `make asan-libs` brings them up to date here), rather
# than compiling their sources again.
cd "$(dirname "$0")/.." || exit 2
. tests/fuzz/harnesses.sh
out=build/fuzz-replay
status=0; count=0
asan=build/asan
LIBS=$(make -s --no-print-directory print-libs) || exit 2
mkdir -p build && make -s --no-print-directory asan-libs > "$out.make.log" 2>&1 ||
    { cat "$out.make.log"; echo "t_fuzz_replay: the sanitizer build fails"; exit 1; }
replay_build() {    # NAME OUTPUT
    mkdir -p "$(dirname "$2")" &&
    # shellcheck disable=SC2046,SC2086 # lists of words
    ${CC:-cc} -g -O1 -std=c11 -D_GNU_SOURCE -fno-omit-frame-pointer -fno-sanitize-recover=all \
        -fsanitize=address,undefined -Icompiler -Iruntime -Itests -Ibuild/gen \
        $(fuzz_pkg_cflags) -o "$2" "tests/fuzz/fuzz_$1.c" tests/fuzz/replay_main.c \
        $asan/libfixtures.a $asan/libconvcc.a $asan/libconvc.a $LIBS
}
for name in $(fuzz_harnesses); do
    count=$((count + 1))
    corpus=tests/fuzz/corpus_$name
    if [ ! -d "$corpus" ]; then
        echo "t_fuzz_replay: $name: no $corpus"; status=1; continue
    fi
    replay_build "$name" "$out/replay_$name" ||
        { echo "t_fuzz_replay: $name: does not build"; status=1; continue; }
    printf "t_fuzz_replay: %s: " "$name"
    # shellcheck disable=SC2046 # one path a word
    if ! ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
         "$out/replay_$name" $(find "$corpus" -type f | sort) $(fuzz_field "$name" REPLAY); then
        echo "t_fuzz_replay: $name: FAIL"; status=1
    fi
done
[ $count -gt 0 ] || { echo "t_fuzz_replay: no harness in tests/fuzz/"; status=1; }
exit $status
