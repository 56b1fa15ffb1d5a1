/* experiment_job.c - one job of an experiment submitted to Slurm
 * (`convc run-one DIR INDEX | --build MODEL | --report`): a build, a run or
 * the collection before the report, each through the same code as a local
 * `convc run` (experiment_run.c).
 *
 * A job repeats the submitting `convc run` command (saved in
 * <out>/slurm/command with the directory it ran in), so it reads the
 * experiment exactly as the submission did; <out>/slurm/plan holds every
 * run's stamp, and a job refuses when the experiment no longer gives the
 * same runs (the YAML or a spec was edited after submission).
 *
 * Before its time limit a run gets the warning signal SIGUSR2 (sbatch
 * --signal=B:USR2@SECONDS; the job script execs convc run-one, so it is the
 * batch shell).  The trainer gets SIGTERM, saves its checkpoint and stops;
 * then the job requeues itself (`scontrol requeue`), and the next start of
 * the same run resumes from the checkpoint.  A SIGTERM from Slurm (scancel,
 * preemption, the time limit) reaches the trainer directly: the job only
 * stops starting programs. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "experiment/experiment.h"
#include "experiment/experiment_sys.h"

#define PATH_LEN 4096

static const char command_header[] = "convc run command 1\n";

/* ---- the saved command and plan ------------------------------------------- */

/* Every run's stamp (model, seed and settings), in the order of the runs:
 * what the jobs must find unchanged. */
static char *plan_text(const experiment *x)
{
    char *s = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&s, &n);
    if (!f)
        return NULL;
    for (int v = 0, i = 0; v < x->n_variants; v++) {
        for (int k = 0; k < x->n_seeds; k++, i++) {
            char *stamp = experiment_run_stamp(x, &x->variants[v], x->seeds[k]);
            fprintf(f, "run %d\n%s", i, stamp ? stamp : "(out of memory)\n");
            free(stamp);
        }
    }
    if (fclose(f) != 0) {
        free(s);
        return NULL;
    }
    return s;
}

int experiment_save_command(const experiment *x, const char *out_dir, int argc, char **argv,
                            FILE *diag)
{
    char cwd[PATH_LEN], path[PATH_LEN], dir[PATH_LEN];
    if (!getcwd(cwd, sizeof cwd)) {
        fprintf(diag, "convc run: cannot read the current directory: %s\n", strerror(errno));
        return -1;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return -1;
    fputs(command_header, f);
    fprintf(f, "%s\n", cwd);
    int bad = strchr(cwd, '\n') != NULL;
    for (int i = 1; i < argc; i++) {
        bad |= strchr(argv[i], '\n') != NULL;
        fprintf(f, "%s\n", argv[i]);
    }
    if (fclose(f) != 0 || bad) {
        if (bad)
            fprintf(diag, "convc run: the jobs repeat this command, and an argument or the "
                    "current directory has a line break\n");
        free(text);
        return -1;
    }
    char *plan = plan_text(x);
    int rc = -1;
    if (sys_path(dir, sizeof dir, "%s/slurm", out_dir) < 0 || sys_mkdir_p(dir) < 0 ||
        sys_path(path, sizeof path, "%s/command", dir) < 0 ||
        sys_write_atomic(path, text, len) < 0 || !plan ||
        sys_path(path, sizeof path, "%s/plan", dir) < 0 ||
        sys_write_atomic(path, plan, strlen(plan)) < 0)
        fprintf(diag, "convc run: cannot write %s: %s\n", path, strerror(errno));
    else
        rc = 0;
    free(plan);
    free(text);
    return rc;
}

int experiment_load_command(const char *out_dir, char **cwd, int *argc, char ***argv,
                            FILE *diag)
{
    char path[PATH_LEN];
    *cwd = NULL, *argv = NULL, *argc = 0;
    if (sys_path(path, sizeof path, "%s/slurm/command", out_dir) < 0) {
        fprintf(diag, "convc run-one: the directory name is too long\n");
        return -1;
    }
    size_t len;
    char *text = sys_read_file(path, &len);
    size_t hl = sizeof command_header - 1;
    if (!text || len < hl || memcmp(text, command_header, hl) != 0 || text[len - 1] != '\n' ||
        strlen(text) != len) {
        fprintf(diag, "convc run-one: %s: %s\n", path,
                text ? "not a command saved by 'convc run --launcher slurm'" : strerror(errno));
        free(text);
        return -1;
    }
    int lines = 0;
    for (size_t i = hl; i < len; i++)
        lines += text[i] == '\n';
    /* argv: "run", the arguments, NULL; the strings live in text, which
     * argv[argc + 1] keeps for experiment_free_command. */
    char **v = calloc((size_t)lines + 2, sizeof *v);
    if (!v || lines < 1) {
        fprintf(diag, "convc run-one: %s: %s\n", path, v ? "no directory" : "out of memory");
        free(v);
        free(text);
        return -1;
    }
    char *p = text + hl;
    *cwd = p;
    p = strchr(p, '\n'), *p++ = '\0';
    v[0] = "run";
    for (int i = 1; i < lines; i++) {
        v[i] = p;
        p = strchr(p, '\n'), *p++ = '\0';
    }
    v[lines] = NULL;
    v[lines + 1] = text;
    *argc = lines;
    *argv = v;
    return 0;
}

void experiment_free_command(char *cwd, char **argv)
{
    (void)cwd;      /* inside the text */
    if (!argv)
        return;
    int n = 0;
    while (argv[n])
        n++;
    free(argv[n + 1]);
    free(argv);
}

/* ---- signals ----------------------------------------------------------------- */

static volatile sig_atomic_t warned;

static void on_warning(int sig)
{
    (void)sig;
    warned = 1;
    sys_stop_children(SIGTERM);
}

static void on_stop(int sig)
{
    (void)sig;
    sys_stop_children(0);
}

static void catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_warning;
    sigaction(SIGUSR2, &sa, NULL);
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
}

/* After the warning signal: the checkpoint is saved; the job goes back into
 * the queue (sbatch --requeue) and its next start resumes the run. */
static int requeue(FILE *out)
{
    const char *id = getenv("SLURM_JOB_ID");
    if (!id || !*id) {
        fprintf(out, "convc run-one: stopped by SIGUSR2 outside Slurm; run it again to "
                "resume\n");
        return 1;
    }
    fprintf(out, "convc run-one: stopped by the warning signal (SIGUSR2), checkpoint saved; "
            "requeueing job %s\n", id);
    fflush(out);
    sys_allow_children();
    char *argv[] = {"scontrol", "requeue", (char *)id, NULL};
    int rc = sys_run(argv, NULL, NULL);
    if (rc != 0)
        fprintf(out, "convc run-one: 'scontrol requeue %s' failed (exit status %d); run "
                "the job again to resume\n", id, rc);
    return rc != 0;
}

/* ---- the jobs ------------------------------------------------------------------ */

static int plan_unchanged(const experiment *x, const exp_run_options *o, FILE *out)
{
    char path[PATH_LEN];
    if (sys_path(path, sizeof path, "%s/slurm/plan", o->out_dir) < 0) {
        fprintf(out, "convc run-one: the output directory's name is too long\n");
        return 0;
    }
    char *saved = sys_read_file(path, NULL);
    int err = errno;
    char *now = plan_text(x);
    int same = saved && now && strcmp(saved, now) == 0;
    if (!same)
        fprintf(out, "convc run-one: %s: %s; submit the experiment again\n", path,
                !saved ? strerror(err) : !now ? "out of memory"
                       : "the experiment gives other runs than when it was submitted");
    free(saved);
    free(now);
    return same;
}

static int run_job(experiment *x, const exp_run_options *o, int index, FILE *out)
{
    if (index < 0 || index >= x->n_runs) {
        fprintf(out, "convc run-one: run %d does not exist (the experiment has %d)\n", index,
                x->n_runs);
        return 1;
    }
    if (experiment_find_trainers(x, o) < 0)
        return 1;
    int rc = experiment_run_index(x, index, o, out);
    if (warned)
        return requeue(out);
    experiment_announce(x, &x->runs[index], index, out);
    if (rc < 0)
        experiment_save_run_error(o, &x->runs[index]);
    return rc < 0;
}

static int build_job(experiment *x, const exp_run_options *o, const char *model, FILE *out)
{
    for (int i = 0; i < x->n_variants; i++) {
        if (strcmp(x->variants[i].name, model) == 0) {
            experiment_build(x, i, o, out);
            return x->variants[i].build_failed;
        }
    }
    fprintf(out, "convc run-one: the experiment has no model '%s'\n", model);
    return 1;
}

int experiment_job(experiment *x, const exp_run_options *o, const exp_job *job, FILE *out)
{
    if (job->kind == EXP_JOB_RUN)   /* from the start: the warning may come early */
        catch_signals();
    if (!plan_unchanged(x, o, out) || experiment_prepare(x, o, out) < 0)
        return 1;
    /* Builds and runs side by side; the report alone, after them. */
    long holder;
    int lock = job->kind == EXP_JOB_REPORT ? sys_lock_dir(o->out_dir, 1, &holder)
                                            : sys_lock_dir_shared(o->out_dir);
    if (lock < 0) {
        fprintf(out, "convc run-one: cannot lock %s: %s\n", o->out_dir, strerror(errno));
        return 1;
    }
    int status;
    if (job->kind == EXP_JOB_BUILD)
        status = build_job(x, o, job->model, out);
    else if (job->kind == EXP_JOB_RUN)
        status = run_job(x, o, job->index, out);
    else if ((status = experiment_finish(x, o, out)) > 0)
        status = 1;
    close(lock);
    return status;
}
