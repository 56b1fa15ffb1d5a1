/* experiment_sys.c - processes and files for the experiment runner. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "experiment/experiment_sys.h"
#include "base/files.h"

int sys_fork_tied(void)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        /* A killed runner must not leave trainers writing its run directories. */
        if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
            raise(SIGTERM);
    }
    return (int)pid;
}

/* dir/convc-run.lock, open; -1 with errno. */
static int open_lock(const char *dir)
{
    char path[4096];
    if (sys_path(path, sizeof path, "%s/convc-run.lock", dir) < 0) {
        errno = ENAMETOOLONG;
        return -1;
    }
    /* No O_CLOEXEC: the trainers keep the lock until they have stopped. */
    return open(path, O_RDWR | O_CREAT, 0644);
}

/* flock(fd, op), again when a signal interrupts it. */
static int lock_fd(int fd, int op)
{
    int rc;
    while ((rc = flock(fd, op)) < 0 && errno == EINTR)
        continue;
    return rc;
}

int sys_lock_dir(const char *dir, int wait, long *holder)
{
    *holder = 0;
    int fd = open_lock(dir);
    if (fd < 0)
        return -1;
    if (lock_fd(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0) {
        int err = errno;
        if (err == EWOULDBLOCK) {
            char buf[32] = "";
            ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
            if (n > 0)
                *holder = strtol(buf, NULL, 10);
        }
        close(fd);
        errno = err;
        return -1;
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
        int err = errno;
        close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

int sys_lock_dir_shared(const char *dir)
{
    int fd = open_lock(dir);
    if (fd >= 0 && lock_fd(fd, LOCK_SH) < 0) {
        int err = errno;
        close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

/* What sys_stop_children asked for; read and written in signal handlers. */
static volatile sig_atomic_t stopping, stop_sig;
static volatile pid_t last_child;

void sys_stop_children(int sig)
{
    stopping = 1;
    stop_sig = sig;
    if (sig && last_child > 0)
        kill(last_child, sig);
}

void sys_allow_children(void)
{
    stopping = 0;
    stop_sig = 0;
}

int sys_spawn(char *const argv[], const char *stdout_path, const char *log_path)
{
    if (stopping) {
        errno = EINTR;
        return -1;
    }
    fflush(NULL);
    pid_t pid = sys_fork_tied();
    if (pid < 0)
        return -1;
    if (pid > 0) {
        last_child = pid;
        if (stop_sig)           /* asked for between the check above and now */
            kill(pid, stop_sig);
    }
    if (pid == 0) {
        if (log_path) {
            int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
            if (fd < 0)
                _exit(127);
            dup2(fd, 2);
            if (!stdout_path)
                dup2(fd, 1);
            close(fd);
        }
        if (stdout_path) {
            int fd = open(stdout_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd < 0)
                _exit(127);
            dup2(fd, 1);
            close(fd);
        }
        execvp(argv[0], argv);
        fprintf(stderr, "convc: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    return (int)pid;
}

int sys_wait(int pid)
{
    int status;
    while (waitpid((pid_t)pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    if (pid == last_child)      /* its pid may be reused: never signal it */
        last_child = 0;
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return -1;
}

int sys_run(char *const argv[], const char *stdout_path, const char *log_path)
{
    int pid = sys_spawn(argv, stdout_path, log_path);
    return pid < 0 ? -1 : sys_wait(pid);
}

int sys_path(char *dst, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(dst, n, fmt, ap);
    va_end(ap);
    return w < 0 || (size_t)w >= n ? -1 : 0;
}

const char *sys_next_word(const char **p, size_t *n)
{
    const char *s = *p ? *p : "";
    while (isspace((unsigned char)*s))
        s++;
    *n = 0;
    while (s[*n] && !isspace((unsigned char)s[*n]))
        (*n)++;
    *p = s + *n;
    return *n ? s : NULL;
}

int sys_mkdir_p(const char *path)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buf, path, n + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(buf, 0755) < 0 && errno != EEXIST)
        return -1;
    return 0;
}

int sys_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int sys_remove_tree(const char *path)
{
    if (!sys_exists(path))
        return 0;
    return nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int sys_write_atomic(const char *path, const char *data, size_t len)
{
    return cv_write_atomic(path, data, len, NULL);
}

char *sys_read_file(const char *path, size_t *len)
{
    return cv_read_file(path, 0, len, NULL);
}

static const char *file_kind(mode_t mode)
{
    if (S_ISDIR(mode))  return "a directory";
    if (S_ISCHR(mode))  return "a character device";
    if (S_ISBLK(mode))  return "a block device";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISSOCK(mode)) return "a socket";
    return "not a regular file";
}

char *sys_read_regular_file(const char *path, size_t max, size_t *len, const char **kind)
{
    *kind = NULL;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    int stat_rc = fstat(fd, &st);
    if (stat_rc < 0 || !S_ISREG(st.st_mode)) {
        int err = errno;
        if (stat_rc == 0)
            *kind = file_kind(st.st_mode), err = EINVAL;
        close(fd);
        errno = err;
        return NULL;
    }
    size_t cap = (size_t)st.st_size < max ? (size_t)st.st_size + 1 : max + 1, n = 0;
    char *buf = malloc(cap + 1);
    int err = buf ? 0 : ENOMEM;
    /* The file may grow after fstat: read until EOF or one byte past max. */
    while (buf && !err) {
        if (n == cap) {
            if (cap > max) {
                err = EFBIG;
                break;
            }
            size_t grown_cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
            char *grown = realloc(buf, grown_cap + 1);
            if (!grown) {
                err = ENOMEM;
                break;
            }
            buf = grown, cap = grown_cap;
        }
        ssize_t got = read(fd, buf + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            err = errno;
        else if (got == 0)
            break;
        else
            n += (size_t)got;
    }
    close(fd);
    if (!err && n > max)
        err = EFBIG;
    if (err) {
        free(buf);
        errno = err;
        return NULL;
    }
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

long sys_count_lines(const char *path)
{
    size_t len;
    char *text = sys_read_file(path, &len);
    if (!text)
        return -1;
    long lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    free(text);
    return lines;
}
