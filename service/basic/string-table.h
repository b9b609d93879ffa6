/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* An enum's names, kept in one table per enum:
 *
 *     static const char *const patch_state_table[_PATCH_STATE_MAX] = {
 *             [PATCH_LOADING] = "loading", ...
 *     };
 *     DEFINE_STRING_TABLE_LOOKUP(patch_state, PatchState);
 *
 * defines patch_state_to_string() (NULL outside the table) and
 * patch_state_from_string() (the enum's _INVALID, -1, for an unknown name or
 * NULL), the only conversions between an enum and the text on disk, on the
 * bus and in the log. */

#define STRING_TABLE_SIZE(t) (sizeof(t) / sizeof((t)[0]))

/* The index of @s in @table (@n names), or -1. */
int string_table_lookup(const char *const *table, size_t n, const char *s);

#define _DEFINE_STRING_TABLE_TO_STRING(name, type, scope)                               \
        scope const char *name##_to_string(type i) {                                    \
                /* Unsigned: a negative value is outside the table too. */              \
                return (size_t) i < STRING_TABLE_SIZE(name##_table) ? name##_table[i] : NULL; \
        }

#define _DEFINE_STRING_TABLE_FROM_STRING(name, type, scope)                             \
        scope type name##_from_string(const char *s) {                                  \
                return (type) string_table_lookup(name##_table, STRING_TABLE_SIZE(name##_table), s); \
        }

#define DEFINE_STRING_TABLE_LOOKUP_TO_STRING(name, type) \
        _DEFINE_STRING_TABLE_TO_STRING(name, type, )
#define DEFINE_STRING_TABLE_LOOKUP_FROM_STRING(name, type) \
        _DEFINE_STRING_TABLE_FROM_STRING(name, type, )
#define DEFINE_STRING_TABLE_LOOKUP(name, type)            \
        _DEFINE_STRING_TABLE_TO_STRING(name, type, )      \
        _DEFINE_STRING_TABLE_FROM_STRING(name, type, )
/* For a conversion only the table's own file uses. */
#define DEFINE_PRIVATE_STRING_TABLE_LOOKUP_FROM_STRING(name, type) \
        _DEFINE_STRING_TABLE_FROM_STRING(name, type, static)
