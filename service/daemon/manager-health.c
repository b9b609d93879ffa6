/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The last result of each of the administrator's health checks, for the
 * HealthChecks property and the reboot plan's health-checks gate, kept in
 * the state directory so that a restart does not open the gate; and runs of
 * the ring's checks that an administrator asks for (RunHealthChecks), which
 * are the one way to close the gate again after the cause is fixed. */
#include "bus-util.h"
#include "errors.h"
#include "log.h"
#include "manager.h"

typedef struct HealthWaiter {
        sd_bus_message *call;
        Caller caller;
        HealthChecksAnswer answer;
} HealthWaiter;

struct HealthMonitor {
        GArray *results;        /* HealthCheckResult, the last of each check */
        HealthRun *run;         /* the run asked for on the bus, if one runs */
        GArray *waiting;        /* HealthWaiter: the calls its end answers */
};

static void waiter_clear(HealthWaiter *w) {
        sd_bus_message_unref(w->call);
        caller_clear(&w->caller);
}

void manager_health_start(Manager *m) {
        m->health = g_new0(HealthMonitor, 1);
        m->health->waiting = g_array_new(false, true, sizeof(HealthWaiter));
        g_array_set_clear_func(m->health->waiting, (GDestroyNotify) waiter_clear);
        int r = health_record_load(m->config.state_directory, &m->health->results);
        if (r < 0) {
                manager_set_aside_damaged(m, "health-checks", "health check results", r);
                m->health->results = health_results_new();
        }
}

void manager_health_free(Manager *m) {
        if (!m->health)
                return;
        health_run_free(m->health->run);
        g_array_unref(m->health->waiting);
        g_array_unref(m->health->results);
        g_clear_pointer(&m->health, g_free);
}

int manager_health_checks_record(Manager *m, GArray *results) {
        GArray *kept = m->health->results;

        for (guint i = 0; i < results->len; i++) {
                const HealthCheckResult *r = &g_array_index(results, HealthCheckResult, i);
                HealthCheckResult copy = *r;
                copy.name = g_strdup(r->name);
                copy.detail = g_strdup(r->detail);

                guint j;
                for (j = 0; j < kept->len; j++)
                        if (g_str_equal(g_array_index(kept, HealthCheckResult, j).name, r->name))
                                break;
                if (j < kept->len) {
                        health_check_result_clear(&g_array_index(kept, HealthCheckResult, j));
                        g_array_index(kept, HealthCheckResult, j) = copy;
                } else
                        g_array_append_val(kept, copy);
        }
        /* An observation, not a change lpmaintd made: it stands in memory if
         * the write fails, and the next run writes it again. */
        int r = health_record_save(kept, m->config.state_directory);
        if (r < 0)
                log_warning("Cannot record the health checks' results, a restart forgets them: %s", g_strerror(-r));
        if (m->bus)
                (void) sd_bus_emit_properties_changed(m->bus, LPMAINT_OBJECT_PATH, LPMAINT_SIGNALS_INTERFACE, "HealthChecks", NULL);
        /* The health-checks gate of the reboot plan may have opened or closed. */
        manager_emit_reboot_changed(m);
        return r;
}

bool manager_health_check_failed(Manager *m, const char *name) {
        for (guint i = 0; i < m->health->results->len; i++) {
                const HealthCheckResult *h = &g_array_index(m->health->results, HealthCheckResult, i);
                if (g_str_equal(h->name, name))
                        return !h->passed;
        }
        return false;
}

const GArray *manager_health_results(Manager *m) {
        return m->health->results;
}

GPtrArray *manager_health_ring_specs(Manager *m) {
        GPtrArray *specs = g_ptr_array_new_with_free_func((GDestroyNotify) health_check_spec_free);
        for (size_t i = 0; m->config.ring_health_checks[i]; i++)
                g_ptr_array_add(specs, health_check_spec_dup(config_health_check(&m->config, m->config.ring_health_checks[i])));
        return specs;
}

static void on_run_done(HealthRun *run, GArray *results, void *userdata) {
        Manager *m = userdata;
        g_autoptr(GString) failed = g_string_new(NULL);
        g_autoptr(GArray) waiting = g_steal_pointer(&m->health->waiting);

        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = manager_health_checks_record(m, results);
        if (r < 0)
                /* A caller is never told results that a restart would forget. */
                (void) bus_error_set_storage(&error, r, "Cannot record the health checks' results");
        for (guint i = 0; i < results->len; i++) {
                const HealthCheckResult *h = &g_array_index(results, HealthCheckResult, i);
                if (!h->passed)
                        g_string_append_printf(failed, "%s%s: %s", failed->len ? "; " : "", h->name, h->detail);
        }
        m->health->waiting = g_array_new(false, true, sizeof(HealthWaiter));
        g_array_set_clear_func(m->health->waiting, (GDestroyNotify) waiter_clear);
        for (guint i = 0; i < waiting->len; i++) {
                HealthWaiter *w = &g_array_index(waiting, HealthWaiter, i);
                _cleanup_bus_error_ sd_bus_error audit_error = SD_BUS_ERROR_NULL;

                if (r < 0)
                        manager_audit_error(m, &w->caller, "run-health-checks", "", "", &error);
                else if (manager_audit(m, &w->caller, "run-health-checks", "", "", failed->len ? "failed" : "success",
                                       failed->str) < 0)
                        /* The results stand (HealthChecks, the record); the caller is not told a
                         * run that the audit log does not hold. */
                        (void) sd_bus_error_set(&audit_error, LPMAINT_ERROR_AUDIT_FAILED,
                                                "The health checks ran, but their audit record could not be written");
                w->answer(m, w->call, results, sd_bus_error_is_set(&audit_error) ? &audit_error : &error);
        }
        m->health->run = NULL;
        health_run_free(run);
}

int manager_health_run_now(Manager *m, sd_bus_message *call, const Caller *caller, HealthChecksAnswer answer,
                           sd_bus_error *error) {
        if (!m->health->run) {
                g_autoptr(GPtrArray) specs = manager_health_ring_specs(m);
                int r = health_run_start(m->event, m->bus, specs, on_run_done, m, &m->health->run);
                if (r < 0)
                        return sd_bus_error_set_errnof(error, r, "Cannot run the ring's health checks: %m");
                log_info("Running the ring's health checks, as uid %u asked.", caller->uid);
        }
        /* A call while a run is on waits for that run's results. */
        HealthWaiter w = {
                .call = sd_bus_message_ref(call),
                .caller = { .uid = caller->uid, .pid = caller->pid, .unit = g_strdup(caller->unit) },
                .answer = answer,
        };
        g_array_append_val(m->health->waiting, w);
        return 0;
}
