/* check_experiment.c - experiment specs: template expansion, variant names,
 * the YAML schema (good files, and bad ones with their messages), the front
 * end's view of the seed's models, stamps and the manifest. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "experiment/experiment.h"
#include "base/json.h"

/* Messages printed by the code under test, collected in memory. */
static char *diag_buf;
static size_t diag_len;
static FILE *diag;

static void open_diag(void)
{
    diag = open_memstream(&diag_buf, &diag_len);
    ck_assert_ptr_nonnull(diag);
}

static const char *diag_text(void)
{
    fflush(diag);
    return diag_buf;
}

static void close_diag(void)
{
    fclose(diag);
    free(diag_buf);
    diag_buf = NULL;
}

/* ---- templates ---------------------------------------------------------------- */

START_TEST(expand_replaces_every_placeholder)
{
    exp_binding vars[] = {{"k", "3"}, {"p", "same"}, {"unused", "x"}};
    int used[3];
    size_t len;
    const char *t = "conv 32 k=${k} ${p} relu\nconv 64 k=${k} ${p}\n";
    char *out = template_expand("t", t, strlen(t), vars, 3, &len, used, NULL);
    ck_assert_ptr_nonnull(out);
    ck_assert_str_eq(out, "conv 32 k=3 same relu\nconv 64 k=3 same\n");
    ck_assert_uint_eq(len, strlen(out));
    ck_assert_int_eq(used[0], 1);
    ck_assert_int_eq(used[1], 1);
    ck_assert_int_eq(used[2], 0);
    free(out);
}
END_TEST

START_TEST(expand_dollar_escape_and_lone_dollar)
{
    size_t len;
    const char *t = "a $$ b $5 $${k}";
    char *out = template_expand("t", t, strlen(t), NULL, 0, &len, NULL, NULL);
    ck_assert_ptr_nonnull(out);
    ck_assert_str_eq(out, "a $ b $5 ${k}");
    free(out);
}
END_TEST

START_TEST(expand_missing_value_names_line_and_column)
{
    open_diag();
    exp_binding vars[] = {{"k", "3"}};
    const char *t = "input 28x28x1\n  conv 4 k=${k} ${pad}\n";
    char *out = template_expand("cnn.spec.in[k=3]", t, strlen(t), vars, 1, NULL, NULL, diag);
    ck_assert_ptr_null(out);
    ck_assert_str_eq(diag_text(), "cnn.spec.in[k=3]:2:17: error: placeholder '${pad}' has no "
                     "value: give it one with 'set:' or 'vary:' in the experiment\n"
                     "   conv 4 k=${k} ${pad}\n"
                     "                 ^~~~~~\n");
    close_diag();
}
END_TEST

START_TEST(expand_malformed_placeholders)
{
    static const char *const bad[] = {"${", "${k", "${}", "${1k}", "${k-1}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        open_diag();
        exp_binding vars[] = {{"k", "3"}};
        char *out = template_expand("t", bad[i], strlen(bad[i]), vars, 1, NULL, NULL, diag);
        ck_assert_msg(out == NULL, "'%s' was accepted", bad[i]);
        ck_assert_ptr_nonnull(strstr(diag_text(), "t:1:1: error: malformed placeholder"));
        close_diag();
    }
}
END_TEST

START_TEST(variant_names)
{
    exp_binding k3[] = {{"k", "3"}};
    char *n = variant_default_name("specs/templates/cnn.spec.in", k3, 1);
    ck_assert_str_eq(n, "cnn_k3");
    free(n);
    exp_binding two[] = {{"k", "5"}, {"padding", "same-ish"}};
    n = variant_default_name("cnn.in", two, 2);
    ck_assert_str_eq(n, "cnn_k5_paddingsame_ish");
    free(n);
    n = variant_default_name("specs/baseline.spec", NULL, 0);
    ck_assert_str_eq(n, "baseline");
    free(n);
    n = variant_display_path("specs/templates/cnn.spec.in", two, 2);
    ck_assert_str_eq(n, "specs/templates/cnn.spec.in[k=5,padding=same-ish]");
    free(n);
    n = variant_display_path("specs/baseline.spec", NULL, 0);
    ck_assert_str_eq(n, "specs/baseline.spec");
    free(n);
    ck_assert(is_identifier("cnn_k3"));
    ck_assert(!is_identifier("3cnn"));
    ck_assert(!is_identifier("cnn-k3"));
    ck_assert(!is_identifier(""));
}
END_TEST

START_TEST(did_you_mean)
{
    static const char *const keys[] = {"optimizer", "lr", "batch", "epochs", "seed"};
    ck_assert_str_eq(closest_word("epoch", keys, 5), "epochs");
    ck_assert_str_eq(closest_word("optimiser", keys, 5), "optimizer");
    ck_assert_str_eq(closest_word("bacth", keys, 5), "batch");
    ck_assert_ptr_null(closest_word("momentum", keys, 5));
}
END_TEST

/* ---- the schema ------------------------------------------------------------------- */

START_TEST(every_key_of_the_schema)
{
    open_diag();
    experiment x;
    int errors = experiment_parse_file("tests/experiments/good_full.yaml", &x, diag);
    ck_assert_msg(errors == 0, "%s", diag_text());
    ck_assert_str_eq(x.name, "full");
    ck_assert_str_eq(x.title, "All keys");
    ck_assert_str_eq(x.description, "Every key once.");
    ck_assert_str_eq(x.data, "fashion-mnist");
    ck_assert_str_eq(x.data_dir, "/tmp/nowhere");
    ck_assert_int_eq(x.limit_train, 100);
    ck_assert_int_eq(x.limit_test, 50);
    ck_assert_str_eq(x.optimizer, "sgd");
    ck_assert_double_eq_tol(x.lr, 0.01, 1e-12);
    ck_assert_int_eq(x.batch, 16);
    ck_assert_int_eq(x.epochs, 2);
    ck_assert_int_eq(x.threads, 2);
    ck_assert_double_eq_tol(x.val_split, 0.1, 1e-12);
    ck_assert_int_eq(x.n_seeds, 2);     /* seeds: replaces train.seed */
    ck_assert_int_eq(x.seeds[0], 4);
    ck_assert_int_eq(x.seeds[1], 5);
    ck_assert_str_eq(x.factor_title, "Kernel");
    ck_assert_int_eq(x.n_variants, 3);
    ck_assert_str_eq(x.variants[0].name, "tiny_dense");
    ck_assert_str_eq(x.variants[0].label, "tiny_dense");
    ck_assert_ptr_null(x.variants[0].factor);
    ck_assert_str_eq(x.variants[1].name, "c_3_x");
    ck_assert_str_eq(x.variants[1].label, "CNN");
    ck_assert_str_eq(x.variants[1].factor, "k3/x");
    ck_assert_str_eq(x.variants[1].display_path, "tests/experiments/tiny_cnn.spec.in[k=3]");
    ck_assert_str_eq(x.variants[2].name, "c_5_x");
    ck_assert_ptr_nonnull(strstr(x.variants[2].text, "model c_5_x\n"));
    ck_assert_ptr_nonnull(strstr(x.variants[2].text, "conv 4 k=5 same relu\n"));
    ck_assert_int_eq(x.variants[2].yaml_line, 11);
    ck_assert_int_eq(x.variants[2].yaml_col, 5);
    ck_assert(x.variants[1].text_hash != x.variants[2].text_hash);
    experiment_free(&x);
    close_diag();
}
END_TEST

START_TEST(defaults_follow_the_seed_protocol)
{
    open_diag();
    const char *y = "name: d\nmodels:\n  - spec: tests/experiments/tiny_dense.spec\n";
    experiment x;
    ck_assert_int_eq(experiment_parse_text("d.yaml", y, strlen(y), &x, diag), 0);
    ck_assert_str_eq(x.optimizer, "adam");
    ck_assert_double_eq_tol(x.lr, 0.001, 1e-12);
    ck_assert_int_eq(x.batch, 32);
    ck_assert_int_eq(x.epochs, 10);
    ck_assert_int_eq(x.n_seeds, 1);
    ck_assert_int_eq(x.seeds[0], 1);
    ck_assert_str_eq(x.data, "fashion-mnist");
    ck_assert_ptr_null(x.data_dir);
    ck_assert_ptr_null(x.factor_title);
    ck_assert_str_eq(x.title, "d");
    experiment_free(&x);
    close_diag();
}
END_TEST

START_TEST(the_seed_experiment_expands_to_its_four_models)
{
    open_diag();
    experiment x;
    int errors = experiment_parse_file("specs/kernel_size.yaml", &x, diag);
    ck_assert_msg(errors == 0, "%s", diag_text());
    ck_assert_int_eq(x.n_variants, 4);
    static const char *const names[] = {"baseline", "cnn_k3", "cnn_k5", "cnn_k7"};
    static const char *const factors[] = {NULL, "3×3", "5×5", "7×7"};
    /* The seed's results table lists these parameter counts. */
    static const int64_t params[] = {101770, 220234, 253514, 303434};
    ck_assert_int_eq(experiment_check(&x, diag), 0);
    for (int i = 0; i < 4; i++) {
        ck_assert_str_eq(x.variants[i].name, names[i]);
        if (factors[i])
            ck_assert_str_eq(x.variants[i].factor, factors[i]);
        else
            ck_assert_ptr_null(x.variants[i].factor);
        ck_assert_int_eq(x.variants[i].params, params[i]);
        ck_assert_int_eq(x.variants[i].n_conv, i == 0 ? 0 : 2);
    }
    ck_assert_int_eq(x.epochs, 10);
    ck_assert_int_eq(x.batch, 32);
    ck_assert_str_eq(x.optimizer, "adam");
    experiment_free(&x);
    close_diag();
}
END_TEST

/* Every shipped experiment parses and every variant passes the front end. */
START_TEST(every_shipped_experiment_checks)
{
    static const char *const files[] = {"specs/kernel_size.yaml", "specs/padding.yaml",
                                        "specs/pooling.yaml", "specs/depth.yaml",
                                        "specs/head.yaml", "specs/separable.yaml"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        open_diag();
        experiment x;
        int errors = experiment_parse_file(files[i], &x, diag);
        if (errors == 0)
            errors = experiment_check(&x, diag);
        ck_assert_msg(errors == 0, "%s: %s", files[i], diag_text());
        ck_assert_int_ge(x.n_variants, 3);
        ck_assert_int_eq(x.variants[0].n_conv, 0);     /* each starts with the baseline */
        experiment_free(&x);
        close_diag();
    }
}
END_TEST

typedef struct {
    const char *yaml, *message;
} bad_case;

START_TEST(bad_documents_name_the_place)
{
    static const bad_case cases[] = {
        {"name: a\nmodels: 3\n", "x.yaml:2:9: error: 'models' must be a list of models, got a number"},
        {"name: a\nmodels:\n  - 5\n", "x.yaml:3:5: error: a model must be a mapping"},
        {"name: a\nmodels:\n  - {label: x}\n", "x.yaml:3:5: error: a model needs 'spec: FILE'"},
        {"name: a\ntrain: {lr: \"0.1\"}\nmodels: []\n", "x.yaml:2:13: error: 'train.lr' must be a number, got '0.1'"},
        {"name: a\ntrain: {threads: 999}\nmodels: []\n", "'train.threads' must be from 0 to 256, got 999"},
        {"name: a\ntrain: {workers: 65}\nmodels: []\n", "x.yaml:2:18: error: 'train.workers' must be an integer from 1 to 64, got '65'"},
        {"name: a\ntrain: 3\nmodels: []\n", "x.yaml:2:8: error: 'train' must be a mapping"},
        {"name: a\nname: b\nmodels: []\n", "x.yaml:2:1: error: duplicate key 'name' in the experiment (first at line 1)"},
        {"name: a\nseeds: []\nmodels: []\n", "'seeds' is empty"},
        {"name: a\nfactor: {titel: x}\nmodels: []\n", "unknown key 'titel' in 'factor'; did you mean 'title'?"},
        {"name: a\nmodels:\n  - spec: tests/experiments/tiny_cnn.spec.in\n    vary: {k: [3, [5]]}\n",
         "x.yaml:4:19: error: 'a vary value' must be a single value, got a list"},
        {"name: a\nmodels:\n  - spec: tests/experiments/tiny_cnn.spec.in\n    vary: {name: [3]}\n",
         "'${name}' is built in"},
        {"name: a\nmodels:\n  - spec: tests/experiments/tiny_cnn.spec.in\n    set: {k: 3}\n    vary: {k: [5]}\n",
         "variable 'k' is given twice"},
        {"name: a\nmodels:\n  - spec: tests/experiments/tiny_dense.spec\n    name: 9lives\n",
         "x.yaml:4:11: error: model name '9lives' is not a C identifier"},
        {"name: a\nmodels:\n  - spec: tests/experiments/tiny_cnn.spec.in\n    name: c_${q}\n    vary: {k: [3]}\n",
         "name 'c_${q}' uses a variable that this model does not set"},
        {"name: a\nmodels: [\n", "x.yaml:3:1: error: did not find expected node content"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        open_diag();
        experiment x;
        int errors = experiment_parse_text("x.yaml", cases[i].yaml, strlen(cases[i].yaml), &x, diag);
        ck_assert_msg(errors > 0, "case %zu was accepted", i);
        ck_assert_msg(strstr(diag_text(), cases[i].message) != NULL,
                      "case %zu: expected '%s' in:\n%s", i, cases[i].message, diag_text());
        experiment_free(&x);
        close_diag();
    }
}
END_TEST

/* ---- bounds on the YAML text ------------------------------------------------------------ */

/* Parses text built in memory and returns the messages (caller frees). */
static char *parse_messages(const char *text, size_t len, int *errors)
{
    open_diag();
    experiment x;
    *errors = experiment_parse_text("x.yaml", text, len, &x, diag);
    experiment_free(&x);
    char *copy = strdup(diag_text());
    close_diag();
    return copy;
}

static char *repeat(const char *head, const char *unit, size_t n, const char *tail)
{
    size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
    char *s = malloc(hl + ul * n + tl + 1);
    ck_assert_ptr_nonnull(s);
    memcpy(s, head, hl);
    for (size_t i = 0; i < n; i++)
        memcpy(s + hl + i * ul, unit, ul);
    memcpy(s + hl + ul * n, tail, tl + 1);
    return s;
}

START_TEST(deep_nesting_is_refused_before_libyaml)
{
    /* 100k levels kept libyaml busy for minutes: now the scan stops at 65. */
    char *open = repeat("name: a\nmodels: ", "[", 100000, "");
    char *text = repeat(open, "]", 100000, "\n");
    int errors;
    char *msg = parse_messages(text, strlen(text), &errors);
    ck_assert_int_eq(errors, 1);
    ck_assert_str_eq(msg, "x.yaml:2:72: error: nested more than 64 levels deep; an "
                     "experiment needs a few\n");
    free(msg), free(text), free(open);

    /* Block nesting on one line counts too. */
    text = repeat("name: a\nmodels:\n", "- ", 70, "x\n");
    msg = parse_messages(text, strlen(text), &errors);
    ck_assert_int_eq(errors, 1);
    ck_assert_msg(strstr(msg, "x.yaml:3:129: error: nested more than 64 levels deep"), "%s", msg);
    free(msg), free(text);
}
END_TEST

START_TEST(brackets_in_text_are_not_nesting)
{
    char *deep = repeat("", "[{", 40, "");
    char yaml[2048];
    snprintf(yaml, sizeof yaml, "# %s\nname: a\ntitle: '%s'\ndescription: |\n  %s\n  more\n"
             "factor: {title: \"%s\"}\nmodels:\n  - spec: tests/experiments/tiny_dense.spec\n"
             "    label: Dense\n", deep, deep, deep, deep);
    int errors;
    char *msg = parse_messages(yaml, strlen(yaml), &errors);
    ck_assert_msg(errors == 0, "%s", msg);
    free(msg), free(deep);

    const char *ok = "name: a\ntitle: \"[[[[ x ]\"\ndescription: >\n  {{{{\n"
                     "models: [{spec: tests/experiments/tiny_dense.spec, label: 'it''s [ok'}]\n";
    msg = parse_messages(ok, strlen(ok), &errors);
    ck_assert_msg(errors == 0, "%s", msg);
    free(msg);
}
END_TEST

START_TEST(size_and_value_count_are_bounded)
{
    char *big = repeat("name: a\nmodels: []\n", "#", 1u << 20, "\n");
    int errors;
    char *msg = parse_messages(big, strlen(big), &errors);
    ck_assert_int_eq(errors, 1);
    ck_assert_str_eq(msg, "x.yaml: error: the text is larger than 1048576 bytes; an "
                     "experiment spec is a few dozen lines\n");
    free(msg), free(big);

    char *many = repeat("name: a\nmodels: []\nseeds: [", "1,", 260000, "1]\n");
    msg = parse_messages(many, strlen(many), &errors);
    ck_assert_int_eq(errors, 1);
    ck_assert_msg(strncmp(msg, "x.yaml:3:", 9) == 0 &&
                  strstr(msg, ": error: more than 250000 values in one file") != NULL, "%s", msg);
    free(msg), free(many);
}
END_TEST

START_TEST(repeated_errors_are_counted_not_printed)
{
    /* Each duplicate is found in constant time, and 10,005 of them make
     * five messages and a count. */
    char *text = repeat("name: a\nmodels: []\n", "seeds: [1]\n", 10006, "");
    int errors;
    char *msg = parse_messages(text, strlen(text), &errors);
    ck_assert_int_eq(errors, 1 + 10005);
    const char *note = "x.yaml: note: ... and 10,000 more errors like \"duplicate key 'seeds' "
                       "in the experiment (first at line 3)\"\n";
    ck_assert_ptr_nonnull(strstr(msg, note));
    int shown = 0;
    for (const char *p = msg; (p = strstr(p, "error: duplicate key")) != NULL; p++)
        shown++;
    ck_assert_int_eq(shown, 5);
    free(msg), free(text);
}
END_TEST

START_TEST(only_regular_files_are_read)
{
    static const char *const paths[] = {"/dev/zero", "tests/experiments"};
    static const char *const kinds[] = {"a character device", "a directory"};
    for (int i = 0; i < 2; i++) {
        open_diag();
        experiment x;
        ck_assert_int_eq(experiment_parse_file(paths[i], &x, diag), 1);
        char want[256];
        snprintf(want, sizeof want, "%s: error: a YAML file must be a regular file: %s is %s\n",
                 paths[i], paths[i], kinds[i]);
        ck_assert_str_eq(diag_text(), want);
        experiment_free(&x);
        close_diag();
    }
}
END_TEST

/* ---- stamps and the manifest ---------------------------------------------------------- */

START_TEST(stamps_change_with_every_setting)
{
    open_diag();
    experiment x;
    ck_assert_int_eq(experiment_parse_file("tests/experiments/tiny.yaml", &x, diag), 0);
    char *a = experiment_run_stamp(&x, &x.variants[0], 7);
    char *same = experiment_run_stamp(&x, &x.variants[0], 7);
    ck_assert_str_eq(a, same);
    char *seed = experiment_run_stamp(&x, &x.variants[0], 8);
    ck_assert_str_ne(a, seed);
    x.epochs++;
    char *epochs = experiment_run_stamp(&x, &x.variants[0], 7);
    ck_assert_str_ne(a, epochs);
    x.epochs--;
    x.limit_train = 0;
    char *limit = experiment_run_stamp(&x, &x.variants[0], 7);
    ck_assert_str_ne(a, limit);
    char *other = experiment_run_stamp(&x, &x.variants[1], 7);
    ck_assert_str_ne(a, other);
    free(a), free(same), free(seed), free(epochs), free(limit), free(other);
    experiment_free(&x);
    close_diag();
}
END_TEST

START_TEST(manifest_round_trip)
{
    open_diag();
    experiment x;
    ck_assert_int_eq(experiment_parse_file("tests/experiments/tiny.yaml", &x, diag), 0);
    ck_assert_int_eq(experiment_check(&x, diag), 0);
    x.n_runs = 2;
    x.runs = calloc(2, sizeof *x.runs);
    x.runs[0] = (exp_run){.variant = 0, .seed = 7, .status = EXP_RUN_DONE, .dir = "runs/a"};
    x.runs[1] = (exp_run){.variant = 1, .seed = 7, .status = EXP_RUN_FAILED, .dir = "runs/b",
                          .error = "training failed \"badly\""};
    x.variants[1].code_lines = 321;
    char path[] = "/tmp/check_experiment_manifest.XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_int_eq(experiment_write_manifest(&x, path, diag), 0);
    cv_error e;
    json_t *j = cv_json_load(path, &e);
    ck_assert_msg(j != NULL, "%s", e.msg);
    ck_assert_str_eq(json_string_value(json_object_get(j, "name")), "tiny");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "factor"), "title")), "Kernel Size");
    const json_t *models = json_object_get(j, "models");
    ck_assert_int_eq((int)json_array_size(models), 2);
    const json_t *cnn = json_array_get(models, 1);
    ck_assert_str_eq(json_string_value(json_object_get(cnn, "name")), "tiny_cnn_k3");
    ck_assert_str_eq(json_string_value(json_object_get(cnn, "factor")), "3×3");
    ck_assert_double_eq(cv_json_number(json_object_get(cnn, "params"), -1), (double)x.variants[1].params);
    ck_assert_double_eq(cv_json_number(json_object_get(cnn, "code_lines"), -1), 321);
    ck_assert_double_eq(cv_json_number(json_object_get(cnn, "conv_layers"), -1), 2);
    ck_assert_int_eq((int)json_array_size(json_object_get(cnn, "layers")), x.variants[1].n_layers);
    /* published: percent in the YAML, a fraction like eval.json's here */
    const json_t *pub = json_object_get(j, "published");
    ck_assert_str_eq(json_string_value(json_object_get(pub, "source")), "a made-up table for the test");
    ck_assert_str_eq(json_string_value(json_object_get(pub, "note")), "Labels 7 and 8 of that table are swapped.");
    const json_t *pubs = json_object_get(pub, "models");
    ck_assert_int_eq((int)json_array_size(pubs), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(pubs, 0), "model")), "tiny_dense");
    ck_assert_double_eq_tol(cv_json_number(json_object_get(json_array_get(pubs, 0), "test_accuracy"), -1), 0.28,
                            1e-12);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(pubs, 1), "model")), "tiny_cnn_k3");
    ck_assert_double_eq_tol(cv_json_number(json_object_get(json_array_get(pubs, 1), "test_accuracy"), -1), 0.995,
                            1e-12);
    const json_t *run = json_array_get(json_object_get(j, "runs"), 1);
    ck_assert_str_eq(json_string_value(json_object_get(run, "status")), "failed");
    ck_assert_str_eq(json_string_value(json_object_get(run, "error")), "training failed \"badly\"");
    json_decref(j);
    unlink(path);
    experiment_free(&x);
    close_diag();
}
END_TEST

static Suite *experiment_suite(void)
{
    Suite *s = suite_create("experiment");
    TCase *core = tcase_create("core");
    tcase_add_test(core, expand_replaces_every_placeholder);
    tcase_add_test(core, expand_dollar_escape_and_lone_dollar);
    tcase_add_test(core, variant_names);
    tcase_add_test(core, did_you_mean);
    tcase_add_test(core, every_key_of_the_schema);
    tcase_add_test(core, defaults_follow_the_seed_protocol);
    tcase_add_test(core, the_seed_experiment_expands_to_its_four_models);
    tcase_add_test(core, every_shipped_experiment_checks);
    tcase_add_test(core, stamps_change_with_every_setting);
    tcase_add_test(core, manifest_round_trip);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_add_test(limits, expand_missing_value_names_line_and_column);
    tcase_add_test(limits, expand_malformed_placeholders);
    tcase_add_test(limits, bad_documents_name_the_place);
    tcase_add_test(limits, deep_nesting_is_refused_before_libyaml);
    tcase_add_test(limits, brackets_in_text_are_not_nesting);
    tcase_add_test(limits, size_and_value_count_are_bounded);
    tcase_add_test(limits, repeated_errors_are_counted_not_printed);
    tcase_add_test(limits, only_regular_files_are_read);
    suite_add_tcase(s, limits);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(experiment_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
