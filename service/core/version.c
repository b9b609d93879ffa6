/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "util.h"
#include "version.h"

#define VERSION_MAX 64
#define EPOCH_MAX 2147483647UL /* dpkg's: an int */

/* The order of one character in a run of non-digits: '~' before the end of
 * the run, the end before letters, letters before everything else. */
static int char_order(char c) {
        if (c == '~')
                return -1;
        if (c == '\0' || g_ascii_isdigit(c))
                return 0;
        if (g_ascii_isalpha(c))
                return (unsigned char) c;
        return (unsigned char) c + 256;
}

/* Alternating runs of non-digits (compared by char_order()) and digits
 * (compared as numbers of any length). */
static int compare_fragment(const char *a, const char *b) {
        while (*a || *b) {
                while ((*a && !g_ascii_isdigit(*a)) || (*b && !g_ascii_isdigit(*b))) {
                        int x = char_order(*a), y = char_order(*b);
                        if (x != y)
                                return x < y ? -1 : 1;
                        /* Equal orders here mean the same character, never an end. */
                        a++;
                        b++;
                }
                while (*a == '0')
                        a++;
                while (*b == '0')
                        b++;
                size_t na = strspn(a, "0123456789"), nb = strspn(b, "0123456789");
                if (na != nb)
                        return na < nb ? -1 : 1;
                int c = strncmp(a, b, na);
                if (c != 0)
                        return c < 0 ? -1 : 1;
                a += na;
                b += nb;
        }
        return 0;
}

typedef struct VersionParts {
        unsigned long epoch;
        char *upstream;
        char *revision; /* "" when there is none */
} VersionParts;

static void version_parts_clear(VersionParts *p) {
        g_free(p->upstream);
        g_free(p->revision);
}

/* Splits like dpkg: the epoch before the first ':' (when that is a number),
 * the revision after the last '-'. Never fails, so that any two strings
 * compare; version_is_valid() is the strict check. */
static void version_split(const char *v, VersionParts *ret) {
        const char *colon = strchr(v, ':');
        unsigned long epoch = 0;

        if (colon && colon > v && (size_t) (colon - v) == strspn(v, "0123456789") && colon - v <= 10) {
                epoch = strtoul(v, NULL, 10);
                v = colon + 1;
        }
        const char *hyphen = strrchr(v, '-');
        *ret = (VersionParts) {
                .epoch = epoch,
                .upstream = hyphen ? g_strndup(v, (gsize) (hyphen - v)) : g_strdup(v),
                .revision = g_strdup(hyphen ? hyphen + 1 : ""),
        };
}

int version_compare(const char *a, const char *b) {
        _cleanup_(version_parts_clear) VersionParts x = {}, y = {};

        version_split(a, &x);
        version_split(b, &y);
        if (x.epoch != y.epoch)
                return x.epoch < y.epoch ? -1 : 1;
        return compare_fragment(x.upstream, y.upstream) ?: compare_fragment(x.revision, y.revision);
}

static bool chars_only(const char *s, const char *extra) {
        for (const char *p = s; *p; p++)
                if (!g_ascii_isalnum(*p) && !strchr(extra, *p))
                        return false;
        return true;
}

bool version_is_valid(const char *v) {
        size_t n = strlen(v);

        if (n == 0 || n > VERSION_MAX)
                return false;
        const char *colon = strchr(v, ':');
        if (colon) {
                size_t digits = strspn(v, "0123456789");
                if (digits == 0 || v + digits != colon || strtoul(v, NULL, 10) > EPOCH_MAX || digits > 10)
                        return false;
                v = colon + 1;
        }
        const char *hyphen = strrchr(v, '-');
        g_autofree char *upstream = hyphen ? g_strndup(v, (gsize) (hyphen - v)) : g_strdup(v);
        const char *revision = hyphen ? hyphen + 1 : NULL;

        if (!g_ascii_isdigit(upstream[0]) || !chars_only(upstream, ".+~-:"))
                return false;
        return !revision || (revision[0] && chars_only(revision, ".+~"));
}

/* What the versions file could hold before lpmaint used Debian's order: the
 * file is read as written then, and only its form is checked. */
bool recorded_version_is_valid(const char *v) {
        size_t n = strlen(v);
        return n > 0 && n <= VERSION_MAX && g_ascii_isalnum(v[0]) && chars_only(v, ".+~_-:");
}
