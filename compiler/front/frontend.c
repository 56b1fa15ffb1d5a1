/* frontend.c - spec text -> IR: encoding check, parse, semantic pass. */
#include "front/frontend.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "front/diag.h"
#include "front/sema.h"
#include "front/syntax.h"
#include "base/files.h"

/* Specs are small; a bigger file is a mistake (and bounds all the work). */
#define FRONTEND_MAX_BYTES (1 << 20)

/* Reports NUL bytes and invalid UTF-8 (at most one per line). */
static bool check_encoding(diag *d, const char *text, size_t len)
{
    const unsigned char *p = (const unsigned char *)text;
    int line = 1, reported_line = 0;
    size_t line_start = 0;
    bool ok = true;
    for (size_t i = 0; i < len;) {
        size_t k = utf8_sequence_length(p + i, len - i);
        if ((k == 0 || p[i] == '\0') && reported_line != line) {
            src_loc loc = { line, (int)(i - line_start) + 1, i, i + 1 };
            if (p[i] == '\0')
                diag_error(d, loc, "NUL byte in spec");
            else
                diag_error(d, loc, "invalid UTF-8 byte 0x%02x", p[i]);
            reported_line = line;
            ok = false;
        }
        if (p[i] == '\n') {
            line++;
            line_start = i + 1;
        }
        i += k ? k : 1;
    }
    return ok;
}

/* "specs/cnn_k3.spec" -> "cnn_k3"; "-" -> "model".  Caller frees. */
static char *name_from_path(const char *path)
{
    if (strcmp(path, "-") == 0)
        path = "model";
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strcspn(base, ".");
    char *name = malloc(n + 1);
    if (name) {
        memcpy(name, base, n);
        name[n] = '\0';
    }
    return name;
}

static ir_model *load(diag *d, const char *display_path, const char *text, size_t len)
{
    if (len > FRONTEND_MAX_BYTES) {
        diag_error(d, diag_no_loc(), "spec is too large (%zu bytes; the limit is %d)",
                   len, FRONTEND_MAX_BYTES);
        return NULL;
    }
    if (!check_encoding(d, text, len))
        return NULL;
    ast_spec *spec = parse_spec(text, len, d);
    if (!spec || d->n_errors > 0) {
        if (spec)
            sema_check_statements(spec, d);
        ast_spec_free(spec);
        return NULL;
    }
    char *name = name_from_path(display_path);
    ir_model *m = NULL;
    if (name)
        m = sema_build(spec, d, display_path, name);
    else
        diag_error(d, diag_no_loc(), "out of memory");
    free(name);
    ast_spec_free(spec);
    return m;
}

ir_model *frontend_load_text(const char *display_path, const char *text,
                             size_t len, FILE *diag_out)
{
    if (!text) {
        text = "";
        len = 0;
    }
    diag d;
    diag_init(&d, diag_out, display_path, text, len);
    ir_model *m = load(&d, display_path, text, len);
    diag_flush(&d);
    return m;
}

ir_model *frontend_load_file(const char *path, FILE *diag_out)
{
    /* One byte over the limit, so that load() reports a spec that is too large. */
    const char *file = strcmp(path, "-") == 0 ? "/dev/stdin" : path;
    size_t len = 0;
    cv_error e;
    char *text = cv_read_file(file, FRONTEND_MAX_BYTES + 1, &len, &e);
    if (!text) {
        if (errno == EFBIG)
            fprintf(diag_out, "%s: error: spec is too large (the limit is %d bytes)\n", path,
                    FRONTEND_MAX_BYTES);
        else
            fprintf(diag_out, "%s: error: %s\n", path, cv_error_detail(&e, file));
        return NULL;
    }
    ir_model *m = frontend_load_text(path, text, len, diag_out);
    free(text);
    return m;
}
