/* cmd_export.c - `convc export SPEC --weights CKPT -o FILE.c`: a standalone
 * inference file with the trained weights (docs/generated-code.md), its
 * memory plan and sizes, checked against a RAM and flash budget
 * (docs/microcontrollers.md). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/options.h"
#include "base/parse_num.h"
#include "cli/commands.h"
#include "front/frontend.h"
#include "output/gen_export.h"
#include "output/gen_files.h"
#include "output/gen_onnx.h"

static const char export_usage[] =
    "usage: convc export SPEC --weights CKPT -o FILE.c [--target NAME] [--ram SIZE]\n"
    "                   [--flash SIZE] [--int8 [--calibrate N] [--eval N] [--data DIR]]\n"
    "       convc export SPEC --weights CKPT --onnx -o FILE.onnx\n"
    "\n"
    "Writes one C99 file with the forward pass of the model in SPEC and the\n"
    "parameters of the checkpoint CKPT (exact hex-float literals): a single-file\n"
    "library (NAME_predict, NAME_IMPLEMENTATION, NAME_STATIC) with an optional\n"
    "main (-DNAME_MAIN) that classifies PGM and IDX images.  The checkpoint's\n"
    "spec hash must match SPEC.  Its work buffers share one static arena, reused\n"
    "by liveness; the flash the weights take and the arena's RAM are printed.\n"
    "With --onnx, FILE is instead a standard ONNX model (opset 13, input\n"
    "N x H x W x C floats) for other runtimes.\n"
    "\n"
    "  --weights CKPT, -o/--output FILE.c   (both required)\n"
    "  --onnx           write an ONNX model instead of C (no other option applies)\n"
    "  --target NAME    host (default) or cortex-m4; --targets lists them\n"
    "  --ram SIZE       fail unless the arena fits in SIZE bytes (65536, 64K, 1M)\n"
    "  --flash SIZE     fail unless the weights fit in SIZE bytes\n"
    "  --int8           int8 post-training quantization (TensorFlow Lite's scheme);\n"
    "                   prints float against int8 accuracy and each layer's error\n"
    "  --calibrate N    training images that calibrate the ranges (default 1000)\n"
    "  --eval N         test images compared (default: all; 0: none)\n"
    "  --data DIR       IDX data set (default $CONVC_DATA, else\n"
    "                   /usr/share/datasets/fashion-mnist)\n"
    "Nothing is written on an error.\n"
    "Exit status: 0 success, 1 an error in the spec or checkpoint or over the\n"
    "budget, 2 a usage error.\n";

enum {
    OPT_WEIGHTS = 256, OPT_TARGET, OPT_TARGETS, OPT_RAM, OPT_FLASH, OPT_INT8, OPT_CALIBRATE,
    OPT_EVAL, OPT_DATA, OPT_ONNX
};

static const struct option long_options[] = {
    { "weights", required_argument, NULL, OPT_WEIGHTS },
    { "output", required_argument, NULL, 'o' },
    { "target", required_argument, NULL, OPT_TARGET },
    { "targets", no_argument, NULL, OPT_TARGETS },
    { "ram", required_argument, NULL, OPT_RAM },
    { "flash", required_argument, NULL, OPT_FLASH },
    { "int8", no_argument, NULL, OPT_INT8 },
    { "onnx", no_argument, NULL, OPT_ONNX },
    { "calibrate", required_argument, NULL, OPT_CALIBRATE },
    { "eval", required_argument, NULL, OPT_EVAL },
    { "data", required_argument, NULL, OPT_DATA },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

/* "65536", "64K", "1M" (K = 1024 bytes, M = 1024 K): 0, or -1. */
static int parse_size(const char *s, int64_t *out)
{
    char digits[24];
    size_t n = strlen(s);
    uint64_t v, scale = 1;
    if (n > 0 && (s[n - 1] == 'K' || s[n - 1] == 'k'))
        scale = 1024, n--;
    else if (n > 0 && (s[n - 1] == 'M' || s[n - 1] == 'm'))
        scale = 1024 * 1024, n--;
    if (n == 0 || n >= sizeof digits)
        return -1;
    memcpy(digits, s, n);
    digits[n] = '\0';
    if (cv_parse_u64(digits, &v) || v == 0 || v > (uint64_t)INT64_MAX / scale)
        return -1;
    *out = (int64_t)(v * scale);
    return 0;
}

static const char *option_name(int val)
{
    for (const struct option *o = long_options; o->name; o++)
        if (o->val == val)
            return o->name;
    return "?";
}

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("convc export: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n%s", export_usage);
    return 2;
}

static void list_targets(void)
{
    for (int i = 0; i < n_export_targets; i++)
        printf("%-10s %s\n", export_targets[i].name, export_targets[i].what);
}

/* One line per budget that is exceeded, naming the layer at the peak. */
static int over_budget(const ir_model *m, const export_sizes *z, int64_t ram, int64_t flash,
                       const char *ram_text, const char *flash_text)
{
    char a[32], b[32], c[32];
    int over = 0;
    if (ram && z->arena_bytes > ram) {
        const ir_layer *l = &m->layers[z->peak_layer];
        fprintf(stderr, "%s: error: the work arena takes %s B of RAM, over --ram %s (%s B); "
                "the peak is at layer %d, %s%d (line %d: %s), with %s B live\n",
                m->spec_path, cmd_grouped(z->arena_bytes, a, sizeof a), ram_text,
                cmd_grouped(ram, b, sizeof b), l->index + 1, ir_kind_name(l->kind), l->ordinal,
                l->line, l->source ? l->source : ir_kind_name(l->kind),
                cmd_grouped(z->peak_bytes, c, sizeof c));
        over = 1;
    }
    if (flash && z->weight_bytes > flash) {
        fprintf(stderr, "%s: error: the weights take %s B of flash, over --flash %s (%s B), "
                "before any code\n", m->spec_path, cmd_grouped(z->weight_bytes, a, sizeof a),
                flash_text, cmd_grouped(flash, b, sizeof b));
        over = 1;
    }
    return over;
}

static void print_sizes(const ir_model *m, const export_target *t, const export_sizes *z,
                        const char *out, int int8)
{
    char a[32], b[32], c[32];
    const ir_layer *l = &m->layers[z->peak_layer];
    printf("%s: target %s, %s\n", out, t->name, int8 ? "int8" : "float");
    printf("  flash: %s B of weights, plus the code (measure it after the build, "
           "e.g. with size(1))\n", cmd_grouped(z->weight_bytes, a, sizeof a));
    printf("  RAM:   %s B of work arena (%s B without reuse), peak at %s%d: %s B live;\n"
           "         plus the caller's image and stack\n",
           cmd_grouped(z->arena_bytes, a, sizeof a), cmd_grouped(z->unplanned_bytes, b, sizeof b),
           ir_kind_name(l->kind), l->ordinal, cmd_grouped(z->peak_bytes, c, sizeof c));
}

int cmd_export(int argc, char **argv)
{
    const char *spec, *weights = NULL, *out = NULL, *ram_text = NULL, *flash_text = NULL;
    const export_target *target = export_target_of("host");
    int64_t ram = 0, flash = 0;
    export_options eo = { .q8 = { .calibrate = 1000, .evaluate = -1 } };
    long n;
    int opt, status, onnx = 0;
    export_sizes sizes;
    ir_model *m;
    char *text;
    optind = 0;     /* bin/convc parsed its own options: reinitialise */
    while ((opt = cv_getopt(argc, argv, "ho:", long_options, "convc export")) != -1) {
        switch (opt) {
        case 'h':
            fputs(export_usage, stdout);
            return 0;
        case OPT_TARGETS:
            list_targets();
            return 0;
        case OPT_WEIGHTS:
            weights = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case OPT_TARGET:
            target = export_target_of(optarg);
            if (!target)
                return usage_error("--target: '%s' is not valid (expected host or cortex-m4; "
                                   "--targets lists them)", optarg);
            break;
        case OPT_INT8:
            eo.int8 = 1;
            break;
        case OPT_ONNX:
            onnx = 1;
            break;
        case OPT_CALIBRATE:
        case OPT_EVAL:
            if (cv_parse_long(optarg, opt == OPT_EVAL ? 0 : 1, 1000000000L, &n))
                return usage_error("--%s: '%s' is not valid (expected a whole number %s)",
                                   option_name(opt), optarg,
                                   opt == OPT_EVAL ? "of images, 0 or more" : "of images, 1 or more");
            *(opt == OPT_EVAL ? &eo.q8.evaluate : &eo.q8.calibrate) = (int)n;
            break;
        case OPT_DATA:
            eo.q8.data_dir = optarg;
            break;
        case OPT_RAM:
        case OPT_FLASH:
            if (parse_size(optarg, opt == OPT_RAM ? &ram : &flash))
                return usage_error("--%s: '%s' is not valid (expected a size in bytes: "
                                   "65536, 64K or 1M)", option_name(opt), optarg);
            *(opt == OPT_RAM ? &ram_text : &flash_text) = optarg;
            break;
        default:    /* cv_getopt said what is wrong */
            fputs(export_usage, stderr);
            return 2;
        }
    }
    if (optind < argc - 1)
        return usage_error("one spec at a time ('%s')", argv[optind + 1]);
    spec = optind < argc ? argv[optind] : NULL;
    if (!spec || !weights || !out || !*out) {
        fprintf(stderr, "convc export: %s\n%s",
                !spec ? "no spec given" : !weights ? "no --weights CKPT given"
                                                   : "no -o FILE given", export_usage);
        return 2;
    }
    if (onnx && (eo.int8 || ram_text || flash_text || target != export_target_of("host")))
        return usage_error("--onnx writes the float model as it is: --target, --ram, --flash "
                           "and --int8 do not apply");
    m = frontend_load_file(spec, stderr);
    if (!m)
        return 1;
    if (onnx) {
        size_t len;
        uint8_t *bytes = gen_onnx_model(m, weights, &len, stderr);
        ir_free(m);
        status = bytes ? gen_write_bytes(out, bytes, len, stderr) : 1;
        free(bytes);
        return status;
    }
    eo.weights = weights;
    eo.target = target;
    eo.report = stdout;
    text = gen_export_source(m, &eo, &sizes, stderr);
    if (!text) {
        ir_free(m);
        return 1;
    }
    if (over_budget(m, &sizes, ram, flash, ram_text, flash_text)) {
        free(text);
        ir_free(m);
        return 1;
    }
    status = gen_write_file(out, text, stderr);
    if (status == 0)
        print_sizes(m, target, &sizes, out, eo.int8);
    free(text);
    ir_free(m);
    return status;
}
