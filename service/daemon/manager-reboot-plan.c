/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Gathers the facts a planned reboot depends on (reasons, the wave window
 * systemd's timer keeps, soaks, health checks, logind's inhibitors and
 * users) and explains every gate. Nothing here changes anything. */
#include <errno.h>

#include "bus-util.h"
#include "manager.h"
#include "system-bus-names.h"
#include "reboot-plan.h"
#include "util.h"

#define WAVE_TIMER_PATH "/org/freedesktop/systemd1/unit/lpmaint_2dreboot_2dwave_2etimer"

static char *bus_error_text(const sd_bus_error *e, int r) {
        return g_strdup(e && e->message ? e->message : g_strerror(-r));
}

static void read_window(Manager *m, RebootPlanInput *in, char **ret_error) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;

        in->window_configured = m->config.reboot_calendar && m->config.reboot_calendar[0];
        in->window_usec = m->config.reboot_window_usec;
        if (!in->window_configured)
                return;
        int r = sd_bus_get_property_trivial(caller_query_bus(m->bus), SYSTEMD_DEST, WAVE_TIMER_PATH, "org.freedesktop.systemd1.Timer",
                                            "LastTriggerUSec", &error, 't', &in->window_start_usec);
        if (r < 0)
                *ret_error = bus_error_text(&error, r);
}

static void read_logind(Manager *m, RebootPlanInput *in, GPtrArray *inhibitors, char **ret_error) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autoptr(sd_bus_message) reply = NULL;
        const char *what, *who, *why, *mode;
        uint32_t uid, pid;
        int r;

        r = sd_bus_call_method(caller_query_bus(m->bus), LOGIND_DEST, LOGIND_PATH, LOGIND_MANAGER, "ListInhibitors", &error, &reply, "");
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "(ssssuu)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(ssssuu)", &what, &who, &why, &mode, &uid, &pid)) > 0) {
                g_auto(GStrv) kinds = g_strsplit(what, ":", -1);
                if (g_str_equal(mode, "block") && g_strv_contains((const char * const *) kinds, "shutdown"))
                        g_ptr_array_add(inhibitors, g_strdup_printf("%s: %s", who, why));
        }
        if (r < 0) {
                *ret_error = bus_error_text(&error, r);
                return;
        }

        g_clear_pointer(&reply, sd_bus_message_unref);
        r = sd_bus_call_method(caller_query_bus(m->bus), LOGIND_DEST, LOGIND_PATH, LOGIND_MANAGER, "ListUsers", &error, &reply, "");
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "(uso)");
        const char *name, *path;
        while (r >= 0 && (r = sd_bus_message_read(reply, "(uso)", &uid, &name, &path)) > 0)
                in->logged_in_users++;
        if (r < 0)
                *ret_error = bus_error_text(&error, r);
}

RebootVerdict manager_plan_reboot(Manager *m, GArray *gates) {
        g_autoptr(GArray) reasons = manager_reboot_reasons(m);
        g_autoptr(GPtrArray) failed = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GPtrArray) inhibitors = g_ptr_array_new_with_free_func(g_free);
        g_autofree char *window_error = NULL, *logind_error = NULL;
        RebootPlanInput in = {
                .now_usec = now_realtime_usec(),
                .n_reasons = reasons->len,
                .n_transitions = m->transitioning ? 1 : 0,
                .reboot_with_users = m->config.reboot_with_users,
        };
        GHashTableIter i;
        Patch *p;

        g_hash_table_iter_init(&i, m->patches);
        while (g_hash_table_iter_next(&i, NULL, (void **) &p))
                if (p->soak_state == SOAK_STATE_SOAKING)
                        in.n_soaking++;
        for (size_t k = 0; m->config.ring_health_checks[k]; k++)
                if (manager_health_check_failed(m, m->config.ring_health_checks[k]))
                        g_ptr_array_add(failed, g_strdup(m->config.ring_health_checks[k]));
        g_ptr_array_add(failed, NULL);
        in.failed_health_checks = (char **) failed->pdata;

        read_window(m, &in, &window_error);
        in.window_error = window_error;
        read_logind(m, &in, inhibitors, &logind_error);
        in.logind_error = logind_error;
        g_ptr_array_add(inhibitors, NULL);
        in.block_inhibitors = (char **) inhibitors->pdata;

        return reboot_plan_evaluate(&in, gates);
}
