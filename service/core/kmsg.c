/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>
#include <glib.h>

#include "kmsg.h"
#include "string-table.h"

static const char *const kmsg_event_table[_KMSG_EVENT_MAX] = {
        [KMSG_EVENT_NONE] = "none",
        [KMSG_EVENT_OOPS] = "oops",
        [KMSG_EVENT_BUG] = "bug",
        [KMSG_EVENT_WARNING] = "warning",
        [KMSG_EVENT_CALL_TRACE] = "call-trace",
        [KMSG_EVENT_SOFT_LOCKUP] = "soft-lockup",
        [KMSG_EVENT_HARD_LOCKUP] = "hard-lockup",
        [KMSG_EVENT_LIVEPATCH] = "livepatch",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(kmsg_event, KmsgEvent);

int kmsg_parse_record(const char *buf, size_t len, KmsgRecord *ret) {
        const char *semi = memchr(buf, ';', len);
        if (!semi)
                return -EBADMSG;

        /* The prefix is comma separated: priority, sequence, timestamp, flags, [more]. */
        g_autofree char *prefix = g_strndup(buf, (gsize) (semi - buf));
        g_auto(GStrv) fields = g_strsplit(prefix, ",", 5);
        if (g_strv_length(fields) < 4)
                return -EBADMSG;
        for (int i = 0; i < 3; i++)
                if (!fields[i][0] || strspn(fields[i], "0123456789") != strlen(fields[i]))
                        return -EBADMSG;

        const char *msg = semi + 1;
        size_t n = len - (size_t) (msg - buf);
        /* The message ends at its newline; continuation lines (" KEY=VALUE") follow it. */
        const char *nl = memchr(msg, '\n', n);
        if (nl)
                n = (size_t) (nl - msg);

        *ret = (KmsgRecord) {
                .seq = g_ascii_strtoull(fields[1], NULL, 10),
                .timestamp_usec = g_ascii_strtoull(fields[2], NULL, 10),
                .message = msg,
                .message_len = n,
        };
        return 0;
}

static bool has(const char *msg, size_t len, const char *needle) {
        size_t n = strlen(needle);
        for (size_t i = 0; i + n <= len; i++)
                if (memcmp(msg + i, needle, n) == 0)
                        return true;
        return false;
}

static bool starts(const char *msg, size_t len, const char *prefix) {
        size_t n = strlen(prefix);
        return len >= n && memcmp(msg, prefix, n) == 0;
}

KmsgEvent kmsg_classify(const char *msg, size_t len) {
        /* The kernel's own wording (kernel/panic.c, lib/bug.c, kernel/watchdog*.c,
         * arch/x86/kernel/dumpstack.c, kernel/livepatch/). */
        if (starts(msg, len, "livepatch: "))
                return KMSG_EVENT_LIVEPATCH;
        if (has(msg, len, "soft lockup - CPU#"))
                return KMSG_EVENT_SOFT_LOCKUP;
        if (has(msg, len, "Watchdog detected hard LOCKUP") || has(msg, len, "hard LOCKUP"))
                return KMSG_EVENT_HARD_LOCKUP;
        if (starts(msg, len, "Oops: ") || has(msg, len, "] Oops: ") || starts(msg, len, "general protection fault"))
                return KMSG_EVENT_OOPS;
        if (starts(msg, len, "BUG: ") || starts(msg, len, "kernel BUG at "))
                return KMSG_EVENT_BUG;
        if (starts(msg, len, "WARNING: "))
                return KMSG_EVENT_WARNING;
        if (starts(msg, len, "Call Trace:"))
                return KMSG_EVENT_CALL_TRACE;
        return KMSG_EVENT_NONE;
}

bool kmsg_event_is_trouble(KmsgEvent e) {
        /* A call trace follows an oops, a BUG or a warning, which are counted
         * themselves; counting it too would count one event twice. */
        return e != KMSG_EVENT_NONE && e != KMSG_EVENT_LIVEPATCH && e != KMSG_EVENT_CALL_TRACE;
}
