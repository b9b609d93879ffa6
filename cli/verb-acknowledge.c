/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "bus.h"
#include "log.h"
#include "lpmaint.h"
#include "macro.h"
#include "parse.h"

int verb_acknowledge(int argc, char *argv[], void *userdata) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *name = argv[1];
        int r;

        if (!patch_name_is_valid(name))
                return log_usage("Invalid patch name '%s': lower case letters, digits and '_'.", name);

        r = acquire_bus(&bus);
        if (r != 0)
                return r;

        r = bus_call(bus, LPMAINT_OBJECT_PATH, LPMAINT_MANAGER_INTERFACE, "AcknowledgeBreakGlass", CALL_PRIVILEGED, true,
                     NULL, &error, "s", name);
        if (r < 0)
                return log_bus_error(&error, r, "Failed to acknowledge '%s'", name);

        log_info("Break-glass apply of %s acknowledged.\n", name);
        return LPMAINT_EXIT_SUCCESS;
}
