/* report_stats.c - the numbers behind the report: per-model means and
 * spreads over seeds, and the findings and interpretation written from them.
 * Every sentence that states a number computes it here. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "report/report.h"

double report_mean(const double *x, int n)
{
    if (n <= 0)
        return NAN;
    double s = 0;
    for (int i = 0; i < n; i++)
        s += x[i];
    return s / n;
}

double report_std(const double *x, int n)
{
    if (n < 2)
        return 0;
    double m = report_mean(x, n), s = 0;
    for (int i = 0; i < n; i++)
        s += (x[i] - m) * (x[i] - m);
    return sqrt(s / (n - 1));
}

void report_aggregate(report *r)
{
    double *acc = malloc(sizeof *acc * (size_t)(r->n_runs + 1));
    double *loss = malloc(sizeof *loss * (size_t)(r->n_runs + 1));
    double *spe = malloc(sizeof *spe * (size_t)(r->n_runs + 1));
    double *tra = malloc(sizeof *tra * (size_t)(r->n_runs + 1));
    for (int m = 0; m < r->n_models; m++) {
        report_model *d = &r->models[m];
        int n = 0, ns = 0, nt = 0;
        d->n_runs = 0;
        for (int i = 0; acc && loss && spe && tra && i < r->n_runs; i++) {
            const report_run *u = &r->runs[i];
            if (u->model != m)
                continue;
            d->n_runs++;
            if (!u->ok)
                continue;
            acc[n] = u->accuracy;
            loss[n] = u->loss;
            n++;
            if (!isnan(u->seconds_per_epoch))
                spe[ns++] = u->seconds_per_epoch;
            if (u->n_epochs > 0)
                tra[nt++] = u->train_acc[u->n_epochs - 1];
        }
        d->n_ok = n;
        d->acc_mean = report_mean(acc, n);
        d->acc_std = report_std(acc, n);
        d->loss_mean = report_mean(loss, n);
        d->loss_std = report_std(loss, n);
        d->spe_mean = report_mean(spe, ns);
        d->train_acc_last = report_mean(tra, nt);
    }
    free(acc);
    free(loss);
    free(spe);
    free(tra);
}

int report_best_model(const report *r)
{
    int best = -1;
    for (int m = 0; m < r->n_models; m++)
        if (r->models[m].n_ok > 0 && (best < 0 || r->models[m].acc_mean > r->models[best].acc_mean))
            best = m;
    return best;
}

int report_baseline_model(const report *r)
{
    for (int m = 0; m < r->n_models; m++)
        if (r->models[m].conv_layers == 0 && r->models[m].n_ok > 0)
            return m;
    return -1;
}

int report_receptive_field(const report_model *m)
{
    int field = 1, jump = 1, last = 0;
    for (int i = 0; i < m->n_layers; i++) {
        const report_layer *l = &m->layers[i];
        /* a depthwise convolution widens the field as a convolution does */
        int conv = strcmp(l->kind, "conv") == 0 || strcmp(l->kind, "dwconv") == 0;
        if (!conv && strcmp(l->kind, "pool") != 0)
            continue;
        field += (l->kernel[0] - 1) * jump;
        jump *= l->stride[0] > 0 ? l->stride[0] : 1;
        if (conv)
            last = field;
    }
    return last;
}

/* ---- wording helpers ------------------------------------------------------------ */

/* 220234 -> "220,234" in one of a few rotating buffers. */
static const char *grouped(int64_t v)
{
    static char bufs[8][32];
    static int next;
    char *out = bufs[next++ % 8];
    char digits[24];
    snprintf(digits, sizeof digits, "%lld", (long long)(v < 0 ? -v : v));
    size_t n = strlen(digits), k = 0;
    if (v < 0)
        out[k++] = '-';
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            out[k++] = ',';
        out[k++] = digits[i];
    }
    out[k] = '\0';
    return out;
}

/* "cnn_k3 (k=3)" or "baseline" */
static void model_phrase(const report *r, const report_model *m, FILE *f)
{
    if (m->factor && r->factor_title) {
        fprintf(f, "**%s** (", m->name);
        report_md_text(f, r->factor_title);
        fputc(' ', f);
        report_md_text(f, m->factor);
        fputc(')', f);
    } else
        fprintf(f, "**%s**", m->name);
}

static void accuracy_phrase(const report_model *m, FILE *f)
{
    fprintf(f, "%.2f%%", 100 * m->acc_mean);
    if (m->n_ok > 1)
        fprintf(f, " ± %.2f over %d seeds", 100 * m->acc_std, m->n_ok);
}

static int first_conv(const report_model *m)
{
    for (int i = 0; i < m->n_layers; i++)
        if (strcmp(m->layers[i].kind, "conv") == 0)
            return i;
    return -1;
}

static int64_t conv_params(const report_model *m)
{
    int64_t s = 0;
    for (int i = 0; i < m->n_layers; i++)
        if (strcmp(m->layers[i].kind, "conv") == 0)
            s += m->layers[i].params;
    return s;
}

/* ---- findings ---------------------------------------------------------------------- */

static void finding_best(const report *r, FILE *f)
{
    int best = report_best_model(r);
    if (best < 0) {
        fputs("- No run finished, so there is nothing to compare.\n", f);
        return;
    }
    const report_model *b = &r->models[best];
    fputs("- Best test accuracy: ", f);
    model_phrase(r, b, f);
    fputs(", ", f);
    accuracy_phrase(b, f);
    fprintf(f, ", test loss %.4f, with %s parameters.\n", b->loss_mean, grouped(b->params));
    int lowest = -1;
    for (int m = 0; m < r->n_models; m++)
        if (r->models[m].n_ok > 0 &&
            (lowest < 0 || r->models[m].loss_mean < r->models[lowest].loss_mean))
            lowest = m;
    if (lowest == best)
        fprintf(f, "- It also has the lowest test loss, so loss and accuracy agree on the "
                "ranking's top.\n");
    else
        fprintf(f, "- The lowest test loss belongs to **%s** (%.4f vs %.4f): accuracy and "
                "loss disagree on the winner, a sign that the top models are close.\n",
                r->models[lowest].name, r->models[lowest].loss_mean, b->loss_mean);
}

static void finding_baseline(const report *r, FILE *f)
{
    int base = report_baseline_model(r);
    if (base < 0)
        return;
    const report_model *b = &r->models[base];
    int n_cnn = 0, n_beat = 0;
    double lo = INFINITY, hi = -INFINITY;
    for (int m = 0; m < r->n_models; m++) {
        const report_model *c = &r->models[m];
        if (c->conv_layers == 0 || c->n_ok == 0)
            continue;
        double d = 100 * (c->acc_mean - b->acc_mean);
        n_cnn++;
        n_beat += d > 0;
        lo = fmin(lo, d);
        hi = fmax(hi, d);
    }
    if (n_cnn == 0)
        return;
    fprintf(f, "- Against the dense baseline **%s** (%.2f%%): ", b->name, 100 * b->acc_mean);
    if (n_beat == n_cnn && n_cnn == 1)
        fprintf(f, "the convolutional model beats it by %+.2f points (", lo);
    else if (n_beat == n_cnn)
        fprintf(f, "all %d convolutional models beat it, by %+.2f to %+.2f points (", n_cnn,
                lo, hi);
    else if (n_cnn == 1)
        fprintf(f, "the convolutional model does not beat it (");
    else
        fprintf(f, "%d of %d convolutional models beat it; the differences range from "
                "%+.2f to %+.2f points (", n_beat, n_cnn, lo, hi);
    int first = 1;
    for (int m = 0; m < r->n_models; m++) {
        const report_model *c = &r->models[m];
        if (c->conv_layers == 0 || c->n_ok == 0)
            continue;
        fprintf(f, "%s%s %+.2f", first ? "" : ", ", c->name, 100 * (c->acc_mean - b->acc_mean));
        first = 0;
    }
    fputs(").\n", f);
    fputs("- Parameters relative to the baseline: ", f);
    first = 1;
    for (int m = 0; m < r->n_models; m++) {
        const report_model *c = &r->models[m];
        if (m == base || !c->build_ok)
            continue;
        fprintf(f, "%s%s %.2f×", first ? "" : ", ", c->name,
                (double)c->params / (double)b->params);
        first = 0;
    }
    fprintf(f, " (baseline: %s).\n", grouped(b->params));
}

static void finding_capacity(const report *r, FILE *f)
{
    /* Among the convolutional models: does accuracy follow size? */
    int small = -1, large = -1, best = -1, n = 0;
    for (int m = 0; m < r->n_models; m++) {
        const report_model *c = &r->models[m];
        if (c->conv_layers == 0 || c->n_ok == 0)
            continue;
        n++;
        if (small < 0 || c->params < r->models[small].params)
            small = m;
        if (large < 0 || c->params > r->models[large].params)
            large = m;
        if (best < 0 || c->acc_mean > r->models[best].acc_mean)
            best = m;
    }
    if (n < 2 || small == large)
        return;
    const report_model *s = &r->models[small], *l = &r->models[large];
    fprintf(f, "- Size among the convolutional models: %s to %s parameters (%.2f×), "
            "%.2f to %.2f MFLOPs per image (%.2f×). ", grouped(s->params), grouped(l->params),
            (double)l->params / (double)s->params, s->flops / 1e6, l->flops / 1e6,
            (double)l->flops / (double)(s->flops > 0 ? s->flops : 1));
    if (best == small)
        fprintf(f, "The smallest, **%s**, is the most accurate: the extra parameters did "
                "not buy accuracy here.\n", s->name);
    else if (best == large)
        fprintf(f, "The largest, **%s**, is the most accurate (%+.2f points over the "
                "smallest).\n", l->name, 100 * (l->acc_mean - s->acc_mean));
    else
        fprintf(f, "The most accurate, **%s**, is neither the smallest nor the largest: "
                "accuracy does not follow the parameter count.\n", r->models[best].name);
}

/* ", 95% CI +1.20 to +3.40 over 3 seeds, paired t-test p = 0.012: a real
 * difference" -- the verdict on a - b that every claim about the two defers
 * to.  Nothing with fewer than two pairs: then the spread is unknown. */
static void paired_verdict(const report *r, int a, int b, FILE *f)
{
    report_paired p;
    report_paired_compare(r, a, b, &p);
    int decided = report_paired_decided(&p);
    if (decided < 0) {
        fprintf(f, "; with %s the spread across seeds is unknown, so this cannot tell "
                "whether the difference is more than seed-to-seed noise (rerun with "
                "`--seeds 1,2,3`)", p.n == 1 ? "one seed" : "no common seed");
        return;
    }
    fprintf(f, " (95%% CI %+.2f to %+.2f over %d seeds, paired t-test ", p.lo, p.hi, p.n);
    if (p.p < 0.001)
        fputs("p < 0.001", f);
    else
        fprintf(f, "p = %.3f", p.p);
    if (decided)
        fputs("): a real difference at the 95% level", f);
    else
        fprintf(f, "): not distinguishable with %d seeds", p.n);
}

/* "beats **b** by 0.31 points (95% CI ...): not distinguishable ..."; 0 if
 * the two share no finished seed (then nothing is written). */
static int pair_sentence(const report *r, int a, int b, FILE *f)
{
    report_paired p;
    if (report_paired_compare(r, a, b, &p) == 0)
        return 0;
    if (p.mean > 0)
        fprintf(f, "beats **%s** by %.2f points", r->models[b].name, p.mean);
    else if (p.mean < 0)
        fprintf(f, "trails **%s** by %.2f points", r->models[b].name, -p.mean);
    else
        fprintf(f, "ties with **%s**", r->models[b].name);
    paired_verdict(r, a, b, f);
    return 1;
}

/* "- **a** beats **b** by 0.31 points (95% CI ...): not distinguishable ..." */
static void finding_pair(const report *r, int a, int b, FILE *f)
{
    report_paired p;
    if (report_paired_compare(r, a, b, &p) == 0)
        return;
    fprintf(f, "- **%s** ", r->models[a].name);
    pair_sentence(r, a, b, f);
    fputs(".\n", f);
}

void report_write_decided_finding(const report *r, FILE *f)
{
    int best = report_best_model(r), second = -1;
    if (best < 0) {
        fputs("No run finished, so nothing is decided.", f);
        return;
    }
    for (int m = 0; m < r->n_models; m++)
        if (m != best && r->models[m].n_ok > 0 &&
            (second < 0 || r->models[m].acc_mean > r->models[second].acc_mean))
            second = m;
    fprintf(f, "**%s** is best at ", r->models[best].name);
    accuracy_phrase(&r->models[best], f);
    if (second < 0) {
        fputs("; no other model finished to compare it with.", f);
        return;
    }
    fputs("; against the runner-up it ", f);
    if (!pair_sentence(r, best, second, f))
        fprintf(f, "shares no finished seed with **%s**", r->models[second].name);
    fputs(".", f);
}

/* Each model against the best, then each convolutional model against the
 * dense baseline (where that pair is not already listed). */
static void finding_pairs(const report *r, FILE *f)
{
    int best = report_best_model(r), base = report_baseline_model(r);
    if (best < 0)
        return;
    for (int m = 0; m < r->n_models; m++)
        if (m != best && r->models[m].n_ok > 0)
            finding_pair(r, best, m, f);
    if (base < 0)
        return;
    for (int m = 0; m < r->n_models; m++)
        if (m != base && m != best && base != best && r->models[m].conv_layers > 0 &&
            r->models[m].n_ok > 0)
            finding_pair(r, m, base, f);
}

static void finding_spread(const report *r, FILE *f)
{
    double widest = 0;
    int wi = -1;
    for (int m = 0; m < r->n_models; m++)
        if (r->models[m].n_ok > 1 && r->models[m].acc_std >= widest) {
            widest = r->models[m].acc_std;
            wi = m;
        }
    if (wi >= 0)
        fprintf(f, "- The widest seed-to-seed spread is **%s**'s: ± %.2f points.\n",
                r->models[wi].name, 100 * widest);
}

static void finding_fit(const report *r, FILE *f)
{
    int worst = -1;
    double worst_gap = -INFINITY;
    for (int m = 0; m < r->n_models; m++) {
        const report_model *c = &r->models[m];
        if (c->n_ok == 0 || isnan(c->train_acc_last))
            continue;
        double gap = 100 * (c->train_acc_last - c->acc_mean);
        if (gap > worst_gap) {
            worst_gap = gap;
            worst = m;
        }
    }
    if (worst < 0)
        return;
    fputs("- Train minus test accuracy after the last epoch: ", f);
    int first = 1;
    for (int m = 0; m < r->n_models; m++) {
        const report_model *c = &r->models[m];
        if (c->n_ok == 0 || isnan(c->train_acc_last))
            continue;
        fprintf(f, "%s%s %+.2f", first ? "" : ", ", c->name,
                100 * (c->train_acc_last - c->acc_mean));
        first = 0;
    }
    if (worst_gap > 0)
        fprintf(f, " points; **%s** fits its training data most beyond what carries over to "
                "the test set.\n", r->models[worst].name);
    else
        fputs(" points: no model does better on its training data than on the test set "
              "yet (the training accuracy is averaged over the last epoch, while the "
              "weights were still changing).\n", f);
}

static void finding_speed(const report *r, FILE *f)
{
    int fast = -1, slow = -1;
    for (int m = 0; m < r->n_models; m++) {
        const report_model *c = &r->models[m];
        if (isnan(c->spe_mean))
            continue;
        if (fast < 0 || c->spe_mean < r->models[fast].spe_mean)
            fast = m;
        if (slow < 0 || c->spe_mean > r->models[slow].spe_mean)
            slow = m;
    }
    if (fast < 0 || fast == slow)
        return;
    fprintf(f, "- Training time per epoch ranges from %.2f s (**%s**, %.2f MFLOPs per "
            "image) to %.2f s (**%s**, %.2f MFLOPs per image).\n",
            r->models[fast].spe_mean, r->models[fast].name, r->models[fast].flops / 1e6,
            r->models[slow].spe_mean, r->models[slow].name, r->models[slow].flops / 1e6);
}

/* The first model (in the experiment's order) with a factor value and a
 * finished run, -1 if none: the reference of the factor's findings. */
static int first_factor_model(const report *r)
{
    for (int m = 0; m < r->n_models; m++)
        if (r->models[m].factor && r->models[m].n_ok > 0)
            return m;
    return -1;
}

/* What the varied choice changed: every model with a factor value against
 * the first one, in accuracy, loss, size and time. */
static void finding_factor(const report *r, FILE *f)
{
    int ref = first_factor_model(r);
    if (!r->factor_title || ref < 0)
        return;
    const report_model *a = &r->models[ref];
    for (int m = ref + 1; m < r->n_models; m++) {
        const report_model *b = &r->models[m];
        if (!b->factor || b->n_ok == 0)
            continue;
        fprintf(f, "- %s: **%s** (", r->factor_title, b->name);
        report_md_text(f, b->factor);
        fprintf(f, ") against **%s** (", a->name);
        report_md_text(f, a->factor);
        fprintf(f, "): %+.2f points of test accuracy (%.2f%% vs %.2f%%), test loss %.4f vs "
                "%.4f, %+lld parameters", 100 * (b->acc_mean - a->acc_mean),
                100 * b->acc_mean, 100 * a->acc_mean, b->loss_mean, a->loss_mean,
                (long long)(b->params - a->params));
        if (!isnan(a->spe_mean) && !isnan(b->spe_mean) && a->spe_mean > 0)
            fprintf(f, ", %.2f× the training time per epoch", b->spe_mean / a->spe_mean);
        fputs(".\n", f);
    }
}

static void finding_failures(const report *r, FILE *f)
{
    for (int i = 0; i < r->n_runs; i++) {
        const report_run *u = &r->runs[i];
        if (u->ok)
            continue;
        fprintf(f, "- **%s** seed %d did not finish: ", r->models[u->model].name, u->seed);
        report_md_text(f, u->error ? u->error : "no result");
        fputs(". It is left out of the numbers above.\n", f);
    }
}

/* Models under different labels that share a factor value (plain and
 * residual at each depth): what the label changed at each value, against
 * the first label, and what the factor changed under each label, from its
 * first value to its last. */
static void finding_labels(const report *r, FILE *f)
{
    int ref = first_factor_model(r);
    if (ref < 0 || !r->factor_title)
        return;
    const report_model *first_label = &r->models[ref];
    for (int m = 0; m < r->n_models; m++) {
        const report_model *c = &r->models[m];
        int seen = 0, pairs = 0, better = 0;
        if (!c->factor || c->n_ok == 0 || strcmp(c->label, first_label->label) == 0)
            continue;
        for (int k = 0; k < m; k++)     /* each other label once */
            seen |= r->models[k].factor && strcmp(r->models[k].label, c->label) == 0;
        if (seen)
            continue;
        for (int k = m; k < r->n_models; k++) {
            const report_model *a = &r->models[k];
            if (!a->factor || a->n_ok == 0 || strcmp(a->label, c->label) != 0)
                continue;
            for (int b = 0; b < r->n_models; b++) {
                const report_model *o = &r->models[b];
                if (!o->factor || o->n_ok == 0 || strcmp(o->label, first_label->label) != 0
                    || strcmp(o->factor, a->factor) != 0)
                    continue;
                if (pairs++ == 0) {
                    fputs("- **", f);
                    report_md_text(f, c->label);
                    fputs("** against **", f);
                    report_md_text(f, first_label->label);
                    fputs("** at the same ", f);
                    report_md_text(f, r->factor_title);
                    fputs(": ", f);
                } else {
                    fputs(", ", f);
                }
                report_md_text(f, a->factor);
                fprintf(f, " %+.2f", 100 * (a->acc_mean - o->acc_mean));
                better += a->acc_mean > o->acc_mean;
            }
        }
        if (pairs > 0)
            fprintf(f, " points of test accuracy (better at %d of %d).\n", better, pairs);
    }
    /* Under each label, from the first factor value to the last. */
    int printed = 0;
    for (int m = 0; m < r->n_models; m++) {
        const report_model *c = &r->models[m], *last = NULL;
        int seen = 0;
        if (!c->factor || c->n_ok == 0)
            continue;
        for (int k = 0; k < m; k++)
            seen |= r->models[k].factor && r->models[k].n_ok > 0
                    && strcmp(r->models[k].label, c->label) == 0;
        if (seen)
            continue;
        for (int k = m + 1; k < r->n_models; k++)
            if (r->models[k].factor && r->models[k].n_ok > 0
                && strcmp(r->models[k].label, c->label) == 0)
                last = &r->models[k];
        if (!last)
            continue;
        fputs(printed++ ? "; " : "- From the first to the last ", f);
        if (printed == 1) {
            report_md_text(f, r->factor_title);
            fputs(": ", f);
        }
        fputs("**", f);
        report_md_text(f, c->label);
        fputs("** ", f);
        report_md_text(f, c->factor);
        fputs(" to ", f);
        report_md_text(f, last->factor);
        fprintf(f, " %+.2f points", 100 * (last->acc_mean - c->acc_mean));
    }
    if (printed)
        fputs(" of test accuracy.\n", f);
}

void report_write_findings(const report *r, FILE *f)
{
    finding_best(r, f);
    finding_baseline(r, f);
    finding_capacity(r, f);
    finding_pairs(r, f);
    finding_labels(r, f);
    finding_spread(r, f);
    finding_fit(r, f);
    finding_speed(r, f);
    finding_factor(r, f);
    finding_failures(r, f);
}

/* ---- interpretation ------------------------------------------------------------------ */

void report_write_interpretation(const report *r, FILE *f)
{
    int base = report_baseline_model(r), best = report_best_model(r);
    int cnn = -1;
    for (int m = 0; m < r->n_models; m++)
        if (r->models[m].conv_layers > 0 && r->models[m].n_ok > 0 &&
            (cnn < 0 || r->models[m].acc_mean > r->models[cnn].acc_mean))
            cnn = m;
    if (cnn < 0) {
        fputs("No convolutional model finished, so there is nothing to interpret about "
              "convolution.\n\n", f);
        return;
    }
    const report_model *c = &r->models[cnn];
    int fc = first_conv(c);
    const report_layer *l = fc >= 0 ? &c->layers[fc] : NULL;

    fputs("### Convolution against the dense baseline\n\n", f);
    if (base >= 0) {
        const report_model *b = &r->models[base];
        double d = 100 * (c->acc_mean - b->acc_mean);
        if (d > 0) {
            fprintf(f, "The best convolutional model, **%s**, beats the dense baseline "
                    "**%s** by %.2f points (%.2f%% vs %.2f%%)", c->name, b->name, d,
                    100 * c->acc_mean, 100 * b->acc_mean);
            paired_verdict(r, cnn, base, f);
            fputs(". ", f);
        }
        else
            fprintf(f, "Here the dense baseline **%s** is not beaten: the best "
                    "convolutional model, **%s**, is %.2f points behind (%.2f%% vs %.2f%%); "
                    "the inductive bias of convolution did not pay off in this run (%d "
                    "epoch%s on %s training images). ", b->name, c->name, -d,
                    100 * c->acc_mean, 100 * b->acc_mean, r->epochs, r->epochs == 1 ? "" : "s",
                    r->limit_train > 0 ? grouped(r->limit_train) : "all");
        fprintf(f, "The baseline flattens the %dx%d image into %d independent inputs, so "
                "it has no notion of which pixels are neighbours.\n\n",
                b->layers ? b->layers[0].in[0] : 0, b->layers ? b->layers[0].in[1] : 0,
                b->layers ? b->layers[0].in[0] * b->layers[0].in[1] * b->layers[0].in[2] : 0);
    }
    if (l) {
        int64_t in = (int64_t)l->in[0] * l->in[1] * l->in[2];
        int64_t out = (int64_t)l->out[0] * l->out[1] * l->out[2];
        int64_t dense = in * out + out;
        fputs("- **Locality.** Each unit of `", f);
        report_md_code(f, l->source ? l->source : "conv1");
        fprintf(f, "` looks at a %dx%d window: %d of the "
                "%lld input pixels (%.1f%%). ", l->kernel[0],
                l->kernel[1], l->kernel[0] * l->kernel[1], (long long)(l->in[0] * l->in[1]),
                100.0 * l->kernel[0] * l->kernel[1] / (l->in[0] * l->in[1]));
        fprintf(f, "Nearby pixels of clothing images are strongly related (edges, seams, "
                "textures), and the window builds that assumption in instead of learning "
                "it from data.\n");
        fprintf(f, "- **Weight sharing.** That layer has %s parameters and applies them at "
                "all %dx%d positions. A dense layer from the same %lld inputs to the same "
                "%lld outputs (%dx%dx%d) would need %s, %.0f× more. All conv layers of "
                "%s together hold %s of its %s parameters (%.1f%%); the rest is the dense "
                "head.\n", grouped(l->params), l->out[0], l->out[1], (long long)in,
                (long long)out, l->out[0], l->out[1], l->out[2], grouped(dense),
                (double)dense / (double)(l->params > 0 ? l->params : 1), c->name,
                grouped(conv_params(c)), grouped(c->params),
                100.0 * (double)conv_params(c) / (double)(c->params > 0 ? c->params : 1));
    }
    int rf = report_receptive_field(c);
    if (c->conv_layers > 1 && l)
        fprintf(f, "- **Hierarchy.** %s stacks %d conv layers; a unit of the last one sees "
                "a %dx%d region of the input (%.0f%% of the image side), against %dx%d "
                "for the first. Early filters respond to edges and blobs, later ones to "
                "combinations of them: the learned filters and feature maps above show it.\n",
                c->name, c->conv_layers, rf, rf, 100.0 * rf / (l->in[0] > 0 ? l->in[0] : 1),
                l->kernel[0], l->kernel[1]);
    if (r->factor_title) {
        int n = 0;
        for (int m = 0; m < r->n_models; m++)
            n += r->models[m].conv_layers > 0 && r->models[m].n_ok > 0;
        if (n > 1) {
            fputs("- **What ", f);
            report_md_text(f, r->factor_title);
            fputs(" changed.** Receptive field of the last conv layer, "
                  "parameters and test accuracy: ", f);
            int first = 1;
            for (int m = 0; m < r->n_models; m++) {
                const report_model *v = &r->models[m];
                if (v->conv_layers == 0 || v->n_ok == 0)
                    continue;
                int vrf = report_receptive_field(v);
                fprintf(f, "%s%s %dx%d, %s, %.2f%%", first ? "" : "; ", v->name, vrf, vrf,
                        grouped(v->params), 100 * v->acc_mean);
                first = 0;
            }
            fputs(". A wider view per layer costs parameters and compute; whether it pays "
                  "off is what the table measures.\n", f);
        }
    }
    fputs("\n### When convolution is not the right tool\n\n", f);
    fputs("Convolution assumes that nearby inputs are related and that a pattern means the "
          "same thing wherever it appears. That holds for images like these and fails for:\n\n"
          "- tabular data, where neighbouring columns (age, income) are unrelated;\n"
          "- inputs whose order is arbitrary (bag-of-words counts, shuffled pixels): "
          "locality then buys nothing, and a dense layer loses nothing;\n"
          "- long-range dependencies in sequences (text, prices), better served by "
          "recurrent or attention models;\n"
          "- graphs (molecules, social networks), which need graph neural networks;\n"
          "- a handful of sensor readings, where a small dense network is enough.\n\n", f);
    if (base >= 0) {
        double d = 100 * (c->acc_mean - r->models[base].acc_mean);
        fprintf(f, "The baseline reaches %.2f%% without any of this: on centred, aligned "
                "images the position of a pixel alone carries signal (see the mean images "
                "in the data section)", 100 * r->models[base].acc_mean);
        if (d > 0)
            fprintf(f, ", and convolution adds %.2f points on top of it.\n\n", d);
        else
            fputs(", and here convolution did not add to it.\n\n", f);
    }
    (void)best;
}
