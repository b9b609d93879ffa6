/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdio.h>

/* Text columns aligned to their widest cell, measured in characters rather
 * than bytes so non-ASCII text lines up too. */
typedef struct Table {
        size_t n_columns;
        GPtrArray *cells;  /* row-major, copies */
} Table;

Table *table_new(size_t n_columns);
void table_free(Table *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Table, table_free)

/* Appends the next cell, filling rows left to right; NULL is shown as "-". */
void table_add(Table *t, const char *cell);

size_t table_rows(const Table *t);

/* Two spaces between columns; the last column is not padded. */
int table_print(const Table *t, FILE *f);
