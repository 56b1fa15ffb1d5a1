#!/bin/sh
# t_vector_acts.sh - the vector activations of the generated prelude
# (vrelu, vrelu6, vleaky and their derivatives) give the bits of the plain
# expressions on NaN, both zeros, the infinities and the clip at 6: built
# with this machine's vectors and with the other register file
# (tests/vector_acts/acts_main.c).
cd "$(dirname "$0")/.." || exit 2
CC=${CC:-cc}
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
bin/convc gen tests/gradcheck/vector_acts.spec -o "$tmp/gen" > /dev/null || exit 1
. tests/other_registers.sh
other=$OTHER_REGISTERS
status=0
for flags in "-march=native" "$other"; do
    # shellcheck disable=SC2086
    if ! $CC -std=c11 -Wall -Wextra -Werror -Wno-unused-function -O2 -ffp-contract=fast $flags \
            -Iruntime -I"$tmp/gen" -DMODEL_C='"model.c"' -o "$tmp/acts" \
            tests/vector_acts/acts_main.c -lm; then
        echo "t_vector_acts: does not compile [$flags]"
        status=1
        continue
    fi
    "$tmp/acts" | sed "s/\$/ [$flags]/"
    "$tmp/acts" > /dev/null || status=1
done
exit $status
