/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "errors.h"
#include "log.h"
#include "manager.h"
#include "store.h"
#include "util.h"
#include "version-store.h"

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        sd_event_source_unref(m->poll_source);
        soak_monitor_free(m->soak);
        record_keeper_free(m->records);
        reapply_plan_free(m->reapply);
        reboot_reason_cache_free(m->reboot_reasons);
        manager_health_free(m);
        manager_wave_free(m);
        manager_sync_free(m);
        polkit_registry_free(m->polkit_registry);
        if (m->patches)
                g_hash_table_destroy(m->patches);
        sd_bus_flush_close_unref(m->bus);
        sd_event_unref(m->event);
        audit_free(m->audit);
        kernel_free(m->kernel);
        config_clear(&m->config);
        g_free(m->config_path);
        g_free(m->config_error);
        g_free(m->patches_dir);
        g_free(m->boot_id);
        boot_log_free(m->boots);
        return g_free(m), NULL;
}

static int load_patches(Manager *m) {
        g_autoptr(GPtrArray) patches = NULL, bad = NULL;
        int r;

        r = store_load_all(m->patches_dir, &patches, &bad);
        if (r < 0)
                return r;
        for (guint i = 0; i < bad->len; i++)
                log_error("Patch record %s cannot be read; it is kept as it is for inspection, ignoring.",
                          (const char *) bad->pdata[i]);
        /* The table owns the patches from here on. */
        g_ptr_array_set_free_func(patches, NULL);
        for (guint i = 0; i < patches->len; i++) {
                Patch *p = patches->pdata[i];
                g_hash_table_replace(m->patches, p->name, p);
        }
        return 0;
}

int manager_new(const char *config_path, const char *sim_root, Manager **ret) {
        g_autoptr(Manager) m = g_new0(Manager, 1);
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        m->config_path = g_strdup(config_path);
        m->config_error = g_strdup("");
        m->patches = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify) patch_free);
        m->polkit_registry = polkit_registry_new();
        m->soak = soak_monitor_new();
        m->reapply = reapply_plan_new();
        m->reboot_reasons = reboot_reason_cache_new();
        m->records = record_keeper_new();

        config_init_defaults(&m->config);
        r = config_load(config_path, &m->config, &error);
        if (r < 0) {
                log_error("%s", error.message);
                return r;
        }

        r = kernel_new(sim_root, &m->kernel);
        if (r < 0) {
                log_error("Cannot read the kernel's state under %s: %s", sim_root ?: "/", g_strerror(-r));
                return r;
        }
        if (kernel_boot_id(m->kernel, &m->boot_id) < 0)
                m->boot_id = g_strdup("");
        g_autofree char *notice = kernel_start_notice(m->kernel);
        if (notice)
                log_warning("%s", notice);
        if (!kernel_livepatch_supported(m->kernel))
                log_warning("The running kernel has no livepatch support; applying patches will be refused.");

        r = store_open(m->config.state_directory, &m->patches_dir);
        if (r < 0) {
                log_error("Cannot open the state directory %s: %s", m->config.state_directory, g_strerror(-r));
                return r;
        }
        r = audit_open(m->config.state_directory, &m->audit);
        if (r == -EBADFD) {
                log_error("The audit log %s/%s is not a regular file (a symbolic link, FIFO or directory?); "
                          "refusing to start.", m->config.state_directory, AUDIT_FILE);
                return r;
        }
        if (r < 0) {
                log_error("Cannot open the audit log in %s: %s", m->config.state_directory, g_strerror(-r));
                return r;
        }
        /* A record torn by a crash, a full disk or an I/O error is cut (and
         * that audited) now; if it cannot be, every append tries again, and
         * changes are refused until one succeeds. */
        r = audit_repair(m->audit);
        if (r < 0)
                log_error("Cannot repair the audit log in %s now (%s); changes are refused until it can be.",
                          m->config.state_directory, g_strerror(-r));
        r = load_patches(m);
        if (r < 0) {
                log_error("Cannot read the patch store %s: %s", m->patches_dir, g_strerror(-r));
                return r;
        }
        /* Damage is told now, not at the first refused apply; it does not stop the start. */
        if (version_store_check(m->config.state_directory, &error) < 0)
                log_error("%s", error.message);
        sd_bus_error_free(&error);
        manager_boots_start(m);
        manager_wave_start(m);
        manager_sync_start(m);
        manager_health_start(m);

        *ret = g_steal_pointer(&m);
        return 0;
}

void manager_set_aside_damaged(Manager *m, const char *file, const char *what, int error) {
        /* Kept aside for a person, never silently dropped. */
        g_autofree char *path = g_build_filename(m->config.state_directory, file, NULL);
        g_autofree char *aside = g_strconcat(path, ".damaged", NULL);
        log_error("The %s %s cannot be read (%s); moved to %s, starting a new one.", what, path, g_strerror(-error), aside);
        (void) rename(path, aside);
}

int manager_start_bus(Manager *m, int (*register_objects)(Manager *m)) {
        int r;

        r = sd_event_default(&m->event);
        if (r < 0)
                return r;
        r = manager_soak_setup(m);
        if (r < 0)
                return r;
        /* Outcomes an earlier run recorded but did not audit come first, in their order. */
        manager_outcome_recover(m);
        /* Reconcile before the name is taken: the first caller sees the truth. */
        manager_reapply_plan(m);
        manager_soak_note_reboot(m);
        manager_reconcile(m);
        manager_reapply_quarantine(m);
        manager_soak_resume(m);

        r = sd_bus_default_system(&m->bus);
        if (r < 0) {
                log_error("Cannot connect to the system bus: %s", g_strerror(-r));
                return r;
        }
        r = register_objects(m);
        if (r < 0) {
                log_error("Cannot register the bus objects: %s", g_strerror(-r));
                return r;
        }
        r = sd_bus_attach_event(m->bus, m->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return r;
        /* Without its bus the daemon can serve nobody; systemd restarts it. */
        r = sd_bus_set_exit_on_disconnect(m->bus, true);
        if (r < 0)
                return r;
        r = sd_bus_request_name(m->bus, LPMAINT_BUS_NAME, 0);
        if (r < 0) {
                log_error("Cannot own the bus name %s: %s", LPMAINT_BUS_NAME, g_strerror(-r));
                return r;
        }
        manager_wave_reconcile(m);
        manager_reapply_next(m);
        return 0;
}

/* ConfigurationError: a failed reload is shown until one succeeds. */
static void set_config_error(Manager *m, const char *message) {
        if (g_str_equal(m->config_error, message))
                return;
        g_free(m->config_error);
        m->config_error = g_strdup(message);
        if (m->bus)
                (void) sd_bus_emit_properties_changed(m->bus, LPMAINT_OBJECT_PATH, LPMAINT_MANAGER_INTERFACE,
                                                      "ConfigurationError", NULL);
}

void manager_reload(Manager *m) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autofree char *state_dir = g_strdup(m->config.state_directory);
        int r;

        r = config_load(m->config_path, &m->config, &error);
        set_config_error(m, r < 0 ? error.message : "");
        if (r < 0) {
                log_error("Reloading the configuration failed, keeping the last good one: %s", error.message);
                return;
        }
        if (!g_str_equal(state_dir, m->config.state_directory)) {
                log_warning("StateDirectory= changes only on restart; keeping %s.", state_dir);
                g_free(m->config.state_directory);
                m->config.state_directory = g_steal_pointer(&state_dir);
        }
        log_info("Configuration reloaded.");
        manager_soak_config_changed(m);
        if (m->bus)
                (void) sd_bus_emit_properties_changed(m->bus, LPMAINT_OBJECT_PATH, LPMAINT_MANAGER_INTERFACE,
                                                      "TransitionTimeoutUSec", "AutomationGroup", "Ring", "RingCriteria", "RingHealthChecks",
                                                      "RebootCalendar", "RebootWindowUSec", "RebootDelayUSec", "PreRebootHooks",
                                                      "FleetLockURL", "FleetLockGroup", "AutomaticRollback", "SyncConfiguration", NULL);
        manager_wave_config_changed(m);
}
