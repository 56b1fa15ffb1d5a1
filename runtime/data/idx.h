/* idx.h - IDX files (the MNIST family's format), gzip-compressed or raw. */
#ifndef CONVC_IDX_H
#define CONVC_IDX_H

#include <stddef.h>
#include <stdint.h>
#include "base/error.h"

#define IDX_MAX_RANK 4

/* An unsigned-byte IDX array (type 0x08, the only type image data sets use;
 * others are rejected by name). */
typedef struct {
    int rank;
    uint32_t dims[IDX_MAX_RANK];
    size_t count;           /* dims[0]: items */
    size_t item_size;       /* product of dims[1..]: bytes per item (1 for labels) */
    uint8_t *data;          /* count * item_size bytes */
} idx_array;

/* Reads `path` (gzip or raw, detected by content).  Every header field is
 * checked (magic, type, rank, dimensions, size against the file's length;
 * in a gzip file before the data is inflated, and nothing may follow the
 * gzip stream); on failure returns -1 with a message naming the file and
 * the field. */
int idx_load(const char *path, idx_array *out, cv_error *e);
/* The same on a file's bytes already in memory (gzip or raw); `name` is for
 * messages. */
int idx_decode(const char *name, const uint8_t *buf, size_t len, idx_array *out,
               cv_error *e);
/* The same on decompressed bytes. */
int idx_parse(const char *name, const uint8_t *buf, size_t len, idx_array *out,
              cv_error *e);
void idx_free(idx_array *a);

#endif
