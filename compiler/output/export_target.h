/* export_target.h - what `convc export --target` chooses: the kernels the
 * file keeps to and so the buffers its memory plan holds. */
#ifndef CONVC_EXPORT_TARGET_H
#define CONVC_EXPORT_TARGET_H

typedef struct {
    const char *name;       /* "host", "cortex-m4" */
    const char *what;       /* one line for --targets */
    unsigned layout;        /* gen_layout_build_with() options */
    int plain;              /* no vector unit: the file keeps to its plain
                               loops unless the user asks otherwise */
} export_target;

/* The target named `name`, or NULL. */
const export_target *export_target_of(const char *name);
/* The table, in the order --targets lists it; n_export_targets entries. */
extern const export_target export_targets[];
extern const int n_export_targets;

#endif
