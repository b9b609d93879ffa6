/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "errors.h"
#include "log.h"
#include "manager.h"
#include "util.h"

static int append(Manager *m, const Caller *caller, const char *action, const char *patch,
                  const char *sha256, const char *result, const char *message) {
        /* Outcomes of the reboot wave the log could not take come first, in their order. */
        (void) manager_wave_flush(m);
        AuditRecord rec = {
                .time_usec = now_realtime_usec(),
                .uid = caller->uid,
                .pid = caller->pid,
                .unit = caller->unit ?: "",
                .action = action,
                .patch = patch ?: "",
                .sha256 = sha256 ?: "",
                .result = result,
                .message = message ?: "",
        };
        return audit_append(m->audit, &rec);
}

int manager_audit(Manager *m, const Caller *caller, const char *action, const char *patch,
                  const char *sha256, const char *result, const char *message) {
        int r = append(m, caller, action, patch, sha256, result, message);
        if (r < 0)
                /* The journal gets what the file could not take. */
                log_error("Failed to append to the audit log (%s %s by uid %u: %s): %s", action, patch ?: "-",
                          caller->uid, result, g_strerror(-r));
        return r;
}

int manager_audit_accepted(Manager *m, const Caller *caller, const char *action, const char *patch,
                           const char *sha256, const char *message, sd_bus_error *error) {
        int r = manager_audit(m, caller, action, patch, sha256, "accepted", message);
        if (r < 0)
                return sd_bus_error_setf(error, LPMAINT_ERROR_AUDIT_FAILED,
                                         "The audit record of this change cannot be written (%s); nothing was changed",
                                         g_strerror(-r));
        return 0;
}

void manager_audit_error(Manager *m, const Caller *caller, const char *action, const char *patch,
                         const char *sha256, const sd_bus_error *error) {
        bool denied = sd_bus_error_has_name(error, SD_BUS_ERROR_ACCESS_DENIED) ||
                sd_bus_error_has_name(error, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED);
        g_autofree char *msg = g_strdup_printf("%s: %s", error->name ?: "error", error->message ?: "");

        /* A refusal stands whether or not it could be recorded (the failure is logged). */
        if (!denied) {
                (void) manager_audit(m, caller, action, patch, sha256, "refused", msg);
                return;
        }
        /* Nor can a denial wait for the disk: the caller is told AccessDenied
         * anyway. audit_append() gave it to the journal, with its MESSAGE_ID,
         * even though the file did not take it; say which one is missing there. */
        int r = append(m, caller, action, patch, sha256, "denied", msg);
        if (r < 0)
                log_error("Denial not in the audit log: %s %s by uid %u (pid %u, unit %s) was denied, but its record "
                          "cannot be appended to the audit log file: %s; the journal has it.",
                          action, patch ?: "-", caller->uid, caller->pid, caller->unit ?: "-", g_strerror(-r));
}
