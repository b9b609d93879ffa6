/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <string.h>

#include "json.h"
#include "taint.h"

void json_writer_init(JsonWriter *w, FILE *f, bool pretty) {
        *w = (JsonWriter) {
                .f = f,
                .pretty = pretty,
                .first = true,
        };
}

int json_writer_finish(JsonWriter *w) {
        fputc('\n', w->f);
        if (fflush(w->f) != 0 || ferror(w->f))
                return -EIO;
        return 0;
}

static void newline_indent(JsonWriter *w) {
        if (!w->pretty)
                return;
        fputc('\n', w->f);
        for (unsigned i = 0; i < w->depth; i++)
                fputs("  ", w->f);
}

/* Called before every key and every value that does not follow a key. */
static void separate(JsonWriter *w) {
        if (w->after_key) {
                w->after_key = false;
                return;
        }
        if (!w->first)
                fputc(',', w->f);
        if (w->depth > 0)
                newline_indent(w);
        w->first = false;
}

static void begin(JsonWriter *w, char c) {
        separate(w);
        fputc(c, w->f);
        w->depth++;
        w->first = true;
}

static void end(JsonWriter *w, char c) {
        bool empty = w->first;

        w->depth--;
        if (!empty)
                newline_indent(w);
        fputc(c, w->f);
        w->first = false;
}

void json_begin_object(JsonWriter *w) {
        begin(w, '{');
}

void json_end_object(JsonWriter *w) {
        end(w, '}');
}

void json_begin_array(JsonWriter *w) {
        begin(w, '[');
}

void json_end_array(JsonWriter *w) {
        end(w, ']');
}

static void write_escaped(JsonWriter *w, const char *s) {
        const char *p = s, *e = s + strlen(s);

        fputc('"', w->f);
        while (p < e) {
                unsigned char c = (unsigned char) *p;

                if (c == '"' || c == '\\') {
                        fputc('\\', w->f);
                        fputc(c, w->f);
                        p++;
                } else if (c < 0x20) {
                        fprintf(w->f, "\\u%04x", c);
                        p++;
                } else if (c < 0x80) {
                        fputc(c, w->f);
                        p++;
                } else {
                        /* Multi-byte: copy a valid sequence as it is. JSON must
                         * be UTF-8, so a broken byte becomes U+FFFD rather than
                         * making the whole document unparseable. */
                        gunichar u = g_utf8_get_char_validated(p, e - p);

                        if (u == (gunichar) -1 || u == (gunichar) -2) {
                                fputs("\\ufffd", w->f);
                                p++;
                        } else {
                                const char *next = g_utf8_next_char(p);

                                fwrite(p, 1, next - p, w->f);
                                p = next;
                        }
                }
        }
        fputc('"', w->f);
}

void json_key(JsonWriter *w, const char *key) {
        separate(w);
        write_escaped(w, key);
        fputs(w->pretty ? ": " : ":", w->f);
        w->after_key = true;
}

void json_string(JsonWriter *w, const char *s) {
        if (!s) {
                json_null(w);
                return;
        }
        separate(w);
        write_escaped(w, s);
}

void json_uint(JsonWriter *w, uint64_t u) {
        separate(w);
        fprintf(w->f, "%" PRIu64, u);
}

void json_int(JsonWriter *w, int64_t i) {
        separate(w);
        fprintf(w->f, "%" PRId64, i);
}

void json_hundredths(JsonWriter *w, uint64_t u) {
        separate(w);
        fprintf(w->f, "%" PRIu64 ".%02" PRIu64, u / 100, u % 100);
}

void json_bool(JsonWriter *w, bool b) {
        separate(w);
        fputs(b ? "true" : "false", w->f);
}

void json_null(JsonWriter *w) {
        separate(w);
        fputs("null", w->f);
}

void json_strv(JsonWriter *w, char * const *l) {
        json_begin_array(w);
        for (char * const *i = l; i && *i; i++)
                json_string(w, *i);
        json_end_array(w);
}

void json_taint_flags(JsonWriter *w, uint64_t mask) {
        TaintFlag flags[64];
        unsigned n = taint_decode(mask, flags);

        json_begin_array(w);
        for (unsigned i = 0; i < n; i++) {
                char letter[2] = { flags[i].letter, 0 };

                json_begin_object(w);
                json_field_uint(w, "bit", flags[i].bit);
                json_field_string(w, "letter", letter);
                json_field_string(w, "name", flags[i].name);
                json_end_object(w);
        }
        json_end_array(w);
}
