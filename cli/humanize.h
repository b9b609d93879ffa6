/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Text for people rather than programs; no bus, no state, unit-tested
 * (tests/unit/test-humanize.c). */

#define FORMAT_DURATION_MAX 64

/* A duration in its two largest units, rounded to the smaller one:
 * "1min 40s" for 100.103934 s, "2h", "250ms", "0". NULL if @size is too small. */
const char *format_duration(char *buf, size_t size, uint64_t usec);

/* @one or @many, as @n asks: plural(1, "record", "records"). */
const char *plural(uint64_t n, const char *one, const char *many);
