/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <systemd/sd-bus.h>

#include "audit-chain.h"

/* The audit trail: every state-changing call, allowed or not, and every
 * outcome, appended durably to STATE_DIRECTORY/audit.log before the reply,
 * and sent to the journal with a MESSAGE_ID and structured fields.
 *
 * One record per line, in GVariant text format of type AUDIT_RECORD_TYPE:
 * (time_usec, uid, pid, unit, action, patch, sha256, result, message, prev)
 * where prev is the SHA-256 of the previous line, so that editing, removing
 * or reordering a record breaks the chain. */
#define AUDIT_RECORD_TYPE AUDIT_CHAIN_RECORD_TYPE
#define AUDIT_FILE "audit.log"

typedef struct AuditRecord {
        uint64_t time_usec;
        uint32_t uid;
        uint32_t pid;
        const char *unit;
        const char *action;
        const char *patch;
        const char *sha256;
        const char *result;
        const char *message;
} AuditRecord;

typedef struct Audit Audit;

int audit_open(const char *state_dir, Audit **ret);
void audit_free(Audit *a);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Audit, audit_free)

/* Records also go to the journal unless turned off (the unit tests do). */
void audit_set_journal(Audit *a, bool enabled);

int audit_append(Audit *a, const AuditRecord *rec);

typedef struct AuditFilter {
        uint64_t since_usec;
        uint64_t until_usec;    /* 0: none */
        const char *patch;
        int64_t uid;            /* -1: any */
        const char *result;
        uint32_t limit;         /* 0: all */
} AuditFilter;

/* Appends the matching records, oldest first, to @reply as a(tuussssss). */
int audit_read_into(Audit *a, const AuditFilter *filter, sd_bus_message *reply);
