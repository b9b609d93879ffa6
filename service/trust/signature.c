/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "errors.h"
#include "string-table.h"
#include "openssl-util.h"
#include "signature.h"
#include "util.h"

static const char *const signer_purpose_table[_SIGNER_PURPOSE_MAX] = {
        [SIGNER_PURPOSE_CODE_SIGNING] = "code-signing",
        [SIGNER_PURPOSE_LPMAINT] = "lpmaint",
        [SIGNER_PURPOSE_ANY] = "any",
};

DEFINE_STRING_TABLE_LOOKUP_FROM_STRING(signer_purpose, SignerPurpose);

#define TRUST_FILE_MAX_SIZE (1024 * 1024)

static CMS_ContentInfo *parse_cms(const void *sig, size_t sig_size) {
        g_autoptr(BIO) der = BIO_new_mem_buf(sig, (int) sig_size);
        CMS_ContentInfo *cms = der ? d2i_CMS_bio(der, NULL) : NULL;
        if (cms)
                return cms;

        g_autoptr(BIO) pem = BIO_new_mem_buf(sig, (int) sig_size);
        return pem ? PEM_read_bio_CMS(pem, NULL, NULL, NULL) : NULL;
}

static int load_crls(X509_STORE *store, const char *path, const void *data, size_t size, sd_bus_error *error) {
        g_autoptr(BIO) bio = BIO_new_mem_buf(data, (int) size);
        unsigned n = 0;

        for (;;) {
                X509_CRL *crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL);
                if (!crl)
                        break;
                int ok = X509_STORE_add_crl(store, crl);
                X509_CRL_free(crl);
                if (ok != 1)
                        return -ENOMEM;
                n++;
        }
        ERR_clear_error();
        if (n == 0)
                return sd_bus_error_setf(error, LPMAINT_ERROR_UNTRUSTED_SIGNER, "Revocation list file %s holds no PEM CRL", path);
        /* Fail closed from here on: every certificate of the chain is checked,
         * not only the signer's (an intermediate CA revoked by the root's CRL
         * revokes all it issued), and one whose issuer has no CRL is refused. */
        X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
        return 0;
}

static int load_trust_store(const char *dir, X509_STORE **ret_store, X509Stack **ret_certs, sd_bus_error *error) {
        g_autoptr(X509_STORE) store = X509_STORE_new();
        g_autoptr(X509Stack) certs = sk_X509_new_null();
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);

        if (!store || !certs)
                return -ENOMEM;
        if (!d)
                return sd_bus_error_setf(error, LPMAINT_ERROR_UNTRUSTED_SIGNER, "Trust directory %s cannot be read", dir);

        const char *e;
        while ((e = g_dir_read_name(d))) {
                bool crl = g_str_has_suffix(e, ".crl");
                if (!crl && !g_str_has_suffix(e, ".pem") && !g_str_has_suffix(e, ".crt"))
                        continue;

                g_autofree char *path = g_build_filename(dir, e, NULL);
                g_autoptr(GBytes) bytes = NULL;
                /* Fail closed, like a file without a certificate: a FIFO is not
                 * waited on, a link not followed, and either refuses every patch. */
                int r = read_file_at(AT_FDCWD, path, TRUST_FILE_MAX_SIZE, &bytes);
                if (r == -EBADFD)
                        return sd_bus_error_setf(error, LPMAINT_ERROR_UNTRUSTED_SIGNER,
                                                 "Trust file %s is not a regular file (a link, FIFO, device or directory)", path);
                if (r < 0)
                        return sd_bus_error_setf(error, LPMAINT_ERROR_UNTRUSTED_SIGNER, "Trust file %s cannot be read: %s", path, g_strerror(-r));

                gsize size;
                const void *data = g_bytes_get_data(bytes, &size);
                if (crl) {
                        r = load_crls(store, path, data, size, error);
                        if (r < 0)
                                return r;
                        continue;
                }
                g_autoptr(BIO) bio = BIO_new_mem_buf(data, (int) size);
                unsigned n = 0;
                for (;;) {
                        g_autoptr(X509) cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
                        if (!cert)
                                break;
                        if (X509_STORE_add_cert(store, cert) != 1 || !sk_X509_push(certs, X509_dup(cert)))
                                return -ENOMEM;
                        n++;
                }
                ERR_clear_error(); /* the end of the PEM stream leaves an error behind */
                /* Fail closed: a trust file we cannot read is not silently skipped. */
                if (n == 0)
                        return sd_bus_error_setf(error, LPMAINT_ERROR_UNTRUSTED_SIGNER, "Trusted certificate file %s holds no PEM certificate", path);
        }

        if (sk_X509_num(certs) == 0)
                return sd_bus_error_setf(error, LPMAINT_ERROR_UNTRUSTED_SIGNER, "No trusted certificates in %s", dir);

        *ret_store = g_steal_pointer(&store);
        *ret_certs = g_steal_pointer(&certs);
        return 0;
}

static char *subject_of(X509 *cert) {
        g_autoptr(BIO) mem = BIO_new(BIO_s_mem());
        char *p = NULL;

        if (!mem || X509_NAME_print_ex(mem, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) < 0)
                return g_strdup("");
        long n = BIO_get_mem_data(mem, &p);
        return g_strndup(p, (gsize) MAX(n, 0));
}

static char *common_name_of(X509 *cert) {
        char cn[256];
        int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof(cn));
        return n > 0 ? g_strndup(cn, (gsize) n) : NULL;
}

static int check_purpose(X509 *signer, SignerPurpose purpose, sd_bus_error *error) {
        g_autofree char *subject = subject_of(signer);

        /* A CA signs certificates, not patches: a stolen CA key should not
         * sign patches directly without a certificate of its own. */
        if (X509_check_ca(signer) != 0)
                return sd_bus_error_setf(error, LPMAINT_ERROR_WRONG_PURPOSE, "Signer \"%s\" is a CA certificate", subject);
        if ((X509_get_extension_flags(signer) & EXFLAG_KUSAGE) && !(X509_get_key_usage(signer) & KU_DIGITAL_SIGNATURE))
                return sd_bus_error_setf(error, LPMAINT_ERROR_WRONG_PURPOSE, "Signer \"%s\" lacks keyUsage digitalSignature", subject);
        if (purpose == SIGNER_PURPOSE_ANY)
                return 0;

        ASN1_OBJECT *want = purpose == SIGNER_PURPOSE_CODE_SIGNING ?
                OBJ_dup(OBJ_nid2obj(NID_code_sign)) : OBJ_txt2obj(LPMAINT_SIGNING_EKU_OID, 1);
        EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(signer, NID_ext_key_usage, NULL, NULL);
        bool found = false;
        for (int i = 0; eku && want && i < sk_ASN1_OBJECT_num(eku); i++)
                found |= OBJ_cmp(sk_ASN1_OBJECT_value(eku, i), want) == 0;
        sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
        ASN1_OBJECT_free(want);
        ERR_clear_error();
        if (!found)
                return sd_bus_error_setf(error, LPMAINT_ERROR_WRONG_PURPOSE,
                                         "Signer \"%s\" is not a certificate for %s (extendedKeyUsage)",
                                         subject, purpose == SIGNER_PURPOSE_CODE_SIGNING ? "code signing" : "lpmaint patch signing");
        return 0;
}

static int check_allowed(X509 *signer, char *const *allowed, sd_bus_error *error) {
        if (!allowed || !allowed[0])
                return 0;
        g_autofree char *cn = common_name_of(signer);
        if (cn && g_strv_contains((const char * const *) allowed, cn))
                return 0;
        g_autofree char *subject = subject_of(signer);
        return sd_bus_error_setf(error, LPMAINT_ERROR_SIGNER_NOT_ALLOWED,
                                 "Signer \"%s\" is trusted but not among AllowedSigners=", subject);
}

static int verify_chain(X509_STORE *store, X509 *signer, X509Stack *untrusted, sd_bus_error *error) {
        g_autoptr(X509_STORE_CTX) ctx = X509_STORE_CTX_new();

        if (!ctx || X509_STORE_CTX_init(ctx, store, signer, untrusted) != 1)
                return -ENOMEM;
        if (X509_verify_cert(ctx) == 1)
                return 0;

        int err = X509_STORE_CTX_get_error(ctx);
        int depth = X509_STORE_CTX_get_error_depth(ctx);
        const char *why = X509_verify_cert_error_string(err);
        const char *whose = depth == 0 ? "Signer certificate" : "A certificate in the signer's chain";
        g_autofree char *subject = subject_of(signer);

        switch (err) {
        case X509_V_ERR_CERT_HAS_EXPIRED:
        case X509_V_ERR_CERT_NOT_YET_VALID:
                return sd_bus_error_setf(error, LPMAINT_ERROR_CERTIFICATE_EXPIRED, "%s of \"%s\": %s", whose, subject, why);
        case X509_V_ERR_CERT_REVOKED:
                return sd_bus_error_setf(error, LPMAINT_ERROR_CERTIFICATE_REVOKED, "%s of \"%s\" is revoked", whose, subject);
        default:
                return sd_bus_error_setf(error, LPMAINT_ERROR_UNTRUSTED_SIGNER, "Signer \"%s\" is not trusted: %s", subject, why);
        }
}

int signature_verify(const TrustPolicy *policy,
                     const void *content, size_t content_size,
                     const void *sig, size_t sig_size,
                     char **ret_signer, sd_bus_error *error) {
        g_autoptr(X509_STORE) store = NULL;
        g_autoptr(X509Stack) trusted = NULL;
        int r;

        if (sig_size == 0)
                return sd_bus_error_set(error, LPMAINT_ERROR_UNSIGNED, "The patch is not signed (empty signature)");
        if (sig_size > SIGNATURE_MAX_SIZE)
                return sd_bus_error_setf(error, LPMAINT_ERROR_BAD_SIGNATURE, "Signature is larger than %d bytes", SIGNATURE_MAX_SIZE);

        g_autoptr(CMS_ContentInfo) cms = parse_cms(sig, sig_size);
        ERR_clear_error();
        if (!cms)
                return sd_bus_error_set(error, LPMAINT_ERROR_BAD_SIGNATURE, "Signature is not a CMS structure (DER or PEM)");
        if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed)
                return sd_bus_error_set(error, LPMAINT_ERROR_BAD_SIGNATURE, "Signature is not CMS signed-data");
        if (!CMS_is_detached(cms))
                return sd_bus_error_set(error, LPMAINT_ERROR_BAD_SIGNATURE, "Signature embeds its content; a detached signature is required");
        if (sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(cms)) <= 0)
                return sd_bus_error_set(error, LPMAINT_ERROR_UNSIGNED, "Signature has no signers");

        r = load_trust_store(policy->trust_dir, &store, &trusted, error);
        if (r < 0)
                return r;

        /* First the mathematics: does it sign these bytes? Chains come next,
         * one signer at a time, so the error can say which and why. */
        g_autoptr(BIO) data = BIO_new_mem_buf(content, (int) content_size);
        if (!data)
                return -ENOMEM;
        if (CMS_verify(cms, trusted, store, data, NULL, CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) != 1) {
                unsigned long e = ERR_peek_last_error();
                ERR_clear_error();
                if (ERR_GET_REASON(e) == CMS_R_SIGNER_CERTIFICATE_NOT_FOUND)
                        return sd_bus_error_set(error, LPMAINT_ERROR_UNTRUSTED_SIGNER, "Signer certificate is neither in the signature nor in the trust store");
                return sd_bus_error_set(error, LPMAINT_ERROR_BAD_SIGNATURE, "Signature does not match the manifest");
        }

        /* get0: the stack is ours, the certificates in it belong to @cms. */
        STACK_OF(X509) *signers = CMS_get0_signers(cms);
        g_autoptr(X509Stack) embedded = CMS_get1_certs(cms);
        r = signers && sk_X509_num(signers) > 0 ? 0 :
                sd_bus_error_set(error, LPMAINT_ERROR_UNSIGNED, "Signature has no signers");
        for (int i = 0; r >= 0 && i < sk_X509_num(signers); i++) {
                X509 *signer = sk_X509_value(signers, i);
                r = verify_chain(store, signer, embedded, error);
                if (r >= 0)
                        r = check_purpose(signer, policy->purpose, error);
                if (r >= 0)
                        r = check_allowed(signer, policy->allowed_signers, error);
        }
        ERR_clear_error();
        if (r >= 0 && ret_signer)
                *ret_signer = subject_of(sk_X509_value(signers, 0));
        sk_X509_free(signers);
        return r < 0 ? r : 0;
}
