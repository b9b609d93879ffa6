/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "macro.h"
#include "parse.h"

int parse_uint64(const char *s, uint64_t *ret) {
        unsigned long long v;
        char *end;

        /* strtoull() accepts leading spaces and a minus sign, which wraps. */
        if (!s || *s < '0' || *s > '9')
                return -EINVAL;

        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        if (errno != 0 || *end != 0)
                return -EINVAL;

        *ret = (uint64_t) v;
        return 0;
}

int parse_uint32(const char *s, uint32_t *ret) {
        uint64_t v;
        int r;

        r = parse_uint64(s, &v);
        if (r < 0)
                return r;
        if (v > UINT32_MAX)
                return -ERANGE;

        *ret = (uint32_t) v;
        return 0;
}

static int parse_relative(const char *s, uint64_t now_usec, uint64_t *ret) {
        static const struct { const char *suffix; uint64_t sec; } units[] = {
                { "", 60 }, { "s", 1 }, { "sec", 1 }, { "m", 60 }, { "min", 60 }, { "h", 3600 },
        };
        size_t digits = strspn(s, "0123456789");
        g_autofree char *number = g_strndup(s, digits);
        uint64_t n;

        if (digits == 0 || parse_uint64(number, &n) < 0)
                return -EINVAL;
        for (size_t i = 0; i < G_N_ELEMENTS(units); i++)
                if (strcmp(s + digits, units[i].suffix) == 0) {
                        if (n > REBOOT_TIME_MAX_AHEAD_USEC / USEC_PER_SEC / units[i].sec)
                                return -ERANGE;
                        *ret = now_usec + n * units[i].sec * USEC_PER_SEC;
                        return 0;
                }
        return -EINVAL;
}

int parse_reboot_time(const char *s, uint64_t now_usec, uint64_t *ret) {
        int y, mo, d, h, mi, sec = 0, n = 0;
        g_autoptr(GDateTime) t = NULL;

        if (!s)
                return -EINVAL;
        if (strcmp(s, "now") == 0) {
                *ret = now_usec;
                return 0;
        }
        if (s[0] == '+')
                return parse_relative(s + 1, now_usec, ret);

        g_autoptr(GTimeZone) tz = g_time_zone_new_local();
        if (sscanf(s, "%2d:%2d%n", &h, &mi, &n) == 2 && s[n] == '\0') {
                g_autoptr(GDateTime) now = g_date_time_new_from_unix_local((gint64) (now_usec / USEC_PER_SEC));
                if (!now || h > 23 || mi > 59)
                        return -EINVAL;
                t = g_date_time_new(tz, g_date_time_get_year(now), g_date_time_get_month(now),
                                    g_date_time_get_day_of_month(now), h, mi, 0);
                if (t && (uint64_t) g_date_time_to_unix(t) * USEC_PER_SEC <= now_usec) {
                        GDateTime *tomorrow = g_date_time_add_days(t, 1);
                        g_date_time_unref(t);
                        t = tomorrow;
                }
        } else if ((sscanf(s, "%4d-%2d-%2d %2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) == 6 ||
                    sscanf(s, "%4d-%2d-%2d %2d:%2d%n", &y, &mo, &d, &h, &mi, &n) == 5) && s[n] == '\0')
                t = g_date_time_new(tz, y, mo, d, h, mi, sec);
        else
                return -EINVAL;
        if (!t || g_date_time_to_unix(t) < 0)
                return -EINVAL;
        *ret = (uint64_t) g_date_time_to_unix(t) * USEC_PER_SEC;
        if (*ret < now_usec || *ret > now_usec + REBOOT_TIME_MAX_AHEAD_USEC)
                return -ERANGE;
        return 0;
}

bool patch_name_is_valid(const char *s) {
        size_t n = s ? strlen(s) : 0;

        if (n == 0 || n > 55)
                return false;
        return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

bool reason_is_valid(const char *s) {
        if (!s || strlen(s) > REASON_MAX || !g_utf8_validate(s, -1, NULL))
                return false;
        for (const char *p = s; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        return false;
        return true;
}

/* From lpmaintd's audit records: an authorization's verdict, an operation's
 * result (the Patch's Result values), a soak's verdict, a reboot wave's
 * verdict and the log's own repair. */
const char *const history_results[] = {
        "accepted", "denied", "refused",
        "success", "failed", "transition-timeout", "load-failed", "interrupted", "remove-failed",
        "quarantined", "reapply-failed",
        "healthy",
        "scheduled", "go", "not-required", "outside-window", "blocked",
        "repaired",
        NULL
};

bool history_result_is_known(const char *s) {
        for (size_t i = 0; s && history_results[i]; i++)
                if (strcmp(history_results[i], s) == 0)
                        return true;
        return false;
}
