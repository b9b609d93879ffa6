/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The last result of each of the administrator's health checks, for the
 * HealthChecks property. */
#include "manager.h"

void manager_health_checks_record(Manager *m, GArray *results) {
        if (!m->health_results) {
                m->health_results = g_array_new(false, true, sizeof(HealthCheckResult));
                g_array_set_clear_func(m->health_results, (GDestroyNotify) health_check_result_clear);
        }
        for (guint i = 0; i < results->len; i++) {
                const HealthCheckResult *r = &g_array_index(results, HealthCheckResult, i);
                HealthCheckResult copy = *r;
                copy.name = g_strdup(r->name);
                copy.detail = g_strdup(r->detail);

                guint j;
                for (j = 0; j < m->health_results->len; j++)
                        if (g_str_equal(g_array_index(m->health_results, HealthCheckResult, j).name, r->name))
                                break;
                if (j < m->health_results->len) {
                        health_check_result_clear(&g_array_index(m->health_results, HealthCheckResult, j));
                        g_array_index(m->health_results, HealthCheckResult, j) = copy;
                } else
                        g_array_append_val(m->health_results, copy);
        }
        if (m->bus)
                (void) sd_bus_emit_properties_changed(m->bus, LPMAINT_OBJECT_PATH, LPMAINT_SIGNALS_INTERFACE, "HealthChecks", NULL);
}

bool manager_health_check_failed(Manager *m, const char *name) {
        for (guint i = 0; m->health_results && i < m->health_results->len; i++) {
                const HealthCheckResult *h = &g_array_index(m->health_results, HealthCheckResult, i);
                if (g_str_equal(h->name, name))
                        return !h->passed;
        }
        return false;
}

const GArray *manager_health_results(Manager *m) {
        return m->health_results;
}

void manager_health_free(Manager *m) {
        g_clear_pointer(&m->health_results, g_array_unref);
}
