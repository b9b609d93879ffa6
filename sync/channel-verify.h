/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <systemd/sd-bus.h>

#include "channel-index.h"
#include "signature.h"

/* What a host holds an index against (lpmaint-channel(5), WHAT A HOST DOES). */
typedef struct ChannelIndexCheck {
        /* Who may sign indexes: the trust directory and the index signers,
         * configured apart from the patch signers; it must name them. */
        const TrustPolicy *policy;
        const char *kernel;             /* the release the host runs */
        uint64_t highest_serial;        /* the highest Serial= seen; 0: none */
        uint64_t now_usec;
} ChannelIndexCheck;

/* Checks the index's size, its signature (none: Unsigned; then the errors of
 * signature_verify()), its form (channel_index_parse()), that it is for
 * @check's kernel (IndexWrongKernel), not older than what was seen
 * (IndexRollback) and valid now (IndexExpired). Returns the index and the
 * signer's subject. */
int channel_index_verify(const ChannelIndexCheck *check,
                         const void *data, size_t size,
                         const void *sig, size_t sig_size,
                         ChannelIndex **ret, char **ret_signer, sd_bus_error *error);

/* Whether @data is the file the index describes: its size, then its SHA-256
 * (ArtifactMismatch). @what names it in the message. */
int channel_artifact_check(const ChannelArtifact *a, const char *what, const void *data, size_t size, sd_bus_error *error);
