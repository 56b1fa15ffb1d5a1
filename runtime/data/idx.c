/* idx.c - IDX reader.  The header is: two zero bytes, a type byte, a rank
 * byte, then `rank` big-endian uint32 dimensions, then the data. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "data/idx.h"

#define IDX_TYPE_UBYTE 0x08
/* Larger than any image data set we expect; stops a corrupt header or a
 * decompression bomb from exhausting memory. */
#define IDX_MAX_BYTES ((size_t)4 << 30)

static const char *idx_type_name(int type)
{
    switch (type) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
    default:   return "unknown";
    }
}

static uint32_t read_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int idx_parse(const char *name, const uint8_t *buf, size_t len, idx_array *out,
              cv_error *e)
{
    memset(out, 0, sizeof *out);
    if (len < 4)
        return cv_fail(e, "%s: header: file is %zu bytes, shorter than the 4-byte magic",
                       name, len);
    if (buf[0] != 0 || buf[1] != 0)
        return cv_fail(e, "%s: magic: first two bytes are 0x%02x 0x%02x, expected 0x00 0x00 "
                       "(not an IDX file)", name, buf[0], buf[1]);
    int type = buf[2], rank = buf[3];
    if (type != IDX_TYPE_UBYTE)
        return cv_fail(e, "%s: magic: data type 0x%02x (%s), only 0x08 (unsigned byte) "
                       "is supported", name, type, idx_type_name(type));
    if (rank < 1 || rank > IDX_MAX_RANK)
        return cv_fail(e, "%s: magic: rank %d, expected 1 to %d", name, rank, IDX_MAX_RANK);
    size_t header = 4 + 4 * (size_t)rank;
    if (len < header)
        return cv_fail(e, "%s: header: file is %zu bytes, the %d dimensions need %zu",
                       name, len, rank, header);
    size_t item_size = 1;
    for (int i = 0; i < rank; i++) {
        out->dims[i] = read_be32(buf + 4 + 4 * i);
        if (i > 0) {
            if (out->dims[i] == 0)
                return cv_fail(e, "%s: dimension %d is 0", name, i);
            if (item_size > IDX_MAX_BYTES / out->dims[i])
                return cv_fail(e, "%s: dimension %d: items of more than %zu bytes",
                               name, i, IDX_MAX_BYTES);
            item_size *= out->dims[i];
        }
    }
    size_t count = out->dims[0];
    if (count > IDX_MAX_BYTES / item_size)
        return cv_fail(e, "%s: dimension 0: %zu items of %zu bytes exceed the %zu-byte limit",
                       name, count, item_size, IDX_MAX_BYTES);
    size_t data_bytes = count * item_size;
    if (len - header != data_bytes)
        return cv_fail(e, "%s: size: the header promises %zu items of %zu bytes (%zu bytes of "
                       "data) but the file has %zu bytes of data%s", name, count, item_size,
                       data_bytes, len - header,
                       len - header < data_bytes ? " (truncated?)" : " (trailing bytes)");
    out->data = malloc(data_bytes ? data_bytes : 1);
    if (!out->data)
        return cv_fail(e, "%s: out of memory for %zu bytes", name, data_bytes);
    memcpy(out->data, buf + header, data_bytes);
    out->rank = rank;
    out->count = count;
    out->item_size = item_size;
    return 0;
}

/* Reads the whole (decompressed) file.  gzread passes raw files through. */
static int read_all(const char *path, uint8_t **buf, size_t *len, cv_error *e)
{
    gzFile f = gzopen(path, "rb");
    if (!f)
        return cv_fail(e, "%s: cannot open: %s", path, errno ? strerror(errno) : "zlib error");
    size_t cap = 1 << 20, n = 0;
    uint8_t *p = malloc(cap);
    if (!p) {
        gzclose(f);
        return cv_fail(e, "%s: out of memory", path);
    }
    for (;;) {
        if (n == cap) {
            if (cap >= IDX_MAX_BYTES) {
                free(p);
                gzclose(f);
                return cv_fail(e, "%s: larger than %zu bytes", path, IDX_MAX_BYTES);
            }
            uint8_t *q = realloc(p, cap * 2);
            if (!q) {
                free(p);
                gzclose(f);
                return cv_fail(e, "%s: out of memory", path);
            }
            p = q;
            cap *= 2;
        }
        size_t want = cap - n;
        if (want > (1u << 30))
            want = 1u << 30;
        int got = gzread(f, p + n, (unsigned)want);
        if (got < 0) {
            int zerr;
            const char *msg = gzerror(f, &zerr);
            cv_fail(e, "%s: corrupt gzip data: %s", path,
                    zerr == Z_ERRNO ? strerror(errno) : msg);
            free(p);
            gzclose(f);
            return -1;
        }
        if (got == 0)
            break;
        n += (size_t)got;
    }
    /* gzread returns what it decoded before a truncated stream ended;
     * the error only shows up here. */
    int zerr;
    const char *msg = gzerror(f, &zerr);
    if (zerr != Z_OK && zerr != Z_STREAM_END) {
        cv_fail(e, "%s: corrupt or truncated gzip data: %s", path, msg);
        free(p);
        gzclose(f);
        return -1;
    }
    if (gzclose(f) != Z_OK) {
        free(p);
        return cv_fail(e, "%s: corrupt or truncated gzip data", path);
    }
    *buf = p;
    *len = n;
    return 0;
}

int idx_load(const char *path, idx_array *out, cv_error *e)
{
    memset(out, 0, sizeof *out);
    uint8_t *buf = NULL;
    size_t len = 0;
    errno = 0;
    if (read_all(path, &buf, &len, e) < 0)
        return -1;
    int rc = idx_parse(path, buf, len, out, e);
    free(buf);
    return rc;
}

void idx_free(idx_array *a)
{
    free(a->data);
    memset(a, 0, sizeof *a);
}
