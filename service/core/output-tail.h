/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* What a command printed last, for a one-line result detail: at most
 * OUTPUT_TAIL_MAX_BYTES of its output are kept while it runs, and of those
 * the last OUTPUT_TAIL_MAX_LINES lines that are not blank. */
#define OUTPUT_TAIL_MAX_BYTES 1024
#define OUTPUT_TAIL_MAX_LINES 4

/* Keeps the last @max bytes of @tail (a buffer of @max bytes holding *@len)
 * after @data is appended. */
void output_tail_append(char *tail, size_t *len, size_t max, const char *data, size_t size);

/* The last OUTPUT_TAIL_MAX_LINES non-blank lines of @buf, each trimmed,
 * joined with " | ", control characters and invalid UTF-8 shown as '?'.
 * "" when there are none. */
char *output_tail_summary(const char *buf, size_t len);
