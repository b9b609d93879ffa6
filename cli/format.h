/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define FORMAT_TIMESTAMP_MAX 64
#define FORMAT_TIMESPAN_MAX 64

/* Realtime usec as local ISO 8601 with the UTC offset,
 * "2026-03-01T14:05:09+01:00". NULL if it cannot be represented. */
const char *format_timestamp(char *buf, size_t size, uint64_t usec);

/* A duration the way people read it, "5min", "1h 30min", "250ms": format_duration(). */
const char *format_timespan(char *buf, size_t size, uint64_t usec);
