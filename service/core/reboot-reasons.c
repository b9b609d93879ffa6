/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdbool.h>

#include "reboot-reasons.h"

static void reboot_reason_clear(RebootReason *r) {
        g_free(r->code);
        g_free(r->text);
}

GArray *reboot_reasons_new(void) {
        GArray *a = g_array_new(false, true, sizeof(RebootReason));
        g_array_set_clear_func(a, (GDestroyNotify) reboot_reason_clear);
        return a;
}

void reboot_reasons_add(GArray *reasons, const char *code, uint64_t since_usec, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        RebootReason r = { .code = g_strdup(code), .text = g_strdup_vprintf(fmt, ap), .since_usec = since_usec };
        va_end(ap);
        g_array_append_val(reasons, r);
}
