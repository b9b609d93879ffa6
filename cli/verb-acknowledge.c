/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "agent.h"
#include "bus.h"
#include "log.h"
#include "lpmaint.h"
#include "macro.h"

int verb_acknowledge(int argc, char *argv[]) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(polkit_agent_closep) pid_t agent = 0;
        const char *name = argv[1];
        int r;

        r = acquire_bus(&bus);
        if (r != 0)
                return r;

        r = sd_bus_message_new_method_call(bus, &m, LPMAINT_BUS_NAME, LPMAINT_MANAGER_PATH,
                                           LPMAINT_MANAGER_INTERFACE, "AcknowledgeBreakGlass");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", name);
        if (r < 0)
                return log_bus_error(NULL, r, "Failed to build the call");

        acquire_polkit_agent(&agent);
        r = sd_bus_call(bus, m, LPMAINT_PRIVILEGED_CALL_TIMEOUT_USEC, &error, NULL);
        if (r < 0)
                return log_bus_error(&error, r, "Failed to acknowledge '%s'", name);

        printf("Break-glass apply of %s acknowledged.\n", name);
        return LPMAINT_EXIT_SUCCESS;
}
