/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

#include "manager.h"

/* The objects of org.lpmaint1 on m->bus: /org/lpmaint1 with its Manager,
 * Kernel and Signals interfaces and the object manager, and one Patch object
 * per patch. Given to manager_start_bus(). */
int bus_objects_register(Manager *m);

/* manager-bus.c, manager-reboot-bus.c, sync-bus.c, kernel-bus.c, signals-bus.c, patch-bus.c */
extern const sd_bus_vtable manager_vtable[];
extern const sd_bus_vtable reboot_vtable[];
extern const sd_bus_vtable wave_vtable[];
extern const sd_bus_vtable records_vtable[];
extern const sd_bus_vtable sync_vtable[];
extern const sd_bus_vtable kernel_vtable[];
extern const sd_bus_vtable signals_vtable[];
extern const sd_bus_vtable patch_vtable[];
/* signals-bus.c: HealthCheckResult as a(sbistt), the HealthChecks property's form. */
int bus_append_health_results(sd_bus_message *reply, const GArray *results);
int patch_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found, sd_bus_error *error);
int patch_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error);

/* manager-bus.c: reads an a{sv} of boolean options: key @keys[i] sets
 * *@fields[i]. Unknown keys and values that are not booleans are InvalidArgs. */
int bus_read_bool_options(sd_bus_message *msg, const char *const *keys, bool *const *fields, sd_bus_error *error);
