/* sema.c - the semantic pass: checks each statement's options, resolves
 * defaults like Keras, infers shapes (TensorFlow's padding rules), counts
 * parameters, FLOPs and activations, and builds the IR.
 *
 * FLOPs per image, forward (docs/spec-language.md):
 *   conv    2*KH*KW*Cin*Cout*OH*OW  + OH*OW*Cout (bias) + activation
 *   dense   2*In*Out                + Out (bias)        + activation
 *   pool    KH*KW*OH*OW*C (one compare or add per window element),
 *           + OH*OW*C for the division of 'avg'
 *   activation: relu, tanh, sigmoid 1 per output value, softmax 3, linear 0
 *   flatten, dropout (identity at inference) 0 */
#include "front/sema.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- vocabulary ----------------------------------------------------------- */

enum {
    OPT_NUMBER    = 1 << 0,     /* a bare number: filters, units, size, rate */
    OPT_KERNEL    = 1 << 1,     /* k=K | k=KHxKW */
    OPT_STRIDE    = 1 << 2,     /* stride=S | stride=SHxSW */
    OPT_PADDING   = 1 << 3,     /* same | valid */
    OPT_ACT       = 1 << 4,     /* relu | tanh | sigmoid | linear | softmax */
    OPT_POOL_KIND = 1 << 5,     /* max | avg */
    OPT_NAME      = 1 << 6,     /* a bare word: the model name */
};

typedef struct {
    unsigned allowed;
    const char *number_what;    /* what the bare number means */
    const char *usage;
} stmt_schema;

/* ORDER ast_stmt_kind */
static const stmt_schema schemas[] = {
    { OPT_NAME, NULL, "model NAME" },
    { OPT_NUMBER, "input shape", "input HxWxC" },
    { OPT_NUMBER | OPT_KERNEL | OPT_STRIDE | OPT_PADDING | OPT_ACT, "number of filters",
      "conv N k=K|k=KHxKW [stride=S] [same|valid] [ACTIVATION]" },
    { OPT_NUMBER | OPT_STRIDE | OPT_PADDING | OPT_POOL_KIND, "pool size",
      "pool [max|avg] [N|NxM] [stride=S] [same|valid]" },
    { 0, NULL, "flatten" },
    { OPT_NUMBER | OPT_ACT, "number of units", "dense N [ACTIVATION]" },
    { OPT_NUMBER, "dropout rate", "dropout P" },
};

static const char *const padding_words[] = { "valid", "same" };          /* ORDER ir_padding */
static const char *const pool_words[] = { "max", "avg" };                /* ORDER ir_pool_kind */
static const char *const act_words[] = {                                 /* ORDER ir_activation */
    "linear", "relu", "tanh", "sigmoid", "softmax",
};
#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

static int find_word(const char *const *words, int n, const char *w)
{
    for (int i = 0; i < n; i++)
        if (strcmp(words[i], w) == 0)
            return i;
    return -1;
}

/* C and C++ keywords: a model name becomes a C prefix and a struct name. */
static const char *const c_keywords[] = {
    "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool",
    "break", "case", "catch", "char", "char16_t", "char32_t", "char8_t", "class",
    "compl", "concept", "const", "const_cast", "consteval", "constexpr", "constinit",
    "continue", "co_await", "co_return", "co_yield", "decltype", "default", "delete",
    "do", "double", "dynamic_cast", "else", "enum", "explicit", "export", "extern",
    "false", "float", "for", "friend", "goto", "if", "inline", "int", "long",
    "mutable", "namespace", "new", "noexcept", "not", "not_eq", "nullptr", "operator",
    "or", "or_eq", "private", "protected", "public", "register", "reinterpret_cast",
    "requires", "restrict", "return", "short", "signed", "sizeof", "static",
    "static_assert", "static_cast", "struct", "switch", "template", "this",
    "thread_local", "throw", "true", "try", "typedef", "typeid", "typename", "union",
    "unsigned", "using", "virtual", "void", "volatile", "wchar_t", "while", "xor",
    "xor_eq",
};

bool sema_valid_model_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > IR_MAX_NAME || !isalpha((unsigned char)name[0]))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!(c < 0x80 && (isalnum(c) || c == '_')))
            return false;
    }
    return find_word(c_keywords, COUNT(c_keywords), name) < 0;
}

int sema_edit_distance(const char *a, const char *b)
{
    enum { MAX = 64 };
    size_t na = strlen(a), nb = strlen(b);
    if (na > MAX || nb > MAX)
        return MAX;
    int row[MAX + 1];
    for (size_t j = 0; j <= nb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= na; i++) {
        int diagonal = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= nb; j++) {
            int above = row[j];
            int cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            int best = diagonal + cost;
            if (above + 1 < best)
                best = above + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diagonal = above;
        }
    }
    return row[nb];
}

const char *sema_closest(const char *word, const char *const *cands, int n, int max_distance)
{
    const char *best = NULL;
    int best_d = (int)strlen(word) / 3 + 1;
    if (best_d > max_distance)
        best_d = max_distance;
    for (int i = 0; i < n; i++) {
        int d = sema_edit_distance(word, cands[i]);
        if (d <= best_d && (d < best_d || !best)) {
            best = cands[i];
            best_d = d;
        }
    }
    return best;
}

/* ---- padding -------------------------------------------------------------- */

bool sema_window(int in, int k, int stride, ir_padding padding,
                 int *out, int *pad_before, int *pad_after)
{
    if (padding == IR_VALID) {
        *pad_before = *pad_after = 0;
        if (k > in)
            return false;
        *out = (in - k) / stride + 1;
        return true;
    }
    /* TensorFlow 'same': out = ceil(in / s); the odd pad goes after. */
    *out = (in + stride - 1) / stride;
    int64_t total = (int64_t)(*out - 1) * stride + k - in;
    if (total < 0)
        total = 0;
    *pad_before = (int)(total / 2);
    *pad_after = (int)(total - total / 2);
    return true;
}

/* ---- state ---------------------------------------------------------------- */

typedef struct {
    const ast_value *number;
    const ast_item *kernel, *stride;
    const ast_value *padding, *act, *pool_kind, *name;
} stmt_opts;

typedef struct {
    diag *d;
    ir_model *m;
    int capacity;
    const ast_stmt *model_stmt, *input_stmt;
    const ast_stmt *first_layer;
    const ast_value *output_act;    /* the softmax that ended the model */
    const ast_stmt *flattened_by;   /* the statement that made the tensor a vector */
    bool shape_known;               /* the shapes so far are valid */
    bool flat;                      /* the current tensor is a vector */
    ir_shape cur;
    int ordinals[IR_DROPOUT + 1];
    bool reported_no_input, reported_after_output, reported_too_many;
    bool local_only;                /* see sema_check_statements() */
} sema;

static const char *stmt_name(const ast_stmt *st)
{
    return st->head->text;
}

/* ---- options -------------------------------------------------------------- */

/* Lists the options a statement accepts, for suggestions. */
static int option_words(unsigned allowed, const char **out)
{
    int n = 0;
    if (allowed & OPT_KERNEL)
        out[n++] = "k=";
    if (allowed & OPT_STRIDE)
        out[n++] = "stride=";
    if (allowed & OPT_POOL_KIND)
        for (int i = 0; i < COUNT(pool_words); i++)
            out[n++] = pool_words[i];
    if (allowed & OPT_PADDING)
        for (int i = COUNT(padding_words) - 1; i >= 0; i--)
            out[n++] = padding_words[i];
    if (allowed & OPT_ACT)
        for (int i = 1; i < COUNT(act_words); i++)
            out[n++] = act_words[i];
    if (allowed & OPT_ACT)
        out[n++] = act_words[IR_LINEAR];
    return n;
}

static void unknown_option(sema *s, const ast_stmt *st, const char *typed, src_loc loc)
{
    const stmt_schema *sc = &schemas[st->kind];
    const char *cands[16];
    int n = option_words(sc->allowed, cands);
    const char *hint = sema_closest(typed, cands, n, INT_MAX);
    if (hint) {
        diag_error(s->d, loc, "unknown option '%s' for %s; did you mean '%s'?",
                   typed, stmt_name(st), hint);
        return;
    }
    diag_error(s->d, loc, "unknown option '%s' for %s", typed, stmt_name(st));
    if (n > 0) {
        char list[160] = "";
        for (int i = 0; i < n; i++) {
            size_t used = strlen(list);
            snprintf(list + used, sizeof list - used, "%s'%s'", i ? ", " : "", cands[i]);
        }
        diag_note(s->d, loc, "%s accepts %s", stmt_name(st), list);
    } else {
        diag_note(s->d, loc, "usage: %s", sc->usage);
    }
}

/* A flag of one group (padding, activation, pool type): at most one. */
static void set_flag(sema *s, const ast_value **slot, const ast_value *v, const char *group)
{
    if (*slot) {
        if (strcmp((*slot)->text, v->text) == 0)
            diag_error(s->d, v->loc, "duplicate option '%s'", v->text);
        else
            diag_error(s->d, v->loc, "conflicting %s '%s' and '%s'", group,
                       (*slot)->text, v->text);
        diag_note(s->d, (*slot)->loc, "'%s' given here", (*slot)->text);
        return;
    }
    *slot = v;
}

static void set_keyed(sema *s, const ast_item **slot, const ast_item *item)
{
    if (*slot) {
        diag_error(s->d, item->loc, "duplicate option '%s='", item->key->text);
        diag_note(s->d, (*slot)->loc, "first given here");
        return;
    }
    *slot = item;
}

/* False when the rest of the statement should not be read (it looks like
 * the next statement). */
static bool word_option(sema *s, const ast_stmt *st, stmt_opts *o, const ast_value *v)
{
    unsigned allowed = schemas[st->kind].allowed;
    const char *w = v->text;
    bool is_padding = find_word(padding_words, COUNT(padding_words), w) >= 0;
    bool is_act = find_word(act_words, COUNT(act_words), w) >= 0;
    bool is_pool = find_word(pool_words, COUNT(pool_words), w) >= 0;

    if ((allowed & OPT_NAME) && !o->name) {
        o->name = v;
    } else if (is_padding && (allowed & OPT_PADDING)) {
        set_flag(s, &o->padding, v, "padding");
    } else if (is_act && (allowed & OPT_ACT)) {
        set_flag(s, &o->act, v, "activations");
    } else if (is_pool && (allowed & OPT_POOL_KIND)) {
        set_flag(s, &o->pool_kind, v, "pool types");
    } else if (ast_stmt_kind_of(w) != AST_UNKNOWN) {
        diag_error(s->d, v->loc, "unexpected '%s' in a %s statement", w, stmt_name(st));
        diag_note(s->d, v->loc, "statements end at a newline or ';' (missing before '%s'?)", w);
        return false;
    } else if (is_act) {
        diag_error(s->d, v->loc, "%s takes no activation; activations apply to conv and dense",
                   stmt_name(st));
    } else if (is_padding || is_pool) {
        diag_error(s->d, v->loc, "%s takes no option '%s'", stmt_name(st), w);
        diag_note(s->d, v->loc, "usage: %s", schemas[st->kind].usage);
    } else if (allowed & OPT_NAME) {
        diag_error(s->d, v->loc, "unexpected '%s' after the model name", w);
    } else {
        unknown_option(s, st, w, v->loc);
    }
    return true;
}

/* Whether `v` is a flag (same, relu, max ...) that the statement accepts. */
static bool flag_allowed(unsigned allowed, const ast_value *v)
{
    if (v->kind != AST_WORD)
        return false;
    return ((allowed & OPT_PADDING) && find_word(padding_words, COUNT(padding_words), v->text) >= 0)
        || ((allowed & OPT_ACT) && find_word(act_words, COUNT(act_words), v->text) >= 0)
        || ((allowed & OPT_POOL_KIND) && find_word(pool_words, COUNT(pool_words), v->text) >= 0);
}

/* Sorts a statement's options into `o`; false if any was wrong. */
static bool collect_options(sema *s, const ast_stmt *st, stmt_opts *o)
{
    int errors = s->d->n_errors;
    const stmt_schema *sc = &schemas[st->kind];
    memset(o, 0, sizeof *o);
    for (const ast_item *it = st->items; it; it = it->next) {
        if (it->key) {
            const char *key = it->key->text;
            if (strcmp(key, "k") == 0 && (sc->allowed & OPT_KERNEL)) {
                set_keyed(s, &o->kernel, it);
            } else if (strcmp(key, "stride") == 0 && (sc->allowed & OPT_STRIDE)) {
                set_keyed(s, &o->stride, it);
            } else if (flag_allowed(sc->allowed, it->value)) {
                /* padding=same, activation=relu: Keras' spelling */
                diag_error(s->d, it->loc, "unknown option '%s=' for %s; write just '%s'",
                           key, stmt_name(st), it->value->text);
            } else {
                char typed[300];        /* tokens are at most 256 bytes */
                snprintf(typed, sizeof typed, "%s=", key);
                unknown_option(s, st, typed, it->key->loc);
            }
        } else if (it->value->kind == AST_WORD) {
            if (!word_option(s, st, o, it->value))
                break;
        } else if (!(sc->allowed & OPT_NUMBER)) {
            diag_error(s->d, it->value->loc, "unexpected '%s' in a %s statement",
                       it->value->text, stmt_name(st));
            diag_note(s->d, it->value->loc, "usage: %s", sc->usage);
        } else if (o->number) {
            diag_error(s->d, it->value->loc, "unexpected '%s': the %s is already given",
                       it->value->text, sc->number_what);
            diag_note(s->d, o->number->loc, "%s given here", sc->number_what);
        } else {
            o->number = it->value;
        }
    }
    return s->d->n_errors == errors;
}

/* ---- values --------------------------------------------------------------- */

/* A whole number in [1, max]. */
static bool get_count(sema *s, const ast_value *v, const char *what, int64_t max, int *out)
{
    if (v->kind == AST_INT) {
        if (!v->overflow && v->num < 1) {
            diag_error(s->d, v->loc, "%s must be at least 1, found '%s'", what, v->text);
            return false;
        }
        if (v->overflow || v->num > max) {
            diag_error(s->d, v->loc, "%s %s is too large (the limit is %lld)", what,
                       v->text, (long long)max);
            return false;
        }
        *out = (int)v->num;
        return true;
    }
    if (v->kind == AST_REAL)
        diag_error(s->d, v->loc, "%s must be a whole number, found '%s'", what, v->text);
    else
        diag_error(s->d, v->loc, "expected the %s (a whole number), found '%s'", what, v->text);
    return false;
}

static bool get_dim(sema *s, const ast_value *v, int part, const char *what, int64_t max, int *out)
{
    int64_t x = v->dims[part];
    if (x < 1) {
        diag_error(s->d, v->loc, "%s must be at least 1, found '%s'", what, v->text);
        return false;
    }
    if (v->overflow || x > max) {
        diag_error(s->d, v->loc, "%s '%s' is too large (the limit is %lld)", what, v->text,
                   (long long)max);
        return false;
    }
    *out = (int)x;
    return true;
}

/* A window or stride: N or HxW, each in [1, IR_MAX_KERNEL]. */
static bool get_window(sema *s, const ast_value *v, const char *what, int *h, int *w)
{
    if (v->kind == AST_DIMS && v->n_dims == 2)
        return get_dim(s, v, 0, what, IR_MAX_KERNEL, h)
            && get_dim(s, v, 1, what, IR_MAX_KERNEL, w);
    if (v->kind == AST_DIMS || v->kind == AST_WORD) {
        diag_error(s->d, v->loc, "%s must be N or HxW, found '%s'", what, v->text);
        return false;
    }
    if (!get_count(s, v, what, IR_MAX_KERNEL, h))
        return false;
    *w = *h;
    return true;
}

static ir_activation activation_of(const ast_value *v)
{
    return v ? (ir_activation)find_word(act_words, COUNT(act_words), v->text) : IR_LINEAR;
}

static int64_t activation_flops(ir_activation a, int64_t n)
{
    switch (a) {
    case IR_LINEAR:  return 0;
    case IR_SOFTMAX: return 3 * n;
    default:         return n;
    }
}

/* ---- statements ----------------------------------------------------------- */

#define NAME_RULES "a model name is a C identifier of at most %d bytes: letters, digits " \
                   "and '_', starting with a letter, not a C keyword"


static bool model_statement(sema *s, const ast_stmt *st)
{
    stmt_opts o;
    if (!collect_options(s, st, &o))
        return false;
    if (s->model_stmt) {
        diag_error(s->d, st->head->loc, "duplicate 'model' statement");
        diag_note(s->d, s->model_stmt->head->loc, "first given here");
        return false;
    }
    if (s->input_stmt || s->first_layer) {
        diag_error(s->d, st->head->loc, "'model' must come before 'input' and the layers");
        return false;
    }
    s->model_stmt = st;
    if (!o.name) {
        diag_error(s->d, st->head->loc, "'model' needs a name");
        diag_note(s->d, st->head->loc, "usage: model NAME");
        return false;
    }
    if (!sema_valid_model_name(o.name->text)) {
        diag_error(s->d, o.name->loc, "invalid model name '%s'", o.name->text);
        diag_note(s->d, o.name->loc, NAME_RULES, IR_MAX_NAME);
        return false;
    }
    return true;
}

static bool input_statement(sema *s, const ast_stmt *st)
{
    stmt_opts o;
    bool ok = collect_options(s, st, &o);
    if (s->input_stmt) {
        diag_error(s->d, st->head->loc, "duplicate 'input' statement");
        diag_note(s->d, s->input_stmt->head->loc, "first given here");
        return false;
    }
    s->input_stmt = st;
    if (!ok)
        return false;
    if (!o.number) {
        diag_error(s->d, st->head->loc, "'input' needs a shape HxWxC, e.g. 'input 28x28x1'");
        return false;
    }
    const ast_value *v = o.number;
    if (v->kind != AST_DIMS || v->n_dims != 3) {
        diag_error(s->d, v->loc, "input shape must be HxWxC (height x width x channels), "
                   "found '%s'", v->text);
        return false;
    }
    ir_shape in;
    if (!get_dim(s, v, 0, "input height", IR_MAX_DIM, &in.h)
        || !get_dim(s, v, 1, "input width", IR_MAX_DIM, &in.w)
        || !get_dim(s, v, 2, "input channels", IR_MAX_DIM, &in.c))
        return false;
    int64_t size = (int64_t)in.h * in.w * in.c;
    if (size > IR_MAX_ACTIVATION) {
        diag_error(s->d, v->loc, "input %s has %lld values, over the limit of %lld",
                   v->text, (long long)size, (long long)IR_MAX_ACTIVATION);
        return false;
    }
    s->m->input = in;
    s->cur = in;
    s->shape_known = s->first_layer == NULL && !s->local_only;
    return true;
}

/* Output shape of a conv or pool window over the current tensor. */
static bool window_shape(sema *s, ir_layer *L, const ast_value *where, const char *what)
{
    int oh, ow;
    bool fits_h = sema_window(s->cur.h, L->kh, L->sh, L->padding, &oh, &L->pad_top, &L->pad_bottom);
    bool fits_w = sema_window(s->cur.w, L->kw, L->sw, L->padding, &ow, &L->pad_left, &L->pad_right);
    if (!fits_h || !fits_w) {
        diag_error(s->d, where->loc, "%s %dx%d does not fit input %dx%d with padding 'valid'",
                   what, L->kh, L->kw, s->cur.h, s->cur.w);
        diag_note(s->d, where->loc, "use a smaller %s, or 'same' padding", what);
        return false;
    }
    L->out.h = oh;
    L->out.w = ow;
    return true;
}

static bool needs_image(sema *s, const ast_stmt *st)
{
    if (!s->flat)
        return true;
    diag_error(s->d, st->head->loc, "%s needs an image (HxWxC) input, but its input is a "
               "vector of %d values", stmt_name(st), s->cur.c);
    if (s->flattened_by)
        diag_note(s->d, s->flattened_by->head->loc, "the input became a vector here");
    return false;
}

static bool conv_layer(sema *s, const ast_stmt *st, const stmt_opts *o, ir_layer *L)
{
    bool ok = true;
    if (!o->number) {
        diag_error(s->d, st->head->loc, "conv needs the number of filters");
        diag_note(s->d, st->head->loc, "usage: %s", schemas[AST_CONV].usage);
        ok = false;
    } else {
        ok = get_count(s, o->number, "number of filters", IR_MAX_DIM, &L->filters) && ok;
    }
    if (!o->kernel) {
        diag_error(s->d, st->head->loc, "conv needs a kernel size, e.g. 'k=3' or 'k=3x5'");
        ok = false;
    } else {
        ok = get_window(s, o->kernel->value, "kernel size", &L->kh, &L->kw) && ok;
    }
    L->sh = L->sw = 1;
    if (o->stride)
        ok = get_window(s, o->stride->value, "stride", &L->sh, &L->sw) && ok;
    L->padding = o->padding && strcmp(o->padding->text, "same") == 0 ? IR_SAME : IR_VALID;
    L->act = activation_of(o->act);
    if (L->act == IR_SOFTMAX) {
        diag_error(s->d, o->act->loc, "softmax is only allowed on the output layer "
                   "(the last dense layer)");
        ok = false;
    }
    if (!ok || !s->shape_known)
        return false;
    if (!needs_image(s, st) || !window_shape(s, L, o->kernel->value, "kernel"))
        return false;
    L->out.c = L->filters;
    int64_t cin = s->cur.c, cout = L->filters, spatial = (int64_t)L->out.h * L->out.w;
    L->params = (int64_t)L->kh * L->kw * cin * cout + cout;
    L->flops = 2 * (int64_t)L->kh * L->kw * cin * cout * spatial + spatial * cout
             + activation_flops(L->act, spatial * cout);
    return true;
}

static bool pool_layer(sema *s, const ast_stmt *st, const stmt_opts *o, ir_layer *L)
{
    bool ok = true;
    L->kh = L->kw = 2;      /* Keras' default pool_size */
    if (o->number)
        ok = get_window(s, o->number, "pool size", &L->kh, &L->kw);
    L->sh = L->kh;
    L->sw = L->kw;
    if (o->stride)
        ok = get_window(s, o->stride->value, "stride", &L->sh, &L->sw) && ok;
    L->padding = o->padding && strcmp(o->padding->text, "same") == 0 ? IR_SAME : IR_VALID;
    L->pool = o->pool_kind && strcmp(o->pool_kind->text, "avg") == 0 ? IR_POOL_AVG : IR_POOL_MAX;
    L->act = IR_LINEAR;
    if (!ok || !s->shape_known)
        return false;
    if (!needs_image(s, st))
        return false;
    if (!window_shape(s, L, o->number ? o->number : st->head, "pool window"))
        return false;
    L->out.c = s->cur.c;
    int64_t outputs = (int64_t)L->out.h * L->out.w * L->out.c;
    L->flops = (int64_t)L->kh * L->kw * outputs + (L->pool == IR_POOL_AVG ? outputs : 0);
    return true;
}

static bool dense_layer(sema *s, const ast_stmt *st, const stmt_opts *o, ir_layer *L)
{
    bool ok = true;
    if (!o->number) {
        diag_error(s->d, st->head->loc, "dense needs the number of units, e.g. 'dense 64 relu'");
        ok = false;
    } else {
        ok = get_count(s, o->number, "number of units", IR_MAX_DIM, &L->units);
    }
    L->act = activation_of(o->act);
    if (!ok || !s->shape_known)
        return false;
    if (!s->flat) {
        diag_error(s->d, st->head->loc, "dense needs a vector input, but its input is %dx%dx%d",
                   s->cur.h, s->cur.w, s->cur.c);
        diag_note(s->d, st->head->loc, "add 'flatten' before this layer");
        return false;
    }
    L->out.h = L->out.w = 1;
    L->out.c = L->units;
    int64_t in = s->cur.c, out = L->units;
    L->params = in * out + out;
    L->flops = 2 * in * out + out + activation_flops(L->act, out);
    return true;
}

static bool dropout_layer(sema *s, const ast_stmt *st, const stmt_opts *o, ir_layer *L)
{
    if (!o->number) {
        diag_error(s->d, st->head->loc, "dropout needs a rate in [0, 1), e.g. 'dropout 0.5'");
        return false;
    }
    const ast_value *v = o->number;
    double rate = v->kind == AST_REAL ? v->real : v->kind == AST_INT ? (double)v->num : -1;
    if (v->kind == AST_DIMS || v->overflow || !(rate >= 0 && rate < 1)) {
        diag_error(s->d, v->loc, "dropout rate must be in [0, 1), found '%s'", v->text);
        return false;
    }
    L->rate = rate;
    L->act = IR_LINEAR;
    L->out = s->cur;
    return s->shape_known;
}

/* The statement text for comments in generated code: printable ASCII,
 * and never a comment terminator. */
static char *statement_source(const diag *d, src_loc loc)
{
    size_t n = loc.end > loc.offset && loc.end <= d->len ? loc.end - loc.offset : 0;
    char *text = malloc(n + 1);
    if (!text)
        return NULL;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        char c = d->text[loc.offset + i];
        if (c < 0x20 || c >= 0x7f)
            c = ' ';
        if (c == '/' && j > 0 && text[j - 1] == '*')
            c = ' ';
        text[j++] = c;
    }
    text[j] = '\0';
    return text;
}

static const ir_kind kind_of_stmt[] = {
    [AST_CONV] = IR_CONV, [AST_POOL] = IR_POOL, [AST_FLATTEN] = IR_FLATTEN,
    [AST_DENSE] = IR_DENSE, [AST_DROPOUT] = IR_DROPOUT,
};

static void layer_statement(sema *s, const ast_stmt *st)
{
    stmt_opts o;
    bool ok = collect_options(s, st, &o);
    if (!s->first_layer)
        s->first_layer = st;
    if (!s->input_stmt && !s->reported_no_input && !s->local_only) {
        diag_error(s->d, st->head->loc, "'%s' before 'input'", stmt_name(st));
        diag_note(s->d, st->head->loc, "a spec starts with 'input HxWxC', e.g. 'input 28x28x1'");
        s->reported_no_input = true;
    }
    if (s->output_act && !s->reported_after_output) {
        diag_error(s->d, st->head->loc, "'%s' after the output layer", stmt_name(st));
        diag_note(s->d, s->output_act->loc, "softmax makes this layer the output; "
                  "it must be the last");
        s->reported_after_output = true;
    }
    if (s->m->n_layers >= s->capacity) {
        if (!s->reported_too_many)
            diag_error(s->d, st->head->loc, "too many layers (the limit is %d)", IR_MAX_LAYERS);
        s->reported_too_many = true;
        s->shape_known = false;
        return;
    }
    ir_layer *L = &s->m->layers[s->m->n_layers++];
    L->kind = kind_of_stmt[st->kind];
    L->line = st->loc.line;
    L->index = s->m->n_layers - 1;
    L->ordinal = ++s->ordinals[L->kind];
    L->source = statement_source(s->d, st->loc);
    if (!L->source) {
        diag_error(s->d, st->loc, "out of memory");
        return;
    }
    L->in = s->cur;
    if (!ok) {
        s->shape_known = false;
        return;
    }

    bool shaped = false;
    switch (st->kind) {
    case AST_CONV:    shaped = conv_layer(s, st, &o, L); break;
    case AST_POOL:    shaped = pool_layer(s, st, &o, L); break;
    case AST_DENSE:   shaped = dense_layer(s, st, &o, L); break;
    case AST_DROPOUT: shaped = dropout_layer(s, st, &o, L); break;
    case AST_FLATTEN:
        L->act = IR_LINEAR;
        L->out.h = L->out.w = 1;
        L->out.c = s->cur.h * s->cur.w * s->cur.c;  /* <= IR_MAX_ACTIVATION */
        shaped = s->shape_known;
        break;
    default:
        break;
    }
    if (L->kind == IR_DENSE && L->act == IR_SOFTMAX && !s->output_act)
        s->output_act = o.act;
    if (!shaped || !s->shape_known) {
        s->shape_known = false;
        return;
    }

    int64_t size = (int64_t)L->out.h * L->out.w * L->out.c;
    if (size > IR_MAX_ACTIVATION) {
        diag_error(s->d, st->head->loc, "the output of this layer, %dx%dx%d, has %lld values, "
                   "over the limit of %lld", L->out.h, L->out.w, L->out.c, (long long)size,
                   (long long)IR_MAX_ACTIVATION);
        s->shape_known = false;
        return;
    }
    if (L->params > IR_MAX_PARAMS - s->m->params) {
        diag_error(s->d, st->head->loc, "this layer has %lld parameters, which takes the "
                   "model over the limit of %lld", (long long)L->params,
                   (long long)IR_MAX_PARAMS);
        s->shape_known = false;
        return;
    }
    s->m->params += L->params;
    s->m->flops += L->flops;
    s->m->activations += size;
    if (L->kind == IR_FLATTEN || L->kind == IR_DENSE) {
        if (!s->flat)
            s->flattened_by = st;
        s->flat = true;
    }
    s->cur = L->out;
}

static void unknown_statement(sema *s, const ast_stmt *st)
{
    const char *words[AST_UNKNOWN];
    for (int k = 0; k < AST_UNKNOWN; k++)
        words[k] = ast_stmt_keyword((ast_stmt_kind)k);
    const char *hint = sema_closest(st->head->text, words, AST_UNKNOWN, INT_MAX);
    if (hint) {
        diag_error(s->d, st->head->loc, "unknown statement '%s'; did you mean '%s'?",
                   st->head->text, hint);
    } else {
        diag_error(s->d, st->head->loc, "unknown statement '%s'", st->head->text);
        diag_note(s->d, st->head->loc, "statements are model, input, conv, pool, flatten, "
                  "dense and dropout");
    }
    s->shape_known = false;
}

/* ---- the whole model ------------------------------------------------------ */

static void check_output(sema *s, const ast_spec *spec)
{
    if (!s->input_stmt && !s->first_layer) {
        diag_error(s->d, s->model_stmt ? s->model_stmt->loc : diag_no_loc(),
                   "the spec has no 'input' statement and no layers");
        return;
    }
    if (!s->input_stmt || !s->shape_known || s->reported_after_output)
        return;
    ir_model *m = s->m;
    if (m->n_layers == 0) {
        diag_error(s->d, s->input_stmt->head->loc, "the model has no layers");
        diag_note(s->d, s->input_stmt->head->loc, "a model ends with a dense layer "
                  "giving the class scores, e.g. 'flatten; dense 10 softmax'");
        return;
    }
    const ast_stmt *last_stmt = spec->first;
    for (const ast_stmt *st = spec->first; st; st = st->next)
        if (st->kind >= AST_CONV && st->kind <= AST_DROPOUT)
            last_stmt = st;
    const ir_layer *last = &m->layers[m->n_layers - 1];
    if (last->kind != IR_DENSE) {
        diag_error(s->d, last_stmt->head->loc, "the model must end with a dense layer "
                   "giving the class scores, not '%s'", stmt_name(last_stmt));
        diag_note(s->d, last_stmt->head->loc, "e.g. 'dense 10 softmax'");
        return;
    }
    if (last->units < 2) {
        diag_error(s->d, last_stmt->head->loc, "the output layer needs at least 2 units "
                   "(one per class), found %d", last->units);
        return;
    }
    m->n_classes = last->units;
}

static char *copy_string(const char *s)
{
    size_t n = strlen(s) + 1;
    char *c = malloc(n);
    if (c)
        memcpy(c, s, n);
    return c;
}

static ir_model *build(const ast_spec *spec, diag *d, const char *spec_path,
                       const char *default_name, bool local_only)
{
    int errors = d->n_errors;
    if (!spec->first && !local_only) {
        diag_error(d, diag_no_loc(), "empty spec: expected 'input HxWxC' and layers");
        return NULL;
    }
    ir_model *m = calloc(1, sizeof *m);
    sema s = { .d = d, .m = m, .local_only = local_only };
    int n_layer_stmts = 0;
    for (const ast_stmt *st = spec->first; st; st = st->next)
        n_layer_stmts += st->kind >= AST_CONV && st->kind <= AST_DROPOUT;
    s.capacity = n_layer_stmts < IR_MAX_LAYERS ? n_layer_stmts : IR_MAX_LAYERS;
    if (m)
        m->layers = calloc((size_t)s.capacity + 1, sizeof(ir_layer));
    if (!m || !m->layers) {
        free(m);
        diag_error(d, diag_no_loc(), "out of memory");
        return NULL;
    }

    for (const ast_stmt *st = spec->first; st; st = st->next) {
        switch (st->kind) {
        case AST_MODEL:   model_statement(&s, st); break;
        case AST_INPUT:   input_statement(&s, st); break;
        case AST_UNKNOWN: unknown_statement(&s, st); break;
        default:          layer_statement(&s, st); break;
        }
    }
    if (local_only) {
        ir_free(m);
        return NULL;
    }
    check_output(&s, spec);

    const char *name = default_name;
    if (s.model_stmt && s.model_stmt->items && s.model_stmt->items->value->kind == AST_WORD)
        name = s.model_stmt->items->value->text;
    else if (d->n_errors == errors && !sema_valid_model_name(default_name)) {
        diag_error(d, diag_no_loc(), "the file name gives the model name '%s', which is not "
                   "a valid model name; add a 'model NAME' statement", default_name);
        diag_note(d, diag_no_loc(), NAME_RULES, IR_MAX_NAME);
    }
    m->name = copy_string(name);
    m->spec_path = copy_string(spec_path);
    if (d->n_errors == errors && (!m->name || !m->spec_path))
        diag_error(d, diag_no_loc(), "out of memory");
    if (d->n_errors != errors) {
        ir_free(m);
        return NULL;
    }
    m->spec_hash = ir_hash(m);
    return m;
}

ir_model *sema_build(const ast_spec *spec, diag *d, const char *spec_path,
                     const char *default_name)
{
    return build(spec, d, spec_path, default_name, false);
}

void sema_check_statements(const ast_spec *spec, diag *d)
{
    build(spec, d, "", "", true);
}
