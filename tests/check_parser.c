/* check_parser.c - statements, options and their spans; error recovery. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "front/syntax.h"

typedef struct {
    ast_spec *spec;
    char *messages;
    int n_errors;
} parsed;

static parsed parse(const char *text)
{
    parsed p;
    size_t size;
    p.messages = NULL;
    FILE *out = open_memstream(&p.messages, &size);
    ck_assert_ptr_nonnull(out);
    diag d;
    diag_init(&d, out, "t.spec", text, strlen(text));
    p.spec = parse_spec(text, strlen(text), &d);
    ck_assert_ptr_nonnull(p.spec);
    p.n_errors = d.n_errors;
    diag_flush(&d);
    fclose(out);
    return p;
}

static void parsed_free(parsed *p)
{
    ast_spec_free(p->spec);
    free(p->messages);
}

static const ast_stmt *stmt_at(const ast_spec *spec, int i)
{
    const ast_stmt *s = spec->first;
    while (s && i-- > 0)
        s = s->next;
    ck_assert_ptr_nonnull(s);
    return s;
}

START_TEST(one_line_form)
{
    parsed p = parse("input 28x28x1; conv 32 k=3 same relu; pool 2; flatten; dense 10 softmax");
    ck_assert_int_eq(p.n_errors, 0);
    ck_assert_int_eq(p.spec->n_stmts, 5);
    static const ast_stmt_kind kinds[] = { AST_INPUT, AST_LAYER, AST_LAYER, AST_LAYER, AST_LAYER };
    static const ir_kind layers[] = { 0, IR_CONV, IR_POOL, IR_FLATTEN, IR_DENSE };
    static const int n_items[] = { 1, 4, 1, 0, 2 };
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(stmt_at(p.spec, i)->kind, kinds[i]);
        if (kinds[i] == AST_LAYER)
            ck_assert_int_eq(stmt_at(p.spec, i)->layer, layers[i]);
        ck_assert_int_eq(stmt_at(p.spec, i)->n_items, n_items[i]);
    }
    parsed_free(&p);
}
END_TEST

START_TEST(options_and_spans)
{
    parsed p = parse("# header\n\nconv 32 k=3x5 stride=2 relu   # trailing\n");
    ck_assert_int_eq(p.n_errors, 0);
    ck_assert_int_eq(p.spec->n_stmts, 1);
    const ast_stmt *s = p.spec->first;
    ck_assert_int_eq(s->loc.line, 3);
    ck_assert_int_eq(s->loc.col, 1);
    /* The statement's span ends at its last token, not at the comment. */
    ck_assert_uint_eq(s->loc.end - s->loc.offset, strlen("conv 32 k=3x5 stride=2 relu"));
    const ast_item *it = s->items;
    ck_assert_ptr_null(it->key);
    ck_assert_int_eq(it->value->kind, AST_INT);
    ck_assert_int_eq(it->value->num, 32);
    it = it->next;
    ck_assert_str_eq(it->key->text, "k");
    ck_assert_int_eq(it->value->kind, AST_DIMS);
    ck_assert_int_eq(it->loc.col, 9);
    ck_assert_uint_eq(it->loc.end - it->loc.offset, 5);    /* "k=3x5" */
    it = it->next;
    ck_assert_str_eq(it->key->text, "stride");
    ck_assert_int_eq(it->value->num, 2);
    it = it->next;
    ck_assert_ptr_null(it->key);
    ck_assert_int_eq(it->value->kind, AST_WORD);
    ck_assert_str_eq(it->value->text, "relu");
    ck_assert_ptr_null(it->next);
    parsed_free(&p);
}
END_TEST

START_TEST(keywords_inside_a_statement_are_words)
{
    parsed p = parse("model dense\nfoo 3 bar=baz\n");
    ck_assert_int_eq(p.n_errors, 0);
    const ast_stmt *model = stmt_at(p.spec, 0);
    ck_assert_int_eq(model->kind, AST_MODEL);
    ck_assert_str_eq(model->items->value->text, "dense");
    const ast_stmt *unknown = stmt_at(p.spec, 1);
    ck_assert_int_eq(unknown->kind, AST_UNKNOWN);
    ck_assert_str_eq(unknown->head->text, "foo");
    ck_assert_str_eq(unknown->items->next->value->text, "baz");
    parsed_free(&p);
}
END_TEST

START_TEST(empty_and_blank)
{
    parsed p = parse("");
    ck_assert_int_eq(p.n_errors, 0);
    ck_assert_int_eq(p.spec->n_stmts, 0);
    parsed_free(&p);
    p = parse("\n\n;;  # only comments\n\t\n");
    ck_assert_int_eq(p.n_errors, 0);
    ck_assert_int_eq(p.spec->n_stmts, 0);
    parsed_free(&p);
}
END_TEST

START_TEST(recovers_at_each_statement)
{
    parsed p = parse("input 28x28x1\nconv 32 k=\nconv = 3\npool 2 * 3\nflatten; dense 10 = ; dense 10\n");
    ck_assert_int_eq(p.n_errors, 4);
    /* Every statement without an error is kept. */
    ck_assert_int_eq(p.spec->n_stmts, 3);
    ck_assert_int_eq(stmt_at(p.spec, 0)->kind, AST_INPUT);
    ck_assert_int_eq(stmt_at(p.spec, 1)->kind, AST_LAYER);
    ck_assert_int_eq(stmt_at(p.spec, 1)->layer, IR_FLATTEN);
    ck_assert_int_eq(stmt_at(p.spec, 2)->kind, AST_LAYER);
    ck_assert_int_eq(stmt_at(p.spec, 2)->layer, IR_DENSE);
    ck_assert_ptr_nonnull(strstr(p.messages, "t.spec:2:11: error: expected a value after '='"));
    ck_assert_ptr_nonnull(strstr(p.messages, "t.spec:3:6: error: unexpected '='; options are "
                                 "written key=value, e.g. 'k=3'\n"));
    ck_assert_ptr_nonnull(strstr(p.messages, "t.spec:4:8: error: stray '*'\n"));
    ck_assert_ptr_nonnull(strstr(p.messages, "t.spec:5:19: error: unexpected '='"));
    parsed_free(&p);
}
END_TEST

START_TEST(statement_must_start_with_a_word)
{
    parsed p = parse("32 conv\n");
    ck_assert_int_eq(p.n_errors, 1);
    ck_assert_str_eq(p.messages, "t.spec:1:1: error: expected a statement (model, input, conv, "
                     "pool, flatten, dense, dropout, batchnorm, dwconv, add, concat), found '32'\n 32 conv\n ^~\n");
    parsed_free(&p);
}
END_TEST

START_TEST(caret_under_utf8_and_tabs)
{
    /* A comment with UTF-8 before the error on the next line does not shift
       the caret; a tab in the line is copied into the caret line. */
    parsed p = parse("# café\n\tpool 2 * 3\n");
    ck_assert_int_eq(p.n_errors, 1);
    ck_assert_str_eq(p.messages, "t.spec:2:9: error: stray '*'\n \tpool 2 * 3\n \t       ^\n");
    parsed_free(&p);
}
END_TEST

START_TEST(error_limit)
{
    char text[4096] = "";
    for (int i = 0; i < DIAG_MAX_ERRORS + 5; i++)
        strcat(text, "dense 1 *\n");
    parsed p = parse(text);
    ck_assert_int_eq(p.n_errors, DIAG_MAX_ERRORS + 5);
    ck_assert_ptr_nonnull(strstr(p.messages, "t.spec: note: 5 more errors not shown\n"));
    parsed_free(&p);
}
END_TEST

START_TEST(long_lines_are_not_quoted)
{
    char *text = malloc(DIAG_MAX_QUOTE + 64);
    memset(text, ' ', DIAG_MAX_QUOTE + 10);
    strcpy(text + DIAG_MAX_QUOTE + 10, "* 3\n");
    parsed p = parse(text);
    ck_assert_int_eq(p.n_errors, 1);
    char expected[64];
    snprintf(expected, sizeof expected, "t.spec:1:%d: error: stray '*'\n", DIAG_MAX_QUOTE + 11);
    ck_assert_str_eq(p.messages, expected);
    parsed_free(&p);
    free(text);
}
END_TEST

static Suite *parser_suite(void)
{
    Suite *s = suite_create("parser");
    TCase *core = tcase_create("core");
    tcase_add_test(core, one_line_form);
    tcase_add_test(core, options_and_spans);
    tcase_add_test(core, keywords_inside_a_statement_are_words);
    tcase_add_test(core, empty_and_blank);
    suite_add_tcase(s, core);
    TCase *errors = tcase_create("errors");
    tcase_add_test(errors, recovers_at_each_statement);
    tcase_add_test(errors, statement_must_start_with_a_word);
    tcase_add_test(errors, caret_under_utf8_and_tabs);
    tcase_add_test(errors, error_limit);
    tcase_add_test(errors, long_lines_are_not_quoted);
    suite_add_tcase(s, errors);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(parser_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
