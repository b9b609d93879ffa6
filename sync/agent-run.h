/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <systemd/sd-bus.h>

#include "agent-bus.h"
#include "channel-index.h"
#include "net-fetch.h"

/* One run of lpmaint-sync against one channel (lpmaint-channel(5), WHAT A
 * HOST DOES): fetch this kernel's index conditionally and its signature,
 * verify them, work out the wanted set, fetch what it applies into the
 * cache and check it against the index, and only then have lpmaintd
 * disable and apply. Bad input of any kind changes nothing. */

typedef struct AgentOptions {
        bool dry_run;           /* decide and tell, change nothing (no state, cache, apply or report) */
        uint64_t now_usec;
        int state_fd;           /* the agent's state directory */
        int cache_fd;           /* its private cache (0700) */
} AgentOptions;

typedef struct ChannelOutcome {
        char *url;
        uint64_t serial;        /* of the index verified; else the highest seen */
        char *result;           /* "ok", "unchanged", a fetch kind (net-kind.h) or an org.lpmaint1.Error.* name */
        char *message;
        ChannelIndex *index;    /* the index verified, or NULL */
        GPtrArray *decisions;   /* WantedDecision (pointing into @index), or NULL */
        unsigned applied, disabled;
} ChannelOutcome;

void channel_outcome_done(ChannelOutcome *o);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(ChannelOutcome, channel_outcome_done)

/* Returns 0 if the run succeeded ("ok", "unchanged"), negative otherwise;
 * @ret says what happened either way. */
int agent_run_channel(sd_bus *bus, const HostInfo *host, NetFetcher *fetcher, const char *url,
                      const AgentOptions *o, ChannelOutcome *ret);
