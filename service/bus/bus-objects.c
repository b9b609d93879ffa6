/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus-objects.h"

int bus_objects_register(Manager *m) {
        int r;

        /* The Manager interface is served by five vtables, in this order. */
        if ((r = sd_bus_add_object_vtable(m->bus, NULL, LPMAINT_OBJECT_PATH, LPMAINT_MANAGER_INTERFACE, manager_vtable, m)) < 0 ||
            (r = sd_bus_add_object_vtable(m->bus, NULL, LPMAINT_OBJECT_PATH, LPMAINT_MANAGER_INTERFACE, reboot_vtable, m)) < 0 ||
            (r = sd_bus_add_object_vtable(m->bus, NULL, LPMAINT_OBJECT_PATH, LPMAINT_MANAGER_INTERFACE, wave_vtable, m)) < 0 ||
            (r = sd_bus_add_object_vtable(m->bus, NULL, LPMAINT_OBJECT_PATH, LPMAINT_MANAGER_INTERFACE, records_vtable, m)) < 0 ||
            (r = sd_bus_add_object_vtable(m->bus, NULL, LPMAINT_OBJECT_PATH, LPMAINT_MANAGER_INTERFACE, sync_vtable, m)) < 0 ||
            (r = sd_bus_add_object_vtable(m->bus, NULL, LPMAINT_OBJECT_PATH, LPMAINT_KERNEL_INTERFACE, kernel_vtable, m)) < 0 ||
            (r = sd_bus_add_object_vtable(m->bus, NULL, LPMAINT_OBJECT_PATH, LPMAINT_SIGNALS_INTERFACE, signals_vtable, m)) < 0 ||
            (r = sd_bus_add_fallback_vtable(m->bus, NULL, LPMAINT_PATCH_PATH_PREFIX, LPMAINT_PATCH_INTERFACE, patch_vtable, patch_object_find, m)) < 0 ||
            (r = sd_bus_add_node_enumerator(m->bus, NULL, LPMAINT_PATCH_PATH_PREFIX, patch_node_enumerator, m)) < 0 ||
            (r = sd_bus_add_object_manager(m->bus, NULL, LPMAINT_OBJECT_PATH)) < 0)
                return r;
        return 0;
}
