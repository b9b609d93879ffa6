/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The host's boots: recorded at start, their end written when lpmaintd is
 * stopped by a system shutdown. */
#include <errno.h>
#include <string.h>

#include "bus-util.h"
#include "log.h"
#include "manager.h"
#include "system-bus-names.h"
#include "util.h"

/* Asked while the system goes down: never hold the shutdown up for long. */
#define SHUTDOWN_QUERY_TIMEOUT_USEC (2 * USEC_PER_SEC)

static void save(Manager *m) {
        int r = boot_log_save(m->boots, m->config.state_directory);
        if (r < 0)
                log_error("Cannot write the boot log: %s", g_strerror(-r));
}

void manager_boots_start(Manager *m) {
        g_autoptr(BootLog) log = NULL;
        uint64_t booted = 0;
        int r;

        r = boot_log_load(m->config.state_directory, &log);
        bool damaged = r < 0;
        if (damaged) {
                manager_set_aside_damaged(m, "boots", "boot log", r);
                log = boot_log_new();
        }
        m->boots = g_steal_pointer(&log);
        (void) kernel_boot_time(m->kernel, &booted);

        const BootRecord *cur = boot_log_current(m->boots);
        bool was_running = cur && g_str_equal(cur->boot_id, m->boot_id) && cur->end == BOOT_END_RUNNING;
        m->new_boot = m->boot_id[0] && boot_log_note_boot(m->boots, m->boot_id, kernel_release(m->kernel), booted);
        if (!m->new_boot) {
                /* A restart after a crash of lpmaintd changes nothing: no write at start-up. */
                if (damaged || (m->boot_id[0] && !was_running))
                        save(m);
                return;
        }
        const BootRecord *prev = boot_log_previous(m->boots);
        if (prev)
                log_info("New boot %s (kernel %s); the previous boot %s (kernel %s) ended: %s%s%s.", m->boot_id,
                         kernel_release(m->kernel), prev->boot_id, prev->kernel_release, boot_end_to_string(prev->end),
                         prev->reason[0] ? ", " : "", prev->reason);
        save(m);
}

/* Whether systemd is taking the system down, and to where. */
static BootEnd shutdown_kind(Manager *m) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autofree char *state = NULL;
        uint64_t old_timeout = 0;

        if (!m->bus)
                return BOOT_END_DAEMON_STOPPED;
        (void) sd_bus_get_method_call_timeout(m->bus, &old_timeout);
        (void) sd_bus_set_method_call_timeout(m->bus, SHUTDOWN_QUERY_TIMEOUT_USEC);

        BootEnd end = BOOT_END_DAEMON_STOPPED;
        char *s = NULL;
        if (sd_bus_get_property_string(m->bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "SystemState", &error, &s) >= 0) {
                state = s;
                if (g_str_equal(state, "stopping"))
                        end = BOOT_END_SHUTDOWN;
        }
        /* A reboot is a start job of reboot.target (or kexec.target) that is queued
         * until everything else has stopped. */
        static const char *const reboot_targets[] = { "reboot.target", "kexec.target", "soft-reboot.target" };
        for (size_t i = 0; end == BOOT_END_SHUTDOWN && i < G_N_ELEMENTS(reboot_targets); i++) {
                g_autoptr(sd_bus_message) reply = NULL;
                const char *unit_path;
                uint32_t job_id = 0;
                const char *job_path;

                sd_bus_error_free(&error);
                if (sd_bus_call_method(m->bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "GetUnit", &error, &reply,
                                       "s", reboot_targets[i]) < 0 ||
                    sd_bus_message_read(reply, "o", &unit_path) < 0)
                        continue;
                g_autofree char *path = g_strdup(unit_path);
                g_clear_pointer(&reply, sd_bus_message_unref);
                sd_bus_error_free(&error);
                if (sd_bus_get_property(m->bus, SYSTEMD_DEST, path, "org.freedesktop.systemd1.Unit", "Job", &error, &reply, "(uo)") >= 0 &&
                    sd_bus_message_read(reply, "(uo)", &job_id, &job_path) >= 0 && job_id != 0)
                        end = BOOT_END_REBOOT;
        }
        (void) sd_bus_set_method_call_timeout(m->bus, old_timeout);
        return end;
}

void manager_boots_stop(Manager *m) {
        if (!m->boots || !m->boot_id[0])
                return;
        g_autofree char *reason = NULL;
        BootEnd end = manager_wave_boot_end(m, shutdown_kind(m), &reason);
        boot_log_note_end(m->boots, m->boot_id, end, now_realtime_usec(), reason);
        save(m);
        log_info("Boot %s: lpmaintd stopping (%s).", m->boot_id, boot_end_to_string(end));
}
