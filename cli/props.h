/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-bus.h>

/* Reads the value inside a variant into the field at @dest. */
typedef int (*PropertyParser)(sd_bus_message *m, void *dest);

/* One known property: where it goes and how to read it. Tables end with a
 * NULL name. */
typedef struct PropertyMap {
        const char *name;
        const char *signature;
        PropertyParser parse;
        size_t offset;
} PropertyMap;

int prop_parse_string(sd_bus_message *m, void *dest);  /* char **, g_free()d */
int prop_parse_bool(sd_bus_message *m, void *dest);    /* bool * */
int prop_parse_uint64(sd_bus_message *m, void *dest);  /* uint64_t * */
int prop_parse_strv(sd_bus_message *m, void *dest);    /* char ***, g_strfreev()d */

/* Reads an a{sv} at the current read position of @m into @userdata. Unknown
 * properties and properties of an unexpected type are skipped, so a newer
 * daemon does not break an older client. */
int bus_map_properties(sd_bus_message *m, const PropertyMap *map, void *userdata);

/* GetAll of @interface on lpmaintd's @path, mapped into @userdata; @auto_start as for bus_call(). */
int bus_get_all_properties(sd_bus *bus, const char *path, const char *interface, const PropertyMap *map, void *userdata,
                           bool auto_start, sd_bus_error *error);
