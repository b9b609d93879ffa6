/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* What lpmaint-sync reports of its runs: kept, so that `lpmaint status`
 * says when the host last synced and what went wrong. lpmaintd never
 * fetches anything itself. */
#include <string.h>

#include "errors.h"
#include "log.h"
#include "manager.h"
#include "util.h"

void manager_sync_start(Manager *m) {
        sync_status_init(&m->sync_status);
        int r = sync_status_load(m->config.state_directory, &m->sync_status);
        if (r < 0)
                manager_set_aside_damaged(m, "sync-status", "sync status", r);
}

void manager_sync_free(Manager *m) {
        sync_status_clear(&m->sync_status);
}

int manager_sync_report(Manager *m, const SyncReport *report, sd_bus_error *error) {
        SyncStatus next;

        /* Written before it is shown: what the bus says survives a restart. */
        sync_status_init(&next);
        memcpy(next.errors, m->sync_status.errors, sizeof next.errors);
        sync_status_note(&next, &m->sync_status.last_success);
        sync_status_note(&next, report);
        int r = sync_status_save(&next, m->config.state_directory);
        if (r < 0) {
                sync_status_clear(&next);
                return bus_error_set_storage(error, r, "Cannot record the sync status");
        }
        sync_status_clear(&m->sync_status);
        m->sync_status = next;
        if (!sync_result_is_success(report->result))
                log_notice("lpmaint-sync reports %s for %s: %s", report->result, report->channel, report->message);
        if (m->bus)
                (void) sd_bus_emit_properties_changed(m->bus, LPMAINT_OBJECT_PATH, LPMAINT_MANAGER_INTERFACE,
                                                      "SyncStatus", "SyncErrors", NULL);
        return 0;
}
