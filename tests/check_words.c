/* check_words.c - the words of the spec language come from one table each
 * (ir.h, ast.h, front/layers.h), and every one of them is documented in
 * docs/spec-language.md and listed in the fuzzing dictionary, so a new
 * word cannot be added without both.  Run from the repository's root. */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "front/ast.h"
#include "front/layers.h"
#include "ir.h"

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s (run from the repository's root)", path);
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    int c;
    while ((c = getc(f)) != EOF)
        putc(c, out);
    fclose(f);
    fclose(out);
    return text;
}

/* Calls check(word) for every word of the language. */
static void each_word(void (*check)(const char *word, const char *text), const char *text)
{
    for (int i = 0; i < AST_N_KEYWORDS; i++)
        check(ast_keyword(i), text);
    for (int i = 0; i < IR_N_ACTIVATIONS; i++)
        check(ir_activation_names[i], text);
    for (int i = 0; i < IR_N_POOL_KINDS; i++)
        check(ir_pool_kind_names[i], text);
    for (int i = 0; i < IR_N_PADDINGS; i++)
        check(ir_padding_names[i], text);
    check(LAYER_KEY_KERNEL, text);
    check(LAYER_KEY_STRIDE, text);
    check(LAYER_KEY_MULT, text);
    check(LAYER_WORD_GLOBAL, text);
    check(LAYER_WORD_AS, text);
    check(LAYER_WORD_FROM, text);
}

static bool is_key(const char *word)
{
    return strcmp(word, LAYER_KEY_KERNEL) == 0 || strcmp(word, LAYER_KEY_STRIDE) == 0 ||
           strcmp(word, LAYER_KEY_MULT) == 0;
}

/* In the docs as code: `relu`, `k=`. */
static void documented(const char *word, const char *text)
{
    char quoted[64];
    snprintf(quoted, sizeof quoted, "`%s%s`", word, is_key(word) ? "=" : "");
    ck_assert_msg(strstr(text, quoted) != NULL,
                  "docs/spec-language.md does not mention %s", quoted);
}

/* In the dictionary: "relu" (options with their '='). */
static void in_dictionary(const char *word, const char *text)
{
    char entry[64];
    snprintf(entry, sizeof entry, "\n\"%s%s\"\n", word, is_key(word) ? "=" : "");
    ck_assert_msg(strstr(text, entry) != NULL, "tests/fuzz/spec.dict lacks %s", entry);
}

START_TEST(every_word_is_documented)
{
    char *text = read_text("docs/spec-language.md");
    each_word(documented, text);
    free(text);
}
END_TEST

START_TEST(every_word_is_in_the_fuzz_dictionary)
{
    char *text = read_text("tests/fuzz/spec.dict");
    each_word(in_dictionary, text);
    free(text);
}
END_TEST

/* Every layer kind has a complete descriptor, and its keyword is a
 * statement keyword. */
START_TEST(every_kind_has_a_descriptor)
{
    for (int k = 0; k < IR_N_KINDS; k++) {
        const layer_desc *ld = layer_descs[k];
        ck_assert_ptr_nonnull(ld);
        ck_assert_ptr_nonnull(ld->usage);
        ck_assert_ptr_nonnull(ld->shape);
        ck_assert_ptr_nonnull(ld->canonical);
        ck_assert_ptr_nonnull(ld->summary);
        ck_assert_msg(strncmp(ld->usage, ir_kind_names[k], strlen(ir_kind_names[k])) == 0,
                      "the usage of %s starts with its keyword", ir_kind_names[k]);
        ck_assert_msg(ld->number == LAYER_NUMBER_NONE || ld->number_what,
                      "%s: the bare number has a name for messages", ir_kind_names[k]);
        ck_assert_msg(!(ld->kernel || ld->number == LAYER_NUMBER_WINDOW) || ld->window_what,
                      "%s: a window has a name for messages", ir_kind_names[k]);
        ir_kind layer = (ir_kind)IR_N_KINDS;
        ck_assert_int_eq(ast_stmt_kind_of(ir_kind_names[k], &layer), AST_LAYER);
        ck_assert_int_eq(layer, k);
    }
    ck_assert_int_eq(ast_stmt_kind_of("model", NULL), AST_MODEL);
    ck_assert_int_eq(ast_stmt_kind_of("input", NULL), AST_INPUT);
    ck_assert_int_eq(ast_stmt_kind_of("relu", NULL), AST_UNKNOWN);
}
END_TEST

static Suite *words_suite(void)
{
    Suite *s = suite_create("words");
    TCase *core = tcase_create("core");
    tcase_add_test(core, every_word_is_documented);
    tcase_add_test(core, every_word_is_in_the_fuzz_dictionary);
    tcase_add_test(core, every_kind_has_a_descriptor);
    suite_add_tcase(s, core);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(words_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
