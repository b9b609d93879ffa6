/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lpmaint ring: the host's ring, its soak criteria, and each patch's soak. */
#include <glib.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#include "bus.h"
#include "format.h"
#include "humanize.h"
#include "json.h"
#include "log.h"
#include "lpmaint.h"
#include "macro.h"
#include "patch.h"
#include "table.h"
#include "terminal.h"

typedef struct RingInfo {
        char *ring;
        int automatic_rollback;
        GArray *criteria;       /* Criterion */
        char **health_checks;
} RingInfo;

typedef struct Criterion {
        char *name;
        uint64_t value;
} Criterion;

static void criterion_clear(Criterion *c) {
        g_free(c->name);
}

static void ring_info_clear(RingInfo *r) {
        g_free(r->ring);
        g_strfreev(r->health_checks);
        if (r->criteria)
                g_array_unref(r->criteria);
}

/* The bus gives each criterion in its own unit (RingCriteria in
 * org.lpmaint1.Manager.xml); people wrote it in lpmaint.conf's, under
 * another name. Both ways are shown as the configuration spells them. */
typedef enum CriterionKind {
        CRITERION_COUNT,        /* a number, as it is */
        CRITERION_SECONDS,      /* usec on the bus, seconds in the file */
        CRITERION_TAINT,        /* a mask with K on the bus, letters besides K in the file */
        CRITERION_POINTS,       /* hundredths on the bus, percentage points in the file */
} CriterionKind;

static const struct {
        const char *bus;
        const char *config;
        const char *json;
        CriterionKind kind;
} criterion_names[] = {
        { "SoakUSec",            "SoakSec",             "soak_sec",              CRITERION_SECONDS },
        { "MaxNewTaintFlags",    "MaxNewTaintFlags",    "max_new_taint_flags",   CRITERION_COUNT   },
        { "ExpectedTaint",       "AllowedNewTaint",     "allowed_new_taint",     CRITERION_TAINT   },
        { "MaxNewOops",          "MaxNewOops",          "max_new_oops",          CRITERION_COUNT   },
        { "MaxNewWarnings",      "MaxNewWarnings",      "max_new_warnings",      CRITERION_COUNT   },
        { "MaxKernelLogEvents",  "MaxKernelLogEvents",  "max_kernel_log_events", CRITERION_COUNT   },
        { "MaxPressureIncrease", "MaxPressureIncrease", "max_pressure_increase", CRITERION_POINTS  },
};

/* K is expected of every live patch (lpmaint.conf(5), AllowedNewTaint=). */
#define TAINT_LIVEPATCH_MASK (UINT64_C(1) << 15)
/* MaxPressureIncrease=100, which never fails. */
#define PRESSURE_NEVER_FAILS 10000

static int criterion_index(const char *bus_name) {
        for (size_t i = 0; i < ELEMENTSOF(criterion_names); i++)
                if (g_str_equal(criterion_names[i].bus, bus_name))
                        return (int) i;
        return -1;
}

/* A criterion a newer lpmaintd has and this client does not know: its bus
 * name in snake_case, its value as it is. */
static char *snake_case(const char *s) {
        GString *o = g_string_new(NULL);

        for (const char *c = s; *c; c++) {
                if (g_ascii_isupper(*c) && c != s && !g_ascii_isupper(c[-1]))
                        g_string_append_c(o, '_');
                g_string_append_c(o, g_ascii_tolower(*c));
        }
        return g_string_free(o, false);
}

static char *criterion_value(const Criterion *c, int k) {
        char span[FORMAT_DURATION_MAX];

        switch (k < 0 ? CRITERION_COUNT : criterion_names[k].kind) {
        case CRITERION_SECONDS:
                return g_strdup_printf("%" PRIu64 " (%s)", c->value / USEC_PER_SEC,
                                       strdash(format_duration(span, sizeof span, c->value)));
        case CRITERION_TAINT: {
                g_autofree char *letters = format_taint(c->value & ~TAINT_LIVEPATCH_MASK);
                return g_strdup_printf("%s, and K always", letters);
        }
        case CRITERION_POINTS: {
                char fraction[8] = "";

                if (c->value % 100)
                        snprintf(fraction, sizeof fraction, ".%02" PRIu64, c->value % 100);
                return g_strdup_printf("%" PRIu64 "%s%s", c->value / 100, fraction,
                                       c->value >= PRESSURE_NEVER_FAILS ? " (never fails)" : "");
        }
        case CRITERION_COUNT:
        default:
                return g_strdup_printf("%" PRIu64, c->value);
        }
}

static void json_criterion(JsonWriter *w, const Criterion *c, int k) {
        if (k < 0) {
                g_autofree char *key = snake_case(c->name);
                json_field_uint(w, key, c->value);
                return;
        }
        json_key(w, criterion_names[k].json);
        switch (criterion_names[k].kind) {
        case CRITERION_SECONDS:
                json_uint(w, c->value / USEC_PER_SEC);
                break;
        case CRITERION_TAINT:
                json_taint_flags(w, c->value & ~TAINT_LIVEPATCH_MASK);
                break;
        case CRITERION_POINTS:
                json_hundredths(w, c->value);
                break;
        case CRITERION_COUNT:
        default:
                json_uint(w, c->value);
        }
}

static int read_criteria(sd_bus *bus, GArray *out, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *name;
        uint64_t value;
        int r;

        r = sd_bus_get_property(bus, LPMAINT_BUS_NAME, LPMAINT_OBJECT_PATH, LPMAINT_MANAGER_INTERFACE,
                                "RingCriteria", error, &reply, "a{st}");
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "{st}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(reply, "{st}", &name, &value)) > 0) {
                Criterion c = { .name = g_strdup(name), .value = value };
                g_array_append_val(out, c);
        }
        return r < 0 ? r : sd_bus_message_exit_container(reply);
}

static int read_ring(sd_bus *bus, RingInfo *info, sd_bus_error *error) {
        int r;

        info->criteria = g_array_new(false, true, sizeof(Criterion));
        g_array_set_clear_func(info->criteria, (GDestroyNotify) criterion_clear);
        r = sd_bus_get_property_string(bus, LPMAINT_BUS_NAME, LPMAINT_OBJECT_PATH, LPMAINT_MANAGER_INTERFACE,
                                       "Ring", error, &info->ring);
        if (r >= 0)
                r = sd_bus_get_property_trivial(bus, LPMAINT_BUS_NAME, LPMAINT_OBJECT_PATH, LPMAINT_MANAGER_INTERFACE,
                                                "AutomaticRollback", error, 'b', &info->automatic_rollback);
        if (r >= 0)
                r = read_criteria(bus, info->criteria, error);
        if (r >= 0)
                r = sd_bus_get_property_strv(bus, LPMAINT_BUS_NAME, LPMAINT_OBJECT_PATH, LPMAINT_MANAGER_INTERFACE,
                                             "RingHealthChecks", error, &info->health_checks);
        return r;
}

static int print_json(const RingInfo *info, GPtrArray *patches) {
        JsonWriter w;

        json_writer_init(&w, stdout, stdout_is_terminal());
        json_begin_object(&w);
        json_field_string(&w, "ring", info->ring);
        json_field_bool(&w, "automatic_rollback", info->automatic_rollback);
        json_key(&w, "criteria");
        json_begin_object(&w);
        for (guint i = 0; i < info->criteria->len; i++) {
                const Criterion *c = &g_array_index(info->criteria, Criterion, i);
                json_criterion(&w, c, criterion_index(c->name));
        }
        json_end_object(&w);
        json_field_strv(&w, "health_checks", info->health_checks);
        json_key(&w, "patches");
        json_begin_array(&w);
        for (guint i = 0; i < patches->len; i++) {
                const Patch *p = g_ptr_array_index(patches, i);
                json_begin_object(&w);
                json_field_string(&w, "name", p->name);
                json_field_string(&w, "state", p->state);
                json_field_string(&w, "soak_state", p->soak_state);
                json_field_uint(&w, "soak_ends_usec", p->soak_ends_usec);
                json_field_string(&w, "soak_result", p->soak_result);
                json_end_object(&w);
        }
        json_end_array(&w);
        json_end_object(&w);
        return json_writer_finish(&w);
}

static int print_human(const RingInfo *info, GPtrArray *patches) {
        g_autoptr(Table) t = table_new(6);
        char ts[FORMAT_TIMESTAMP_MAX], left[FORMAT_DURATION_MAX];
        uint64_t now = (uint64_t) g_get_real_time();

        if (!info->ring || !info->ring[0]) {
                puts("This host has no ring (Ring= in lpmaint.conf): patches do not soak.");
                return 0;
        }
        printf("Ring: %s\n", info->ring);
        printf("Soak criteria ([Ring %s] in lpmaint.conf):\n", info->ring);
        for (guint i = 0; i < info->criteria->len; i++) {
                const Criterion *c = &g_array_index(info->criteria, Criterion, i);
                int k = criterion_index(c->name);
                g_autofree char *value = criterion_value(c, k);

                printf("  %s=%s\n", k < 0 ? c->name : criterion_names[k].config, value);
        }
        g_autofree char *checks = info->health_checks && info->health_checks[0] ?
                g_strjoinv(" ", info->health_checks) : g_strdup("none");
        printf("  HealthChecks=%s\n", checks);
        printf("  AutomaticRollback=%s\n\n", yes_no(info->automatic_rollback));

        table_add(t, "NAME");
        table_add(t, "STATE");
        table_add(t, "SOAK");
        table_add(t, "SOAK ENDS");
        table_add(t, "LEFT");
        table_add(t, "EVIDENCE");
        for (guint i = 0; i < patches->len; i++) {
                const Patch *p = g_ptr_array_index(patches, i);
                bool soaking = p->soak_state && g_str_equal(p->soak_state, "soaking");
                /* A failed or cancelled soak ended before its planned end. */
                bool ran_out = soaking || (p->soak_state && g_str_equal(p->soak_state, "healthy"));

                table_add(t, p->name);
                table_add(t, p->state);
                table_add(t, p->soak_state);
                table_add(t, ran_out && p->soak_ends_usec ? format_timestamp(ts, sizeof ts, p->soak_ends_usec) : NULL);
                table_add(t, soaking ? format_time_left(left, sizeof left, p->soak_ends_usec, now) : NULL);
                table_add(t, p->soak_result);
        }
        return table_print(t, stdout);
}

int verb_ring(int argc, char *argv[], void *userdata) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(ring_info_clear) RingInfo info = {};
        g_autoptr(GPtrArray) patches = NULL;
        int r;

        r = acquire_bus(&bus);
        if (r != 0)
                return r;
        r = read_ring(bus, &info, &error);
        if (r >= 0)
                r = patch_get_all(bus, true, &patches, &error);
        if (r < 0)
                return log_bus_error(&error, r, "Failed to read the ring");

        r = arg_json ? print_json(&info, patches) : print_human(&info, patches);
        if (r < 0)
                return log_errno(LPMAINT_EXIT_FAILED, r, "Failed to write the output");
        return LPMAINT_EXIT_SUCCESS;
}
