/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lpmaint reboot status | plan: whether and why this host needs a reboot,
 * and what a planned reboot would wait for now; the other reboot commands
 * are in reboot-actions.c. */
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
#include "props.h"
#include "reboot-actions.h"

typedef struct RebootInfo {
        RebootReasonList reasons;
        uint64_t coverage_usec;
        char *calendar;
        uint64_t window_usec;
        uint64_t delay_usec;
        char **hooks;
        char *wave_state;
        uint64_t scheduled_usec;
        char *scheduled_by;
        uint64_t next_window_usec;
        char *fleet_lock_url;
        char *fleet_lock_group;
        bool fleet_lock_held;
} RebootInfo;

static void reboot_info_clear(RebootInfo *i) {
        reboot_reason_list_clear(&i->reasons);
        g_free(i->calendar);
        g_strfreev(i->hooks);
        g_free(i->wave_state);
        g_free(i->scheduled_by);
        g_free(i->fleet_lock_url);
        g_free(i->fleet_lock_group);
}

static const PropertyMap reboot_map[] = {
        { "RebootReasons",        "a(sst)", prop_parse_reboot_reasons, offsetof(RebootInfo, reasons)          },
        { "CoverageEndsUSec",     "t",      prop_parse_uint64,         offsetof(RebootInfo, coverage_usec)    },
        { "RebootCalendar",       "s",      prop_parse_string,         offsetof(RebootInfo, calendar)         },
        { "RebootWindowUSec",     "t",      prop_parse_uint64,         offsetof(RebootInfo, window_usec)      },
        { "RebootDelayUSec",      "t",      prop_parse_uint64,         offsetof(RebootInfo, delay_usec)       },
        { "PreRebootHooks",       "as",     prop_parse_strv,           offsetof(RebootInfo, hooks)            },
        { "WaveState",            "s",      prop_parse_string,         offsetof(RebootInfo, wave_state)       },
        { "ScheduledRebootUSec",  "t",      prop_parse_uint64,         offsetof(RebootInfo, scheduled_usec)   },
        { "ScheduledRebootBy",    "s",      prop_parse_string,         offsetof(RebootInfo, scheduled_by)     },
        { "NextRebootWindowUSec", "t",      prop_parse_uint64,         offsetof(RebootInfo, next_window_usec) },
        { "FleetLockURL",         "s",      prop_parse_string,         offsetof(RebootInfo, fleet_lock_url)   },
        { "FleetLockGroup",       "s",      prop_parse_string,         offsetof(RebootInfo, fleet_lock_group) },
        { "FleetLockHeld",        "b",      prop_parse_bool,           offsetof(RebootInfo, fleet_lock_held)  },
        {}
};

static int json_reboot_status(const RebootInfo *i) {
        JsonWriter w;

        json_writer_init(&w, stdout, isatty(STDOUT_FILENO));
        json_begin_object(&w);
        json_field_bool(&w, "reboot_required", i->reasons.n > 0);
        json_key(&w, "reasons");
        json_begin_array(&w);
        for (size_t k = 0; k < i->reasons.n; k++) {
                const RebootReasonInfo *x = &i->reasons.reasons[k];
                json_begin_object(&w);
                json_field_string(&w, "code", x->code);
                json_field_string(&w, "text", x->text);
                json_field_uint(&w, "since_usec", x->since_usec);
                json_end_object(&w);
        }
        json_end_array(&w);
        json_field_uint(&w, "coverage_ends_usec", i->coverage_usec);
        json_field_string(&w, "calendar", i->calendar ?: "");
        json_field_uint(&w, "window_usec", i->window_usec);
        json_field_uint(&w, "delay_usec", i->delay_usec);
        json_key(&w, "pre_reboot_hooks");
        json_begin_array(&w);
        for (size_t k = 0; i->hooks && i->hooks[k]; k++)
                json_string(&w, i->hooks[k]);
        json_end_array(&w);
        json_field_string(&w, "wave_state", i->wave_state ?: "");
        json_field_uint(&w, "scheduled_usec", i->scheduled_usec);
        json_field_string(&w, "scheduled_by", i->scheduled_by ?: "");
        json_field_uint(&w, "next_window_usec", i->next_window_usec);
        json_field_string(&w, "fleet_lock_url", i->fleet_lock_url ?: "");
        json_field_string(&w, "fleet_lock_group", i->fleet_lock_group ?: "");
        json_field_bool(&w, "fleet_lock_held", i->fleet_lock_held);
        json_end_object(&w);
        return json_writer_finish(&w);
}

static int reboot_status(sd_bus *bus, sd_bus_error *error) {
        _cleanup_(reboot_info_clear) RebootInfo i = {};
        char ts[FORMAT_TIMESTAMP_MAX], span[FORMAT_TIMESPAN_MAX];
        int r;

        r = bus_get_all_properties(bus, LPMAINT_MANAGER_INTERFACE, reboot_map, &i, error);
        if (r < 0)
                return r;
        if (arg_json)
                return json_reboot_status(&i);

        printf("Reboot required: %s\n", yes_no(i.reasons.n > 0));
        for (size_t k = 0; k < i.reasons.n; k++) {
                const RebootReasonInfo *x = &i.reasons.reasons[k];
                printf("  %s: %s%s%s\n", x->code, x->text, x->since_usec ? ", since " : "",
                       x->since_usec ? strdash(format_timestamp(ts, sizeof ts, x->since_usec)) : "");
        }
        printf("Live patch coverage ends: %s\n", i.coverage_usec ? strdash(format_timestamp(ts, sizeof ts, i.coverage_usec)) : "not known");
        if (i.calendar && i.calendar[0]) {
                printf("Reboot waves: %s, window %s", i.calendar, strdash(format_timespan(span, sizeof span, i.window_usec)));
                printf(", reboot %s after the decision\n", strdash(format_timespan(span, sizeof span, i.delay_usec)));
                printf("Next window: %s\n", i.next_window_usec ? strdash(format_timestamp(ts, sizeof ts, i.next_window_usec)) :
                       "not known (is lpmaint-reboot-wave.timer running?)");
        } else
                puts("Reboot waves: off (no RebootCalendar= for the host's ring)");
        if (i.hooks && i.hooks[0]) {
                g_autofree char *hooks = g_strjoinv(" ", i.hooks);
                printf("Pre-reboot hooks: %s\n", hooks);
        }
        printf("Wave: %s\n", i.wave_state && i.wave_state[0] ? i.wave_state : "none open");
        if (i.scheduled_usec)
                printf("Scheduled reboot: %s (by %s)\n", strdash(format_timestamp(ts, sizeof ts, i.scheduled_usec)), i.scheduled_by);
        if (i.fleet_lock_url && i.fleet_lock_url[0])
                printf("Fleet lock: %s, group %s, %s\n", i.fleet_lock_url, i.fleet_lock_group, i.fleet_lock_held ? "held" : "not held");
        else if (i.fleet_lock_held)
                puts("Fleet lock: held (no FleetLockURL= any more)");
        return fflush(stdout) != 0 || ferror(stdout) ? -EIO : 0;
}

static int reboot_plan(sd_bus *bus, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *verdict;
        int r;

        r = sd_bus_call_method(bus, LPMAINT_BUS_NAME, LPMAINT_OBJECT_PATH, LPMAINT_MANAGER_INTERFACE, "PlanReboot",
                               error, &reply, "");
        if (r >= 0)
                r = sd_bus_message_read(reply, "s", &verdict);
        return r < 0 ? r : print_reboot_gates(reply, verdict, false, false);
}

static const char *const reboot_commands[] = { "status", "plan", "wave", "schedule", "request", "cancel", "finish", NULL };

int verb_reboot(int argc, char *argv[]) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *what = argv[1];
        int r;

        if (!g_strv_contains(reboot_commands, what))
                return log_usage("Unknown reboot command \"%s\": use status, plan, wave, schedule, request, cancel or finish.", what);
        if ((argc == 3) != g_str_equal(what, "schedule"))
                return log_usage(argc == 3 ? "Too many arguments for 'reboot %s'." : "'reboot %s' needs a TIME.", what);
        if (arg_json && !g_str_equal(what, "status") && !g_str_equal(what, "plan") && !g_str_equal(what, "wave"))
                return log_usage("--json is not supported by 'reboot %s'.", what);
        if (arg_dry_run && !g_str_equal(what, "wave"))
                return log_usage("--dry-run only applies to 'reboot wave'.");
        if (arg_reason && !g_str_equal(what, "schedule") && !g_str_equal(what, "request"))
                return log_usage("--reason= only applies to 'reboot schedule' and 'reboot request'.");

        r = acquire_bus(&bus);
        if (r != 0)
                return r;
        if (!g_str_equal(what, "status") && !g_str_equal(what, "plan"))
                return reboot_action(bus, argc, argv);
        r = g_str_equal(what, "status") ? reboot_status(bus, &error) : reboot_plan(bus, &error);
        if (r == -EIO)
                return log_errno(LPMAINT_EXIT_FAILED, r, "Failed to write the output");
        if (r < 0)
                return log_bus_error(&error, r, "Failed to read the reboot %s", what);
        return LPMAINT_EXIT_SUCCESS;
}
