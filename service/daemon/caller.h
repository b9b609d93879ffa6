/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

/* Who made a bus call, as the bus daemon vouches for it. */
typedef struct Caller {
        uint32_t uid;
        uint32_t pid;
        char *unit;     /* informational; from /proc, may be "" */
} Caller;

/* The credentials the bus daemon itself must vouch for; the unit is
 * informational and may come from /proc. */
#define CALLER_CREDS_VOUCHED (SD_BUS_CREDS_EUID | SD_BUS_CREDS_PID)

/* Asks the bus daemon, on caller_query_bus(), so that waiting for the answer
 * reads no other call ahead. */
int caller_identify(sd_bus_message *m, Caller *ret);
/* The caller @creds describe; -EPERM if sd-bus filled in any of
 * CALLER_CREDS_VOUCHED from /proc rather than the bus daemon sending it. */
int caller_from_creds(sd_bus_creds *creds, Caller *ret);

/* A second connection to the same bus as @bus, for synchronous questions
 * asked while handling a call: sd-bus reads every message that arrives on a
 * connection while it waits there for an answer, so waiting on @bus itself
 * would pull the calls of any number of callers, with their file
 * descriptors, into lpmaintd at once. Opened at the first use, borrowed (do
 * not unref); @bus itself if it cannot be opened. caller_disconnect() closes it. */
sd_bus *caller_query_bus(sd_bus *bus);
void caller_disconnect(void);
void caller_clear(Caller *c);

/* lpmaintd itself, in the records of what it does on its own (a soak's
 * verdict, a rollback, a re-apply after boot): uid 0, pid 0 and the unit
 * "lpmaintd", so that history tells it from root. */
extern const Caller caller_self;
bool caller_is_self(const Caller *c);

/* Membership as the user database says (the same test polkit's isInGroup()
 * makes), not the groups a process happens to carry. 1 yes, 0 no (no such
 * user or group), or a negative errno when the user database cannot say
 * (-E2BIG: an entry larger than 4 MiB); callers deny on anything but 1. */
int user_in_group(uid_t uid, const char *group);
