/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "errors.h"

/* The named errors of the channel's host side (lpmaint-channel(5), ERRORS),
 * beside those of lpmaint-bus.h it shares (Unsigned, FileTooLarge,
 * InvalidConfig and the signature errors). They are names of the same
 * org.lpmaint1.Error namespace so that one error type, sd_bus_error, carries
 * every refusal from the library to the agent's journal, metrics and
 * status. */
#define SYNC_ERROR_INVALID_INDEX        "org.lpmaint1.Error.InvalidIndex"
#define SYNC_ERROR_INDEX_WRONG_KERNEL   "org.lpmaint1.Error.IndexWrongKernel"
#define SYNC_ERROR_INDEX_ROLLBACK       "org.lpmaint1.Error.IndexRollback"
#define SYNC_ERROR_INDEX_EXPIRED        "org.lpmaint1.Error.IndexExpired"
#define SYNC_ERROR_ARTIFACT_MISMATCH    "org.lpmaint1.Error.ArtifactMismatch"

/* Registers the errno of each name, lpmaintd's and the channel's, with sd-bus. */
void sync_errors_register(void);
