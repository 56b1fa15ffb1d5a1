/* parser.y - the grammar of model specs.
 *
 * A spec is a list of statements, each ended by a newline or ';'.  A
 * statement is a keyword followed by options in any order: bare values
 * (32, 0.5, 3x3, same, relu) or key=value pairs (k=3, stride=2).  Which
 * options a statement accepts is checked by the semantic pass (sema.c),
 * which can say what was expected and suggest a fix; the grammar only
 * decides the structure.  After a syntax error the parser skips to the end
 * of the statement, so one run reports every error in the file. */

%define api.pure full
%define api.prefix {spec_}
%define api.token.prefix {TOK_}
%define api.location.type {src_loc}
%define parse.error custom
%locations
%expect 0
%param {yyscan_t scanner}
%parse-param {parse_ctx *ctx}

%code requires {
#include "front/ast.h"
#include "front/diag.h"
typedef void *yyscan_t;
typedef struct {
    diag *diag;
    ast_spec *spec;
} parse_ctx;
}

%code provides {
int spec_lex(SPEC_STYPE *value, SPEC_LTYPE *loc, yyscan_t scanner);
}

%code {
#include <string.h>

/* A rule's span runs from its first to its last symbol; an empty rule sits
 * where the previous symbol ended. */
#define YYLLOC_DEFAULT(cur, rhs, n)                                     \
    do {                                                                \
        if (n) {                                                        \
            (cur).line = YYRHSLOC(rhs, 1).line;                         \
            (cur).col = YYRHSLOC(rhs, 1).col;                           \
            (cur).offset = YYRHSLOC(rhs, 1).offset;                     \
            (cur).end = YYRHSLOC(rhs, n).end;                           \
        } else {                                                        \
            (cur) = YYRHSLOC(rhs, 0);                                   \
            (cur).offset = (cur).end;                                   \
        }                                                               \
    } while (0)

static void spec_error(const SPEC_LTYPE *loc, yyscan_t scanner, parse_ctx *ctx,
                       const char *msg);
}

%union {
    ast_value *value;
    ast_item *item;
    ast_items *items;
    ast_stmt *stmt;
}

%token <value> KEYWORD "keyword" NAME "name" INT "integer" REAL "real number" DIMS "dimensions"
%token NEWLINE "end of line" SEMI "';'" EQUALS "'='"
%token END 0 "end of file"

%nterm <value> word value
%nterm <item> item
%nterm <items> items
%nterm <stmt> stmt

%destructor { ast_value_free($$); } <value>
%destructor { ast_value_free($$->key); ast_value_free($$->value); free($$); } <item>
%destructor { ast_items_free($$); } <items>
%destructor { ast_stmt_free($$); } <stmt>

%%

spec:
  %empty
| spec line
;

line:
  eos
| stmt eos      { ast_spec_append(ctx->spec, $1); }
| error eos     { yyerrok; }
;

eos: NEWLINE | SEMI ;

stmt:
  KEYWORD items { $$ = ast_stmt_new($1, true, $2, @$); if (!$$) YYNOMEM; }
| NAME items    { $$ = ast_stmt_new($1, false, $2, @$); if (!$$) YYNOMEM; }
;

items:
  %empty        { $$ = ast_items_new(); if (!$$) YYNOMEM; }
| items item    { $$ = ast_items_append($1, $2); }
;

item:
  value              { $$ = ast_item_new(NULL, $1, @$); if (!$$) YYNOMEM; }
| word EQUALS value  { $$ = ast_item_new($1, $3, @$); if (!$$) YYNOMEM; }
;

/* Keywords are ordinary words inside a statement, so that a model may be
 * named 'dense' and a missing ';' is reported by the semantic pass. */
word: NAME | KEYWORD ;

value: word | INT | REAL | DIMS ;

%%

static void spec_error(const SPEC_LTYPE *loc, yyscan_t scanner, parse_ctx *ctx,
                       const char *msg)
{
    (void)scanner;
    diag_error(ctx->diag, *loc, "%s", msg);
}

/* "unexpected X; expected A, B or C", naming X by its text when it has one. */
static int yyreport_syntax_error(const yypcontext_t *pctx, yyscan_t scanner, parse_ctx *ctx)
{
    (void)scanner;
    enum { MAX_LISTED = 4 };
    yysymbol_kind_t expected[YYNTOKENS];
    int n = yypcontext_expected_tokens(pctx, expected, YYNTOKENS);
    yysymbol_kind_t found = yypcontext_token(pctx);
    const SPEC_LTYPE *loc = yypcontext_location(pctx);

    char what[96];
    if (loc->end > loc->offset && found != YYSYMBOL_NEWLINE && found != YYSYMBOL_YYEOF) {
        size_t len = loc->end - loc->offset;
        const char *text = ctx->diag->text + loc->offset;
        if (len > 40)
            snprintf(what, sizeof what, "'%.40s...'", text);
        else
            snprintf(what, sizeof what, "'%.*s'", (int)len, text);
    } else {
        snprintf(what, sizeof what, "%s", yysymbol_name(found));
    }

    bool at_statement_start = false, wants_value = false;
    bool can_end = false;
    for (int i = 0; i < n; i++) {
        at_statement_start |= expected[i] == YYSYMBOL_KEYWORD;
        wants_value |= expected[i] == YYSYMBOL_INT;
        can_end |= expected[i] == YYSYMBOL_NEWLINE;
    }
    /* A value may be a keyword (a model named 'dense'), so KEYWORD alone
       does not mean a statement starts here. */
    at_statement_start &= !wants_value;
    wants_value &= !can_end;
    if (at_statement_start) {
        char keywords[256] = "";
        for (int i = 0; i < AST_N_KEYWORDS; i++) {
            size_t used = strlen(keywords);
            snprintf(keywords + used, sizeof keywords - used, "%s%s", i ? ", " : "",
                     ast_keyword(i));
        }
        diag_error(ctx->diag, *loc, "expected a statement (%s), found %s", keywords, what);
    } else if (found == YYSYMBOL_EQUALS) {
        diag_error(ctx->diag, *loc, "unexpected '='; options are written key=value, "
                   "e.g. 'k=3'");
    } else if (wants_value) {
        diag_error(ctx->diag, *loc, "expected a value after '=' (a number, dimensions "
                   "such as 3x3, or a word), found %s", what);
    } else if (n <= 0 || n > MAX_LISTED) {
        diag_error(ctx->diag, *loc, "unexpected %s", what);
    } else {
        char list[256] = "";
        for (int i = 0; i < n; i++) {
            const char *sep = i == 0 ? "" : i == n - 1 ? " or " : ", ";
            size_t used = strlen(list);
            snprintf(list + used, sizeof list - used, "%s%s", sep, yysymbol_name(expected[i]));
        }
        diag_error(ctx->diag, *loc, "unexpected %s; expected %s", what, list);
    }
    return 0;
}
