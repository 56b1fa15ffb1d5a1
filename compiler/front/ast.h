/* ast.h - the syntax tree of a model spec, as written.  Every statement, option
 * and value keeps its source span, so the semantic pass can point at it. */
#ifndef CONVC_AST_H
#define CONVC_AST_H

#include <stdbool.h>
#include <stdint.h>
#include "front/diag.h"
#include "ir.h"

typedef enum { AST_INT, AST_REAL, AST_DIMS, AST_WORD } ast_value_kind;

#define AST_MAX_DIMS 4

/* One token's value: 32, 0.5, 3x3, relu. */
typedef struct {
    ast_value_kind kind;
    src_loc loc;
    char *text;             /* as written */
    int64_t num;            /* AST_INT (saturated when `overflow`) */
    double real;            /* AST_REAL */
    int n_dims;             /* AST_DIMS: parts written, may exceed AST_MAX_DIMS */
    int64_t dims[AST_MAX_DIMS];
    bool overflow;          /* a number does not fit in 64 bits */
} ast_value;

/* One option: a bare value (`32`, `same`) or `key=value` (`k=3`). */
typedef struct ast_item {
    src_loc loc;
    ast_value *key;         /* NULL for a bare value */
    ast_value *value;
    struct ast_item *next;
} ast_item;

typedef struct {
    ast_item *first, *last;
    int count;
} ast_items;

/* The statements: `model`, `input`, and one per layer kind, whose keyword
 * is the kind's spelling (ir_kind_names). */
typedef enum {
    AST_MODEL, AST_INPUT,
    AST_LAYER,
    AST_UNKNOWN             /* a word that is not a statement keyword */
} ast_stmt_kind;

typedef struct ast_stmt {
    ast_stmt_kind kind;
    ir_kind layer;          /* AST_LAYER: which */
    src_loc loc;            /* the whole statement */
    ast_value *head;        /* the keyword (or unknown word) */
    ast_item *items;
    int n_items;
    struct ast_stmt *next;
} ast_stmt;

typedef struct {
    ast_stmt *first, *last;
    int n_stmts;
} ast_spec;

/* Constructors return NULL when out of memory; they take ownership of
 * their pointer arguments (freeing them on failure). */
ast_value *ast_value_new(ast_value_kind kind, const char *text, size_t len, src_loc loc);
ast_item *ast_item_new(ast_value *key, ast_value *value, src_loc loc);
ast_items *ast_items_new(void);
ast_items *ast_items_append(ast_items *items, ast_item *item);
ast_stmt *ast_stmt_new(ast_value *head, bool is_keyword, ast_items *items, src_loc loc);
ast_spec *ast_spec_new(void);
void ast_spec_append(ast_spec *spec, ast_stmt *stmt);

void ast_value_free(ast_value *v);
void ast_items_free(ast_items *items);
void ast_stmt_free(ast_stmt *s);
void ast_spec_free(ast_spec *spec);

/* The statement keywords: "model", "input", then the layer kinds in
 * ir_kind order.  i in [0, AST_N_KEYWORDS). */
#define AST_N_KEYWORDS (2 + IR_N_KINDS)
const char *ast_keyword(int i);
/* The statement kind a keyword names, AST_UNKNOWN if none; *layer gets the
 * layer kind of AST_LAYER (layer may be NULL). */
ast_stmt_kind ast_stmt_kind_of(const char *word, ir_kind *layer);

#endif
