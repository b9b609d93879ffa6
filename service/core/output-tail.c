/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdbool.h>
#include <string.h>
#include <glib.h>

#include "output-tail.h"

void output_tail_append(char *tail, size_t *len, size_t max, const char *data, size_t size) {
        if (size >= max) {
                memcpy(tail, data + size - max, max);
                *len = max;
                return;
        }
        if (*len + size > max) {
                size_t drop = *len + size - max;
                memmove(tail, tail + drop, *len - drop);
                *len -= drop;
        }
        memcpy(tail + *len, data, size);
        *len += size;
}

/* One line, safe for a log line and a table cell. */
static char *clean_line(const char *line) {
        g_autofree char *valid = g_utf8_make_valid(line, -1);
        GString *s = g_string_new(NULL);

        for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
                gunichar c = g_utf8_get_char(p);
                if (g_unichar_iscntrl(c))
                        g_string_append_c(s, c == '\t' ? ' ' : '?');
                else
                        g_string_append_unichar(s, c);
        }
        return g_strstrip(g_string_free(s, false));
}

char *output_tail_summary(const char *buf, size_t len) {
        g_autofree char *text = g_strndup(buf, len);
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
        g_autoptr(GPtrArray) kept = g_ptr_array_new_with_free_func(g_free);
        size_t n = g_strv_length(lines);

        /* From the end, so that only the last lines are cleaned and kept. */
        for (size_t i = n; i > 0 && kept->len < OUTPUT_TAIL_MAX_LINES; i--) {
                char *line = clean_line(lines[i - 1]);
                if (line[0])
                        g_ptr_array_insert(kept, 0, line);
                else
                        g_free(line);
        }
        g_ptr_array_add(kept, NULL);
        return g_strjoinv(" | ", (char **) kept->pdata);
}
