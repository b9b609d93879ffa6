/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <systemd/sd-bus.h>

#define SIGNATURE_MAX_SIZE (64 * 1024)

/* lpmaint's own extendedKeyUsage for patch signing certificates
 * (RequiredPurpose=lpmaint): a UUID-derived OID (ITU-T X.667, arc 2.25). */
#define LPMAINT_SIGNING_EKU_OID "2.25.215526798803133696549378947816462683255"

/* What a signer certificate must be good for (extendedKeyUsage). */
typedef enum SignerPurpose {
        SIGNER_PURPOSE_CODE_SIGNING,    /* id-kp-codeSigning */
        SIGNER_PURPOSE_LPMAINT,         /* lpmaint's own key purpose, LPMAINT_SIGNING_EKU_OID */
        SIGNER_PURPOSE_ANY,             /* no requirement beyond a valid chain */
        _SIGNER_PURPOSE_MAX,
        _SIGNER_PURPOSE_INVALID = -1,
} SignerPurpose;

SignerPurpose signer_purpose_from_string(const char *s);

/* Who may sign patches for this host. */
typedef struct TrustPolicy {
        const char *trust_dir;          /* *.pem, *.crt: trusted certificates; *.crl: revocation lists */
        char *const *allowed_signers;   /* Common Names; empty: any trusted signer */
        SignerPurpose purpose;
} TrustPolicy;

/* Checks that @sig (a detached CMS signature, DER or PEM) signs exactly
 * @content, and that every signer chains to a trusted certificate, is not
 * revoked (when the trust directory holds CRLs, every issuer must have one),
 * is valid now, is fit for @policy's purpose and, if the policy names
 * signers, is one of them. Returns the first signer's subject. */
int signature_verify(const TrustPolicy *policy,
                     const void *content, size_t content_size,
                     const void *sig, size_t sig_size,
                     char **ret_signer, sd_bus_error *error);
