/* fuzz_idx.c - libFuzzer harness for the IDX reader (runtime/data/idx.c),
 * raw and gzip: any bytes must give either an array whose shape matches
 * its data or an error naming the input, and never inflate more than the
 * header promises. */
#include "data/idx.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *b = fuzz_copy(data, size);
    if (!b)
        return 0;
    idx_array a;
    cv_error e;
    if (idx_decode("fuzz", b, size, &a, &e) == 0) {
        require(a.rank >= 1 && a.rank <= IDX_MAX_RANK && a.count == a.dims[0]);
        size_t item = 1;
        for (int i = 1; i < a.rank; i++)
            item *= a.dims[i];
        require(item == a.item_size && a.data != NULL);
        /* Touch the last byte: the array holds what its shape says. */
        if (a.count) {
            volatile uint8_t last = a.data[a.count * a.item_size - 1];
            (void)last;
        }
        idx_free(&a);
    } else {
        require(strncmp(e.msg, "fuzz: ", 6) == 0 && a.data == NULL);
    }
    free(b);
    return 0;
}
