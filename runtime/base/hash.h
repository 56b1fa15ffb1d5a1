/* hash.h - the one hash: FNV-1a 64.  It names spec versions (ir_hash, stored
 * in checkpoints and generated code) and experiment variants, so it must
 * never change. */
#ifndef CONVC_HASH_H
#define CONVC_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t cv_fnv1a64(const void *data, size_t len);

#endif
