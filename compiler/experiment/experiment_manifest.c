/* experiment_manifest.c - results/<name>/experiment.json: what was run and
 * how each run ended, for bin/convc-report.  docs/experiments.md lists the
 * fields. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "experiment/experiment.h"
#include "base/settings.h"
#include "experiment/experiment_sys.h"
#include "base/json.h"

static const char *run_status_name(int status)
{
    switch (status) {
    case EXP_RUN_DONE:    return "ok";
    case EXP_RUN_REUSED:  return "ok";
    case EXP_RUN_FAILED:  return "failed";
    case EXP_RUN_SKIPPED: return "failed";
    default:              return "pending";
    }
}

/* The model of one variant: its checked architecture, layer by layer. */
static json_t *variant_json(const exp_variant *v)
{
    json_t *vars = json_object(), *layers = json_array();
    for (int k = 0; vars && k < v->n_vars; k++)
        if (json_object_set_new(vars, v->vars[k].name, json_string(v->vars[k].value)) != 0) {
            json_decref(vars);
            vars = NULL;
        }
    for (int k = 0; layers && k < v->n_layers; k++) {
        const exp_layer *l = &v->layers[k];
        if (json_array_append_new(layers, json_pack(
                "{s:s?, s:s?, s:[iii], s:[iii], s:[ii], s:[ii], s:I, s:I}",
                "kind", l->kind, "source", l->source,
                "in", l->in_h, l->in_w, l->in_c, "out", l->out_h, l->out_w, l->out_c,
                "kernel", l->kh, l->kw, "stride", l->sh, l->sw,
                "params", (json_int_t)l->params, "flops", (json_int_t)l->flops)) != 0) {
            json_decref(layers);
            layers = NULL;
        }
    }
    char arch[17], spec[17];
    snprintf(arch, sizeof arch, "%016llx", (unsigned long long)v->arch_hash);
    snprintf(spec, sizeof spec, "%016llx", (unsigned long long)v->text_hash);
    return json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:o, s:I, s:I, s:i, s:s, s:s, s:I, "
                     "s:o, s:s, s:s?}",
                     "name", v->name, "label", v->label, "spec", v->spec_path,
                     "display", v->display_path, "factor", v->factor, "vars", vars,
                     "params", (json_int_t)v->params, "flops", (json_int_t)v->flops,
                     "conv_layers", v->n_conv, "arch_hash", arch, "spec_hash", spec,
                     "code_lines", (json_int_t)v->code_lines, "layers", layers,
                     "status", v->build_failed ? "failed" : "ok",
                     "error", v->build_failed ? v->build_error : NULL);
}

int experiment_write_manifest(const experiment *x, const char *path, FILE *diag)
{
    json_t *seeds = json_array(), *models = json_array(), *runs = json_array(), *train;
    json_error_t err;
    cv_error e;
    for (int i = 0; seeds && i < x->n_seeds; i++)
        json_array_append_new(seeds, json_integer(x->seeds[i]));
    for (int i = 0; models && i < x->n_variants; i++)
        if (json_array_append_new(models, variant_json(&x->variants[i])) != 0) {
            json_decref(models);
            models = NULL;
        }
    for (int i = 0; runs && i < x->n_runs; i++) {
        const exp_run *r = &x->runs[i];
        if (json_array_append_new(runs, json_pack(
                "{s:s?, s:i, s:s?, s:s, s:s?}", "model", x->variants[r->variant].name,
                "seed", r->seed, "dir", r->dir, "status", run_status_name(r->status),
                "error", r->error[0] ? r->error : NULL)) != 0) {
            json_decref(runs);
            runs = NULL;
        }
    }
    train = json_pack("{s:s?, s:f, s:i, s:i, s:i}", "optimizer", x->optimizer, "lr", x->lr,
                      "batch", x->batch, "epochs", x->epochs, "threads", x->threads);
    if (train && x->val_split >= 0)
        json_object_set_new(train, "val_split", json_real(x->val_split));
    /* Every other setting given, under its key: the flag's name with '_'. */
    for (int i = 0; train && i < x->n_settings; i++) {
        char text[64], key[32];
        const char *flag = setting_flag((cv_setting_id)x->settings[i].id) + 2;
        size_t k = 0;
        for (; flag[k] && k < sizeof key - 1; k++)
            key[k] = flag[k] == '-' ? '_' : flag[k];
        key[k] = 0;
        exp_setting_text(&x->settings[i], text, sizeof text);
        json_t *value = setting_words((cv_setting_id)x->settings[i].id, &(int){0})
                            ? json_string(text)
                            : json_loads(text, JSON_DECODE_ANY, NULL);
        json_object_set_new(train, key, value ? value : json_null());
    }
    json_t *published = json_null();
    if (x->n_published > 0) {
        json_t *list = json_array();
        for (int i = 0; list && i < x->n_published; i++)
            json_array_append_new(list, json_pack("{s:s?, s:f}", "model", x->published[i].model,
                                                  "test_accuracy", x->published[i].accuracy));
        published = json_pack("{s:s?, s:s?, s:o}", "source", x->published_source, "note",
                              x->published_note, "models", list ? list : json_null());
    }
    json_t *doc = json_pack_ex(
        &err, 0,
        "{s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o}",
        "format", "convc-experiment 1", "name", x->name, "title", x->title,
        "description", x->description, "source", x->path, "data", x->data,
        "data_dir", x->data_dir, "limit_train", (json_int_t)x->limit_train,
        "limit_test", (json_int_t)x->limit_test, "train", train, "seeds", seeds,
        "factor", x->factor_title ? json_pack("{s:s?, s:s?}", "title", x->factor_title,
                                              "value", x->factor_value)
                                  : json_null(),
        "published", published, "models", models, "runs", runs);
    /* The settings exactly: 17 significant digits. */
    char *text = cv_json_text(doc, &err, JSON_INDENT(2) | JSON_REAL_PRECISION(17), path, &e);
    if (!text) {
        fprintf(diag, "%s: error: %s\n", path, cv_error_detail(&e, path));
        return -1;
    }
    int rc = sys_write_atomic(path, text, strlen(text));
    if (rc < 0)
        fprintf(diag, "%s: error: cannot write: %s\n", path, strerror(errno));
    free(text);
    return rc;
}
