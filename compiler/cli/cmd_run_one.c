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
#include "cli/commands.h"
#include "experiment/experiment.h"
#include "base/parse_num.h"

static const char usage_text[] =
    "usage: convc run-one DIR INDEX      train, evaluate and visualize run INDEX\n"
    "       convc run-one DIR --build MODEL  build the trainer of MODEL\n"
    "       convc run-one DIR --report       collect the runs, write the report\n"
    "DIR is the output directory of an experiment submitted by\n"
    "'convc run --launcher slurm'; the Slurm jobs run these commands.\n";

int cmd_run_one(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        fputs(usage_text, stdout);
        return 0;
    }
    exp_job job = {0};
    long index = 0;
    if (argc == 4 && strcmp(argv[2], "--build") == 0) {
        job.kind = EXP_JOB_BUILD, job.model = argv[3];
    } else if (argc == 3 && strcmp(argv[2], "--report") == 0) {
        job.kind = EXP_JOB_REPORT;
    } else if (argc == 3 && cv_parse_long(argv[2], 0, INT_MAX, &index) == 0) {
        job.kind = EXP_JOB_RUN, job.index = (int)index;
    } else {
        fputs(usage_text, stderr);
        return 2;
    }
    char *cwd, **saved;
    int n;
    if (experiment_load_command(argv[1], &cwd, &n, &saved, stderr) < 0)
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
