/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Who may call a privileged method: the caller as the bus daemon vouches for
 * it (daemon/caller.c), the automation group, then polkit (daemon/polkit.c). */
#include <errno.h>

#include "bus-authorize.h"
#include "log.h"

static int deny(Manager *m, const Caller *caller, const BusAction *action, const char *patch, sd_bus_error *error,
                int r) {
        manager_audit_error(m, caller, action->name, patch, NULL, error);
        log_notice("%s by uid %u denied: %s", action->name, caller->uid, error->message);
        return r;
}

/* Root is not exempt: polkit says yes to uid 0 for everything, so group
 * membership is checked here, before polkit is asked. */
static int check_group(Manager *m, const Caller *caller, sd_bus_error *error) {
        int r = user_in_group(caller->uid, m->config.automation_group);
        if (r < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "Cannot check whether uid %u is a member of group %s (%s), denying",
                                         caller->uid, m->config.automation_group, g_strerror(-r));
        if (r == 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "Only members of group %s may apply live patches (uid %u is not)",
                                         m->config.automation_group, caller->uid);
        return 0;
}

int bus_authorize(Manager *m, sd_bus_message *msg, const BusAction *action, const char *patch, Caller *caller,
                  sd_bus_error *error) {
        int r = caller_identify(msg, caller);
        if (r < 0) {
                /* A caller the bus cannot vouch for (typically one that hung up
                 * before its call was handled) is denied, and audited like any denial. */
                const Caller unknown = { .uid = UINT32_MAX, .unit = (char *) "" };
                if (r == -EPERM)
                        r = sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED,
                                             "The bus daemon did not vouch for the caller's uid and pid, denying");
                else
                        r = sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                              "Cannot identify the caller (disconnected?), denying: %s", g_strerror(-r));
                return deny(m, &unknown, action, patch, error, r);
        }
        if (action->automation_group && (r = check_group(m, caller, error)) < 0)
                return deny(m, caller, action, patch, error, r);
        r = polkit_check(msg, action->polkit_action, caller->uid, m->polkit_registry, error);
        if (r < 0)
                return deny(m, caller, action, patch, error, r);
        return r;
}
