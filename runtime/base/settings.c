/* settings.c - the table of setting ranges and its one check. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "base/settings.h"

enum { INT, REAL_LO_OPEN, REAL_HI_OPEN, REAL_OPEN, REAL };

typedef struct {
    const char *flag;
    int kind;
    double lo, hi;
} setting;

#define CV_SETTING_ROW(id, flag, kind, lo, hi) { flag, kind, lo, hi },
static const setting settings[SETTING_COUNT] = { CV_SETTING_LIST(CV_SETTING_ROW) };

#define CV_SCHEDULE_NAME(id, name) name,
const char *const cv_schedule_names[CV_N_SCHEDULES] = { CV_SCHEDULE_LIST(CV_SCHEDULE_NAME) };

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
    if (s->kind == REAL)
        return isfinite(v) ? 0 : -1;
    int lo_open = s->kind == REAL_LO_OPEN || s->kind == REAL_OPEN;
    int hi_open = s->kind == REAL_HI_OPEN || s->kind == REAL_OPEN;
    int lo_ok = lo_open ? v > s->lo : v >= s->lo;
    int hi_ok = hi_open ? v < s->hi : v <= s->hi;
    /* NaN fails every comparison, so it is never in range. */
    return isfinite(v) && lo_ok && hi_ok && (s->kind != INT || v == floor(v)) ? 0 : -1;
}

void setting_rule(cv_setting_id id, char *rule, size_t size)
{
    const setting *s = &settings[id];
    int lo_open = s->kind == REAL_LO_OPEN || s->kind == REAL_OPEN;
    int hi_open = s->kind == REAL_HI_OPEN || s->kind == REAL_OPEN;
    if (s->kind == INT)
        snprintf(rule, size, "an integer from %.0f to %.0f", s->lo, s->hi);
    else if (s->kind == REAL)
        snprintf(rule, size, "a finite number");
    else
        snprintf(rule, size, "a number %s %g and %s %g", lo_open ? ">" : ">=", s->lo,
                 hi_open ? "<" : "<=", s->hi);
}

int setting_is_switch(cv_setting_id s)
{
    return settings[s].kind == INT && settings[s].lo == 0 && settings[s].hi == 1 &&
           strncmp(settings[s].flag, "--", 2) == 0;
}

int setting_switch_value(cv_setting_id s)
{
    return strncmp(settings[s].flag, "--no-", 5) == 0 ? 0 : 1;
}

const char *const *setting_words(cv_setting_id s, int *n)
{
    if (s == SETTING_OPTIMIZER) {
        *n = CV_N_OPTIMIZERS;
        return cv_optimizer_names;
    }
    if (s == SETTING_SCHEDULE) {
        *n = CV_N_SCHEDULES;
        return cv_schedule_names;
    }
    *n = 0;
    return NULL;
}

int setting_parse_word(cv_setting_id s, const char *word, double *v, char *msg, size_t size)
{
    int n;
    const char *const *words = setting_words(s, &n);
    for (int k = 0; words && k < n; k++)
        if (strcmp(word, words[k]) == 0) {
            *v = k;
            return 0;
        }
    size_t used = (size_t)snprintf(msg, size, "'%s' is not one of ", word);
    for (int k = 0; words && k < n && used < size; k++)
        used += (size_t)snprintf(msg + used, size - used, "%s%s",
                                 k == 0 ? "" : k == n - 1 ? " or " : ", ", words[k]);
    return -1;
}

int setting_of_key(const char *key)
{
    for (int i = 0; i < SETTING_COUNT; i++) {
        const char *f = settings[i].flag;
        if (strncmp(f, "--", 2) != 0)
            continue;
        f += 2;
        size_t k = 0;
        while (f[k] && key[k] && (f[k] == '-' ? key[k] == '_' : f[k] == key[k]))
            k++;
        if (!f[k] && !key[k])
            return i;
    }
    return -1;
}
