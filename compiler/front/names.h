/* names.h - which words may name a model.  A model name becomes a C prefix
 * in generated code (NAME_model, NAME_predict, NAME__private, NAME_IN_H ...)
 * beside the runtime's public names, so it must be a C identifier, no C or
 * C++ keyword, and clear of the runtime's prefixes. */
#ifndef CONVC_NAMES_H
#define CONVC_NAMES_H

#include <stddef.h>

typedef enum {
    NAME_OK,
    NAME_INVALID,           /* not a C identifier of at most IR_MAX_NAME bytes
                               starting with a letter, or a keyword */
    NAME_RESERVED           /* a runtime prefix, or starts with one and '_' */
} name_verdict;

name_verdict names_check_model(const char *name);

/* Which words may name a layer ('as NAME'): a C identifier of at most
 * IR_MAX_NAME bytes, no word of the spec language (a statement keyword,
 * 'as', 'from', an activation, padding or pool type), and not the name a
 * layer is given when it has none (a kind's spelling and a number: conv2). */
typedef enum {
    LAYER_NAME_OK,
    LAYER_NAME_INVALID,
    LAYER_NAME_WORD,        /* a word of the spec language */
    LAYER_NAME_GENERATED    /* conv2, dense1 ... */
} layer_name_verdict;

layer_name_verdict names_check_layer(const char *name);

/* The prefixes of the runtime's public names (runtime/convc_model.h and the
 * headers a trainer links: convc_model, CONVC_MODEL_ABI, cv_fail ...);
 * matched in any case, since the upper-case name prefixes macros. */
extern const char *const names_reserved[];
extern const int names_n_reserved;

/* "'convc' or 'cv', or start with 'convc_' or 'cv_'" */
void names_reserved_list(char *buf, size_t size);

#endif
