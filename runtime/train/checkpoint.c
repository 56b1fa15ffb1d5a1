/* checkpoint.c - the checkpoint file: serialization, verification and the
 * atomic write.  One table of fields (after the model's identity and
 * tensors) drives both the writer and the reader. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "train/checkpoint.h"
#include "base/buf.h"
#include "base/files.h"
#include "base/isa.h"
#include "train/optim.h"
#include "train/schedule.h"
#include "base/settings.h"

/* magic, version, flags, length */
#define CKPT_HEADER_BYTES 24
#define CKPT_LENGTH_OFFSET 16
#define CKPT_CRC_BYTES    4
#define CKPT_MAX_RANK     8

/* ---- the settings and position fields ----------------------------------- */

typedef enum { U32, U64, F64 } field_type;

typedef struct {
    const char *name;           /* as in docs/checkpoint-format.md */
    field_type type;
    size_t at;                  /* offset in cv_ckpt_state; NOWHERE: written as 0 */
    int setting;                /* cv_setting_id whose check the value passes, or -1 */
    int zero_is_unset;          /* 0 stands for "not given" and skips the check */
    uint32_t first, last;       /* format versions that have the field (last 0: all) */
} ckpt_field;

#define NOWHERE SIZE_MAX
#define AT(f) offsetof(cv_ckpt_state, f)

/* ORDER: the file's order. */
static const ckpt_field fields[] = {
    { "optimizer",   U32, AT(optimizer),   SETTING_OPTIMIZER,   0, 1, 0 },
    { "n_state",     U32, AT(n_state),     -1,                  0, 1, 0 },
    { "lr",          F64, AT(lr),          SETTING_LR,          0, 1, 0 },
    { "beta1",       F64, AT(beta1),       SETTING_BETA1,       0, 1, 0 },
    { "beta2",       F64, AT(beta2),       SETTING_BETA2,       0, 1, 0 },
    { "epsilon",     F64, AT(epsilon),     SETTING_EPSILON,     0, 1, 0 },
    { "momentum",    F64, AT(momentum),    SETTING_MOMENTUM,    0, 1, 0 },
    { "step",        U64, AT(step),        -1,                  0, 1, 0 },
    { "batch",       U32, AT(batch),       SETTING_BATCH,       0, 1, 0 },
    { "threads",     U32, AT(threads),     SETTING_THREADS,     0, 1, 3 },
    { "workers",     U32, AT(workers),     SETTING_WORKERS,     0, 4, 0 },
    { "epochs",      U32, AT(epochs),      SETTING_EPOCHS,      0, 1, 0 },
    { "shuffle",     U32, AT(shuffle),     SETTING_SHUFFLE,     0, 1, 0 },
    { "seed",        U64, AT(seed),        -1,                  0, 1, 0 },
    { "limit_train", U64, AT(limit_train), SETTING_LIMIT_TRAIN, 1, 1, 0 },
    { "n_train",     U64, AT(n_train),     SETTING_N_TRAIN,     0, 1, 0 },
    { "val_split",   F64, AT(val_split),   SETTING_VAL_SPLIT,   0, 1, 0 },
    { "epoch",       U32, AT(epoch),       SETTING_EPOCH,       0, 1, 0 },
    { "reserved",    U32, NOWHERE,         -1,                  0, 1, 1 },
    { "limit_test",  U32, AT(limit_test),  SETTING_LIMIT_TEST,  1, 2, 0 },
    { "batch_pos",   U64, AT(batch_pos),   -1,                  0, 1, 0 },
    { "rng[0]",      U64, AT(rng[0]),      -1,                  0, 1, 0 },
    { "rng[1]",      U64, AT(rng[1]),      -1,                  0, 1, 0 },
    { "rng[2]",      U64, AT(rng[2]),      -1,                  0, 1, 0 },
    { "rng[3]",      U64, AT(rng[3]),      -1,                  0, 1, 0 },
    { "run_loss",    F64, AT(run_loss),    -1,                  0, 1, 0 },
    { "run_correct", U64, AT(run_correct), -1,                  0, 1, 0 },
    { "run_seen",    U64, AT(run_seen),    -1,                  0, 1, 0 },
    { "schedule",    U32, AT(schedule),    SETTING_SCHEDULE,    0, 3, 0 },
    { "lr_factor",   F64, AT(lr_factor),   SETTING_LR_FACTOR,   1, 3, 0 },
    { "lr_every",    U32, AT(lr_every),    SETTING_LR_EVERY,    1, 3, 0 },
    { "warmup",      U64, AT(warmup),      SETTING_WARMUP,      0, 3, 0 },
    { "lr_patience", U32, AT(lr_patience), SETTING_LR_PATIENCE, 1, 3, 0 },
    { "min_lr",      F64, AT(min_lr),      SETTING_MIN_LR,      0, 3, 0 },
    { "weight_decay", F64, AT(weight_decay), SETTING_WEIGHT_DECAY, 0, 3, 0 },
    { "decay_all",   U32, AT(decay_all),   SETTING_DECAY_ALL,   0, 3, 0 },
    { "early_stop",  U32, AT(early_stop),  SETTING_EARLY_STOP,  1, 3, 0 },
    { "restore_best", U32, AT(restore_best), SETTING_RESTORE_BEST, 0, 3, 0 },
    { "shift",       U32, AT(shift),       SETTING_SHIFT,       0, 3, 0 },
    { "flip",        U32, AT(flip),        SETTING_FLIP,        0, 3, 0 },
    { "crop_pad",    U32, AT(crop_pad),    SETTING_CROP_PAD,    0, 3, 0 },
    { "cutout",      U32, AT(cutout),      SETTING_CUTOUT,      0, 3, 0 },
    { "plateau_lr",  F64, AT(plateau_lr),  SETTING_LR_NOW,      1, 3, 0 },
    { "plateau_best", F64, AT(plateau_best), -1,                0, 3, 0 },
    { "plateau_wait", U32, AT(plateau_wait), -1,                0, 3, 0 },
    { "best_loss",   F64, AT(best_loss),   -1,                  0, 3, 0 },
    { "best_epoch",  U32, AT(best_epoch),  -1,                  0, 3, 0 },
    { "stop_wait",   U32, AT(stop_wait),   -1,                  0, 3, 0 },
    { "stopped",     U32, AT(stopped),     -1,                  0, 3, 0 },
    { "n_best",      U32, AT(n_best),      -1,                  0, 3, 0 },
    { "isa",         U64, AT(isa),         -1,                  0, 4, 0 },
    { "data_hash",   U64, AT(data_hash),   -1,                  0, 5, 0 },
};
#define N_FIELDS (sizeof fields / sizeof *fields)

static int in_version(const ckpt_field *f, uint32_t version)
{
    return version >= f->first && (f->last == 0 || version <= f->last);
}

/* The field's value as raw bits (doubles by their bit pattern). */
static uint64_t field_bits(const ckpt_field *f, const cv_ckpt_state *st)
{
    uint32_t u32;
    uint64_t u64;
    if (f->at == NOWHERE)
        return 0;
    const char *p = (const char *)st + f->at;
    if (f->type == U32) {
        memcpy(&u32, p, 4);
        return u32;
    }
    memcpy(&u64, p, 8);         /* a double's bits, or a u64 */
    return u64;
}

static void set_field_bits(const ckpt_field *f, cv_ckpt_state *st, uint64_t v)
{
    if (f->at == NOWHERE)
        return;
    char *p = (char *)st + f->at;
    if (f->type == U32) {
        uint32_t u32 = (uint32_t)v;
        memcpy(p, &u32, 4);
    } else {
        memcpy(p, &v, 8);
    }
}

static double field_value(const ckpt_field *f, uint64_t bits)
{
    double d;
    if (f->type != F64)
        return (double)bits;
    memcpy(&d, &bits, 8);
    return d;
}

static void value_text(const ckpt_field *f, uint64_t bits, char *out, size_t size)
{
    if (f->type == F64)
        snprintf(out, size, "%.17g", field_value(f, bits));
    else
        snprintf(out, size, "%" PRIu64, bits);
}

int ckpt_setting(const cv_ckpt_state *st, int s, double *v)
{
    for (size_t i = 0; i < N_FIELDS; i++)
        if (fields[i].setting == s && in_version(&fields[i], st->version)) {
            *v = field_value(&fields[i], field_bits(&fields[i], st));
            return 0;
        }
    return -1;
}

/* Every field's own range, then the relations between fields. */
static int check_state(const char *name, const cv_ckpt_state *s, cv_error *e)
{
    for (size_t i = 0; i < N_FIELDS; i++) {
        const ckpt_field *f = &fields[i];
        uint64_t bits = field_bits(f, s);
        char rule[96], shown[40];
        if (f->setting < 0 || !in_version(f, s->version) || (f->zero_is_unset && bits == 0))
            continue;
        if (setting_check((cv_setting_id)f->setting, field_value(f, bits)) < 0) {
            setting_rule((cv_setting_id)f->setting, rule, sizeof rule);
            value_text(f, bits, shown, sizeof shown);
            const char *flag = setting_flag((cv_setting_id)f->setting);
            return cv_fail(e, "%s: %s: %s is not valid (expected %s%s%s)", name, f->name,
                           shown, rule, *flag ? ", as for " : "", flag);
        }
    }
    if (s->isa >> CV_ISA_COUNT)
        return cv_fail(e, "%s: isa: 0x%" PRIx64 " has bits of no known instruction set", name,
                       s->isa);
    if (s->n_state != (uint32_t)optim_state_count((int)s->optimizer))
        return cv_fail(e, "%s: optimizer: kind %u with %u state arrays is not valid", name,
                       s->optimizer, s->n_state);
    if (s->limit_train && s->n_train > s->limit_train)
        return cv_fail(e, "%s: n_train: %" PRIu64 " images, more than limit_train %" PRIu64,
                       name, s->n_train, s->limit_train);
    /* Both are at most 2e9 and 65536: no overflow below. */
    uint64_t n_batches = (s->n_train + s->batch - 1) / s->batch;
    if (s->batch_pos >= n_batches)
        return cv_fail(e, "%s: batch_pos: %" PRIu64 " batches done, but an epoch of %" PRIu64
                       " images has %" PRIu64 " batches of %u", name, s->batch_pos,
                       s->n_train, n_batches, s->batch);
    if (s->run_seen != s->batch_pos * s->batch || s->run_correct > s->run_seen)
        return cv_fail(e, "%s: run_seen: %" PRIu64 " images seen (%" PRIu64 " correct) after "
                       "%" PRIu64 " batches of %u", name, s->run_seen, s->run_correct,
                       s->batch_pos, s->batch);
    if (!isfinite(s->run_loss) || s->run_loss < 0)
        return cv_fail(e, "%s: run_loss: %g is not a summed loss", name, s->run_loss);
    /* Lowest losses: >= 0, infinite while there is none (NaN fails). */
    if (!(s->plateau_best >= 0) || !(s->best_loss >= 0))
        return cv_fail(e, "%s: %s: %g is not a lowest loss", name,
                       !(s->plateau_best >= 0) ? "plateau_best" : "best_loss",
                       !(s->plateau_best >= 0) ? s->plateau_best : s->best_loss);
    if (s->best_epoch > s->epoch || s->stop_wait > s->epoch || s->plateau_wait > s->epoch ||
        s->stopped > 1 || (s->stopped && !s->early_stop))
        return cv_fail(e, "%s: early stopping: best epoch %u, %u and %u epochs without "
                       "improvement, stopped %u after %u epochs is not a possible state",
                       name, s->best_epoch, s->stop_wait, s->plateau_wait, s->stopped,
                       s->epoch);
    if (s->n_best != (s->early_stop ? 1u : 0u))
        return cv_fail(e, "%s: n_best: %u arrays of best weights with early_stop %u (expected "
                       "%u)", name, s->n_best, s->early_stop, s->early_stop ? 1u : 0u);
    return 0;
}

/* ---- writing ------------------------------------------------------------ */

static void put_u32(cv_buf *b, uint32_t v)
{
    uint8_t x[4];
    for (int i = 0; i < 4; i++)
        x[i] = (uint8_t)(v >> (8 * i));
    buf_add(b, x, 4);
}

static void put_u64(cv_buf *b, uint64_t v)
{
    uint8_t x[8];
    for (int i = 0; i < 8; i++)
        x[i] = (uint8_t)(v >> (8 * i));
    buf_add(b, x, 8);
}

static void put_str(cv_buf *b, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    put_u32(b, (uint32_t)n);
    buf_add(b, s, n);
}

static void put_floats(cv_buf *b, const float *f, size_t n)
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
    return ckpt_save_run(path, m, st, params, state, n_state, NULL, e);
}

int ckpt_save_run(const char *path, const convc_model *m, const cv_ckpt_state *st,
                  const float *params, float *const state[2], int n_state, const float *best,
                  cv_error *e)
{
    for (size_t i = 0; i < m->n_params; i++)
        if (!isfinite(params[i]))
            return cv_fail(e, "%s: not saved: parameter %zu is %s; the previous checkpoint "
                           "is kept", path, i, isnan(params[i]) ? "NaN" : "infinite");
    cv_ckpt_state s = *st;
    s.version = CKPT_VERSION;
    s.n_state = (uint32_t)n_state;
    s.n_best = st->early_stop ? 1 : 0;
    cv_error why;
    if (check_state(path, &s, &why) < 0)
        return cv_fail(e, "%s: not saved: %s; the previous checkpoint is kept", path,
                       cv_error_detail(&why, path));
    cv_buf b = { 0 };
    buf_add(&b, CKPT_MAGIC, 8);
    put_u32(&b, CKPT_VERSION);
    put_u32(&b, 0);                     /* flags, reserved */
    put_u64(&b, 0);                     /* total length, patched below */
    put_str(&b, m->name);
    put_str(&b, m->spec_file);
    put_str(&b, m->convc_version);
    put_str(&b, s.data_dir);
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
    for (size_t i = 0; i < N_FIELDS; i++) {
        if (!in_version(&fields[i], CKPT_VERSION))
            continue;
        uint64_t v = field_bits(&fields[i], &s);
        if (fields[i].type == U32)
            put_u32(&b, (uint32_t)v);
        else
            put_u64(&b, v);
    }
    put_floats(&b, params, m->n_params);
    for (int i = 0; i < n_state; i++)
        put_floats(&b, state[i], m->n_params);
    if (s.n_best)
        put_floats(&b, best ? best : params, m->n_params);
    if (!b.oom) {
        uint64_t total = b.len + CKPT_CRC_BYTES;
        for (int i = 0; i < 8; i++)
            b.data[CKPT_LENGTH_OFFSET + i] = (char)(uint8_t)(total >> (8 * i));
        /* crc32_z: crc32 takes a 32-bit length and would cover only part of
         * a checkpoint of 4 GiB or more. */
        put_u32(&b, (uint32_t)crc32_z(0L, (const Bytef *)b.data, b.len));
    }
    if (b.oom) {
        buf_free(&b);
        return cv_fail(e, "%s: out of memory", path);
    }
    int rc = cv_write_atomic(path, b.data, b.len, e);
    buf_free(&b);
    return rc;
}

/* ---- reading ------------------------------------------------------------ */

/* Fields are read from p[pos .. end); pos <= end always holds, so `end -
 * pos` never wraps. */
typedef struct {
    const char *name;
    const uint8_t *p;
    size_t end, pos;
    cv_error *e;
    int failed;
} rbuf;

static const uint8_t *take(rbuf *r, size_t n, const char *field)
{
    if (r->failed)
        return NULL;
    if (n > r->end - r->pos) {
        cv_fail(r->e, "%s: %s: the file ends at byte %zu (truncated?)", r->name, field,
                r->end);
        r->failed = 1;
        return NULL;
    }
    const uint8_t *q = r->p + r->pos;
    r->pos += n;
    return q;
}

static uint64_t le(const uint8_t *q, int bytes)
{
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--)
        v = v << 8 | q[i];
    return v;
}

static uint32_t get_u32(rbuf *r, const char *field)
{
    const uint8_t *q = take(r, 4, field);
    return q ? (uint32_t)le(q, 4) : 0;
}

static uint64_t get_u64(rbuf *r, const char *field)
{
    const uint8_t *q = take(r, 8, field);
    return q ? le(q, 8) : 0;
}

/* A length-prefixed string into out (NUL-terminated, cut to size). */
static void get_str(rbuf *r, char *out, size_t size, const char *field)
{
    uint32_t n = get_u32(r, field);
    out[0] = 0;
    if (r->failed)
        return;
    if (n > CKPT_MAX_STRING) {
        cv_fail(r->e, "%s: %s: string length %u is implausible (corrupt file)", r->name,
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

/* n floats into out (when not NULL); parameters must be finite. */
static void get_floats(rbuf *r, float *out, size_t n, int finite, const char *field)
{
    if (r->failed)
        return;
    if (n > (r->end - r->pos) / 4) {
        take(r, SIZE_MAX, field);
        return;
    }
    const uint8_t *q = take(r, n * 4, field);
    for (size_t i = 0; i < n; i++) {
        uint32_t v = (uint32_t)le(q + 4 * i, 4);
        float f;
        memcpy(&f, &v, 4);
        if (finite && !isfinite(f)) {
            cv_fail(r->e, "%s: %s: parameter %zu is %s (checkpoints never hold one; "
                    "corrupt file)", r->name, field, i, isnan(f) ? "NaN" : "infinite");
            r->failed = 1;
            return;
        }
        if (out)
            out[i] = f;
    }
}

static void shape_text(const uint32_t *shape, uint32_t rank, char *out, size_t size)
{
    size_t l = 0;
    out[0] = 0;
    for (uint32_t k = 0; k < rank && l < size; k++)
        l += (size_t)snprintf(out + l, size - l, "%s%u", k ? "x" : "", shape[k]);
}

/* The model's identity and tensors against m; s->data_dir from version 5. */
static int check_model(rbuf *r, const convc_model *m, cv_ckpt_state *s)
{
    char name[256], spec_file[1024], version[64], tname[256], got[128], want[128];
    get_str(r, name, sizeof name, "model name");
    get_str(r, spec_file, sizeof spec_file, "spec file");
    get_str(r, version, sizeof version, "convc version");
    if (s->version >= 5)
        get_str(r, s->data_dir, sizeof s->data_dir, "data directory");
    uint64_t spec_hash = get_u64(r, "spec hash");
    uint64_t n_params = get_u64(r, "parameter count");
    uint32_t n_tensors = get_u32(r, "tensor count");
    if (r->failed)
        return -1;
    if (strcmp(name, m->name) != 0 || spec_hash != m->spec_hash)
        return cv_fail(r->e, "%s: model: the checkpoint is for model '%s' (%s, spec hash "
                       "%016" PRIx64 ") but this is model '%s' (%s, spec hash %016" PRIx64 ")",
                       r->name, name, spec_file, spec_hash, m->name, m->spec_file,
                       m->spec_hash);
    if (n_params != m->n_params || n_tensors != (uint32_t)m->n_tensors)
        return cv_fail(r->e, "%s: parameters: the checkpoint has %" PRIu64 " parameters in %u "
                       "tensors but model '%s' has %zu in %d", r->name, n_params, n_tensors,
                       m->name, m->n_params, m->n_tensors);
    for (int t = 0; t < m->n_tensors; t++) {
        const convc_tensor *ts = &m->tensors[t];
        uint32_t shape[CKPT_MAX_RANK], mine[4];
        get_str(r, tname, sizeof tname, "tensor name");
        uint32_t rank = get_u32(r, "tensor rank");
        if (r->failed)
            return -1;
        int same = strcmp(tname, ts->name) == 0 && rank == (uint32_t)ts->rank;
        for (uint32_t k = 0; k < rank && k < CKPT_MAX_RANK; k++) {
            shape[k] = get_u32(r, "tensor shape");
            same = same && shape[k] == (uint32_t)ts->shape[k];
        }
        uint64_t off = get_u64(r, "tensor offset");
        uint64_t count = get_u64(r, "tensor count");
        if (r->failed)
            return -1;
        if (rank > CKPT_MAX_RANK || !same || off != ts->offset || count != ts->count) {
            for (int k = 0; k < ts->rank && k < 4; k++)
                mine[k] = (uint32_t)ts->shape[k];
            shape_text(shape, rank < CKPT_MAX_RANK ? rank : CKPT_MAX_RANK, got, sizeof got);
            shape_text(mine, (uint32_t)ts->rank, want, sizeof want);
            return cv_fail(r->e, "%s: tensor %d: the checkpoint has '%s' (%s) but model '%s' "
                           "has '%s' (%s)", r->name, t, tname, got, m->name, ts->name, want);
        }
    }
    return 0;
}

static int parse_run(const char *name, const void *data, size_t len, const convc_model *m,
                     cv_ckpt_state *st, float *params, float *const state[2], int n_state,
                     float *best, cv_error *e)
{
    rbuf r = { .name = name, .p = data, .end = len, .e = e };
    const uint8_t *magic = take(&r, 8, "magic");
    if (!magic)
        return -1;
    if (memcmp(magic, CKPT_MAGIC, 8) != 0)
        return cv_fail(e, "%s: magic: not a convc checkpoint (expected \"%s\")", name,
                       CKPT_MAGIC);
    cv_ckpt_state s;
    memset(&s, 0, sizeof s);
    s.version = get_u32(&r, "version");
    if (r.failed)
        return -1;
    if (s.version < 1 || s.version > CKPT_VERSION)
        return cv_fail(e, "%s: version: checkpoint format %u, this program reads versions 1 "
                       "to %d", name, s.version, CKPT_VERSION);
    get_u32(&r, "flags");
    uint64_t total = get_u64(&r, "length");
    if (r.failed)
        return -1;
    if (total != len)
        return cv_fail(e, "%s: length: the header says %" PRIu64 " bytes but the file has %zu%s",
                       name, total, len, total > len ? " (truncated)" : " (trailing bytes)");
    if (len < CKPT_HEADER_BYTES + CKPT_CRC_BYTES)
        return cv_fail(e, "%s: length: %zu bytes cannot hold the header and the CRC "
                       "(truncated)", name, len);
    r.end = len - CKPT_CRC_BYTES;       /* the CRC is not a field */
    uint32_t want_crc = (uint32_t)crc32_z(0L, r.p, r.end);
    uint32_t got_crc = (uint32_t)le(r.p + r.end, 4);
    if (want_crc != got_crc)
        return cv_fail(e, "%s: crc32: stored 0x%08x but the contents give 0x%08x (corrupt "
                       "file)", name, got_crc, want_crc);
    if (check_model(&r, m, &s) < 0)
        return -1;
    for (size_t i = 0; i < N_FIELDS; i++)
        if (in_version(&fields[i], s.version))
            set_field_bits(&fields[i], &s, fields[i].type == U32
                                                ? get_u32(&r, fields[i].name)
                                                : get_u64(&r, fields[i].name));
    if (r.failed)
        return -1;
    /* 0 stands for the default; versions 1 and 2 had no lowest losses. */
    cv_schedule_config d = schedule_defaults();
    s.lr_factor = s.lr_factor ? s.lr_factor : d.factor;
    s.lr_every = s.lr_every ? s.lr_every : (uint32_t)d.every;
    s.lr_patience = s.lr_patience ? s.lr_patience : (uint32_t)d.patience;
    s.plateau_lr = s.plateau_lr ? s.plateau_lr : s.lr;
    if (s.version < 3)
        s.plateau_best = s.best_loss = HUGE_VAL;
    if (check_state(name, &s, e) < 0)
        return -1;
    get_floats(&r, params, m->n_params, 1, "parameters");
    for (uint32_t i = 0; i < s.n_state; i++)
        get_floats(&r, state && n_state == (int)s.n_state ? state[i] : NULL, m->n_params, 0,
                   "optimizer state");
    if (s.n_best)
        get_floats(&r, best, m->n_params, 1, "best weights");
    if (r.failed)
        return -1;
    if (r.pos != r.end)
        return cv_fail(e, "%s: length: %zu unexpected bytes after the optimizer state", name,
                       r.end - r.pos);
    if (state && n_state != (int)s.n_state)
        return cv_fail(e, "%s: optimizer: the checkpoint holds %u state arrays (%s), %d "
                       "expected", name, s.n_state, optim_kind_name((int)s.optimizer), n_state);
    if (st)
        *st = s;
    return 0;
}

int ckpt_parse(const char *name, const void *data, size_t len, const convc_model *m,
               cv_ckpt_state *st, float *params, float *const state[2], int n_state,
               cv_error *e)
{
    return parse_run(name, data, len, m, st, params, state, n_state, NULL, e);
}

/* The largest file model m's checkpoint can be: the fixed fields, strings
 * of CKPT_MAX_STRING bytes, and four float arrays (Adam's and the best
 * weights). */
static size_t max_file_size(const convc_model *m)
{
    return 64 * 1024 + (size_t)m->n_tensors * (CKPT_MAX_STRING + 64) + 16 * m->n_params;
}

int ckpt_load_run(const char *path, const convc_model *m, cv_ckpt_state *st, float *params,
                  float *const state[2], int n_state, float *best, cv_error *e)
{
    size_t len = 0;
    char *buf = cv_read_file(path, max_file_size(m), &len, e);
    if (!buf)
        return -1;
    int rc = parse_run(path, buf, len, m, st, params, state, n_state, best, e);
    free(buf);
    return rc;
}

int ckpt_load(const char *path, const convc_model *m, cv_ckpt_state *st, float *params,
              float *const state[2], int n_state, cv_error *e)
{
    return ckpt_load_run(path, m, st, params, state, n_state, NULL, e);
}

int ckpt_peek(const char *path, const convc_model *m, cv_ckpt_state *st, cv_error *e)
{
    return ckpt_load(path, m, st, NULL, NULL, 0, e);
}
