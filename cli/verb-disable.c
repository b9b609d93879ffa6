/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>
#include <stdio.h>

#include "bus.h"
#include "log.h"
#include "lpmaint.h"
#include "macro.h"
#include "parse.h"
#include "patch.h"
#include "progress.h"
#include "watch.h"

int verb_disable(int argc, char *argv[], void *userdata) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(watch_done) Watch w = {};
        g_autoptr(Patch) p = NULL;
        g_autofree char *path = NULL;
        const char *name = argv[1];
        int r;

        /* A name lpmaintd would refuse is a typo: say so before any call. */
        if (!patch_name_is_valid(name))
                return log_usage("Invalid patch name '%s': lower case letters, digits and '_'.", name);

        r = acquire_bus(&bus);
        if (r != 0)
                return r;

        if (arg_wait) {
                r = watch_start(bus, &w, "disable");
                if (r < 0)
                        return log_bus_error(NULL, r, "Failed to subscribe to lpmaintd's signals");
        }

        r = bus_call(bus, LPMAINT_OBJECT_PATH, LPMAINT_MANAGER_INTERFACE, "Disable", CALL_PRIVILEGED, true, NULL, &error,
                     "sa{sv}", name, 0);
        if (r < 0)
                return log_bus_error(&error, r, "Failed to disable '%s'", name);

        /* Patch names are valid object path elements as they are (see
         * org.lpmaint1.Patch.xml), and this one was checked above. */
        path = g_strconcat(LPMAINT_PATCH_PATH_PREFIX "/", name, NULL);

        r = patch_get(bus, path, &p, &error);
        if (r < 0)
                return log_bus_error(&error, r, "Failed to read the state of %s", path);

        log_info("Disabling %s %s.\n", strdash(p->name), strdash(p->version));

        if (!arg_wait)
                return LPMAINT_EXIT_SUCCESS;

        r = watch_set_path(&w, path);
        if (r < 0)
                return log_errno(LPMAINT_EXIT_FAILED, r, "Invalid object path '%s'", path);

        return follow_transition(bus, &w, g_steal_pointer(&p));
}
