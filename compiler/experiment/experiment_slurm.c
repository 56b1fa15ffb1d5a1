/* experiment_slurm.c - `convc run --launcher slurm`: the experiment as Slurm
 * jobs.  One build job per model (so each trainer is compiled where it
 * runs), the runs as one job array after the builds, and the report job
 * after the array; every job is `convc run-one` (experiment_job.c) through
 * the script <out>/slurm/job.sh.  sbatch, squeue and scancel are found in
 * PATH and read SLURM_CONF like any Slurm command. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "experiment/experiment.h"
#include "experiment/experiment_sys.h"

#define PATH_LEN 4096
#define MAX_ARGS 96
/* Seconds before the time limit at which a run gets SIGUSR2 (not SIGUSR1,
 * which NCCL uses) to checkpoint and requeue itself. */
#define WARNING "B:USR2@120"

/* An sbatch command line: our options first, then the user's --sbatch
 * words (so theirs win), then the script and its arguments. */
typedef struct {
    char *argv[MAX_ARGS + 1];
    int n, overflow;
} cmdline;

static void add(cmdline *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(cmdline *c, const char *fmt, ...)
{
    if (c->n >= MAX_ARGS) {
        c->overflow = 1;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&c->argv[c->n], fmt, ap) < 0)
        c->overflow = 1;
    else
        c->n++;
    va_end(ap);
    c->argv[c->n] = NULL;
}

static void add_words(cmdline *c, const char *words)
{
    size_t n;
    for (const char *w; (w = sys_next_word(&words, &n));)
        add(c, "%.*s", (int)n, w);
}

static void clear(cmdline *c)
{
    for (int i = 0; i < c->n; i++)
        free(c->argv[i]);
    c->n = 0;
}

/* Runs c, its output into <out>/slurm/NAME.out; the first line of it into
 * line.  Returns the exit status (-1: not started). */
static int capture(cmdline *c, const exp_run_options *o, const char *name, char *line,
                   size_t n)
{
    char path[PATH_LEN];
    line[0] = '\0';
    if (c->overflow || sys_path(path, sizeof path, "%s/slurm/%s.out", o->out_dir, name) < 0)
        return -1;
    int rc = sys_run(c->argv, path, NULL);
    char *text = sys_read_file(path, NULL);
    if (text) {
        snprintf(line, n, "%.*s", (int)strcspn(text, "\n"), text);
        free(text);
    }
    unlink(path);
    return rc;
}

/* sbatch --parsable ...: the job id ("12", or "12;cluster") into id. */
static int submit(cmdline *c, const exp_run_options *o, char *id, size_t n, FILE *out)
{
    char line[256];
    int rc = capture(c, o, "sbatch", line, sizeof line);
    line[strcspn(line, ";")] = '\0';
    size_t digits = strspn(line, "0123456789");
    if (rc != 0 || digits == 0 || line[digits] != '\0' || digits >= n) {
        fprintf(out, "convc run: %s failed (exit status %d)%s%s\n", c->argv[0], rc,
                line[0] ? "; it said: " : "", line);
        return -1;
    }
    memcpy(id, line, digits + 1);
    return 0;
}

/* '...' for /bin/sh. */
static void put_quoted(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputs("'\\''", f);
        else
            fputc(*s, f);
    }
    fputc('\'', f);
}

static int write_job_script(const exp_run_options *o, const char *abs_out, char *path)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return -1;
    fputs("#!/bin/sh\n"
          "# One job of this experiment, submitted by 'convc run --launcher slurm'.\n"
          "# exec: the warning signal (sbatch --signal=B:USR2@...) reaches convc run-one,\n"
          "# which checkpoints the run and requeues the job.\n"
          "[ $# -gt 0 ] || set -- \"$SLURM_ARRAY_TASK_ID\"\n"
          "exec ", f);
    char convc[PATH_LEN];
    sys_path(convc, sizeof convc, "%s/convc", o->bin_dir);
    put_quoted(f, convc);
    fputs(" run-one ", f);
    put_quoted(f, abs_out);
    fputs(" \"$@\"\n", f);
    if (fclose(f) != 0)
        return -1;
    int rc = sys_path(path, PATH_LEN, "%s/slurm/job.sh", o->out_dir) < 0 ||
             sys_write_atomic(path, text, len) < 0 || chmod(path, 0755) < 0 ? -1 : 0;
    free(text);
    return rc;
}

/* Options of every job: a name and a log under <out>/logs/. */
static void job_head(cmdline *c, const char *abs_out, const char *name, const char *log)
{
    add(c, "sbatch"), add(c, "--parsable");
    add(c, "--job-name=%s", name);
    add(c, "--output=%s/logs/%s", abs_out, log);
}

static void cancel(const exp_slurm_jobs *j, const exp_run_options *o)
{
    cmdline c = {0};
    add(&c, "scancel");
    add_words(&c, j->builds);
    add_words(&c, j->runs);
    add_words(&c, j->report);
    char line[256];
    if (c.n > 1)
        capture(&c, o, "scancel", line, sizeof line);
    clear(&c);
}

/* The jobs of an earlier submission to this directory (<out>/slurm/jobs)
 * that are still queued or running: they would run the same runs as the new
 * ones, at the same time.  1 (and says so) if there are any. */
static int earlier_jobs_queued(const exp_run_options *o, FILE *out)
{
    char path[PATH_LEN], ids[2048] = "";
    sys_path(path, sizeof path, "%s/slurm/jobs", o->out_dir);
    char *text = sys_read_file(path, NULL);
    if (!text)
        return 0;
    /* "builds 12 13\nruns 14\nreport 15\n": the numbers, comma-separated */
    size_t n = 0;
    for (const char *p = text; *p && n + 2 < sizeof ids; p++)
        if (isdigit((unsigned char)*p))
            ids[n++] = *p;
        else if (n && ids[n - 1] != ',')
            ids[n++] = ',';
    free(text);
    if (n && ids[n - 1] == ',')
        n--;
    ids[n] = '\0';
    if (!n)
        return 0;
    cmdline c = {0};
    add(&c, "squeue"), add(&c, "--noheader"), add(&c, "--format=%%i"), add(&c, "--jobs=%s", ids);
    char line[256];
    int rc = capture(&c, o, "squeue", line, sizeof line);
    clear(&c);
    if (rc != 0 || !line[0])
        return 0;
    for (char *p = ids; *p; p++)
        *p = *p == ',' ? ' ' : *p;
    fprintf(out, "convc run: jobs of an earlier submission to %s are still in the queue "
            "(%s); wait for them or cancel them: scancel %s\n", o->out_dir, line, ids);
    return 1;
}

int experiment_submit_slurm(experiment *x, const exp_run_options *o,
                            const exp_slurm_options *s, exp_slurm_jobs *j, FILE *out)
{
    memset(j, 0, sizeof *j);
    char abs_out[PATH_LEN], script[PATH_LEN], manifest[PATH_LEN];
    if (earlier_jobs_queued(o, out) || experiment_prepare(x, o, out) < 0)
        return -1;
    if (!realpath(o->out_dir, abs_out)) {
        fprintf(out, "convc run: %s: %s\n", o->out_dir, strerror(errno));
        return -1;
    }
    sys_path(manifest, sizeof manifest, "%s/experiment.json", o->out_dir);
    if (experiment_write_manifest(x, manifest, out) < 0 ||
        experiment_save_command(x, o->out_dir, s->argc, s->argv, out) < 0)
        return -1;
    if (write_job_script(o, abs_out, script) < 0) {
        fprintf(out, "convc run: cannot write %s: %s\n", script, strerror(errno));
        return -1;
    }

    cmdline c = {0};
    char id[32], name[128];
    for (int i = 0; i < x->n_variants; i++) {
        const char *model = x->variants[i].name;
        snprintf(name, sizeof name, "convc-build-%s", model);
        job_head(&c, abs_out, name, "slurm-build-%j.out");
        add_words(&c, s->sbatch_args);
        add(&c, "%s", script), add(&c, "--build"), add(&c, "%s", model);
        int rc = submit(&c, o, id, sizeof id, out);
        clear(&c);
        if (rc < 0)
            goto failed;
        size_t used = strlen(j->builds);
        snprintf(j->builds + used, sizeof j->builds - used, "%s%s", used ? " " : "", id);
    }

    snprintf(name, sizeof name, "convc-%s", x->name);
    job_head(&c, abs_out, name, "slurm-%A_%a.out");
    if (s->jobs > 0)
        add(&c, "--array=0-%d%%%d", x->n_runs - 1, s->jobs);
    else
        add(&c, "--array=0-%d", x->n_runs - 1);
    add(&c, "--requeue"), add(&c, "--signal=" WARNING);
    add(&c, "--open-mode=append");       /* a requeued run's log goes on */
    if (x->threads > 0)
        add(&c, "--cpus-per-task=%d", x->threads);
    /* afterany: a model that did not build fails its runs, not the queue. */
    char deps[sizeof j->builds + 16];
    snprintf(deps, sizeof deps, "afterany:%s", j->builds);
    for (char *p = deps; *p; p++)
        *p = *p == ' ' ? ':' : *p;
    add(&c, "--dependency=%s", deps);
    add_words(&c, s->sbatch_args);
    add(&c, "%s", script);
    int rc = submit(&c, o, j->runs, sizeof j->runs, out);
    clear(&c);
    if (rc < 0)
        goto failed;

    snprintf(name, sizeof name, "convc-%s-report", x->name);
    job_head(&c, abs_out, name, "slurm-report-%j.out");
    add(&c, "--dependency=afterany:%s", j->runs);
    add_words(&c, s->sbatch_args);
    add(&c, "%s", script), add(&c, "--report");
    rc = submit(&c, o, j->report, sizeof j->report, out);
    clear(&c);
    if (rc < 0)
        goto failed;

    fprintf(out, "[slurm] build jobs: %s\n", j->builds);
    fprintf(out, "[slurm] runs: job array %s (%d task%s", j->runs, x->n_runs,
            x->n_runs == 1 ? "" : "s");
    if (s->jobs > 0)
        fprintf(out, ", at most %d at once", s->jobs);
    fprintf(out, ")\n[slurm] report: job %s\n[slurm] logs: %s/logs/slurm-*.out\n", j->report,
            abs_out);
    char jobs_path[PATH_LEN], text[sizeof j->builds + 128];
    int len = snprintf(text, sizeof text, "builds %s\nruns %s\nreport %s\n", j->builds,
                       j->runs, j->report);
    sys_path(jobs_path, sizeof jobs_path, "%s/slurm/jobs", o->out_dir);
    if (sys_write_atomic(jobs_path, text, (size_t)len) < 0)
        fprintf(out, "convc run: cannot write %s: %s\n", jobs_path, strerror(errno));
    return 0;

failed:
    cancel(j, o);
    if (j->builds[0])
        fprintf(out, "convc run: the jobs submitted before (%s%s%s) were cancelled\n",
                j->builds, j->runs[0] ? " " : "", j->runs);
    return -1;
}

int experiment_wait_slurm(experiment *x, const exp_run_options *o,
                          const exp_slurm_jobs *j, FILE *out)
{
    /* The report job starts after every other: when it has left the queue,
     * all have. */
    fprintf(out, "[slurm] waiting for job %s\n", j->report);
    fflush(out);
    for (;;) {
        cmdline c = {0};
        add(&c, "squeue"), add(&c, "--noheader"), add(&c, "--jobs=%s", j->report);
        add(&c, "--format=%%T");
        char state[128];
        int rc = capture(&c, o, "squeue", state, sizeof state);
        clear(&c);
        /* squeue names a job while it is queued or running; one that has
         * ended is not listed, or no longer known (exit status 1). */
        if (rc != 0 || !state[0])
            break;
        sleep(1);
    }
    return experiment_collect(x, o, out);
}
