/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

/* Decimal unsigned integers only: no sign, no spaces, no trailing garbage.
 * -EINVAL if malformed, -ERANGE if too large. */
int parse_uint64(const char *s, uint64_t *ret);
int parse_uint32(const char *s, uint32_t *ret);
