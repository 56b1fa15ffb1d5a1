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

int experiment_write_manifest(const experiment *x, const char *path, FILE *diag)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        fprintf(diag, "%s: error: out of memory\n", path);
        return -1;
    }
    fputs("{\n  \"format\": \"convc-experiment 1\",\n  \"name\": ", f);
    json_put_string(f, x->name);
    fputs(",\n  \"title\": ", f);
    json_put_string(f, x->title);
    fputs(",\n  \"description\": ", f);
    json_put_string(f, x->description);
    fputs(",\n  \"source\": ", f);
    json_put_string(f, x->path);
    fputs(",\n  \"data\": ", f);
    json_put_string(f, x->data);
    fputs(",\n  \"data_dir\": ", f);
    json_put_string(f, x->data_dir);
    fprintf(f, ",\n  \"limit_train\": %ld,\n  \"limit_test\": %ld", x->limit_train,
            x->limit_test);
    fputs(",\n  \"train\": {\"optimizer\": ", f);
    json_put_string(f, x->optimizer);
    fprintf(f, ", \"lr\": %.17g, \"batch\": %d, \"epochs\": %d, \"threads\": %d", x->lr,
            x->batch, x->epochs, x->threads);
    if (x->val_split >= 0)
        fprintf(f, ", \"val_split\": %.17g", x->val_split);
    for (int i = 0; i < x->n_settings; i++) {
        char text[64];
        char key[32];
        const char *flag = setting_flag((cv_setting_id)x->settings[i].id) + 2;
        size_t k = 0;
        for (; flag[k] && k < sizeof key - 1; k++)
            key[k] = flag[k] == '-' ? '_' : flag[k];
        key[k] = 0;
        exp_setting_text(&x->settings[i], text, sizeof text);
        fputs(", ", f);
        json_put_string(f, key);
        fputs(": ", f);
        if (setting_words((cv_setting_id)x->settings[i].id, &(int){0}))
            json_put_string(f, text);
        else
            fputs(text, f);
    }
    fputs("},\n  \"seeds\": [", f);
    for (int i = 0; i < x->n_seeds; i++)
        fprintf(f, "%s%d", i ? ", " : "", x->seeds[i]);
    fputs("],\n  \"factor\": ", f);
    if (x->factor_title) {
        fputs("{\"title\": ", f);
        json_put_string(f, x->factor_title);
        fputs(", \"value\": ", f);
        json_put_string(f, x->factor_value);
        fputs("}", f);
    } else {
        fputs("null", f);
    }
    fputs(",\n  \"published\": ", f);
    if (x->n_published > 0) {
        fputs("{\"source\": ", f);
        json_put_string(f, x->published_source);
        fputs(", \"note\": ", f);
        json_put_string(f, x->published_note);
        fputs(", \"models\": [", f);
        for (int i = 0; i < x->n_published; i++) {
            fputs(i ? ", {\"model\": " : "{\"model\": ", f);
            json_put_string(f, x->published[i].model);
            fprintf(f, ", \"test_accuracy\": %.17g}", x->published[i].accuracy);
        }
        fputs("]}", f);
    } else {
        fputs("null", f);
    }
    fputs(",\n  \"models\": [", f);
    for (int i = 0; i < x->n_variants; i++) {
        const exp_variant *v = &x->variants[i];
        fputs(i ? ",\n    {" : "\n    {", f);
        fputs("\"name\": ", f);
        json_put_string(f, v->name);
        fputs(", \"label\": ", f);
        json_put_string(f, v->label);
        fputs(", \"spec\": ", f);
        json_put_string(f, v->spec_path);
        fputs(", \"display\": ", f);
        json_put_string(f, v->display_path);
        fputs(", \"factor\": ", f);
        json_put_string(f, v->factor);
        fputs(", \"vars\": {", f);
        for (int k = 0; k < v->n_vars; k++) {
            fputs(k ? ", " : "", f);
            json_put_string(f, v->vars[k].name);
            fputs(": ", f);
            json_put_string(f, v->vars[k].value);
        }
        fprintf(f, "}, \"params\": %lld, \"flops\": %lld, \"conv_layers\": %d, "
                "\"arch_hash\": \"%016llx\", \"spec_hash\": \"%016llx\", \"code_lines\": %ld",
                (long long)v->params, (long long)v->flops, v->n_conv,
                (unsigned long long)v->arch_hash, (unsigned long long)v->text_hash,
                v->code_lines);
        fputs(", \"layers\": [", f);
        for (int k = 0; k < v->n_layers; k++) {
            const exp_layer *l = &v->layers[k];
            fputs(k ? ",\n      {\"kind\": " : "\n      {\"kind\": ", f);
            json_put_string(f, l->kind);
            fputs(", \"source\": ", f);
            json_put_string(f, l->source);
            fprintf(f, ", \"in\": [%d, %d, %d], \"out\": [%d, %d, %d], \"kernel\": [%d, %d], "
                    "\"stride\": [%d, %d], \"params\": %lld, \"flops\": %lld}",
                    l->in_h, l->in_w, l->in_c, l->out_h, l->out_w, l->out_c, l->kh, l->kw,
                    l->sh, l->sw, (long long)l->params, (long long)l->flops);
        }
        fputs("]", f);
        fputs(", \"status\": ", f);
        json_put_string(f, v->build_failed ? "failed" : "ok");
        fputs(", \"error\": ", f);
        json_put_string(f, v->build_failed ? v->build_error : NULL);
        fputs("}", f);
    }
    fputs("\n  ],\n  \"runs\": [", f);
    for (int i = 0; i < x->n_runs; i++) {
        const exp_run *r = &x->runs[i];
        fputs(i ? ",\n    {" : "\n    {", f);
        fputs("\"model\": ", f);
        json_put_string(f, x->variants[r->variant].name);
        fprintf(f, ", \"seed\": %d, \"dir\": ", r->seed);
        json_put_string(f, r->dir);
        fputs(", \"status\": ", f);
        json_put_string(f, run_status_name(r->status));
        fputs(", \"error\": ", f);
        json_put_string(f, r->error[0] ? r->error : NULL);
        fputs("}", f);
    }
    fputs("\n  ]\n}\n", f);
    if (fclose(f) != 0 || !buf) {
        free(buf);
        fprintf(diag, "%s: error: out of memory\n", path);
        return -1;
    }
    int rc = sys_write_atomic(path, buf, len);
    if (rc < 0)
        fprintf(diag, "%s: error: cannot write: %s\n", path, strerror(errno));
    free(buf);
    return rc;
}
