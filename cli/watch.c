/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "bus.h"
#include "macro.h"
#include "watch.h"

static bool is_ours(Watch *w, const char *path) {
        return w->path && path && strcmp(w->path, path) == 0;
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Watch *w = userdata;

        if (is_ours(w, sd_bus_message_get_path(m)))
                w->changed = true;
        return 0;
}

static int on_transition_finished(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Watch *w = userdata;
        const char *path, *name, *operation, *result;

        /* A malformed signal is not ours to judge; the property read decides. */
        if (sd_bus_message_read(m, "osss", &path, &name, &operation, &result) < 0)
                return 0;

        if (is_ours(w, path) && strcmp(operation, w->operation) == 0) {
                w->finished = true;
                w->changed = true;
        }
        return 0;
}

static int on_interfaces_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Watch *w = userdata;
        const char *path;

        if (sd_bus_message_read_basic(m, 'o', &path) < 0)
                return 0;

        if (is_ours(w, path))
                w->changed = true;
        return 0;
}

/* lpmaintd went away or came back (bus activation): its state is worth a
 * fresh look, which either reactivates it or fails as unreachable. */
static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Watch *w = userdata;

        w->changed = true;
        return 0;
}

static int add_owner_match(sd_bus *bus, sd_bus_slot **slot, Watch *w) {
        return sd_bus_add_match(bus, slot, LPMAINT_OWNER_CHANGED_MATCH, on_owner_changed, w);
}

int watch_start(sd_bus *bus, Watch *w, const char *operation) {
        int r;

        *w = (Watch) { .operation = operation };

        /* sd_bus_match_signal() cannot say path_namespace or arg0, so this one
         * is spelled out. */
        r = sd_bus_add_match(bus, &w->slots[0],
                             "type='signal',"
                             "sender='" LPMAINT_BUS_NAME "',"
                             "interface='org.freedesktop.DBus.Properties',"
                             "member='PropertiesChanged',"
                             "path_namespace='" LPMAINT_PATCH_PATH_PREFIX "',"
                             "arg0='" LPMAINT_PATCH_INTERFACE "'",
                             on_properties_changed, w);
        if (r < 0)
                return r;

        r = sd_bus_match_signal(bus, &w->slots[1], LPMAINT_BUS_NAME, LPMAINT_OBJECT_PATH,
                                LPMAINT_MANAGER_INTERFACE, "TransitionFinished",
                                on_transition_finished, w);
        if (r < 0)
                return r;

        r = sd_bus_match_signal(bus, &w->slots[2], LPMAINT_BUS_NAME, LPMAINT_OBJECT_PATH,
                                "org.freedesktop.DBus.ObjectManager", "InterfacesRemoved",
                                on_interfaces_removed, w);
        if (r < 0)
                return r;

        return add_owner_match(bus, &w->slots[3], w);
}

int watch_manager_start(sd_bus *bus, Watch *w) {
        int r;

        *w = (Watch) {};
        r = watch_set_path(w, LPMAINT_OBJECT_PATH);
        if (r < 0)
                return r;

        r = sd_bus_add_match(bus, &w->slots[0],
                             "type='signal',"
                             "sender='" LPMAINT_BUS_NAME "',"
                             "interface='org.freedesktop.DBus.Properties',"
                             "member='PropertiesChanged',"
                             "path='" LPMAINT_OBJECT_PATH "',"
                             "arg0='" LPMAINT_MANAGER_INTERFACE "'",
                             on_properties_changed, w);
        if (r < 0)
                return r;

        return add_owner_match(bus, &w->slots[1], w);
}

int watch_set_path(Watch *w, const char *path) {
        if (!sd_bus_object_path_is_valid(path))
                return -EINVAL;

        g_free(w->path);
        w->path = g_strdup(path);
        return 0;
}

int watch_wait(sd_bus *bus, Watch *w, uint64_t until) {
        int r;

        for (;;) {
                uint64_t timeout = UINT64_MAX;

                if (w->changed) {
                        w->changed = false;
                        return 0;
                }

                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;

                if (until != UINT64_MAX) {
                        uint64_t now = (uint64_t) g_get_monotonic_time();
                        if (now >= until)
                                return -ETIMEDOUT;
                        timeout = until - now;
                }
                r = sd_bus_wait(bus, timeout);
                if (r < 0 && r != -EINTR)
                        return r;
        }
}

void watch_done(Watch *w) {
        for (size_t i = 0; i < ELEMENTSOF(w->slots); i++)
                w->slots[i] = sd_bus_slot_unref(w->slots[i]);
        g_free(w->path);
        w->path = NULL;
}
