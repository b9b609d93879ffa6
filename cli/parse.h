/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Decimal unsigned integers only: no sign, no spaces, no trailing garbage.
 * -EINVAL if malformed, -ERANGE if too large. */
int parse_uint64(const char *s, uint64_t *ret);
int parse_uint32(const char *s, uint32_t *ret);

/* A reboot time as shutdown(8) and people write it, relative to @now_usec
 * (realtime): "now", "+MINUTES", "+N" with a unit (s, min, h), "HH:MM" (the
 * next such local time) or "YYYY-MM-DD HH:MM[:SS]" (local time). -EINVAL if
 * malformed; -ERANGE if in the past or more than REBOOT_TIME_MAX_AHEAD_USEC
 * ahead, which lpmaintd refuses. */
#define REBOOT_TIME_MAX_AHEAD_USEC (UINT64_C(366) * 24 * 3600 * 1000000)
int parse_reboot_time(const char *s, uint64_t now_usec, uint64_t *ret);

/* A duration as journalctl and systemd.time(7) write it: "2h", "1h 30min",
 * "90s", "1d", "2 weeks"; a number without a unit is seconds. */
int parse_timespan(const char *s, uint64_t *ret);

/* A point in time as journalctl's --since= takes it, relative to @now_usec
 * (realtime): "now", "today", "yesterday", "tomorrow" (local midnight),
 * "-SPAN", "+SPAN", "SPAN ago" (SPAN as for parse_timespan()), "@SECONDS"
 * (since the epoch), "YYYY-MM-DD" (its local midnight), "YYYY-MM-DD
 * HH:MM[:SS]" (also with a T), "HH:MM[:SS]" (today, local time), or bare
 * digits: realtime microseconds. -EINVAL if malformed, -ERANGE if out of range. */
int parse_timestamp(const char *s, uint64_t now_usec, uint64_t *ret);

/* What lpmaintd takes as a patch name (the kernel module's name): lower
 * case letters, digits and '_', at most 55 characters. */
bool patch_name_is_valid(const char *s);

/* What lpmaintd takes as --reason=: printable UTF-8, at most REASON_MAX bytes. */
#define REASON_MAX 512
bool reason_is_valid(const char *s);

/* The results lpmaintd writes into audit records, NULL-terminated: what
 * history --result= can match. */
extern const char *const history_results[];
bool history_result_is_known(const char *s);
