/* cmd_summary.c - `convc summary FILE...`: a Keras-like table of each model
 * with every resolved value (padding amounts, strides, activations), so
 * nothing the compiler decided is hidden. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "cli/commands.h"
#include "front/frontend.h"
#include "front/layers.h"
#include "output/gen_export.h"
#include "output/gen_export_q8.h"

static const char summary_usage[] =
    "usage: convc summary FILE...\n"
    "\n"
    "Prints each model's layers: name, output shape (HxWxC), parameters, forward\n"
    "MFLOPs per image and every resolved option (led by '<- NAME' where a layer\n"
    "reads other than the line before), then the totals, then the memory plan\n"
    "of an exported file: what each layer adds to the work arena, what is live\n"
    "while it runs, and the arena for each export target and for --int8.\n"
    "FILE '-' is standard input.\n"
    "Exit status: 0 success, 1 an error in a spec, 2 a usage error.\n";

const char *cmd_grouped(int64_t v, char *buf, size_t size)
{
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%" PRId64, v);
    size_t j = 0;
    for (int i = 0; i < n && j + 1 < size; i++) {
        if (i > 0 && digits[i - 1] != '-' && (n - i) % 3 == 0)
            buf[j++] = ',';
        buf[j++] = digits[i];
    }
    buf[j] = '\0';
    return buf;
}

/* A layer as the table names it: its 'as' name, else conv1, pool2 ... */
static const char *layer_name(const ir_model *m, int i, char *buf, size_t size)
{
    const ir_layer *L = &m->layers[i];
    if (i < 0)
        snprintf(buf, size, "input");
    else if (L->name)
        snprintf(buf, size, "%s", L->name);
    else
        snprintf(buf, size, "%s%d", ir_kind_name(L->kind), L->ordinal);
    return buf;
}

/* "<- x" (or "<- conv3, x") for a layer that reads other than the line
 * before; "" otherwise. */
static void reads_text(const ir_model *m, int i, char *buf, size_t size)
{
    char name[IR_MAX_NAME + 1];
    size_t used = 0;
    buf[0] = '\0';
    for (int k = 0; ir_reads_elsewhere(m, i) && k < m->layers[i].n_inputs && used < size; k++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s", k ? ", " : "<- ",
                                 layer_name(m, m->layers[i].inputs[k], name, sizeof name));
}

/* The memory plan of `convc export`: per layer for the smallest target,
 * then the arena of every target. */
static int print_memory_plan(const ir_model *m)
{
    char a[32], b[32], c[32];
    const export_target *small = &export_targets[n_export_targets - 1];
    gen_layout L;
    gen_mem_plan P;
    if (gen_export_layout(&L, m, small, &P))
        return -1;
    printf("Memory plan of the exported file (--target %s; floats of 4 bytes):\n", small->name);
    printf("%-20s %14s %14s\n", "Layer", "Adds", "Live");
    for (int i = 0; i < m->n_layers; i++) {
        char name[IR_MAX_NAME + 1];
        printf("%-20s %14s %14s%s\n", layer_name(m, i, name, sizeof name), cmd_grouped(P.adds[i], a, sizeof a),
               cmd_grouped(P.live[i], b, sizeof b), i == P.peak_layer ? "  <- peak" : "");
    }
    gen_mem_plan_free(&P);
    gen_layout_free(&L);
    for (int t = 0; t < n_export_targets; t++) {
        if (gen_export_layout(&L, m, &export_targets[t], &P))
            return -1;
        printf("Arena (--target %s): %s floats = %s bytes (%s bytes without reuse)\n",
               export_targets[t].name, cmd_grouped(P.arena, a, sizeof a),
               cmd_grouped(P.arena * 4, b, sizeof b), cmd_grouped(P.before * 4, c, sizeof c));
        gen_mem_plan_free(&P);
        gen_layout_free(&L);
    }
    /* int8 (--int8), when every layer has int8 code */
    if (q8_check_model(m, NULL, NULL) == 0 && gen_q8_layout(&L, m, &P) == 0) {
        printf("Arena (--int8): %s bytes (%s bytes without reuse)\n",
               cmd_grouped(P.arena, a, sizeof a), cmd_grouped(P.before, b, sizeof b));
        gen_mem_plan_free(&P);
        gen_layout_free(&L);
    }
    return 0;
}

/* A line of `width` copies of c. */
static void print_rule(char c, int width)
{
    for (int i = 0; i < width; i++)
        putchar(c);
    putchar('\n');
}

/* "conv1 (conv)", "x (add)" ... */
static void layer_title(const ir_model *m, int i, char *buf, size_t size)
{
    char own[IR_MAX_NAME + 1];
    snprintf(buf, size, "%s (%s)", layer_name(m, i, own, sizeof own),
             ir_kind_name(m->layers[i].kind));
}

static void print_summary(const ir_model *m)
{
    char a[32], b[64], shape[48], name[96], opts[128], reads[160];
    /* The first column fits the longest layer title (names go up to
     * IR_MAX_NAME characters); the rest of the table moves with it. */
    int width = 20;
    for (int i = 0; i < m->n_layers; i++) {
        layer_title(m, i, name, sizeof name);
        if ((int)strlen(name) > width)
            width = (int)strlen(name);
    }
    int rule = width + 66;

    printf("Model: %s (%s)\n", m->name, m->spec_path);
    printf("Input: %dx%dx%d\n", m->input.h, m->input.w, m->input.c);
    print_rule('_', rule);
    printf("%-*s %-16s %12s %9s  %s\n", width, "Layer (type)", "Output Shape", "Param #",
           "MFLOPs", "Resolved options");
    print_rule('=', rule);
    bool flat[IR_MAX_LAYERS];   /* vectors print as Keras does: (n,) */
    for (int i = 0; i < m->n_layers; i++) {
        const ir_layer *L = &m->layers[i];
        layer_title(m, i, name, sizeof name);
        flat[i] = layer_descs[L->kind]->makes_vector;
        for (int k = 0; k < L->n_inputs; k++)
            flat[i] = flat[i] || (L->inputs[k] >= 0 && flat[L->inputs[k]]);
        if (flat[i])
            snprintf(shape, sizeof shape, "(%d,)", L->out.c);
        else
            snprintf(shape, sizeof shape, "(%d, %d, %d)", L->out.h, L->out.w, L->out.c);
        layer_descs[L->kind]->summary(L, opts, sizeof opts);
        reads_text(m, i, reads, sizeof reads);
        printf("%-*s %-16s %12s %9.2f%s%s%s%s\n", width, name, shape,
               cmd_grouped(L->params, a, sizeof a), (double)L->flops / 1e6,
               reads[0] || opts[0] ? "  " : "", reads, reads[0] && opts[0] ? " " : "", opts);
    }
    print_rule('=', rule);
    printf("Total params: %s\n", cmd_grouped(m->params, a, sizeof a));
    printf("Trainable params: %s\n", cmd_grouped(m->params - m->non_trainable, a, sizeof a));
    printf("Non-trainable params: %s\n", cmd_grouped(m->non_trainable, a, sizeof a));
    printf("FLOPs per image (forward): %s (%.2f MFLOPs)\n", cmd_grouped(m->flops, a, sizeof a),
           (double)m->flops / 1e6);
    printf("Activation memory per image: %s floats (%s bytes as float32)\n",
           cmd_grouped(m->activations, a, sizeof a), cmd_grouped(m->activations * 4, b, sizeof b));
    printf("Output: %d classes; spec hash %016" PRIx64 "\n", m->n_classes, m->spec_hash);
    printf("(pad=top,left,bottom,right; a multiply-add counts as 2 FLOPs)\n");
}

int cmd_summary(int argc, char **argv)
{
    int status = 0;
    int first_file = cmd_file_args(argc, argv, summary_usage, &status);
    if (first_file < 0)
        return status;
    for (int i = first_file; i < argc; i++) {
        ir_model *m = frontend_load_file(argv[i], stderr);
        if (!m) {
            status = 1;
            continue;
        }
        if (i > first_file)
            putchar('\n');
        print_summary(m);
        if (print_memory_plan(m))
            status = 1;
        ir_free(m);
    }
    return status;
}
