/* report_main.c - bin/convc-report RESULTS_DIR: results.csv, results.json,
 * plots and report.md from what `convc run` left in RESULTS_DIR; and
 * convc-report --index RESULTS_ROOT [EXPERIMENT.yaml...]: RESULTS_ROOT/index.md
 * over every study. */
#include <stdio.h>
#include <string.h>
#include "pictures/plot.h"
#include "report/report.h"

static int usage(int status)
{
    fprintf(stderr, "usage: convc-report RESULTS_DIR   (e.g. results/kernel_size)\n"
            "  reads RESULTS_DIR/experiment.json and the runs it lists; writes\n"
            "  results.csv, results.json, plots/ and report.md there\n"
            "       convc-report --index RESULTS_ROOT [EXPERIMENT.yaml...]   (e.g. results "
            "specs/*.yaml)\n"
            "  writes RESULTS_ROOT/index.md: one row per study under RESULTS_ROOT with its\n"
            "  decided finding and a link to its report; an EXPERIMENT.yaml without\n"
            "  results is listed as not run yet\n");
    return status;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "--index") == 0) {
        if (argc < 3 || argv[2][0] == '-')
            return usage(2);
        cv_error e;
        if (report_write_index(argv[2], (const char *const *)argv + 3, argc - 3, &e) < 0) {
            fprintf(stderr, "convc-report: %s\n", e.msg);
            return 1;
        }
        printf("wrote %s/index.md\n", argv[2]);
        return 0;
    }
    if (argc != 2 || argv[1][0] == '-')
        return usage(argc == 2 && (strcmp(argv[1], "-h") == 0 ||
                                   strcmp(argv[1], "--help") == 0) ? 0 : 2);
    const char *dir = argv[1];
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
