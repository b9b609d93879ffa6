/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <glib.h>

#include "net-fetch.h"

/* What lpmaint-sync keeps of one channel between runs, under its state
 * directory in channels/SHA256-OF-URL/: the highest Serial= it verified
 * (an index below it is a rollback), the validators of the last fetch and
 * the index and signature they stand for (a 304 is answered from them).
 * Each file is replaced atomically; the index and its signature are written
 * before the record that names their digest, so validators never stand for
 * bytes the agent does not have. */
typedef struct ChannelState {
        uint64_t highest_serial;        /* 0: none seen */
        NetValidators validators;       /* for the cached index; empty: none */
        GBytes *index;                  /* the last verified index, or NULL */
        GBytes *signature;
} ChannelState;

void channel_state_done(ChannelState *s);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(ChannelState, channel_state_done)

/* Loads @url's record below @state_fd: nothing recorded is an empty state;
 * a damaged record is -EBADMSG (the serial is a security record: a run fails
 * closed rather than forget it). A cached index whose bytes are not the
 * ones recorded is dropped, with its validators. */
int channel_state_load(int state_fd, const char *url, ChannelState *ret);
int channel_state_save(int state_fd, const char *url, const ChannelState *s);

/* Removes from the cache (@cache_fd) every file whose name, the SHA-256 of
 * its content, is not in @keep: what no index verified in this run lists
 * (superseded versions, a channel no longer configured). */
void cache_prune(int cache_fd, GHashTable *keep);
