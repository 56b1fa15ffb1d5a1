/* report_load.c - what `convc run` wrote into a results directory, as a
 * report: experiment.json, and per run eval.json, history.csv and viz/. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "train/history.h"
#include "report/report.h"
#include "base/json.h"

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

__attribute__((format(printf, 1, 2)))
static char *format_string(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    return s;
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* A number read from a result file must be finite and in [lo, hi]: a
 * tampered or broken file with 1e999 would otherwise print "inf% ± -nan"
 * as the best model. */
static int check_range(const char *path, const char *field, double v, double lo, double hi,
                       cv_error *e)
{
    if (isfinite(v) && v >= lo && v <= hi)
        return 0;
    return cv_fail(e, "%s: \"%s\" must be a number from %g to %g, got %g", path, field, lo,
                   hi, v);
}

/* ---- history.csv ------------------------------------------------------------ */

int report_read_history(report_run *run, const char *path, cv_error *e)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return cv_fail(e, "%s: cannot open: %s", path, strerror(errno));
    char line[1024];
    if (!fgets(line, sizeof line, f) || strncmp(line, HISTORY_HEADER_V1, strlen(HISTORY_HEADER_V1))) {
        fclose(f);
        return cv_fail(e, "%s:1: expected the header '%s'", path, HISTORY_HEADER_V1);
    }
    double **cols[6] = {&run->epoch, &run->train_loss, &run->train_acc, &run->test_loss,
                        &run->test_acc, &run->seconds};
    static const char *const names[6] = {"epoch", "train_loss", "train_accuracy", "test_loss",
                                         "test_accuracy", "seconds"};
    static const double lo[6] = {1, 0, 0, 0, 0, 0};
    static const double hi[6] = {1e9, 1e30, 1, 1e30, 1, 1e12};
    int n = 0, cap = 0, lineno = 1;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (line[0] == '\n' || line[0] == '\0')
            continue;
        double v[6];
        char *p = line;
        for (int c = 0; c < 6; c++) {
            char *end;
            v[c] = strtod(p, &end);
            if (end == p || (c < 5 && *end != ',')) {
                fclose(f);
                return cv_fail(e, "%s:%d: expected 6 numbers separated by commas", path, lineno);
            }
            p = end + 1;
            if (!(isfinite(v[c]) && v[c] >= lo[c] && v[c] <= hi[c])) {
                fclose(f);
                return cv_fail(e, "%s:%d: \"%s\" must be a number from %g to %g, got %g",
                               path, lineno, names[c], lo[c], hi[c], v[c]);
            }
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            for (int c = 0; c < 6; c++) {
                double *nc = realloc(*cols[c], sizeof **cols[c] * (size_t)cap);
                if (!nc) {
                    fclose(f);
                    return cv_fail(e, "%s: out of memory", path);
                }
                *cols[c] = nc;
            }
        }
        for (int c = 0; c < 6; c++)
            (*cols[c])[n] = v[c];
        n++;
        /* The event column, the tenth since early stopping (history.h):
         * the text after the ninth comma. */
        int commas = 0;
        const char *event = NULL;
        for (const char *q = line; *q && !event; q++)
            if (*q == ',' && ++commas == 9)
                event = q;
        if (event) {
            if (strncmp(event + 1, "best", 4) == 0)
                run->best_epoch = (int)v[0];
            else if (strncmp(event + 1, "stopped", 7) == 0)
                run->stopped_epoch = (int)v[0];
        }
    }
    fclose(f);
    run->n_epochs = n;
    return 0;
}

/* ---- eval.json ----------------------------------------------------------------- */

static int read_eval(report_run *run, const char *path, cv_error *e)
{
    json_t *j = cv_json_load(path, e);
    if (!j)
        return -1;
    const json_t *acc = json_object_get(j, "accuracy"), *loss = json_object_get(j, "loss");
    if (!json_is_number(acc) || !json_is_number(loss)) {
        json_decref(j);
        return cv_fail(e, "%s: expected numbers \"accuracy\" and \"loss\"", path);
    }
    if (check_range(path, "accuracy", json_number_value(acc), 0, 1, e) < 0 ||
        check_range(path, "loss", json_number_value(loss), 0, 1e30, e) < 0) {
        json_decref(j);
        return -1;
    }
    run->accuracy = json_number_value(acc);
    run->loss = json_number_value(loss);
    run->n_test = (long)cv_json_int64(json_object_get(j, "n"), 0);
    if (run->n_test < 0) {
        json_decref(j);
        return cv_fail(e, "%s: \"n\" must be a count of test images, got %ld", path,
                       run->n_test);
    }
    const json_t *conf = json_object_get(j, "confusion");
    const json_t *names = json_object_get(j, "class_names");
    int k = (int)json_array_size(conf);
    if (k >= 2 && k <= REPORT_MAX_CLASSES) {
        run->confusion = calloc((size_t)k * (size_t)k, sizeof *run->confusion);
        run->class_names = calloc((size_t)k, sizeof *run->class_names);
        if (!run->confusion || !run->class_names) {
            json_decref(j);
            return cv_fail(e, "%s: out of memory", path);
        }
        run->n_classes = k;
        for (int t = 0; t < k; t++) {
            const json_t *row = json_array_get(conf, t);
            for (int p = 0; p < k; p++)
                run->confusion[t * k + p] = (long)cv_json_int64(json_array_get(row, p), 0);
            const char *name = json_string_value(json_array_get(names, t));
            run->class_names[t] = name ? strdup(name) : format_string("%d", t);
        }
    }
    json_decref(j);
    return 0;
}

/* ---- experiment.json ---------------------------------------------------------------- */

/* Names and directories become paths: nothing may lead out of the results
 * directory or break a line of the report. */
static int is_model_name(const char *s)
{
    if (!*s || strlen(s) > 63 || (*s >= '0' && *s <= '9'))
        return 0;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_'))
            return 0;
    return 1;
}

static int is_run_dir(const char *s)
{
    if (strncmp(s, "runs/", 5) != 0 || !s[5])
        return 0;
    for (s += 5; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_' || *s == '-'))
            return 0;
    return 1;
}

static void read_layers(report_model *m, const json_t *layers)
{
    int n = (int)json_array_size(layers);
    if (n == 0)
        return;
    m->layers = calloc((size_t)n, sizeof *m->layers);
    if (!m->layers)
        return;
    m->n_layers = n;
    for (int i = 0; i < n; i++) {
        const json_t *l = json_array_get(layers, i);
        report_layer *d = &m->layers[i];
        const char *kind = json_string_value(json_object_get(l, "kind"));
        snprintf(d->kind, sizeof d->kind, "%s", kind ? kind : "?");
        d->source = dup_or_null(json_string_value(json_object_get(l, "source")));
        for (int k = 0; k < 3; k++) {
            d->in[k] = cv_json_int(json_array_get(json_object_get(l, "in"), k), 0);
            d->out[k] = cv_json_int(json_array_get(json_object_get(l, "out"), k), 0);
        }
        for (int k = 0; k < 2; k++) {
            d->kernel[k] = cv_json_int(json_array_get(json_object_get(l, "kernel"), k), 0);
            d->stride[k] = cv_json_int(json_array_get(json_object_get(l, "stride"), k), 0);
        }
        d->params = cv_json_int64(json_object_get(l, "params"), 0);
        d->flops = cv_json_int64(json_object_get(l, "flops"), 0);
    }
}

/* "published": {"source", "note", "models": [{"model", "test_accuracy"}]},
 * or null.  Every entry must name a model of the experiment. */
static int read_published(report *r, const json_t *pub, const char *path, cv_error *e)
{
    const json_t *list = json_object_get(pub, "models");
    int n = (int)json_array_size(list);
    if (n == 0)
        return 0;
    r->published = calloc((size_t)n, sizeof *r->published);
    if (!r->published)
        return cv_fail(e, "%s: out of memory", path);
    r->published_source = dup_or_null(json_string_value(json_object_get(pub, "source")));
    r->published_note = dup_or_null(json_string_value(json_object_get(pub, "note")));
    for (int i = 0; i < n; i++) {
        const json_t *p = json_array_get(list, i);
        const char *model = json_string_value(json_object_get(p, "model"));
        int k = 0;
        while (model && k < r->n_models && strcmp(r->models[k].name, model) != 0)
            k++;
        if (!model || k == r->n_models)
            return cv_fail(e, "%s: published entry %d names an unknown model '%s'", path,
                           i + 1, model ? model : "");
        double acc = cv_json_number(json_object_get(p, "test_accuracy"), NAN);
        if (check_range(path, "published.models[].test_accuracy", acc, 0, 1, e) < 0)
            return -1;
        r->published[r->n_published++] = (report_published){k, acc};
    }
    return 0;
}

static int read_manifest(report *r, const json_t *j, const char *path, cv_error *e)
{
    r->name = dup_or_null(json_string_value(json_object_get(j, "name")));
    if (!r->name)
        return cv_fail(e, "%s: missing \"name\"", path);
    r->title = dup_or_null(json_string_value(json_object_get(j, "title")));
    r->description = dup_or_null(json_string_value(json_object_get(j, "description")));
    r->source = dup_or_null(json_string_value(json_object_get(j, "source")));
    r->data = dup_or_null(json_string_value(json_object_get(j, "data")));
    r->limit_train = (long)cv_json_int64(json_object_get(j, "limit_train"), 0);
    r->limit_test = (long)cv_json_int64(json_object_get(j, "limit_test"), 0);
    const json_t *t = json_object_get(j, "train");
    r->optimizer = dup_or_null(json_string_value(json_object_get(t, "optimizer")));
    r->lr = cv_json_number(json_object_get(t, "lr"), NAN);
    if (json_object_get(t, "lr") && check_range(path, "train.lr", r->lr, 0, 10, e) < 0)
        return -1;
    r->batch = cv_json_int(json_object_get(t, "batch"), 0);
    r->epochs = cv_json_int(json_object_get(t, "epochs"), 0);
    r->threads = cv_json_int(json_object_get(t, "threads"), 0);
    const json_t *seeds = json_object_get(j, "seeds");
    for (int i = 0; i < (int)json_array_size(seeds) && i < 64; i++)
        r->seeds[r->n_seeds++] = cv_json_int(json_array_get(seeds, i), 0);
    r->factor_title = dup_or_null(json_string_value(json_object_get(json_object_get(j, "factor"), "title")));

    const json_t *models = json_object_get(j, "models");
    int nm = (int)json_array_size(models);
    if (nm == 0)
        return cv_fail(e, "%s: \"models\" is missing or empty", path);
    r->models = calloc((size_t)nm, sizeof *r->models);
    if (!r->models)
        return cv_fail(e, "%s: out of memory", path);
    r->n_models = nm;
    for (int i = 0; i < nm; i++) {
        const json_t *m = json_array_get(models, i);
        report_model *d = &r->models[i];
        d->name = dup_or_null(json_string_value(json_object_get(m, "name")));
        if (!d->name)
            return cv_fail(e, "%s: model %d has no \"name\"", path, i + 1);
        if (!is_model_name(d->name))
            return cv_fail(e, "%s: model %d: \"name\" must be letters, digits and '_' "
                           "(it names files), got '%s'", path, i + 1, d->name);
        const char *label = json_string_value(json_object_get(m, "label"));
        d->label = strdup(label ? label : d->name);
        d->spec = dup_or_null(json_string_value(json_object_get(m, "spec")));
        d->factor = dup_or_null(json_string_value(json_object_get(m, "factor")));
        d->params = cv_json_int64(json_object_get(m, "params"), 0);
        d->flops = cv_json_int64(json_object_get(m, "flops"), 0);
        d->conv_layers = cv_json_int(json_object_get(m, "conv_layers"), 0);
        d->code_lines = (long)cv_json_int64(json_object_get(m, "code_lines"), -1);
        const char *status = json_string_value(json_object_get(m, "status"));
        d->build_ok = !status || strcmp(status, "ok") == 0;
        d->error = dup_or_null(json_string_value(json_object_get(m, "error")));
        read_layers(d, json_object_get(m, "layers"));
    }

    const json_t *runs = json_object_get(j, "runs");
    int nr = (int)json_array_size(runs);
    r->runs = nr ? calloc((size_t)nr, sizeof *r->runs) : NULL;
    if (nr && !r->runs)
        return cv_fail(e, "%s: out of memory", path);
    r->n_runs = nr;
    for (int i = 0; i < nr; i++) {
        const json_t *u = json_array_get(runs, i);
        report_run *d = &r->runs[i];
        d->model = -1;
        d->seconds_per_epoch = NAN;
        const char *model = json_string_value(json_object_get(u, "model"));
        for (int k = 0; model && k < nm; k++)
            if (strcmp(r->models[k].name, model) == 0)
                d->model = k;
        if (d->model < 0)
            return cv_fail(e, "%s: run %d names an unknown model '%s'", path, i + 1,
                           model ? model : "");
        d->seed = cv_json_int(json_object_get(u, "seed"), 0);
        d->dir = dup_or_null(json_string_value(json_object_get(u, "dir")));
        const char *status = json_string_value(json_object_get(u, "status"));
        d->ok = status && strcmp(status, "ok") == 0;
        d->error = dup_or_null(json_string_value(json_object_get(u, "error")));
        if (!d->dir)
            return cv_fail(e, "%s: run %d has no \"dir\"", path, i + 1);
        if (!is_run_dir(d->dir))
            return cv_fail(e, "%s: run %d: \"dir\" must be runs/<model>-s<seed>, got '%s'",
                           path, i + 1, d->dir);
    }
    return read_published(r, json_object_get(j, "published"), path, e);
}

/* Reads one run's files; a problem marks the run as not finished. */
static void read_run(report *r, report_run *run)
{
    char path[4096];
    cv_error e;
    if (run->ok) {
        snprintf(path, sizeof path, "%s/%s/eval.json", r->dir, run->dir);
        if (read_eval(run, path, &e) < 0) {
            run->ok = 0;
            free(run->error);
            run->error = strdup(e.msg);
        }
    }
    snprintf(path, sizeof path, "%s/%s/history.csv", r->dir, run->dir);
    if (file_exists(path) && report_read_history(run, path, &e) == 0 && run->n_epochs > 0) {
        double sum = 0;
        for (int i = 0; i < run->n_epochs; i++)
            sum += run->seconds[i];
        run->seconds_per_epoch = sum / run->n_epochs;
    }
    snprintf(path, sizeof path, "%s/%s/viz/filters.png", r->dir, run->dir);
    run->has_filters = file_exists(path);
    for (int k = 1; k < 64; k++) {
        snprintf(path, sizeof path, "%s/%s/viz/featuremaps_conv%d.png", r->dir, run->dir, k);
        if (!file_exists(path))
            break;
        run->n_featuremaps = k;
    }
}

int report_load(report *r, const char *dir, cv_error *e)
{
    memset(r, 0, sizeof *r);
    r->dir = strdup(dir);
    char path[4096];
    snprintf(path, sizeof path, "%s/experiment.json", dir);
    json_t *j = cv_json_load(path, e);
    if (!j) {
        if (!file_exists(path))
            cv_fail(e, "%s: not found: run 'convc run EXPERIMENT.yaml' first", path);
        return -1;
    }
    int rc = read_manifest(r, j, path, e);
    json_decref(j);
    if (rc < 0)
        return -1;
    for (int i = 0; i < r->n_runs; i++)
        read_run(r, &r->runs[i]);
    return 0;
}

void report_free(report *r)
{
    for (int i = 0; i < r->n_models; i++) {
        report_model *m = &r->models[i];
        free(m->name);
        free(m->label);
        free(m->spec);
        free(m->factor);
        free(m->error);
        for (int k = 0; k < m->n_layers; k++)
            free(m->layers[k].source);
        free(m->layers);
    }
    free(r->models);
    for (int i = 0; i < r->n_runs; i++) {
        report_run *u = &r->runs[i];
        free(u->dir);
        free(u->error);
        free(u->epoch);
        free(u->train_loss);
        free(u->train_acc);
        free(u->test_loss);
        free(u->test_acc);
        free(u->seconds);
        for (int k = 0; k < u->n_classes; k++)
            free(u->class_names[k]);
        free(u->class_names);
        free(u->confusion);
    }
    free(r->runs);
    free(r->dir);
    free(r->name);
    free(r->title);
    free(r->description);
    free(r->source);
    free(r->data);
    free(r->optimizer);
    free(r->factor_title);
    free(r->published_source);
    free(r->published_note);
    free(r->published);
    memset(r, 0, sizeof *r);
}
