/* settings.c - the table of setting ranges and its one check. */
#include <math.h>
#include <stdio.h>
#include "base/optimizers.h"
#include "train/settings.h"

enum { INT, REAL_LO_OPEN, REAL_HI_OPEN };

typedef struct {
    const char *flag;
    int kind;
    double lo, hi;
} setting;

#define CV_SETTING_ROW(id, flag, kind, lo, hi) { flag, kind, lo, hi },
static const setting settings[SETTING_COUNT] = { CV_SETTING_LIST(CV_SETTING_ROW) };

const char *setting_flag(cv_setting_id s)
{
    return settings[s].flag;
}

int setting_is_integer(cv_setting_id s)
{
    return settings[s].kind == INT;
}

int setting_check(cv_setting_id id, double v)
{
    const setting *s = &settings[id];
    int lo_ok = s->kind == REAL_LO_OPEN ? v > s->lo : v >= s->lo;
    int hi_ok = s->kind == REAL_HI_OPEN ? v < s->hi : v <= s->hi;
    /* NaN fails every comparison, so it is never in range. */
    return isfinite(v) && lo_ok && hi_ok && (s->kind != INT || v == floor(v)) ? 0 : -1;
}

void setting_rule(cv_setting_id id, char *rule, size_t size)
{
    const setting *s = &settings[id];
    if (s->kind == INT)
        snprintf(rule, size, "an integer from %.0f to %.0f", s->lo, s->hi);
    else
        snprintf(rule, size, "a number %s %g and %s %g", s->kind == REAL_LO_OPEN ? ">" : ">=",
                 s->lo, s->kind == REAL_HI_OPEN ? "<" : "<=", s->hi);
}
