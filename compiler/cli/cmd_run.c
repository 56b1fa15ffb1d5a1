/* cmd_run.c - `convc run EXPERIMENT.yaml`: validate the whole experiment,
 * then build, train and evaluate every variant and write the report. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "base/options.h"
#include "cli/commands.h"
#include "experiment/experiment.h"
#include "experiment/experiment_sys.h"
#include "base/parse_num.h"

static void usage(FILE *f)
{
    fputs("usage: convc run EXPERIMENT.yaml [options]\n"
          "  --out DIR          output directory (default results/<name>)\n"
          "  --epochs N         override train.epochs\n"
          "  --seeds A,B,...    override the seeds\n"
          "  --threads N        override train.threads\n"
          "  --limit-train N    train on the first N images only\n"
          "  --limit-test N     evaluate on the first N test images only\n"
          "  --data DIR         read the data set from DIR\n"
          "  --jobs N           train N runs at once (default 1)\n"
          "  --progress         show the trainer's progress (default on a terminal)\n"
          "  --quiet            trainer output to each run's train.log only\n"
          "  --no-report        do not run convc-report at the end\n"
          "  --wait             wait while another 'convc run' uses the output directory\n"
          "                     (default: refuse); with Slurm, also for the jobs to end\n"
          "  --launcher slurm   submit the builds, the runs (a job array) and the report\n"
          "                     as Slurm jobs; print their ids\n"
          "  --launcher 'CMD'   run make and the trainers through CMD (e.g. 'srun -n1 -c2')\n"
          "  --sbatch 'ARGS'    more options for every sbatch (e.g. '--partition=gpu')\n"
          "  --dry-run          check everything, print the plan, run nothing\n", f);
}

static int parse_count(const char *opt, const char *s, long lo, long hi, long *out)
{
    if (cv_parse_long(s, lo, hi, out) != 0) {
        char expected[64];
        snprintf(expected, sizeof expected, "an integer from %ld to %ld", lo, hi);
        cv_option_invalid("convc run", opt, s, expected);
        return -1;
    }
    return 0;
}

static int parse_seeds(const char *s, experiment *x)
{
    int n = 0;
    const char *p = s;
    while (p && *p) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || v < 0 || v > INT_MAX || (*end && *end != ',') ||
            n == EXP_MAX_SEEDS) {
            char expected[64];
            snprintf(expected, sizeof expected, "up to %d integers like 1,2,3", EXP_MAX_SEEDS);
            cv_option_invalid("convc run", "--seeds", s, expected);
            return -1;
        }
        x->seeds[n++] = (int)v;
        p = *end ? end + 1 : end;
    }
    if (n == 0) {
        fprintf(stderr, "convc run: --seeds needs at least one seed\n");
        return -1;
    }
    x->n_seeds = n;
    return 0;
}

/* The project directory: where the Makefile is, found from this program's
 * location (bin/convc, or a BIN= directory below the project), or
 * $CONVC_ROOT. */
static int find_dirs(char *root, char *bin_dir, size_t n)
{
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0)
        return -1;
    exe[len] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    if (sys_path(bin_dir, n, "%s", exe) < 0)
        return -1;
    const char *env = getenv("CONVC_ROOT");
    if (env && *env)
        return sys_path(root, n, "%s", env);
    for (;;) {
        char mk[PATH_MAX + 16];
        if (sys_path(mk, sizeof mk, "%s/Makefile", exe) == 0 && sys_exists(mk))
            return sys_path(root, n, "%s", exe);
        slash = strrchr(exe, '/');
        if (!slash || slash == exe)
            return -1;
        *slash = '\0';
    }
}

static void print_plan(const experiment *x, FILE *f)
{
    fprintf(f, "experiment %s (%s): %d model%s x %d seed%s, %s, %d epoch%s, batch %d, "
            "lr %g\n", x->name, x->path, x->n_variants, x->n_variants == 1 ? "" : "s",
            x->n_seeds, x->n_seeds == 1 ? "" : "s", x->optimizer, x->epochs,
            x->epochs == 1 ? "" : "s", x->batch, x->lr);
    for (int i = 0; i < x->n_variants; i++) {
        const exp_variant *v = &x->variants[i];
        fprintf(f, "  %-20s %-40s %12lld params %10.2f MFLOPs/image\n", v->name,
                v->display_path, (long long)v->params, (double)v->flops / 1e6);
    }
}

static int run_report(const char *bin_dir, const char *out_dir)
{
    char tool[PATH_MAX + 32];
    if (sys_path(tool, sizeof tool, "%s/convc-report", bin_dir) < 0 || access(tool, X_OK) != 0) {
        fprintf(stderr, "convc run: %s is not built; run 'make build' and then "
                "'%s %s'\n", tool, tool, out_dir);
        return 1;
    }
    char *argv[] = {tool, (char *)out_dir, NULL};
    return sys_run(argv, NULL, NULL) == 0 ? 0 : 1;
}

/* A launcher prefix: 1 to EXP_MAX_LAUNCHER_WORDS words. */
static int launcher_words(const char *s)
{
    int n = 0;
    size_t len;
    for (const char *p = s; sys_next_word(&p, &len);)
        n++;
    if (n >= 1 && n <= EXP_MAX_LAUNCHER_WORDS)
        return n;
    fprintf(stderr, "convc run: --launcher takes 'slurm' or a command of 1 to %d words to run "
            "make and the trainers with (e.g. 'srun -n1 -c2'), got '%s'\n",
            EXP_MAX_LAUNCHER_WORDS, s);
    return -1;
}

/* One runner per output directory: two would train, resume and delete the
 * same runs at once.  The lock lives as long as this process or a trainer
 * it started (they die with it). */
static int lock_out_dir(const char *out_dir, int wait, int *fd)
{
    if (sys_mkdir_p(out_dir) < 0) {
        fprintf(stderr, "convc run: cannot create %s: %s\n", out_dir, strerror(errno));
        return -1;
    }
    long holder;
    *fd = sys_lock_dir(out_dir, wait, &holder);
    if (*fd >= 0)
        return 0;
    if (errno == EWOULDBLOCK && holder > 0)
        fprintf(stderr, "convc run: %s is in use by another 'convc run' (pid %ld) or the "
                "trainers it started; wait for it, stop it, or give --wait\n", out_dir, holder);
    else if (errno == EWOULDBLOCK)
        fprintf(stderr, "convc run: %s is in use by another 'convc run'; wait for it, stop "
                "it, or give --wait\n", out_dir);
    else
        fprintf(stderr, "convc run: cannot lock %s: %s\n", out_dir, strerror(errno));
    return -1;
}

static const struct option run_options[] = {
    { "out", required_argument, NULL, 'o' },
    { "data", required_argument, NULL, 'D' },
    { "seeds", required_argument, NULL, 's' },
    { "launcher", required_argument, NULL, 'l' },
    { "sbatch", required_argument, NULL, 'b' },
    { "epochs", required_argument, NULL, 'e' },
    { "limit-train", required_argument, NULL, 'L' },
    { "limit-test", required_argument, NULL, 'T' },
    { "threads", required_argument, NULL, 't' },
    { "jobs", required_argument, NULL, 'j' },
    { "dry-run", no_argument, NULL, 'n' },
    { "progress", no_argument, NULL, 'p' },
    { "quiet", no_argument, NULL, 'q' },
    { "no-report", no_argument, NULL, 'R' },
    { "wait", no_argument, NULL, 'w' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

int cmd_run(int argc, char **argv)
{
    return cmd_run_job(argc, argv, NULL);
}

/* The command in `words` (which getopt_long permutes), `typed` as it was
 * typed, for the Slurm jobs to repeat. */
static int run_command(int argc, char **words, char **typed, const exp_job *job)
{
    const char *yaml = NULL, *out_dir = NULL, *data_dir = NULL, *seeds = NULL;
    const char *launcher = NULL, *sbatch_args = NULL;
    long epochs = 0, limit_train = -1, limit_test = -1, threads = -1, jobs = 1;
    int dry_run = 0, progress = -1, report = 1, wait = 0, c, rc = 0;
    optind = 0;
    while (rc == 0 && (c = cv_getopt(argc, words, "h", run_options, "convc run")) != -1) {
        switch (c) {
        case 'o': out_dir = optarg; break;
        case 'D': data_dir = optarg; break;
        case 's': seeds = optarg; break;
        case 'l': launcher = optarg; break;
        case 'b': sbatch_args = optarg; break;
        case 'e': rc = parse_count("--epochs", optarg, 1, 100000, &epochs); break;
        case 'L': rc = parse_count("--limit-train", optarg, 0, 100000000L, &limit_train); break;
        case 'T': rc = parse_count("--limit-test", optarg, 0, 100000000L, &limit_test); break;
        case 't': rc = parse_count("--threads", optarg, 0, 256, &threads); break;
        case 'j': rc = parse_count("--jobs", optarg, 1, 64, &jobs); break;
        case 'n': dry_run = 1; break;
        case 'p': progress = 1; break;
        case 'q': progress = 0; break;
        case 'R': report = 0; break;
        case 'w': wait = 1; break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (rc < 0)
        return 2;
    if (optind < argc)
        yaml = words[optind];
    if (optind + 1 < argc) {
        fprintf(stderr, "convc run: unexpected argument '%s'\n", words[optind + 1]);
        usage(stderr);
        return 2;
    }
    if (!yaml) {
        usage(stderr);
        return 2;
    }
    int slurm = launcher && strcmp(launcher, "slurm") == 0;
    if (launcher && !slurm && launcher_words(launcher) < 0)
        return 2;
    if (sbatch_args && !slurm) {
        fprintf(stderr, "convc run: --sbatch needs --launcher slurm\n");
        return 2;
    }

    experiment x;
    int errors = experiment_parse_file(yaml, &x, stderr);
    if (errors == 0 && seeds && parse_seeds(seeds, &x) < 0) {
        experiment_free(&x);
        return 2;
    }
    if (errors == 0)
        errors = experiment_check(&x, stderr);
    if (errors) {
        fprintf(stderr, "convc run: %s has errors; nothing was built or trained\n", yaml);
        experiment_free(&x);
        return 1;
    }
    if (epochs > 0)
        x.epochs = (int)epochs;
    if (limit_train >= 0)
        x.limit_train = limit_train;
    if (limit_test >= 0)
        x.limit_test = limit_test;
    if (threads >= 0)
        x.threads = (int)threads;
    if (data_dir) {
        free(x.data_dir);
        x.data_dir = strdup(data_dir);
    }

    char root[PATH_MAX], bin_dir[PATH_MAX], default_out[PATH_MAX];
    if (find_dirs(root, bin_dir, sizeof root) < 0) {
        fprintf(stderr, "convc run: cannot find the project directory (its Makefile) from "
                "this program's location; set CONVC_ROOT\n");
        experiment_free(&x);
        return 1;
    }
    if (!out_dir) {
        sys_path(default_out, sizeof default_out, "results/%s", x.name);
        out_dir = default_out;
    }
    exp_run_options o = {
        .out_dir = out_dir, .root = root, .bin_dir = bin_dir, .jobs = (int)jobs,
        .dry_run = dry_run,
        .show_progress = progress >= 0 ? progress : jobs == 1 && isatty(1),
        .launcher = slurm ? NULL : launcher,
    };
    if (job) {
        int status = experiment_job(&x, &o, job, stdout);
        if (job->kind == EXP_JOB_REPORT && status >= 0 && report)
            status |= run_report(bin_dir, out_dir);
        experiment_free(&x);
        return status != 0;
    }
    int lock = -1;
    if (!dry_run && lock_out_dir(out_dir, wait, &lock) < 0) {
        experiment_free(&x);
        return 1;
    }
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    print_plan(&x, stdout);
    if (slurm && !dry_run) {
        exp_slurm_options so = {.sbatch_args = sbatch_args, .jobs = jobs > 1 ? (int)jobs : 0,
                                .argc = argc, .argv = typed};
        exp_slurm_jobs ids;
        int status = experiment_submit_slurm(&x, &o, &so, &ids, stdout) < 0;
        close(lock);
        if (!status && wait) {
            int failures = experiment_wait_slurm(&x, &o, &ids, stdout);
            char md[PATH_MAX + 16];
            status = failures != 0;
            if (report && (sys_path(md, sizeof md, "%s/report.md", out_dir) < 0 ||
                           !sys_exists(md))) {
                fprintf(stderr, "convc run: the report job %s wrote no %s; see %s/logs/"
                        "slurm-report-%s.out\n", ids.report, md, out_dir, ids.report);
                status = 1;
            }
            printf("experiment %s: %s; report: %s/report.md\n", x.name,
                   status ? "finished with failures" : "done", out_dir);
        }
        experiment_free(&x);
        return status;
    }
    int failures = experiment_run(&x, &o, stdout);
    int status = failures != 0;
    if (failures > 0)
        fprintf(stderr, "convc run: %d run%s or build%s failed; the report marks them\n",
                failures, failures == 1 ? "" : "s", failures == 1 ? "" : "s");
    if (failures >= 0 && report && !dry_run)
        status |= run_report(bin_dir, out_dir);
    else if (dry_run)
        printf("dry run: nothing was built or trained\n");
    /* The wall time of the whole study is what a reader of the README asks. */
    clock_gettime(CLOCK_MONOTONIC, &end);
    double seconds = (double)(end.tv_sec - start.tv_sec) +
                     (double)(end.tv_nsec - start.tv_nsec) * 1e-9;
    if (!dry_run)
        printf("experiment %s: %s in %.1f minutes\n", x.name,
               status ? "finished with failures" : "done", seconds / 60.0);
    if (lock >= 0)
        close(lock);
    experiment_free(&x);
    return status;
}

int cmd_run_job(int argc, char **argv, const exp_job *job)
{
    char **words = malloc(sizeof *words * ((size_t)argc + 1));
    if (!words) {
        fprintf(stderr, "convc run: out of memory\n");
        return 1;
    }
    memcpy(words, argv, sizeof *words * (size_t)argc);
    words[argc] = NULL;
    int status = run_command(argc, words, argv, job);
    free(words);
    return status;
}
