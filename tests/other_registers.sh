# other_registers.sh - sourced by the tests that build the generated kernels
# for both register files: OTHER_REGISTERS, the flags of the one that
# -march=native does not take here.  On a machine with AVX-512, -march=native
# takes the wide tiles (32 registers of 16 floats) and -mavx2 -mfma the 16
# registers of 8; elsewhere CONVC_WIDE_VECTORS builds the wide ones from two
# registers a vector.
if grep -q avx512f /proc/cpuinfo 2> /dev/null; then
    OTHER_REGISTERS="-mavx2 -mfma"
else
    OTHER_REGISTERS="-march=native -DCONVC_WIDE_VECTORS"
fi
