/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

/* Asynchronous polkit authorization for a bus call, subject system-bus-name.
 * The first time a handler asks, the question goes to polkitd and the
 * handler suspends the call (returns 1 without replying); when the answer
 * arrives the same message is dispatched again and this time the answer is
 * there. No answer, or any error, is a denial.
 *
 * A suspended call keeps its message, and with it any file descriptors the
 * caller passed, so what waits is bounded: at most POLKIT_PENDING_PER_UID
 * calls per uid (a user may open many connections) and POLKIT_PENDING_MAX in
 * all; over that the call is refused with org.freedesktop.DBus.Error.LimitsExceeded.
 * A caller that hangs up while polkit is asked gets its call re-dispatched at
 * once as denied, and the message goes. */
#define POLKIT_PENDING_PER_UID 4U
#define POLKIT_PENDING_MAX 64U

typedef struct PolkitRegistry PolkitRegistry;

PolkitRegistry *polkit_registry_new(void);
void polkit_registry_free(PolkitRegistry *r);

/* @uid is the caller's, as the bus vouches for it; pending calls are counted by it.
 * Returns 1 if authorized, 0 if the call is suspended, or a negative errno
 * with @error set (org.freedesktop.DBus.Error.AccessDenied,
 * InteractiveAuthorizationRequired or LimitsExceeded). */
int polkit_check(sd_bus_message *m, const char *action, uid_t uid, PolkitRegistry *registry, sd_bus_error *error);
