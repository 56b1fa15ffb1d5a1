/* files.h - whole files in and out, shared by the runtime, the report and
 * the experiment runner: reading with a size limit, and writing atomically
 * (PATH.tmp in the same directory, fsync, rename, fsync of the directory),
 * so that a crash leaves either the old file or the new one. */
#ifndef CONVC_FILES_H
#define CONVC_FILES_H

#include <stddef.h>
#include "base/error.h"

/* The whole file in a new buffer with a NUL after the last byte (not counted
 * in *len); NULL on failure, with errno set and a message in e ("PATH: cannot
 * open: ...", "PATH: read error", "PATH: larger than MAX bytes", "PATH: out
 * of memory").  max 0 means no limit. */
char *cv_read_file(const char *path, size_t max, size_t *len, cv_error *e);

/* Replaces path with data[0..len) atomically; 0, or -1 with errno set and a
 * message in e.  On failure an existing file is left alone. */
int cv_write_atomic(const char *path, const void *data, size_t len, cv_error *e);

#endif
