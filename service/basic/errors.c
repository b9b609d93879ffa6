/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "errors.h"

/* Each name has its own errno, one nothing else in the daemon returns for
 * another reason. The map works from the name: sd_bus_error_set() with one of
 * these names returns its errno (so code that fails sets the name on its
 * sd_bus_error and returns what that gave), and a client's
 * sd_bus_error_get_errno() gives it back. sd-bus never turns a bare errno into
 * one of these names: a handler that returns -EBUSY without setting an error
 * replies System.Error.EBUSY. */
static const sd_bus_error_map lpmaint_error_map[] = {
        SD_BUS_ERROR_MAP(LPMAINT_ERROR_BUSY,                  EBUSY),
        SD_BUS_ERROR_MAP(LPMAINT_ERROR_INVALID_MANIFEST,      EBADMSG),
        SD_BUS_ERROR_MAP(LPMAINT_ERROR_BAD_SIGNATURE,         EKEYREJECTED),
        SD_BUS_ERROR_MAP(LPMAINT_ERROR_UNTRUSTED_SIGNER,      ENOKEY),
        SD_BUS_ERROR_MAP(LPMAINT_ERROR_EXPIRED,               EKEYEXPIRED),
        SD_BUS_ERROR_MAP(LPMAINT_ERROR_DIGEST_MISMATCH,       EILSEQ),
        SD_BUS_ERROR_MAP(LPMAINT_ERROR_WRONG_KERNEL,          EXDEV),
        SD_BUS_ERROR_MAP(LPMAINT_ERROR_NOT_LIVEPATCH,         ENOEXEC),
        SD_BUS_ERROR_MAP(LPMAINT_ERROR_BAD_FILE,              EBADFD),
        SD_BUS_ERROR_MAP(LPMAINT_ERROR_FILE_TOO_LARGE,        EFBIG),
        SD_BUS_ERROR_MAP(LPMAINT_ERROR_ALREADY_APPLIED,       EEXIST),
        SD_BUS_ERROR_MAP(LPMAINT_ERROR_NO_SUCH_PATCH,         ESRCH),
        SD_BUS_ERROR_MAP(LPMAINT_ERROR_NOT_APPLIED,           EALREADY),
        SD_BUS_ERROR_MAP(LPMAINT_ERROR_LOAD_FAILED,           EREMOTEIO),
        SD_BUS_ERROR_MAP(LPMAINT_ERROR_LIVEPATCH_UNSUPPORTED, EOPNOTSUPP),
        SD_BUS_ERROR_MAP(LPMAINT_ERROR_INVALID_CONFIG,        EUCLEAN),
        SD_BUS_ERROR_MAP(LPMAINT_ERROR_KERNEL_REFUSED,        EREMCHG),
        SD_BUS_ERROR_MAP(LPMAINT_ERROR_UNSIGNED,              ENODATA),
        SD_BUS_ERROR_MAP(LPMAINT_ERROR_SIGNER_NOT_ALLOWED,    EMEDIUMTYPE),
        SD_BUS_ERROR_MAP(LPMAINT_ERROR_CERTIFICATE_EXPIRED,   ETIME),
        SD_BUS_ERROR_MAP(LPMAINT_ERROR_CERTIFICATE_REVOKED,   EKEYREVOKED),
        SD_BUS_ERROR_MAP(LPMAINT_ERROR_WRONG_PURPOSE,         EPROTOTYPE),
        SD_BUS_ERROR_MAP(LPMAINT_ERROR_ROLLBACK,              ESTALE),
        SD_BUS_ERROR_MAP(LPMAINT_ERROR_RING_NOT_RELEASED,     ENOTRECOVERABLE),
        SD_BUS_ERROR_MAP(LPMAINT_ERROR_REBOOT_FAILED,         ECANCELED),
        SD_BUS_ERROR_MAP(LPMAINT_ERROR_NO_REBOOT_SCHEDULED,   ENOMSG),
        SD_BUS_ERROR_MAP(LPMAINT_ERROR_NO_FLEET_LOCK,         ENOLCK),
        SD_BUS_ERROR_MAP(LPMAINT_ERROR_STORAGE_FAILED,        EBADE),
        SD_BUS_ERROR_MAP(LPMAINT_ERROR_AUDIT_FAILED,          EBADR),
        SD_BUS_ERROR_MAP(LPMAINT_ERROR_STATE_DAMAGED,         EBADSLT),
        SD_BUS_ERROR_MAP(LPMAINT_ERROR_ALREADY_ACKNOWLEDGED,  EISCONN),
        SD_BUS_ERROR_MAP_END
};

void lpmaint_errors_register(void) {
        /* Adding the same map twice is a no-op in sd-bus. */
        (void) sd_bus_error_add_map(lpmaint_error_map);
}

int bus_error_set_storage(sd_bus_error *error, int r, const char *what) {
        return sd_bus_error_setf(error, LPMAINT_ERROR_STORAGE_FAILED, "%s: %s", what, strerror(r < 0 ? -r : r));
}
