/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "bus.h"
#include "macro.h"
#include "props.h"

int prop_parse_string(sd_bus_message *m, void *dest) {
        char **p = dest;
        const char *s;
        int r;

        r = sd_bus_message_read_basic(m, 's', &s);
        if (r < 0)
                return r;

        g_free(*p);
        *p = g_strdup(s);
        return 0;
}

int prop_parse_bool(sd_bus_message *m, void *dest) {
        int b, r;

        r = sd_bus_message_read_basic(m, 'b', &b);
        if (r < 0)
                return r;

        *(bool *) dest = b;
        return 0;
}

int prop_parse_uint64(sd_bus_message *m, void *dest) {
        uint64_t u;
        int r;

        r = sd_bus_message_read_basic(m, 't', &u);
        if (r < 0)
                return r;

        *(uint64_t *) dest = u;
        return 0;
}

int prop_parse_strv(sd_bus_message *m, void *dest) {
        g_autoptr(GPtrArray) l = g_ptr_array_new_with_free_func(g_free);
        char ***p = dest;
        const char *s;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "s");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read_basic(m, 's', &s)) > 0)
                g_ptr_array_add(l, g_strdup(s));
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;

        g_ptr_array_add(l, NULL);
        g_strfreev(*p);
        *p = (char **) g_ptr_array_free(g_steal_pointer(&l), false);
        return 0;
}

static const PropertyMap *find_property(const PropertyMap *map, const char *name) {
        for (const PropertyMap *i = map; i->name; i++)
                if (strcmp(i->name, name) == 0)
                        return i;
        return NULL;
}

static int map_one(sd_bus_message *m, const PropertyMap *map, void *userdata) {
        const PropertyMap *p;
        const char *name, *contents;
        char type;
        int r;

        r = sd_bus_message_read_basic(m, 's', &name);
        if (r < 0)
                return r;

        r = sd_bus_message_peek_type(m, &type, &contents);
        if (r < 0)
                return r;

        p = find_property(map, name);
        if (!p || strcmp(contents, p->signature) != 0)
                return sd_bus_message_skip(m, "v");

        r = sd_bus_message_enter_container(m, 'v', contents);
        if (r < 0)
                return r;
        r = p->parse(m, (uint8_t *) userdata + p->offset);
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

int bus_map_properties(sd_bus_message *m, const PropertyMap *map, void *userdata) {
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;

        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                r = map_one(m, map, userdata);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;

        return sd_bus_message_exit_container(m);
}

int bus_get_all_properties(sd_bus *bus, const char *path, const char *interface, const PropertyMap *map, void *userdata,
                           bool auto_start, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = bus_call(bus, path, "org.freedesktop.DBus.Properties", "GetAll", CALL_QUERY, auto_start, &reply, error,
                     "s", interface);
        if (r < 0)
                return r;
        return bus_map_properties(reply, map, userdata);
}
