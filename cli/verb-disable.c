/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>
#include <stdio.h>

#include "agent.h"
#include "bus.h"
#include "log.h"
#include "lpmaint.h"
#include "macro.h"
#include "patch.h"
#include "progress.h"
#include "watch.h"

static int call_disable(sd_bus *bus, const char *name, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_(polkit_agent_closep) pid_t agent = 0;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, LPMAINT_BUS_NAME, LPMAINT_MANAGER_PATH,
                                           LPMAINT_MANAGER_INTERFACE, "Disable");
        if (r < 0)
                return r;

        r = sd_bus_message_append(m, "sa{sv}", name, 0);
        if (r < 0)
                return r;

        acquire_polkit_agent(&agent);

        return sd_bus_call(bus, m, LPMAINT_PRIVILEGED_CALL_TIMEOUT_USEC, error, NULL);
}

int verb_disable(int argc, char *argv[]) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(watch_done) Watch w = {};
        g_autoptr(Patch) p = NULL;
        g_autofree char *path = NULL;
        const char *name = argv[1];
        int r;

        r = acquire_bus(&bus);
        if (r != 0)
                return r;

        if (arg_wait) {
                r = watch_start(bus, &w, "disable");
                if (r < 0)
                        return log_bus_error(NULL, r, "Failed to subscribe to lpmaintd's signals");
        }

        r = call_disable(bus, name, &error);
        if (r < 0)
                return log_bus_error(&error, r, "Failed to disable '%s'", name);

        /* Patch names are valid object path elements as they are (see
         * org.lpmaint1.Patch.xml); lpmaintd accepted this one. */
        path = g_strconcat(LPMAINT_PATCH_PATH_PREFIX "/", name, NULL);
        if (!sd_bus_object_path_is_valid(path))
                return log_error(LPMAINT_EXIT_FAILED, "'%s' is not a valid patch name.", name);

        r = patch_get(bus, path, &p, &error);
        if (r < 0)
                return log_bus_error(&error, r, "Failed to read the state of %s", path);

        printf("Disabling %s %s.\n", strdash(p->name), strdash(p->version));
        fflush(stdout);

        if (!arg_wait)
                return LPMAINT_EXIT_SUCCESS;

        r = watch_set_path(&w, path);
        if (r < 0)
                return log_errno(LPMAINT_EXIT_FAILED, r, "Invalid object path '%s'", path);

        return follow_transition(bus, &w, g_steal_pointer(&p));
}
