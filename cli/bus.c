/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "agent.h"
#include "bus.h"
#include "lpmaint-bus.h"
#include "lpmaint.h"
#include "macro.h"

int bus_connect(const char *host, bool ask_password, sd_bus **ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        if (host)
                r = sd_bus_open_system_remote(&bus, host);
        else
                r = sd_bus_default_system(&bus);
        if (r < 0)
                return r;

        /* The flag is copied into each message as it is created, so it has to
         * be set before the first call. */
        r = sd_bus_set_allow_interactive_authorization(bus, ask_password);
        if (r < 0)
                return r;

        *ret = bus;
        bus = NULL;
        return 0;
}

void bus_acquire_polkit_agent(pid_t *ret) {
        *ret = 0;

        /* A remote host's polkit cannot reach our terminal. Failing to start
         * the agent is not fatal either: polkit may still decide without
         * asking, and if not the call fails as not authorized. */
        if (!arg_ask_password || arg_host)
                return;
        (void) polkit_agent_open(ret);
}

int bus_call(sd_bus *bus, const char *path, const char *interface, const char *member, CallKind kind, bool auto_start,
             sd_bus_message **ret_reply, sd_bus_error *error, const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_(polkit_agent_closep) pid_t agent = 0;
        va_list ap;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, LPMAINT_BUS_NAME, path, interface, member);
        if (r < 0)
                return r;
        va_start(ap, types);
        r = types ? sd_bus_message_appendv(m, types, ap) : 0;
        va_end(ap);
        if (r < 0)
                return r;
        r = sd_bus_message_set_auto_start(m, auto_start);
        if (r < 0)
                return r;

        if (kind == CALL_QUERY)
                return sd_bus_call(bus, m, 0, error, ret_reply);
        bus_acquire_polkit_agent(&agent);
        return sd_bus_call(bus, m, LPMAINT_PRIVILEGED_CALL_TIMEOUT_USEC, error, ret_reply);
}

/* Local failures carry no D-Bus name of the peer; sd-bus names them after
 * the errno. These mean the bus or the daemon could not be reached. */
static bool errno_is_unreachable(int r) {
        switch (r < 0 ? -r : r) {
        case ECONNREFUSED:
        case ECONNRESET:
        case ECONNABORTED:
        case ENOTCONN:
        case ENOENT:
        case EPIPE:
        case ESHUTDOWN:
        case ETIMEDOUT:
        case EHOSTUNREACH:
        case ENETUNREACH:
        case ENXIO:
                return true;
        default:
                return false;
        }
}

int bus_error_exit_status(const sd_bus_error *error, int r) {
        if (sd_bus_error_has_names(error,
                                   SD_BUS_ERROR_ACCESS_DENIED,
                                   SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED))
                return LPMAINT_EXIT_NOT_AUTHORIZED;

        if (sd_bus_error_has_name(error, LPMAINT_ERROR_BUSY))
                return LPMAINT_EXIT_BUSY;

        if (sd_bus_error_has_names(error,
                                   SD_BUS_ERROR_SERVICE_UNKNOWN,
                                   SD_BUS_ERROR_NAME_HAS_NO_OWNER,
                                   SD_BUS_ERROR_NO_REPLY,
                                   SD_BUS_ERROR_DISCONNECTED,
                                   SD_BUS_ERROR_TIMEOUT,
                                   SD_BUS_ERROR_NO_SERVER,
                                   SD_BUS_ERROR_NO_NETWORK))
                return LPMAINT_EXIT_UNREACHABLE;

        /* Bus activation of lpmaintd failed (the unit did not start). */
        if (sd_bus_error_is_set(error) &&
            strncmp(error->name, "org.freedesktop.DBus.Error.Spawn.", strlen("org.freedesktop.DBus.Error.Spawn.")) == 0)
                return LPMAINT_EXIT_UNREACHABLE;

        /* A name from the peer is an answer: the operation was refused. Only
         * errors sd-bus made up locally say something about the connection. */
        if ((!sd_bus_error_is_set(error) || strncmp(error->name, "System.Error.", strlen("System.Error.")) == 0) &&
            errno_is_unreachable(r))
                return LPMAINT_EXIT_UNREACHABLE;

        return LPMAINT_EXIT_FAILED;
}
