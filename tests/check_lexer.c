/* check_lexer.c - tokens, their values and spans, and lexical errors. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "parser.h"
#include "front/syntax.h"

typedef struct {
    char *messages;
    size_t size;
    FILE *out;
    diag d;
    lexer *lx;
} lex_fixture;

static void lex_open(lex_fixture *f, const char *text, size_t len)
{
    f->messages = NULL;
    f->out = open_memstream(&f->messages, &f->size);
    ck_assert_ptr_nonnull(f->out);
    diag_init(&f->d, f->out, "t.spec", text, len);
    f->lx = lexer_new(text, len, &f->d);
    ck_assert_ptr_nonnull(f->lx);
}

/* Next token kind; checks its text when `text` is not NULL. */
static int next(lex_fixture *f, const char *text, src_loc *loc_out)
{
    ast_value *v;
    src_loc loc;
    int kind = lexer_next(f->lx, &v, &loc);
    if (text) {
        ck_assert_ptr_nonnull(v);
        ck_assert_str_eq(v->text, text);
    }
    if (loc_out)
        *loc_out = loc;
    ast_value_free(v);
    return kind;
}

/* Closes the fixture and returns the messages printed (caller frees). */
static char *lex_close(lex_fixture *f)
{
    lexer_free(f->lx);
    diag_flush(&f->d);
    fclose(f->out);
    return f->messages;
}

START_TEST(statement_tokens)
{
    lex_fixture f;
    const char *text = "conv 32 k=3x5 same relu\n";
    lex_open(&f, text, strlen(text));
    ck_assert_int_eq(next(&f, "conv", NULL), TOK_KEYWORD);
    ck_assert_int_eq(next(&f, "32", NULL), TOK_INT);
    ck_assert_int_eq(next(&f, "k", NULL), TOK_NAME);
    ck_assert_int_eq(next(&f, NULL, NULL), TOK_EQUALS);
    ck_assert_int_eq(next(&f, "3x5", NULL), TOK_DIMS);
    ck_assert_int_eq(next(&f, "same", NULL), TOK_NAME);
    ck_assert_int_eq(next(&f, "relu", NULL), TOK_NAME);
    ck_assert_int_eq(next(&f, NULL, NULL), TOK_NEWLINE);
    ck_assert_int_eq(next(&f, NULL, NULL), TOK_END);
    free(lex_close(&f));
}
END_TEST

START_TEST(every_keyword)
{
    static const char *const words[] = { "model", "input", "conv", "pool", "flatten",
                                          "dense", "dropout" };
    for (int i = 0; i < 7; i++) {
        lex_fixture f;
        lex_open(&f, words[i], strlen(words[i]));
        ck_assert_int_eq(next(&f, words[i], NULL), TOK_KEYWORD);
        free(lex_close(&f));
    }
    /* Every statement keyword of the tables, layer kinds included. */
    for (int i = 0; i < AST_N_KEYWORDS; i++) {
        lex_fixture f;
        lex_open(&f, ast_keyword(i), strlen(ast_keyword(i)));
        ck_assert_int_eq(next(&f, ast_keyword(i), NULL), TOK_KEYWORD);
        free(lex_close(&f));
    }
    /* A longer word is a name, whatever it starts with. */
    lex_fixture f;
    lex_open(&f, "models convs Conv _x", 20);
    ck_assert_int_eq(next(&f, "models", NULL), TOK_NAME);
    ck_assert_int_eq(next(&f, "convs", NULL), TOK_NAME);
    ck_assert_int_eq(next(&f, "Conv", NULL), TOK_NAME);
    ck_assert_int_eq(next(&f, "_x", NULL), TOK_NAME);
    free(lex_close(&f));
}
END_TEST

START_TEST(locations)
{
    lex_fixture f;
    const char *text = "input 28x28x1\n  dense  10\n";
    lex_open(&f, text, strlen(text));
    src_loc loc;
    next(&f, "input", &loc);
    ck_assert_int_eq(loc.line, 1);
    ck_assert_int_eq(loc.col, 1);
    next(&f, "28x28x1", &loc);
    ck_assert_int_eq(loc.col, 7);
    ck_assert_uint_eq(loc.offset, 6);
    ck_assert_uint_eq(loc.end, 13);
    ck_assert_int_eq(next(&f, NULL, &loc), TOK_NEWLINE);
    ck_assert_int_eq(loc.col, 14);
    next(&f, "dense", &loc);
    ck_assert_int_eq(loc.line, 2);
    ck_assert_int_eq(loc.col, 3);
    next(&f, "10", &loc);
    ck_assert_int_eq(loc.line, 2);
    ck_assert_int_eq(loc.col, 10);
    ck_assert_uint_eq(loc.end - loc.offset, 2);
    free(lex_close(&f));
}
END_TEST

START_TEST(separators_and_comments)
{
    lex_fixture f;
    const char *text = "flatten; # a comment; with ; inside\r\ndense 10 # café\n";
    lex_open(&f, text, strlen(text));
    ck_assert_int_eq(next(&f, "flatten", NULL), TOK_KEYWORD);
    ck_assert_int_eq(next(&f, NULL, NULL), TOK_SEMI);
    ck_assert_int_eq(next(&f, NULL, NULL), TOK_NEWLINE);
    src_loc loc;
    ck_assert_int_eq(next(&f, "dense", &loc), TOK_KEYWORD);
    ck_assert_int_eq(loc.line, 2);
    ck_assert_int_eq(next(&f, "10", NULL), TOK_INT);
    ck_assert_int_eq(next(&f, NULL, NULL), TOK_NEWLINE);
    ck_assert_int_eq(next(&f, NULL, NULL), TOK_END);
    char *messages = lex_close(&f);
    ck_assert_str_eq(messages, "");
    free(messages);
}
END_TEST

START_TEST(end_of_file_ends_the_statement)
{
    lex_fixture f;
    lex_open(&f, "dense 10", 8);
    next(&f, "dense", NULL);
    next(&f, "10", NULL);
    src_loc loc;
    ck_assert_int_eq(next(&f, NULL, &loc), TOK_NEWLINE);
    ck_assert_uint_eq(loc.offset, 8);
    ck_assert_uint_eq(loc.end, 8);
    ck_assert_int_eq(next(&f, NULL, NULL), TOK_END);
    free(lex_close(&f));

    lex_open(&f, "dense 10;", 9);       /* already ended */
    next(&f, "dense", NULL);
    next(&f, "10", NULL);
    ck_assert_int_eq(next(&f, NULL, NULL), TOK_SEMI);
    ck_assert_int_eq(next(&f, NULL, NULL), TOK_END);
    free(lex_close(&f));
}
END_TEST

START_TEST(number_values)
{
    lex_fixture f;
    const char *text = "0.5 .25 1e-3 -7 12 28x28x1 1x2x3x4x5 99999999999999999999";
    lex_open(&f, text, strlen(text));
    ast_value *v;
    src_loc loc;
    ck_assert_int_eq(lexer_next(f.lx, &v, &loc), TOK_REAL);
    ck_assert_double_eq_tol(v->real, 0.5, 1e-12);
    ast_value_free(v);
    ck_assert_int_eq(lexer_next(f.lx, &v, &loc), TOK_REAL);
    ck_assert_double_eq_tol(v->real, 0.25, 1e-12);
    ast_value_free(v);
    ck_assert_int_eq(lexer_next(f.lx, &v, &loc), TOK_REAL);
    ck_assert_double_eq_tol(v->real, 1e-3, 1e-15);
    ast_value_free(v);
    ck_assert_int_eq(lexer_next(f.lx, &v, &loc), TOK_INT);
    ck_assert_int_eq(v->num, -7);
    ast_value_free(v);
    ck_assert_int_eq(lexer_next(f.lx, &v, &loc), TOK_INT);
    ck_assert_int_eq(v->num, 12);
    ck_assert(!v->overflow);
    ast_value_free(v);
    ck_assert_int_eq(lexer_next(f.lx, &v, &loc), TOK_DIMS);
    ck_assert_int_eq(v->n_dims, 3);
    ck_assert_int_eq(v->dims[0], 28);
    ck_assert_int_eq(v->dims[1], 28);
    ck_assert_int_eq(v->dims[2], 1);
    ast_value_free(v);
    ck_assert_int_eq(lexer_next(f.lx, &v, &loc), TOK_DIMS);
    ck_assert_int_eq(v->n_dims, 5);         /* counted past AST_MAX_DIMS */
    ck_assert_int_eq(v->dims[3], 4);
    ast_value_free(v);
    ck_assert_int_eq(lexer_next(f.lx, &v, &loc), TOK_INT);
    ck_assert(v->overflow);
    ck_assert_int_eq(v->num, INT64_MAX);
    ast_value_free(v);
    free(lex_close(&f));
}
END_TEST

/* Lexes `text` to the end; returns the messages and the number of
 * TOK_SPEC_error tokens. */
static char *lex_errors(const char *text, size_t len, int *n_bad)
{
    lex_fixture f;
    lex_open(&f, text, len);
    int kind;
    *n_bad = 0;
    while ((kind = next(&f, NULL, NULL)) != TOK_END)
        *n_bad += kind == TOK_SPEC_error;
    return lex_close(&f);
}

START_TEST(lexical_errors)
{
    int bad;
    char *m = lex_errors("pool 2 * 3", 10, &bad);
    ck_assert_int_eq(bad, 1);
    ck_assert_str_eq(m, "t.spec:1:8: error: stray '*'\n pool 2 * 3\n        ^\n");
    free(m);

    m = lex_errors("dense 12abc 3k 1.2.3", 20, &bad);
    ck_assert_int_eq(bad, 3);
    ck_assert_ptr_nonnull(strstr(m, "1:7: error: malformed number '12abc'"));
    ck_assert_ptr_nonnull(strstr(m, "1:13: error: malformed number '3k'"));
    ck_assert_ptr_nonnull(strstr(m, "1:16: error: malformed number '1.2.3'"));
    free(m);

    m = lex_errors("a\001b", 3, &bad);
    ck_assert_int_eq(bad, 1);
    ck_assert_ptr_nonnull(strstr(m, "1:2: error: stray control character 0x01"));
    free(m);

    m = lex_errors("a\0b", 3, &bad);
    ck_assert_int_eq(bad, 1);
    ck_assert_ptr_nonnull(strstr(m, "1:2: error: NUL byte in spec"));
    free(m);

    m = lex_errors("s\xc3\xb3 x", 5, &bad);
    ck_assert_int_eq(bad, 1);
    ck_assert_ptr_nonnull(strstr(m, "1:2: error: non-ASCII text outside a comment"));
    free(m);
}
END_TEST

START_TEST(token_length_limit)
{
    char text[LEX_MAX_TOKEN + 2];
    memset(text, 'a', sizeof text);
    int bad;
    char *m = lex_errors(text, LEX_MAX_TOKEN, &bad);     /* exactly the limit */
    ck_assert_int_eq(bad, 0);
    ck_assert_str_eq(m, "");
    free(m);
    m = lex_errors(text, LEX_MAX_TOKEN + 1, &bad);
    ck_assert_int_eq(bad, 1);
    ck_assert_ptr_nonnull(strstr(m, "error: token is too long (257 bytes; the limit is 256)"));
    free(m);
}
END_TEST

static Suite *lexer_suite(void)
{
    Suite *s = suite_create("lexer");
    TCase *core = tcase_create("core");
    tcase_add_test(core, statement_tokens);
    tcase_add_test(core, every_keyword);
    tcase_add_test(core, locations);
    tcase_add_test(core, separators_and_comments);
    tcase_add_test(core, end_of_file_ends_the_statement);
    tcase_add_test(core, number_values);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_add_test(limits, lexical_errors);
    tcase_add_test(limits, token_length_limit);
    suite_add_tcase(s, limits);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(lexer_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
