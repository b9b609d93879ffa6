/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "sync-errors.h"

/* Errnos that lpmaintd's map (service/basic/errors.c) does not use, so that a
 * caller holding only the return value can still tell the refusals apart. */
static const sd_bus_error_map sync_error_map[] = {
        SD_BUS_ERROR_MAP(SYNC_ERROR_INVALID_INDEX,      EPROTO),
        SD_BUS_ERROR_MAP(SYNC_ERROR_INDEX_WRONG_KERNEL, ENOTUNIQ),
        SD_BUS_ERROR_MAP(SYNC_ERROR_INDEX_ROLLBACK,     EOWNERDEAD),
        SD_BUS_ERROR_MAP(SYNC_ERROR_INDEX_EXPIRED,      ETIMEDOUT),
        SD_BUS_ERROR_MAP(SYNC_ERROR_ARTIFACT_MISMATCH,  ECHRNG),
        SD_BUS_ERROR_MAP_END
};

void sync_errors_register(void) {
        lpmaint_errors_register();
        (void) sd_bus_error_add_map(sync_error_map);
}
