/* progress.c - the progress bar and the per-epoch line. */
#include <time.h>
#include <unistd.h>
#include "train/progress.h"

#define BAR_WIDTH 30

double progress_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void progress_init(cv_progress *p, FILE *out, int quiet)
{
    *p = (cv_progress){ .out = out, .quiet = quiet, .tty = isatty(fileno(out)) };
}

void progress_epoch_begin(cv_progress *p, int epoch, int epochs, size_t total, size_t done)
{
    p->epoch = epoch;
    p->epochs = epochs;
    p->total = total;
    p->first = done;
    p->start = p->last_draw = progress_now();
    if (p->quiet || !p->tty)
        return;
    fprintf(p->out, "Epoch %d/%d\n", epoch, epochs);
    fflush(p->out);
}

static void draw_bar(cv_progress *p, size_t done)
{
    int width = (int)(p->total ? (double)BAR_WIDTH * (double)done / (double)p->total : BAR_WIDTH);
    int digits = snprintf(NULL, 0, "%zu", p->total);
    fprintf(p->out, "\r%*zu/%zu [", digits, done, p->total);
    for (int i = 0; i < BAR_WIDTH; i++)
        fputc(i < width - 1 || (i == width - 1 && done == p->total) ? '='
              : i == width - 1 ? '>' : '.', p->out);
    fputc(']', p->out);
}

void progress_update(cv_progress *p, size_t done, double loss, double acc)
{
    if (p->quiet || !p->tty)
        return;
    double now = progress_now();
    if (now - p->last_draw < 0.1 && done < p->total)
        return;
    p->last_draw = now;
    draw_bar(p, done);
    double per_batch = done > p->first ? (now - p->start) / (double)(done - p->first) : 0;
    double eta = per_batch * (double)(p->total - done);
    if (eta >= 3600)
        fprintf(p->out, " - ETA: %d:%02d:%02d", (int)eta / 3600, (int)eta / 60 % 60, (int)eta % 60);
    else if (eta >= 60)
        fprintf(p->out, " - ETA: %d:%02d", (int)eta / 60, (int)eta % 60);
    else
        fprintf(p->out, " - ETA: %ds", (int)eta);
    fprintf(p->out, " - loss: %.4f - acc: %.4f\033[K", loss, acc);
    fflush(p->out);
}

static void print_metrics(FILE *out, const cv_epoch_line *l)
{
    fprintf(out, " - loss: %.4f - acc: %.4f", l->loss, l->acc);
    if (l->has_val)
        fprintf(out, " - val_loss: %.4f - val_acc: %.4f", l->val_loss, l->val_acc);
    if (l->has_test)
        fprintf(out, " - test_loss: %.4f - test_acc: %.4f", l->test_loss, l->test_acc);
    if (l->show_lr)
        fprintf(out, " - lr: %.4g", l->lr);
}

void progress_epoch_end(cv_progress *p, size_t done, const cv_epoch_line *l)
{
    if (p->quiet)
        return;
    size_t steps = done > p->first ? done - p->first : 1;
    double ms_per_step = 1000.0 * l->seconds / (double)steps;
    if (p->tty) {
        draw_bar(p, done);
        fprintf(p->out, " - %.0fs %.0fms/step", l->seconds, ms_per_step);
        print_metrics(p->out, l);
        fputs("\033[K\n", p->out);
    } else {
        fprintf(p->out, "Epoch %d/%d - %zu/%zu batches - %.1fs (%.1fms/step)", p->epoch,
                p->epochs, done, p->total, l->seconds, ms_per_step);
        print_metrics(p->out, l);
        fputc('\n', p->out);
    }
    if (l->reduced_lr)
        fprintf(p->out, "Epoch %d: ReduceLROnPlateau reducing learning rate to %g.\n",
                p->epoch, l->next_lr);
    fflush(p->out);
}
