/* cmd_run_one.c - `convc run-one DIR INDEX | --build MODEL | --report`: one
 * job of an experiment that `convc run --launcher slurm` submitted.  It
 * repeats the saved `convc run` command (DIR/slurm/command) from the
 * directory it ran in, so the job sees the experiment as the submission
 * did (experiment_job.c). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "base/options.h"
#include "cli/commands.h"
#include "experiment/experiment.h"
#include "base/parse_num.h"

static const char usage_text[] =
    "usage: convc run-one DIR INDEX      train, evaluate and visualize run INDEX\n"
    "       convc run-one DIR --build MODEL  build the trainer of MODEL\n"
    "       convc run-one DIR --report       collect the runs, write the report\n"
    "DIR is the output directory of an experiment submitted by\n"
    "'convc run --launcher slurm'; the Slurm jobs run these commands.\n";

static const struct option run_one_options[] = {
    { "build", required_argument, NULL, 'b' },
    { "report", no_argument, NULL, 'r' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

int cmd_run_one(int argc, char **argv)
{
    exp_job job = {.kind = EXP_JOB_RUN};
    int c, kinds = 0;
    long index = 0;
    optind = 0;
    while ((c = cv_getopt(argc, argv, "h", run_one_options, "convc run-one")) != -1) {
        switch (c) {
        case 'b':
            job.kind = EXP_JOB_BUILD, job.model = optarg, kinds++;
            break;
        case 'r':
            job.kind = EXP_JOB_REPORT, kinds++;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        default:
            fputs(usage_text, stderr);
            return 2;
        }
    }
    /* DIR, then INDEX for a run; --build or --report, once, instead */
    int operands = argc - optind;
    if (kinds > 1 || operands != (job.kind == EXP_JOB_RUN ? 2 : 1)) {
        fprintf(stderr, "convc run-one: expected DIR and one of INDEX, --build MODEL, "
                "--report\n%s", usage_text);
        return 2;
    }
    if (job.kind == EXP_JOB_RUN) {
        if (cv_parse_long(argv[optind + 1], 0, INT_MAX, &index) != 0)
            return cv_option_invalid("convc run-one", "INDEX", argv[optind + 1],
                                     "a run's index, 0 or more");
        job.index = (int)index;
    }
    const char *dir = argv[optind];
    char *cwd, **saved;
    int n;
    if (experiment_load_command(dir, &cwd, &n, &saved, stderr) < 0)
        return 1;
    int status = 1;
    if (chdir(cwd) < 0)
        fprintf(stderr, "convc run-one: cannot enter %s, where the experiment was submitted: "
                "%s\n", cwd, strerror(errno));
    else
        status = cmd_run_job(n, saved, &job);
    experiment_free_command(cwd, saved);
    return status;
}
