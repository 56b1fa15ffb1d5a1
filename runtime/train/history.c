/* history.c - the history CSV. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "base/files.h"
#include "train/history.h"

FILE *history_open(const char *path, int keep_epochs, cv_error *e)
{
    char *kept = NULL;
    size_t kept_len = 0;
    if (keep_epochs > 0) {
        FILE *old = fopen(path, "r");
        if (old) {
            FILE *mem = open_memstream(&kept, &kept_len);
            char line[1024];
            int first = 1;
            while (mem && fgets(line, sizeof line, old)) {
                if (first || atoi(line) <= keep_epochs)
                    fputs(line, mem);
                first = 0;
            }
            fclose(old);
            if (!mem) {
                cv_fail(e, "%s: out of memory", path);
                return NULL;
            }
            fclose(mem);
        }
    }
    /* The kept lines (or a new header) replace the file atomically, so a
     * crash here never loses the history of the epochs already run. */
    int rc = kept && kept_len > 0
                 ? cv_write_atomic(path, kept, kept_len, e)
                 : cv_write_atomic(path, HISTORY_HEADER "\n", strlen(HISTORY_HEADER "\n"), e);
    free(kept);
    if (rc < 0)
        return NULL;
    FILE *f = fopen(path, "a");
    if (!f)
        cv_fail(e, "%s: cannot write the history: %s", path, strerror(errno));
    return f;
}

int history_append(FILE *f, const char *path, int epoch, double train_loss,
                   double train_acc, double test_loss, double test_acc, double seconds,
                   cv_error *e)
{
    fprintf(f, "%d,%.6f,%.6f,%.6f,%.6f,%.3f\n", epoch, train_loss, train_acc, test_loss,
            test_acc, seconds);
    if (fflush(f) != 0 || ferror(f))
        return cv_fail(e, "%s: cannot write the history: %s", path, strerror(errno));
    return 0;
}
