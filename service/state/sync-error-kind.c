/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>
#include <string.h>

#include "lpmaint-bus.h"
#include "string-table.h"
#include "sync-error-kind.h"

static const char *const sync_error_kind_table[_SYNC_ERROR_KIND_MAX] = {
        [SYNC_ERROR_KIND_FETCH]     = "fetch",
        [SYNC_ERROR_KIND_SIGNATURE] = "signature",
        [SYNC_ERROR_KIND_ROLLBACK]  = "rollback",
        [SYNC_ERROR_KIND_EXPIRED]   = "expired",
        [SYNC_ERROR_KIND_INDEX]     = "index",
        [SYNC_ERROR_KIND_ARTIFACT]  = "artifact",
        [SYNC_ERROR_KIND_APPLY]     = "apply",
        [SYNC_ERROR_KIND_OTHER]     = "other",
};
DEFINE_STRING_TABLE_LOOKUP(sync_error_kind, SyncErrorKind);

#define ERROR_PREFIX "org.lpmaint1.Error."

/* lpmaintd's and the channel's error names (lpmaint-bus.h, and
 * lpmaint-channel(5)'s ERRORS, which lpmaintd does not otherwise know) that
 * are not SYNC_ERROR_KIND_APPLY. */
static const struct {
        const char *name;
        SyncErrorKind kind;
} named_kinds[] = {
        { LPMAINT_ERROR_BAD_SIGNATURE,            SYNC_ERROR_KIND_SIGNATURE },
        { LPMAINT_ERROR_UNSIGNED,                 SYNC_ERROR_KIND_SIGNATURE },
        { LPMAINT_ERROR_UNTRUSTED_SIGNER,         SYNC_ERROR_KIND_SIGNATURE },
        { LPMAINT_ERROR_SIGNER_NOT_ALLOWED,       SYNC_ERROR_KIND_SIGNATURE },
        { LPMAINT_ERROR_CERTIFICATE_EXPIRED,      SYNC_ERROR_KIND_SIGNATURE },
        { LPMAINT_ERROR_CERTIFICATE_REVOKED,      SYNC_ERROR_KIND_SIGNATURE },
        { LPMAINT_ERROR_WRONG_PURPOSE,            SYNC_ERROR_KIND_SIGNATURE },
        { LPMAINT_ERROR_ROLLBACK,                 SYNC_ERROR_KIND_ROLLBACK  },
        { ERROR_PREFIX "IndexRollback",           SYNC_ERROR_KIND_ROLLBACK  },
        { LPMAINT_ERROR_EXPIRED,                  SYNC_ERROR_KIND_EXPIRED   },
        { ERROR_PREFIX "IndexExpired",            SYNC_ERROR_KIND_EXPIRED   },
        { ERROR_PREFIX "InvalidIndex",            SYNC_ERROR_KIND_INDEX     },
        { ERROR_PREFIX "IndexWrongKernel",        SYNC_ERROR_KIND_INDEX     },
        { ERROR_PREFIX "ArtifactMismatch",        SYNC_ERROR_KIND_ARTIFACT  },
        { LPMAINT_ERROR_DIGEST_MISMATCH,          SYNC_ERROR_KIND_ARTIFACT  },
        { LPMAINT_ERROR_FILE_TOO_LARGE,           SYNC_ERROR_KIND_ARTIFACT  },
};

SyncErrorKind sync_error_kind_of(const char *result) {
        for (size_t i = 0; i < G_N_ELEMENTS(named_kinds); i++)
                if (g_str_equal(result, named_kinds[i].name))
                        return named_kinds[i].kind;
        if (g_str_has_prefix(result, ERROR_PREFIX))
                return SYNC_ERROR_KIND_APPLY;
        /* The transfer kinds (lpmaint-sync(8)) are lower-case words joined by '-'. */
        if (*result && strspn(result, "abcdefghijklmnopqrstuvwxyz-") == strlen(result))
                return SYNC_ERROR_KIND_FETCH;
        return SYNC_ERROR_KIND_OTHER;
}
