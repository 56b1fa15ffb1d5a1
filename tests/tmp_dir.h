/* tmp_dir.h - a fresh temporary directory for the tests that write files
 * (Check runs each test in its own process, so one directory per test). */
#ifndef CONVC_TESTS_TMP_DIR_H
#define CONVC_TESTS_TMP_DIR_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

static char tmp_dir[64];

/* Creates /tmp/<prefix>.XXXXXX as tmp_dir. */
static inline void tmp_dir_make(const char *prefix)
{
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/%s.XXXXXX", prefix);
    ck_assert_ptr_nonnull(mkdtemp(tmp_dir));
}

static inline void tmp_dir_remove(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* tmp_dir/name; the last two results stay valid, so a call may compare
 * two files (same_file(tmp_path("a"), tmp_path("b"))). */
static inline const char *tmp_path(const char *name)
{
    static char path[2][128];
    static int which;
    which ^= 1;
    snprintf(path[which], sizeof path[which], "%s/%s", tmp_dir, name);
    return path[which];
}

#endif
