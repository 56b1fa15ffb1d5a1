/* report_md.c - report.md: setup, the results table (the seed study's
 * columns plus cost), findings, pictures, the data section from the EDA and
 * the interpretation.  Pictures are linked by paths relative to the results
 * directory; a missing one is named, never silently dropped. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "base/files.h"
#include "report/report.h"

static void md_char(FILE *f, unsigned char c, int code)
{
    if (c < 0x20 || c == 0x7f)
        fputc(' ', f);
    else if (c == '|')
        fputs("\\|", f);
    else if (code && c == '`')
        fputc('\'', f);
    else if (!code && c == '<')
        fputs("&lt;", f);
    else if (!code && c == '&')
        fputs("&amp;", f);
    else
        fputc(c, f);
}

void report_md_text(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        md_char(f, *p, 0);
}

void report_md_code(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        md_char(f, *p, 1);
}

/* The description: its lines stay lines (blank ones part paragraphs), but a
 * line cannot start a heading, list, quote, table or fence. */
static void md_paragraphs(FILE *f, const char *s)
{
    int line_start = 1;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\n') {
            fputc('\n', f);
            line_start = 1;
            continue;
        }
        if (line_start && *p != ' ' && *p != '\t') {
            if (strchr("#>-+*=|`~_", *p))
                fputc('\\', f);
            line_start = 0;
        }
        md_char(f, *p, 0);
    }
}

static void grouped(FILE *f, int64_t v)
{
    char digits[24];
    snprintf(digits, sizeof digits, "%lld", (long long)v);
    size_t n = strlen(digits);
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && digits[i - 1] != '-' && (n - i) % 3 == 0)
            fputc(',', f);
        fputc(digits[i], f);
    }
}

static void write_setup(const report *r, FILE *f)
{
    fputs("## Setup\n\n", f);
    fputs("- Data: ", f);
    report_md_text(f, r->data ? r->data : "?");
    long n_test = 0;
    for (int i = 0; i < r->n_runs; i++)
        if (r->runs[i].ok && r->runs[i].n_test > n_test)
            n_test = r->runs[i].n_test;
    if (r->limit_train > 0)
        fprintf(f, ", training on the first %ld images only", r->limit_train);
    if (n_test > 0)
        fprintf(f, ", evaluated on %ld test images", n_test);
    fputs(".\n", f);
    fputs("- Training, the same for every model: optimizer ", f);
    report_md_text(f, r->optimizer ? r->optimizer : "?");
    fprintf(f, ", learning rate %g, batch %d, %d epoch%s", r->lr, r->batch, r->epochs,
            r->epochs == 1 ? "" : "s");
    if (r->threads > 0)
        fprintf(f, ", %d thread%s", r->threads, r->threads == 1 ? "" : "s");
    fprintf(f, "; seed%s ", r->n_seeds == 1 ? "" : "s");
    for (int i = 0; i < r->n_seeds; i++)
        fprintf(f, "%s%d", i ? ", " : "", r->seeds[i]);
    fputs(".\n", f);
    if (r->factor_title) {
        fputs("- Varied: ", f);
        report_md_text(f, r->factor_title);
        fputs("; everything else is fixed.\n", f);
    }
    fputs("\n| Model | Spec | Conv layers | Parameters | MFLOPs / image | Generated C lines |\n"
          "|---|---|---:|---:|---:|---:|\n", f);
    for (int m = 0; m < r->n_models; m++) {
        const report_model *d = &r->models[m];
        fprintf(f, "| %s | [`", d->name);
        report_md_code(f, d->spec ? d->spec : "?");
        fprintf(f, "`](specs/%s.spec) | %d | ", d->name, d->conv_layers);
        grouped(f, d->params);
        fprintf(f, " | %.2f | ", d->flops / 1e6);
        if (d->code_lines >= 0)
            grouped(f, d->code_lines);
        else
            fputs("—", f);
        fputs(" |\n", f);
    }
    fputs("\n", f);
}

static void write_results(const report *r, FILE *f)
{
    int best = report_best_model(r);
    int several = 0;
    for (int m = 0; m < r->n_models; m++)
        several |= r->models[m].n_ok > 1;
    fputs("## Results\n\n", f);
    fputs("| Model | Name | ", f);
    report_md_text(f, r->factor_title ? r->factor_title : "Variant");
    fputs(" | Parameters | MFLOPs / image | Test Accuracy | Test Loss "
          "| Seconds / epoch |\n|---|---|---|---:|---:|---:|---:|---:|\n", f);
    for (int m = 0; m < r->n_models; m++) {
        const report_model *d = &r->models[m];
        fputs("| ", f);
        report_md_text(f, d->label);
        fprintf(f, " | %s | ", d->name);
        report_md_text(f, d->factor ? d->factor : "—");
        fputs(" | ", f);
        grouped(f, d->params);
        fprintf(f, " | %.2f | ", d->flops / 1e6);
        if (d->n_ok == 0) {
            fprintf(f, "FAILED | — | — |\n");
            continue;
        }
        const char *em = m == best ? "**" : "";
        if (several)
            fprintf(f, "%s%.2f%% ± %.2f%s | %.4f ± %.4f | ", em, 100 * d->acc_mean,
                    100 * d->acc_std, em, d->loss_mean, d->loss_std);
        else
            fprintf(f, "%s%.2f%%%s | %.4f | ", em, 100 * d->acc_mean, em, d->loss_mean);
        if (isnan(d->spe_mean))
            fputs("— |\n", f);
        else
            fprintf(f, "%.2f |\n", d->spe_mean);
    }
    if (several)
        fputs("\nAccuracy and loss are the mean ± the sample standard deviation over the "
              "seeds that finished.\n", f);
    int failed = 0;
    for (int i = 0; i < r->n_runs; i++)
        failed += !r->runs[i].ok;
    if (several || failed) {
        fputs("\nEvery run:\n\n| Model | Seed | Status | Test Accuracy | Test Loss | Epochs |\n"
              "|---|---:|---|---:|---:|---:|\n", f);
        for (int i = 0; i < r->n_runs; i++) {
            const report_run *u = &r->runs[i];
            fprintf(f, "| %s | %d | ", r->models[u->model].name, u->seed);
            if (u->ok)
                fprintf(f, "ok | %.2f%% | %.4f | %d |\n", 100 * u->accuracy, u->loss,
                        u->n_epochs);
            else {
                fputs("FAILED: ", f);
                report_md_text(f, u->error ? u->error : "no result");
                fprintf(f, " | — | — | %d |\n", u->n_epochs);
            }
        }
    }
    for (int i = 0; i < r->n_runs; i++) {
        const report_run *u = &r->runs[i];
        if (u->stopped_epoch > 0)
            fprintf(f, "\nEarly stopping ended %s seed %d after epoch %d; its best epoch was "
                    "%d.\n", r->models[u->model].name, u->seed, u->stopped_epoch,
                    u->best_epoch);
    }
    fputs("\nThe same numbers, one row per model and seed: [results.csv](results.csv), "
          "[results.json](results.json).\n\n", f);
}

static void picture(FILE *f, const char *alt, const char *rel, const char *missing_why)
{
    if (rel && *rel)
        fprintf(f, "![%s](%s)\n\n", alt, rel);
    else
        fprintf(f, "*%s: not available (%s).*\n\n", alt, missing_why);
}

#define CONFUSED_PAIRS_SHOWN 3

/* "Most confused in cnn_k3 (2 seeds, 400 test predictions): Shirt ↔
 * T-shirt/top 41 times (Shirt as T-shirt/top 25, T-shirt/top as Shirt 16);
 * ..." from the summed matrix. */
static void write_confused_pairs(const report *r, int m, FILE *f)
{
    report_confusion c;
    if (report_model_confusion(r, m, &c) < 0 || c.n_classes == 0) {
        report_confusion_free(&c);
        return;
    }
    report_confused_pair top[CONFUSED_PAIRS_SHOWN];
    int n = report_confused_pairs(&c, top, CONFUSED_PAIRS_SHOWN);
    fprintf(f, "Most confused in **%s** (%d seed%s, %ld test predictions): ", r->models[m].name,
            c.n_runs, c.n_runs == 1 ? "" : "s", c.total);
    if (n == 0)
        fputs("no class was ever taken for another", f);
    for (int i = 0; i < n; i++) {
        const char *a = c.class_names[top[i].a], *b = c.class_names[top[i].b];
        fputs(i ? "; " : "", f);
        report_md_text(f, a);
        fputs(" ↔ ", f);
        report_md_text(f, b);
        fprintf(f, " %ld times (", top[i].a_as_b + top[i].b_as_a);
        report_md_text(f, a);
        fputs(" as ", f);
        report_md_text(f, b);
        fprintf(f, " %ld, ", top[i].a_as_b);
        report_md_text(f, b);
        fputs(" as ", f);
        report_md_text(f, a);
        fprintf(f, " %ld)", top[i].b_as_a);
    }
    fputs(".", f);
    if (c.n_skipped > 0)
        fprintf(f, " %d run%s with other classes left out.", c.n_skipped,
                c.n_skipped == 1 ? "" : "s");
    fputs("\n\n", f);
    report_confusion_free(&c);
}

static void write_pictures(const report *r, const report_pictures *p, FILE *f)
{
    int several = 0;
    for (int m = 0; m < r->n_models; m++)
        several |= r->models[m].n_ok > 1;
    fputs("## Training curves\n\n", f);
    if (several)
        fputs("Each line is a model's mean over its finished seeds; the shaded band around "
              "it runs from the lowest to the highest seed at each epoch.\n\n", f);
    picture(f, "Loss and accuracy per epoch, every model", p->curves,
            "no run with a history, or the plot failed");
    fputs("## Parameters vs accuracy\n\n", f);
    picture(f, "Parameters vs test accuracy", p->params_vs_accuracy,
            "no finished run, or the plot failed");
    fputs("## Confusion matrices\n\nRows are the true class, columns the prediction; "
          "each model's matrices summed over its finished seeds.\n\n", f);
    for (int m = 0; m < r->n_models; m++) {
        char alt[160];
        snprintf(alt, sizeof alt, "Confusion matrix of %s", r->models[m].name);
        picture(f, alt, p->confusion ? p->confusion[m] : NULL,
                "no finished run with a confusion matrix");
        write_confused_pairs(r, m, f);
    }
    if (p->notes[0])
        fprintf(f, "%s\n", p->notes);

    fputs("## What the convolutional models learned\n\n", f);
    int any = 0;
    for (int m = 0; m < r->n_models; m++) {
        const report_model *d = &r->models[m];
        if (d->conv_layers == 0)
            continue;
        any = 1;
        int i = -1;
        for (int k = 0; k < r->n_runs && i < 0; k++)
            if (r->runs[k].model == m && r->runs[k].ok)
                i = k;
        fprintf(f, "### %s\n\n", d->name);
        if (i < 0) {
            fputs("*No finished run: no pictures.*\n\n", f);
            continue;
        }
        const report_run *u = &r->runs[i];
        char rel[512], alt[160];
        snprintf(rel, sizeof rel, "%s/viz/filters.png", u->dir);
        snprintf(alt, sizeof alt, "Learned filters of the first conv layer of %s", d->name);
        picture(f, alt, u->has_filters ? rel : NULL, "`train viz` wrote no filters.png");
        for (int k = 1; k <= u->n_featuremaps; k++) {
            snprintf(rel, sizeof rel, "%s/viz/featuremaps_conv%d.png", u->dir, k);
            snprintf(alt, sizeof alt, "Feature maps of conv layer %d of %s", k, d->name);
            picture(f, alt, rel, "");
        }
        if (u->n_featuremaps == 0)
            fputs("*Feature maps: not available (`train viz` wrote none).*\n\n", f);
    }
    if (!any)
        fputs("No model in this experiment has conv layers.\n\n", f);
}

/* The EDA fragment, with its picture links made relative to the report. */
static void write_eda(const report *r, FILE *f)
{
    fputs("## The data\n\n", f);
    char path[4096];
    snprintf(path, sizeof path, "%s/eda/eda.md", r->dir);
    FILE *in = fopen(path, "r");
    if (!in) {
        fprintf(f, "*The data section is missing: eda/eda.md was not written (%s); "
                "`convc-eda --out %s/eda` makes it.*\n\n", strerror(errno), r->dir);
        return;
    }
    char line[4096];
    while (fgets(line, sizeof line, in)) {
        /* The fragment's own top heading is replaced by this section's. */
        if (line[0] == '#' && line[1] == ' ')
            continue;
        for (char *p = line; *p; p++) {
            if (p[0] == ']' && p[1] == '(' && strncmp(p + 2, "http", 4) != 0 && p[2] != '/' &&
                p[2] != '#') {
                fputs("](eda/", f);
                p++;
                continue;
            }
            fputc(*p, f);
        }
    }
    fclose(in);
    fputs("\n", f);
}

/* The method behind every "beats ... by" sentence. */
static void write_how_to_read(const report *r, FILE *f)
{
    fputs("### How to read these numbers\n\n", f);
    fprintf(f, "Each model was trained once per seed (%d seed%s). A seed fixes the data "
            "order and the initial weights, the same for every model where the shapes "
            "allow, so two models are compared seed by seed: the per-seed differences in "
            "test accuracy, their mean, and a 95%% confidence interval from Student's t "
            "distribution with one degree of freedom fewer than there are seeds. A "
            "difference is called real only when its interval excludes zero, which is the "
            "paired t-test at the 5%% level (its p-value is given); otherwise the models "
            "are not distinguishable with that many seeds, whatever the means say. With "
            "few seeds the interval is wide: three seeds give a t factor of 4.30, so a "
            "difference must be about 2.5 times the spread of the per-seed differences to "
            "count. `± ` figures in the tables are the standard deviation across seeds, "
            "not an interval.\n\n", r->n_seeds, r->n_seeds == 1 ? "" : "s");
}

int report_write_markdown(const report *r, const report_pictures *p, const char *path,
                          cv_error *e)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return cv_fail(e, "%s: out of memory", path);
    fputs("# ", f);
    report_md_text(f, r->title ? r->title : r->name);
    fputs("\n\n", f);
    if (r->description) {
        md_paragraphs(f, r->description);
        fputs("\n\n", f);
    }
    fprintf(f, "Experiment `%s`", r->name);
    if (r->source) {
        fputs(" from `", f);
        report_md_code(f, r->source);
        fputs("`", f);
    }
    fputs(". Every number and sentence below is computed from the result files in this "
          "directory by `convc-report`; rerun with `convc run ", f);
    report_md_code(f, r->source ? r->source : "...");
    fputs("`.\n\n", f);
    write_setup(r, f);
    write_eda(r, f);
    write_results(r, f);
    report_write_published(r, f);
    fputs("## Findings\n\n", f);
    fputs("In one sentence: ", f);
    report_write_decided_finding(r, f);
    fputs("\n\n", f);
    report_write_findings(r, f);
    fputs("\n", f);
    write_how_to_read(r, f);
    write_pictures(r, p, f);
    fputs("## Interpretation\n\n", f);
    report_write_interpretation(r, f);
    int failed = ferror(f);
    if (fclose(f) != 0 || failed) {
        free(text);
        return cv_fail(e, "%s: out of memory", path);
    }
    int rc = cv_write_atomic(path, text, len, e);
    free(text);
    return rc;
}
