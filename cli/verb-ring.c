/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lpmaint ring: the host's ring, its soak criteria, and each patch's soak. */
#include <glib.h>
#include <stdio.h>
#include <unistd.h>

#include "bus.h"
#include "format.h"
#include "json.h"
#include "log.h"
#include "lpmaint.h"
#include "macro.h"
#include "patch.h"
#include "table.h"

typedef struct RingInfo {
        char *ring;
        int automatic_rollback;
        GArray *criteria;       /* Criterion */
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
        if (r->criteria)
                g_array_unref(r->criteria);
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
        return r;
}

static int print_json(const RingInfo *info, GPtrArray *patches) {
        JsonWriter w;

        json_writer_init(&w, stdout, isatty(STDOUT_FILENO));
        json_begin_object(&w);
        json_field_string(&w, "ring", info->ring);
        json_field_bool(&w, "automatic_rollback", info->automatic_rollback);
        json_key(&w, "criteria");
        json_begin_object(&w);
        for (guint i = 0; i < info->criteria->len; i++) {
                const Criterion *c = &g_array_index(info->criteria, Criterion, i);
                json_field_uint(&w, c->name, c->value);
        }
        json_end_object(&w);
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
        g_autoptr(Table) t = table_new(4);
        char buf[FORMAT_TIMESPAN_MAX];

        if (!info->ring || !info->ring[0]) {
                puts("This host has no ring (Ring= in lpmaint.conf): patches do not soak.");
                return 0;
        }
        printf("Ring: %s\n", info->ring);
        for (guint i = 0; i < info->criteria->len; i++) {
                const Criterion *c = &g_array_index(info->criteria, Criterion, i);
                if (g_str_equal(c->name, "SoakUSec"))
                        printf("  Soak time: %s\n", strdash(format_timespan(buf, sizeof buf, c->value)));
                else
                        printf("  %s: %" PRIu64 "\n", c->name, c->value);
        }
        printf("  Automatic rollback: %s\n\n", yes_no(info->automatic_rollback));

        table_add(t, "NAME");
        table_add(t, "STATE");
        table_add(t, "SOAK");
        table_add(t, "RESULT");
        for (guint i = 0; i < patches->len; i++) {
                const Patch *p = g_ptr_array_index(patches, i);
                table_add(t, p->name);
                table_add(t, p->state);
                table_add(t, p->soak_state && *p->soak_state ? p->soak_state : NULL);
                table_add(t, p->soak_result && *p->soak_result ? p->soak_result : NULL);
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
