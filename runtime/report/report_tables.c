/* report_tables.c - results.csv and results.json: one row per model and
 * seed (failed runs included, marked), plus per-model aggregates in JSON. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "report/report.h"
#include "base/json.h"

#define RESULTS_CSV_HEADER "model,label,factor,seed,status,params,mflops,test_accuracy," \
                           "test_loss,seconds_per_epoch,epochs,code_lines"

/* A CSV field: quoted when it holds a comma, quote or newline. */
static void csv_field(FILE *f, const char *s)
{
    if (!s)
        return;
    if (!strpbrk(s, ",\"\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* Closes f; whether anything written to it was lost. */
static int write_failed(FILE *f)
{
    int failed = ferror(f);
    return fclose(f) != 0 || failed;
}

static void csv_number(FILE *f, int decimals, double v)
{
    if (!isnan(v))
        fprintf(f, "%.*f", decimals, v);
}

int report_write_csv(const report *r, const char *path, cv_error *e)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return cv_fail(e, "%s: cannot write: %s", path, strerror(errno));
    fputs(RESULTS_CSV_HEADER "\n", f);
    for (int i = 0; i < r->n_runs; i++) {
        const report_run *u = &r->runs[i];
        const report_model *m = &r->models[u->model];
        csv_field(f, m->name);
        fputc(',', f);
        csv_field(f, m->label);
        fputc(',', f);
        csv_field(f, m->factor);
        fprintf(f, ",%d,%s,%lld,%.4f,", u->seed, u->ok ? "ok" : "failed", (long long)m->params,
                m->flops / 1e6);
        csv_number(f, 6, u->ok ? u->accuracy : NAN);
        fputc(',', f);
        csv_number(f, 6, u->ok ? u->loss : NAN);
        fputc(',', f);
        csv_number(f, 4, u->seconds_per_epoch);
        fprintf(f, ",%d,", u->n_epochs);
        if (m->code_lines >= 0)
            fprintf(f, "%ld", m->code_lines);
        fputc('\n', f);
    }
    /* An earlier buffer flush may have failed (disk full) even when the
     * last one, in fclose, succeeds. */
    if (write_failed(f))
        return cv_fail(e, "%s: write failed: %s", path, strerror(errno));
    return 0;
}

int report_write_json(const report *r, const char *path, cv_error *e)
{
    json_t *rows = json_array(), *models = json_array();
    json_error_t err;
    for (int i = 0; rows && i < r->n_runs; i++) {
        const report_run *u = &r->runs[i];
        const report_model *m = &r->models[u->model];
        if (json_array_append_new(rows, json_pack(
                "{s:s?, s:s?, s:s?, s:i, s:s, s:I, s:o, s:o, s:o, s:o, s:i, s:o, s:s?}",
                "model", m->name, "label", m->label, "factor", m->factor, "seed", u->seed,
                "status", u->ok ? "ok" : "failed", "params", (json_int_t)m->params,
                "mflops", cv_json_real(m->flops / 1e6, 4),
                "test_accuracy", cv_json_real(u->ok ? u->accuracy : NAN, 6),
                "test_loss", cv_json_real(u->ok ? u->loss : NAN, 6),
                "seconds_per_epoch", cv_json_real(u->seconds_per_epoch, 4),
                "epochs", u->n_epochs,
                "code_lines", m->code_lines >= 0 ? json_integer(m->code_lines) : json_null(),
                "error", u->ok ? NULL : u->error)) != 0) {
            json_decref(rows);
            rows = NULL;
        }
    }
    for (int i = 0; models && i < r->n_models; i++) {
        const report_model *m = &r->models[i];
        if (json_array_append_new(models, json_pack(
                "{s:s?, s:i, s:i, s:o, s:o, s:o, s:o, s:o}", "model", m->name,
                "runs", m->n_runs, "finished", m->n_ok,
                "test_accuracy_mean", cv_json_real(m->acc_mean, 6),
                "test_accuracy_std", cv_json_real(m->n_ok ? m->acc_std : NAN, 6),
                "test_loss_mean", cv_json_real(m->loss_mean, 6),
                "test_loss_std", cv_json_real(m->n_ok ? m->loss_std : NAN, 6),
                "seconds_per_epoch_mean", cv_json_real(m->spe_mean, 4))) != 0) {
            json_decref(models);
            models = NULL;
        }
    }
    char *text = cv_json_text(json_pack_ex(&err, 0, "{s:s?, s:s?, s:o, s:o}",
                                           "experiment", r->name, "factor", r->factor_title,
                                           "rows", rows, "models", models),
                              &err, JSON_INDENT(2), path, e);
    if (!text)
        return -1;
    FILE *f = fopen(path, "w");
    if (!f) {
        free(text);
        return cv_fail(e, "%s: cannot write: %s", path, strerror(errno));
    }
    fputs(text, f);
    free(text);
    /* An earlier buffer flush may have failed (disk full) even when the
     * last one, in fclose, succeeds. */
    if (write_failed(f))
        return cv_fail(e, "%s: write failed: %s", path, strerror(errno));
    return 0;
}
