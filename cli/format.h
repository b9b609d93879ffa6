/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define FORMAT_TIMESTAMP_MAX 64

/* Realtime usec as local RFC 3339 with the UTC offset,
 * "2026-03-01T14:05:09+01:00". NULL if it cannot be represented. Every time
 * lpmaint prints for people goes through this. */
const char *format_timestamp(char *buf, size_t size, uint64_t usec);

/* How long from @now_usec until @then_usec, as format_duration() rounds it
 * ("1h 2min", "5min 3s"), or "0" once it has passed. */
const char *format_time_left(char *buf, size_t size, uint64_t then_usec, uint64_t now_usec);

/* A taint mask the one way lpmaint prints it: the kernel's letters, lowest
 * bit first, then the mask, "O E K (45056)"; "none (0)" when untainted.
 * g_free() the result. */
char *format_taint(uint64_t mask);

/* The taint letters of @mask apart, "O E", "" for none. g_free() the result. */
char *format_taint_letters(uint64_t mask);

/* An operation and its result in one phrase, so that neither reads alone:
 * "apply: success", "disable: transition-timeout", "apply: running" while
 * the result is still empty; NULL without an operation. g_free() it. */
char *format_operation_result(const char *operation, const char *result);

/* One "KEY: VALUE" line of a view of one thing (status, show), keys
 * right-aligned as hostnamectl does; a NULL or empty value is "-". An empty
 * key continues the previous line's value. */
#define FIELD_KEY_WIDTH 20
void print_field(const char *key, const char *value);

/* @s cut to at most @width characters, ending in an ellipsis when cut. g_free() it. */
char *ellipsize(const char *s, size_t width);
