/* gen_files.c - atomic replacement of generated files (temp + rename). */
#include "output/gen_files.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Writes len bytes to a fresh temporary file next to `path`; its name is
 * left in tmp (size >= strlen(path) + 16).  0 on success. */
static int write_temp(const char *path, const void *data, size_t len, char *tmp, size_t size,
                      FILE *diag)
{
    FILE *f;
    int fd;
    snprintf(tmp, size, "%s.tmpXXXXXX", path);
    fd = mkstemp(tmp);
    if (fd < 0) {
        fprintf(diag, "convc: %s: cannot create: %s\n", tmp, strerror(errno));
        tmp[0] = '\0';
        return 1;
    }
    f = fdopen(fd, "w");
    if (!f) {
        fprintf(diag, "convc: %s: %s\n", tmp, strerror(errno));
        close(fd);
        return 1;
    }
    if (fwrite(data, 1, len, f) != len || fflush(f) != 0 || fchmod(fd, 0644) != 0) {
        fprintf(diag, "convc: %s: write failed: %s\n", tmp, strerror(errno));
        fclose(f);
        return 1;
    }
    if (fclose(f) != 0) {
        fprintf(diag, "convc: %s: write failed: %s\n", tmp, strerror(errno));
        return 1;
    }
    return 0;
}

int gen_write_files(const char *dir, const gen_file *files, int n, FILE *diag)
{
    char **tmp = calloc((size_t)n + 1, sizeof *tmp);
    char **dst = calloc((size_t)n + 1, sizeof *dst);
    int i, status = 0;
    if (!tmp || !dst) {
        fprintf(diag, "convc: out of memory\n");
        free(tmp);
        free(dst);
        return 1;
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(diag, "convc: %s: cannot create directory: %s\n", dir, strerror(errno));
        free(tmp);
        free(dst);
        return 1;
    }
    for (i = 0; i < n && status == 0; i++) {
        size_t size;
        if (!files[i].text)
            continue;
        size = strlen(dir) + strlen(files[i].name) + 32;
        dst[i] = malloc(size);
        tmp[i] = malloc(size + 16);
        if (!dst[i] || !tmp[i]) {
            fprintf(diag, "convc: out of memory\n");
            status = 1;
            break;
        }
        snprintf(dst[i], size, "%s/%s", dir, files[i].name);
        status = write_temp(dst[i], files[i].text, strlen(files[i].text), tmp[i], size + 16,
                            diag);
    }
    for (i = 0; i < n; i++) {
        if (!tmp[i] || !tmp[i][0])
            continue;
        if (status == 0 && rename(tmp[i], dst[i]) != 0) {
            fprintf(diag, "convc: %s: cannot rename into place: %s\n", dst[i], strerror(errno));
            status = 1;
        }
        if (status != 0)
            unlink(tmp[i]);
    }
    for (i = 0; i < n; i++) {
        free(tmp[i]);
        free(dst[i]);
    }
    free(tmp);
    free(dst);
    return status;
}

int gen_write_file(const char *path, const char *text, FILE *diag)
{
    return gen_write_bytes(path, text, strlen(text), diag);
}

int gen_write_bytes(const char *path, const void *data, size_t len, FILE *diag)
{
    size_t size = strlen(path) + 32;
    char *tmp = malloc(size);
    int status;
    if (!tmp) {
        fprintf(diag, "convc: out of memory\n");
        return 1;
    }
    status = write_temp(path, data, len, tmp, size, diag);
    if (status == 0 && rename(tmp, path) != 0) {
        fprintf(diag, "convc: %s: cannot rename into place: %s\n", path, strerror(errno));
        status = 1;
    }
    if (status != 0 && tmp[0])
        unlink(tmp);
    free(tmp);
    return status;
}
