/* experiment_run.c - runs a checked experiment: expanded specs on disk, one
 * specialized trainer per variant, one run per (model, seed), and the
 * manifest that bin/convc-report reads.
 *
 * Trainers are built by the Makefile's `model` rule (one place for compiler
 * flags) into build/exp/<model>-<hash of the expanded spec>/, so equal specs
 * share a trainer and a changed spec can never reuse a stale one.
 *
 * A run is finished when its eval.json exists and its stamp (spec hash,
 * every training setting, convc's version) is unchanged; a run with a matching stamp and a
 * checkpoint but no eval.json was interrupted and resumes from the
 * checkpoint; anything else starts over. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "experiment/experiment.h"
#include "base/isa.h"
#include "base/settings.h"
#include "experiment/experiment_sys.h"

#define PATH_LEN 4096

char *experiment_run_stamp(const experiment *x, const exp_variant *v, int seed)
{
    char *s = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&s, &n);
    if (!f)
        return NULL;
    fprintf(f, "convc run stamp 1\n");
    /* A new version may compute differently (e.g. another convolution
     * algorithm): its runs are not the old ones. */
    fprintf(f, "convc %s\n", CONVC_VERSION);
    /* Trainers are compiled for the processor they run on (-march=native):
     * on another instruction set a run rounds differently and starts over. */
    char isa[256];
    cv_isa_names(cv_isa_cpu(), isa, sizeof isa);
    fprintf(f, "isa %s\n", isa);
    fprintf(f, "model %s\nspec %016llx\n", v->name, (unsigned long long)v->text_hash);
    /* Not the threads: a run gives the same bits for any number of them. */
    fprintf(f, "optimizer %s\nlr %.17g\nbatch %d\nepochs %d\nseed %d\n", x->optimizer, x->lr,
            x->batch, x->epochs, seed);
    fprintf(f, "val_split %.17g\n", x->val_split);
    for (int i = 0; i < x->n_settings + v->n_settings; i++) {
        const exp_setting *st = i < x->n_settings ? &x->settings[i]
                                                 : &v->settings[i - x->n_settings];
        char text[64];
        exp_setting_text(st, text, sizeof text);
        fprintf(f, "%s %s\n", setting_flag((cv_setting_id)st->id), text);
    }
    fprintf(f, "data %s\ndata_dir %s\nlimit_train %ld\nlimit_test %ld\n", x->data,
            x->data_dir ? x->data_dir : "-", x->limit_train, x->limit_test);
    /* Out of memory shows here; a cut stamp would match a wrong run. */
    if (fclose(f) != 0) {
        free(s);
        return NULL;
    }
    return s;
}

/* ---- argument vectors ------------------------------------------------------ */

typedef struct {
    char *argv[96];
    char store[96][PATH_LEN];
    int n;
} argvec;

__attribute__((format(printf, 2, 3)))
static void arg(argvec *a, const char *fmt, ...)
{
    if (a->n >= 95)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->store[a->n], PATH_LEN, fmt, ap);
    va_end(ap);
    a->argv[a->n] = a->store[a->n];
    a->n++;
    a->argv[a->n] = NULL;
}

static void print_command(FILE *out, const argvec *a, const char *redirect)
{
    fputs("  $", out);
    for (int i = 0; i < a->n; i++)
        fprintf(out, " %s", a->argv[i]);
    if (redirect)
        fprintf(out, " > %s", redirect);
    fputc('\n', out);
}

/* A new command: the launcher's words first (`srun -n1 -c2`), if any. */
static void command(argvec *a, const exp_run_options *o)
{
    a->n = 0;
    const char *p = o->launcher;
    size_t n;
    for (const char *w; (w = sys_next_word(&p, &n));)
        arg(a, "%.*s", (int)n, w);
}

/* Options the trainer's subcommands share. */
/* The flags of settings[0..n) from train: (data 0) or data: (data 1). */
static void setting_args(argvec *a, const exp_setting *settings, int n, int data)
{
    char text[64];
    for (int i = 0; i < n; i++) {
        const exp_setting *s = &settings[i];
        if (exp_is_data_setting(s->id) != data)
            continue;
        if (setting_is_switch((cv_setting_id)s->id)) {
            /* false is the trainer's default: no flag */
            if (s->value)
                arg(a, "%s", setting_flag((cv_setting_id)s->id));
            continue;
        }
        exp_setting_text(s, text, sizeof text);
        arg(a, "%s", setting_flag((cv_setting_id)s->id)), arg(a, "%s", text);
    }
}

static void data_args(argvec *a, const experiment *x)
{
    if (x->data_dir)
        arg(a, "--data"), arg(a, "%s", x->data_dir);
    setting_args(a, x->settings, x->n_settings, 1);
}

/* ---- specs and trainers ---------------------------------------------------- */

/* Writes the expanded spec unless the file already has this text, so that
 * make does not rebuild an unchanged trainer. */
static int write_spec(const char *path, const exp_variant *v)
{
    size_t len;
    char *old = sys_read_file(path, &len);
    int same = old && len == v->text_len && memcmp(old, v->text, len) == 0;
    free(old);
    return same ? 0 : sys_write_atomic(path, v->text, v->text_len);
}

/* Sets v->trainer: build/exp/<model>-<hash>/train under the project. */
static int trainer_path(exp_variant *v, const exp_run_options *o, char *model, size_t n)
{
    sys_path(model, n, "exp/%s-%08llx", v->name, (unsigned long long)(v->text_hash >> 32));
    size_t tn = strlen(o->root) + strlen(model) + 32;
    free(v->trainer);
    v->trainer = malloc(tn);
    if (!v->trainer)
        return -1;
    snprintf(v->trainer, tn, "%s/build/%s/train", o->root, model);
    return 0;
}

/* Lines of the generated model.c of a built trainer (beside it), or -1. */
static long trainer_code_lines(const exp_variant *v)
{
    char model_c[PATH_LEN];
    if (sys_path(model_c, sizeof model_c, "%s", v->trainer) < 0)
        return -1;
    strcpy(strrchr(model_c, '/') + 1, "model.c");
    return sys_count_lines(model_c);
}

void experiment_build(experiment *x, int index, const exp_run_options *o, FILE *out)
{
    exp_variant *v = &x->variants[index];
    char spec[PATH_LEN], spec_abs[PATH_LEN], model[PATH_LEN], log[PATH_LEN];
    sys_path(spec, sizeof spec, "%s/specs/%s.spec", o->out_dir, v->name);
    sys_path(log, sizeof log, "%s/logs/%s.build.log", o->out_dir, v->name);
    if (v->build_failed)        /* its spec could not be written */
        return;
    if (!realpath(spec, spec_abs))
        sys_path(spec_abs, sizeof spec_abs, "%s", spec);
    if (trainer_path(v, o, model, sizeof model) < 0) {
        v->build_failed = 1;
        sys_path(v->build_error, sizeof v->build_error, "out of memory");
        return;
    }

    argvec a;
    command(&a, o);
    arg(&a, "make"), arg(&a, "-s"), arg(&a, "--no-print-directory");
    arg(&a, "-C"), arg(&a, "%s", o->root);
    arg(&a, "SPEC=%s", spec_abs), arg(&a, "MODEL=%s", model), arg(&a, "model");
    fprintf(out, "[build] %s\n", v->name);
    if (o->dry_run) {
        print_command(out, &a, NULL);
        return;
    }
    unlink(log);
    int rc = sys_run(a.argv, NULL, log);
    if (rc != 0 || !sys_exists(v->trainer)) {
        v->build_failed = 1;
        sys_path(v->build_error, sizeof v->build_error,
                 "building the trainer failed (exit status %d); see %s", rc, log);
        fprintf(out, "[build] %s: FAILED: %s\n", v->name, v->build_error);
        return;
    }
    v->code_lines = trainer_code_lines(v);
}

/* ---- one run ------------------------------------------------------------------ */

typedef struct {
    char dir[PATH_LEN], stamp[PATH_LEN], ckpt[PATH_LEN], history[PATH_LEN];
    char eval[PATH_LEN], eval_tmp[PATH_LEN], viz[PATH_LEN], log[PATH_LEN];
} run_paths;

static void paths_for(run_paths *p, const exp_run_options *o, const exp_run *r)
{
    sys_path(p->dir, PATH_LEN, "%s/%s", o->out_dir, r->dir);
    sys_path(p->stamp, PATH_LEN, "%s/stamp", p->dir);
    sys_path(p->ckpt, PATH_LEN, "%s/model.ckpt", p->dir);
    sys_path(p->history, PATH_LEN, "%s/history.csv", p->dir);
    sys_path(p->eval, PATH_LEN, "%s/eval.json", p->dir);
    sys_path(p->eval_tmp, PATH_LEN, "%s/eval.json.tmp", p->dir);
    sys_path(p->viz, PATH_LEN, "%s/viz", p->dir);
    sys_path(p->log, PATH_LEN, "%s/train.log", p->dir);
}

static int stamp_matches(const char *path, const char *stamp)
{
    char *old = sys_read_file(path, NULL);
    int same = old && strcmp(old, stamp) == 0;
    free(old);
    return same;
}

__attribute__((format(printf, 2, 3)))
static int run_fail(exp_run *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->error, sizeof r->error, fmt, ap);
    va_end(ap);
    r->status = EXP_RUN_FAILED;
    return -1;
}

/* Pictures of what a CNN learned; a failure leaves a note in the log but
 * does not fail the run (the report says the pictures are missing). */
static void visualize(const experiment *x, const exp_variant *v, const run_paths *p,
                      const exp_run_options *o, FILE *out)
{
    char marker[PATH_LEN];
    sys_path(marker, sizeof marker, "%s/filters.png", p->viz);
    if (v->n_conv == 0 || sys_exists(marker))
        return;
    argvec a;
    command(&a, o);
    arg(&a, "%s", v->trainer), arg(&a, "viz"), arg(&a, "--weights"), arg(&a, "%s", p->ckpt);
    arg(&a, "--out"), arg(&a, "%s", p->viz);
    data_args(&a, x);
    if (o->dry_run) {
        print_command(out, &a, NULL);
        return;
    }
    int rc = sys_run(a.argv, NULL, p->log);
    if (rc != 0)
        fprintf(out, "  %s: pictures failed (exit status %d); see %s\n", v->name, rc, p->log);
}

/* Trains, evaluates and visualizes one run; in a worker process when
 * jobs > 1.  Returns 0 or -1 with r->error set. */
static int run_one(const experiment *x, const exp_variant *v, exp_run *r,
                   const exp_run_options *o, FILE *out, int quiet)
{
    run_paths p;
    paths_for(&p, o, r);
    char *stamp = experiment_run_stamp(x, v, r->seed);
    if (!stamp)
        return run_fail(r, "out of memory");
    int same = stamp_matches(p.stamp, stamp);
    if (same && sys_exists(p.eval)) {
        r->status = EXP_RUN_REUSED;
        free(stamp);
        visualize(x, v, &p, o, out);
        return 0;
    }
    int resume = same && sys_exists(p.ckpt);
    if (!o->dry_run) {
        if (!same && sys_remove_tree(p.dir) < 0) {
            free(stamp);
            return run_fail(r, "cannot clear %s: %s", p.dir, strerror(errno));
        }
        if (sys_mkdir_p(p.dir) < 0 || sys_write_atomic(p.stamp, stamp, strlen(stamp)) < 0) {
            free(stamp);
            return run_fail(r, "cannot write %s: %s", p.stamp, strerror(errno));
        }
    }
    free(stamp);

    argvec a;
    command(&a, o);
    arg(&a, "%s", v->trainer), arg(&a, "train");
    arg(&a, "--epochs"), arg(&a, "%d", x->epochs);
    arg(&a, "--batch"), arg(&a, "%d", x->batch);
    arg(&a, "--lr"), arg(&a, "%.17g", x->lr);
    arg(&a, "--optimizer"), arg(&a, "%s", x->optimizer);
    arg(&a, "--seed"), arg(&a, "%d", r->seed);
    if (x->threads > 0)
        arg(&a, "--threads"), arg(&a, "%d", x->threads);
    if (x->val_split >= 0)
        arg(&a, "--val-split"), arg(&a, "%.17g", x->val_split);
    setting_args(&a, x->settings, x->n_settings, 0);
    setting_args(&a, v->settings, v->n_settings, 0);
    if (x->limit_train > 0)
        arg(&a, "--limit-train"), arg(&a, "%ld", x->limit_train);
    if (x->limit_test > 0)
        arg(&a, "--limit-test"), arg(&a, "%ld", x->limit_test);
    data_args(&a, x);
    arg(&a, "--save"), arg(&a, "%s", p.ckpt);
    arg(&a, "--history"), arg(&a, "%s", p.history);
    if (resume)
        arg(&a, "--resume"), arg(&a, "%s", p.ckpt);
    if (quiet)
        arg(&a, "--quiet");
    if (o->dry_run) {
        print_command(out, &a, NULL);
    } else {
        if (resume)
            fprintf(out, "  %s seed %d: resuming from %s\n", v->name, r->seed, p.ckpt);
        int rc = sys_run(a.argv, NULL, quiet ? p.log : NULL);
        if (rc == 130 || rc == 143)     /* SIGINT/SIGTERM: the checkpoint is saved */
            return run_fail(r, "interrupted; rerun to resume from %s", p.ckpt);
        if (rc != 0)
            return run_fail(r, "training failed (exit status %d)%s%s", rc,
                            quiet ? "; see " : "", quiet ? p.log : "");
    }

    argvec e;
    command(&e, o);
    arg(&e, "%s", v->trainer), arg(&e, "eval"), arg(&e, "--weights"), arg(&e, "%s", p.ckpt);
    arg(&e, "--json");
    if (x->limit_test > 0)
        arg(&e, "--limit-test"), arg(&e, "%ld", x->limit_test);
    data_args(&e, x);
    if (o->dry_run) {
        print_command(out, &e, p.eval);
    } else {
        int rc = sys_run(e.argv, p.eval_tmp, p.log);
        if (rc != 0) {
            unlink(p.eval_tmp);
            return run_fail(r, "evaluation failed (exit status %d); see %s", rc, p.log);
        }
        /* eval.json marks the run as finished, so it must be durable before
         * it appears: rewritten atomically (through eval.json.tmp again,
         * with fsync) rather than renamed unsynced. */
        size_t len;
        char *json = sys_read_file(p.eval_tmp, &len);
        if (!json || sys_write_atomic(p.eval, json, len) < 0) {
            int err = errno;
            free(json);
            unlink(p.eval_tmp);
            return run_fail(r, "cannot write %s: %s", p.eval, strerror(err));
        }
        free(json);
    }
    visualize(x, v, &p, o, out);
    r->status = o->dry_run ? EXP_RUN_PENDING : EXP_RUN_DONE;
    return 0;
}

/* ---- the whole experiment ----------------------------------------------------- */

static int is_augmentation(int id)
{
    return id == SETTING_SHIFT || id == SETTING_FLIP || id == SETTING_CROP_PAD ||
           id == SETTING_CUTOUT;
}

/* The augmentation of the experiment, else of its first model that has
 * one, for convc-eda's grid of augmented samples. */
static void eda_augment_args(argvec *a, const experiment *x)
{
    exp_setting aug[EXP_MAX_SETTINGS];
    int n = 0;
    for (int i = 0; i < x->n_settings; i++)
        if (is_augmentation(x->settings[i].id))
            aug[n++] = x->settings[i];
    for (int v = 0; n == 0 && v < x->n_variants; v++)
        for (int i = 0; i < x->variants[v].n_settings; i++)
            if (is_augmentation(x->variants[v].settings[i].id))
                aug[n++] = x->variants[v].settings[i];
    setting_args(a, aug, n, 0);
}

static void run_eda(const experiment *x, const exp_run_options *o, FILE *out)
{
    char tool[PATH_LEN], dir[PATH_LEN], md[PATH_LEN], log[PATH_LEN];
    sys_path(tool, sizeof tool, "%s/convc-eda", o->bin_dir);
    sys_path(dir, sizeof dir, "%s/eda", o->out_dir);
    sys_path(md, sizeof md, "%s/eda.md", dir);
    sys_path(log, sizeof log, "%s/logs/eda.log", o->out_dir);
    if (sys_exists(md))
        return;
    if (access(tool, X_OK) != 0) {
        fprintf(out, "[eda] %s is not built; the report will say so\n", tool);
        return;
    }
    argvec a = {0};
    arg(&a, "%s", tool), arg(&a, "--out"), arg(&a, "%s", dir);
    arg(&a, "--heading"), arg(&a, "3");     /* under the report's "## The data" */
    if (x->data_dir)
        arg(&a, "--data"), arg(&a, "%s", x->data_dir);
    eda_augment_args(&a, x);
    fprintf(out, "[eda] %s\n", dir);
    if (o->dry_run) {
        print_command(out, &a, NULL);
        return;
    }
    int rc = sys_run(a.argv, NULL, log);
    if (rc != 0)
        fprintf(out, "[eda] failed (exit status %d); see %s\n", rc, log);
}

void experiment_announce(const experiment *x, const exp_run *r, int i, FILE *out)
{
    const exp_variant *v = &x->variants[r->variant];
    switch (r->status) {
    case EXP_RUN_REUSED:
        fprintf(out, "[%d/%d] %s seed %d: finished earlier, reused\n", i + 1, x->n_runs,
                v->name, r->seed);
        break;
    case EXP_RUN_DONE:
        fprintf(out, "[%d/%d] %s seed %d: done\n", i + 1, x->n_runs, v->name, r->seed);
        break;
    case EXP_RUN_FAILED:
        fprintf(out, "[%d/%d] %s seed %d: FAILED: %s\n", i + 1, x->n_runs, v->name, r->seed,
                r->error);
        break;
    case EXP_RUN_SKIPPED:
        fprintf(out, "[%d/%d] %s seed %d: skipped: %s\n", i + 1, x->n_runs, v->name,
                r->seed, r->error);
        break;
    default:
        break;
    }
    fflush(out);
}

/* ---- a run's outcome on disk --------------------------------------------------- */

/* A run that ended elsewhere (a worker process, a job) leaves its error in
 * <run>/error.txt. */
static void error_path(char *dst, const exp_run_options *o, const exp_run *r)
{
    sys_path(dst, PATH_LEN, "%s/%s/error.txt", o->out_dir, r->dir);
}

int experiment_save_run_error(const exp_run_options *o, const exp_run *r)
{
    char path[PATH_LEN];
    error_path(path, o, r);
    return sys_write_atomic(path, r->error, strlen(r->error));
}

/* Fails r with the error its run left, or `otherwise`; `consume` removes
 * the file. */
static void take_run_error(const exp_run_options *o, exp_run *r, const char *otherwise,
                           int consume)
{
    char path[PATH_LEN];
    error_path(path, o, r);
    char *msg = sys_read_file(path, NULL);
    run_fail(r, "%s", msg ? msg : otherwise);
    free(msg);
    if (consume)
        unlink(path);
}

/* Finished with the present settings: the stamp matches, eval.json exists. */
static int run_finished(const experiment *x, const exp_run *r, const exp_run_options *o)
{
    run_paths p;
    paths_for(&p, o, r);
    char *stamp = experiment_run_stamp(x, &x->variants[r->variant], r->seed);
    int done = stamp && stamp_matches(p.stamp, stamp) && sys_exists(p.eval);
    free(stamp);
    return done;
}

/* Runs of a variant whose trainer is missing: a run finished before needs
 * no trainer and is still valid; the others cannot run. */
static void skip_unbuilt(experiment *x, const exp_run_options *o)
{
    for (int i = 0; i < x->n_runs; i++) {
        exp_run *r = &x->runs[i];
        const exp_variant *v = &x->variants[r->variant];
        if (!v->build_failed || r->status != EXP_RUN_PENDING)
            continue;
        if (run_finished(x, r, o)) {
            r->status = EXP_RUN_REUSED;
        } else {
            r->status = EXP_RUN_SKIPPED;
            sys_path(r->error, sizeof r->error, "the trainer was not built: %s",
                     v->build_error);
        }
    }
}

/* The run order for workers: the most FLOPs per image first (ties in
 * manifest order), so that the last runs to start are the short ones and no
 * worker idles long at the end while another finishes a long run. */
static int *longest_first(const experiment *x)
{
    int *order = malloc((size_t)x->n_runs * sizeof *order);
    if (!order)
        return NULL;
    for (int i = 0; i < x->n_runs; i++) {
        int64_t cost = x->variants[x->runs[i].variant].flops;
        int j = i;
        for (; j > 0 && x->variants[x->runs[order[j - 1]].variant].flops < cost; j--)
            order[j] = order[j - 1];
        order[j] = i;
    }
    return order;
}

/* Runs in worker processes, at most o->jobs at once; a worker reports its
 * outcome through its exit status and a one-line file in the run directory. */
static void run_parallel(experiment *x, const exp_run_options *o, FILE *out)
{
    int *pids = calloc((size_t)x->n_runs, sizeof *pids);
    int *order = longest_first(x);
    if (!pids || !order) {
        free(pids);
        free(order);
        return;
    }
    int next = 0, active = 0;
    while (next < x->n_runs || active > 0) {
        while (active < o->jobs && next < x->n_runs) {
            int k = order[next++];
            exp_run *r = &x->runs[k];
            if (r->status != EXP_RUN_PENDING) {
                experiment_announce(x, r, k, out);
                continue;
            }
            fprintf(out, "[%d/%d] %s seed %d: started\n", k + 1, x->n_runs,
                    x->variants[r->variant].name, r->seed);
            fflush(NULL);
            pid_t pid = sys_fork_tied();
            if (pid == 0) {
                int rc = run_one(x, &x->variants[r->variant], r, o, out, 1);
                if (rc < 0)
                    experiment_save_run_error(o, r);
                fflush(NULL);
                _exit(rc < 0 ? 1 : r->status == EXP_RUN_REUSED ? 3 : 0);
            }
            if (pid < 0) {
                run_fail(r, "cannot start a worker: %s", strerror(errno));
                experiment_announce(x, r, k, out);
            } else {
                pids[k] = (int)pid;
                active++;
            }
        }
        if (active == 0)
            continue;
        int status;
        pid_t done = wait(&status);
        if (done < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (int i = 0; i < x->n_runs; i++) {
            if (pids[i] != (int)done)
                continue;
            exp_run *r = &x->runs[i];
            pids[i] = 0;
            active--;
            int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
            if (code == 0 || code == 3) {
                r->status = code == 3 ? EXP_RUN_REUSED : EXP_RUN_DONE;
            } else {
                take_run_error(o, r, "the worker failed", 1);
            }
            experiment_announce(x, r, i, out);
        }
    }
    free(pids);
    free(order);
}

int experiment_prepare(experiment *x, const exp_run_options *o, FILE *out)
{
    static const char *const subdirs[] = {"", "/specs", "/runs", "/logs"};
    /* Model names are at most 63 characters, so with these bounds no path
     * below can outgrow its PATH_LEN buffer. */
    if (strlen(o->out_dir) > 2048 || strlen(o->root) > 2048 || strlen(o->bin_dir) > 2048) {
        fprintf(out, "convc run: the output, project or bin directory path is too long\n");
        return -1;
    }
    for (size_t i = 0; i < sizeof subdirs / sizeof *subdirs && !o->dry_run; i++) {
        char dir[PATH_LEN];
        sys_path(dir, sizeof dir, "%s%s", o->out_dir, subdirs[i]);
        if (sys_mkdir_p(dir) < 0) {
            fprintf(out, "convc run: cannot create %s: %s\n", dir, strerror(errno));
            return -1;
        }
    }
    free(x->runs);
    x->n_runs = x->n_variants * x->n_seeds;
    x->runs = calloc((size_t)x->n_runs, sizeof *x->runs);
    if (!x->runs)
        return -1;
    for (int v = 0, k = 0; v < x->n_variants; v++) {
        for (int s = 0; s < x->n_seeds; s++, k++) {
            exp_run *r = &x->runs[k];
            r->variant = v;
            r->seed = x->seeds[s];
            sys_path(r->dir, sizeof r->dir, "runs/%s-s%d", x->variants[v].name, r->seed);
        }
    }
    for (int i = 0; i < x->n_variants && !o->dry_run; i++) {
        exp_variant *v = &x->variants[i];
        char spec[PATH_LEN];
        sys_path(spec, sizeof spec, "%s/specs/%s.spec", o->out_dir, v->name);
        if (write_spec(spec, v) < 0) {
            sys_path(v->build_error, sizeof v->build_error, "cannot write %s: %s", spec,
                     strerror(errno));
            v->build_failed = 1;
        }
    }
    return 0;
}

int experiment_find_trainers(experiment *x, const exp_run_options *o)
{
    int missing = 0;
    for (int i = 0; i < x->n_variants; i++) {
        exp_variant *v = &x->variants[i];
        char model[PATH_LEN];
        if (trainer_path(v, o, model, sizeof model) < 0)
            return -1;
        if (sys_exists(v->trainer)) {
            v->code_lines = trainer_code_lines(v);
        } else {
            v->build_failed = 1;
            missing++;
            sys_path(v->build_error, sizeof v->build_error,
                     "the trainer was not built; see %s/logs/%s.build.log", o->out_dir, v->name);
        }
    }
    skip_unbuilt(x, o);
    return missing;
}

int experiment_run_index(experiment *x, int i, const exp_run_options *o, FILE *out)
{
    exp_run *r = &x->runs[i];
    if (r->status == EXP_RUN_PENDING) {
        char path[PATH_LEN];
        error_path(path, o, r);
        unlink(path);
        fprintf(out, "[%d/%d] %s seed %d: training %d epoch%s\n", i + 1, x->n_runs,
                x->variants[r->variant].name, r->seed, x->epochs, x->epochs == 1 ? "" : "s");
        fflush(out);
        run_one(x, &x->variants[r->variant], r, o, out, 1);
    }
    return r->status == EXP_RUN_FAILED || r->status == EXP_RUN_SKIPPED ? -1 : 0;
}

int experiment_collect(experiment *x, const exp_run_options *o, FILE *out)
{
    int failures = experiment_find_trainers(x, o);
    if (failures < 0)
        return -1;
    for (int i = 0; i < x->n_runs; i++) {
        exp_run *r = &x->runs[i];
        if (r->status == EXP_RUN_PENDING) {
            if (run_finished(x, r, o))
                r->status = EXP_RUN_DONE;
            else
                take_run_error(o, r, "did not finish (no eval.json); see its train.log and "
                               "the job's log in logs/", 0);
        }
        experiment_announce(x, r, i, out);
        failures += r->status == EXP_RUN_FAILED || r->status == EXP_RUN_SKIPPED;
    }
    return failures;
}

int experiment_finish(experiment *x, const exp_run_options *o, FILE *out)
{
    int failures = experiment_collect(x, o, out);
    if (failures < 0)
        return -1;
    run_eda(x, o, out);
    char manifest[PATH_LEN];
    sys_path(manifest, sizeof manifest, "%s/experiment.json", o->out_dir);
    return experiment_write_manifest(x, manifest, out) < 0 ? -1 : failures;
}

int experiment_run(experiment *x, const exp_run_options *o, FILE *out)
{
    if (experiment_prepare(x, o, out) < 0)
        return -1;
    run_eda(x, o, out);
    int failures = 0;
    for (int v = 0; v < x->n_variants; v++) {
        experiment_build(x, v, o, out);
        failures += x->variants[v].build_failed;
    }
    skip_unbuilt(x, o);
    if (o->jobs > 1 && !o->dry_run) {
        run_parallel(x, o, out);
    } else {
        for (int i = 0; i < x->n_runs; i++) {
            exp_run *r = &x->runs[i];
            if (r->status == EXP_RUN_PENDING) {
                const exp_variant *v = &x->variants[r->variant];
                fprintf(out, "[%d/%d] %s seed %d: training %d epoch%s\n", i + 1, x->n_runs,
                        v->name, r->seed, x->epochs, x->epochs == 1 ? "" : "s");
                fflush(out);
                run_one(x, v, r, o, out, !o->show_progress);
            }
            experiment_announce(x, r, i, out);
            if (r->status == EXP_RUN_FAILED && strncmp(r->error, "interrupted", 11) == 0) {
                fprintf(out, "stopping: the remaining runs are left for the next "
                        "'convc run'\n");
                break;
            }
        }
    }
    for (int i = 0; i < x->n_runs; i++)
        failures += x->runs[i].status == EXP_RUN_FAILED;
    if (!o->dry_run) {
        char manifest[PATH_LEN];
        sys_path(manifest, sizeof manifest, "%s/experiment.json", o->out_dir);
        if (experiment_write_manifest(x, manifest, out) < 0)
            return -1;
    }
    return failures;
}
