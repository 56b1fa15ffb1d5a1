/* sema.c - the semantic pass: checks each statement's options against its
 * syntax (a layer's comes from its descriptor, front/layers.h), resolves
 * defaults like Keras, infers shapes (TensorFlow's padding rules), counts
 * parameters, FLOPs, activations and work buffers, checks every limit of
 * ir.h, and builds the IR. */
#include "front/sema.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "front/graph.h"
#include "front/layers.h"
#include "front/names.h"

/* ---- vocabulary ----------------------------------------------------------- */

enum {
    OPT_NUMBER    = 1 << 0,     /* a bare number: filters, units, size, rate */
    OPT_KERNEL    = 1 << 1,     /* k=K | k=KHxKW */
    OPT_STRIDE    = 1 << 2,     /* stride=S | stride=SHxSW */
    OPT_PADDING   = 1 << 3,     /* ir_padding_names */
    OPT_ACT       = 1 << 4,     /* ir_activation_names */
    OPT_POOL_KIND = 1 << 5,     /* ir_pool_kind_names */
    OPT_NAME      = 1 << 6,     /* a bare word: the model name */
    OPT_MULT      = 1 << 7,     /* mult=M */
    OPT_GLOBAL    = 1 << 8,     /* the word 'global' */
    OPT_REF       = 1 << 9,     /* a bare word: the layer add or concat reads */
};

typedef struct {
    unsigned allowed;
    const char *number_what;    /* what the bare number means */
    const char *usage;
    const layer_real_option *reals;     /* keyed real options */
    int n_reals;
} stmt_syntax;

/* What a statement accepts: model and input are fixed, a layer's comes
 * from its descriptor. */
static stmt_syntax syntax_of(const ast_stmt *st)
{
    static const stmt_syntax model_syntax = { .allowed = OPT_NAME, .usage = "model NAME" };
    static const stmt_syntax input_syntax = { .allowed = OPT_NUMBER,
                                              .number_what = "input shape",
                                              .usage = "input HxWxC" };
    if (st->kind == AST_MODEL)
        return model_syntax;
    if (st->kind == AST_INPUT)
        return input_syntax;
    const layer_desc *ld = layer_descs[st->layer];
    stmt_syntax sx = { 0, ld->number_what, ld->usage, ld->reals, ld->n_reals };
    if (ld->number != LAYER_NUMBER_NONE)
        sx.allowed |= OPT_NUMBER;
    if (ld->kernel)
        sx.allowed |= OPT_KERNEL;
    if (ld->stride)
        sx.allowed |= OPT_STRIDE;
    if (ld->padding)
        sx.allowed |= OPT_PADDING;
    if (ld->activation != LAYER_ACT_NONE)
        sx.allowed |= OPT_ACT;
    if (ld->pool_kind)
        sx.allowed |= OPT_POOL_KIND;
    if (ld->multiplier)
        sx.allowed |= OPT_MULT;
    if (ld->global)
        sx.allowed |= OPT_GLOBAL;
    if (ld->merge != LAYER_MERGE_NONE)
        sx.allowed |= OPT_REF;
    return sx;
}

bool sema_valid_model_name(const char *name)
{
    return names_check_model(name) == NAME_OK;
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

/* ---- state ---------------------------------------------------------------- */

typedef struct {
    const ast_value *number;
    const ast_item *kernel, *stride, *mult;
    const ast_value *padding, *act, *pool_kind, *name, *global;
    const ast_item *reals[LAYER_MAX_REALS];     /* by the descriptor's order */
    const ast_value *as, *from;     /* the names after 'as' and 'from' */
    const ast_value *ref;           /* OPT_REF */
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
    int64_t work;                   /* the work-buffer bound so far (IR_MAX_WORK) */
    int64_t edge_work;              /* the layer's share for reading a layer that
                                       others read too (its own gradient buffer) */
    spec_graph g;
    int ordinals[IR_N_KINDS];
    bool reported_no_input, reported_after_output, reported_too_many;
    bool local_only;                /* see sema_check_statements() */
} sema;

static const char *stmt_name(const ast_stmt *st)
{
    return st->head->text;
}

/* ---- options -------------------------------------------------------------- */

/* Appends the words of one name table, `last` (a default, or -1) moved to
 * the end so that the choices that change something come first. */
static int add_words(const char **out, int n, const char *const *names, int count, int last)
{
    for (int i = 0; i < count; i++)
        if (i != last)
            out[n++] = names[i];
    if (last >= 0)
        out[n++] = names[last];
    return n;
}

enum { MAX_OPTION_WORDS = 4 + LAYER_MAX_REALS + IR_N_POOL_KINDS + IR_N_PADDINGS
                         + IR_N_ACTIVATIONS };

/* Lists the options a statement accepts, for suggestions. */
static int option_words(const stmt_syntax *sx, const char **out)
{
    unsigned allowed = sx->allowed;
    int n = 0;
    for (int r = 0; r < sx->n_reals; r++)
        out[n++] = sx->reals[r].word;
    if (allowed & OPT_KERNEL)
        out[n++] = LAYER_KEY_KERNEL "=";
    if (allowed & OPT_STRIDE)
        out[n++] = LAYER_KEY_STRIDE "=";
    if (allowed & OPT_MULT)
        out[n++] = LAYER_KEY_MULT "=";
    if (allowed & OPT_POOL_KIND)
        n = add_words(out, n, ir_pool_kind_names, IR_N_POOL_KINDS, -1);
    if (allowed & OPT_GLOBAL)
        out[n++] = LAYER_WORD_GLOBAL;
    if (allowed & OPT_PADDING)
        n = add_words(out, n, ir_padding_names, IR_N_PADDINGS, IR_VALID);
    if (allowed & OPT_ACT)
        n = add_words(out, n, ir_activation_names, IR_N_ACTIVATIONS, IR_LINEAR);
    return n;
}

static void unknown_option(sema *s, const ast_stmt *st, const char *typed, src_loc loc)
{
    stmt_syntax sx = syntax_of(st);
    const char *cands[MAX_OPTION_WORDS];
    int n = option_words(&sx, cands);
    const char *hint = sema_closest(typed, cands, n, INT_MAX);
    if (hint) {
        diag_error(s->d, loc, "unknown option '%s' for %s; did you mean '%s'?",
                   typed, stmt_name(st), hint);
        return;
    }
    diag_error(s->d, loc, "unknown option '%s' for %s", typed, stmt_name(st));
    if (n > 0) {
        char list[512] = "";
        for (int i = 0; i < n; i++) {
            size_t used = strlen(list);
            snprintf(list + used, sizeof list - used, "%s'%s'", i ? ", " : "", cands[i]);
        }
        diag_note(s->d, loc, "%s accepts %s", stmt_name(st), list);
    } else {
        diag_note(s->d, loc, "usage: %s", sx.usage);
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

/* "a, b and c" */
static void join_words(char *buf, size_t size, const char *const *words, int n)
{
    buf[0] = '\0';
    for (int i = 0; i < n; i++) {
        size_t used = strlen(buf);
        snprintf(buf + used, size - used, "%s%s", i == 0 ? "" : i == n - 1 ? " and " : ", ",
                 words[i]);
    }
}

/* "conv and dense": the layer kinds whose descriptor takes an activation. */
static void kinds_with_activation(char *buf, size_t size)
{
    const char *kinds[IR_N_KINDS];
    int n = 0;
    for (int k = 0; k < IR_N_KINDS; k++)
        if (layer_descs[k]->activation != LAYER_ACT_NONE)
            kinds[n++] = ir_kind_name((ir_kind)k);
    join_words(buf, size, kinds, n);
}

/* False when the rest of the statement should not be read (it looks like
 * the next statement). */
static bool word_option(sema *s, const ast_stmt *st, stmt_opts *o, const ast_value *v)
{
    stmt_syntax sx = syntax_of(st);
    unsigned allowed = sx.allowed;
    const char *w = v->text;
    bool is_padding = ir_padding_of(w) >= 0;
    bool is_act = ir_activation_of(w) >= 0;
    bool is_pool = ir_pool_kind_of(w) >= 0;

    if ((allowed & OPT_NAME) && !o->name) {
        o->name = v;
    } else if (strcmp(w, LAYER_WORD_GLOBAL) == 0 && (allowed & OPT_GLOBAL)) {
        set_flag(s, &o->global, v, "options");
    } else if (is_padding && (allowed & OPT_PADDING)) {
        set_flag(s, &o->padding, v, "padding");
    } else if (is_act && (allowed & OPT_ACT)) {
        set_flag(s, &o->act, v, "activations");
    } else if (is_pool && (allowed & OPT_POOL_KIND)) {
        set_flag(s, &o->pool_kind, v, "pool types");
    } else if (ast_stmt_kind_of(w, NULL) != AST_UNKNOWN) {
        diag_error(s->d, v->loc, "unexpected '%s' in a %s statement", w, stmt_name(st));
        diag_note(s->d, v->loc, "statements end at a newline or ';' (missing before '%s'?)", w);
        return false;
    } else if ((allowed & OPT_REF) && !is_act && !is_padding && !is_pool) {
        if (!o->ref) {
            o->ref = v;
        } else {
            diag_error(s->d, v->loc, "unexpected '%s': %s reads one named layer",
                       w, stmt_name(st));
            diag_note(s->d, o->ref->loc, "'%s' given here", o->ref->text);
        }
    } else if (is_act) {
        char kinds[256];
        kinds_with_activation(kinds, sizeof kinds);
        diag_error(s->d, v->loc, "%s takes no activation; activations apply to %s",
                   stmt_name(st), kinds);
    } else if (is_padding || is_pool) {
        diag_error(s->d, v->loc, "%s takes no option '%s'", stmt_name(st), w);
        diag_note(s->d, v->loc, "usage: %s", sx.usage);
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
    return ((allowed & OPT_PADDING) && ir_padding_of(v->text) >= 0)
        || ((allowed & OPT_ACT) && ir_activation_of(v->text) >= 0)
        || ((allowed & OPT_POOL_KIND) && ir_pool_kind_of(v->text) >= 0);
}

/* The index of a keyed real option of the statement, or -1. */
static int real_option_of(const stmt_syntax *sx, const char *key)
{
    for (int r = 0; r < sx->n_reals; r++)
        if (strcmp(sx->reals[r].key, key) == 0)
            return r;
    return -1;
}

static bool is_graph_word(const ast_stmt *st, const ast_item *it)
{
    return st->kind == AST_LAYER && !it->key && it->value->kind == AST_WORD
        && (strcmp(it->value->text, LAYER_WORD_AS) == 0
            || strcmp(it->value->text, LAYER_WORD_FROM) == 0);
}

/* 'as NAME' or 'from NAME' at `it`: the item of the name (the last one
 * read), or `it` when the name is missing. */
static const ast_item *graph_option(sema *s, const ast_stmt *st, stmt_opts *o,
                                    const ast_item *it)
{
    const char *word = it->value->text;
    const ast_value **slot = strcmp(word, LAYER_WORD_AS) == 0 ? &o->as : &o->from;
    const ast_item *next = it->next;
    if (!next || next->key || next->value->kind != AST_WORD || is_graph_word(st, next)) {
        diag_error(s->d, it->value->loc, "'%s' needs a layer name after it, e.g. '%s x'", word,
                   word);
        return it;
    }
    if (*slot) {
        diag_error(s->d, it->value->loc, "duplicate option '%s'", word);
        diag_note(s->d, (*slot)->loc, "first given here");
    } else {
        *slot = next->value;
    }
    return next;
}

/* Sorts a statement's options into `o`; false if any was wrong. */
static bool collect_options(sema *s, const ast_stmt *st, stmt_opts *o)
{
    int errors = s->d->n_errors;
    stmt_syntax syntax = syntax_of(st);
    const stmt_syntax *sc = &syntax;
    memset(o, 0, sizeof *o);
    for (const ast_item *it = st->items; it; it = it->next) {
        if (it->key) {
            const char *key = it->key->text;
            int real = real_option_of(sc, key);
            if (real >= 0) {
                set_keyed(s, &o->reals[real], it);
            } else if (strcmp(key, LAYER_KEY_KERNEL) == 0 && (sc->allowed & OPT_KERNEL)) {
                set_keyed(s, &o->kernel, it);
            } else if (strcmp(key, LAYER_KEY_STRIDE) == 0 && (sc->allowed & OPT_STRIDE)) {
                set_keyed(s, &o->stride, it);
            } else if (strcmp(key, LAYER_KEY_MULT) == 0 && (sc->allowed & OPT_MULT)) {
                set_keyed(s, &o->mult, it);
            } else if (flag_allowed(sc->allowed, it->value)) {
                /* padding=same, activation=relu: Keras' spelling */
                diag_error(s->d, it->loc, "unknown option '%s=' for %s; write just '%s'",
                           key, stmt_name(st), it->value->text);
            } else {
                char typed[300];        /* tokens are at most 256 bytes */
                snprintf(typed, sizeof typed, "%s=", key);
                unknown_option(s, st, typed, it->key->loc);
            }
        } else if (is_graph_word(st, it)) {
            it = graph_option(s, st, o, it);
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

/* A keyed real option's value (its default when `item` is NULL), in its
 * open range. */
static bool get_real_option(sema *s, const layer_real_option *r, const ast_item *item,
                            ir_layer *L)
{
    double *out = (double *)(void *)((char *)L + r->field);
    if (!item) {
        *out = r->def;
        return true;
    }
    const ast_value *v = item->value;
    double x = v->kind == AST_REAL ? v->real : v->kind == AST_INT ? (double)v->num : NAN;
    if (v->kind == AST_DIMS || v->kind == AST_WORD) {
        diag_error(s->d, v->loc, "%s must be a number in %s, found '%s'", r->key, r->range,
                   v->text);
        return false;
    }
    if (v->overflow || !(x > r->min && x < r->max)) {
        diag_error(s->d, v->loc, "%s must be in %s, found '%s'", r->key, r->range, v->text);
        return false;
    }
    *out = x;
    return true;
}

static ir_activation activation_of(const ast_value *v)
{
    return v ? (ir_activation)ir_activation_of(v->text) : IR_LINEAR;
}

/* ---- statements ----------------------------------------------------------- */

#define NAME_RULES "a model name is a C identifier of at most %d bytes: letters, digits " \
                   "and '_', starting with a letter, not a C keyword"

/* The note on why `name` was rejected. */
static void name_note(sema *s, src_loc loc, const char *name)
{
    if (names_check_model(name) == NAME_RESERVED) {
        char list[256];
        names_reserved_list(list, sizeof list);
        diag_note(s->d, loc, "a model name may not be %s (in any case): the runtime's "
                  "public names use these prefixes", list);
        return;
    }
    diag_note(s->d, loc, NAME_RULES, IR_MAX_NAME);
}

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
    name_verdict verdict = names_check_model(o.name->text);
    if (verdict == NAME_INVALID)
        diag_error(s->d, o.name->loc, "invalid model name '%s'", o.name->text);
    else if (verdict == NAME_RESERVED)
        diag_error(s->d, o.name->loc, "model name '%s' is reserved for the runtime",
                   o.name->text);
    if (verdict != NAME_OK) {
        name_note(s, o.name->loc, o.name->text);
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

/* A 1 x 1 x C image (global pooling's output) is a vector of C as it is. */
static bool needs_vector(sema *s, const ast_stmt *st)
{
    if (s->flat || (s->cur.h == 1 && s->cur.w == 1))
        return true;
    diag_error(s->d, st->head->loc, "%s needs a vector input, but its input is %dx%dx%d",
               stmt_name(st), s->cur.h, s->cur.w, s->cur.c);
    diag_note(s->d, st->head->loc, "add 'flatten' before this layer");
    return false;
}

/* The bare number of a layer statement, by its descriptor.  *window_at gets
 * where a window given by the number is written. */
static bool layer_number_option(sema *s, const ast_stmt *st, const layer_desc *ld,
                                const ast_value *v, ir_layer *L, src_loc *window_at)
{
    if (!v) {
        if (ld->number_missing) {
            diag_error(s->d, st->head->loc, "%s", ld->number_missing);
            if (ld->missing_shows_usage)
                diag_note(s->d, st->head->loc, "usage: %s", ld->usage);
            return false;
        }
        if (ld->number == LAYER_NUMBER_WINDOW)
            L->kh = L->kw = ld->default_window;
        return true;
    }
    switch (ld->number) {
    case LAYER_NUMBER_NONE:
        break;
    case LAYER_NUMBER_COUNT:
        return get_count(s, v, ld->number_what, IR_MAX_DIM,
                         (int *)(void *)((char *)L + ld->count_field));
    case LAYER_NUMBER_WINDOW:
        *window_at = v->loc;
        return get_window(s, v, ld->number_what, &L->kh, &L->kw);
    case LAYER_NUMBER_RATE: {
        double rate = v->kind == AST_REAL ? v->real : v->kind == AST_INT ? (double)v->num : -1;
        if (v->kind == AST_DIMS || v->overflow || !(rate >= 0 && rate < 1)) {
            diag_error(s->d, v->loc, "%s must be in [0, 1), found '%s'", ld->number_what,
                       v->text);
            return false;
        }
        L->rate = rate;
        return true;
    }
    }
    return true;
}

/* 'global' takes the whole input as the window: no size, stride or
 * padding goes with it. */
static bool global_window(sema *s, const ast_stmt *st, const stmt_opts *o)
{
    src_loc at[3] = { 0 };
    const char *what[3];
    int n = 0;
    if (o->number) {
        at[n] = o->number->loc;
        what[n++] = "size";
    }
    if (o->stride) {
        at[n] = o->stride->loc;
        what[n++] = "stride";
    }
    if (o->padding) {
        at[n] = o->padding->loc;
        what[n++] = "padding";
    }
    for (int k = 0; k < n; k++) {
        diag_error(s->d, at[k], "'%s " LAYER_WORD_GLOBAL "' takes no %s: its window is the "
                   "whole input", stmt_name(st), what[k]);
        diag_note(s->d, o->global->loc, "'" LAYER_WORD_GLOBAL "' given here");
    }
    return n == 0;
}

/* Resolves a layer's options into L, with the descriptor's defaults and
 * ranges; *window_at gets where its window is written (the statement's
 * keyword when it is the default). */
static bool layer_options(sema *s, const ast_stmt *st, const layer_desc *ld,
                          const stmt_opts *o, ir_layer *L, src_loc *window_at)
{
    *window_at = st->head->loc;
    bool ok = layer_number_option(s, st, ld, o->number, L, window_at);
    if (ld->kernel && !o->kernel) {
        diag_error(s->d, st->head->loc, "%s needs a kernel size, e.g. 'k=3' or 'k=3x5'",
                   stmt_name(st));
        ok = false;
    } else if (ld->kernel) {
        *window_at = o->kernel->value->loc;
        ok = get_window(s, o->kernel->value, "kernel size", &L->kh, &L->kw) && ok;
    }
    if (ld->stride) {
        L->sh = ld->stride_is_window ? L->kh : 1;
        L->sw = ld->stride_is_window ? L->kw : 1;
    }
    if (o->stride)
        ok = get_window(s, o->stride->value, "stride", &L->sh, &L->sw) && ok;
    if (o->global)
        ok = global_window(s, st, o) && ok;
    L->global = o->global != NULL;
    if (ld->multiplier)
        L->multiplier = 1;
    if (o->mult)
        ok = get_count(s, o->mult->value, "depth multiplier", IR_MAX_DIM, &L->multiplier) && ok;
    L->padding = o->padding ? (ir_padding)ir_padding_of(o->padding->text) : IR_VALID;
    L->pool = o->pool_kind ? (ir_pool_kind)ir_pool_kind_of(o->pool_kind->text) : IR_POOL_MAX;
    for (int r = 0; r < ld->n_reals; r++)
        ok = get_real_option(s, &ld->reals[r], o->reals[r], L) && ok;
    L->act = activation_of(o->act);
    if (ld->activation == LAYER_ACT_HIDDEN && L->act == IR_SOFTMAX) {
        diag_error(s->d, o->act->loc, "softmax is only allowed on the output layer "
                   "(the last dense layer)");
        ok = false;
    }
    return ok;
}

/* Options, input requirement, shape and counts of one layer; false when it
 * has no valid shape. */
static bool resolve_layer(sema *s, const ast_stmt *st, const stmt_opts *o, ir_layer *L)
{
    const layer_desc *ld = layer_descs[L->kind];
    src_loc window_at;
    if (!layer_options(s, st, ld, o, L, &window_at) || !s->shape_known)
        return false;
    if (ld->merge != LAYER_MERGE_NONE && !graph_check_merge(&s->g, ld, L, o->ref))
        return false;
    if (ld->input == LAYER_INPUT_IMAGE && !needs_image(s, st))
        return false;
    if (ld->input == LAYER_INPUT_VECTOR && !needs_vector(s, st))
        return false;
    if (!ld->shape(L)) {
        diag_error(s->d, window_at, "%s %dx%d does not fit input %dx%d with padding 'valid'",
                   ld->window_what, L->kh, L->kw, L->in.h, L->in.w);
        diag_note(s->d, window_at, "use a smaller %s, or 'same' padding", ld->window_what);
        return false;
    }
    if (ld->multiplier && L->out.c > IR_MAX_DIM) {
        diag_error(s->d, o->mult ? o->mult->value->loc : st->head->loc, "%s makes %d x %d = "
                   "%lld channels, over the limit of %d", stmt_name(st), L->in.c, L->multiplier,
                   (long long)L->in.c * L->multiplier, IR_MAX_DIM);
        return false;
    }
    int64_t size = (int64_t)L->out.h * L->out.w * L->out.c;
    L->params = ld->params ? ld->params(L) : 0;
    L->non_trainable = ld->non_trainable ? ld->non_trainable(L) : 0;
    L->flops = (ld->flops ? ld->flops(L) : 0) + layer_activation_flops(L->act, size);
    return true;
}

/* A bound on the floats of work buffers a layer needs per sample: its
 * output and that output's gradient, the logits of a softmax, and what its
 * descriptor adds (a padded input and its gradient, a dropout mask). */
static int64_t layer_work(const ir_layer *L)
{
    int64_t size = (int64_t)L->out.h * L->out.w * L->out.c;
    const layer_desc *ld = layer_descs[L->kind];
    return 2 * size + (L->act == IR_SOFTMAX ? size : 0) + (ld->work ? ld->work(L) : 0);
}

/* "conv 32 k=3x3 stride=1x1 same pad=1,1,1,1 relu"; NULL when out of memory. */
static char *canonical_text(const ir_layer *L)
{
    char options[256];
    layer_descs[L->kind]->canonical(L, options, sizeof options);
    const char *word = ir_kind_name(L->kind);
    size_t n = strlen(word) + 1 + strlen(options) + 1;
    char *text = malloc(n);
    if (text)
        snprintf(text, n, "%s%s%s", word, options[0] ? " " : "", options);
    return text;
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

/* The layers L reads ('from', the layer add or concat names, else the line
 * before), made the current tensor for the checks that follow. */
static bool wire_inputs(sema *s, const ast_stmt *st, const stmt_opts *o, ir_layer *L)
{
    const layer_desc *ld = layer_descs[L->kind];
    bool ok = true;
    L->n_inputs = 1;
    L->inputs[0] = o->from ? graph_lookup(&s->g, o->from, L->index) : L->index - 1;
    if (ld->merge != LAYER_MERGE_NONE) {
        L->n_inputs = 2;
        L->inputs[1] = -2;
        if (!o->ref) {
            diag_error(s->d, st->head->loc, "%s needs the name of the layer it reads, "
                       "e.g. '%s x'", stmt_name(st), stmt_name(st));
            diag_note(s->d, st->head->loc, "usage: %s", ld->usage);
        } else {
            L->inputs[1] = graph_lookup(&s->g, o->ref, L->index);
        }
    }
    s->edge_work = 0;
    for (int k = 0; k < L->n_inputs; k++) {
        int j = L->inputs[k];
        if (j == -2) {
            ok = false;
        } else if (j >= 0 && graph_read(&s->g, j) > 0) {
            ir_shape out = s->m->layers[j].out;
            s->edge_work += (int64_t)out.h * out.w * out.c;
        }
    }
    if (!ok)
        return false;
    int in = L->inputs[0];
    s->cur = in >= 0 ? s->m->layers[in].out : s->m->input;
    s->flat = in >= 0 && s->g.layers[in].flat;
    s->flattened_by = in >= 0 ? s->g.layers[in].flattened_by : NULL;
    if (L->n_inputs > 1) {
        const graph_layer *other = &s->g.layers[L->inputs[1]];
        L->in2 = s->m->layers[L->inputs[1]].out;
        if (!s->flat && other->flat) {
            s->flat = true;
            s->flattened_by = other->flattened_by;
        }
    }
    return true;
}

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
    L->kind = st->layer;
    L->line = st->loc.line;
    L->index = s->m->n_layers - 1;
    L->ordinal = ++s->ordinals[L->kind];
    L->source = statement_source(s->d, st->loc);
    if (!L->source) {
        diag_error(s->d, st->loc, "out of memory");
        return;
    }
    graph_define(&s->g, L->index, st, o.as);
    ok = ok && wire_inputs(s, st, &o, L);
    L->in = s->cur;
    if (!ok) {
        s->shape_known = false;
        return;
    }

    bool shaped = resolve_layer(s, st, &o, L);
    /* Only a layer that may have softmax becomes the output by it. */
    if (L->act == IR_SOFTMAX && layer_descs[L->kind]->activation == LAYER_ACT_ANY
        && !s->output_act)
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
    int64_t work = layer_work(L) + s->edge_work;
    if (work > IR_MAX_WORK - s->work) {
        diag_error(s->d, st->head->loc, "this layer takes the model's work buffers to %lld "
                   "floats, over the limit of %lld", (long long)(s->work + work),
                   (long long)IR_MAX_WORK);
        diag_note(s->d, st->head->loc, "the bound counts each layer's output and its "
                  "gradient, and a conv's padded input and its gradient");
        s->shape_known = false;
        return;
    }
    L->canonical = canonical_text(L);
    if (!L->canonical) {
        diag_error(s->d, st->loc, "out of memory");
        s->shape_known = false;
        return;
    }
    s->work += work;
    s->m->params += L->params;
    s->m->non_trainable += L->non_trainable;
    s->m->flops += L->flops;
    s->m->activations += size;
    if (layer_descs[L->kind]->makes_vector) {
        if (!s->flat)
            s->flattened_by = st;
        s->flat = true;
    }
    s->g.layers[L->index].flat = s->flat;
    s->g.layers[L->index].flattened_by = s->flattened_by;
    s->cur = L->out;
}

static void unknown_statement(sema *s, const ast_stmt *st)
{
    const char *words[AST_N_KEYWORDS];
    char list[256];
    for (int k = 0; k < AST_N_KEYWORDS; k++)
        words[k] = ast_keyword(k);
    join_words(list, sizeof list, words, AST_N_KEYWORDS);
    const char *hint = sema_closest(st->head->text, words, AST_N_KEYWORDS, INT_MAX);
    if (hint) {
        diag_error(s->d, st->head->loc, "unknown statement '%s'; did you mean '%s'?",
                   st->head->text, hint);
    } else {
        diag_error(s->d, st->head->loc, "unknown statement '%s'", st->head->text);
        diag_note(s->d, st->head->loc, "statements are %s", list);
    }
    s->shape_known = false;
}

/* ---- the whole model ------------------------------------------------------ */

/* The first bare number of a statement: the units of a dense layer. */
static const ast_value *bare_number(const ast_stmt *st)
{
    for (const ast_item *it = st->items; it; it = it->next)
        if (!it->key && it->value->kind != AST_WORD)
            return it->value;
    return NULL;
}

/* The activation word of a statement (its last, as the pass reads them). */
static const ast_value *activation_word(const ast_stmt *st)
{
    const ast_value *found = NULL;
    for (const ast_item *it = st->items; it; it = it->next)
        if (!it->key && it->value->kind == AST_WORD && ir_activation_of(it->value->text) >= 0)
            found = it->value;
    return found;
}

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
        if (st->kind == AST_LAYER)
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
    if (last->units > IR_MAX_CLASSES) {
        const ast_value *units = bare_number(last_stmt);
        diag_error(s->d, units ? units->loc : last_stmt->head->loc, "the output layer has "
                   "%d units, over the limit of %d classes (labels are bytes)", last->units,
                   IR_MAX_CLASSES);
        return;
    }
    if (last->act != IR_SOFTMAX && last->act != IR_LINEAR) {
        const ast_value *act = activation_word(last_stmt);
        diag_error(s->d, act ? act->loc : last_stmt->head->loc, "the output layer's "
                   "activation must be softmax or linear, not '%s'",
                   ir_activation_name(last->act));
        diag_note(s->d, act ? act->loc : last_stmt->head->loc, "the loss is softmax "
                  "cross-entropy: write 'dense %d softmax' for probabilities, or 'dense %d' "
                  "for logits (the softmax is then applied in the loss)", last->units,
                  last->units);
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
        n_layer_stmts += st->kind == AST_LAYER;
    s.capacity = n_layer_stmts < IR_MAX_LAYERS ? n_layer_stmts : IR_MAX_LAYERS;
    if (m)
        m->layers = calloc((size_t)s.capacity + 1, sizeof(ir_layer));
    if (!m || !m->layers || !graph_init(&s.g, d, spec, s.capacity)) {
        if (m)
            free(m->layers);
        free(m);
        diag_error(d, diag_no_loc(), "out of memory");
        return NULL;
    }

    for (const ast_stmt *st = spec->first; st; st = st->next) {
        switch (st->kind) {
        case AST_MODEL:   model_statement(&s, st); break;
        case AST_INPUT:   input_statement(&s, st); break;
        case AST_UNKNOWN: unknown_statement(&s, st); break;
        case AST_LAYER:   layer_statement(&s, st); break;
        }
    }
    if (local_only) {
        graph_free(&s.g);
        ir_free(m);
        return NULL;
    }
    check_output(&s, spec);
    if (d->n_errors == errors)
        graph_finish(&s.g, m);
    graph_free(&s.g);

    const char *name = default_name;
    if (s.model_stmt && s.model_stmt->items && s.model_stmt->items->value->kind == AST_WORD)
        name = s.model_stmt->items->value->text;
    else if (d->n_errors == errors && !sema_valid_model_name(default_name)) {
        bool reserved = names_check_model(default_name) == NAME_RESERVED;
        diag_error(d, diag_no_loc(), "the file name gives the model name '%s', which %s; "
                   "add a 'model NAME' statement", default_name,
                   reserved ? "is reserved for the runtime" : "is not a valid model name");
        name_note(&s, diag_no_loc(), default_name);
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
