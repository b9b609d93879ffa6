/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

/* Reading and checking the audit log's hash chain (the format is described
 * in audit.h). Needs GLib only, so that `lpmaint audit verify` links it
 * without the daemon's dependencies. */

/* The same as audit.h's AUDIT_RECORD_TYPE (a unit test checks), repeated
 * here because audit.h brings in sd-bus. */
#define AUDIT_CHAIN_RECORD_TYPE "(tuusssssss)"
#define AUDIT_CHAIN_HASH_LEN 64
/* The prev of the first record: there is no line before it. */
#define AUDIT_CHAIN_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

/* The fields of one audit record, in the order of AUDIT_CHAIN_RECORD_TYPE
 * (without prev), written once for both structs below. */
#define AUDIT_RECORD_FIELDS                     \
        uint64_t time_usec;                     \
        uint32_t uid;                           \
        uint32_t pid;                           \
        const char *unit;                       \
        const char *action;                     \
        const char *patch;                      \
        const char *sha256;                     \
        const char *result;                     \
        const char *message;

/* One record as lpmaintd writes it and the CLI shows it, the strings
 * pointing into whatever holds them (a reply, a parsed line). */
typedef struct AuditRecord {
        AUDIT_RECORD_FIELDS
} AuditRecord;

/* One record read from the log, the strings pointing into @variant. Its
 * fields are reached by name (rec.action) or all together (rec.record). */
typedef struct AuditChainRecord {
        GVariant *variant;
        union {
                struct {
                        AUDIT_RECORD_FIELDS
                };
                AuditRecord record;
        };
        const char *prev;
} AuditChainRecord;

void audit_chain_record_clear(AuditChainRecord *rec);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(AuditChainRecord, audit_chain_record_clear)

/* Parses one line of the log, without its newline. @line need not be
 * NUL-terminated. -EBADMSG if it is not a record. */
int audit_chain_parse_line(const char *line, size_t len, AuditChainRecord *ret);

typedef enum AuditChainStatus {
        AUDIT_CHAIN_OK,
        AUDIT_CHAIN_UNPARSABLE,    /* not a record (includes empty lines, NULs, bad UTF-8) */
        AUDIT_CHAIN_TORN,          /* the last line has no newline: an interrupted write */
        AUDIT_CHAIN_BROKEN,        /* prev is not the SHA-256 of the line before */
        _AUDIT_CHAIN_STATUS_MAX,
} AuditChainStatus;

typedef struct AuditChainResult {
        AuditChainStatus status;
        size_t records;            /* lines in the log, the bad one and any after it included */
        size_t first_bad_line;     /* 1-based; 0 when OK */
        bool has_time;             /* the bad record parsed, so its time is known */
        uint64_t time_usec;
} AuditChainResult;

/* Checks a whole log. Only the first problem is reported: everything after
 * a bad record is unverifiable anyway. Time going backwards is fine (the
 * realtime clock steps). Returns true when the chain is intact. */
bool audit_chain_verify(const char *text, size_t size, AuditChainResult *ret);

/* "unparsable", "torn-last-line", "chain-broken"; NULL for OK. */
const char *audit_chain_status_to_string(AuditChainStatus s);
/* The same for people: "not a valid audit record", ... */
const char *audit_chain_status_to_description(AuditChainStatus s);
