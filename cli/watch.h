/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

/* Notices anything that may have changed one patch object while a
 * transition runs. It only tells that something happened; the caller then
 * reads the object's properties afresh, which cannot be stale or out of
 * order the way replaying signal contents could be. */
typedef struct Watch {
        sd_bus_slot *slots[4];
        const char *operation;  /* "apply" or "disable" */
        char *path;             /* the patch object, known once the call returned */
        bool changed;           /* something happened since the last watch_wait() */
        bool finished;          /* TransitionFinished for path and operation */
} Watch;

/* Adds the matches. Call before the method call that starts the operation:
 * signals that arrive meanwhile are queued and seen later, none is missed. */
int watch_start(sd_bus *bus, Watch *w, const char *operation);

/* Names the object to watch; until then, signals count for no object. */
int watch_set_path(Watch *w, const char *path);

/* Waits (without a time limit) until something happened to the object. */
int watch_wait(sd_bus *bus, Watch *w);

void watch_done(Watch *w);
