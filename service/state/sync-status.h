/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "sync-error-kind.h"

/* What lpmaint-sync last reported (ReportSync), kept in
 * STATE_DIRECTORY/sync-status so that `lpmaint status` still says when the
 * host last synced after lpmaintd restarts. Every field is bounded: an
 * unprivileged caller in the automation group writes them. */

#define SYNC_CHANNEL_MAX 1024
#define SYNC_RESULT_MAX 128
#define SYNC_MESSAGE_MAX 1024

typedef struct SyncReport {
        uint64_t time_usec;     /* lpmaintd's clock when the report came; 0: none */
        char *channel;
        uint64_t serial;        /* the index's Serial=; 0: none verified */
        char *result;           /* "ok", "unchanged", a fetch kind or an error name */
        char *message;
} SyncReport;

typedef struct SyncStatus {
        SyncReport last;
        SyncReport last_success;
        uint64_t errors[_SYNC_ERROR_KIND_MAX];  /* failed runs by kind, since the file was first written */
} SyncStatus;

void sync_status_init(SyncStatus *s);
void sync_status_clear(SyncStatus *s);

/* Whether a report's fields fit the bounds above (printable, short, a
 * result of letters, digits, '.', '-' and '_'). */
bool sync_report_is_valid(const char *channel, const char *result, const char *message);
/* A report's result that counts as a successful sync. */
bool sync_result_is_success(const char *result);

/* Records @r as the last report, and as the last success if it is one;
 * otherwise counts it in its kind's errors. */
void sync_status_note(SyncStatus *s, const SyncReport *r);

/* A missing file is no report yet; a damaged one is -EBADMSG. */
int sync_status_load(const char *state_dir, SyncStatus *ret);
int sync_status_save(const SyncStatus *s, const char *state_dir);
