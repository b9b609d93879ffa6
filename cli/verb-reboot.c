/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lpmaint reboot: its table of commands; status and plan (whether and why
 * this host needs a reboot, and what a planned reboot would wait for now).
 * The commands that change a planned reboot are in reboot-actions.c. */
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bus.h"
#include "format.h"
#include "humanize.h"
#include "json.h"
#include "log.h"
#include "lpmaint.h"
#include "macro.h"
#include "manager-props.h"
#include "props.h"
#include "reboot-actions.h"
#include "terminal.h"

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

        json_writer_init(&w, stdout, stdout_is_terminal());
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
        char ts[FORMAT_TIMESTAMP_MAX], span[FORMAT_DURATION_MAX];
        int r;

        r = bus_get_all_properties(bus, LPMAINT_OBJECT_PATH, LPMAINT_MANAGER_INTERFACE, reboot_map, &i, true,
                                   error);
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
                printf("Reboot waves: %s, window %s", i.calendar, strdash(format_duration(span, sizeof span, i.window_usec)));
                printf(", reboot %s after the decision\n", strdash(format_duration(span, sizeof span, i.delay_usec)));
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

        r = bus_call(bus, LPMAINT_OBJECT_PATH, LPMAINT_MANAGER_INTERFACE, "PlanReboot", CALL_QUERY, true, &reply, error,
                     NULL);
        if (r >= 0)
                r = sd_bus_message_read(reply, "s", &verdict);
        return r < 0 ? r : print_reboot_gates(reply, verdict, false, false);
}

/* reboot status and plan: connect, read, then print. */
static int show(sd_bus **busp, const char *what, int (*read_and_print)(sd_bus *bus, sd_bus_error *error)) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        if ((r = acquire_bus(busp)) != 0)
                return r;
        r = read_and_print(*busp, &error);
        if (r == -EIO)
                return log_errno(LPMAINT_EXIT_FAILED, r, "Failed to write the output");
        if (r < 0)
                return log_bus_error(&error, r, "Failed to read the reboot %s", what);
        return LPMAINT_EXIT_SUCCESS;
}

static int verb_reboot_status(int argc, char *argv[], void *userdata) {
        return show(userdata, argv[0], reboot_status);
}

static int verb_reboot_plan(int argc, char *argv[], void *userdata) {
        return show(userdata, argv[0], reboot_plan);
}

typedef enum RebootFlags {
        REBOOT_JSON    = 1 << 0,  /* takes --json */
        REBOOT_DRY_RUN = 1 << 1,  /* takes --dry-run */
        REBOOT_REASON  = 1 << 2,  /* takes --reason= */
        REBOOT_PAGER   = 1 << 3,  /* long output: through a pager (not while polkit may ask) */
        REBOOT_TABLE   = 1 << 4,  /* prints a table: takes --no-legend */
        REBOOT_QUIET   = 1 << 5,  /* takes --quiet */
} RebootFlags;

/* Each entry's first line is read by tests/completion: keep
 * { "name", min, max, FLAGS, dispatch, on one line. */
const Verb reboot_verbs[] = {
        { "status",   1, 1, REBOOT_JSON | REBOOT_PAGER, verb_reboot_status,
          .help = "Show whether and why the host needs a reboot" },
        { "plan",     1, 1, REBOOT_JSON | REBOOT_PAGER | REBOOT_TABLE, verb_reboot_plan,
          .help = "Explain every gate a planned reboot waits for" },
        { "wave",     1, 1, REBOOT_JSON | REBOOT_DRY_RUN | REBOOT_TABLE, verb_reboot_wave,
          .help = "Run this host's part of a reboot wave: every\n"
                  "gate, the fleet lock, pre-reboot hooks, then a\n"
                  "reboot through logind" },
        { "schedule", 2, 2, REBOOT_REASON | REBOOT_QUIET, verb_reboot_schedule,
          .synopsis = "TIME",
          .help = "Reboot at TIME: now, +MINUTES, +N(s|min|h),\n"
                  "HH:MM or \"YYYY-MM-DD HH:MM[:SS]\"" },
        { "request",  1, 1, REBOOT_REASON | REBOOT_QUIET, verb_reboot_request,
          .help = "Have the next reboot wave reboot this host" },
        { "cancel",   1, 1, REBOOT_QUIET, verb_reboot_cancel,
          .help = "Cancel a scheduled or requested reboot and the\n"
                  "open wave" },
        { "finish",   1, 1, REBOOT_QUIET, verb_reboot_finish,
          .help = "After a planned reboot: release the fleet lock\n"
                  "once the health checks passed" },
        {}
};

/* The commands that take @flag (all with 0) for a message: "a, b or c", or
 * with @quoted "'reboot a' and 'reboot b'". */
static char *list_commands(unsigned flag, bool quoted) {
        g_autoptr(GPtrArray) names = g_ptr_array_new();
        GString *s = g_string_new(NULL);

        for (const Verb *v = reboot_verbs; v->name; v++)
                if (!flag || (v->flags & flag))
                        g_ptr_array_add(names, (char *) v->name);
        for (guint i = 0; i < names->len; i++) {
                if (i > 0)
                        g_string_append(s, i + 1 < names->len ? ", " : quoted ? " and " : " or ");
                g_string_append_printf(s, quoted ? "'reboot %s'" : "%s", (const char *) names->pdata[i]);
        }
        return g_string_free(s, false);
}

int verb_reboot(int argc, char *argv[], void *userdata) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        const Verb *v;

        v = verb_find(reboot_verbs, argv[1]);
        if (!v) {
                g_autofree char *all = list_commands(0, false);
                return log_usage("Unknown reboot command \"%s\": use %s.", argv[1], all);
        }

        /* As the top level does: the command is argv[0] of its verb. */
        argc--;
        argv++;
        if ((unsigned) argc < v->min_args)
                return log_usage("'reboot %s' needs a %s.", v->name, v->synopsis);
        if ((unsigned) argc > v->max_args)
                return log_usage("Too many arguments for 'reboot %s'.", v->name);
        if (arg_json && !(v->flags & REBOOT_JSON))
                return log_usage("--json is not supported by 'reboot %s'.", v->name);
        if (arg_dry_run && !(v->flags & REBOOT_DRY_RUN)) {
                g_autofree char *takers = list_commands(REBOOT_DRY_RUN, true);
                return log_usage("--dry-run only applies to %s.", takers);
        }
        if (arg_reason && !(v->flags & REBOOT_REASON)) {
                g_autofree char *takers = list_commands(REBOOT_REASON, true);
                return log_usage("--reason= only applies to %s.", takers);
        }
        if (!arg_legend && !(v->flags & REBOOT_TABLE)) {
                g_autofree char *takers = list_commands(REBOOT_TABLE, true);
                return log_usage("--no-legend only applies to %s.", takers);
        }
        if (arg_quiet && !(v->flags & REBOOT_QUIET)) {
                g_autofree char *takers = list_commands(REBOOT_QUIET, true);
                return log_usage("--quiet only applies to %s.", takers);
        }

        if (v->flags & REBOOT_PAGER)
                maybe_open_pager();
        return v->dispatch(argc, argv, &bus);
}
