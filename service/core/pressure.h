/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

/* Pressure stall information (Documentation/accounting/psi.rst): the share
 * of time some tasks were stalled on a resource, averaged over 10, 60 and
 * 300 seconds. Shares are kept in hundredths of a percent (0..10000). */

typedef enum PressureResource {
        PRESSURE_CPU,
        PRESSURE_IO,
        PRESSURE_MEMORY,
        _PRESSURE_MAX,
} PressureResource;

typedef struct Pressure {
        unsigned avg10, avg60, avg300; /* "some" line, hundredths of a percent */
        uint64_t total_usec;
} Pressure;

const char *pressure_resource_to_string(PressureResource r);

/* Parses a /proc/pressure/RESOURCE file's "some" line. */
int pressure_parse(const char *text, Pressure *ret);
