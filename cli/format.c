/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "format.h"
#include "humanize.h"
#include "macro.h"

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

const char *format_timespan(char *buf, size_t size, uint64_t usec) {
        /* One way to show a duration: rounded for people (humanize.c). */
        return format_duration(buf, size, usec);
}
