/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h> /* before cms.h, for the PEM functions it declares */
#include <openssl/cms.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "errors.h"
#include "signature.h"
#include "test-helpers.h"

/* A throwaway PKI, made once in the parent before the tests fork. */
typedef struct Identity {
        EVP_PKEY *key;
        X509 *cert;
} Identity;

static SignerPurpose policy_purpose = SIGNER_PURPOSE_CODE_SIGNING;
static char **policy_allowed = NULL;
static Identity ca, signer, other_ca, other_signer, expired_signer, ca_signed_ca, email_signer, lpmaint_signer, revoked_signer,
        inter_ca, inter_signer;

static const char content[] = "[Patch]\nName=lp_fix_1\nVersion=1\n";
static const char signer_cn[] = "lpmaint test signer";

static char *tmp, *trust_dir;

static void add_ext(X509 *cert, X509 *issuer, int nid, const char *value) {
        X509V3_CTX ctx;

        X509V3_set_ctx_nodb(&ctx);
        X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
        X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
        g_assert(ext);
        g_assert(X509_add_ext(cert, ext, -1) == 1);
        X509_EXTENSION_free(ext);
}

/* A certificate for a new P-256 key, issued by @issuer (NULL: self-signed). */
/* @eku: the extendedKeyUsage of a non-CA certificate, or NULL for none. */
static Identity make_identity_eku(const char *cn, const Identity *issuer, bool is_ca, long not_before_days, long not_after_days,
                                  const char *eku) {
        static long serial = 1;
        Identity id = { .key = EVP_EC_gen("P-256"), .cert = X509_new() };
        X509 *c = id.cert;

        g_assert(id.key && c);
        g_assert(X509_set_version(c, X509_VERSION_3) == 1);
        g_assert(ASN1_INTEGER_set(X509_get_serialNumber(c), serial++) == 1);
        g_assert(X509_gmtime_adj(X509_getm_notBefore(c), not_before_days * 24 * 3600));
        g_assert(X509_gmtime_adj(X509_getm_notAfter(c), not_after_days * 24 * 3600));
        g_assert(X509_set_pubkey(c, id.key) == 1);

        X509_NAME *name = X509_get_subject_name(c);
        g_assert(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *) cn, -1, -1, 0) == 1);
        X509 *issuer_cert = issuer ? issuer->cert : c;
        g_assert(X509_set_issuer_name(c, X509_get_subject_name(issuer_cert)) == 1);

        add_ext(c, issuer_cert, NID_subject_key_identifier, "hash");
        add_ext(c, issuer_cert, NID_authority_key_identifier, "keyid:always");
        if (is_ca) {
                add_ext(c, issuer_cert, NID_basic_constraints, "critical,CA:TRUE");
                add_ext(c, issuer_cert, NID_key_usage, "critical,keyCertSign,cRLSign");
        } else {
                add_ext(c, issuer_cert, NID_basic_constraints, "critical,CA:FALSE");
                add_ext(c, issuer_cert, NID_key_usage, "critical,digitalSignature");
                if (eku)
                        add_ext(c, issuer_cert, NID_ext_key_usage, eku);
        }
        g_assert(X509_sign(c, issuer ? issuer->key : id.key, EVP_sha256()) > 0);
        return id;
}

static Identity make_identity(const char *cn, const Identity *issuer, bool is_ca, long not_before_days, long not_after_days) {
        return make_identity_eku(cn, issuer, is_ca, not_before_days, not_after_days, "codeSigning");
}

static void identity_clear(Identity *id) {
        EVP_PKEY_free(id->key);
        X509_free(id->cert);
        *id = (Identity) {};
}

static void make_pki(void) {
        ca = make_identity("lpmaint test CA", NULL, true, -1, 365);
        signer = make_identity(signer_cn, &ca, false, -1, 30);
        expired_signer = make_identity("lpmaint expired signer", &ca, false, -30, -1);
        other_ca = make_identity("untrusted CA", NULL, true, -1, 365);
        other_signer = make_identity("untrusted signer", &other_ca, false, -1, 30);
        /* A CA certificate used directly as a signer's certificate. */
        ca_signed_ca = make_identity("intermediate used as signer", &ca, true, -1, 30);
        email_signer = make_identity_eku("email-only signer", &ca, false, -1, 30, "emailProtection");
        lpmaint_signer = make_identity_eku("lpmaint-purpose signer", &ca, false, -1, 30, LPMAINT_SIGNING_EKU_OID);
        revoked_signer = make_identity("revoked signer", &ca, false, -1, 30);
        inter_ca = make_identity("lpmaint intermediate CA", &ca, true, -1, 365);
        inter_signer = make_identity("intermediate's signer", &inter_ca, false, -1, 30);
        ERR_clear_error();
}

static void free_pki(void) {
        identity_clear(&ca);
        identity_clear(&signer);
        identity_clear(&expired_signer);
        identity_clear(&other_ca);
        identity_clear(&other_signer);
        identity_clear(&ca_signed_ca);
        identity_clear(&email_signer);
        identity_clear(&lpmaint_signer);
        identity_clear(&revoked_signer);
        identity_clear(&inter_ca);
        identity_clear(&inter_signer);
}

static char *cert_pem(X509 *cert) {
        BIO *mem = BIO_new(BIO_s_mem());
        char *p = NULL;

        g_assert(PEM_write_bio_X509(mem, cert) == 1);
        long n = BIO_get_mem_data(mem, &p);
        char *s = g_strndup(p, (gsize) n);
        BIO_free(mem);
        return s;
}

/* A CMS signature of @data by @id: DER, or PEM with @pem; detached unless @embed. */
static GBytes *sign(const Identity *id, const void *data, size_t size, bool pem, bool embed) {
        BIO *in = BIO_new_mem_buf(data, (int) size);
        BIO *out = BIO_new(BIO_s_mem());
        unsigned flags = CMS_BINARY | (embed ? 0 : CMS_DETACHED);
        char *p = NULL;

        CMS_ContentInfo *cms = CMS_sign(id->cert, id->key, NULL, in, flags);
        ck_assert_ptr_nonnull(cms);
        if (pem)
                ck_assert_int_eq(PEM_write_bio_CMS(out, cms), 1);
        else
                ck_assert_int_eq(i2d_CMS_bio(out, cms), 1);
        long n = BIO_get_mem_data(out, &p);
        GBytes *b = g_bytes_new(p, (gsize) n);

        CMS_ContentInfo_free(cms);
        BIO_free(in);
        BIO_free(out);
        return b;
}

/* A detached DER signature by @id that carries @chain's certificate, as lpmaint-sign --chain does. */
static GBytes *sign_with_chain(const Identity *id, const Identity *chain, const void *data, size_t size) {
        BIO *in = BIO_new_mem_buf(data, (int) size);
        BIO *out = BIO_new(BIO_s_mem());
        STACK_OF(X509) *certs = sk_X509_new_null();
        char *p = NULL;

        ck_assert(certs && sk_X509_push(certs, chain->cert) > 0);
        CMS_ContentInfo *cms = CMS_sign(id->cert, id->key, certs, in, CMS_BINARY | CMS_DETACHED);
        ck_assert_ptr_nonnull(cms);
        ck_assert_int_eq(i2d_CMS_bio(out, cms), 1);
        long n = BIO_get_mem_data(out, &p);
        GBytes *b = g_bytes_new(p, (gsize) n);

        CMS_ContentInfo_free(cms);
        sk_X509_free(certs);
        BIO_free(in);
        BIO_free(out);
        return b;
}

static void setup(void) {
        tmp = th_mkdtemp();
        trust_dir = g_build_filename(tmp, "trust.d", NULL);
        g_autofree char *pem = cert_pem(ca.cert);
        th_write_file(trust_dir, "test-ca.pem", pem, -1);
}

static void teardown(void) {
        policy_purpose = SIGNER_PURPOSE_CODE_SIGNING;
        g_clear_pointer(&policy_allowed, g_strfreev);
        th_rmtree(tmp);
        g_clear_pointer(&tmp, g_free);
        g_clear_pointer(&trust_dir, g_free);
}

static int verify(const void *data, size_t size, GBytes *sig, char **ret_signer, sd_bus_error *error) {
        gsize sig_size;
        const void *sig_data = g_bytes_get_data(sig, &sig_size);
        TrustPolicy policy = { .trust_dir = trust_dir, .allowed_signers = policy_allowed, .purpose = policy_purpose };
        return signature_verify(&policy, data, size, sig_data, sig_size, ret_signer, error);
}

static void assert_verify_fails(const void *data, size_t size, GBytes *sig, const char *name) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        char *who = NULL;

        th_assert_bus_error(verify(data, size, sig, &who, &error), &error, name);
        ck_assert_ptr_null(who);
}

START_TEST(test_valid) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autoptr(GBytes) sig = sign(&signer, content, strlen(content), false, false);
        g_autofree char *who = NULL;

        th_assert_ok(verify(content, strlen(content), sig, &who, &error), &error);
        ck_assert_ptr_nonnull(who);
        ck_assert_str_eq(who, "CN=lpmaint test signer");

        /* The signer is optional. */
        th_assert_ok(verify(content, strlen(content), sig, NULL, &error), &error);
}
END_TEST

START_TEST(test_valid_pem_and_crt) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autoptr(GBytes) sig = sign(&signer, content, strlen(content), true, false);
        g_autofree char *who = NULL;

        ck_assert(g_str_has_prefix(g_bytes_get_data(sig, NULL), "-----BEGIN CMS-----"));
        th_assert_ok(verify(content, strlen(content), sig, &who, &error), &error);
        ck_assert_str_eq(who, "CN=lpmaint test signer");

        /* *.crt files are trust anchors too; other names are ignored. */
        g_autofree char *pem = cert_pem(ca.cert);
        g_autofree char *old = g_build_filename(trust_dir, "test-ca.pem", NULL);
        ck_assert_int_eq(unlink(old), 0);
        th_write_file(trust_dir, "test-ca.crt", pem, -1);
        th_write_file(trust_dir, "README", "not a certificate\n", -1);
        th_write_file(trust_dir, "test-ca.pem.disabled", "not a certificate either\n", -1);
        g_autofree char *who2 = NULL;
        th_assert_ok(verify(content, strlen(content), sig, &who2, &error), &error);
        ck_assert_str_eq(who2, "CN=lpmaint test signer");
}
END_TEST

START_TEST(test_trust_file_with_several_certificates) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autoptr(GBytes) sig = sign(&signer, content, strlen(content), false, false);
        g_autofree char *a = cert_pem(other_ca.cert), *b = cert_pem(ca.cert);
        g_autofree char *both = g_strconcat(a, b, NULL);
        g_autofree char *old = g_build_filename(trust_dir, "test-ca.pem", NULL);

        ck_assert_int_eq(unlink(old), 0);
        th_write_file(trust_dir, "bundle.pem", both, -1);
        th_assert_ok(verify(content, strlen(content), sig, NULL, &error), &error);
}
END_TEST

START_TEST(test_content_changed) {
        g_autoptr(GBytes) sig = sign(&signer, content, strlen(content), false, false);
        size_t n = strlen(content);
        g_autofree char *changed = g_strdup(content);

        /* Every single-byte change is caught. */
        for (size_t i = 0; i < n; i++) {
                changed[i] ^= 0x01;
                assert_verify_fails(changed, n, sig, LPMAINT_ERROR_BAD_SIGNATURE);
                changed[i] ^= 0x01;
        }
        assert_verify_fails(content, n - 1, sig, LPMAINT_ERROR_BAD_SIGNATURE);
        g_autofree char *longer = g_strconcat(content, "X", NULL);
        assert_verify_fails(longer, n + 1, sig, LPMAINT_ERROR_BAD_SIGNATURE);
        assert_verify_fails("", 0, sig, LPMAINT_ERROR_BAD_SIGNATURE);
}
END_TEST

START_TEST(test_signature_changed) {
        g_autoptr(GBytes) sig = sign(&signer, content, strlen(content), false, false);
        gsize n;
        const uint8_t *d = g_bytes_get_data(sig, &n);
        g_autofree uint8_t *copy = g_memdup2(d, n);

        /* The last bytes are the ECDSA signature value. */
        copy[n - 2] ^= 0x40;
        g_autoptr(GBytes) bad = g_bytes_new(copy, n);
        assert_verify_fails(content, strlen(content), bad, LPMAINT_ERROR_BAD_SIGNATURE);

        /* A truncated signature is not a CMS structure. */
        g_autoptr(GBytes) truncated = g_bytes_new(d, n / 2);
        assert_verify_fails(content, strlen(content), truncated, LPMAINT_ERROR_BAD_SIGNATURE);
}
END_TEST

START_TEST(test_garbage_signature) {
        g_autoptr(GBytes) garbage = g_bytes_new_static("this is not a signature", 23);
        g_autoptr(GBytes) empty = g_bytes_new_static("", 0);
        g_autoptr(GBytes) fake_pem = g_bytes_new_static("-----BEGIN CMS-----\nAAAA\n-----END CMS-----\n", 42);
        g_autofree char *ca_pem = cert_pem(ca.cert);
        g_autoptr(GBytes) a_cert = g_bytes_new(ca_pem, strlen(ca_pem));

        assert_verify_fails(content, strlen(content), garbage, LPMAINT_ERROR_BAD_SIGNATURE);
        assert_verify_fails(content, strlen(content), empty, LPMAINT_ERROR_UNSIGNED);
        assert_verify_fails(content, strlen(content), fake_pem, LPMAINT_ERROR_BAD_SIGNATURE);
        assert_verify_fails(content, strlen(content), a_cert, LPMAINT_ERROR_BAD_SIGNATURE);
}
END_TEST

START_TEST(test_oversize_signature) {
        g_autoptr(GBytes) sig = sign(&signer, content, strlen(content), false, false);
        gsize n;
        const void *d = g_bytes_get_data(sig, &n);
        g_autofree uint8_t *big = g_malloc0(SIGNATURE_MAX_SIZE + 1);

        /* A valid signature followed by padding past the limit. */
        ck_assert_uint_lt(n, SIGNATURE_MAX_SIZE);
        memcpy(big, d, n);
        g_autoptr(GBytes) oversize = g_bytes_new(big, SIGNATURE_MAX_SIZE + 1);
        assert_verify_fails(content, strlen(content), oversize, LPMAINT_ERROR_BAD_SIGNATURE);
}
END_TEST

START_TEST(test_untrusted_ca) {
        g_autoptr(GBytes) sig = sign(&other_signer, content, strlen(content), false, false);
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;

        assert_verify_fails(content, strlen(content), sig, LPMAINT_ERROR_UNTRUSTED_SIGNER);
        th_assert_bus_error(verify(content, strlen(content), sig, NULL, &error), &error, LPMAINT_ERROR_UNTRUSTED_SIGNER);
        ck_assert_msg(strstr(error.message, "untrusted signer"), "message does not name the signer: %s", error.message);
}
END_TEST

START_TEST(test_self_signed_signer) {
        /* The untrusted CA signing for itself. */
        g_autoptr(GBytes) sig = sign(&other_ca, content, strlen(content), false, false);
        assert_verify_fails(content, strlen(content), sig, LPMAINT_ERROR_UNTRUSTED_SIGNER);
}
END_TEST

START_TEST(test_expired_signer) {
        g_autoptr(GBytes) sig = sign(&expired_signer, content, strlen(content), false, false);
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;

        th_assert_bus_error(verify(content, strlen(content), sig, NULL, &error), &error, LPMAINT_ERROR_CERTIFICATE_EXPIRED);
        ck_assert_msg(strstr(error.message, "expired"), "message does not mention expiry: %s", error.message);
}
END_TEST

START_TEST(test_ca_cert_as_signer) {
        /* A CA certificate signs certificates, not patches. */
        g_autoptr(GBytes) sig = sign(&ca_signed_ca, content, strlen(content), false, false);
        assert_verify_fails(content, strlen(content), sig, LPMAINT_ERROR_WRONG_PURPOSE);
        policy_purpose = SIGNER_PURPOSE_ANY;
        assert_verify_fails(content, strlen(content), sig, LPMAINT_ERROR_WRONG_PURPOSE);
}
END_TEST

START_TEST(test_wrong_purpose) {
        g_autoptr(GBytes) sig = sign(&email_signer, content, strlen(content), false, false);
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;

        assert_verify_fails(content, strlen(content), sig, LPMAINT_ERROR_WRONG_PURPOSE);
        policy_purpose = SIGNER_PURPOSE_LPMAINT;
        assert_verify_fails(content, strlen(content), sig, LPMAINT_ERROR_WRONG_PURPOSE);
        /* "any" asks nothing beyond a valid chain. */
        policy_purpose = SIGNER_PURPOSE_ANY;
        ck_assert_int_eq(verify(content, strlen(content), sig, NULL, &error), 0);
}
END_TEST

START_TEST(test_lpmaint_purpose) {
        g_autoptr(GBytes) own = sign(&lpmaint_signer, content, strlen(content), false, false);
        g_autoptr(GBytes) code = sign(&signer, content, strlen(content), false, false);
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;

        assert_verify_fails(content, strlen(content), own, LPMAINT_ERROR_WRONG_PURPOSE);
        policy_purpose = SIGNER_PURPOSE_LPMAINT;
        ck_assert_int_eq(verify(content, strlen(content), own, NULL, &error), 0);
        assert_verify_fails(content, strlen(content), code, LPMAINT_ERROR_WRONG_PURPOSE);
}
END_TEST

START_TEST(test_allowed_signers) {
        g_autoptr(GBytes) sig = sign(&signer, content, strlen(content), false, false);
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;

        policy_allowed = g_strsplit("someone else;lpmaint test signer", ";", -1);
        ck_assert_str_eq(signer_cn, "lpmaint test signer");
        ck_assert_int_eq(verify(content, strlen(content), sig, NULL, &error), 0);
        g_strfreev(policy_allowed);
        policy_allowed = g_strsplit("someone else", ";", -1);
        assert_verify_fails(content, strlen(content), sig, LPMAINT_ERROR_SIGNER_NOT_ALLOWED);
}
END_TEST

/* A CRL by @issuer revoking @revoked (or nothing), as PEM. */
static char *crl_pem(const Identity *issuer, const Identity *revoked) {
        X509_CRL *crl = X509_CRL_new();
        BIO *mem = BIO_new(BIO_s_mem());
        char *p = NULL;

        g_assert(X509_CRL_set_version(crl, 1) == 1);
        g_assert(X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer->cert)) == 1);
        ASN1_TIME *now = ASN1_TIME_adj(NULL, time(NULL), -1, 0), *next = ASN1_TIME_adj(NULL, time(NULL), 30, 0);
        g_assert(X509_CRL_set1_lastUpdate(crl, now) == 1 && X509_CRL_set1_nextUpdate(crl, next) == 1);
        if (revoked) {
                X509_REVOKED *r = X509_REVOKED_new();
                g_assert(X509_REVOKED_set_serialNumber(r, X509_get_serialNumber(revoked->cert)) == 1);
                g_assert(X509_REVOKED_set_revocationDate(r, now) == 1);
                g_assert(X509_CRL_add0_revoked(crl, r) == 1);
        }
        g_assert(X509_CRL_sort(crl) == 1);
        g_assert(X509_CRL_sign(crl, issuer->key, EVP_sha256()) > 0);
        g_assert(PEM_write_bio_X509_CRL(mem, crl) == 1);
        long n = BIO_get_mem_data(mem, &p);
        char *s = g_strndup(p, (gsize) n);
        ASN1_TIME_free(now);
        ASN1_TIME_free(next);
        X509_CRL_free(crl);
        BIO_free(mem);
        return s;
}

START_TEST(test_revoked_signer) {
        g_autoptr(GBytes) revoked = sign(&revoked_signer, content, strlen(content), false, false);
        g_autoptr(GBytes) good = sign(&signer, content, strlen(content), false, false);
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autofree char *crl = crl_pem(&ca, &revoked_signer);

        /* Without a CRL nothing says it is revoked. */
        ck_assert_int_eq(verify(content, strlen(content), revoked, NULL, &error), 0);
        th_write_file(trust_dir, "test-ca.crl", crl, -1);
        assert_verify_fails(content, strlen(content), revoked, LPMAINT_ERROR_CERTIFICATE_REVOKED);
        ck_assert_int_eq(verify(content, strlen(content), good, NULL, &error), 0);
}
END_TEST

START_TEST(test_issuer_without_crl) {
        /* Once CRLs are in use, a signer whose issuer publishes none is refused. */
        g_autofree char *other_pem = cert_pem(other_ca.cert);
        g_autofree char *crl = crl_pem(&ca, NULL);
        g_autoptr(GBytes) sig = sign(&other_signer, content, strlen(content), false, false);

        th_write_file(trust_dir, "other-ca.pem", other_pem, -1);
        th_write_file(trust_dir, "test-ca.crl", crl, -1);
        assert_verify_fails(content, strlen(content), sig, LPMAINT_ERROR_UNTRUSTED_SIGNER);
}
END_TEST

START_TEST(test_revoked_intermediate) {
        /* The root revokes the intermediate CA; the intermediate's own CRL revokes nothing. */
        g_autoptr(GBytes) sig = sign_with_chain(&inter_signer, &inter_ca, content, strlen(content));
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autofree char *root_crl = crl_pem(&ca, NULL), *root_revokes = crl_pem(&ca, &inter_ca);
        g_autofree char *inter_crl = crl_pem(&inter_ca, NULL);

        th_assert_ok(verify(content, strlen(content), sig, NULL, &error), &error);
        th_write_file(trust_dir, "test-ca.crl", root_crl, -1);
        th_write_file(trust_dir, "inter-ca.crl", inter_crl, -1);
        th_assert_ok(verify(content, strlen(content), sig, NULL, &error), &error);

        th_write_file(trust_dir, "test-ca.crl", root_revokes, -1);
        assert_verify_fails(content, strlen(content), sig, LPMAINT_ERROR_CERTIFICATE_REVOKED);
        th_assert_bus_error(verify(content, strlen(content), sig, NULL, &error), &error, LPMAINT_ERROR_CERTIFICATE_REVOKED);
        ck_assert_msg(strstr(error.message, "in the signer's chain"), "message does not name the chain: %s", error.message);
}
END_TEST

START_TEST(test_every_issuer_needs_a_crl) {
        /* Once CRLs are in use, each CA of the chain needs one: the root's alone
         * does not vouch for the intermediate's signers, nor the intermediate's
         * alone for the intermediate. */
        g_autoptr(GBytes) sig = sign_with_chain(&inter_signer, &inter_ca, content, strlen(content));
        g_autofree char *root_crl = crl_pem(&ca, NULL), *inter_crl = crl_pem(&inter_ca, NULL);

        th_write_file(trust_dir, "test-ca.crl", root_crl, -1);
        assert_verify_fails(content, strlen(content), sig, LPMAINT_ERROR_UNTRUSTED_SIGNER);

        g_autofree char *path = g_build_filename(trust_dir, "test-ca.crl", NULL);
        ck_assert_int_eq(unlink(path), 0);
        th_write_file(trust_dir, "inter-ca.crl", inter_crl, -1);
        assert_verify_fails(content, strlen(content), sig, LPMAINT_ERROR_UNTRUSTED_SIGNER);
}
END_TEST

START_TEST(test_garbage_crl) {
        g_autoptr(GBytes) sig = sign(&signer, content, strlen(content), false, false);
        th_write_file(trust_dir, "broken.crl", "not a CRL\n", -1);
        assert_verify_fails(content, strlen(content), sig, LPMAINT_ERROR_UNTRUSTED_SIGNER);
}
END_TEST

START_TEST(test_not_yet_valid_signer) {
        Identity future = make_identity("lpmaint future signer", &ca, false, 10, 40);
        g_autoptr(GBytes) sig = sign(&future, content, strlen(content), false, false);
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;

        th_assert_bus_error(verify(content, strlen(content), sig, NULL, &error), &error, LPMAINT_ERROR_CERTIFICATE_EXPIRED);
        ck_assert_msg(strstr(error.message, "not yet valid"), "message does not say not yet valid: %s", error.message);
        identity_clear(&future);
}
END_TEST

START_TEST(test_zero_signers) {
        /* A well-formed, detached signed-data structure that nobody signed
         * (PKCS#7 and CMS signed-data share their encoding). */
        PKCS7 *p7 = PKCS7_new();
        unsigned char *out = NULL;

        ck_assert_ptr_nonnull(p7);
        ck_assert_int_eq(PKCS7_set_type(p7, NID_pkcs7_signed), 1);
        ck_assert_int_eq(PKCS7_content_new(p7, NID_pkcs7_data), 1);
        ck_assert_int_eq(PKCS7_set_detached(p7, 1), 1);
        int n = i2d_PKCS7(p7, &out);
        ck_assert_int_gt(n, 0);
        g_autoptr(GBytes) sig = g_bytes_new(out, (gsize) n);
        OPENSSL_free(out);
        PKCS7_free(p7);

        assert_verify_fails(content, strlen(content), sig, LPMAINT_ERROR_UNSIGNED);
}
END_TEST

START_TEST(test_unsigned) {
        g_autoptr(GBytes) empty = g_bytes_new(NULL, 0);
        assert_verify_fails(content, strlen(content), empty, LPMAINT_ERROR_UNSIGNED);
}
END_TEST

START_TEST(test_empty_trust_dir) {
        g_autoptr(GBytes) sig = sign(&signer, content, strlen(content), false, false);
        g_autofree char *old = g_build_filename(trust_dir, "test-ca.pem", NULL);

        ck_assert_int_eq(unlink(old), 0);
        assert_verify_fails(content, strlen(content), sig, LPMAINT_ERROR_UNTRUSTED_SIGNER);

        /* Files not named *.pem or *.crt do not count. */
        g_autofree char *pem = cert_pem(ca.cert);
        th_write_file(trust_dir, "test-ca.cer", pem, -1);
        assert_verify_fails(content, strlen(content), sig, LPMAINT_ERROR_UNTRUSTED_SIGNER);
}
END_TEST

START_TEST(test_missing_trust_dir) {
        g_autoptr(GBytes) sig = sign(&signer, content, strlen(content), false, false);

        g_free(trust_dir);
        trust_dir = g_build_filename(tmp, "no-such-dir", NULL);
        assert_verify_fails(content, strlen(content), sig, LPMAINT_ERROR_UNTRUSTED_SIGNER);
}
END_TEST

START_TEST(test_non_pem_trust_file) {
        g_autoptr(GBytes) sig = sign(&signer, content, strlen(content), false, false);

        /* Fail closed: the good CA is there, but so is a .pem that holds no certificate. */
        th_write_file(trust_dir, "broken.pem", "this is not PEM\n", -1);
        assert_verify_fails(content, strlen(content), sig, LPMAINT_ERROR_UNTRUSTED_SIGNER);

        /* The same alone. */
        g_autofree char *old = g_build_filename(trust_dir, "test-ca.pem", NULL);
        ck_assert_int_eq(unlink(old), 0);
        assert_verify_fails(content, strlen(content), sig, LPMAINT_ERROR_UNTRUSTED_SIGNER);
}
END_TEST

START_TEST(test_embedded_content) {
        g_autoptr(GBytes) sig = sign(&signer, content, strlen(content), false, true);
        g_autoptr(GBytes) pem = sign(&signer, content, strlen(content), true, true);

        /* Even over the very content it embeds. */
        assert_verify_fails(content, strlen(content), sig, LPMAINT_ERROR_BAD_SIGNATURE);
        assert_verify_fails(content, strlen(content), pem, LPMAINT_ERROR_BAD_SIGNATURE);
}
END_TEST

START_TEST(test_binary_content) {
        /* CMS_BINARY: no canonicalisation of line ends; CR LF differs from LF. */
        static const char lf[] = "a\nb\n", crlf[] = "a\r\nb\r\n";
        g_autoptr(GBytes) sig = sign(&signer, lf, strlen(lf), false, false);
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;

        th_assert_ok(verify(lf, strlen(lf), sig, NULL, &error), &error);
        assert_verify_fails(crlf, strlen(crlf), sig, LPMAINT_ERROR_BAD_SIGNATURE);
}
END_TEST

static Suite *signature_suite(void) {
        Suite *s = suite_create("signature");
        TCase *tc = tcase_create("verify");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 20);
        tcase_add_test(tc, test_valid);
        tcase_add_test(tc, test_valid_pem_and_crt);
        tcase_add_test(tc, test_trust_file_with_several_certificates);
        tcase_add_test(tc, test_content_changed);
        tcase_add_test(tc, test_signature_changed);
        tcase_add_test(tc, test_garbage_signature);
        tcase_add_test(tc, test_oversize_signature);
        tcase_add_test(tc, test_untrusted_ca);
        tcase_add_test(tc, test_self_signed_signer);
        tcase_add_test(tc, test_expired_signer);
        tcase_add_test(tc, test_ca_cert_as_signer);
        tcase_add_test(tc, test_wrong_purpose);
        tcase_add_test(tc, test_lpmaint_purpose);
        tcase_add_test(tc, test_allowed_signers);
        tcase_add_test(tc, test_revoked_signer);
        tcase_add_test(tc, test_issuer_without_crl);
        tcase_add_test(tc, test_revoked_intermediate);
        tcase_add_test(tc, test_every_issuer_needs_a_crl);
        tcase_add_test(tc, test_garbage_crl);
        tcase_add_test(tc, test_unsigned);
        tcase_add_test(tc, test_not_yet_valid_signer);
        tcase_add_test(tc, test_zero_signers);
        tcase_add_test(tc, test_empty_trust_dir);
        tcase_add_test(tc, test_missing_trust_dir);
        tcase_add_test(tc, test_non_pem_trust_file);
        tcase_add_test(tc, test_embedded_content);
        tcase_add_test(tc, test_binary_content);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        make_pki();
        int r = th_run_suite(signature_suite());
        free_pki();
        return r;
}
