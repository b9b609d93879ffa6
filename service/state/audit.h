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

/* What a record may echo: a refusal can quote a long certificate subject or
 * message. A longer field is cut on a character boundary and ends in
 * AUDIT_CUT_MARK, which says how many bytes were cut. */
#define AUDIT_MESSAGE_MAX 4096
#define AUDIT_FIELD_MAX 256
#define AUDIT_CUT_MARK "... [%zu bytes cut]"

/* The action of lpmaintd's record of a repaired log (see audit_repair()). */
#define AUDIT_ACTION_REPAIR "audit-repair"

typedef struct Audit Audit;

/* Finds the last whole record, whatever its size, to chain to. The log is
 * opened without following a link or blocking on a FIFO: anything but a
 * regular file is -EBADFD. A torn record at the end is not an error: it is
 * cut by audit_repair() or the next audit_append(). */
int audit_open(const char *state_dir, Audit **ret);
void audit_free(Audit *a);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Audit, audit_free)

/* Records also go to the journal unless turned off (the unit tests do). */
void audit_set_journal(Audit *a, bool enabled);

/* Appends @rec with fsync, whole or not at all: after a failed or short
 * write or a failed fsync the log is cut back and the chain goes on from the
 * previous record (if even the cut fails, it is done before the next
 * append). Before the record, a torn tail is cut (see audit_repair()). */
int audit_append(Audit *a, const AuditRecord *rec);

/* Cuts anything after the last whole record (a write torn by a crash, a full
 * disk or an I/O error) and appends lpmaintd's record of it: action
 * AUDIT_ACTION_REPAIR, result "repaired", the SHA-256 of the bytes cut and a
 * message saying how many. 0 when there was nothing to repair. A repair whose
 * record cannot be written yet is recorded before the next record. */
int audit_repair(Audit *a);

/* @s made valid UTF-8 and cut to at most @max bytes plus AUDIT_CUT_MARK. */
char *audit_cap_field(const char *s, size_t max);

typedef struct AuditFilter {
        uint64_t since_usec;
        uint64_t until_usec;    /* 0: none */
        const char *patch;
        int64_t uid;            /* -1: any */
        const char *result;
        uint32_t limit;         /* 0: all */
} AuditFilter;

/* The records of the log from @since_usec on, oldest first, as an array of
 * AuditChainRecord; lines that are not records are skipped. */
int audit_read_since(Audit *a, uint64_t since_usec, GArray **ret);

/* Appends the matching records, oldest first, to @reply as a(tuussssss). */
int audit_read_into(Audit *a, const AuditFilter *filter, sd_bus_message *reply);
