/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format.h"
#include "humanize.h"
#include "macro.h"
#include "taint.h"

const char *format_timestamp(char *buf, size_t size, uint64_t usec) {
        struct tm tm;
        time_t t;
        long off;
        size_t n;
        int k;

        if (usec / USEC_PER_SEC > (uint64_t) INT64_MAX)
                return NULL;
        t = (time_t) (usec / USEC_PER_SEC);
        if (!localtime_r(&t, &tm))
                return NULL;

        n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
        if (n == 0)
                return NULL;

        /* strftime's %z has no colon ("+0100"); ISO 8601 extended wants "+01:00". */
        off = tm.tm_gmtoff;
        k = snprintf(buf + n, size - n, "%c%02ld:%02ld",
                     off < 0 ? '-' : '+', labs(off) / 3600, labs(off) / 60 % 60);
        if (k < 0 || (size_t) k >= size - n)
                return NULL;

        return buf;
}

const char *format_time_left(char *buf, size_t size, uint64_t then_usec, uint64_t now_usec) {
        uint64_t left = then_usec > now_usec ? then_usec - now_usec : 0;

        /* Below a second is noise for a soak measured in minutes or hours. */
        return format_duration(buf, size, left / USEC_PER_SEC * USEC_PER_SEC);
}

char *format_taint_letters(uint64_t mask) {
        TaintFlag flags[64];
        unsigned n = taint_decode(mask, flags);
        GString *s = g_string_new(NULL);

        for (unsigned i = 0; i < n; i++)
                g_string_append_printf(s, "%s%c", i > 0 ? " " : "", flags[i].letter);
        return g_string_free(s, false);
}

char *format_taint(uint64_t mask) {
        g_autofree char *letters = format_taint_letters(mask);

        return g_strdup_printf("%s (%" PRIu64 ")", *letters ? letters : "none", mask);
}

void print_field(const char *key, const char *value) {
        printf("%*s%s %s\n", FIELD_KEY_WIDTH, key, *key ? ":" : " ", value && *value ? value : "-");
}

char *ellipsize(const char *s, size_t width) {
        /* "…" where the locale writes UTF-8, as the rest of the text is. */
        const char *dots = g_get_charset(NULL) ? "\u2026" : "...";
        size_t n_dots = g_get_charset(NULL) ? 1 : 3;
        size_t len = (size_t) g_utf8_strlen(s, -1);

        if (len <= width)
                return g_strdup(s);
        if (width <= n_dots)
                return g_strndup(dots, strlen(dots));
        const char *end = g_utf8_offset_to_pointer(s, (glong) (width - n_dots));
        GString *cut = g_string_new_len(s, end - s);
        g_string_append(cut, dots);
        return g_string_free(cut, false);
}

char *format_operation_result(const char *operation, const char *result) {
        if (!operation || !*operation)
                return NULL;
        return g_strdup_printf("%s: %s", operation, result && *result ? result : "running");
}
