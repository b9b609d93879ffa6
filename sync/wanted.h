/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <glib.h>

#include "channel-index.h"
#include "patch-state.h"

/* What the host has of one patch name, as lpmaintd's Patch object says it
 * (one record per name: the version last applied or tried). */
typedef struct HostPatch {
        const char *name;       /* neither may be NULL */
        const char *version;
        PatchState state;
        PatchResult result;
        bool soak_failed;       /* SoakState "failed": a disable then is the soak's rollback */
} HostPatch;

typedef enum WantedAction {
        WANTED_NOTHING,
        WANTED_APPLY,
        WANTED_DISABLE,
        _WANTED_ACTION_MAX,
} WantedAction;

typedef enum WantedReason {
        /* Apply */
        WANTED_NOT_HERE,            /* the host has nothing of this name */
        WANTED_NEWER,               /* newer than the version the host has */
        WANTED_ABSENT,              /* applied before a reboot, not now */
        /* Disable */
        WANTED_RECALLED,            /* recalled, and applied here */
        /* Nothing */
        WANTED_NOT_PROMOTED,        /* no version promoted to this ring */
        WANTED_PROMOTED_LATER,      /* promoted to this ring, from a later time */
        WANTED_ALL_RECALLED,        /* every version promoted here is recalled */
        WANTED_APPLIED,             /* the same version is applied */
        WANTED_IN_TRANSITION,       /* a transition of this patch runs: look again later */
        WANTED_HOST_NEWER,          /* the host has a newer version: never downgraded */
        WANTED_DISABLED_HERE,       /* the same version was disabled here */
        WANTED_ROLLED_BACK,         /* the same version failed its soak and was rolled back */
        WANTED_QUARANTINED,         /* the same version was being applied when the host crashed */
        WANTED_FAILED,              /* the same version failed here */
        WANTED_SUPERSEDED,          /* the same version was replaced by a cumulative patch */
        WANTED_COVERED,             /* a cumulative patch added later replaces it */
        _WANTED_REASON_MAX,
} WantedReason;

/* One decision per patch name: the index's names and those the host has
 * applied that the index recalls. */
typedef struct WantedDecision {
        WantedAction action;
        WantedReason reason;
        char *name;
        char *version;                  /* the version acted on or held back, or NULL */
        const ChannelPatch *patch;      /* to apply: the index's entry */
        char *detail;                   /* what the reason refers to: a version, a time, a recall's reason; or NULL */
} WantedDecision;

/* The wanted set for a host in @ring (NULL or "": none) at @now_usec with the
 * patches @host (lpmaint-channel(5), "The wanted set"): a GPtrArray of
 * WantedDecision, disables first, then applies in the order the index added
 * them, then the rest by name. */
GPtrArray *wanted_set(const ChannelIndex *idx, const char *ring, uint64_t now_usec, const HostPatch *host, size_t n_host);

const char *wanted_action_to_string(WantedAction a);
const char *wanted_reason_to_string(WantedReason r);
/* One line for a person: "apply lp_x 1.2: newer than 1.1 here". */
char *wanted_decision_describe(const WantedDecision *d);
