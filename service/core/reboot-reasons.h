/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <glib.h>

/* Why this host needs a reboot, as data: each reason has a code, a text
 * for people and the time since when it holds. */
typedef struct RebootReason {
        char *code;
        char *text;
        uint64_t since_usec;
} RebootReason;

GArray *reboot_reasons_new(void);
void reboot_reasons_add(GArray *reasons, const char *code, uint64_t since_usec, const char *fmt, ...) G_GNUC_PRINTF(4, 5);
