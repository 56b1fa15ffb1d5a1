/* checkpoint.c - the checkpoint file: serialization, verification and the
 * atomic write. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "train/checkpoint.h"
#include "base/files.h"
#include "train/optim.h"

/* Offset of the total-length field in the fixed header. */
#define CKPT_LENGTH_OFFSET 16
#define CKPT_MAX_STRING    4096

/* ---- writing ------------------------------------------------------------ */

typedef struct {
    uint8_t *p;
    size_t len, cap;
    int oom;
} wbuf;

static void put(wbuf *b, const void *src, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *q = realloc(b->p, cap);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void put_u32(wbuf *b, uint32_t v)
{
    uint8_t x[4];
    for (int i = 0; i < 4; i++)
        x[i] = (uint8_t)(v >> (8 * i));
    put(b, x, 4);
}

static void put_u64(wbuf *b, uint64_t v)
{
    uint8_t x[8];
    for (int i = 0; i < 8; i++)
        x[i] = (uint8_t)(v >> (8 * i));
    put(b, x, 8);
}

static void put_f64(wbuf *b, double d)
{
    uint64_t v;
    memcpy(&v, &d, 8);
    put_u64(b, v);
}

static void put_str(wbuf *b, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    put_u32(b, (uint32_t)n);
    put(b, s, n);
}

static void put_floats(wbuf *b, const float *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t v;
        memcpy(&v, &f[i], 4);
        put_u32(b, v);
    }
}

int ckpt_save(const char *path, const convc_model *m, const cv_ckpt_state *st,
              const float *params, float *const state[2], int n_state, cv_error *e)
{
    for (size_t i = 0; i < m->n_params; i++)
        if (!isfinite(params[i]))
            return cv_fail(e, "%s: not saved: parameter %zu is %s; the previous checkpoint "
                           "is kept", path, i, isnan(params[i]) ? "NaN" : "infinite");
    wbuf b = { 0 };
    put(&b, CKPT_MAGIC, 8);
    put_u32(&b, CKPT_VERSION);
    put_u32(&b, 0);                     /* flags, reserved */
    put_u64(&b, 0);                     /* total length, patched below */
    put_str(&b, m->name);
    put_str(&b, m->spec_file);
    put_str(&b, m->convc_version);
    put_u64(&b, m->spec_hash);
    put_u64(&b, m->n_params);
    put_u32(&b, (uint32_t)m->n_tensors);
    for (int t = 0; t < m->n_tensors; t++) {
        const convc_tensor *ts = &m->tensors[t];
        put_str(&b, ts->name);
        put_u32(&b, (uint32_t)ts->rank);
        for (int k = 0; k < ts->rank; k++)
            put_u32(&b, (uint32_t)ts->shape[k]);
        put_u64(&b, ts->offset);
        put_u64(&b, ts->count);
    }
    put_u32(&b, st->optimizer);
    put_u32(&b, (uint32_t)n_state);
    put_f64(&b, st->lr);
    put_f64(&b, st->beta1);
    put_f64(&b, st->beta2);
    put_f64(&b, st->epsilon);
    put_f64(&b, st->momentum);
    put_u64(&b, st->step);
    put_u32(&b, st->batch);
    put_u32(&b, st->threads);
    put_u32(&b, st->epochs);
    put_u32(&b, st->shuffle);
    put_u64(&b, st->seed);
    put_u64(&b, st->limit_train);
    put_u64(&b, st->n_train);
    put_f64(&b, st->val_split);
    put_u32(&b, st->epoch);
    put_u32(&b, 0);                     /* reserved */
    put_u64(&b, st->batch_pos);
    for (int i = 0; i < 4; i++)
        put_u64(&b, st->rng[i]);
    put_f64(&b, st->run_loss);
    put_u64(&b, st->run_correct);
    put_u64(&b, st->run_seen);
    put_floats(&b, params, m->n_params);
    for (int i = 0; i < n_state; i++)
        put_floats(&b, state[i], m->n_params);
    if (b.oom) {
        free(b.p);
        return cv_fail(e, "%s: out of memory", path);
    }
    uint64_t total = b.len + 4;
    for (int i = 0; i < 8; i++)
        b.p[CKPT_LENGTH_OFFSET + i] = (uint8_t)(total >> (8 * i));
    /* crc32_z: crc32 takes a 32-bit length and would cover only part of a
     * checkpoint of 4 GiB or more. */
    uint32_t crc = (uint32_t)crc32_z(0L, b.p, b.len);
    put_u32(&b, crc);
    if (b.oom) {
        free(b.p);
        return cv_fail(e, "%s: out of memory", path);
    }
    int rc = cv_write_atomic(path, b.p, b.len, e);
    free(b.p);
    return rc;
}

/* ---- reading ------------------------------------------------------------ */

typedef struct {
    const char *path;
    const uint8_t *p;
    size_t len, pos;
    cv_error *e;
    int failed;
} rbuf;

static const uint8_t *take(rbuf *r, size_t n, const char *field)
{
    if (r->failed)
        return NULL;
    if (n > r->len - r->pos) {
        cv_fail(r->e, "%s: %s: file ends at byte %zu (truncated?)", r->path, field, r->len);
        r->failed = 1;
        return NULL;
    }
    const uint8_t *q = r->p + r->pos;
    r->pos += n;
    return q;
}

static uint32_t get_u32(rbuf *r, const char *field)
{
    const uint8_t *q = take(r, 4, field);
    if (!q)
        return 0;
    return (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24;
}

static uint64_t get_u64(rbuf *r, const char *field)
{
    const uint8_t *q = take(r, 8, field);
    if (!q)
        return 0;
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | q[i];
    return v;
}

static double get_f64(rbuf *r, const char *field)
{
    uint64_t v = get_u64(r, field);
    double d;
    memcpy(&d, &v, 8);
    return d;
}

/* A length-prefixed string into out (NUL-terminated, cut to size). */
static void get_str(rbuf *r, char *out, size_t size, const char *field)
{
    uint32_t n = get_u32(r, field);
    out[0] = 0;
    if (r->failed)
        return;
    if (n > CKPT_MAX_STRING) {
        cv_fail(r->e, "%s: %s: string length %u is implausible (corrupt file)", r->path,
                field, n);
        r->failed = 1;
        return;
    }
    const uint8_t *q = take(r, n, field);
    if (!q)
        return;
    size_t k = n < size - 1 ? n : size - 1;
    memcpy(out, q, k);
    out[k] = 0;
}

static void get_floats(rbuf *r, float *out, size_t n, const char *field)
{
    if (n > (r->len - r->pos) / 4) {
        take(r, SIZE_MAX, field);
        return;
    }
    const uint8_t *q = take(r, n * 4, field);
    if (!q || !out)
        return;
    for (size_t i = 0; i < n; i++) {
        uint32_t v = (uint32_t)q[4 * i] | (uint32_t)q[4 * i + 1] << 8 |
                     (uint32_t)q[4 * i + 2] << 16 | (uint32_t)q[4 * i + 3] << 24;
        memcpy(&out[i], &v, 4);
    }
}

static void hash_hex(uint64_t h, char out[17])
{
    snprintf(out, 17, "%016" PRIx64, h);
}

/* Parses and verifies everything; copies arrays only where the out
 * pointers are not NULL. */
static int ckpt_read(const char *path, const convc_model *m, cv_ckpt_state *st,
                     float *params, float *const state[2], int want_state, int *n_state_out,
                     cv_error *e)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    if (!(buf = (uint8_t *)cv_read_file(path, 0, &len, e)))
        return -1;
    rbuf r = { .path = path, .p = buf, .len = len, .e = e };
    int rc = -1;
    char name[256], spec_file[1024], version[64], tname[256], want_hash[17], got_hash[17];

    const uint8_t *magic = take(&r, 8, "magic");
    if (!magic)
        goto out;
    if (memcmp(magic, CKPT_MAGIC, 8) != 0) {
        cv_fail(e, "%s: magic: not a convc checkpoint (expected \"%s\")", path, CKPT_MAGIC);
        goto out;
    }
    uint32_t version_no = get_u32(&r, "version");
    if (r.failed)
        goto out;
    if (version_no != CKPT_VERSION) {
        cv_fail(e, "%s: version: checkpoint format %u, this trainer reads version %d",
                path, version_no, CKPT_VERSION);
        goto out;
    }
    get_u32(&r, "flags");
    uint64_t total = get_u64(&r, "length");
    if (r.failed)
        goto out;
    if (total != len) {
        cv_fail(e, "%s: length: the header says %" PRIu64 " bytes but the file has %zu%s",
                path, total, len, total > len ? " (truncated)" : " (trailing bytes)");
        goto out;
    }
    uint32_t want_crc = (uint32_t)crc32_z(0L, buf, len - 4);
    uint32_t got_crc = (uint32_t)buf[len - 4] | (uint32_t)buf[len - 3] << 8 |
                       (uint32_t)buf[len - 2] << 16 | (uint32_t)buf[len - 1] << 24;
    if (want_crc != got_crc) {
        cv_fail(e, "%s: crc32: stored 0x%08x but the contents give 0x%08x (corrupt file)",
                path, got_crc, want_crc);
        goto out;
    }
    r.len = len - 4;    /* the CRC is not a field */

    get_str(&r, name, sizeof name, "model name");
    get_str(&r, spec_file, sizeof spec_file, "spec file");
    get_str(&r, version, sizeof version, "convc version");
    uint64_t spec_hash = get_u64(&r, "spec hash");
    uint64_t n_params = get_u64(&r, "parameter count");
    uint32_t n_tensors = get_u32(&r, "tensor count");
    if (r.failed)
        goto out;
    hash_hex(spec_hash, got_hash);
    hash_hex(m->spec_hash, want_hash);
    if (strcmp(name, m->name) != 0 || spec_hash != m->spec_hash) {
        cv_fail(e, "%s: model: the checkpoint is for model '%s' (%s, spec hash %s) but this "
                "is model '%s' (%s, spec hash %s)", path, name, spec_file, got_hash, m->name,
                m->spec_file, want_hash);
        goto out;
    }
    if (n_params != m->n_params || n_tensors != (uint32_t)m->n_tensors) {
        cv_fail(e, "%s: parameters: the checkpoint has %" PRIu64 " parameters in %u tensors "
                "but model '%s' has %zu in %d", path, n_params, n_tensors, m->name,
                m->n_params, m->n_tensors);
        goto out;
    }
    for (int t = 0; t < m->n_tensors; t++) {
        const convc_tensor *ts = &m->tensors[t];
        get_str(&r, tname, sizeof tname, "tensor name");
        uint32_t rank = get_u32(&r, "tensor rank");
        if (r.failed)
            goto out;
        int same = strcmp(tname, ts->name) == 0 && rank == (uint32_t)ts->rank;
        char got_shape[128] = "", want_shape[128] = "";
        for (uint32_t k = 0; k < rank && k < 8; k++) {
            uint32_t d = get_u32(&r, "tensor shape");
            size_t l = strlen(got_shape);
            snprintf(got_shape + l, sizeof got_shape - l, "%s%u", k ? "x" : "", d);
            if (same && (int)d != ts->shape[k])
                same = 0;
        }
        for (int k = 0; k < ts->rank; k++) {
            size_t l = strlen(want_shape);
            snprintf(want_shape + l, sizeof want_shape - l, "%s%d", k ? "x" : "", ts->shape[k]);
        }
        uint64_t off = get_u64(&r, "tensor offset");
        uint64_t count = get_u64(&r, "tensor count");
        if (r.failed)
            goto out;
        if (rank > 8 || !same || off != ts->offset || count != ts->count) {
            cv_fail(e, "%s: tensor %d: the checkpoint has '%s' (%s) but model '%s' has '%s' "
                    "(%s)", path, t, tname, got_shape, m->name, ts->name, want_shape);
            goto out;
        }
    }
    cv_ckpt_state s;
    memset(&s, 0, sizeof s);
    s.optimizer = get_u32(&r, "optimizer");
    uint32_t n_state = get_u32(&r, "optimizer state count");
    s.lr = get_f64(&r, "lr");
    s.beta1 = get_f64(&r, "beta1");
    s.beta2 = get_f64(&r, "beta2");
    s.epsilon = get_f64(&r, "epsilon");
    s.momentum = get_f64(&r, "momentum");
    s.step = get_u64(&r, "step");
    s.batch = get_u32(&r, "batch");
    s.threads = get_u32(&r, "threads");
    s.epochs = get_u32(&r, "epochs");
    s.shuffle = get_u32(&r, "shuffle");
    s.seed = get_u64(&r, "seed");
    s.limit_train = get_u64(&r, "limit_train");
    s.n_train = get_u64(&r, "n_train");
    s.val_split = get_f64(&r, "val_split");
    s.epoch = get_u32(&r, "epoch");
    get_u32(&r, "reserved");
    s.batch_pos = get_u64(&r, "batch_pos");
    for (int i = 0; i < 4; i++)
        s.rng[i] = get_u64(&r, "rng");
    s.run_loss = get_f64(&r, "run_loss");
    s.run_correct = get_u64(&r, "run_correct");
    s.run_seen = get_u64(&r, "run_seen");
    if (r.failed)
        goto out;
    if (s.optimizer > OPTIM_ADAM || n_state != (uint32_t)optim_state_count((int)s.optimizer)) {
        cv_fail(e, "%s: optimizer: kind %u with %u state arrays is not valid", path,
                s.optimizer, n_state);
        goto out;
    }
    if (s.batch == 0 || s.epochs == 0 || s.threads == 0) {
        cv_fail(e, "%s: settings: batch %u, epochs %u, threads %u (each must be >= 1)",
                path, s.batch, s.epochs, s.threads);
        goto out;
    }
    get_floats(&r, params, m->n_params, "parameters");
    for (uint32_t i = 0; i < n_state; i++)
        get_floats(&r, want_state == (int)n_state && state ? state[i] : NULL, m->n_params,
                   "optimizer state");
    if (r.failed)
        goto out;
    if (r.pos != r.len) {
        cv_fail(e, "%s: length: %zu unexpected bytes after the optimizer state", path,
                r.len - r.pos);
        goto out;
    }
    if (state && want_state != (int)n_state) {
        cv_fail(e, "%s: optimizer: the checkpoint holds %u state arrays (%s), %d expected",
                path, n_state, optim_kind_name((int)s.optimizer), want_state);
        goto out;
    }
    if (st)
        *st = s;
    if (n_state_out)
        *n_state_out = (int)n_state;
    rc = 0;
out:
    free(buf);
    return rc;
}

int ckpt_load(const char *path, const convc_model *m, cv_ckpt_state *st, float *params,
              float *const state[2], int n_state, cv_error *e)
{
    return ckpt_read(path, m, st, params, state, n_state, NULL, e);
}

int ckpt_peek(const char *path, const convc_model *m, cv_ckpt_state *st, cv_error *e)
{
    return ckpt_read(path, m, st, NULL, NULL, 0, NULL, e);
}
