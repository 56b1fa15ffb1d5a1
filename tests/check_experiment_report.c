/* check_experiment_report.c - bin/convc-report's parts on synthetic result
 * files: the JSON reader, statistics, aggregation over seeds, findings, the
 * CSV/JSON tables, report.md and its pictures. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "pictures/plot.h"
#include "report/report.h"
#include "base/json.h"

static char dir[64];

static void write_file(const char *rel, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static char *read_file(const char *rel)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "%s is missing", path);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static int is_png(const char *rel)
{
    char path[256];
    unsigned char sig[8] = {0};
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t n = fread(sig, 1, 8, f);
    fclose(f);
    return n == 8 && memcmp(sig, "\x89PNG\r\n\x1a\n", 8) == 0;
}

/* Each run's matrix moves k images of T-shirt/top and 2k of Trouser into
 * the other class, so that sums over seeds differ from any one run. */
static void run_dir(const char *name, double acc, double loss, int with_history, int k)
{
    char rel[128], text[1024];
    snprintf(rel, sizeof rel, "runs/%s", name);
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    snprintf(text, sizeof text,
             "{\"model\":\"m\",\"spec_hash\":\"0\",\"n\":200,\"loss\":%.6f,\"accuracy\":%.6f,"
             "\"per_class_accuracy\":[1,1,1],\"class_names\":[\"T-shirt/top\",\"Trouser\","
             "\"Bag\"],\"confusion\":[[%d,%d,2],[%d,%d,1],[4,6,49]]}\n", loss, acc,
             60 - k, 5 + k, 3 + 2 * k, 70 - 2 * k);
    snprintf(rel, sizeof rel, "runs/%s/eval.json", name);
    write_file(rel, text);
    if (with_history) {
        snprintf(rel, sizeof rel, "runs/%s/history.csv", name);
        snprintf(text, sizeof text,
                 "epoch,train_loss,train_accuracy,test_loss,test_accuracy,seconds\n"
                 "1,0.9,0.70,0.8,0.72,2.0\n2,0.5,%.4f,%.6f,%.6f,4.0\n", acc + 0.02, loss, acc);
        write_file(rel, text);
    }
}

static const char manifest[] =
    "{\"format\": \"convc-experiment 1\", \"name\": \"synthetic\", \"title\": \"Synthetic\","
    " \"description\": null, \"source\": \"x.yaml\", \"data\": \"fashion-mnist\","
    " \"limit_train\": 0, \"limit_test\": 0,"
    " \"train\": {\"optimizer\": \"adam\", \"lr\": 0.001, \"batch\": 32, \"epochs\": 2, \"threads\": 1},"
    " \"seeds\": [1, 2, 3], \"factor\": {\"title\": \"Kernel Size\", \"value\": \"${k}×${k}\"},"
    " \"models\": ["
    "  {\"name\": \"baseline\", \"label\": \"Baseline (Dense)\", \"spec\": \"b.spec\", \"factor\": null,"
    "   \"params\": 101770, \"flops\": 203520, \"conv_layers\": 0, \"code_lines\": 150,"
    "   \"layers\": [{\"kind\": \"flatten\", \"source\": \"flatten\", \"in\": [28, 28, 1],"
    "   \"out\": [1, 1, 784], \"kernel\": [0, 0], \"stride\": [0, 0], \"params\": 0, \"flops\": 0}],"
    "   \"status\": \"ok\", \"error\": null},"
    "  {\"name\": \"cnn_k3\", \"label\": \"CNN\", \"spec\": \"c.spec.in\", \"factor\": \"3×3\","
    "   \"params\": 220234, \"flops\": 8192680, \"conv_layers\": 2, \"code_lines\": 900,"
    "   \"layers\": ["
    "    {\"kind\": \"conv\", \"source\": \"conv 32 k=3 same relu\", \"in\": [28, 28, 1], \"out\": [28, 28, 32],"
    "     \"kernel\": [3, 3], \"stride\": [1, 1], \"params\": 320, \"flops\": 1},"
    "    {\"kind\": \"pool\", \"source\": \"pool 2\", \"in\": [28, 28, 32], \"out\": [14, 14, 32],"
    "     \"kernel\": [2, 2], \"stride\": [2, 2], \"params\": 0, \"flops\": 1},"
    "    {\"kind\": \"conv\", \"source\": \"conv 64 k=3 same relu\", \"in\": [14, 14, 32], \"out\": [14, 14, 64],"
    "     \"kernel\": [3, 3], \"stride\": [1, 1], \"params\": 18496, \"flops\": 1}],"
    "   \"status\": \"ok\", \"error\": null}],"
    " \"runs\": ["
    "  {\"model\": \"baseline\", \"seed\": 1, \"dir\": \"runs/baseline-s1\", \"status\": \"ok\", \"error\": null},"
    "  {\"model\": \"baseline\", \"seed\": 2, \"dir\": \"runs/baseline-s2\", \"status\": \"ok\", \"error\": null},"
    "  {\"model\": \"cnn_k3\", \"seed\": 1, \"dir\": \"runs/cnn_k3-s1\", \"status\": \"ok\", \"error\": null},"
    "  {\"model\": \"cnn_k3\", \"seed\": 2, \"dir\": \"runs/cnn_k3-s2\", \"status\": \"ok\", \"error\": null},"
    "  {\"model\": \"cnn_k3\", \"seed\": 3, \"dir\": \"runs/cnn_k3-s3\", \"status\": \"failed\","
    "   \"error\": \"training failed (exit status 1)\"}],"
    " \"published\": {\"source\": \"Table 1 of a study\", \"note\": \"Its labels 7 and 8 are"
    " swapped.\", \"models\": [{\"model\": \"baseline\", \"test_accuracy\": 0.8862},"
    " {\"model\": \"cnn_k3\", \"test_accuracy\": 0.93}]}}\n";

static void setup(void)
{
    strcpy(dir, "/tmp/check_report.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/runs", dir);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    write_file("experiment.json", manifest);
    run_dir("baseline-s1", 0.88, 0.33, 1, 0);
    run_dir("baseline-s2", 0.89, 0.32, 1, 3);
    run_dir("cnn_k3-s1", 0.91, 0.24, 1, 1);
    run_dir("cnn_k3-s2", 0.92, 0.22, 0, 2);
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
    plot_release_caches();  /* fork mode: each test is its own process */
}

/* ---- pieces ----------------------------------------------------------------------- */

START_TEST(mean_and_sample_std)
{
    double x[] = {1, 2, 3, 4};
    ck_assert_double_eq_tol(report_mean(x, 4), 2.5, 1e-12);
    ck_assert_double_eq_tol(report_std(x, 4), 1.2909944487358056, 1e-12);
    ck_assert_double_eq_tol(report_std(x, 1), 0, 1e-12);
    ck_assert(isnan(report_mean(x, 0)));
}
END_TEST

START_TEST(student_t_known_values)
{
    /* Tables of Student's t: the two-sided 95% points. */
    ck_assert_double_eq_tol(report_t_quantile(0.975, 1), 12.706204736174705, 1e-9);
    ck_assert_double_eq_tol(report_t_quantile(0.975, 2), 4.302652729749464, 1e-9);
    ck_assert_double_eq_tol(report_t_quantile(0.975, 4), 2.7764451051977987, 1e-9);
    ck_assert_double_eq_tol(report_t_quantile(0.975, 30), 2.0422724563012373, 1e-9);
    ck_assert_double_eq_tol(report_t_quantile(0.025, 4), -2.7764451051977987, 1e-9);
    /* Closed forms: df 1 is Cauchy, df 2 is 1/2 + t / (2 sqrt(2 + t^2)). */
    ck_assert_double_eq_tol(report_t_cdf(1.5, 1), 0.5 + atan(1.5) / M_PI, 1e-12);
    ck_assert_double_eq_tol(report_t_cdf(-0.7, 2), 0.5 - 0.7 / (2 * sqrt(2.49)), 1e-12);
    ck_assert_double_eq_tol(report_t_cdf(0, 7), 0.5, 1e-15);
}
END_TEST

START_TEST(t_interval_of_a_fixed_sample)
{
    double d[] = {1.2, 0.4, 2.1, 1.5, 0.8};
    report_paired p;
    report_paired_stats(d, 5, &p);
    ck_assert_int_eq(p.n, 5);
    ck_assert_double_eq_tol(p.mean, 1.2, 1e-12);
    ck_assert_double_eq_tol(p.sd, 0.6519202405202649, 1e-12);
    ck_assert_double_eq_tol(p.lo, 0.3905341076456468, 1e-6);
    ck_assert_double_eq_tol(p.hi, 2.009465892354353, 1e-6);
    ck_assert_double_eq_tol(p.t, 4.1159660434202126, 1e-9);
    /* Two-sided tail of t(4) beyond 4.116, by numerical integration. */
    ck_assert_double_eq_tol(p.p, 0.014660588623417977, 1e-8);
    ck_assert_int_eq(report_paired_decided(&p), 1);
}
END_TEST

START_TEST(paired_test_known_answer)
{
    /* Differences 1, 2, 3: t = 2 / (1 / sqrt 3) on 2 degrees of freedom,
     * p = 1 - t / sqrt(2 + t^2) = 0.0742: not significant at 5%. */
    double d[] = {1, 2, 3};
    report_paired p;
    report_paired_stats(d, 3, &p);
    ck_assert_double_eq_tol(p.t, 2 * sqrt(3), 1e-12);
    ck_assert_double_eq_tol(p.p, 0.07417990022744858, 1e-9);
    ck_assert_double_eq_tol(p.lo, 2 - 4.302652729749464 / sqrt(3), 1e-9);
    ck_assert_int_eq(report_paired_decided(&p), 0);
    /* The same differences ten times larger in mean, not in spread: decided. */
    double e[] = {19, 20, 21};
    report_paired_stats(e, 3, &p);
    ck_assert(p.p < 0.01);
    ck_assert_int_eq(report_paired_decided(&p), 1);
}
END_TEST

START_TEST(identical_runs_differ_by_nothing)
{
    double d[] = {0, 0, 0};
    report_paired p;
    report_paired_stats(d, 3, &p);
    ck_assert_double_eq(p.mean, 0);
    ck_assert_double_eq(p.lo, 0);
    ck_assert_double_eq(p.hi, 0);
    ck_assert_double_eq(p.p, 1);
    ck_assert_int_eq(report_paired_decided(&p), 0);
    /* One pair: a difference, but no spread to judge it by. */
    report_paired_stats(d, 1, &p);
    ck_assert_int_eq(report_paired_decided(&p), -1);
    ck_assert(isnan(p.lo));
}
END_TEST

START_TEST(json_reader)
{
    cv_error e;
    const char *t = "{\"a\": [1, -2.5e1, true, null], \"s\": \"x\\\"y\\u00e9\", \"o\": {}}";
    json_t *j = cv_json_parse("t", t, strlen(t), &e);
    ck_assert_msg(j != NULL, "%s", e.msg);
    ck_assert_int_eq((int)json_array_size(json_object_get(j, "a")), 4);
    ck_assert_double_eq_tol(cv_json_number(json_array_get(json_object_get(j, "a"), 1), 0), -25, 1e-12);
    ck_assert_str_eq(json_string_value(json_object_get(j, "s")), "x\"y\xc3\xa9");
    ck_assert_ptr_null(json_object_get(j, "missing"));
    ck_assert_double_eq(cv_json_number(json_object_get(j, "s"), 7), 7);
    json_decref(j);
    static const char *const bad[] = {"", "{", "[1,]", "{\"a\" 1}", "[1] x", "\"abc", "{1: 2}", "nul"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        j = cv_json_parse("bad.json", bad[i], strlen(bad[i]), &e);
        ck_assert_msg(j == NULL, "'%s' was accepted", bad[i]);
        ck_assert_ptr_nonnull(strstr(e.msg, "bad.json:1:"));
    }
}
END_TEST

/* Reads a history that must be refused; checks the message has `want`. */
static void history_refused(const char *csv, const char *want)
{
    write_file("h.csv", csv);
    report_run run = {0};
    cv_error e;
    char path[256];
    snprintf(path, sizeof path, "%s/h.csv", dir);
    ck_assert_int_eq(report_read_history(&run, path, &e), -1);
    ck_assert_msg(strstr(e.msg, want) != NULL, "%s", e.msg);
    free(run.epoch), free(run.train_loss), free(run.train_acc);
    free(run.test_loss), free(run.test_acc), free(run.seconds);
}

START_TEST(history_errors_name_the_line)
{
    history_refused("epoch,train_loss,train_accuracy,test_loss,test_accuracy,seconds\n"
                    "1,0.5,0.8,0.6,0.7,1.5\n2,0.4,0.85,oops\n", "h.csv:3:");
}
END_TEST

/* The marks of early stopping in the event column, with (_i = 1) or
 * without the eval_seconds column after it. */
START_TEST(history_marks_early_stopping)
{
    const char *tail = _i ? ",0.5" : "";
    char text[1024];
    snprintf(text, sizeof text,
             "epoch,train_loss,train_accuracy,test_loss,test_accuracy,seconds,lr,"
             "val_loss,val_accuracy,event%s\n"
             "1,0.9,0.7,0.8,0.72,2.0,0.001,0.85,0.7,best%s\n"
             "2,0.5,0.8,0.6,0.75,4.0,0.001,0.62,0.74,best%s\n"
             "3,0.4,0.85,0.7,0.74,6.0,0.0005,,,%s\n"
             "4,0.3,0.9,0.8,0.73,8.0,0.0005,0.7,0.72,stopped%s\n",
             _i ? ",eval_seconds" : "", tail, tail, tail, tail);
    write_file("h.csv", text);
    report_run run = {0};
    cv_error e;
    char path[256];
    snprintf(path, sizeof path, "%s/h.csv", dir);
    ck_assert_msg(report_read_history(&run, path, &e) == 0, "%s", e.msg);
    ck_assert_int_eq(run.n_epochs, 4);
    ck_assert_int_eq(run.best_epoch, 2);
    ck_assert_int_eq(run.stopped_epoch, 4);
    free(run.epoch), free(run.train_loss), free(run.train_acc);
    free(run.test_loss), free(run.test_acc), free(run.seconds);
}
END_TEST

/* ---- the whole report ---------------------------------------------------------------- */

START_TEST(aggregates_over_finished_seeds)
{
    report r;
    cv_error e;
    ck_assert_msg(report_load(&r, dir, &e) == 0, "%s", e.msg);
    report_aggregate(&r);
    ck_assert_int_eq(r.n_models, 2);
    ck_assert_int_eq(r.n_runs, 5);
    const report_model *b = &r.models[0], *c = &r.models[1];
    ck_assert_int_eq(b->n_ok, 2);
    ck_assert_int_eq(c->n_ok, 2);      /* seed 3 failed */
    ck_assert_int_eq(c->n_runs, 3);
    ck_assert_double_eq_tol(b->acc_mean, 0.885, 1e-9);
    ck_assert_double_eq_tol(c->acc_mean, 0.915, 1e-9);
    ck_assert_double_eq_tol(c->acc_std, 0.0070710678, 1e-9);
    ck_assert_double_eq_tol(b->spe_mean, 3.0, 1e-9);     /* (2 + 4) / 2 */
    ck_assert_double_eq_tol(c->spe_mean, 3.0, 1e-9);     /* seed 2 has no history */
    ck_assert_int_eq(report_best_model(&r), 1);
    ck_assert_int_eq(report_baseline_model(&r), 0);
    report_paired p;
    ck_assert_int_eq(report_paired_compare(&r, 1, 0, &p), 2);   /* seeds 1 and 2 */
    ck_assert_double_eq_tol(p.mean, 3.0, 1e-9);
    ck_assert_int_eq(report_receptive_field(c), 8);      /* 3, then pool: 4, then 4 + 2*2 */
    ck_assert_int_eq(report_receptive_field(b), 0);
    report_free(&r);
}
END_TEST

START_TEST(curves_over_seeds)
{
    report r;
    cv_error e;
    ck_assert_msg(report_load(&r, dir, &e) == 0, "%s", e.msg);
    report_curves c;
    ck_assert_int_eq(report_model_curves(&r, 0, &c), 0);  /* baseline: two histories */
    ck_assert_int_eq(c.n_seeds, 2);
    ck_assert_int_eq(c.n_epochs, 2);
    ck_assert_double_eq_tol(c.epoch[1], 2, 1e-12);
    ck_assert_double_eq_tol(c.mean[REPORT_TRAIN_LOSS][0], 0.9, 1e-12);
    ck_assert_double_eq_tol(c.mean[REPORT_TRAIN_ACC][1], 0.905, 1e-12);
    ck_assert_double_eq_tol(c.lo[REPORT_TRAIN_ACC][1], 0.90, 1e-12);
    ck_assert_double_eq_tol(c.hi[REPORT_TRAIN_ACC][1], 0.91, 1e-12);
    ck_assert_double_eq_tol(c.mean[REPORT_TEST_LOSS][1], 0.325, 1e-12);
    ck_assert_double_eq_tol(c.lo[REPORT_TEST_ACC][1], 0.88, 1e-12);
    ck_assert_double_eq_tol(c.hi[REPORT_TEST_ACC][1], 0.89, 1e-12);
    report_curves_free(&c);
    ck_assert_int_eq(report_model_curves(&r, 1, &c), 0);  /* cnn_k3: seed 2 has none */
    ck_assert_int_eq(c.n_seeds, 1);
    ck_assert_double_eq_tol(c.lo[REPORT_TEST_ACC][1], c.hi[REPORT_TEST_ACC][1], 1e-12);
    report_curves_free(&c);
    report_free(&r);
}
END_TEST

START_TEST(confusion_summed_over_seeds)
{
    report r;
    cv_error e;
    ck_assert_msg(report_load(&r, dir, &e) == 0, "%s", e.msg);
    report_confusion c;
    ck_assert_int_eq(report_model_confusion(&r, 1, &c), 0);
    ck_assert_int_eq(c.n_runs, 2);          /* seed 3 failed */
    ck_assert_int_eq(c.n_classes, 3);
    /* The runs' matrices, element by element, summed. */
    long want[9] = {0};
    for (int i = 0; i < r.n_runs; i++)
        if (r.runs[i].model == 1 && r.runs[i].ok)
            for (int k = 0; k < 9; k++)
                want[k] += r.runs[i].confusion[k];
    for (int k = 0; k < 9; k++)
        ck_assert_int_eq(c.counts[k], want[k]);
    ck_assert_int_eq(c.counts[1], 5 + 1 + 5 + 2);
    ck_assert_int_eq(c.total, 400);
    report_confused_pair top[3];
    ck_assert_int_eq(report_confused_pairs(&c, top, 3), 3);
    /* T-shirt/top <-> Trouser 13 + 12, Trouser <-> Bag 2 + 12, T-shirt/top <-> Bag 4 + 8 */
    ck_assert_int_eq(top[0].a, 0);
    ck_assert_int_eq(top[0].b, 1);
    ck_assert_int_eq(top[0].a_as_b, 13);
    ck_assert_int_eq(top[0].b_as_a, 12);
    ck_assert_int_eq(top[1].a, 1);
    ck_assert_int_eq(top[1].b, 2);
    ck_assert_int_eq(top[1].a_as_b, 2);
    ck_assert_int_eq(top[1].b_as_a, 12);
    ck_assert_int_eq(top[2].a, 0);
    ck_assert_int_eq(top[2].b, 2);
    ck_assert_int_eq(report_confused_pairs(&c, top, 1), 1);
    ck_assert_int_eq(top[0].a_as_b + top[0].b_as_a, 25);
    report_confusion_free(&c);

    /* A run with other classes is left out of the sum and counted. */
    write_file("runs/cnn_k3-s2/eval.json", "{\"loss\": 0.2, \"accuracy\": 0.9, \"class_names\":"
               " [\"a\", \"b\"], \"confusion\": [[1, 2], [3, 4]]}");
    report_free(&r);
    ck_assert_msg(report_load(&r, dir, &e) == 0, "%s", e.msg);
    ck_assert_int_eq(report_model_confusion(&r, 1, &c), 0);
    ck_assert_int_eq(c.n_runs, 1);
    ck_assert_int_eq(c.n_skipped, 1);
    ck_assert_int_eq(c.total, 200);
    report_confusion_free(&c);
    report_free(&r);
}
END_TEST

START_TEST(published_inside_the_spread)
{
    report r;
    cv_error e;
    ck_assert_msg(report_load(&r, dir, &e) == 0, "%s", e.msg);
    ck_assert_int_eq(r.n_published, 2);
    ck_assert_str_eq(r.published_source, "Table 1 of a study");
    double lo, hi;
    /* baseline's seeds: 88% and 89% */
    ck_assert_int_eq(report_published_inside(&r, &r.published[0], &lo, &hi), 1);
    ck_assert_double_eq_tol(lo, 0.88, 1e-12);
    ck_assert_double_eq_tol(hi, 0.89, 1e-12);
    report_published edge = {1, 0.92}, above = {1, 0.9201}, below = {1, 0.9099};
    ck_assert_int_eq(report_published_inside(&r, &edge, &lo, &hi), 1);
    ck_assert_int_eq(report_published_inside(&r, &above, &lo, &hi), 0);
    ck_assert_int_eq(report_published_inside(&r, &below, &lo, &hi), 0);
    r.runs[1].ok = 0;                       /* baseline with one seed: no spread */
    ck_assert_int_eq(report_published_inside(&r, &r.published[0], &lo, &hi), -1);
    report_aggregate(&r);
    char *md = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&md, &len);
    ck_assert_ptr_nonnull(f);
    report_write_published(&r, f);
    fclose(f);
    ck_assert_msg(strstr(md, "| baseline | 88.62% | 88.00% ± 0.00 (1 seed) | — | +0.62 | "
                             "unknown: one seed has no spread |\n") != NULL, "%s", md);
    ck_assert_ptr_nonnull(strstr(md, "\n0 of 1 published number lies inside"));
    free(md);
    r.n_published = 0;                      /* nothing published: no section */
    md = NULL;
    f = open_memstream(&md, &len);
    report_write_published(&r, f);
    fclose(f);
    ck_assert_str_eq(md, "");
    free(md);
    report_free(&r);

    /* An entry for a model the experiment does not have is refused. */
    const char *from = "{\"model\": \"cnn_k3\", \"test_accuracy\": 0.93}";
    const char *at = strstr(manifest, from);
    ck_assert_ptr_nonnull(at);
    char text[sizeof manifest + 64];
    snprintf(text, sizeof text, "%.*s%s%s", (int)(at - manifest), manifest,
             "{\"model\": \"cnn_k9\", \"test_accuracy\": 0.93}", at + strlen(from));
    write_file("experiment.json", text);
    ck_assert_int_eq(report_load(&r, dir, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "experiment.json: published entry 2 names an unknown "
                                        "model 'cnn_k9'"));
    report_free(&r);
}
END_TEST

START_TEST(tables_report_and_pictures)
{
    report r;
    cv_error e;
    ck_assert_msg(report_load(&r, dir, &e) == 0, "%s", e.msg);
    report_aggregate(&r);
    char path[256];
    snprintf(path, sizeof path, "%s/results.csv", dir);
    ck_assert_msg(report_write_csv(&r, path, &e) == 0, "%s", e.msg);
    snprintf(path, sizeof path, "%s/results.json", dir);
    ck_assert_msg(report_write_json(&r, path, &e) == 0, "%s", e.msg);
    report_pictures pics;
    int n = report_plots(&r, &pics);
    ck_assert_msg(n == 4, "%d pictures; notes: %s", n, pics.notes);
    snprintf(path, sizeof path, "%s/report.md", dir);
    ck_assert_msg(report_write_markdown(&r, &pics, path, &e) == 0, "%s", e.msg);
    report_pictures_free(&pics, r.n_models);
    report_free(&r);

    const char *csv = read_file("results.csv");
    ck_assert_ptr_nonnull(strstr(csv, "model,label,factor,seed,status,params,mflops,"
                                      "test_accuracy,test_loss,seconds_per_epoch,epochs,code_lines\n"));
    ck_assert_ptr_nonnull(strstr(csv, "baseline,Baseline (Dense),,1,ok,101770,0.2035,0.880000,"
                                      "0.330000,3.0000,2,150\n"));
    ck_assert_ptr_nonnull(strstr(csv, "cnn_k3,CNN,3×3,2,ok,220234,8.1927,0.920000,0.220000,,0,900\n"));
    ck_assert_ptr_nonnull(strstr(csv, "cnn_k3,CNN,3×3,3,failed,220234,8.1927,,,,0,900\n"));

    cv_error je;
    snprintf(path, sizeof path, "%s/results.json", dir);
    json_t *j = cv_json_load(path, &je);
    ck_assert_msg(j != NULL, "%s", je.msg);
    ck_assert_int_eq((int)json_array_size(json_object_get(j, "rows")), 5);
    ck_assert_double_eq_tol(cv_json_number(json_object_get(json_array_get(json_object_get(j, "models"), 1),
                                                 "test_accuracy_mean"), 0), 0.915, 1e-9);
    json_decref(j);

    const char *md = read_file("report.md");
    ck_assert_ptr_nonnull(strstr(md, "# Synthetic\n"));
    ck_assert_ptr_nonnull(strstr(md, "| Model | Name | Kernel Size | Parameters | MFLOPs / image "
                                     "| Test Accuracy | Test Loss | Seconds / epoch |"));
    ck_assert_ptr_nonnull(strstr(md, "| Baseline (Dense) | baseline | — | 101,770 | 0.20 | "
                                     "88.50% ± 0.71 | 0.3250 ± 0.0071 | 3.00 |"));
    ck_assert_ptr_nonnull(strstr(md, "| CNN | cnn_k3 | 3×3 | 220,234 | 8.19 | **91.50% ± 0.71** |"));
    ck_assert_ptr_nonnull(strstr(md, "| cnn_k3 | 3 | FAILED: training failed (exit status 1) |"));
    ck_assert_ptr_nonnull(strstr(md, "the convolutional model beats it by +3.00 points (cnn_k3 +3.00)"));
    ck_assert_ptr_nonnull(strstr(md, "cnn_k3 2.16×"));
    ck_assert_ptr_nonnull(strstr(md, "- **cnn_k3** beats **baseline** by 3.00 points (95% CI "
                                     "+3.00 to +3.00 over 2 seeds, paired t-test p < 0.001): "
                                     "a real difference at the 95% level.\n"));
    ck_assert_ptr_nonnull(strstr(md, "### How to read these numbers\n"));
    ck_assert_ptr_nonnull(strstr(md, "**cnn_k3** seed 3 did not finish"));
    ck_assert_ptr_nonnull(strstr(md, "![Loss and accuracy per epoch, every model](plots/curves.png)"));
    ck_assert_ptr_nonnull(strstr(md, "(plots/confusion_cnn_k3.png)"));
    ck_assert_ptr_nonnull(strstr(md, "In one sentence: **cnn_k3** is best at 91.50% ± 0.71 over "
                                     "2 seeds; against the runner-up it beats **baseline** by "
                                     "3.00 points (95% CI +3.00 to +3.00 over 2 seeds, paired "
                                     "t-test p < 0.001): a real difference at the 95% level.\n"));
    ck_assert_ptr_nonnull(strstr(md, "the shaded band around it runs from the lowest to the "
                                     "highest seed"));
    ck_assert_ptr_nonnull(strstr(md, "each model's matrices summed over its finished seeds"));
    ck_assert_ptr_nonnull(strstr(md, "Most confused in **cnn_k3** (2 seeds, 400 test "
                                     "predictions): T-shirt/top ↔ Trouser 25 times (T-shirt/top "
                                     "as Trouser 13, Trouser as T-shirt/top 12); Trouser ↔ Bag "
                                     "14 times (Trouser as Bag 2, Bag as Trouser 12); "
                                     "T-shirt/top ↔ Bag 12 times (T-shirt/top as Bag 4, Bag as "
                                     "T-shirt/top 8).\n"));
    ck_assert_ptr_nonnull(strstr(md, "Most confused in **baseline** (2 seeds, 400 test "
                                     "predictions): T-shirt/top ↔ Trouser 25 times"));
    ck_assert_ptr_nonnull(strstr(md, "## Compared with the published result\n\nPublished: "
                                     "Table 1 of a study. "));
    ck_assert_ptr_nonnull(strstr(md, "| baseline | 88.62% | 88.50% ± 0.71 (2 seeds) | 88.00% "
                                     "to 89.00% | +0.12 | yes |\n"));
    ck_assert_ptr_nonnull(strstr(md, "| cnn_k3 | 93.00% | 91.50% ± 0.71 (2 seeds) | 91.00% to "
                                     "92.00% | +1.50 | no, above |\n"));
    ck_assert_ptr_nonnull(strstr(md, "\n1 of 2 published numbers lie inside this study's "
                                     "spread over seeds.\n\nIts labels 7 and 8 are swapped.\n"));
    ck_assert_ptr_nonnull(strstr(md, "*Learned filters of the first conv layer of cnn_k3: not available"));
    ck_assert_ptr_nonnull(strstr(md, "*The data section is missing"));
    ck_assert_ptr_nonnull(strstr(md, "a 8x8 region of the input"));
    ck_assert_ptr_nonnull(strstr(md, "would need 19,694,080"));
    ck_assert(is_png("plots/curves.png"));
    ck_assert(is_png("plots/params_vs_accuracy.png"));
    ck_assert(is_png("plots/confusion_baseline.png"));
    ck_assert(is_png("plots/confusion_cnn_k3.png"));
}
END_TEST

/* results/index.md over a root with this study (linked through a symbolic
 * link), a broken one, and an experiment file that was never run. */
START_TEST(index_of_every_study)
{
    char root[128], path[256];
    snprintf(root, sizeof root, "%s/root", dir);
    ck_assert_int_eq(mkdir(root, 0755), 0);
    snprintf(path, sizeof path, "%s/synthetic", root);
    ck_assert_int_eq(symlink(dir, path), 0);
    snprintf(path, sizeof path, "%s/broken", root);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    write_file("root/broken/experiment.json", "{\"models\": []}");
    const char *yamls[] = {"specs/never_run.yaml", "x.yaml"};
    cv_error e;
    ck_assert_msg(report_write_index(root, yamls, 2, &e) == 0, "%s", e.msg);
    const char *index = read_file("root/index.md");
    ck_assert_ptr_nonnull(strstr(index, "# Every study\n"));
    const char *never = strstr(index, "| — | `specs/never_run.yaml` | — | — | — | Not run yet: "
                                      "`convc run specs/never_run.yaml`. |\n");
    const char *synthetic = strstr(index, "| Synthetic | `x.yaml` | 2 | 3 | 4 of 5 | **cnn_k3** "
                                          "is best at 91.50% ± 0.71 over 2 seeds; against the "
                                          "runner-up it beats **baseline** by 3.00 points (95% "
                                          "CI +3.00 to +3.00 over 2 seeds, paired t-test p < "
                                          "0.001): a real difference at the 95% level. (No "
                                          "report yet: `convc-report ");
    const char *broken = strstr(index, "| `broken` | — | — | — | unreadable: ");
    ck_assert_msg(never && synthetic && broken, "%s", index);
    ck_assert(never < synthetic && synthetic < broken);     /* yamls first, in order */
    ck_assert_ptr_nonnull(strstr(broken, "experiment.json: missing \"name\""));

    /* With the report written, the title links to it. */
    write_file("report.md", "# Synthetic\n");
    ck_assert_msg(report_write_index(root, yamls, 2, &e) == 0, "%s", e.msg);
    index = read_file("root/index.md");
    ck_assert_ptr_nonnull(strstr(index, "| [Synthetic](synthetic/report.md) | `x.yaml` | 2 | 3 "
                                        "| 4 of 5 | **cnn_k3** is best"));
    ck_assert_ptr_null(strstr(index, "No report yet"));

    snprintf(path, sizeof path, "%s/none", dir);
    ck_assert_int_eq(report_write_index(path, yamls, 2, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "/none: cannot read the results directory"));
}
END_TEST

/* Two labels over the same factor values: what the label changed at each
 * value, and what the factor changed under each label. */
START_TEST(findings_compare_labels_at_each_factor_value)
{
    static const char model[] =
        "  {\"name\": \"%s\", \"label\": \"%s\", \"spec\": \"t.spec.in\", \"factor\": \"%s\","
        "   \"params\": 1000, \"flops\": 1000, \"conv_layers\": 2, \"code_lines\": 10,"
        "   \"layers\": [], \"status\": \"ok\", \"error\": null}%s";
    static const char *const names[] = { "plain2", "plain8", "residual2", "residual8" };
    static const double acc[] = { 0.90, 0.88, 0.905, 0.915 };
    char text[4096], part[512];
    snprintf(text, sizeof text, "{\"format\": \"convc-experiment 1\", \"name\": \"pairs\","
             " \"title\": \"Pairs\", \"description\": null, \"source\": \"x.yaml\","
             " \"data\": \"fashion-mnist\", \"limit_train\": 0, \"limit_test\": 0,"
             " \"train\": {\"optimizer\": \"adam\", \"lr\": 0.001, \"batch\": 32, \"epochs\": 2,"
             " \"threads\": 1}, \"seeds\": [1], \"factor\": {\"title\": \"Conv layers\","
             " \"value\": \"${convs}\"}, \"models\": [");
    for (int m = 0; m < 4; m++) {
        snprintf(part, sizeof part, model, names[m], m < 2 ? "Plain" : "Residual",
                 m % 2 ? "8" : "2", m < 3 ? "," : "], \"runs\": [");
        strncat(text, part, sizeof text - strlen(text) - 1);
    }
    for (int m = 0; m < 4; m++) {
        snprintf(part, sizeof part, "{\"model\": \"%s\", \"seed\": 1, \"dir\": \"runs/%s-s1\","
                 " \"status\": \"ok\", \"error\": null}%s", names[m], names[m],
                 m < 3 ? "," : "]}\n");
        strncat(text, part, sizeof text - strlen(text) - 1);
        snprintf(part, sizeof part, "%s-s1", names[m]);
        run_dir(part, acc[m], 0.3, 1, 0);
    }
    write_file("experiment.json", text);
    report r;
    cv_error e;
    ck_assert_msg(report_load(&r, dir, &e) == 0, "%s", e.msg);
    report_aggregate(&r);
    char *md = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&md, &size);
    report_write_findings(&r, f);
    fclose(f);
    report_free(&r);
    ck_assert_msg(strstr(md, "- **Residual** against **Plain** at the same Conv layers: "
                             "2 +0.50, 8 +3.50 points of test accuracy (better at 2 of 2).\n"),
                  "%s", md);
    ck_assert_msg(strstr(md, "- From the first to the last Conv layers: **Plain** 2 to 8 -2.00 "
                             "points; **Residual** 2 to 8 +1.00 points of test accuracy.\n"),
                  "%s", md);
    free(md);
}
END_TEST

START_TEST(missing_manifest_is_an_error)
{
    char path[128];
    snprintf(path, sizeof path, "%s/experiment.json", dir);
    unlink(path);
    report r;
    cv_error e;
    ck_assert_int_eq(report_load(&r, dir, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "experiment.json: not found"));
    report_free(&r);
}
END_TEST

START_TEST(broken_eval_marks_the_run)
{
    write_file("runs/cnn_k3-s1/eval.json", "{\"accuracy\": \"high\"}");
    report r;
    cv_error e;
    ck_assert_int_eq(report_load(&r, dir, &e), 0);
    ck_assert_int_eq(r.runs[2].ok, 0);
    ck_assert_ptr_nonnull(strstr(r.runs[2].error, "expected numbers"));
    report_aggregate(&r);
    ck_assert_int_eq(r.models[1].n_ok, 1);
    report_free(&r);
}
END_TEST

/* Numbers out of a type's range fall back instead of overflowing a cast
 * (undefined behaviour that UBSan reports). */
START_TEST(huge_numbers_fall_back)
{
    write_file("runs/cnn_k3-s1/eval.json",
               "{\"n\": 1e300, \"loss\": 0.3, \"accuracy\": 0.9,"
               " \"confusion\": [[1e300, -1e300], [3, 4]]}");
    report r;
    cv_error e;
    ck_assert_int_eq(report_load(&r, dir, &e), 0);
    ck_assert_int_eq(r.runs[2].ok, 1);
    ck_assert_int_eq(r.runs[2].n_test, 0);
    ck_assert_int_eq(r.runs[2].confusion[0], 0);
    ck_assert_int_eq(r.runs[2].confusion[3], 4);
    report_free(&r);

    cv_error pe;
    json_t *j = cv_json_parse("t", "[2147483648, -5.7, 9007199254740993e3, \"7\"]", 43, &pe);
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(cv_json_int(json_array_get(j, 0), -1), -1);
    ck_assert_int_eq(cv_json_int(json_array_get(j, 1), 0), -5);
    ck_assert_int_eq(cv_json_int64(json_array_get(j, 2), -1), -1);
    ck_assert_int_eq(cv_json_int64(json_array_get(j, 3), -1), -1);
    json_decref(j);
}
END_TEST

/* 1e999 is infinity to strtod: the best model was "inf% ± -nan".  The JSON
 * reader refuses it where it stands. */
START_TEST(out_of_range_numbers_are_refused)
{
    static const struct { const char *json, *msg; } cases[] = {
        {"{\"loss\": 0.3, \"accuracy\": 1e999}",
         "cnn_k3-s1/eval.json:1:31: invalid JSON: real number overflow near '1e999'"},
        {"{\"loss\": 0.3, \"accuracy\": 1.5}",
         "cnn_k3-s1/eval.json: \"accuracy\" must be a number from 0 to 1, got 1.5"},
        {"{\"loss\": -1e999, \"accuracy\": 0.5}",
         "cnn_k3-s1/eval.json:1:15: invalid JSON: real number overflow near '-1e999'"},
        {"{\"loss\": 2e30, \"accuracy\": 0.5}",
         "cnn_k3-s1/eval.json: \"loss\" must be a number from 0 to 1e+30, got 2e+30"},
        {"{\"loss\": 0.3, \"accuracy\": 0.5, \"n\": -4}",
         "cnn_k3-s1/eval.json: \"n\" must be a count of test images, got -4"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        write_file("runs/cnn_k3-s1/eval.json", cases[i].json);
        report r;
        cv_error e;
        ck_assert_int_eq(report_load(&r, dir, &e), 0);
        ck_assert_int_eq(r.runs[2].ok, 0);
        ck_assert_msg(strstr(r.runs[2].error, cases[i].msg) != NULL, "case %zu: %s", i,
                      r.runs[2].error);
        report_aggregate(&r);
        ck_assert_double_eq_tol(r.models[1].acc_mean, 0.92, 1e-9);
        report_free(&r);
    }

    /* A history with a non-finite loss or an accuracy above 1 is refused. */
    history_refused("epoch,train_loss,train_accuracy,test_loss,test_accuracy,seconds\n"
                    "1,0.9,0.70,0.8,0.72,2.0\n2,nan,0.8,0.5,0.8,4.0\n",
                    "h.csv:3: \"train_loss\" must be a number from 0 to 1e+30, got nan");
    history_refused("epoch,train_loss,train_accuracy,test_loss,test_accuracy,seconds\n"
                    "1,0.9,0.70,0.8,72,2.0\n",
                    "h.csv:2: \"test_accuracy\" must be a number from 0 to 1, got 72");
}
END_TEST

/* Names become file names and run directories paths under the results. */
START_TEST(names_that_escape_the_directory_are_refused)
{
    static const struct { const char *from, *to, *msg; } cases[] = {
        {"\"name\": \"cnn_k3\", \"label\"", "\"name\": \"../x\", \"label\"",
         "experiment.json: model 2: \"name\" must be letters, digits and '_' (it names "
         "files), got '../x'"},
        {"\"dir\": \"runs/cnn_k3-s2\"", "\"dir\": \"../../etc\"",
         "experiment.json: run 4: \"dir\" must be runs/<model>-s<seed>, got '../../etc'"},
        {"\"lr\": 0.001", "\"lr\": 1e999",
         "experiment.json:1:219: invalid JSON: real number overflow near '1e999'"},
        {"\"lr\": 0.001", "\"lr\": 11",
         "experiment.json: \"train.lr\" must be a number from 0 to 10, got 11"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char text[sizeof manifest + 64];
        const char *at = strstr(manifest, cases[i].from);
        ck_assert_ptr_nonnull(at);
        snprintf(text, sizeof text, "%.*s%s%s", (int)(at - manifest), manifest, cases[i].to,
                 at + strlen(cases[i].from));
        write_file("experiment.json", text);
        report r;
        cv_error e;
        ck_assert_int_eq(report_load(&r, dir, &e), -1);
        ck_assert_msg(strstr(e.msg, cases[i].msg) != NULL, "case %zu: %s", i, e.msg);
        report_free(&r);
    }
}
END_TEST

/* A newline in a title or label cannot start a heading or a table row. */
START_TEST(markdown_text_is_only_text)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    report_md_text(f, "Results\n# Injected | <b>&");
    fputc('/', f);
    report_md_code(f, "a`b|c\n");
    fclose(f);
    ck_assert_str_eq(buf, "Results # Injected \\| &lt;b>&amp;/a'b\\|c ");
    free(buf);

    const char *from = "\"title\": \"Synthetic\"";
    const char *at = strstr(manifest, from);
    char text[sizeof manifest + 128];
    snprintf(text, sizeof text, "%.*s%s%s", (int)(at - manifest), manifest,
             "\"title\": \"Synthetic\\n# Injected\", \"description\": \"One\\n## Two\\n\\n- three\"",
             at + strlen(from));
    /* The manifest's own "description": null comes later and would win. */
    char *null_description = strstr(text, ", \"description\": null");
    ck_assert_ptr_nonnull(null_description);
    memmove(null_description, null_description + 21, strlen(null_description + 21) + 1);
    write_file("experiment.json", text);
    report r;
    cv_error e;
    ck_assert_int_eq(report_load(&r, dir, &e), 0);
    report_aggregate(&r);
    report_pictures pics = {0};
    char path[256];
    snprintf(path, sizeof path, "%s/report.md", dir);
    ck_assert_msg(report_write_markdown(&r, &pics, path, &e) == 0, "%s", e.msg);
    const char *md = read_file("report.md");
    const char *head = "# Synthetic # Injected\n\nOne\n\\## Two\n\n\\- three\n\n";
    ck_assert_msg(strncmp(md, head, strlen(head)) == 0, "%.200s", md);
    ck_assert_ptr_null(strstr(md, "\n# Injected"));
    report_free(&r);
}
END_TEST

static Suite *report_suite(void)
{
    Suite *s = suite_create("experiment_report");
    TCase *core = tcase_create("core");
    tcase_add_checked_fixture(core, setup, teardown);
    tcase_set_timeout(core, 30);
    tcase_add_test(core, mean_and_sample_std);
    tcase_add_test(core, student_t_known_values);
    tcase_add_test(core, t_interval_of_a_fixed_sample);
    tcase_add_test(core, paired_test_known_answer);
    tcase_add_test(core, identical_runs_differ_by_nothing);
    tcase_add_test(core, json_reader);
    tcase_add_loop_test(core, history_marks_early_stopping, 0, 2);
    tcase_add_test(core, aggregates_over_finished_seeds);
    tcase_add_test(core, curves_over_seeds);
    tcase_add_test(core, confusion_summed_over_seeds);
    tcase_add_test(core, published_inside_the_spread);
    tcase_add_test(core, tables_report_and_pictures);
    tcase_add_test(core, index_of_every_study);
    tcase_add_test(core, findings_compare_labels_at_each_factor_value);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_add_checked_fixture(limits, setup, teardown);
    tcase_add_test(limits, history_errors_name_the_line);
    tcase_add_test(limits, missing_manifest_is_an_error);
    tcase_add_test(limits, broken_eval_marks_the_run);
    tcase_add_test(limits, huge_numbers_fall_back);
    tcase_add_test(limits, out_of_range_numbers_are_refused);
    tcase_add_test(limits, names_that_escape_the_directory_are_refused);
    tcase_add_test(limits, markdown_text_is_only_text);
    suite_add_tcase(s, limits);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(report_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
