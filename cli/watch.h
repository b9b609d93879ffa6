/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

/* Notices anything that may have changed one patch object while a
 * transition runs, or the Manager's properties. It only tells that something
 * happened; the caller then reads the properties afresh, which cannot be
 * stale or out of order the way replaying signal contents could be. */
typedef struct Watch {
        sd_bus_slot *slots[4];
        const char *operation;  /* "apply" or "disable"; NULL when watching the Manager */
        char *path;             /* the object, for a patch known once the call returned */
        bool changed;           /* something happened since the last watch_wait() */
        bool finished;          /* TransitionFinished for path and operation */
} Watch;

/* Adds the matches. Call before the method call that starts the operation:
 * signals that arrive meanwhile are queued and seen later, none is missed. */
int watch_start(sd_bus *bus, Watch *w, const char *operation);

/* Names the object to watch; until then, signals count for no object. */
int watch_set_path(Watch *w, const char *path);

/* Adds the matches for the Manager's properties (on /org/lpmaint1). Call
 * before the first read, as watch_start(). */
int watch_manager_start(sd_bus *bus, Watch *w);

/* Waits until something happened to the object: 0. At @until (in
 * g_get_monotonic_time()'s microseconds; UINT64_MAX: never) -ETIMEDOUT. */
int watch_wait(sd_bus *bus, Watch *w, uint64_t until);

void watch_done(Watch *w);
