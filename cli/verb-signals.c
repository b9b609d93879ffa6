/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lpmaint signals: the health signals lpmaintd judges soaking patches by. */
#include <glib.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "bus.h"
#include "color.h"
#include "format.h"
#include "humanize.h"
#include "json.h"
#include "log.h"
#include "lpmaint.h"
#include "macro.h"
#include "props.h"
#include "table.h"
#include "terminal.h"

/* A rate needs a log at least this old: extrapolated from a few seconds, one
 * warning would read as hundreds per hour. */
#define RATE_MIN_SPAN_USEC (UINT64_C(3600) * 1000000)

typedef struct PressureRow {
        char *resource;
        uint32_t avg10, avg60, avg300;
        uint64_t total_usec;
} PressureRow;

typedef struct EventCount {
        char *event;
        uint64_t count;
} EventCount;

typedef struct CheckRow {
        char *name;
        int passed;
        int32_t exit_status;
        char *detail;
        uint64_t started_usec, duration_usec;
} CheckRow;

typedef struct BootRow {
        char *boot_id, *kernel, *end, *reason;
        uint64_t booted_usec, ended_usec;
} BootRow;

typedef struct Signals {
        uint64_t tainted, oops_count, warn_count;
        GArray *pressure;       /* PressureRow */
        uint64_t log_since_usec;
        GArray *events;         /* EventCount */
        GArray *checks;         /* CheckRow */
        GArray *boots;          /* BootRow */
} Signals;

static void pressure_row_clear(PressureRow *r) { g_free(r->resource); }
static void event_count_clear(EventCount *e) { g_free(e->event); }
static void check_row_clear(CheckRow *c) { g_free(c->name); g_free(c->detail); }
static void boot_row_clear(BootRow *b) { g_free(b->boot_id); g_free(b->kernel); g_free(b->end); g_free(b->reason); }

static GArray *array_new(size_t size, GDestroyNotify clear) {
        GArray *a = g_array_new(false, true, (guint) size);
        g_array_set_clear_func(a, clear);
        return a;
}

static void signals_clear(Signals *s) {
        g_clear_pointer(&s->pressure, g_array_unref);
        g_clear_pointer(&s->events, g_array_unref);
        g_clear_pointer(&s->checks, g_array_unref);
        g_clear_pointer(&s->boots, g_array_unref);
}

static int parse_pressure(sd_bus_message *m, void *field) {
        GArray *out = *(GArray **) field;
        PressureRow row;
        const char *res;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "(suuut)");
        while (r >= 0 && (r = sd_bus_message_read(m, "(suuut)", &res, &row.avg10, &row.avg60, &row.avg300, &row.total_usec)) > 0) {
                row.resource = g_strdup(res);
                g_array_append_val(out, row);
        }
        return r < 0 ? r : sd_bus_message_exit_container(m);
}

/* Fills two fields, the oldest record's time and the counts: mapped at offset 0. */
static int parse_log_events(sd_bus_message *m, void *field) {
        Signals *s = field;
        const char *event;
        uint64_t count;
        int r;

        r = sd_bus_message_enter_container(m, 'r', "ta(st)");
        if (r >= 0)
                r = sd_bus_message_read(m, "t", &s->log_since_usec);
        if (r >= 0)
                r = sd_bus_message_enter_container(m, 'a', "(st)");
        while (r >= 0 && (r = sd_bus_message_read(m, "(st)", &event, &count)) > 0) {
                EventCount e = { .event = g_strdup(event), .count = count };
                g_array_append_val(s->events, e);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        return r < 0 ? r : sd_bus_message_exit_container(m);
}

static int parse_checks(sd_bus_message *m, void *field) {
        GArray *out = *(GArray **) field;
        const char *name, *detail;
        CheckRow c;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "(sbistt)");
        while (r >= 0 && (r = sd_bus_message_read(m, "(sbistt)", &name, &c.passed, &c.exit_status, &detail,
                                                  &c.started_usec, &c.duration_usec)) > 0) {
                c.name = g_strdup(name);
                c.detail = g_strdup(detail);
                g_array_append_val(out, c);
        }
        return r < 0 ? r : sd_bus_message_exit_container(m);
}

static int parse_boots(sd_bus_message *m, void *field) {
        GArray *out = *(GArray **) field;
        const char *id, *kernel, *end, *reason;
        BootRow b;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "(ssttss)");
        while (r >= 0 && (r = sd_bus_message_read(m, "(ssttss)", &id, &kernel, &b.booted_usec, &b.ended_usec, &end, &reason)) > 0) {
                b.boot_id = g_strdup(id);
                b.kernel = g_strdup(kernel);
                b.end = g_strdup(end);
                b.reason = g_strdup(reason);
                g_array_append_val(out, b);
        }
        return r < 0 ? r : sd_bus_message_exit_container(m);
}

static const PropertyMap kernel_properties[] = {
        { "Tainted",    "t",      prop_parse_uint64,      offsetof(Signals, tainted)     },
        { "OopsCount",  "t",      prop_parse_uint64,      offsetof(Signals, oops_count)  },
        { "WarnCount",  "t",      prop_parse_uint64,      offsetof(Signals, warn_count)  },
        {}
};

static const PropertyMap signals_properties[] = {
        { "Pressure",        "a(suuut)",  parse_pressure,   offsetof(Signals, pressure) },
        { "KernelLogEvents", "(ta(st))",  parse_log_events, 0                           },
        { "HealthChecks",    "a(sbistt)", parse_checks,     offsetof(Signals, checks)   },
        { "Boots",           "a(ssttss)", parse_boots,      offsetof(Signals, boots)    },
        {}
};

static int read_signals(sd_bus *bus, Signals *s, sd_bus_error *error) {
        s->pressure = array_new(sizeof(PressureRow), (GDestroyNotify) pressure_row_clear);
        s->events = array_new(sizeof(EventCount), (GDestroyNotify) event_count_clear);
        s->checks = array_new(sizeof(CheckRow), (GDestroyNotify) check_row_clear);
        s->boots = array_new(sizeof(BootRow), (GDestroyNotify) boot_row_clear);

        int r = bus_get_all_properties(bus, LPMAINT_OBJECT_PATH, LPMAINT_KERNEL_INTERFACE, kernel_properties, s,
                                       true, error);
        return r < 0 ? r : bus_get_all_properties(bus, LPMAINT_OBJECT_PATH, LPMAINT_SIGNALS_INTERFACE,
                                                  signals_properties, s, true, error);
}

/* An event name as a JSON key: snake_case like every key ("soft-lockup" is soft_lockup). */
static char *json_event_key(const char *event) {
        return g_strdelimit(g_strdup(event), "-", '_');
}

static uint64_t now_usec(void) {
        return (uint64_t) g_get_real_time();
}

static uint64_t log_span(const Signals *s) {
        return now_usec() > s->log_since_usec ? now_usec() - s->log_since_usec : 0;
}

/* Events per hour since the oldest record, in hundredths; false while the
 * log is too young to tell. */
static bool per_hour_hundredths(uint64_t count, uint64_t span, uint64_t *ret) {
        if (span < RATE_MIN_SPAN_USEC)
                return false;
        *ret = (uint64_t) ((double) count * 100.0 * 3600.0 * 1e6 / (double) span + 0.5);
        return true;
}

static int print_json(const Signals *s) {
        JsonWriter w;

        json_writer_init(&w, stdout, stdout_is_terminal());
        json_begin_object(&w);
        json_field_uint(&w, "tainted", s->tainted);
        json_key(&w, "taint_flags");
        json_taint_flags(&w, s->tainted);
        json_field_uint(&w, "oops_count", s->oops_count);
        json_field_uint(&w, "warn_count", s->warn_count);

        json_key(&w, "pressure");
        json_begin_object(&w);
        for (guint i = 0; i < s->pressure->len; i++) {
                const PressureRow *p = &g_array_index(s->pressure, PressureRow, i);
                json_key(&w, p->resource);
                json_begin_object(&w);
                json_key(&w, "avg10");
                json_hundredths(&w, p->avg10);
                json_key(&w, "avg60");
                json_hundredths(&w, p->avg60);
                json_key(&w, "avg300");
                json_hundredths(&w, p->avg300);
                json_field_uint(&w, "total_usec", p->total_usec);
                json_end_object(&w);
        }
        json_end_object(&w);

        json_key(&w, "kernel_log");
        json_begin_object(&w);
        json_field_uint(&w, "since_usec", s->log_since_usec);
        json_key(&w, "events");
        json_begin_object(&w);
        for (guint i = 0; i < s->events->len; i++) {
                const EventCount *e = &g_array_index(s->events, EventCount, i);
                g_autofree char *key = json_event_key(e->event);
                json_field_uint(&w, key, e->count);
        }
        json_end_object(&w);
        json_key(&w, "per_hour");
        json_begin_object(&w);
        for (guint i = 0; i < s->events->len; i++) {
                const EventCount *e = &g_array_index(s->events, EventCount, i);
                g_autofree char *key = json_event_key(e->event);
                uint64_t rate;

                json_key(&w, key);
                if (per_hour_hundredths(e->count, log_span(s), &rate))
                        json_hundredths(&w, rate);
                else
                        json_null(&w);
        }
        json_end_object(&w);
        json_end_object(&w);

        json_key(&w, "health_checks");
        json_begin_array(&w);
        for (guint i = 0; i < s->checks->len; i++) {
                const CheckRow *c = &g_array_index(s->checks, CheckRow, i);
                json_begin_object(&w);
                json_field_string(&w, "name", c->name);
                json_field_bool(&w, "passed", c->passed);
                json_key(&w, "exit_status");
                json_int(&w, c->exit_status);
                json_field_string(&w, "detail", c->detail);
                json_field_uint(&w, "started_usec", c->started_usec);
                json_field_uint(&w, "duration_usec", c->duration_usec);
                json_end_object(&w);
        }
        json_end_array(&w);

        json_key(&w, "boots");
        json_begin_array(&w);
        for (guint i = 0; i < s->boots->len; i++) {
                const BootRow *b = &g_array_index(s->boots, BootRow, i);
                json_begin_object(&w);
                json_field_string(&w, "boot_id", b->boot_id);
                json_field_string(&w, "kernel_release", b->kernel);
                json_field_uint(&w, "booted_usec", b->booted_usec);
                json_field_uint(&w, "ended_usec", b->ended_usec);
                json_field_string(&w, "end", b->end);
                json_field_string(&w, "reason", b->reason);
                json_end_object(&w);
        }
        json_end_array(&w);
        json_end_object(&w);
        return json_writer_finish(&w);
}

#define SHOWN_BOOTS 10

static int print_human(const Signals *s) {
        char t1[FORMAT_TIMESTAMP_MAX], t2[FORMAT_TIMESTAMP_MAX], span[FORMAT_DURATION_MAX];
        uint64_t log_age = log_span(s);
        int r;

        g_autofree char *taint = format_taint(s->tainted);
        printf("Kernel taint: %s\n", taint);
        printf("Oops count: %" PRIu64 "\nWarning count: %" PRIu64 "\n", s->oops_count, s->warn_count);

        if (s->pressure->len == 0)
                puts("Pressure: not available (kernel without PSI)");
        else {
                puts("Pressure (share of time some tasks stalled, avg10 avg60 avg300):");
                for (guint i = 0; i < s->pressure->len; i++) {
                        const PressureRow *p = &g_array_index(s->pressure, PressureRow, i);
                        printf("  %-7s %3u.%02u%% %3u.%02u%% %3u.%02u%%\n", p->resource, p->avg10 / 100, p->avg10 % 100,
                               p->avg60 / 100, p->avg60 % 100, p->avg300 / 100, p->avg300 % 100);
                }
        }

        printf("Kernel log since %s (%s%s):\n", strdash(format_timestamp(t1, sizeof t1, s->log_since_usec)),
               strdash(format_duration(span, sizeof span, log_age)),
               log_age < RATE_MIN_SPAN_USEC ? "; rates per hour once it covers an hour" : "");
        for (guint i = 0; i < s->events->len; i++) {
                const EventCount *e = &g_array_index(s->events, EventCount, i);
                uint64_t rate;
                if (per_hour_hundredths(e->count, log_age, &rate))
                        printf("  %-12s %6" PRIu64 "  (%" PRIu64 ".%02" PRIu64 "/h)\n", e->event, e->count, rate / 100, rate % 100);
                else
                        printf("  %-12s %6" PRIu64 "\n", e->event, e->count);
        }

        if (s->checks->len == 0)
                puts("Health checks: none ran yet");
        else {
                g_autoptr(Table) t = table_new(5);
                puts("Health checks:");
                table_add(t, "NAME");
                table_add(t, "RESULT");
                table_add(t, "DETAIL");
                table_add(t, "STARTED");
                table_add(t, "DURATION");
                for (guint i = 0; i < s->checks->len; i++) {
                        const CheckRow *c = &g_array_index(s->checks, CheckRow, i);
                        table_add(t, c->name);
                        table_add_color(t, c->passed ? "passed" : "FAILED", color_of(c->passed ? "passed" : "failed"));
                        table_add(t, c->detail);
                        table_add(t, format_timestamp(t1, sizeof t1, c->started_usec));
                        table_add(t, format_duration(span, sizeof span, c->duration_usec));
                }
                r = table_print(t, stdout);
                if (r < 0)
                        return r;
        }

        g_autoptr(Table) t = table_new(5);
        guint first = s->boots->len > SHOWN_BOOTS ? s->boots->len - SHOWN_BOOTS : 0;
        printf("Boots (%u recorded%s):\n", s->boots->len, first ? ", the last 10 shown" : "");
        table_add(t, "BOOT ID");
        table_add(t, "KERNEL");
        table_add(t, "BOOTED");
        table_add(t, "ENDED");
        table_add(t, "END");
        for (guint i = first; i < s->boots->len; i++) {
                const BootRow *b = &g_array_index(s->boots, BootRow, i);
                g_autofree char *end = b->reason[0] ? g_strdup_printf("%s: %s", b->end, b->reason) : g_strdup(b->end);
                table_add(t, b->boot_id);
                table_add(t, b->kernel);
                table_add(t, format_timestamp(t1, sizeof t1, b->booted_usec));
                table_add(t, b->ended_usec ? format_timestamp(t2, sizeof t2, b->ended_usec) : NULL);
                table_add(t, end);
        }
        r = table_print(t, stdout);
        if (r < 0)
                return r;
        return fflush(stdout) != 0 || ferror(stdout) ? -EIO : 0;
}

int verb_signals(int argc, char *argv[], void *userdata) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(signals_clear) Signals s = {};
        int r;

        r = acquire_bus(&bus);
        if (r != 0)
                return r;
        r = read_signals(bus, &s, &error);
        if (r < 0)
                return log_bus_error(&error, r, "Failed to read the health signals");

        r = arg_json ? print_json(&s) : print_human(&s);
        if (r < 0)
                return log_errno(LPMAINT_EXIT_FAILED, r, "Failed to write the output");
        return LPMAINT_EXIT_SUCCESS;
}
