/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The kinds lpmaintd counts lpmaint-sync's failed runs by (SyncErrors,
 * lpmaint_sync_errors_total{kind}). A fixed set: a report's result is text
 * from the automation identity, so it is classified, never used as a key. */
typedef enum SyncErrorKind {
        SYNC_ERROR_KIND_FETCH,      /* the channel could not be read: a transfer kind (not-found, tls, too-slow, ...) */
        SYNC_ERROR_KIND_SIGNATURE,  /* missing or bad signature, untrusted signer, signer not allowed, ... */
        SYNC_ERROR_KIND_ROLLBACK,   /* an index serial or patch version lower than one seen */
        SYNC_ERROR_KIND_EXPIRED,    /* an expired index or manifest (a freeze) */
        SYNC_ERROR_KIND_INDEX,      /* an index that does not parse or is for another kernel */
        SYNC_ERROR_KIND_ARTIFACT,   /* an artifact whose digest or size is not the index's */
        SYNC_ERROR_KIND_APPLY,      /* any other of lpmaintd's errors: it refused or failed an apply or disable */
        SYNC_ERROR_KIND_OTHER,      /* anything else */
        _SYNC_ERROR_KIND_MAX,
        _SYNC_ERROR_KIND_INVALID = -1,
} SyncErrorKind;

const char *sync_error_kind_to_string(SyncErrorKind k);
SyncErrorKind sync_error_kind_from_string(const char *s);

/* The kind of a failed run's result (not "ok" or "unchanged"). */
SyncErrorKind sync_error_kind_of(const char *result);
