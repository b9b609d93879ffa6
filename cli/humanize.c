/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdio.h>

#include "humanize.h"
#include "macro.h"

static const struct {
        const char *suffix;
        uint64_t usec;
} units[] = {
        { "d",   UINT64_C(24) * 60 * 60 * USEC_PER_SEC },
        { "h",   UINT64_C(60) * 60 * USEC_PER_SEC      },
        { "min", UINT64_C(60) * USEC_PER_SEC           },
        { "s",   USEC_PER_SEC                          },
        { "ms",  USEC_PER_MSEC                         },
        { "us",  UINT64_C(1)                           },
};

/* The largest unit that fits into @usec (> 0). */
static size_t largest_unit(uint64_t usec) {
        size_t i = 0;

        while (i + 1 < ELEMENTSOF(units) && usec < units[i].usec)
                i++;
        return i;
}

const char *format_duration(char *buf, size_t size, uint64_t usec) {
        size_t big, small;
        uint64_t major, minor;
        int k;

        if (size == 0)
                return NULL;
        if (usec == 0) {
                k = snprintf(buf, size, "0");
                return k < 0 || (size_t) k >= size ? NULL : buf;
        }

        /* Rounding to the smaller unit may carry into a larger one (59min
         * 59.6s is 1h): the rounded value is a whole number of the smaller
         * unit, so looking for its largest unit again loses nothing. */
        big = largest_unit(usec);
        small = big + 1 < ELEMENTSOF(units) ? big + 1 : big;
        if (usec <= UINT64_MAX - units[small].usec / 2)
                usec = (usec + units[small].usec / 2) / units[small].usec * units[small].usec;
        big = largest_unit(usec);
        small = big + 1 < ELEMENTSOF(units) ? big + 1 : big;

        major = usec / units[big].usec;
        minor = (usec % units[big].usec) / units[small].usec;
        if (minor == 0 || small == big)
                k = snprintf(buf, size, "%" PRIu64 "%s", major, units[big].suffix);
        else
                k = snprintf(buf, size, "%" PRIu64 "%s %" PRIu64 "%s", major, units[big].suffix, minor,
                             units[small].suffix);
        return k < 0 || (size_t) k >= size ? NULL : buf;
}

const char *plural(uint64_t n, const char *one, const char *many) {
        return n == 1 ? one : many;
}
