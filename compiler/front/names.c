/* names.c - which words may name a model or a layer (names.h). */
#include "front/names.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "front/ast.h"
#include "front/layers.h"
#include "ir.h"

/* C and C++ keywords: a model name becomes a C prefix and a struct name. */
static const char *const c_keywords[] = {
    "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool",
    "break", "case", "catch", "char", "char16_t", "char32_t", "char8_t", "class",
    "compl", "concept", "const", "const_cast", "consteval", "constexpr", "constinit",
    "continue", "co_await", "co_return", "co_yield", "decltype", "default", "delete",
    "do", "double", "dynamic_cast", "else", "enum", "explicit", "export", "extern",
    "false", "float", "for", "friend", "goto", "if", "inline", "int", "long",
    "mutable", "namespace", "new", "noexcept", "not", "not_eq", "nullptr", "operator",
    "or", "or_eq", "private", "protected", "public", "register", "reinterpret_cast",
    "requires", "restrict", "return", "short", "signed", "sizeof", "static",
    "static_assert", "static_cast", "struct", "switch", "template", "this",
    "thread_local", "throw", "true", "try", "typedef", "typeid", "typename", "union",
    "unsigned", "using", "virtual", "void", "volatile", "wchar_t", "while", "xor",
    "xor_eq",
};

/* Every public name of the runtime that a trainer sees starts with one of
 * these and '_' (runtime/convc_model.h, train/trainer.h: convc_model,
 * CONVC_MODEL_ABI, cv_fail ...).  The generated code's own unprefixed names
 * (conv1_forward, W_CONV1_OUT, IN_SIZE ...) never end in the suffixes that
 * follow a model name (_model, _predict, _IN_H ...), so these are the
 * collisions to rule out. */
const char *const names_reserved[] = { "convc", "cv" };
const int names_n_reserved = (int)(sizeof names_reserved / sizeof names_reserved[0]);

static bool is_keyword(const char *name)
{
    for (size_t i = 0; i < sizeof c_keywords / sizeof c_keywords[0]; i++)
        if (strcmp(c_keywords[i], name) == 0)
            return true;
    return false;
}

/* `name` is `prefix`, or starts with it and '_', ignoring case. */
static bool has_prefix(const char *name, const char *prefix)
{
    size_t n = strlen(prefix);
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)name[i]) != prefix[i])
            return false;
    return name[n] == '\0' || name[n] == '_';
}

/* Letters, digits and '_', starting with a letter, at most IR_MAX_NAME bytes. */
static bool is_identifier(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > IR_MAX_NAME || !isalpha((unsigned char)name[0]))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!(c < 0x80 && (isalnum(c) || c == '_')))
            return false;
    }
    return true;
}

name_verdict names_check_model(const char *name)
{
    if (!is_identifier(name))
        return NAME_INVALID;
    if (is_keyword(name))
        return NAME_INVALID;
    for (int i = 0; i < names_n_reserved; i++)
        if (has_prefix(name, names_reserved[i]))
            return NAME_RESERVED;
    return NAME_OK;
}

void names_reserved_list(char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < names_n_reserved && used < size; i++) {
            const char *sep = i > 0 ? (i == names_n_reserved - 1 ? " or " : ", ")
                            : pass == 0 ? "" : ", or start with ";
            used += (size_t)snprintf(buf + used, size - used, "%s'%s%s'", sep,
                                     names_reserved[i], pass == 0 ? "" : "_");
        }
}

static bool is_language_word(const char *w)
{
    return ast_stmt_kind_of(w, NULL) != AST_UNKNOWN || strcmp(w, LAYER_WORD_AS) == 0
        || strcmp(w, LAYER_WORD_FROM) == 0 || ir_activation_of(w) >= 0
        || ir_padding_of(w) >= 0 || ir_pool_kind_of(w) >= 0;
}

/* conv2, dense10: a kind's spelling and a number. */
static bool is_generated(const char *w)
{
    for (int k = 0; k < IR_N_KINDS; k++) {
        size_t n = strlen(ir_kind_names[k]);
        if (strncmp(w, ir_kind_names[k], n) != 0 || w[n] == '\0')
            continue;
        size_t i = n;
        while (isdigit((unsigned char)w[i]))
            i++;
        if (w[i] == '\0')
            return true;
    }
    return false;
}

layer_name_verdict names_check_layer(const char *name)
{
    if (!is_identifier(name))
        return LAYER_NAME_INVALID;
    if (is_language_word(name))
        return LAYER_NAME_WORD;
    if (is_generated(name))
        return LAYER_NAME_GENERATED;
    return LAYER_NAME_OK;
}
