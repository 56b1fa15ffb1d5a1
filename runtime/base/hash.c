/* hash.c - FNV-1a 64. */
#include "base/hash.h"

uint64_t cv_fnv1a64(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ULL;         /* offset basis */
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;                  /* prime */
    }
    return h;
}
