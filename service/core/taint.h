/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

/* The kernel's taint flags (Documentation/admin-guide/tainted-kernels.rst):
 * bit, the letter /proc/sys/kernel/tainted's readers print, and a name. */
typedef struct TaintFlag {
        unsigned bit;
        char letter;
        const char *name;
} TaintFlag;

#define TAINT_OOT_MODULE_BIT 12
#define TAINT_LIVEPATCH_BIT 15

/* The flags set in @mask, lowest bit first; bits the table does not know are
 * reported as letter '?' with name "unknown". Returns how many were written
 * (at most 64). */
unsigned taint_decode(uint64_t mask, TaintFlag ret[64]);

/* The mask of the taint letters in @letters ("OE"); -EINVAL for an unknown letter. */
int taint_mask_from_letters(const char *letters, uint64_t *ret);
