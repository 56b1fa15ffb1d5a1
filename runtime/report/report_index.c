/* report_index.c - RESULTS_ROOT/index.md: every study in one table, each
 * with its decided finding computed from its result files by the same code
 * as its report (report_write_decided_finding), and a link to the report.
 * An experiment file given on the command line whose study has no results
 * yet is listed as not run. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "base/files.h"
#include "report/report.h"

typedef struct {
    char *dir;              /* the study's directory under the root */
    char *source;           /* the experiment file it came from, or NULL */
    char *row;              /* its table row */
    int listed;
} study;

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The same file, or the same text when either does not exist. */
static int same_file(const char *a, const char *b)
{
    char ra[PATH_MAX], rb[PATH_MAX];
    if (realpath(a, ra) && realpath(b, rb))
        return strcmp(ra, rb) == 0;
    return strcmp(a, b) == 0;
}

static void study_row(const char *root, study *s, FILE *f)
{
    char path[PATH_MAX];
    report r;
    cv_error e;
    snprintf(path, sizeof path, "%s/%s", root, s->dir);
    if (report_load(&r, path, &e) < 0) {
        fprintf(f, "| `%s` | — | — | — | unreadable: ", s->dir);
        report_md_text(f, e.msg);
        fputs(" |\n", f);
        report_free(&r);
        return;
    }
    s->source = r.source ? strdup(r.source) : NULL;
    report_aggregate(&r);
    int ok = 0;
    for (int i = 0; i < r.n_runs; i++)
        ok += r.runs[i].ok;
    fputs("| ", f);
    snprintf(path, sizeof path, "%s/%s/report.md", root, s->dir);
    int has_report = is_file(path);
    if (has_report)
        fputs("[", f);
    report_md_text(f, r.title ? r.title : r.name);
    if (has_report)
        fprintf(f, "](%s/report.md)", s->dir);
    fputs(" | `", f);
    report_md_code(f, r.source ? r.source : s->dir);
    fprintf(f, "` | %d | %d | %d of %d | ", r.n_models, r.n_seeds, ok, r.n_runs);
    report_write_decided_finding(&r, f);
    if (!has_report)
        fprintf(f, " (No report yet: `convc-report %s/%s`.)", root, s->dir);
    fputs(" |\n", f);
    report_free(&r);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* Every directory under root with an experiment.json, in name order. */
static int find_studies(const char *root, study **out, int *n, cv_error *e)
{
    struct dirent **names;
    int count = scandir(root, &names, NULL, by_name);
    if (count < 0)
        return cv_fail(e, "%s: cannot read the results directory", root);
    *out = calloc((size_t)count + 1, sizeof **out);
    *n = 0;
    for (int i = 0; i < count; i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s/experiment.json", root, names[i]->d_name);
        if (*out && names[i]->d_name[0] != '.' && is_file(path))
            (*out)[(*n)++].dir = strdup(names[i]->d_name);
        free(names[i]);
    }
    free(names);
    return *out ? 0 : cv_fail(e, "%s: out of memory", root);
}

int report_write_index(const char *root, const char *const *yamls, int n_yamls, cv_error *e)
{
    study *studies;
    int n;
    if (find_studies(root, &studies, &n, e) < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        char *row = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&row, &len);
        if (f) {
            study_row(root, &studies[i], f);
            fclose(f);
        }
        studies[i].row = row;
    }

    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    int rc = -1;
    if (f) {
        fputs("# Every study\n\nOne row per experiment: how many models and seeds it ran, "
              "how many runs finished, and its decided finding, the best model against the "
              "runner-up compared seed by seed (the paired t-test of its report). Written "
              "by `convc-report --index` from the result files; `make experiments` runs "
              "every study and rewrites it.\n\n"
              "| Study | Experiment | Models | Seeds | Runs finished | Decided finding |\n"
              "|---|---|---:|---:|---:|---|\n", f);
        for (int y = 0; y < n_yamls; y++) {
            int found = 0;
            for (int i = 0; i < n; i++) {
                study *s = &studies[i];
                if (s->listed || !s->source || !same_file(s->source, yamls[y]))
                    continue;
                fputs(s->row ? s->row : "", f);
                s->listed = found = 1;
            }
            if (!found) {
                fputs("| — | `", f);
                report_md_code(f, yamls[y]);
                fputs("` | — | — | — | Not run yet: `convc run ", f);
                report_md_code(f, yamls[y]);
                fputs("`. |\n", f);
            }
        }
        for (int i = 0; i < n; i++)
            if (!studies[i].listed)
                fputs(studies[i].row ? studies[i].row : "", f);
        int failed = ferror(f);
        if (fclose(f) == 0 && !failed) {
            char path[PATH_MAX];
            snprintf(path, sizeof path, "%s/index.md", root);
            rc = cv_write_atomic(path, text, len, e);
        } else {
            cv_fail(e, "%s/index.md: out of memory", root);
        }
    } else {
        cv_fail(e, "%s/index.md: out of memory", root);
    }
    free(text);
    for (int i = 0; i < n; i++) {
        free(studies[i].dir);
        free(studies[i].source);
        free(studies[i].row);
    }
    free(studies);
    return rc;
}
