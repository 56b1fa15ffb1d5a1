/* experiment_template.c - ${var} expansion of spec templates and the names
 * of the variants they expand into. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "experiment/experiment.h"
#include "base/buf.h"
#include "front/diag.h"

int is_identifier(const char *s)
{
    if (!s || !(isalpha((unsigned char)*s) || *s == '_'))
        return 0;
    size_t n = 0;
    for (; *s; s++, n++)
        if (!(isalnum((unsigned char)*s) || *s == '_'))
            return 0;
    return n <= 63;
}

static int sb_add(cv_buf *b, const char *s, size_t n)
{
    buf_add(b, s, n);
    return b->oom ? -1 : 0;
}

static int find_binding(const exp_binding *vars, int n, const char *name, size_t len)
{
    for (int i = 0; i < n; i++)
        if (strlen(vars[i].name) == len && memcmp(vars[i].name, name, len) == 0)
            return i;
    return -1;
}

char *template_expand(const char *display, const char *text, size_t len,
                      const exp_binding *vars, int n, size_t *out_len,
                      int *used, FILE *out)
{
    cv_buf b = {0};
    int line = 1, col = 1, errors = 0;
    /* Template errors read like the front end's: the template line, quoted. */
    diag dg;
    diag_init(&dg, out ? out : stderr, display, text, len);
    if (used)
        memset(used, 0, sizeof *used * (size_t)(n > 0 ? n : 0));
    if (sb_add(&b, "", 0) < 0)
        goto oom;
    for (size_t i = 0; i < len;) {
        if (text[i] == '$' && i + 1 < len && text[i + 1] == '$') {
            if (sb_add(&b, "$", 1) < 0)
                goto oom;
            i += 2;
            col += 2;
            continue;
        }
        if (text[i] == '$' && i + 1 < len && text[i + 1] == '{') {
            size_t start = i + 2, end = start;
            while (end < len && (isalnum((unsigned char)text[end]) || text[end] == '_'))
                end++;
            if (end == start || end >= len || text[end] != '}' ||
                isdigit((unsigned char)text[start])) {
                if (out)
                    diag_error(&dg, (src_loc){line, col, i, end < len ? end + 1 : len},
                               "malformed placeholder: expected '${name}' with a name of "
                               "letters, digits and '_'");
                errors++;
                if (sb_add(&b, "$", 1) < 0)
                    goto oom;
                i++;
                col++;
                continue;
            }
            int k = find_binding(vars, n, text + start, end - start);
            if (k < 0) {
                if (out)
                    diag_error(&dg, (src_loc){line, col, i, end + 1},
                               "placeholder '${%.*s}' has no value: give it one with "
                               "'set:' or 'vary:' in the experiment", (int)(end - start),
                               text + start);
                errors++;
            } else {
                if (used)
                    used[k] = 1;
                if (sb_add(&b, vars[k].value, strlen(vars[k].value)) < 0)
                    goto oom;
            }
            col += (int)(end + 1 - i);
            i = end + 1;
            continue;
        }
        if (sb_add(&b, text + i, 1) < 0)
            goto oom;
        if (text[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
        i++;
    }
    if (errors) {
        diag_flush(&dg);
        free(b.data);
        return NULL;
    }
    if (out_len)
        *out_len = b.len;
    return b.data;
oom:
    if (out)
        diag_error(&dg, diag_no_loc(), "out of memory");
    diag_flush(&dg);
    free(b.data);
    return NULL;
}

char *variant_default_name(const char *spec_path, const exp_binding *varied, int n)
{
    const char *base = strrchr(spec_path, '/');
    base = base ? base + 1 : spec_path;
    size_t blen = strlen(base);
    static const char *const suffixes[] = {".spec.in", ".in", ".spec"};
    for (size_t s = 0; s < sizeof suffixes / sizeof *suffixes; s++) {
        size_t sl = strlen(suffixes[s]);
        if (blen > sl && strcmp(base + blen - sl, suffixes[s]) == 0) {
            blen -= sl;
            break;
        }
    }
    cv_buf b = {0};
    if (sb_add(&b, base, blen) < 0)
        goto oom;
    for (int i = 0; i < n; i++) {
        if (sb_add(&b, "_", 1) < 0 || sb_add(&b, varied[i].name, strlen(varied[i].name)) < 0)
            goto oom;
        for (const char *v = varied[i].value; *v; v++) {
            char c = isalnum((unsigned char)*v) ? *v : '_';
            if (sb_add(&b, &c, 1) < 0)
                goto oom;
        }
    }
    /* A file name like "2layer.spec" does not start an identifier. */
    for (char *p = b.data; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '_'))
            *p = '_';
    return b.data;
oom:
    free(b.data);
    return NULL;
}

char *variant_display_path(const char *spec_path, const exp_binding *vars, int n)
{
    cv_buf b = {0};
    if (sb_add(&b, spec_path, strlen(spec_path)) < 0)
        goto oom;
    for (int i = 0; i < n; i++) {
        if (sb_add(&b, i ? "," : "[", 1) < 0 ||
            sb_add(&b, vars[i].name, strlen(vars[i].name)) < 0 ||
            sb_add(&b, "=", 1) < 0 ||
            sb_add(&b, vars[i].value, strlen(vars[i].value)) < 0)
            goto oom;
    }
    if (n > 0 && sb_add(&b, "]", 1) < 0)
        goto oom;
    return b.data;
oom:
    free(b.data);
    return NULL;
}
