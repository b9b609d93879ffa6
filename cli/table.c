/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "color.h"
#include "lpmaint.h"
#include "macro.h"
#include "table.h"

Table *table_new(size_t n_columns) {
        Table *t = g_new0(Table, 1);

        t->n_columns = n_columns;
        t->cells = g_ptr_array_new_with_free_func(g_free);
        t->colors = g_ptr_array_new();
        return t;
}

void table_free(Table *t) {
        if (!t)
                return;
        g_ptr_array_unref(t->cells);
        g_ptr_array_unref(t->colors);
        g_free(t);
}

void table_add_color(Table *t, const char *cell, const char *color) {
        g_ptr_array_add(t->cells, g_strdup(strdash(cell)));
        g_ptr_array_add(t->colors, (char *) color);
}

void table_add(Table *t, const char *cell) {
        table_add_color(t, cell, NULL);
}

size_t table_rows(const Table *t) {
        return t->cells->len / t->n_columns;
}

static size_t width_of(const char *s) {
        /* Cells come from D-Bus strings and are valid UTF-8. */
        return g_utf8_strlen(s, -1);
}

int table_print(const Table *t, FILE *f) {
        g_autofree size_t *widths = g_new0(size_t, t->n_columns);
        guint first = arg_legend ? 0 : (guint) MIN(t->n_columns, t->cells->len);

        for (guint i = first; i < t->cells->len; i++) {
                size_t w = width_of(g_ptr_array_index(t->cells, i));
                size_t *c = &widths[i % t->n_columns];
                if (w > *c)
                        *c = w;
        }

        for (guint i = first; i < t->cells->len; i++) {
                const char *cell = g_ptr_array_index(t->cells, i);
                const char *color = i < t->n_columns ? ANSI_BOLD : g_ptr_array_index(t->colors, i);
                size_t column = i % t->n_columns;

                fprintf(f, "%s%s%s", color_on(color), cell, color_off(color));
                if (column + 1 == t->n_columns) {
                        fputc('\n', f);
                        continue;
                }
                for (size_t pad = width_of(cell); pad < widths[column] + 2; pad++)
                        fputc(' ', f);
        }

        if (fflush(f) != 0 || ferror(f))
                return -EIO;
        return 0;
}
