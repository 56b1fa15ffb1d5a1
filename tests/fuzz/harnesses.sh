# harnesses.sh - finds the fuzz harnesses and builds one; sourced from the
# repository root by tests/fuzz/run.sh (libFuzzer) and tests/t_fuzz_replay.sh
# (plain replay under ASan+UBSan).  A harness NAME is:
#   tests/fuzz/fuzz_NAME.c        its LLVMFuzzerTestOneInput
#   tests/fuzz/fuzz_NAME.sources  the sources it links, paths from the repository
#                                 root (globs allowed; build/... files are made by
#                                 make); a line "LIBS: -lyaml -lz" its libraries;
#                                 optional lines "REPLAY: glob..." more inputs for
#                                 the replay, "OPTIONS: -max_len=65536" more
#                                 libFuzzer flags; '#' starts a comment
#   tests/fuzz/corpus_NAME/       its seed corpus: small real files, regressions
#   tests/fuzz/NAME.dict          an optional libFuzzer dictionary

# The name of every harness, one a line.
fuzz_harnesses() {
    for f in tests/fuzz/fuzz_*.c; do
        [ -f "$f" ] || continue
        f=${f#tests/fuzz/fuzz_}
        echo "${f%.c}"
    done
}

# fuzz_field NAME KEY: the words after "KEY:" in NAME's .sources file, or
# with KEY empty the words of the lines without a key; globs expanded.
fuzz_field() {
    sed 's/#.*//' "tests/fuzz/fuzz_$1.sources" | {
        if [ -n "$2" ]; then
            sed -n "s/^[[:space:]]*$2:\(.*\)/\1/p"
        else
            grep -v '^[[:space:]]*[A-Z][A-Z]*:'
        fi
    } | while read -r line; do
        # shellcheck disable=SC2086 # the words and globs are meant to split
        for w in $line; do echo "$w"; done
    done
}

# The compiler flags of the project's build (pkg-config include paths).
fuzz_pkg_cflags() {
    printf 'fuzz-print-cflags:\n\t@echo $(PKG_CFLAGS)\n' |
        make -s --no-print-directory -f Makefile -f - fuzz-print-cflags
}

# fuzz_build NAME OUTPUT CC FLAGS... [EXTRA.c...]: compiles harness NAME with
# its sources and libraries; what follows CC (sanitizers, a main) is added.
fuzz_build() {
    name=$1 output=$2 fuzz_cc=$3
    shift 3
    if [ ! -f "tests/fuzz/fuzz_$name.sources" ]; then
        echo "fuzz: tests/fuzz/fuzz_$name.c has no tests/fuzz/fuzz_$name.sources"
        return 1
    fi
    sources=$(fuzz_field "$name" "")
    libs=$(fuzz_field "$name" LIBS)
    for s in $sources; do
        case $s in build/*) make -s --no-print-directory "$s" || return 1 ;; esac
        [ -f "$s" ] || { echo "fuzz: $name: no source $s"; return 1; }
    done
    mkdir -p "$(dirname "$output")" || return 1
    # shellcheck disable=SC2046,SC2086 # lists of words
    "$fuzz_cc" -g -O1 -std=c11 -D_GNU_SOURCE -fno-omit-frame-pointer -fno-sanitize-recover=all \
        -Icompiler -Iruntime -Itests -Ibuild/gen $(fuzz_pkg_cflags) -DCONVC_VERSION='"fuzz"' \
        "$@" -o "$output" "tests/fuzz/fuzz_$name.c" $sources $libs
}
