/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "manager.h"

/* What a privileged method asks to do. */
typedef struct BusAction {
        const char *name;               /* the action its audit records name: "apply", "reboot-wave", ... */
        const char *polkit_action;      /* POLKIT_ACTION_* */
        bool automation_group;          /* only for members of the automation group, root included */
} BusAction;

/* The one authorization of every privileged method: identifies the caller
 * into @caller (which the method clears), checks the automation group if
 * @action needs it, and asks polkit. Returns 1 if authorized; 0 while polkit
 * is asked (the call is dispatched again with the answer, and the method
 * returns 1 meanwhile, without replying); or a negative errno with @error
 * set, the denial audited (@patch: the patch named, NULL for none) and
 * logged. So each method goes on with
 *
 *         if (r <= 0)
 *                 return r == 0 ? 1 : r;
 */
int bus_authorize(Manager *m, sd_bus_message *msg, const BusAction *action, const char *patch, Caller *caller,
                  sd_bus_error *error);
