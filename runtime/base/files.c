/* files.c - cv_read_file and cv_write_atomic. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/files.h"

char *cv_read_file(const char *path, size_t max, size_t *len, cv_error *e)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        int err = errno;
        cv_fail(e, "%s: cannot open: %s", path, strerror(err));
        errno = err;
        return NULL;
    }
    size_t cap = max && max < (1 << 16) ? max : 1 << 16, n = 0;
    char *buf = NULL;
    const char *why = NULL;
    int err = 0;
    for (;;) {
        /* One spare byte for the NUL; a full buffer means there may be more. */
        char *grown = realloc(buf, cap + 1);
        if (!grown) {
            why = "out of memory", err = ENOMEM;
            break;
        }
        buf = grown;
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        if (max && cap >= max) {
            if (fgetc(f) != EOF)
                why = "larger than", err = EFBIG;
            break;
        }
        cap = max && cap * 2 > max ? max : cap * 2;
    }
    if (!why && ferror(f))
        why = "read error", err = EIO;
    fclose(f);
    if (why) {
        free(buf);
        if (err == EFBIG)
            cv_fail(e, "%s: larger than %zu bytes", path, max);
        else
            cv_fail(e, "%s: %s", path, why);
        errno = err;
        return NULL;
    }
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Makes the rename itself durable. */
static void fsync_dir_of(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        dir[1] = 0;
    else if (slash)
        *slash = 0;
    else
        strcpy(dir, ".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* "PATH: WHAT: strerror(err)" into e; returns -1 with errno = err. */
static int fail_keep_errno(cv_error *e, int err, const char *what, const char *path)
{
    cv_fail(e, "%s: %s: %s", path, what, strerror(err));
    errno = err;
    return -1;
}

int cv_write_atomic(const char *path, const void *data, size_t len, cv_error *e)
{
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
        return fail_keep_errno(e, ENAMETOOLONG, "cannot write", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return fail_keep_errno(e, errno, "cannot create", tmp);
    if (write_all(fd, data, len) < 0 || fsync(fd) < 0) {
        int err = errno;
        close(fd);
        unlink(tmp);
        return fail_keep_errno(e, err, "cannot write", tmp);
    }
    /* close can report a deferred write error (NFS, quota). */
    if (close(fd) < 0) {
        int err = errno;
        unlink(tmp);
        return fail_keep_errno(e, err, "cannot write", tmp);
    }
    if (rename(tmp, path) < 0) {
        int err = errno;
        unlink(tmp);
        cv_fail(e, "%s: cannot rename %s over it: %s", path, tmp, strerror(err));
        errno = err;
        return -1;
    }
    fsync_dir_of(path);
    return 0;
}
