/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lpmaint reboot status | plan: whether and why this host needs a reboot,
 * and what a planned reboot would wait for now. */
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bus.h"
#include "format.h"
#include "json.h"
#include "log.h"
#include "lpmaint.h"
#include "macro.h"
#include "manager-props.h"
#include "table.h"

static int read_reasons(sd_bus *bus, RebootReasonList *out, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r = sd_bus_get_property(bus, LPMAINT_BUS_NAME, LPMAINT_MANAGER_PATH, LPMAINT_MANAGER_INTERFACE,
                                    "RebootReasons", error, &m, "a(sst)");
        return r < 0 ? r : prop_parse_reboot_reasons(m, out);
}

static int reboot_status(sd_bus *bus, sd_bus_error *error) {
        _cleanup_(reboot_reason_list_clear) RebootReasonList reasons = {};
        g_autofree char *calendar = NULL;
        uint64_t coverage = 0, window = 0;
        char ts[FORMAT_TIMESTAMP_MAX], span[FORMAT_TIMESPAN_MAX];
        int r;

        if ((r = read_reasons(bus, &reasons, error)) < 0 ||
            (r = sd_bus_get_property_trivial(bus, LPMAINT_BUS_NAME, LPMAINT_MANAGER_PATH, LPMAINT_MANAGER_INTERFACE,
                                             "CoverageEndsUSec", error, 't', &coverage)) < 0 ||
            (r = sd_bus_get_property_trivial(bus, LPMAINT_BUS_NAME, LPMAINT_MANAGER_PATH, LPMAINT_MANAGER_INTERFACE,
                                             "RebootWindowUSec", error, 't', &window)) < 0 ||
            (r = sd_bus_get_property_string(bus, LPMAINT_BUS_NAME, LPMAINT_MANAGER_PATH, LPMAINT_MANAGER_INTERFACE,
                                            "RebootCalendar", error, &calendar)) < 0)
                return r;

        if (arg_json) {
                JsonWriter w;
                json_writer_init(&w, stdout, isatty(STDOUT_FILENO));
                json_begin_object(&w);
                json_field_bool(&w, "reboot_required", reasons.n > 0);
                json_key(&w, "reasons");
                json_begin_array(&w);
                for (size_t i = 0; i < reasons.n; i++) {
                        const RebootReasonInfo *x = &reasons.reasons[i];
                        json_begin_object(&w);
                        json_field_string(&w, "code", x->code);
                        json_field_string(&w, "text", x->text);
                        json_field_uint(&w, "since_usec", x->since_usec);
                        json_end_object(&w);
                }
                json_end_array(&w);
                json_field_uint(&w, "coverage_ends_usec", coverage);
                json_field_string(&w, "calendar", calendar);
                json_field_uint(&w, "window_usec", window);
                json_end_object(&w);
                return json_writer_finish(&w);
        }

        printf("Reboot required: %s\n", yes_no(reasons.n > 0));
        for (size_t i = 0; i < reasons.n; i++) {
                const RebootReasonInfo *x = &reasons.reasons[i];
                printf("  %s: %s%s%s\n", x->code, x->text, x->since_usec ? ", since " : "",
                       x->since_usec ? strdash(format_timestamp(ts, sizeof ts, x->since_usec)) : "");
        }
        printf("Live patch coverage ends: %s\n", coverage ? strdash(format_timestamp(ts, sizeof ts, coverage)) : "not known");
        if (calendar[0])
                printf("Reboot waves: %s, window %s\n", calendar, strdash(format_timespan(span, sizeof span, window)));
        else
                puts("Reboot waves: off (no RebootCalendar= for the host's ring)");
        return fflush(stdout) != 0 || ferror(stdout) ? -EIO : 0;
}

static int reboot_plan(sd_bus *bus, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        g_autoptr(Table) t = table_new(3);
        const char *verdict, *name, *detail;
        JsonWriter w;
        int passed, r;

        r = sd_bus_call_method(bus, LPMAINT_BUS_NAME, LPMAINT_MANAGER_PATH, LPMAINT_MANAGER_INTERFACE, "PlanReboot",
                               error, &reply, "");
        if (r >= 0)
                r = sd_bus_message_read(reply, "s", &verdict);
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "(sbs)");
        if (r < 0)
                return r;

        if (arg_json) {
                json_writer_init(&w, stdout, isatty(STDOUT_FILENO));
                json_begin_object(&w);
                json_field_string(&w, "verdict", verdict);
                json_key(&w, "gates");
                json_begin_array(&w);
        } else {
                table_add(t, "GATE");
                table_add(t, "PASSED");
                table_add(t, "WHY");
        }
        while ((r = sd_bus_message_read(reply, "(sbs)", &name, &passed, &detail)) > 0) {
                if (arg_json) {
                        json_begin_object(&w);
                        json_field_string(&w, "gate", name);
                        json_field_bool(&w, "passed", passed);
                        json_field_string(&w, "detail", detail);
                        json_end_object(&w);
                } else {
                        table_add(t, name);
                        table_add(t, yes_no(passed));
                        table_add(t, detail);
                }
        }
        if (r < 0)
                return r;
        if (arg_json) {
                json_end_array(&w);
                json_end_object(&w);
                return json_writer_finish(&w);
        }
        r = table_print(t, stdout);
        if (r < 0)
                return r;
        printf("\nVerdict: %s\n", verdict);
        return fflush(stdout) != 0 || ferror(stdout) ? -EIO : 0;
}

int verb_reboot(int argc, char *argv[]) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        if (!g_str_equal(argv[1], "status") && !g_str_equal(argv[1], "plan"))
                return log_usage("Unknown reboot command \"%s\": use status or plan.", argv[1]);

        r = acquire_bus(&bus);
        if (r != 0)
                return r;
        r = g_str_equal(argv[1], "status") ? reboot_status(bus, &error) : reboot_plan(bus, &error);
        if (r == -EIO)
                return log_errno(LPMAINT_EXIT_FAILED, r, "Failed to write the output");
        if (r < 0)
                return log_bus_error(&error, r, "Failed to read the reboot %s", argv[1]);
        return LPMAINT_EXIT_SUCCESS;
}
