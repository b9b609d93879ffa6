/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "lpmaint-bus.h"

/* Privileged calls may wait for a password typed into pkttyagent and for the
 * daemon to copy and verify a module, far beyond sd-bus' 25 s default. */
#define LPMAINT_PRIVILEGED_CALL_TIMEOUT_USEC (UINT64_C(10) * 60 * 1000000)

/* Connects to the system bus, locally or on @host over SSH. Unless
 * @ask_password is false, privileged calls may ask polkit for interactive
 * authorization. */
int bus_connect(const char *host, bool ask_password, sd_bus **ret);

/* What a call may wait for. */
typedef enum CallKind {
        CALL_QUERY,       /* an answer, within sd-bus' default timeout */
        CALL_PRIVILEGED,  /* a state change: pkttyagent is started first (unless
                           * --no-ask-password or --host=), and the call may wait
                           * for an administrator's password */
} CallKind;

/* The one way lpmaint calls lpmaintd: @member of @interface on @path, with
 * the arguments @types... (@types may be NULL). With @auto_start false the
 * bus does not start lpmaintd (bus activation) for the call, so a daemon that
 * is gone is reported gone rather than brought back. */
int bus_call(sd_bus *bus, const char *path, const char *interface, const char *member, CallKind kind, bool auto_start,
             sd_bus_message **ret_reply, sd_bus_error *error, const char *types, ...);

/* Starts pkttyagent when a privileged call may ask for a password (not with
 * --no-ask-password or --host=); stores its pid or 0, for polkit_agent_close(). */
void bus_acquire_polkit_agent(pid_t *ret);

/* Maps a failed call (its error and return value) to an lpmaint exit status. */
int bus_error_exit_status(const sd_bus_error *error, int r);

/* A match for lpmaintd's bus name changing owner: started, stopped, restarted. */
#define LPMAINT_OWNER_CHANGED_MATCH                                     \
        "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus'," \
        "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='" LPMAINT_BUS_NAME "'"
