/* gen_checkpoint.c - bounds-checked checkpoint reader (format version 1). */
#include "output/gen_checkpoint.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CKPT_MAX_BYTES (2LL << 30)      /* params + optimizer state of IR_MAX_PARAMS */

typedef struct {
    const unsigned char *p;
    size_t len, at;
    const char *path;
    FILE *diag;
    int failed;
} reader;

#if defined(__GNUC__)
static void fail(reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#endif
static void fail(reader *r, const char *fmt, ...)
{
    va_list ap;
    if (r->failed)
        return;
    r->failed = 1;
    fprintf(r->diag, "%s: error: ", r->path);
    va_start(ap, fmt);
    vfprintf(r->diag, fmt, ap);
    va_end(ap);
    fputc('\n', r->diag);
}

static const unsigned char *take(reader *r, size_t n, const char *field)
{
    const unsigned char *q;
    if (r->failed)
        return NULL;
    if (n > r->len - r->at) {
        fail(r, "truncated in field '%s' (offset %zu)", field, r->at);
        return NULL;
    }
    q = r->p + r->at;
    r->at += n;
    return q;
}

static uint64_t le(const unsigned char *q, int n)
{
    uint64_t v = 0;
    int i;
    for (i = n - 1; i >= 0; i--)
        v = v << 8 | q[i];
    return v;
}

static uint32_t u32(reader *r, const char *field)
{
    const unsigned char *q = take(r, 4, field);
    return q ? (uint32_t)le(q, 4) : 0;
}

static uint64_t u64(reader *r, const char *field)
{
    const unsigned char *q = take(r, 8, field);
    return q ? le(q, 8) : 0;
}

/* A str field into buf (NUL-terminated); longer strings are an error. */
static void str(reader *r, char *buf, size_t size, const char *field)
{
    uint32_t n = u32(r, field);
    const unsigned char *q;
    buf[0] = '\0';
    if (r->failed)
        return;
    if (n >= size) {
        fail(r, "field '%s' is %u bytes long (at most %zu expected)", field, n, size - 1);
        return;
    }
    q = take(r, n, field);
    if (q) {
        memcpy(buf, q, n);
        buf[n] = '\0';
    }
}

static uint32_t crc32_of(const unsigned char *p, size_t n)
{
    uint32_t table[256], c = 0xffffffffu;
    uint32_t k;
    size_t i;
    for (k = 0; k < 256; k++) {
        uint32_t v = k;
        int b;
        for (b = 0; b < 8; b++)
            v = v & 1 ? 0xedb88320u ^ (v >> 1) : v >> 1;
        table[k] = v;
    }
    for (i = 0; i < n; i++)
        c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

static unsigned char *read_all(const char *path, size_t *len, FILE *diag)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    long size;
    if (!f) {
        fprintf(diag, "%s: error: cannot open: %s\n", path, strerror(errno));
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fprintf(diag, "%s: error: cannot read: %s\n", path, strerror(errno));
        fclose(f);
        return NULL;
    }
    if ((long long)size > CKPT_MAX_BYTES) {
        fprintf(diag, "%s: error: %ld bytes is too large for a checkpoint\n", path, size);
        fclose(f);
        return NULL;
    }
    buf = malloc((size_t)size + 1);
    if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size) {
        fprintf(diag, "%s: error: cannot read %ld bytes\n", path, size);
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *len = (size_t)size;
    return buf;
}

float *gen_checkpoint_params(const char *path, const gen_layout *L, FILE *diag)
{
    reader r;
    size_t len = 0;
    unsigned char *buf = read_all(path, &len, diag);
    char name[256], text[4096];
    uint64_t length, hash, n_params, i;
    uint32_t n_tensors, t, n_state, stored_crc;
    float *params = NULL;
    if (!buf)
        return NULL;
    memset(&r, 0, sizeof r);
    r.p = buf;
    r.len = len;
    r.path = path;
    r.diag = diag;
    {
        const unsigned char *magic = take(&r, 8, "magic");
        if (magic && memcmp(magic, "CONVCKPT", 8) != 0)
            fail(&r, "not a convc checkpoint (bad magic)");
    }
    if (!r.failed && u32(&r, "version") != 1)
        fail(&r, "unsupported checkpoint version (this convc reads version 1)");
    u32(&r, "flags");
    length = u64(&r, "length");
    if (!r.failed && length != len)
        fail(&r, "file is %zu bytes but its header says %llu (truncated or damaged)", len,
             (unsigned long long)length);
    if (!r.failed && len < 4)
        fail(&r, "truncated");
    if (!r.failed) {
        stored_crc = (uint32_t)le(buf + len - 4, 4);
        if (crc32_of(buf, len - 4) != stored_crc)
            fail(&r, "CRC mismatch: the file is damaged");
        r.len = len - 4;      /* the CRC is not part of the fields */
    }
    str(&r, name, sizeof name, "model");
    if (!r.failed && strcmp(name, L->m->name) != 0)
        fail(&r, "checkpoint is for model '%s', the spec defines '%s'", name, L->m->name);
    str(&r, text, sizeof text, "spec_file");
    str(&r, text, sizeof text, "convc_version");
    hash = u64(&r, "spec_hash");
    if (!r.failed && hash != L->m->spec_hash)
        fail(&r, "spec hash %016llx does not match the spec's %016llx: the checkpoint was "
                 "trained on a different architecture", (unsigned long long)hash,
             (unsigned long long)L->m->spec_hash);
    n_params = u64(&r, "n_params");
    if (!r.failed && n_params != (uint64_t)L->n_params)
        fail(&r, "checkpoint has %llu parameters, the model %lld",
             (unsigned long long)n_params, (long long)L->n_params);
    n_tensors = u32(&r, "n_tensors");
    if (!r.failed && n_tensors != (uint32_t)L->n_tensors)
        fail(&r, "checkpoint has %u tensors, the model %d", n_tensors, L->n_tensors);
    for (t = 0; t < n_tensors && !r.failed; t++) {
        const gen_tensor *mt = &L->tensors[t];
        uint32_t rank, d;
        str(&r, name, sizeof name, "tensor name");
        if (!r.failed && strcmp(name, mt->name) != 0)
            fail(&r, "tensor %u is '%s', the model's is '%s'", t, name, mt->name);
        rank = u32(&r, "tensor rank");
        if (!r.failed && rank != (uint32_t)mt->rank)
            fail(&r, "tensor '%s' has rank %u, the model's %d", mt->name, rank, mt->rank);
        for (d = 0; d < rank && !r.failed; d++) {
            uint32_t dim = u32(&r, "tensor shape");
            if (!r.failed && dim != (uint32_t)mt->shape[d])
                fail(&r, "tensor '%s' dimension %u is %u, the model's %d", mt->name, d, dim,
                     mt->shape[d]);
        }
        if (!r.failed && u64(&r, "tensor offset") != (uint64_t)mt->offset)
            fail(&r, "tensor '%s' is at a different offset than in the model", mt->name);
        if (!r.failed && u64(&r, "tensor count") != (uint64_t)mt->count)
            fail(&r, "tensor '%s' has a different size than in the model", mt->name);
    }
    u32(&r, "optimizer");
    n_state = u32(&r, "n_state");
    if (!r.failed && n_state > 2)
        fail(&r, "field 'n_state' is %u (at most 2)", n_state);
    /* lr, beta1, beta2, epsilon, momentum, step, batch, threads, epochs,
     * shuffle, seed, limit_train, n_train, val_split, epoch, reserved,
     * batch_pos, rng[4], run_loss, run_correct, run_seen */
    take(&r, 5 * 8 + 8 + 4 * 4 + 8 + 8 + 8 + 8 + 4 + 4 + 8 + 4 * 8 + 8 + 8 + 8,
         "training state");
    if (!r.failed && (uint64_t)(r.len - r.at) != (uint64_t)(1 + n_state) * n_params * 4)
        fail(&r, "%zu bytes of parameters and optimizer state, %llu expected", r.len - r.at,
             (unsigned long long)((1 + n_state) * n_params * 4));
    if (!r.failed) {
        params = malloc(sizeof(float) * (n_params ? n_params : 1));
        if (!params)
            fail(&r, "out of memory");
    }
    for (i = 0; i < n_params && !r.failed; i++) {
        uint32_t bits = (uint32_t)le(r.p + r.at + 4 * i, 4);
        memcpy(&params[i], &bits, 4);
        if (!isfinite(params[i]))
            fail(&r, "parameter %llu is not finite", (unsigned long long)i);
    }
    free(buf);
    if (r.failed) {
        free(params);
        return NULL;
    }
    return params;
}
