/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lpmaint ring check: runs the ring's health checks now (RunHealthChecks)
 * and prints how each ended; a failed one keeps the reboot plan's
 * health-checks gate closed until a run passes. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "bus.h"
#include "format.h"
#include "humanize.h"
#include "json.h"
#include "log.h"
#include "lpmaint.h"
#include "macro.h"
#include "table.h"

static int print_results(sd_bus_message *reply, bool *ret_failed) {
        char span[FORMAT_DURATION_MAX];
        g_autoptr(Table) t = table_new(3);
        JsonWriter w;
        const char *name, *detail;
        int passed, exit_status, r;
        uint64_t started, duration;
        size_t n = 0;

        *ret_failed = false;
        if (arg_json) {
                json_writer_init(&w, stdout, false);
                json_begin_object(&w);
                json_key(&w, "health_checks");
                json_begin_array(&w);
        } else {
                table_add(t, "NAME");
                table_add(t, "RESULT");
                table_add(t, "DETAIL");
        }
        r = sd_bus_message_enter_container(reply, 'a', "(sbistt)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(sbistt)", &name, &passed, &exit_status, &detail,
                                                  &started, &duration)) > 0) {
                n++;
                *ret_failed = *ret_failed || !passed;
                if (arg_json) {
                        json_begin_object(&w);
                        json_field_string(&w, "name", name);
                        json_field_bool(&w, "passed", passed);
                        json_key(&w, "exit_status");
                        json_int(&w, exit_status);
                        json_field_string(&w, "detail", detail);
                        json_field_uint(&w, "started_usec", started);
                        json_field_uint(&w, "duration_usec", duration);
                        json_end_object(&w);
                        continue;
                }
                g_autofree char *result = g_strdup_printf("%s (%s)", passed ? "passed" : "FAILED",
                                                          format_duration(span, sizeof span, duration));
                table_add(t, name);
                table_add(t, result);
                table_add(t, detail);
        }
        if (r < 0)
                return r;
        if (arg_json) {
                json_end_array(&w);
                json_end_object(&w);
                return json_writer_finish(&w);
        }
        if (n == 0) {
                puts("The ring has no health checks (HealthChecks= in its [Ring] group).");
                return 0;
        }
        return table_print(t, stdout);
}

static int verb_ring_check(void) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        bool failed;
        int r;

        r = acquire_bus(&bus);
        if (r != 0)
                return r;
        /* Privileged: the checks may run for their TimeoutSec= each. */
        r = bus_call(bus, LPMAINT_OBJECT_PATH, LPMAINT_MANAGER_INTERFACE, "RunHealthChecks", CALL_PRIVILEGED, true,
                     &reply, &error, NULL);
        if (r < 0)
                return log_bus_error(&error, r, "Failed to run the ring's health checks");
        r = print_results(reply, &failed);
        if (r < 0)
                return log_errno(LPMAINT_EXIT_FAILED, r, "Failed to read the health checks' results");
        if (failed)
                return log_error(LPMAINT_EXIT_FAILED, "A health check failed: the reboot plan's health-checks gate stays closed.");
        return LPMAINT_EXIT_SUCCESS;
}

int verb_ring_or_check(int argc, char *argv[], void *userdata) {
        if (argc < 2)
                return verb_ring(argc, argv, userdata);
        if (strcmp(argv[1], "check") != 0)
                return log_usage("Unknown ring command \"%s\": use 'ring' or 'ring check'.", argv[1]);
        return verb_ring_check();
}
