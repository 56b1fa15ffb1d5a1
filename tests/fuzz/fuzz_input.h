/* fuzz_input.h - what every runtime fuzz harness does with its input. */
#ifndef FUZZ_INPUT_H
#define FUZZ_INPUT_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken promise is a finding. */
static inline void require(int ok)
{
    if (!ok)
        abort();
}

/* The input in a buffer of exactly size bytes (so that any read past the
 * end is caught, and the harness may change it); NULL if out of memory. */
static inline uint8_t *fuzz_copy(const uint8_t *data, size_t size)
{
    uint8_t *b = malloc(size ? size : 1);
    if (b)
        memcpy(b, data, size);
    return b;
}

#endif
