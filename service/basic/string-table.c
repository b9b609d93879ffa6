/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "string-table.h"

int string_table_lookup(const char *const *table, size_t n, const char *s) {
        for (size_t i = 0; s && i < n; i++)
                if (table[i] && strcmp(table[i], s) == 0)
                        return (int) i;
        return -1;
}
