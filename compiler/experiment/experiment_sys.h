/* experiment_sys.h - the operating-system side of running an experiment:
 * child processes with redirected output, directories, whole files. */
#ifndef CONVC_EXPERIMENT_SYS_H
#define CONVC_EXPERIMENT_SYS_H

#include <stddef.h>

/* Runs argv[0] (looked up in PATH if it has no '/') and waits.  stdout goes
 * to stdout_path when given; stderr (and stdout without stdout_path) is
 * appended to log_path when given, else inherited.  Returns the exit status,
 * 128 + the signal for a killed child, or -1 if it could not be started. */
int sys_run(char *const argv[], const char *stdout_path, const char *log_path);
/* Starts the same way without waiting; returns the pid or -1. */
int sys_spawn(char *const argv[], const char *stdout_path, const char *log_path);
/* fork() for a child that must not outlive this process: it gets SIGTERM
 * when the parent dies (the trainer saves its checkpoint on SIGTERM), also
 * when the parent died before the request took effect.  As fork returns. */
int sys_fork_tied(void);
/* From a signal handler: no more children start (sys_spawn fails with
 * EINTR), and the one started last gets sig unless it is 0. */
void sys_stop_children(int sig);
/* Children may start again (after the stop has been handled). */
void sys_allow_children(void);
/* Waits for pid; the status as sys_run returns it. */
int sys_wait(int pid);

/* Takes the lock of directory dir (dir/convc-run.lock, flock) for as long
 * as this process or a child it forks keeps running, and writes this
 * process's pid into it.  When another process holds it: waits if `wait`,
 * else returns -1 with errno EWOULDBLOCK and the holder's pid in *holder
 * (0 if it has not written it yet).  Other failures: -1 with errno. */
int sys_lock_dir(const char *dir, int wait, long *holder);
/* The same lock shared: the jobs of one experiment run side by side, and
 * keep sys_lock_dir's holders out.  Waits; the fd, or -1 with errno. */
int sys_lock_dir_shared(const char *dir);

/* snprintf into a path buffer; -1 if it did not fit (nothing is silently
 * cut short: callers check, or bound their inputs first). */
int sys_path(char *dst, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The next blank-separated word of *p: its start, with its length in *n,
 * or NULL after the last; *p moves past it. */
const char *sys_next_word(const char **p, size_t *n);

/* mkdir -p; 0 or -1 (errno set). */
int sys_mkdir_p(const char *path);
int sys_exists(const char *path);
/* rm -rf of one directory tree; 0 or -1. */
int sys_remove_tree(const char *path);
/* Writes data to path through a temporary file, fsync and rename
 * (cv_write_atomic in runtime/files.h); 0 or -1 with errno set. */
int sys_write_atomic(const char *path, const char *data, size_t len);
/* The whole file, NUL-terminated; NULL on failure, with errno set. */
char *sys_read_file(const char *path, size_t *len);
/* The whole file if it is a regular file of at most max bytes,
 * NUL-terminated.  NULL on failure with errno set (EFBIG: larger than max);
 * when path names something else (a device would be read forever, a
 * directory or a FIFO not at all) *kind says what it is ("a directory",
 * "a character device" ...) and errno is EINVAL; otherwise *kind is NULL. */
char *sys_read_regular_file(const char *path, size_t max, size_t *len, const char **kind);
/* Newlines in a file; -1 if it cannot be read. */
long sys_count_lines(const char *path);

#endif
