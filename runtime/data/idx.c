/* idx.c - IDX reader.  The header is: two zero bytes, a type byte, a rank
 * byte, then `rank` big-endian uint32 dimensions, then the data.  A gzip
 * file is inflated only as far as its IDX header promises: the size is
 * checked against the limit before any data is inflated. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "base/deflate.h"
#include "base/files.h"
#include "data/idx.h"

#define IDX_TYPE_UBYTE 0x08
#define IDX_MAX_HEADER (4 + 4 * IDX_MAX_RANK)
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

/* Checks the header at buf (len bytes available, at least the whole header
 * if the file has one) and fills out's shape; *header and *data_bytes get
 * the sizes the file must have. */
static int parse_header(const char *name, const uint8_t *buf, size_t len, idx_array *out,
                        size_t *header, size_t *data_bytes, cv_error *e)
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
    *header = 4 + 4 * (size_t)rank;
    if (len < *header)
        return cv_fail(e, "%s: header: file is %zu bytes, the %d dimensions need %zu",
                       name, len, rank, *header);
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
    out->rank = rank;
    out->count = count;
    out->item_size = item_size;
    *data_bytes = count * item_size;
    return 0;
}

/* The data has `have` bytes where the header promised data_bytes. */
static int size_error(const char *name, const idx_array *out, size_t data_bytes, size_t have,
                      cv_error *e)
{
    return cv_fail(e, "%s: size: the header promises %zu items of %zu bytes (%zu bytes of "
                   "data) but the file has %zu bytes of data%s", name, out->count,
                   out->item_size, data_bytes, have,
                   have < data_bytes ? " (truncated?)" : " (trailing bytes)");
}

static int alloc_data(const char *name, idx_array *out, size_t data_bytes, cv_error *e)
{
    out->data = malloc(data_bytes ? data_bytes : 1);
    if (!out->data)
        return cv_fail(e, "%s: out of memory for %zu bytes", name, data_bytes);
    return 0;
}

int idx_parse(const char *name, const uint8_t *buf, size_t len, idx_array *out,
              cv_error *e)
{
    size_t header = 0, data_bytes = 0;
    if (parse_header(name, buf, len, out, &header, &data_bytes, e) < 0)
        return -1;
    /* len >= header here. */
    if (len - header != data_bytes || alloc_data(name, out, data_bytes, e) < 0) {
        if (len - header != data_bytes)
            size_error(name, out, data_bytes, len - header, e);
        memset(out, 0, sizeof *out);
        return -1;
    }
    memcpy(out->data, buf + header, data_bytes);
    return 0;
}

/* ---- gzip --------------------------------------------------------------- */

typedef struct {
    z_stream z;
    const char *name;
    int ended;              /* the last gzip member is done and no input is left */
    cv_error *e;
} gz_reader;

/* Inflates up to n bytes into dst and returns how many (fewer only at the
 * end of the data), or -1.  Members of a multi-member file follow each
 * other; anything else after a member is an error, as trailing bytes are
 * in a raw file. */
static long long gz_read(gz_reader *g, uint8_t *dst, size_t n)
{
    size_t got = 0;
    while (got < n && !g->ended) {
        size_t want = n - got < (1u << 30) ? n - got : (1u << 30);
        g->z.next_out = dst + got;
        g->z.avail_out = (uInt)want;
        int rc = inflate(&g->z, Z_NO_FLUSH);
        got += want - g->z.avail_out;
        if (rc == Z_STREAM_END) {
            if (g->z.avail_in == 0)
                g->ended = 1;
            else if (g->z.avail_in >= 2 && g->z.next_in[0] == 0x1f && g->z.next_in[1] == 0x8b)
                inflateReset(&g->z);
            else
                return cv_fail(g->e, "%s: %u bytes of trailing data after the gzip stream",
                               g->name, g->z.avail_in);
        } else if (rc == Z_BUF_ERROR || (rc == Z_OK && g->z.avail_in == 0 &&
                                         g->z.avail_out > 0)) {
            return cv_fail(g->e, "%s: corrupt or truncated gzip data: unexpected end of file",
                           g->name);
        } else if (rc != Z_OK) {
            return cv_fail(g->e, "%s: corrupt gzip data: %s", g->name,
                           g->z.msg ? g->z.msg : zError(rc));
        }
    }
    return (long long)got;
}

static int gunzip_idx(const char *name, const uint8_t *gz, size_t gz_len, idx_array *out,
                      cv_error *e)
{
    gz_reader g = { .name = name, .e = e };
    memset(out, 0, sizeof *out);
    if (gz_len > UINT32_MAX)
        return cv_fail(e, "%s: larger than %u bytes of gzip data", name, UINT32_MAX);
    if (inflateInit2(&g.z, 16 + MAX_WBITS) != Z_OK)
        return cv_fail(e, "%s: out of memory for zlib", name);
    g.z.next_in = (Bytef *)gz;
    g.z.avail_in = (uInt)gz_len;
    uint8_t head[IDX_MAX_HEADER], extra;
    size_t header = 0, data_bytes = 0;
    int rc = -1;
    /* The fixed part, then the dimensions the rank byte announces. */
    long long got = gz_read(&g, head, 4);
    if (got >= 4 && head[3] >= 1 && head[3] <= IDX_MAX_RANK) {
        long long more = gz_read(&g, head + 4, 4 * (size_t)head[3]);
        got = more < 0 ? -1 : got + more;
    }
    if (got < 0 || parse_header(name, head, (size_t)got, out, &header, &data_bytes, e) < 0)
        goto out;
    if (data_bytes / DEFLATE_MAX_RATIO > gz_len) {
        cv_fail(e, "%s: size: the header promises %zu bytes of data, more than %zu bytes of "
                "gzip data can hold (truncated?)", name, data_bytes, gz_len);
        goto out;
    }
    /* Straight into the array (no second copy of a data set in memory), then
     * one byte more than promised shows data that goes on. */
    if (alloc_data(name, out, data_bytes, e) < 0)
        goto out;
    got = gz_read(&g, out->data, data_bytes);
    if (got < 0)
        goto out;
    if ((size_t)got < data_bytes) {
        size_error(name, out, data_bytes, (size_t)got, e);
        goto out;
    }
    got = gz_read(&g, &extra, 1);
    if (got < 0)
        goto out;
    if (got > 0) {
        cv_fail(e, "%s: size: the data goes on after the %zu bytes the header promises "
                "(trailing bytes)", name, data_bytes);
        goto out;
    }
    rc = 0;
out:
    if (rc < 0) {
        free(out->data);
        memset(out, 0, sizeof *out);
    }
    inflateEnd(&g.z);
    return rc;
}

int idx_decode(const char *name, const uint8_t *buf, size_t len, idx_array *out,
               cv_error *e)
{
    if (len >= 2 && buf[0] == 0x1f && buf[1] == 0x8b)
        return gunzip_idx(name, buf, len, out, e);
    return idx_parse(name, buf, len, out, e);
}

int idx_load(const char *path, idx_array *out, cv_error *e)
{
    memset(out, 0, sizeof *out);
    size_t len = 0;
    uint8_t *buf = (uint8_t *)cv_read_file(path, IDX_MAX_HEADER + IDX_MAX_BYTES, &len, e);
    if (!buf)
        return -1;
    int rc = idx_decode(path, buf, len, out, e);
    free(buf);
    return rc;
}

void idx_free(idx_array *a)
{
    free(a->data);
    memset(a, 0, sizeof *a);
}
