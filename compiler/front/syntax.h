/* syntax.h - the lexer (lexer.l) and parser (parser.y) seen from outside:
 * spec text -> tokens -> ast_spec, with every syntax error reported. */
#ifndef CONVC_SYNTAX_H
#define CONVC_SYNTAX_H

#include <stdbool.h>
#include <stddef.h>
#include "front/ast.h"
#include "front/diag.h"

/* Longest token the lexer accepts (comments are not tokens). */
#define LEX_MAX_TOKEN 256

/* The scanner's own state (flex's "extra"): where it is in the text. */
typedef struct {
    diag *diag;
    size_t offset;
    int line, col;
    bool need_eol;          /* a statement is open: end it at end of file */
} lex_state;

/* A token stream over a text, for the parser and for tests. */
typedef struct lexer lexer;

lexer *lexer_new(const char *text, size_t len, diag *d);
/* The next token's kind (the TOK_* values of the generated parser.h, 0 at
 * end of input, TOK_YYerror after a reported lexical error).  *value gets the
 * token's value (caller frees) or NULL for punctuation. */
int lexer_next(lexer *lx, ast_value **value, src_loc *loc);
void lexer_free(lexer *lx);

/* Parses a whole spec; syntax errors go to `d` (check d->n_errors).  Returns
 * the statements that parsed, or NULL when out of memory. */
ast_spec *parse_spec(const char *text, size_t len, diag *d);

#endif
