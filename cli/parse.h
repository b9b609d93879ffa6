/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

/* Decimal unsigned integers only: no sign, no spaces, no trailing garbage.
 * -EINVAL if malformed, -ERANGE if too large. */
int parse_uint64(const char *s, uint64_t *ret);
int parse_uint32(const char *s, uint32_t *ret);

/* A reboot time as shutdown(8) and people write it, relative to @now_usec
 * (realtime): "now", "+MINUTES", "+N" with a unit (s, min, h), "HH:MM" (the
 * next such local time) or "YYYY-MM-DD HH:MM[:SS]" (local time). */
int parse_reboot_time(const char *s, uint64_t now_usec, uint64_t *ret);
