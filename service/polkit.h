/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <systemd/sd-bus.h>

/* Asynchronous polkit authorization for a bus call, subject system-bus-name.
 * The first time a handler asks, the question goes to polkitd and the
 * handler suspends the call (returns 1 without replying); when the answer
 * arrives the same message is dispatched again and this time the answer is
 * there. No answer, or any error, is a denial.
 *
 * Returns 1 if authorized, 0 if the call is suspended, or a negative errno
 * with @error set (org.freedesktop.DBus.Error.AccessDenied or
 * InteractiveAuthorizationRequired). */
typedef GHashTable PolkitRegistry;

PolkitRegistry *polkit_registry_new(void);
void polkit_registry_free(PolkitRegistry *r);

int polkit_check(sd_bus_message *m, const char *action, PolkitRegistry *registry, sd_bus_error *error);
