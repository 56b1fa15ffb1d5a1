/* quantize.c - calibration, quantization and the float-against-int8
 * comparison of `convc export --int8` (quantize.h). */
#include "output/quantize.h"
#include "output/export_fold.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "output/q8_kernels.h"

/* Every layer's output, one after another, for one image. */
typedef struct {
    int64_t *at;            /* offset of layer i's output; n_layers + 1 */
    float *f;
    int8_t *q;
} activations;

static int activations_init(activations *a, const ir_model *m)
{
    int64_t total = 0;
    a->at = malloc(sizeof *a->at * ((size_t)m->n_layers + 1));
    if (!a->at)
        return -1;
    for (int i = 0; i < m->n_layers; i++) {
        a->at[i] = total;
        total += q8_out_size(&m->layers[i]);
    }
    a->at[m->n_layers] = total;
    a->f = malloc(sizeof *a->f * (size_t)total);
    a->q = malloc((size_t)total);
    return a->f && a->q ? 0 : -1;
}

static void activations_free(activations *a)
{
    free(a->at);
    free(a->f);
    free(a->q);
}

/* Layer i's n-th input: the image x, or an earlier layer's output. */
static int64_t input_at(const q8_model *q, const activations *a, int i, int n)
{
    const ir_layer *l = &q->m->layers[i];
    return n < l->n_inputs && l->inputs[n] >= 0 ? a->at[l->inputs[n]] : -1;
}

static void track(float *lo, float *hi, int *bad, const float *v, int64_t n)
{
    for (int64_t j = 0; j < n; j++) {
        if (!isfinite(v[j])) {
            *bad = 1;
            continue;
        }
        *lo = v[j] < *lo ? v[j] : *lo;
        *hi = v[j] > *hi ? v[j] : *hi;
    }
}

/* The float reference; tanh and sigmoid follow the kind's forward, after
 * the range of their pre-activation is tracked when calibrating. */
static void forward_f32(const q8_model *q, const float *x, activations *a, int calibrating)
{
    for (int i = 0; i < q->m->n_layers; i++) {
        const ir_layer *l = &q->m->layers[i];
        q8_layer *y = &q->layers[i];
        int64_t in = input_at(q, a, i, 0), in2 = input_at(q, a, i, 1);
        float *out = a->f + a->at[i];
        q8_kind_of(l)->forward_f32(q, i, in < 0 ? x : a->f + in, in2 < 0 ? NULL : a->f + in2,
                                   out);
        if (!q8_act_by_table(l->act))
            continue;
        if (calibrating)
            track(&y->pre_min, &y->pre_max, &y->bad, out, a->at[i + 1] - a->at[i]);
        for (int64_t j = 0; j < a->at[i + 1] - a->at[i]; j++)
            out[j] = q8_activate(l->act, out[j]);
    }
}

static void forward_q8(const q8_model *q, const int8_t *x, activations *a)
{
    for (int i = 0; i < q->m->n_layers; i++) {
        int64_t in = input_at(q, a, i, 0), in2 = input_at(q, a, i, 1);
        int8_t *out = a->q + a->at[i];
        q8_kind_of(&q->m->layers[i])
            ->forward_q8(q, i, in < 0 ? x : a->q + in, in2 < 0 ? NULL : a->q + in2, out);
        if (q->layers[i].lut)
            q8_lut(out, (int)(a->at[i + 1] - a->at[i]), q->layers[i].lut);
    }
}

/* Layers int8 cannot compute, by name: a kind without an entry, softmax
 * before the last layer. */
int q8_check_model(const ir_model *m, const gen_layout *L, FILE *diag)
{
    for (int i = 0; i < m->n_layers; i++) {
        const ir_layer *l = &m->layers[i];
        const char *why = NULL;
        if (!q8_kind_of(l) && !export_folds_into_previous(m, i))
            why = "has no int8 kernel";
        else if (l->act == IR_SOFTMAX && i + 1 < m->n_layers)
            why = "has a softmax before the last layer, which has no int8 kernel";
        if (why && !diag)
            return -1;
        if (why) {
            fprintf(diag, "%s:%d: error: --int8: layer %s (%s) %s; export it without --int8\n",
                    m->spec_path, l->line, L->plan[i].name, l->source ? l->source : "", why);
            return -1;
        }
    }
    return 0;
}

/* Asymmetric int8 for the range lo..hi, widened to hold 0 (exactly
 * representable, as padding and ReLU need): -1 for an empty or NaN range. */
static int range_qparams(float lo, float hi, q8_qparams *p)
{
    double zp;
    lo = lo < 0.0f ? lo : 0.0f;
    hi = hi > 0.0f ? hi : 0.0f;
    if (!(hi > lo) || !isfinite(hi - lo))
        return -1;
    p->scale = (hi - lo) / 255.0f;
    zp = round(-128.0 - (double)lo / p->scale);
    p->zp = (int32_t)(zp < -128 ? -128 : zp > 127 ? 127 : zp);
    return 0;
}

static int calibrate(q8_model *q, const cv_images *train, int n, activations *a, FILE *diag)
{
    const ir_model *m = q->m;
    int64_t in_n = (int64_t)m->input.h * m->input.w * m->input.c;
    float *x = malloc(sizeof *x * (size_t)in_n);
    int in_bad = 0;
    if (!x)
        return -1;
    q->in_min = q->in_max = 0.0f;
    for (int i = 0; i < m->n_layers; i++)
        q->layers[i].min = q->layers[i].max = q->layers[i].pre_min = q->layers[i].pre_max = 0.0f;
    for (int s = 0; s < n; s++) {
        dataset_gather(train, NULL, (size_t)s, 1, x, NULL);
        track(&q->in_min, &q->in_max, &in_bad, x, in_n);
        forward_f32(q, x, a, 1);
        for (int i = 0; i < m->n_layers; i++)
            track(&q->layers[i].min, &q->layers[i].max, &q->layers[i].bad, a->f + a->at[i],
                  a->at[i + 1] - a->at[i]);
    }
    free(x);
    q->calibrated = n;
    if (range_qparams(q->in_min, q->in_max, &q->input)) {
        fprintf(diag, "%s: error: --int8: the %d calibration images are all 0: a zero range "
                "cannot be quantized\n", m->spec_path, n);
        return -1;
    }
    for (int i = 0; i < m->n_layers; i++) {
        q8_layer *y = &q->layers[i];
        const ir_layer *l = &m->layers[i];
        const q8_kind *k = q8_kind_of(l);
        y->in = l->inputs[0] >= 0 ? q->layers[l->inputs[0]].out : q->input;
        y->in2 = l->n_inputs > 1 ? q->layers[l->inputs[1]].out : y->in;
        if (y->bad) {
            fprintf(diag, "%s:%d: error: --int8: layer %s gives NaN or infinite values on the "
                    "calibration images: the checkpoint's weights are broken\n", m->spec_path,
                    l->line, q->L->plan[i].name);
            return -1;
        }
        if (k->keeps_qparams) {
            y->pre = y->out = y->in;
        } else if (q8_act_by_table(l->act) ? range_qparams(y->pre_min, y->pre_max, &y->pre)
                                            : range_qparams(y->min, y->max, &y->pre)) {
            fprintf(diag, "%s:%d: error: --int8: every %s of layer %s is 0 on the %d "
                    "calibration images: a zero range cannot be quantized\n", m->spec_path,
                    l->line, q8_act_by_table(l->act) ? "pre-activation" : "output",
                    q->L->plan[i].name, n);
            return -1;
        } else if (!q8_act_by_table(l->act)) {
            y->out = y->pre;
        } else if (q8_table_quantize(q, i, diag)) {
            return -1;
        }
        if (k->quantize && k->quantize(q, i, diag))
            return -1;
    }
    return 0;
}

static int argmax_f(const float *v, int n)
{
    int best = 0;
    for (int k = 1; k < n; k++)
        if (v[k] > v[best])
            best = k;
    return best;
}

static int evaluate(q8_model *q, const cv_images *test, int n, activations *a)
{
    const ir_model *m = q->m;
    int64_t in_n = (int64_t)m->input.h * m->input.w * m->input.c;
    int last = m->n_layers - 1;
    float *x = malloc(sizeof *x * (size_t)in_n);
    int8_t *xq = malloc((size_t)in_n);
    uint8_t label;
    if (!x || !xq) {
        free(x);
        free(xq);
        return -1;
    }
    for (int s = 0; s < n; s++) {
        int kf, kq;
        dataset_gather(test, NULL, (size_t)s, 1, x, &label);
        forward_f32(q, x, a, 0);
        q8_quantize(xq, x, (int)in_n, q->input.scale, q->input.zp);
        forward_q8(q, xq, a);
        for (int i = 0; i < m->n_layers; i++) {
            q8_layer *y = &q->layers[i];
            for (int64_t j = a->at[i]; j < a->at[i + 1]; j++) {
                double err = fabs((double)y->out.scale * (a->q[j] - y->out.zp) - a->f[j]);
                y->err_max = err > y->err_max ? err : y->err_max;
                y->err_sum += err;
                y->err_n++;
            }
        }
        kf = argmax_f(a->f + a->at[last], m->n_classes);
        kq = q8_argmax(a->q + a->at[last], m->n_classes);
        q->float_right += kf == label;
        q->int8_right += kq == label;
        q->agree += kf == kq;
    }
    q->evaluated = n;
    free(x);
    free(xq);
    return 0;
}

static void report(const q8_model *q, FILE *out)
{
    const ir_model *m = q->m;
    int n = q->evaluated;
    fprintf(out, "int8: ranges calibrated on %d training images", q->calibrated);
    if (n == 0) {
        fprintf(out, "; no test images compared\n");
        return;
    }
    fprintf(out, "; float against int8 on %d test images:\n", n);
    fprintf(out, "  accuracy: float %.2f%%, int8 %.2f%% (%+.2f points); the same class for "
            "%.2f%% of the images\n", 100.0 * q->float_right / n, 100.0 * q->int8_right / n,
            100.0 * (q->int8_right - q->float_right) / n, 100.0 * q->agree / n);
    fprintf(out, "  %-10s %12s %5s %12s %12s %10s\n", "layer", "scale", "zero", "max |err|",
            "mean |err|", "mean/scale");
    fprintf(out, "  %-10s %12.6g %5" PRId32 "\n", "input", (double)q->input.scale, q->input.zp);
    for (int i = 0; i < m->n_layers; i++) {
        const q8_layer *y = &q->layers[i];
        double mean = y->err_n ? y->err_sum / (double)y->err_n : 0.0;
        fprintf(out, "  %-10s %12.6g %5" PRId32 " %12.6g %12.6g %10.3f\n", q->L->plan[i].name,
                (double)y->out.scale, y->out.zp, y->err_max, mean, mean / y->out.scale);
    }
}

int q8_build(q8_model *q, const ir_model *m, const gen_layout *L, const float *params,
             const q8_settings *s, FILE *out, FILE *diag)
{
    cv_dataset d;
    cv_error err;
    activations a = { 0 };
    const char *dir = dataset_dir(s->data_dir);
    int rc = -1, n_cal, n_eval;
    memset(q, 0, sizeof *q);
    q->m = m;
    q->L = L;
    q->params = params;
    q->layers = calloc((size_t)m->n_layers, sizeof *q->layers);
    if (!q->layers || activations_init(&a, m)) {
        fprintf(diag, "convc: out of memory\n");
        activations_free(&a);
        return -1;
    }
    memset(&d, 0, sizeof d);
    if (dataset_load(dir, &d, &err) < 0) {
        fprintf(diag, "%s: error: %s\n", dir, cv_error_detail(&err, dir));
        activations_free(&a);
        return -1;
    }
    if (d.train.h != m->input.h || d.train.w != m->input.w || d.train.c != m->input.c) {
        fprintf(diag, "%s: error: --int8: the images are %dx%dx%d, the model's input is "
                "%dx%dx%d\n", dir, d.train.h, d.train.w, d.train.c, m->input.h, m->input.w,
                m->input.c);
        goto done;
    }
    n_cal = s->calibrate;
    if ((size_t)n_cal > d.train.n) {
        fprintf(diag, "convc export: warning: --calibrate %d is more than the %zu training "
                "images: calibrating on %zu\n", n_cal, d.train.n, d.train.n);
        n_cal = (int)d.train.n;
    }
    n_eval = s->evaluate < 0 || (size_t)s->evaluate > d.test.n ? (int)d.test.n : s->evaluate;
    if (calibrate(q, &d.train, n_cal, &a, diag))
        goto done;
    if (evaluate(q, &d.test, n_eval, &a)) {
        fprintf(diag, "convc: out of memory\n");
        goto done;
    }
    report(q, out);
    rc = 0;
done:
    dataset_free(&d);
    activations_free(&a);
    return rc;
}

void q8_free(q8_model *q)
{
    for (int i = 0; q->layers && i < q->m->n_layers; i++) {
        free(q->layers[i].w);
        free(q->layers[i].bias);
        free(q->layers[i].mult);
        free(q->layers[i].shift);
        free(q->layers[i].neg_mult);
        free(q->layers[i].neg_shift);
        free(q->layers[i].w_scale);
        free(q->layers[i].lut);
    }
    free(q->layers);
    memset(q, 0, sizeof *q);
}
