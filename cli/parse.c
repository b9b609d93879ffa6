/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
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

/* One "N UNIT" after another, blanks allowed between and within: "2h",
 * "1h 30min", "90". A number without a unit is seconds, as journalctl reads it. */
int parse_timespan(const char *s, uint64_t *ret) {
        static const struct { const char *unit; uint64_t usec; } units[] = {
                { "us", 1 }, { "usec", 1 },
                { "ms", 1000 }, { "msec", 1000 },
                { "s", USEC_PER_SEC }, { "sec", USEC_PER_SEC }, { "second", USEC_PER_SEC }, { "seconds", USEC_PER_SEC },
                { "m", 60 * USEC_PER_SEC }, { "min", 60 * USEC_PER_SEC }, { "minute", 60 * USEC_PER_SEC },
                { "minutes", 60 * USEC_PER_SEC },
                { "h", 3600 * USEC_PER_SEC }, { "hr", 3600 * USEC_PER_SEC }, { "hour", 3600 * USEC_PER_SEC },
                { "hours", 3600 * USEC_PER_SEC },
                { "d", 86400 * USEC_PER_SEC }, { "day", 86400 * USEC_PER_SEC }, { "days", 86400 * USEC_PER_SEC },
                { "w", 7 * 86400 * USEC_PER_SEC }, { "week", 7 * 86400 * USEC_PER_SEC },
                { "weeks", 7 * 86400 * USEC_PER_SEC },
                /* As systemd counts them: a month and a year on average. */
                { "M", 2629800 * USEC_PER_SEC }, { "month", 2629800 * USEC_PER_SEC },
                { "months", 2629800 * USEC_PER_SEC },
                { "y", 31557600 * USEC_PER_SEC }, { "year", 31557600 * USEC_PER_SEC },
                { "years", 31557600 * USEC_PER_SEC },
        };
        uint64_t total = 0;
        bool any = false;
        const char *p = s;

        if (!s)
                return -EINVAL;
        for (;;) {
                size_t digits, letters;
                uint64_t n, unit = USEC_PER_SEC;
                size_t i;

                p += strspn(p, " \t");
                if (*p == '\0')
                        break;
                digits = strspn(p, "0123456789");
                if (digits == 0 || digits > 18)
                        return digits == 0 ? -EINVAL : -ERANGE;
                g_autofree char *number = g_strndup(p, digits);
                if (parse_uint64(number, &n) < 0)
                        return -EINVAL;
                p += digits;
                p += strspn(p, " \t");
                letters = strspn(p, "abcdefghijklmnopqrstuvwxyzM");
                if (letters > 0) {
                        for (i = 0; i < G_N_ELEMENTS(units); i++)
                                if (strlen(units[i].unit) == letters && strncmp(p, units[i].unit, letters) == 0)
                                        break;
                        if (i == G_N_ELEMENTS(units))
                                return -EINVAL;
                        unit = units[i].usec;
                        p += letters;
                }
                if (n > (UINT64_MAX - total) / unit)
                        return -ERANGE;
                total += n * unit;
                any = true;
        }
        if (!any)
                return -EINVAL;
        *ret = total;
        return 0;
}

/* Local midnight @days_from_today days from the day of @now_usec. */
static int local_midnight(uint64_t now_usec, int days_from_today, uint64_t *ret) {
        g_autoptr(GDateTime) now = g_date_time_new_from_unix_local((gint64) (now_usec / USEC_PER_SEC));
        g_autoptr(GDateTime) midnight = NULL, day = NULL;

        if (!now)
                return -EINVAL;
        midnight = g_date_time_new_local(g_date_time_get_year(now), g_date_time_get_month(now),
                                         g_date_time_get_day_of_month(now), 0, 0, 0);
        if (!midnight)
                return -EINVAL;
        day = g_date_time_add_days(midnight, days_from_today);
        if (!day || g_date_time_to_unix(day) < 0)
                return -ERANGE;
        *ret = (uint64_t) g_date_time_to_unix(day) * USEC_PER_SEC;
        return 0;
}

/* "YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS]" (or with a T), "HH:MM[:SS]" (today), local time. */
static int parse_local_time(const char *s, uint64_t now_usec, uint64_t *ret) {
        int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
        g_autoptr(GDateTime) t = NULL;
        char sep;

        if ((sscanf(s, "%4d-%2d-%2d%c%2d:%2d:%2d%n", &y, &mo, &d, &sep, &h, &mi, &sec, &n) == 7 ||
             (sec = 0, sscanf(s, "%4d-%2d-%2d%c%2d:%2d%n", &y, &mo, &d, &sep, &h, &mi, &n) == 6)) &&
            (sep == ' ' || sep == 'T') && s[n] == '\0')
                ;
        else if (h = mi = sec = 0, sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) == 3 && s[n] == '\0')
                ;
        else if ((sscanf(s, "%2d:%2d:%2d%n", &h, &mi, &sec, &n) == 3 ||
                  (sec = 0, sscanf(s, "%2d:%2d%n", &h, &mi, &n) == 2)) && s[n] == '\0') {
                g_autoptr(GDateTime) now = g_date_time_new_from_unix_local((gint64) (now_usec / USEC_PER_SEC));
                if (!now)
                        return -EINVAL;
                y = g_date_time_get_year(now);
                mo = g_date_time_get_month(now);
                d = g_date_time_get_day_of_month(now);
        } else
                return -EINVAL;

        /* GDateTime would carry 24:00 or 23:60 over into the next hour or day. */
        if (h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59)
                return -EINVAL;
        t = g_date_time_new_local(y, mo, d, h, mi, sec);
        if (!t || g_date_time_get_day_of_month(t) != d)
                return -EINVAL;
        if (g_date_time_to_unix(t) < 0)
                return -ERANGE;
        *ret = (uint64_t) g_date_time_to_unix(t) * USEC_PER_SEC;
        return 0;
}

int parse_timestamp(const char *s, uint64_t now_usec, uint64_t *ret) {
        static const struct { const char *word; int days; } days[] = {
                { "yesterday", -1 }, { "today", 0 }, { "tomorrow", 1 },
        };
        uint64_t v;
        int r;

        if (!s || !*s)
                return -EINVAL;
        if (strcmp(s, "now") == 0) {
                *ret = now_usec;
                return 0;
        }
        for (size_t i = 0; i < G_N_ELEMENTS(days); i++)
                if (strcmp(s, days[i].word) == 0)
                        return local_midnight(now_usec, days[i].days, ret);

        if (s[0] == '@') {
                r = parse_uint64(s + 1, &v);
                if (r < 0)
                        return r;
                if (v > UINT64_MAX / USEC_PER_SEC)
                        return -ERANGE;
                *ret = v * USEC_PER_SEC;
                return 0;
        }

        if (s[0] == '+' || s[0] == '-' || g_str_has_suffix(s, " ago")) {
                bool back = s[0] != '+';
                g_autofree char *span = s[0] == '+' || s[0] == '-' ? g_strdup(s + 1) : g_strndup(s, strlen(s) - 4);

                if (s[0] == '-' && g_str_has_suffix(s, " ago"))
                        return -EINVAL;
                r = parse_timespan(span, &v);
                if (r < 0)
                        return r;
                if (back ? v > now_usec : v > UINT64_MAX - now_usec)
                        return -ERANGE;
                *ret = back ? now_usec - v : now_usec + v;
                return 0;
        }

        /* Bare digits: realtime microseconds, as --since= always took them. */
        if (strspn(s, "0123456789") == strlen(s))
                return parse_uint64(s, ret);

        return parse_local_time(s, now_usec, ret);
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
