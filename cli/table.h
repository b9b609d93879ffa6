/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdio.h>

/* Text columns aligned to their widest cell, measured in characters rather
 * than bytes so non-ASCII text lines up too. The first row is the header,
 * the legend: left out with --no-legend (arg_legend). */
typedef struct Table {
        size_t n_columns;
        GPtrArray *cells;   /* row-major, copies */
        GPtrArray *colors;  /* beside each cell: its colour (color.h), or NULL */
} Table;

Table *table_new(size_t n_columns);
void table_free(Table *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Table, table_free)

/* Appends the next cell, filling rows left to right; NULL is shown as "-". */
void table_add(Table *t, const char *cell);

/* The same, shown in @color (a static ANSI_* string, or NULL) when colours
 * are on (colors_enabled()). */
void table_add_color(Table *t, const char *cell, const char *color);

size_t table_rows(const Table *t);

/* Two spaces between columns; the last column is not padded. */
int table_print(const Table *t, FILE *f);
