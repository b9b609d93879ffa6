/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <syslog.h>
#include <systemd/sd-journal.h>

#include "agent-journal.h"

/* MESSAGE_IDs of the journal records (see the catalog). */
#define SYNC_REFUSED_MESSAGE_ID "5b0320a4a80f476fac9557fdf0d84b74"
#define SYNC_CHANGED_MESSAGE_ID "21563b985871437db574982a122dd5db"

void agent_journal_refused(const char *channel, uint64_t serial, const char *result, const char *message) {
        (void) sd_journal_send("MESSAGE=Sync from %s refused (%s): %s", channel, result, message,
                               "MESSAGE_ID=" SYNC_REFUSED_MESSAGE_ID,
                               "PRIORITY=%d", LOG_WARNING,
                               "LPMAINT_SYNC_CHANNEL=%s", channel,
                               "LPMAINT_SYNC_SERIAL=%" PRIu64, serial,
                               "LPMAINT_SYNC_RESULT=%s", result,
                               NULL);
}

void agent_journal_changed(const char *channel, uint64_t serial, const char *action, const char *name,
                           const char *version, const char *reason, const char *text) {
        (void) sd_journal_send("MESSAGE=%s (from %s, serial %" PRIu64 ")", text, channel, serial,
                               "MESSAGE_ID=" SYNC_CHANGED_MESSAGE_ID,
                               "PRIORITY=%d", LOG_NOTICE,
                               "LPMAINT_SYNC_CHANNEL=%s", channel,
                               "LPMAINT_SYNC_SERIAL=%" PRIu64, serial,
                               "LPMAINT_SYNC_RESULT=ok",
                               "LPMAINT_ACTION=%s", action,
                               "LPMAINT_PATCH=%s", name,
                               "LPMAINT_VERSION=%s", version,
                               "LPMAINT_SYNC_REASON=%s", reason,
                               NULL);
}
