/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

/* lpmaint-sync's journal records with a MESSAGE_ID (catalog/lpmaint.catalog
 * explains them), each with structured fields for a log pipeline:
 * LPMAINT_SYNC_CHANNEL, LPMAINT_SYNC_SERIAL, LPMAINT_SYNC_RESULT; a change
 * also LPMAINT_ACTION, LPMAINT_PATCH, LPMAINT_VERSION, LPMAINT_SYNC_REASON. */

/* A channel's run failed: @result is the named error (a fetch kind such as
 * "not-found", or an org.lpmaint1.Error.* name); nothing was changed. */
void agent_journal_refused(const char *channel, uint64_t serial, const char *result, const char *message);

/* The agent applied or disabled a patch version (@action "apply" or
 * "disable", @reason a wanted-set reason such as "newer" or "recalled"). */
void agent_journal_changed(const char *channel, uint64_t serial, const char *action, const char *name,
                           const char *version, const char *reason, const char *text);
