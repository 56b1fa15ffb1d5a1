/* report_tables.c - results.csv and results.json: one row per model and
 * seed (failed runs included, marked), plus per-model aggregates in JSON. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
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

static void json_num(FILE *f, int decimals, double v)
{
    if (isnan(v) || isinf(v))
        fputs("null", f);
    else
        fprintf(f, "%.*f", decimals, v);
}

int report_write_json(const report *r, const char *path, cv_error *e)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return cv_fail(e, "%s: cannot write: %s", path, strerror(errno));
    fputs("{\n  \"experiment\": ", f);
    json_put_string(f, r->name);
    fputs(",\n  \"factor\": ", f);
    json_put_string(f, r->factor_title);
    fputs(",\n  \"rows\": [", f);
    for (int i = 0; i < r->n_runs; i++) {
        const report_run *u = &r->runs[i];
        const report_model *m = &r->models[u->model];
        fputs(i ? ",\n    {\"model\": " : "\n    {\"model\": ", f);
        json_put_string(f, m->name);
        fputs(", \"label\": ", f);
        json_put_string(f, m->label);
        fputs(", \"factor\": ", f);
        json_put_string(f, m->factor);
        fprintf(f, ", \"seed\": %d, \"status\": \"%s\", \"params\": %lld, \"mflops\": %.4f",
                u->seed, u->ok ? "ok" : "failed", (long long)m->params, m->flops / 1e6);
        fputs(", \"test_accuracy\": ", f);
        json_num(f, 6, u->ok ? u->accuracy : NAN);
        fputs(", \"test_loss\": ", f);
        json_num(f, 6, u->ok ? u->loss : NAN);
        fputs(", \"seconds_per_epoch\": ", f);
        json_num(f, 4, u->seconds_per_epoch);
        fprintf(f, ", \"epochs\": %d, \"code_lines\": ", u->n_epochs);
        json_num(f, 0, m->code_lines >= 0 ? (double)m->code_lines : NAN);
        fputs(", \"error\": ", f);
        json_put_string(f, u->ok ? NULL : u->error);
        fputs("}", f);
    }
    fputs("\n  ],\n  \"models\": [", f);
    for (int i = 0; i < r->n_models; i++) {
        const report_model *m = &r->models[i];
        fputs(i ? ",\n    {\"model\": " : "\n    {\"model\": ", f);
        json_put_string(f, m->name);
        fprintf(f, ", \"runs\": %d, \"finished\": %d, \"test_accuracy_mean\": ", m->n_runs,
                m->n_ok);
        json_num(f, 6, m->acc_mean);
        fputs(", \"test_accuracy_std\": ", f);
        json_num(f, 6, m->n_ok ? m->acc_std : NAN);
        fputs(", \"test_loss_mean\": ", f);
        json_num(f, 6, m->loss_mean);
        fputs(", \"test_loss_std\": ", f);
        json_num(f, 6, m->n_ok ? m->loss_std : NAN);
        fputs(", \"seconds_per_epoch_mean\": ", f);
        json_num(f, 4, m->spe_mean);
        fputs("}", f);
    }
    fputs("\n  ]\n}\n", f);
    /* An earlier buffer flush may have failed (disk full) even when the
     * last one, in fclose, succeeds. */
    if (write_failed(f))
        return cv_fail(e, "%s: write failed: %s", path, strerror(errno));
    return 0;
}
