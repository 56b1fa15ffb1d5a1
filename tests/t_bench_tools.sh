#!/bin/sh
# t_bench_tools.sh - the yardsticks of docs/benchmarks.md that `make bench`
# does not run (bench/cache_bandwidth.c, bench/depthwise_bound.c) build
# warning-free and run to the end on a short measurement under ASan and
# UBSan, printing a positive rate for each case.  (Their rates are not
# checked: timing belongs in `make bench`.)
cd "$(dirname "$0")/.." || exit 2
CC=${CC:-cc}
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
status=0
fail() { echo "t_bench_tools: $*"; status=1; }
SAN="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all"

for t in cache_bandwidth depthwise_bound; do
    # shellcheck disable=SC2086 # SAN is a list of flags
    $CC -std=c11 -Wall -Wextra -Werror -march=native $SAN -o "$tmp/$t" "bench/$t.c" ||
        fail "$t: does not build"
done
# one working set of one buffer: one line of CSV with two rates above zero
"$tmp/cache_bandwidth" 1 > "$tmp/cb.out" || fail "cache_bandwidth: exit status $?"
awk -F, '$1 == "cache_bandwidth" && $2 ~ /^[0-9]+$/ && $3 + 0 > 0 && $4 + 0 > 0 { n++ }
         END { exit n != 1 }' "$tmp/cb.out" ||
    fail "cache_bandwidth: no rate in: $(cat "$tmp/cb.out")"
# 5 calls a run: both cases with a rate above zero
"$tmp/depthwise_bound" 5 > "$tmp/dw.out" || fail "depthwise_bound: exit status $?"
awk '/input rows (streamed|in L1):/ && $NF > 0 { n++ } END { exit n != 2 }' "$tmp/dw.out" ||
    fail "depthwise_bound: no rates in: $(cat "$tmp/dw.out")"
# a bad count is refused with the usage
"$tmp/depthwise_bound" 5x > "$tmp/bad.out" 2>&1 && fail "depthwise_bound accepts 5x"
grep -q '^usage: depthwise_bound' "$tmp/bad.out" || fail "depthwise_bound 5x: no usage"
[ $status -eq 0 ] && echo "t_bench_tools: ok"
exit $status
