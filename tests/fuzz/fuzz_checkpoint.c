/* fuzz_checkpoint.c - libFuzzer harness for the checkpoint reader
 * (runtime/train/checkpoint.c): any bytes must give either a verified
 * checkpoint whose settings pass their checks or an error naming the input,
 * without reading outside it.  A CRC stops almost every mutation at the
 * start, so when bit 0 of the flags byte (offset 12, ignored by the reader)
 * is set, the harness first makes the length field and the CRC right for
 * the mutated bytes: then the mutation reaches the fields behind them. */
#include <zlib.h>
#include "../fixtures/fixture_models.h"
#include "fuzz_input.h"
#include "train/checkpoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *b = fuzz_copy(data, size);
    if (!b)
        return 0;
    if (size >= 28 && (b[12] & 1)) {
        for (int i = 0; i < 8; i++)
            b[16 + i] = (uint8_t)((uint64_t)size >> (8 * i));
        uint32_t crc = (uint32_t)crc32_z(0L, b, size - 4);
        for (int i = 0; i < 4; i++)
            b[size - 4 + i] = (uint8_t)(crc >> (8 * i));
    }
    float params[9], m[9], v[9];
    float *state[2] = { m, v };
    cv_ckpt_state st;
    cv_error e;
    if (ckpt_parse("fuzz", b, size, &fixture_tiny_model, &st, params, state, 2, &e) == 0) {
        require(st.batch >= 1 && st.batch <= 65536);
        require(st.version >= 4 ? st.workers >= 1 && st.workers <= 64
                                : st.threads >= 1 && st.threads <= 1024);
        require(st.val_split >= 0 && st.val_split < 1 && st.n_train >= 1);
        require(st.batch_pos < (st.n_train + st.batch - 1) / st.batch);
        for (int i = 0; i < 9; i++)
            require(params[i] == params[i] && params[i] - params[i] == 0);
    } else {
        require(strncmp(e.msg, "fuzz: ", 6) == 0);
    }
    /* Weights alone, as eval and export read them. */
    if (ckpt_parse("fuzz", b, size, &fixture_tiny_model, NULL, params, NULL, 0, &e) != 0)
        require(strncmp(e.msg, "fuzz: ", 6) == 0);
    free(b);
    return 0;
}
