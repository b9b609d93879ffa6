/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "channel-verify.h"
#include "sync-errors.h"

/* Allow for clocks that differ a little between the publisher and this host. */
#define ISSUE_CLOCK_SKEW_USEC (5 * 60 * USEC_PER_SEC)

int channel_index_verify(const ChannelIndexCheck *check,
                         const void *data, size_t size,
                         const void *sig, size_t sig_size,
                         ChannelIndex **ret, char **ret_signer, sd_bus_error *error) {
        g_autoptr(ChannelIndex) idx = NULL;
        g_autofree char *signer = NULL;
        int r;

        sync_errors_register();
        /* With no index signer named, any patch signer's key could sign
         * indexes: the roles would not be apart. */
        if (!check->policy->allowed_signers || !check->policy->allowed_signers[0])
                return sd_bus_error_set(error, LPMAINT_ERROR_INVALID_CONFIG, "No index signer is configured");
        if (size > CHANNEL_INDEX_MAX_SIZE)
                return sd_bus_error_setf(error, LPMAINT_ERROR_FILE_TOO_LARGE, "Index is larger than %d bytes", CHANNEL_INDEX_MAX_SIZE);
        if (!sig || sig_size == 0)
                return sd_bus_error_set(error, LPMAINT_ERROR_UNSIGNED, "Index has no signature");
        if (sig_size > SIGNATURE_MAX_SIZE)
                return sd_bus_error_setf(error, LPMAINT_ERROR_FILE_TOO_LARGE, "Index signature is larger than %d bytes", SIGNATURE_MAX_SIZE);

        /* Nothing unauthenticated is parsed. */
        r = signature_verify(check->policy, data, size, sig, sig_size, &signer, error);
        if (r < 0 && sd_bus_error_has_name(error, LPMAINT_ERROR_SIGNER_NOT_ALLOWED)) {
                /* signature_verify() speaks of patch signers. */
                g_autofree char *message = g_strdup(error->message);
                sd_bus_error_free(error);
                return sd_bus_error_setf(error, LPMAINT_ERROR_SIGNER_NOT_ALLOWED, "Index: %s (index signers are configured apart)", message);
        }
        if (r < 0)
                return r;
        r = channel_index_parse(data, size, &idx, error);
        if (r < 0)
                return r;

        if (!g_str_equal(idx->kernel, check->kernel))
                return sd_bus_error_setf(error, SYNC_ERROR_INDEX_WRONG_KERNEL, "Index is for kernel %s, this host runs %s", idx->kernel, check->kernel);
        if (idx->serial < check->highest_serial)
                return sd_bus_error_setf(error, SYNC_ERROR_INDEX_ROLLBACK, "Index has serial %" G_GUINT64_FORMAT ", lower than %" G_GUINT64_FORMAT " seen before",
                                         idx->serial, check->highest_serial);
        if (idx->issued_usec > check->now_usec + ISSUE_CLOCK_SKEW_USEC) {
                g_autofree char *at = format_timestamp_utc(idx->issued_usec);
                return sd_bus_error_setf(error, SYNC_ERROR_INDEX_EXPIRED, "Index is issued in the future (%s); check the clock", at);
        }
        if (check->now_usec >= idx->expires_usec) {
                g_autofree char *at = format_timestamp_utc(idx->expires_usec);
                return sd_bus_error_setf(error, SYNC_ERROR_INDEX_EXPIRED, "Index expired at %s", at);
        }

        *ret = g_steal_pointer(&idx);
        if (ret_signer)
                *ret_signer = g_steal_pointer(&signer);
        return 0;
}

int channel_artifact_check(const ChannelArtifact *a, const char *what, const void *data, size_t size, sd_bus_error *error) {
        char hex[SHA256_HEX_LEN + 1];

        sync_errors_register();
        if (size != a->size)
                return sd_bus_error_setf(error, SYNC_ERROR_ARTIFACT_MISMATCH, "%s %s has %zu bytes, the index says %" G_GUINT64_FORMAT,
                                         what, a->path, size, a->size);
        sha256_hex(data, size, hex);
        if (!g_str_equal(hex, a->sha256))
                return sd_bus_error_setf(error, SYNC_ERROR_ARTIFACT_MISMATCH, "%s %s has SHA-256 %s, the index says %s", what, a->path, hex, a->sha256);
        return 0;
}
