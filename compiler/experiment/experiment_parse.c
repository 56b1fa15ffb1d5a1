/* experiment_parse.c - an experiment spec (YAML) into an experiment: the
 * schema, value types and ranges, spec files, variant expansion and names.
 * Every problem is reported with the YAML file, line and column; parsing goes
 * on after an error so that one run shows them all. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "experiment/experiment.h"
#include "experiment/experiment_sys.h"
#include "base/hash.h"
#include "base/optimizers.h"
#include "base/settings.h"
#include "base/parse_num.h"
#include "front/sema.h"
#include "experiment/yaml_doc.h"

/* ---- did-you-mean --------------------------------------------------------- */

const char *closest_word(const char *word, const char *const *candidates, int n)
{
    return sema_closest(word, candidates, n, 3);
}

/* ---- the reader's state ----------------------------------------------------- */

/* Errors of one kind (one message format) past this many are only counted:
 * 50,000 duplicate keys make one screen of messages, not 50,000 lines. */
#define REPEAT_SHOWN 5
#define MAX_KINDS 64

typedef struct {
    const char *fmt;        /* the kind: its format string */
    long count;
    char *first;            /* the first message of the kind */
} error_kind;

typedef struct {
    yaml_doc doc;           /* doc.dg collects the messages */
    experiment *x;
    FILE *out;              /* where messages go (doc.dg prints there too) */
    int errors;
    char *yaml_dir;         /* directory of the YAML file, for relative specs */
    long train_seed;        /* train.seed, or -1 */
    yaml_node_t *published; /* published:, read once the models are known */
    error_kind kinds[MAX_KINDS];
    int n_kinds;
} reader;

static error_kind *find_kind(reader *r, const char *fmt)
{
    for (int i = 0; i < r->n_kinds; i++)
        if (r->kinds[i].fmt == fmt || strcmp(r->kinds[i].fmt, fmt) == 0)
            return &r->kinds[i];
    return NULL;
}

/* 1 when the next error of this kind would only be counted: its message
 * need not be worked out (a did-you-mean costs an edit distance per key). */
static int kind_exhausted(reader *r, const char *fmt)
{
    const error_kind *k = find_kind(r, fmt);
    return k && k->count >= REPEAT_SHOWN;
}

/* The kind of an error, counted; NULL when the table is full. */
static error_kind *count_kind(reader *r, const char *fmt)
{
    error_kind *found = find_kind(r, fmt);
    if (found) {
        found->count++;
        return found;
    }
    if (r->n_kinds == MAX_KINDS)
        return NULL;
    error_kind *k = &r->kinds[r->n_kinds++];
    k->fmt = fmt;
    k->count = 1;
    k->first = NULL;
    return k;
}

__attribute__((format(printf, 3, 4)))
static void error_at(reader *r, const yaml_node_t *n, const char *fmt, ...)
{
    r->errors++;
    error_kind *kind = count_kind(r, fmt);
    if (kind && kind->count > REPEAT_SHOWN)
        return;
    char *msg = NULL;
    va_list ap;
    va_start(ap, fmt);
    int len = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (len < 0) {
        diag_error(&r->doc.dg, diag_no_loc(), "out of memory");
        return;
    }
    diag_error(&r->doc.dg, n ? yaml_node_loc(&r->doc, n) : diag_no_loc(), "%s", msg);
    if (kind && !kind->first)
        kind->first = msg;
    else
        free(msg);
}

/* "49,990" */
static void group_thousands(long v, char *buf, size_t n)
{
    char digits[32];
    int len = snprintf(digits, sizeof digits, "%ld", v);
    size_t j = 0;
    for (int i = 0; i < len && j + 2 < n; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            buf[j++] = ',';
        buf[j++] = digits[i];
    }
    buf[j] = '\0';
}

/* Prints the collected messages, then how many of each kind were held back. */
static void print_messages(reader *r)
{
    diag_flush(&r->doc.dg);
    for (int i = 0; i < r->n_kinds; i++) {
        error_kind *k = &r->kinds[i];
        if (k->count > REPEAT_SHOWN && k->first) {
            char more[32];
            group_thousands(k->count - REPEAT_SHOWN, more, sizeof more);
            fprintf(r->out, "%s: note: ... and %s more errors like \"%s\"\n",
                    r->doc.path ? r->doc.path : "", more, k->first);
        }
        free(k->first);
    }
    r->n_kinds = 0;
}

static char *dup_or_oom(reader *r, const char *s)
{
    char *d = strdup(s);
    if (!d)
        error_at(r, NULL, "out of memory");
    return d;
}

/* ---- typed values ------------------------------------------------------------ */

static int want_kind(reader *r, const yaml_node_t *n, yaml_node_type_t kind,
                     const char *field, const char *expected)
{
    if (n->type == kind)
        return 0;
    error_at(r, n, "'%s' must be %s, got %s", field, expected, yaml_node_what(n));
    return -1;
}

static int read_string(reader *r, const yaml_node_t *n, const char *field, char **out)
{
    if (want_kind(r, n, YAML_SCALAR_NODE, field, "a string") < 0)
        return -1;
    free(*out);
    *out = dup_or_oom(r, yaml_scalar_text(n));
    return *out ? 0 : -1;
}

/* The first control character of s, named for a message, or NULL.  Text
 * that reaches the report must not carry one: a newline in a title would
 * start a Markdown heading of its own. */
static const char *control_character(const char *s, int allow_lines)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (allow_lines && (*p == '\n' || *p == '\t'))
            continue;
        if (*p == '\n')
            return "a newline";
        if (*p == '\r')
            return "a carriage return";
        if (*p == '\t')
            return "a tab";
        if (*p < 0x20 || *p == 0x7f)
            return "a control character";
    }
    return NULL;
}

static int check_text(reader *r, const yaml_node_t *n, const char *field, const char *s,
                      int allow_lines)
{
    const char *bad = control_character(s, allow_lines);
    if (!bad)
        return 0;
    error_at(r, n, "'%s' must be %s without control characters, got %s", field,
             allow_lines ? "text" : "one line of text", bad);
    return -1;
}

/* A string the report shows: one line (paragraphs when allow_lines). */
static int read_text(reader *r, const yaml_node_t *n, const char *field, int allow_lines,
                     char **out)
{
    if (read_string(r, n, field, out) < 0)
        return -1;
    if (check_text(r, n, field, *out, allow_lines) == 0)
        return 0;
    free(*out);
    *out = NULL;
    return -1;
}

static int read_long(reader *r, const yaml_node_t *n, const char *field, long lo,
                     long hi, long *out)
{
    if (want_kind(r, n, YAML_SCALAR_NODE, field, "an integer") < 0)
        return -1;
    const char *s = yaml_scalar_text(n);
    long v = 0;
    int rc = cv_parse_long(s, lo, hi, &v);
    if (rc < 0 || yaml_scalar_quoted(n)) {
        error_at(r, n, "'%s' must be an integer from %ld to %ld, got '%s'", field, lo, hi, s);
        return -1;
    }
    if (rc > 0) {
        error_at(r, n, "'%s' must be from %ld to %ld, got %ld", field, lo, hi, v);
        return -1;
    }
    *out = v;
    return 0;
}

static int read_int(reader *r, const yaml_node_t *n, const char *field, int lo, int hi,
                    int *out)
{
    long v;
    if (read_long(r, n, field, lo, hi, &v) < 0)
        return -1;
    *out = (int)v;
    return 0;
}

/* lo < value <= hi (open below: a rate of 0 is meaningless), or lo <= value
 * when closed_lo. */
static int read_double(reader *r, const yaml_node_t *n, const char *field, double lo,
                       int closed_lo, double hi, double *out)
{
    if (want_kind(r, n, YAML_SCALAR_NODE, field, "a number") < 0)
        return -1;
    const char *s = yaml_scalar_text(n);
    double v = 0;
    if (cv_parse_double(s, &v) < 0 || yaml_scalar_quoted(n)) {
        error_at(r, n, "'%s' must be a number, got '%s'", field, s);
        return -1;
    }
    if ((closed_lo ? v < lo : v <= lo) || v > hi) {
        error_at(r, n, "'%s' must be %s %g and at most %g, got %s", field,
                 closed_lo ? "at least" : "greater than", lo, hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

/* ---- mappings ------------------------------------------------------------------ */

/* Calls visit(r, key, value, ctx) for every pair of mapping n after checking
 * that each key is a string from `keys` (did-you-mean otherwise) and appears
 * once.  `where` names the mapping in messages ("the experiment", "'train'"). */
#define UNKNOWN_KEY "unknown key '%s' in %s%s"

typedef void (*pair_visitor)(reader *r, const char *key, yaml_node_t *value, void *ctx);

static void visit_mapping(reader *r, yaml_node_t *n, const char *where,
                          const char *const *keys, int n_keys, pair_visitor visit, void *ctx)
{
    yaml_node_pair_t *pairs = n->data.mapping.pairs.start;
    long count = n->data.mapping.pairs.top - pairs;
    long *first = yaml_mapping_first_keys(&r->doc, n);
    if (!first && count > 0) {
        error_at(r, n, "out of memory");
        return;
    }
    for (long i = 0; i < count; i++) {
        yaml_node_t *k = yaml_doc_node(&r->doc, pairs[i].key);
        yaml_node_t *v = yaml_doc_node(&r->doc, pairs[i].value);
        const char *name = yaml_scalar_text(k);
        if (!name) {
            error_at(r, k, "keys of %s must be strings, got %s", where, yaml_node_what(k));
            continue;
        }
        int known = 0;
        for (int j = 0; j < n_keys; j++)
            known |= strcmp(name, keys[j]) == 0;
        if (!known) {
            char hint[512] = "";
            const char *guess = kind_exhausted(r, UNKNOWN_KEY) ? NULL :
                                closest_word(name, keys, n_keys);
            if (guess) {
                snprintf(hint, sizeof hint, "; did you mean '%s'?", guess);
            } else if (!kind_exhausted(r, UNKNOWN_KEY)) {
                strcpy(hint, " (expected one of: ");
                for (int j = 0; j < n_keys; j++) {
                    strncat(hint, j ? ", " : "", sizeof hint - strlen(hint) - 2);
                    strncat(hint, keys[j], sizeof hint - strlen(hint) - 2);
                }
                strcat(hint, ")");
            }
            error_at(r, k, UNKNOWN_KEY, name, where, hint);
            continue;
        }
        if (first[i] >= 0) {
            yaml_node_t *earlier = yaml_doc_node(&r->doc, pairs[first[i]].key);
            error_at(r, k, "duplicate key '%s' in %s (first at line %d)", name, where,
                     yaml_node_line(earlier));
            continue;
        }
        visit(r, name, v, ctx);
    }
    free(first);
}

static yaml_node_t *mapping_get(reader *r, yaml_node_t *n, const char *key)
{
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        const char *k = yaml_scalar_text(yaml_doc_node(&r->doc, p->key));
        if (k && strcmp(k, key) == 0)
            return yaml_doc_node(&r->doc, p->value);
    }
    return NULL;
}

/* ---- train: and data: ------------------------------------------------------------ */

int exp_is_data_setting(int id)
{
#define EXP_IS(id_) id == SETTING_##id_ ||
    return EXP_DATA_SETTINGS(EXP_IS) 0;
#undef EXP_IS
}

void exp_setting_text(const exp_setting *s, char *out, size_t size)
{
    int n;
    const char *const *words = setting_words((cv_setting_id)s->id, &n);
    if (words && s->value >= 0 && s->value < n) {
        snprintf(out, size, "%s", words[(int)s->value]);
        return;
    }
    /* The shortest of %.15g and %.17g that reads back as the same number. */
    snprintf(out, size, "%.15g", s->value);
    if (strtod(out, NULL) != s->value)
        snprintf(out, size, "%.17g", s->value);
}

/* A trainer setting (base/settings.h) from its YAML key: the same check as
 * its flag, a located error otherwise. */
static void read_setting(reader *r, yaml_node_t *v, const char *section, const char *key,
                         exp_setting *settings, int *n_settings)
{
    cv_setting_id id = (cv_setting_id)setting_of_key(key);
    char field[96], rule[96], msg[160];
    snprintf(field, sizeof field, "%s.%s", section, key);
    if (want_kind(r, v, YAML_SCALAR_NODE, field, "a scalar") < 0)
        return;
    const char *s = yaml_scalar_text(v);
    double value = 0;
    int n_words;
    if (setting_is_switch(id)) {
        if (yaml_scalar_quoted(v) || (strcmp(s, "true") != 0 && strcmp(s, "false") != 0)) {
            error_at(r, v, "'%s' must be true or false, got '%s'", field, s);
            return;
        }
        value = strcmp(s, "true") == 0;
    } else if (setting_words(id, &n_words)) {
        if (setting_parse_word(id, s, &value, msg, sizeof msg) < 0) {
            error_at(r, v, "'%s': %s", field, msg);
            return;
        }
    } else if (cv_parse_double(s, &value) < 0 || yaml_scalar_quoted(v) ||
               setting_check(id, value) < 0) {
        setting_rule(id, rule, sizeof rule);
        error_at(r, v, "'%s' must be %s, got '%s'", field, rule, s);
        return;
    }
    if (*n_settings == EXP_MAX_SETTINGS) {
        error_at(r, v, "too many settings");
        return;
    }
    settings[(*n_settings)++] = (exp_setting){ id, value };
}

/* The YAML keys of the settings in the list X (base/settings.h), into keys
 * after n fixed ones; returns the count. */
static int setting_keys(const char **keys, int n, int data)
{
    static char names[SETTING_COUNT][32];
#define EXP_KEY(id_)                                                                      \
    if (exp_is_data_setting(SETTING_##id_) == data) {                                     \
        const char *f = setting_flag(SETTING_##id_) + 2;                                  \
        size_t i = 0;                                                                     \
        for (; f[i] && i < sizeof names[0] - 1; i++)                                      \
            names[SETTING_##id_][i] = f[i] == '-' ? '_' : f[i];                           \
        names[SETTING_##id_][i] = 0;                                                      \
        keys[n++] = names[SETTING_##id_];                                                 \
    }
    EXP_TRAIN_SETTINGS(EXP_KEY)
    EXP_DATA_SETTINGS(EXP_KEY)
#undef EXP_KEY
    return n;
}

static void train_pair(reader *r, const char *key, yaml_node_t *v, void *ctx)
{
    (void)ctx;
    experiment *x = r->x;
    if (strcmp(key, "optimizer") == 0) {
        if (read_string(r, v, "train.optimizer", &x->optimizer) < 0)
            return;
        if (cv_optimizer_of(x->optimizer) < 0) {
            const char *guess = closest_word(x->optimizer, cv_optimizer_names,
                                             CV_N_OPTIMIZERS);
            char names[64];
            cv_optimizer_list(names, sizeof names);
            error_at(r, v, "unknown optimizer '%s'%s%s%s; expected %s", x->optimizer,
                     guess ? " (did you mean '" : "", guess ? guess : "", guess ? "'?)" : "",
                     names);
        }
    } else if (strcmp(key, "lr") == 0) {
        read_double(r, v, "train.lr", 0, 0, 10, &x->lr);
    } else if (strcmp(key, "batch") == 0) {
        read_int(r, v, "train.batch", 1, 65536, &x->batch);
    } else if (strcmp(key, "epochs") == 0) {
        read_int(r, v, "train.epochs", 1, 100000, &x->epochs);
    } else if (strcmp(key, "seed") == 0) {
        read_long(r, v, "train.seed", 0, 2147483647L, &r->train_seed);
    } else if (strcmp(key, "threads") == 0) {
        read_int(r, v, "train.threads", 0, 256, &x->threads);
    } else if (strcmp(key, "val_split") == 0) {
        read_double(r, v, "train.val_split", 0, 1, 0.9, &x->val_split);
    } else {
        read_setting(r, v, "train", key, x->settings, &x->n_settings);
    }
}

static const char *const known_data[] = {"fashion-mnist"};

static void data_pair(reader *r, const char *key, yaml_node_t *v, void *ctx)
{
    (void)ctx;
    experiment *x = r->x;
    if (strcmp(key, "name") == 0)
        read_string(r, v, "data.name", &x->data);
    else if (strcmp(key, "dir") == 0)
        read_string(r, v, "data.dir", &x->data_dir);
    else if (strcmp(key, "limit_train") == 0)
        read_long(r, v, "data.limit_train", 0, 100000000L, &x->limit_train);
    else if (strcmp(key, "limit_test") == 0)
        read_long(r, v, "data.limit_test", 0, 100000000L, &x->limit_test);
    else
        read_setting(r, v, "data", key, x->settings, &x->n_settings);
}

static void read_data(reader *r, yaml_node_t *v)
{
    const char *keys[4 + SETTING_COUNT] = {"name", "dir", "limit_train", "limit_test"};
    int n_keys = setting_keys(keys, 4, 1);
    if (v->type == YAML_SCALAR_NODE) {
        read_string(r, v, "data", &r->x->data);
    } else if (v->type == YAML_MAPPING_NODE) {
        visit_mapping(r, v, "'data'", keys, n_keys, data_pair, NULL);
        if (!r->x->data && !mapping_get(r, v, "name"))
            error_at(r, v, "'data' needs a 'name' (e.g. fashion-mnist)");
    } else {
        error_at(r, v, "'data' must be a data set name or a mapping, got %s", yaml_node_what(v));
        return;
    }
    const char *name = r->x->data;
    if (!name || r->x->data_dir)
        return;
    if (strcmp(name, "fashion-mnist") != 0) {
        const char *guess = closest_word(name, known_data, 1);
        error_at(r, v, "unknown data set '%s'%s%s%s; the known one is fashion-mnist; "
                 "for another, give 'data: {name: ..., dir: DIR}' with its IDX files", name,
                 guess ? " (did you mean '" : "", guess ? guess : "", guess ? "'?)" : "");
    }
}

static void read_seeds(reader *r, yaml_node_t *v)
{
    if (want_kind(r, v, YAML_SEQUENCE_NODE, "seeds", "a list of integers") < 0)
        return;
    experiment *x = r->x;
    int n = 0;
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
        yaml_node_t *e = yaml_doc_node(&r->doc, *it);
        long s;
        if (read_long(r, e, "seeds[]", 0, 2147483647L, &s) < 0)
            continue;
        if (n == EXP_MAX_SEEDS) {
            error_at(r, e, "at most %d seeds", EXP_MAX_SEEDS);
            break;
        }
        int dup = 0;
        for (int i = 0; i < n; i++)
            dup |= x->seeds[i] == (int)s;
        if (dup) {
            error_at(r, e, "seed %ld is listed twice", s);
            continue;
        }
        x->seeds[n++] = (int)s;
    }
    if (n == 0 && v->data.sequence.items.start == v->data.sequence.items.top)
        error_at(r, v, "'seeds' is empty; give at least one seed or leave it out");
    x->n_seeds = n;
}

static void factor_pair(reader *r, const char *key, yaml_node_t *v, void *ctx)
{
    (void)ctx;
    if (strcmp(key, "title") == 0)
        read_text(r, v, "factor.title", 0, &r->x->factor_title);
    else if (strcmp(key, "value") == 0)
        read_text(r, v, "factor.value", 0, &r->x->factor_value);
}

/* ---- models: ------------------------------------------------------------------ */

typedef struct {
    yaml_node_t *node;
    yaml_node_t *spec, *name, *label, *set, *vary, *train;
    int n_settings;             /* train: of this entry */
    exp_setting settings[EXP_MAX_SETTINGS];
} model_entry;

static void model_pair(reader *r, const char *key, yaml_node_t *v, void *ctx)
{
    model_entry *m = ctx;
    if (strcmp(key, "spec") == 0)
        m->spec = v;
    else if (strcmp(key, "name") == 0)
        m->name = v;
    else if (strcmp(key, "label") == 0)
        m->label = v;
    else if (strcmp(key, "set") == 0)
        m->set = v;
    else if (strcmp(key, "vary") == 0)
        m->vary = v;
    else if (strcmp(key, "train") == 0)
        m->train = v;
    (void)r;
}

static void model_train_pair(reader *r, const char *key, yaml_node_t *v, void *ctx)
{
    model_entry *m = ctx;
    read_setting(r, v, "train", key, m->settings, &m->n_settings);
}

/* Reads the spec named by an entry: as written (relative to the current
 * directory), else relative to the YAML file's directory.  Only a regular
 * file: /dev/zero would be read until memory runs out. */
static char *read_spec(reader *r, const yaml_node_t *where, const char *path, size_t *len)
{
    const char *kind;
    char *text = sys_read_regular_file(path, YAML_MAX_BYTES, len, &kind);
    int err = errno;
    if (!text && !kind && err == ENOENT && path[0] != '/' && r->yaml_dir) {
        size_t n = strlen(r->yaml_dir) + strlen(path) + 2;
        char *alt = malloc(n);
        if (alt) {
            snprintf(alt, n, "%s/%s", r->yaml_dir, path);
            text = sys_read_regular_file(alt, YAML_MAX_BYTES, len, &kind);
            if (text || kind)
                err = errno;
            free(alt);
        }
    }
    if (text)
        return text;
    if (kind)
        error_at(r, where, "'spec' must name a regular file: %s is %s", path, kind);
    else if (err == EFBIG)
        error_at(r, where, "spec '%s' is larger than %u bytes", path, YAML_MAX_BYTES);
    else
        error_at(r, where, "cannot read spec '%s': %s", path, strerror(err));
    return NULL;
}

/* Collects scalar bindings of a set: mapping. */
/* The key of a `set` or `vary` entry; NULL after reporting a bad one. */
static const char *variable_name(reader *r, yaml_node_t *k)
{
    const char *name = yaml_scalar_text(k);
    if (name && is_identifier(name))
        return name;
    error_at(r, k, "a variable name must be letters, digits and '_', got '%s'",
             name ? name : yaml_node_what(k));
    return NULL;
}

static int read_set(reader *r, yaml_node_t *set, exp_binding *out, int max)
{
    if (want_kind(r, set, YAML_MAPPING_NODE, "set", "a mapping of names to values") < 0)
        return 0;
    int n = 0;
    for (yaml_node_pair_t *p = set->data.mapping.pairs.start; p < set->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_doc_node(&r->doc, p->key);
        yaml_node_t *v = yaml_doc_node(&r->doc, p->value);
        const char *name = variable_name(r, k);
        if (!name)
            continue;
        if (want_kind(r, v, YAML_SCALAR_NODE, "set value", "a single value") < 0 ||
            check_text(r, v, "set value", yaml_scalar_text(v), 0) < 0)
            continue;
        if (n == max) {
            error_at(r, k, "too many variables");
            break;
        }
        out[n].name = (char *)name;
        out[n].value = (char *)yaml_scalar_text(v);
        n++;
    }
    return n;
}

#define MAX_VARS 16

typedef struct {
    const char *name;
    yaml_node_t *key;
    yaml_node_t *values;        /* a non-empty sequence of scalars */
} vary_axis;

static int read_vary(reader *r, yaml_node_t *vary, vary_axis *axes, int max)
{
    if (want_kind(r, vary, YAML_MAPPING_NODE, "vary", "a mapping of names to lists") < 0)
        return -1;
    int n = 0;
    if (vary->data.mapping.pairs.start == vary->data.mapping.pairs.top) {
        error_at(r, vary, "'vary' is empty; name a variable and its values, e.g. "
                 "'vary: {k: [3, 5, 7]}'");
        return -1;
    }
    for (yaml_node_pair_t *p = vary->data.mapping.pairs.start; p < vary->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_doc_node(&r->doc, p->key);
        yaml_node_t *v = yaml_doc_node(&r->doc, p->value);
        const char *name = variable_name(r, k);
        if (!name)
            return -1;
        if (v->type != YAML_SEQUENCE_NODE) {
            error_at(r, v, "'vary.%s' must be a list of values, e.g. [3, 5, 7], got %s",
                     name, yaml_node_what(v));
            return -1;
        }
        if (v->data.sequence.items.start == v->data.sequence.items.top) {
            error_at(r, v, "'vary.%s' is empty; give at least one value", name);
            return -1;
        }
        for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
            yaml_node_t *e = yaml_doc_node(&r->doc, *it);
            if (want_kind(r, e, YAML_SCALAR_NODE, "a vary value", "a single value") < 0 ||
                check_text(r, e, "a vary value", yaml_scalar_text(e), 0) < 0)
                return -1;
        }
        if (n == max) {
            error_at(r, k, "too many variables in 'vary'");
            return -1;
        }
        axes[n].name = name;
        axes[n].key = k;
        axes[n].values = v;
        n++;
    }
    return n;
}

static void free_variant(exp_variant *v)
{
    free(v->name);
    free(v->label);
    free(v->spec_path);
    free(v->display_path);
    free(v->factor);
    for (int i = 0; i < v->n_vars; i++) {
        free(v->vars[i].name);
        free(v->vars[i].value);
    }
    free(v->vars);
    free(v->text);
    free(v->trainer);
    for (int i = 0; i < v->n_layers; i++)
        free(v->layers[i].source);
    free(v->layers);
    memset(v, 0, sizeof *v);
}

/* Builds one variant from bindings (set: then vary:) and appends it. */
static void add_variant(reader *r, const model_entry *m, const char *spec_path,
                        const char *spec_text, size_t spec_len, const exp_binding *b,
                        int n_set, int n_vary, int *used_any)
{
    experiment *x = r->x;
    int n = n_set + n_vary;
    if (x->n_variants == EXP_MAX_VARIANTS) {
        error_at(r, m->node, "more than %d models", EXP_MAX_VARIANTS);
        return;
    }
    exp_variant v = {0};
    v.yaml_line = yaml_node_line(m->node);
    v.n_settings = m->n_settings;
    memcpy(v.settings, m->settings, sizeof v.settings);
    v.yaml_col = yaml_node_col(m->node);
    v.spec_path = dup_or_oom(r, spec_path);
    v.code_lines = -1;

    /* The name: the entry's name: template, or the default. */
    if (m->name) {
        const char *tpl = yaml_scalar_text(m->name);
        char where[64];
        snprintf(where, sizeof where, "%s:%d:%d", r->doc.path, yaml_node_line(m->name),
                 yaml_node_col(m->name));
        if (!tpl) {
            error_at(r, m->name, "'name' must be a string, got %s", yaml_node_what(m->name));
            goto fail;
        }
        int name_used[MAX_VARS];
        v.name = template_expand(where, tpl, strlen(tpl), b, n, NULL, name_used, NULL);
        for (int i = 0; v.name && i < n; i++)
            used_any[i] |= name_used[i];
        if (!v.name) {
            error_at(r, m->name, "name '%s' uses a variable that this model does not set", tpl);
            goto fail;
        }
    } else {
        v.name = variant_default_name(spec_path, b + n_set, n_vary);
    }
    if (!v.name || !is_identifier(v.name)) {
        error_at(r, m->name ? m->name : m->spec, "model name '%s' is not a C identifier "
                 "(letters, digits and '_', not starting with a digit, at most 63); "
                 "set 'name:'", v.name ? v.name : "");
        goto fail;
    }
    for (int i = 0; i < x->n_variants; i++) {
        if (strcmp(x->variants[i].name, v.name) == 0) {
            error_at(r, m->name ? m->name : m->node, "duplicate model name '%s' (first at "
                     "line %d); give the models distinct 'name:'s", v.name,
                     x->variants[i].yaml_line);
            goto fail;
        }
    }
    v.label = dup_or_oom(r, m->label && yaml_scalar_text(m->label) ?
                         yaml_scalar_text(m->label) : v.name);

    /* Bindings: the user's, then the built-in ${name}. */
    v.vars = calloc((size_t)n + 1, sizeof *v.vars);
    if (!v.vars)
        goto fail;
    for (int i = 0; i < n; i++) {
        v.vars[i].name = dup_or_oom(r, b[i].name);
        v.vars[i].value = dup_or_oom(r, b[i].value);
    }
    v.n_vars = n;
    v.vars[n].name = "name";
    v.vars[n].value = v.name;

    if (n_vary > 0)
        v.display_path = variant_display_path(spec_path, b + n_set, n_vary);
    else if (n_set > 0)
        v.display_path = variant_display_path(spec_path, (exp_binding[]){{"name", v.name}}, 1);
    else
        v.display_path = dup_or_oom(r, spec_path);
    if (!v.display_path)
        goto fail;

    int used[MAX_VARS + 1];
    v.text = template_expand(v.display_path, spec_text, spec_len, v.vars, n + 1, &v.text_len,
                             used, r->out);
    if (!v.text) {
        fprintf(r->out, "%s:%d:%d: note: in model '%s' of the experiment\n", r->doc.path,
                v.yaml_line, v.yaml_col, v.name);
        r->errors++;
        goto fail;
    }
    for (int i = 0; i < n; i++)
        used_any[i] |= used[i];
    v.text_hash = cv_fnv1a64(v.text, v.text_len);

    if (x->factor_value) {
        v.factor = template_expand("factor.value", x->factor_value, strlen(x->factor_value),
                                   v.vars, n + 1, NULL, used, NULL);
        for (int i = 0; v.factor && i < n; i++)
            used_any[i] |= used[i];
        /* A model without the factor's variables (the baseline) has no value. */
    }
    v.vars[n].name = NULL;      /* the built-in binding borrowed v.name */
    v.vars[n].value = NULL;

    exp_variant *nv = realloc(x->variants, sizeof *nv * (size_t)(x->n_variants + 1));
    if (!nv)
        goto fail;
    x->variants = nv;
    x->variants[x->n_variants++] = v;
    return;
fail:
    if (v.vars) {
        v.vars[n].name = NULL;
        v.vars[n].value = NULL;
    }
    free_variant(&v);
}

static void read_model(reader *r, yaml_node_t *node)
{
    static const char *const keys[] = {"spec", "name", "label", "set", "vary", "train"};
    if (node->type != YAML_MAPPING_NODE) {
        error_at(r, node, "a model must be a mapping with 'spec' (and optionally name, "
                 "label, set, vary, train), got %s", yaml_node_what(node));
        return;
    }
    model_entry m = {.node = node};
    visit_mapping(r, node, "a model", keys, 6, model_pair, &m);
    if (m.train && want_kind(r, m.train, YAML_MAPPING_NODE, "train", "a mapping of training "
                             "settings (schedule, shift, flip, ...)") == 0) {
        /* Settings of the model's runs only; optimizer, lr, batch, epochs
         * and seeds stay the experiment's, the rest of the comparison. */
        const char *train_keys[SETTING_COUNT];
        int n_train_keys = setting_keys(train_keys, 0, 0);
        visit_mapping(r, m.train, "a model's 'train'", train_keys, n_train_keys,
                      model_train_pair, &m);
    }
    if (!m.spec) {
        error_at(r, node, "a model needs 'spec: FILE' (a .spec file or a template)");
        return;
    }
    const char *spec_path = yaml_scalar_text(m.spec);
    if (!spec_path || !*spec_path) {
        error_at(r, m.spec, "'spec' must be a file name, got %s", yaml_node_what(m.spec));
        return;
    }
    if (m.label && (want_kind(r, m.label, YAML_SCALAR_NODE, "label", "a string") < 0 ||
                    check_text(r, m.label, "label", yaml_scalar_text(m.label), 0) < 0))
        return;

    exp_binding b[MAX_VARS];
    int n_set = m.set ? read_set(r, m.set, b, MAX_VARS) : 0;
    vary_axis axes[MAX_VARS];
    int n_axes = 0;
    if (m.vary) {
        n_axes = read_vary(r, m.vary, axes, MAX_VARS - n_set);
        if (n_axes < 0)
            return;
    }
    for (int i = 0; i < n_set + n_axes; i++) {
        const char *name = i < n_set ? b[i].name : axes[i - n_set].name;
        yaml_node_t *where = i < n_set ? m.set : axes[i - n_set].key;
        if (strcmp(name, "name") == 0)
            error_at(r, where, "'${name}' is built in (the model's name); pick another "
                     "variable name");
        for (int j = 0; j < i; j++) {
            const char *other = j < n_set ? b[j].name : axes[j - n_set].name;
            if (strcmp(name, other) == 0)
                error_at(r, where, "variable '%s' is given twice ('set' and 'vary')", name);
        }
    }

    size_t spec_len = 0;
    char *spec_text = read_spec(r, m.spec, spec_path, &spec_len);
    if (!spec_text)
        return;

    /* The cartesian product of the vary axes, the last one fastest. */
    int idx[MAX_VARS] = {0};
    int used_any[MAX_VARS] = {0};
    for (;;) {
        for (int a = 0; a < n_axes; a++) {
            yaml_node_t *e = yaml_doc_node(&r->doc, axes[a].values->data.sequence.items.start[idx[a]]);
            b[n_set + a].name = (char *)axes[a].name;
            b[n_set + a].value = (char *)yaml_scalar_text(e);
        }
        int before = r->errors;
        add_variant(r, &m, spec_path, spec_text, spec_len, b, n_set, n_axes, used_any);
        if (r->errors > before)
            break;      /* the other values would repeat the same message */
        int a = n_axes - 1;
        for (; a >= 0; a--) {
            long count = axes[a].values->data.sequence.items.top -
                         axes[a].values->data.sequence.items.start;
            if (++idx[a] < count)
                break;
            idx[a] = 0;
        }
        if (a < 0)
            break;
    }
    if (r->errors == 0) {
        for (int i = 0; i < n_set + n_axes; i++) {
            if (used_any[i])
                continue;
            const char *name = i < n_set ? b[i].name : axes[i - n_set].name;
            yaml_node_t *where = i < n_set ? m.set : axes[i - n_set].key;
            error_at(r, where, "variable '%s' is not used: neither %s, nor the model's "
                     "name, nor factor.value has '${%s}'", name, spec_path, name);
        }
    }
    free(spec_text);
}

/* ---- published: -------------------------------------------------------------- */

static void published_pair(reader *r, const char *key, yaml_node_t *v, void *ctx)
{
    yaml_node_t **accuracy = ctx;
    experiment *x = r->x;
    if (strcmp(key, "source") == 0)
        read_text(r, v, "published.source", 0, &x->published_source);
    else if (strcmp(key, "note") == 0)
        read_text(r, v, "published.note", 1, &x->published_note);
    else if (strcmp(key, "test_accuracy") == 0)
        *accuracy = v;
}

static void published_accuracy_pair(reader *r, const char *key, yaml_node_t *v, void *ctx)
{
    (void)ctx;
    experiment *x = r->x;
    char field[128];
    snprintf(field, sizeof field, "published.test_accuracy.%s", key);
    double percent;
    if (read_double(r, v, field, 0, 1, 100, &percent) < 0)
        return;
    exp_published *np = realloc(x->published, sizeof *np * (size_t)(x->n_published + 1));
    char *model = dup_or_oom(r, key);
    if (!np || !model) {
        free(model);
        if (np)
            x->published = np;
        return;
    }
    x->published = np;
    x->published[x->n_published++] = (exp_published){model, percent / 100};
}

/* published: {source: TEXT, note: TEXT, test_accuracy: {MODEL: PERCENT, ...}}:
 * the keys of test_accuracy are the experiment's model names, so this is read
 * after the models. */
static void read_published(reader *r, yaml_node_t *v, int models_ok)
{
    static const char *const keys[] = {"source", "note", "test_accuracy"};
    if (want_kind(r, v, YAML_MAPPING_NODE, "published", "a mapping (source, note, "
                  "test_accuracy)") < 0)
        return;
    yaml_node_t *accuracy = NULL;
    visit_mapping(r, v, "'published'", keys, 3, published_pair, &accuracy);
    if (!mapping_get(r, v, "source"))
        error_at(r, v, "'published' needs 'source:' (where the numbers come from)");
    if (!mapping_get(r, v, "test_accuracy")) {
        error_at(r, v, "'published' needs 'test_accuracy:' (model name: test accuracy in "
                 "percent)");
        return;
    }
    if (!accuracy || want_kind(r, accuracy, YAML_MAPPING_NODE, "published.test_accuracy",
                               "a mapping of model name to test accuracy in percent") < 0)
        return;
    if (accuracy->data.mapping.pairs.start == accuracy->data.mapping.pairs.top) {
        error_at(r, accuracy, "'published.test_accuracy' is empty; give at least one model's "
                 "accuracy or leave 'published' out");
        return;
    }
    if (!models_ok)
        return;     /* the model names are not known: each would be "unknown" */
    experiment *x = r->x;
    const char **names = malloc(sizeof *names * (size_t)(x->n_variants + 1));
    if (!names) {
        error_at(r, v, "out of memory");
        return;
    }
    for (int i = 0; i < x->n_variants; i++)
        names[i] = x->variants[i].name;
    visit_mapping(r, accuracy, "'published.test_accuracy' (its keys are model names)",
                  names, x->n_variants, published_accuracy_pair, NULL);
    free(names);
}

/* ---- the top level ------------------------------------------------------------- */

/* restore_best: true needs early_stop (the trainer's rule, located). */
static void check_restore_best(reader *r, yaml_node_t *train)
{
    int early = 0;
    for (int i = 0; i < r->x->n_settings; i++)
        early |= r->x->settings[i].id == SETTING_EARLY_STOP;
    for (int i = 0; i < r->x->n_settings; i++)
        if (r->x->settings[i].id == SETTING_RESTORE_BEST && r->x->settings[i].value && !early)
            error_at(r, mapping_get(r, train, "restore_best"),
                     "'train.restore_best' needs 'train.early_stop' (the patience)");
}

static void top_pair(reader *r, const char *key, yaml_node_t *v, void *ctx)
{
    const char *train_keys[7 + SETTING_COUNT] = {"optimizer", "lr", "batch", "epochs", "seed",
                                                 "threads", "val_split"};
    int n_train_keys = setting_keys(train_keys, 7, 0);
    static const char *const factor_keys[] = {"title", "value"};
    experiment *x = r->x;
    yaml_node_t **models = ctx;
    if (strcmp(key, "name") == 0) {
        if (read_string(r, v, "name", &x->name) == 0 && !is_identifier(x->name))
            error_at(r, v, "'name' must be letters, digits and '_' (it names "
                     "results/<name>/), got '%s'", x->name);
    } else if (strcmp(key, "title") == 0) {
        read_text(r, v, "title", 0, &x->title);
    } else if (strcmp(key, "description") == 0) {
        read_text(r, v, "description", 1, &x->description);
    } else if (strcmp(key, "data") == 0) {
        read_data(r, v);
    } else if (strcmp(key, "train") == 0) {
        if (want_kind(r, v, YAML_MAPPING_NODE, "train", "a mapping (optimizer, lr, batch, "
                      "epochs, seed, threads, val_split, schedule, ...)") == 0) {
            visit_mapping(r, v, "'train'", train_keys, n_train_keys, train_pair, NULL);
            check_restore_best(r, v);
        }
    } else if (strcmp(key, "seeds") == 0) {
        read_seeds(r, v);
    } else if (strcmp(key, "factor") == 0) {
        if (want_kind(r, v, YAML_MAPPING_NODE, "factor", "a mapping (title, value)") == 0)
            visit_mapping(r, v, "'factor'", factor_keys, 2, factor_pair, NULL);
    } else if (strcmp(key, "models") == 0) {
        *models = v;
    } else if (strcmp(key, "published") == 0) {
        r->published = v;
    }
}

static void set_defaults(experiment *x)
{
    memset(x, 0, sizeof *x);
    x->lr = 0.001;
    x->batch = 32;
    x->epochs = 10;
    x->val_split = -1;
    x->seeds[0] = 1;
}

static int parse(reader *r)
{
    static const char *const keys[] = {"name", "title", "description", "data", "train",
                                       "seeds", "factor", "models", "published"};
    experiment *x = r->x;
    yaml_node_t *root = yaml_doc_root(&r->doc);
    if (root->type != YAML_MAPPING_NODE) {
        error_at(r, root, "an experiment must be a mapping with 'name' and 'models', got %s",
                 yaml_node_what(root));
        return r->errors;
    }
    yaml_node_t *models = NULL;
    visit_mapping(r, root, "the experiment", keys, 9, top_pair, &models);
    if (!mapping_get(r, root, "name"))
        error_at(r, root, "the experiment needs 'name:' (it names results/<name>/)");
    if (!x->optimizer)
        x->optimizer = dup_or_oom(r, "adam");
    if (!x->data && !mapping_get(r, root, "data"))
        x->data = dup_or_oom(r, "fashion-mnist");
    if (!mapping_get(r, root, "seeds")) {
        /* One run per model with train.seed; a seeds: list replaces it. */
        x->n_seeds = 1;
        x->seeds[0] = r->train_seed >= 0 ? (int)r->train_seed : 1;
    }
    if (!x->factor_title && !x->factor_value && models &&
        models->type == YAML_SEQUENCE_NODE) {
        /* One varied variable in the whole experiment: it is the factor. */
        const char *only = NULL;
        int count = 0;
        for (yaml_node_item_t *it = models->data.sequence.items.start;
             it < models->data.sequence.items.top; it++) {
            yaml_node_t *m = yaml_doc_node(&r->doc, *it);
            yaml_node_t *vary = m->type == YAML_MAPPING_NODE ? mapping_get(r, m, "vary") : NULL;
            if (!vary || vary->type != YAML_MAPPING_NODE)
                continue;
            for (yaml_node_pair_t *p = vary->data.mapping.pairs.start;
                 p < vary->data.mapping.pairs.top; p++) {
                const char *k = yaml_scalar_text(yaml_doc_node(&r->doc, p->key));
                if (k && (!only || strcmp(only, k) != 0)) {
                    only = k;
                    count++;
                }
            }
        }
        if (count == 1) {
            size_t n = strlen(only) + 4;
            x->factor_title = dup_or_oom(r, only);
            x->factor_value = malloc(n);
            if (x->factor_value)
                snprintf(x->factor_value, n, "${%s}", only);
        }
    } else if (x->factor_value && !x->factor_title) {
        x->factor_title = dup_or_oom(r, "Varied");
    }
    int errors_before_models = r->errors;
    if (!models) {
        error_at(r, root, "the experiment needs 'models:' (a list of specs)");
    } else if (want_kind(r, models, YAML_SEQUENCE_NODE, "models", "a list of models") == 0) {
        if (models->data.sequence.items.start == models->data.sequence.items.top)
            error_at(r, models, "'models' is empty; list at least one spec");
        for (yaml_node_item_t *it = models->data.sequence.items.start;
             it < models->data.sequence.items.top; it++)
            read_model(r, yaml_doc_node(&r->doc, *it));
    }
    if (r->published)
        read_published(r, r->published, r->errors == errors_before_models);
    if (!x->title && x->name)
        x->title = dup_or_oom(r, x->name);
    return r->errors;
}

static int parse_loaded(reader *r, int load_rc)
{
    int errors = 1;
    if (load_rc == 0) {
        r->x->path = dup_or_oom(r, r->doc.path);
        errors = parse(r);
    }
    print_messages(r);
    yaml_doc_free(&r->doc);
    free(r->yaml_dir);
    return errors;
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    return strndup(path, (size_t)(slash - path));
}

int experiment_parse_file(const char *path, experiment *x, FILE *out)
{
    set_defaults(x);
    reader r = {.x = x, .out = out, .yaml_dir = dir_of(path), .train_seed = -1};
    return parse_loaded(&r, yaml_doc_load(&r.doc, path, out));
}

int experiment_parse_text(const char *path, const char *text, size_t len, experiment *x,
                          FILE *out)
{
    set_defaults(x);
    reader r = {.x = x, .out = out, .train_seed = -1};
    return parse_loaded(&r, yaml_doc_load_text(&r.doc, path, text, len, out));
}

void experiment_free(experiment *x)
{
    free(x->path);
    free(x->name);
    free(x->title);
    free(x->description);
    free(x->data);
    free(x->data_dir);
    free(x->optimizer);
    free(x->factor_title);
    free(x->factor_value);
    free(x->published_source);
    free(x->published_note);
    for (int i = 0; i < x->n_published; i++)
        free(x->published[i].model);
    free(x->published);
    for (int i = 0; i < x->n_variants; i++)
        free_variant(&x->variants[i]);
    free(x->variants);
    free(x->runs);
    memset(x, 0, sizeof *x);
}
