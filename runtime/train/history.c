/* history.c - the history CSV. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "base/buf.h"
#include "base/files.h"
#include "train/history.h"

/* A history longer than this is not one of ours. */
#define HISTORY_MAX_BYTES (64u << 20)

/* The empty columns that rows under `header` (n bytes) lack, when it is an
 * earlier header; NULL for any other line. */
static const char *earlier_header_padding(const char *header, size_t n)
{
    static const struct { const char *header, *empty; } earlier[] = {
        { HISTORY_HEADER_V1, ",,,,," },
        { HISTORY_HEADER_V2, "," },
    };
    for (size_t v = 0; v < sizeof earlier / sizeof earlier[0]; v++)
        if (n == strlen(earlier[v].header) && memcmp(header, earlier[v].header, n) == 0)
            return earlier[v].empty;
    return NULL;
}

FILE *history_open(const char *path, int keep_epochs, cv_error *e)
{
    cv_buf kept = { 0 };
    if (keep_epochs > 0) {
        size_t len;
        char *old = cv_read_file(path, HISTORY_MAX_BYTES, &len, e);
        if (!old && errno != ENOENT)
            return NULL;
        /* The header, then the rows of the epochs that are kept.  A history
         * of an earlier header gets the new one, and its rows as many empty
         * columns as it lacks. */
        const char *widen = "";
        for (size_t at = 0, line = 0; old && at < len; line++) {
            const char *nl = memchr(old + at, '\n', len - at);
            size_t end = nl ? (size_t)(nl - old) + 1 : len;
            size_t text = nl ? end - 1 - at : end - at;
            const char *pad = line == 0 ? earlier_header_padding(old + at, text) : NULL;
            if (pad) {
                widen = pad;
                buf_add(&kept, HISTORY_HEADER "\n", strlen(HISTORY_HEADER "\n"));
            } else if (line == 0 || atoi(old + at) <= keep_epochs) {
                buf_add(&kept, old + at, text);
                if (line > 0)
                    buf_add(&kept, widen, strlen(widen));
                buf_add(&kept, "\n", 1);
            }
            at = end;
        }
        free(old);
        if (kept.oom) {
            buf_free(&kept);
            cv_fail(e, "%s: out of memory", path);
            return NULL;
        }
    }
    /* The kept lines (or a new header) replace the file atomically, so a
     * crash here never loses the history of the epochs already run. */
    int rc = kept.len > 0
                 ? cv_write_atomic(path, kept.data, kept.len, e)
                 : cv_write_atomic(path, HISTORY_HEADER "\n", strlen(HISTORY_HEADER "\n"), e);
    buf_free(&kept);
    if (rc < 0)
        return NULL;
    FILE *f = fopen(path, "a");
    if (!f)
        cv_fail(e, "%s: cannot write the history: %s", path, strerror(errno));
    return f;
}

int history_append(FILE *f, const char *path, const cv_history_row *r, cv_error *e)
{
    fprintf(f, "%d,%.6f,%.6f,%.6f,%.6f,%.3f,%.9g,", r->epoch, r->train_loss, r->train_acc,
            r->test_loss, r->test_acc, r->seconds, r->lr);
    if (r->has_val)
        fprintf(f, "%.6f,%.6f", r->val_loss, r->val_acc);
    else
        fputc(',', f);
    fprintf(f, ",%s,%.3f\n", r->event ? r->event : "", r->eval_seconds);
    if (fflush(f) != 0 || ferror(f))
        return cv_fail(e, "%s: cannot write the history: %s", path, strerror(errno));
    return 0;
}
