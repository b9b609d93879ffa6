/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <glib.h>

#include "pressure.h"
#include "string-table.h"

static const char *const pressure_resource_table[_PRESSURE_MAX] = {
        [PRESSURE_CPU] = "cpu",
        [PRESSURE_IO] = "io",
        [PRESSURE_MEMORY] = "memory",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(pressure_resource, PressureResource);

/* "12.34" → 1234; the kernel prints two decimals, at most 100.00. */
static int parse_share(const char *s, unsigned *ret) {
        char *end;
        guint64 whole = g_ascii_strtoull(s, &end, 10);

        if (end == s || *end != '.' || !g_ascii_isdigit(end[1]) || !g_ascii_isdigit(end[2]) || whole > 100)
                return -EBADMSG;
        unsigned v = (unsigned) whole * 100 + (unsigned) (end[1] - '0') * 10 + (unsigned) (end[2] - '0');
        if (v > 10000)
                return -EBADMSG;
        *ret = v;
        return 0;
}

int pressure_parse(const char *text, Pressure *ret) {
        g_auto(GStrv) lines = g_strsplit(text, "\n", 3);

        for (size_t i = 0; lines[i]; i++) {
                if (!g_str_has_prefix(lines[i], "some "))
                        continue;
                g_auto(GStrv) fields = g_strsplit(lines[i] + 5, " ", 5);
                Pressure p = {};
                struct {
                        const char *prefix;
                        unsigned *share;
                        bool seen;
                } shares[] = { { "avg10=", &p.avg10 }, { "avg60=", &p.avg60 }, { "avg300=", &p.avg300 } };
                bool total_seen = false;

                for (size_t f = 0; fields[f]; f++) {
                        for (size_t k = 0; k < G_N_ELEMENTS(shares); k++)
                                if (g_str_has_prefix(fields[f], shares[k].prefix)) {
                                        if (parse_share(fields[f] + strlen(shares[k].prefix), shares[k].share) < 0)
                                                return -EBADMSG;
                                        shares[k].seen = true;
                                }
                        if (g_str_has_prefix(fields[f], "total=")) {
                                char *end;
                                p.total_usec = g_ascii_strtoull(fields[f] + 6, &end, 10);
                                if (end == fields[f] + 6 || *end)
                                        return -EBADMSG;
                                total_seen = true;
                        }
                }
                for (size_t k = 0; k < G_N_ELEMENTS(shares); k++)
                        if (!shares[k].seen)
                                return -EBADMSG;
                if (!total_seen)
                        return -EBADMSG;
                *ret = p;
                return 0;
        }
        return -EBADMSG;
}
