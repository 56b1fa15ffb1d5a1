/* report_main.c - bin/convc-report RESULTS_DIR: results.csv, results.json,
 * plots and report.md from what `convc run` left in RESULTS_DIR; and
 * convc-report --index RESULTS_ROOT [EXPERIMENT.yaml...]: RESULTS_ROOT/index.md
 * over every study. */
#include <stdio.h>
#include <string.h>
#include "base/options.h"
#include "pictures/plot.h"
#include "report/report.h"

static const char report_usage[] =
    "usage: convc-report RESULTS_DIR   (e.g. results/kernel_size)\n"
    "  reads RESULTS_DIR/experiment.json and the runs it lists; writes\n"
    "  results.csv, results.json, plots/ and report.md there\n"
    "       convc-report --index RESULTS_ROOT [EXPERIMENT.yaml...]   (e.g. results "
    "specs/*.yaml)\n"
    "  writes RESULTS_ROOT/index.md: one row per study under RESULTS_ROOT with its\n"
    "  decided finding and a link to its report; an EXPERIMENT.yaml without\n"
    "  results is listed as not run yet\n";

static const struct option report_options[] = {
    { "index", required_argument, NULL, 'i' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

int main(int argc, char **argv)
{
    const char *index_root = NULL;
    int c;
    optind = 0;
    while ((c = cv_getopt(argc, argv, "h", report_options, "convc-report")) != -1) {
        if (c == 'i') {
            index_root = optarg;
            continue;
        }
        fputs(report_usage, c == 'h' ? stdout : stderr);
        return c == 'h' ? 0 : 2;
    }
    if (index_root) {
        cv_error e;
        if (report_write_index(index_root, (const char *const *)argv + optind, argc - optind,
                               &e) < 0) {
            fprintf(stderr, "convc-report: %s\n", e.msg);
            return 1;
        }
        printf("wrote %s/index.md\n", index_root);
        return 0;
    }
    if (argc - optind != 1) {
        fprintf(stderr, "convc-report: %s\n%s",
                optind < argc ? "one results directory at a time" : "no results directory given",
                report_usage);
        return 2;
    }
    const char *dir = argv[optind];
    report r;
    cv_error e;
    if (report_load(&r, dir, &e) < 0) {
        fprintf(stderr, "convc-report: %s\n", e.msg);
        report_free(&r);
        return 1;
    }
    report_aggregate(&r);
    char path[4096];
    int status = 0;
    snprintf(path, sizeof path, "%s/results.csv", dir);
    if (report_write_csv(&r, path, &e) < 0) {
        fprintf(stderr, "convc-report: %s\n", e.msg);
        status = 1;
    }
    snprintf(path, sizeof path, "%s/results.json", dir);
    if (report_write_json(&r, path, &e) < 0) {
        fprintf(stderr, "convc-report: %s\n", e.msg);
        status = 1;
    }
    report_pictures pics;
    report_plots(&r, &pics);
    if (pics.notes[0])
        fprintf(stderr, "convc-report: some plots failed:\n%s", pics.notes);
    snprintf(path, sizeof path, "%s/report.md", dir);
    if (report_write_markdown(&r, &pics, path, &e) < 0) {
        fprintf(stderr, "convc-report: %s\n", e.msg);
        status = 1;
    } else {
        printf("wrote %s/report.md, results.csv, results.json\n", dir);
    }
    report_pictures_free(&pics, r.n_models);
    report_free(&r);
    plot_release_caches();
    return status;
}
