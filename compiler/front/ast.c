/* ast.c - building and freeing the syntax tree; parsing number tokens. */
#include "front/ast.h"

#include <stdlib.h>
#include <string.h>

const char *ast_keyword(int i)
{
    if (i == 0)
        return "model";
    if (i == 1)
        return "input";
    return ir_kind_name((ir_kind)(i - 2));
}

ast_stmt_kind ast_stmt_kind_of(const char *word, ir_kind *layer)
{
    if (strcmp(word, "model") == 0)
        return AST_MODEL;
    if (strcmp(word, "input") == 0)
        return AST_INPUT;
    int k = ir_kind_of(word);
    if (k < 0)
        return AST_UNKNOWN;
    if (layer)
        *layer = (ir_kind)k;
    return AST_LAYER;
}

/* Decimal digits to int64, saturating; returns false on overflow. */
static bool parse_uint(const char *s, size_t len, int64_t *out)
{
    int64_t v = 0;
    bool ok = true;
    for (size_t i = 0; i < len; i++) {
        int digit = s[i] - '0';
        if (v > (INT64_MAX - digit) / 10) {
            v = INT64_MAX;
            ok = false;
        } else if (ok) {
            v = v * 10 + digit;
        }
    }
    *out = v;
    return ok;
}

/* "28x28x1": every part is digits (the lexer guarantees it). */
static void parse_dims(ast_value *v)
{
    const char *s = v->text;
    v->n_dims = 0;
    while (*s) {
        size_t n = strspn(s, "0123456789");
        int64_t part;
        if (!parse_uint(s, n, &part))
            v->overflow = true;
        if (v->n_dims < AST_MAX_DIMS)
            v->dims[v->n_dims] = part;
        if (v->n_dims < INT32_MAX)
            v->n_dims++;
        s += n;
        if (*s == 'x' || *s == 'X')
            s++;
    }
}

ast_value *ast_value_new(ast_value_kind kind, const char *text, size_t len, src_loc loc)
{
    ast_value *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    v->text = malloc(len + 1);
    if (!v->text) {
        free(v);
        return NULL;
    }
    memcpy(v->text, text, len);
    v->text[len] = '\0';
    v->kind = kind;
    v->loc = loc;
    switch (kind) {
    case AST_INT: {
        bool negative = len > 0 && text[0] == '-';
        size_t skip = negative ? 1 : 0;
        v->overflow = !parse_uint(text + skip, len - skip, &v->num);
        if (negative)
            v->num = -v->num;
        break;
    }
    case AST_REAL:
        v->real = strtod(v->text, NULL);
        break;
    case AST_DIMS:
        parse_dims(v);
        break;
    case AST_WORD:
        break;
    }
    return v;
}

void ast_value_free(ast_value *v)
{
    if (!v)
        return;
    free(v->text);
    free(v);
}

ast_item *ast_item_new(ast_value *key, ast_value *value, src_loc loc)
{
    ast_item *item = calloc(1, sizeof *item);
    if (!item) {
        ast_value_free(key);
        ast_value_free(value);
        return NULL;
    }
    item->key = key;
    item->value = value;
    item->loc = loc;
    return item;
}

static void item_list_free(ast_item *item)
{
    while (item) {
        ast_item *next = item->next;
        ast_value_free(item->key);
        ast_value_free(item->value);
        free(item);
        item = next;
    }
}

ast_items *ast_items_new(void)
{
    return calloc(1, sizeof(ast_items));
}

ast_items *ast_items_append(ast_items *items, ast_item *item)
{
    if (items->last)
        items->last->next = item;
    else
        items->first = item;
    items->last = item;
    items->count++;
    return items;
}

void ast_items_free(ast_items *items)
{
    if (!items)
        return;
    item_list_free(items->first);
    free(items);
}

ast_stmt *ast_stmt_new(ast_value *head, bool is_keyword, ast_items *items, src_loc loc)
{
    ast_stmt *s = calloc(1, sizeof *s);
    if (!s) {
        ast_value_free(head);
        ast_items_free(items);
        return NULL;
    }
    s->kind = is_keyword ? ast_stmt_kind_of(head->text, &s->layer) : AST_UNKNOWN;
    s->loc = loc;
    s->head = head;
    s->items = items->first;
    s->n_items = items->count;
    free(items);
    return s;
}

void ast_stmt_free(ast_stmt *s)
{
    if (!s)
        return;
    ast_value_free(s->head);
    item_list_free(s->items);
    free(s);
}

ast_spec *ast_spec_new(void)
{
    return calloc(1, sizeof(ast_spec));
}

void ast_spec_append(ast_spec *spec, ast_stmt *stmt)
{
    if (spec->last)
        spec->last->next = stmt;
    else
        spec->first = stmt;
    spec->last = stmt;
    spec->n_stmts++;
}

void ast_spec_free(ast_spec *spec)
{
    if (!spec)
        return;
    ast_stmt *s = spec->first;
    while (s) {
        ast_stmt *next = s->next;
        ast_stmt_free(s);
        s = next;
    }
    free(spec);
}
