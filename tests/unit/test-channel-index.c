/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The channel index (sync/): its form read and written, every bad input with
 * its named error, and its verification as a host does it. */
#include <string.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "channel-dir.h"
#include "channel-index.h"
#include "channel-verify.h"
#include "openssl-util.h"
#include "sync-errors.h"
#include "test-helpers.h"

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define SHA_C "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

static const char good[] =
        "# A comment is fine.\n"
        "[Index]\n"
        "Kernel=6.1.0-test\n"
        "Serial=7\n"
        "Issued=2026-01-01T00:00:00Z\n"
        "Expires=2026-01-08T00:00:00Z\n"
        "\n"
        "[Patch lp_a 1.0]\n"
        "Replace=false\n"
        "AddedIn=3\n"
        "Manifest=patches/6.1.0-test/lp_a/1.0/lp_a.manifest\n"
        "ManifestSize=100\n"
        "ManifestSHA256=" SHA_A "\n"
        "Signature=patches/6.1.0-test/lp_a/1.0/lp_a.manifest.p7s\n"
        "SignatureSize=200\n"
        "SignatureSHA256=" SHA_B "\n"
        "Module=patches/6.1.0-test/lp_a/1.0/lp_a.ko\n"
        "ModuleSize=3000\n"
        "ModuleSHA256=" SHA_C "\n"
        "\n"
        "[Promote lp_a 1.0]\n"
        "wave-1=2026-01-02T00:00:00Z\n"
        "*=2026-01-05T00:00:00Z\n"
        "\n"
        "[Patch lp_b 1:2.0~rc1]\n"
        "Replace=true\n"
        "AddedIn=7\n"
        "Manifest=patches/6.1.0-test/lp_b/1:2.0~rc1/lp_b.manifest\n"
        "ManifestSize=65536\n"
        "ManifestSHA256=" SHA_A "\n"
        "Signature=patches/6.1.0-test/lp_b/1:2.0~rc1/lp_b.manifest.p7s\n"
        "SignatureSize=65536\n"
        "SignatureSHA256=" SHA_B "\n"
        "Module=patches/6.1.0-test/lp_b/1:2.0~rc1/lp_b.ko\n"
        "ModuleSize=1073741824\n"
        "ModuleSHA256=" SHA_C "\n"
        "\n"
        "[Recall lp_a 0.9]\n"
        "Reason=hangs nfsd under load\n"
        "Time=2026-01-01T12:00:00Z\n";

#define T(s) (parse_timestamp_utc_or_die(s))
static uint64_t parse_timestamp_utc_or_die(const char *s) {
        uint64_t u;
        ck_assert_int_eq(parse_timestamp_utc(s, &u), 0);
        return u;
}

/* @good with the first @from replaced by @to ("" removes it). */
static char *mutate(const char *from, const char *to) {
        const char *at = strstr(good, from);
        ck_assert_msg(at, "\"%s\" is not in the good index", from);
        return g_strdup_printf("%.*s%s%s", (int) (at - good), good, to, at + strlen(from));
}

START_TEST(test_parse_good) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autoptr(ChannelIndex) idx = NULL;

        th_assert_ok(channel_index_parse(good, strlen(good), &idx, &error), &error);
        ck_assert_str_eq(idx->kernel, "6.1.0-test");
        ck_assert_uint_eq(idx->serial, 7);
        ck_assert_uint_eq(idx->issued_usec, T("2026-01-01T00:00:00Z"));
        ck_assert_uint_eq(idx->expires_usec, T("2026-01-08T00:00:00Z"));
        ck_assert_uint_eq(idx->patches->len, 2);

        ChannelPatch *a = channel_index_find_patch(idx, "lp_a", "1.0");
        ck_assert_ptr_nonnull(a);
        ck_assert(!a->replace);
        ck_assert_uint_eq(a->added_in, 3);
        ck_assert_str_eq(a->manifest.path, "patches/6.1.0-test/lp_a/1.0/lp_a.manifest");
        ck_assert_uint_eq(a->manifest.size, 100);
        ck_assert_str_eq(a->manifest.sha256, SHA_A);
        ck_assert_uint_eq(a->signature.size, 200);
        ck_assert_str_eq(a->module.sha256, SHA_C);
        ck_assert_uint_eq(a->promotions->len, 2);

        ChannelPatch *b = channel_index_find_patch(idx, "lp_b", "1:2.0~rc1");
        ck_assert_ptr_nonnull(b);
        ck_assert(b->replace);
        ck_assert_uint_eq(b->module.size, UINT64_C(1) << 30);
        ck_assert_uint_eq(b->promotions->len, 0);
        ck_assert_ptr_eq(channel_index_newest_patch(idx, "lp_b"), b);
        ck_assert_ptr_null(channel_index_newest_patch(idx, "lp_c"));

        const ChannelRecall *r = channel_index_find_recall(idx, "lp_a", "0.9");
        ck_assert_ptr_nonnull(r);
        ck_assert_str_eq(r->reason, "hangs nfsd under load");
        ck_assert_uint_eq(r->usec, T("2026-01-01T12:00:00Z"));
        ck_assert_ptr_null(channel_index_find_recall(idx, "lp_a", "1.0"));
}
END_TEST

START_TEST(test_promoted_usec) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autoptr(ChannelIndex) idx = NULL;

        th_assert_ok(channel_index_parse(good, strlen(good), &idx, &error), &error);
        ChannelPatch *a = channel_index_find_patch(idx, "lp_a", "1.0");
        ChannelPatch *b = channel_index_find_patch(idx, "lp_b", "1:2.0~rc1");

        /* Its own ring or '*', whichever is earlier; no ring: '*' alone. */
        ck_assert_uint_eq(channel_patch_promoted_usec(a, "wave-1"), T("2026-01-02T00:00:00Z"));
        ck_assert_uint_eq(channel_patch_promoted_usec(a, "wave-2"), T("2026-01-05T00:00:00Z"));
        ck_assert_uint_eq(channel_patch_promoted_usec(a, NULL), T("2026-01-05T00:00:00Z"));
        ck_assert_uint_eq(channel_patch_promoted_usec(a, ""), T("2026-01-05T00:00:00Z"));
        ck_assert_uint_eq(channel_patch_promoted_usec(b, "wave-1"), UINT64_MAX);
        ck_assert_uint_eq(channel_patch_promoted_usec(b, NULL), UINT64_MAX);

        channel_patch_promote(a, "*", T("2026-01-01T06:00:00Z"));
        ck_assert_uint_eq(a->promotions->len, 2); /* moved, not added */
        ck_assert_uint_eq(channel_patch_promoted_usec(a, "wave-1"), T("2026-01-01T06:00:00Z"));
}
END_TEST

START_TEST(test_format_round_trip) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autoptr(ChannelIndex) idx = NULL, again = NULL;
        size_t size, size2;

        th_assert_ok(channel_index_parse(good, strlen(good), &idx, &error), &error);
        /* A reason with characters a key file escapes. */
        channel_index_add_recall(idx, "lp_c", "2", " leading blank, back\\slash; semicolon", T("2026-01-03T00:00:00Z"));
        g_autofree char *text = channel_index_format(idx, &size);
        ck_assert_uint_eq(strlen(text), size);
        th_assert_ok(channel_index_parse(text, size, &again, &error), &error);
        g_autofree char *text2 = channel_index_format(again, &size2);
        ck_assert_str_eq(text, text2);
        ck_assert_str_eq(channel_index_find_recall(again, "lp_c", "2")->reason, " leading blank, back\\slash; semicolon");
        ck_assert_uint_eq(channel_patch_promoted_usec(channel_index_find_patch(again, "lp_a", "1.0"), "wave-1"),
                          T("2026-01-02T00:00:00Z"));

        /* A new index: no group but [Index]. */
        g_autoptr(ChannelIndex) fresh = channel_index_new("6.1.0-test");
        g_autoptr(ChannelIndex) fresh2 = NULL;
        fresh->serial = 1;
        fresh->issued_usec = T("2026-01-01T00:00:00Z");
        fresh->expires_usec = T("2026-01-02T00:00:00Z");
        g_autofree char *t = channel_index_format(fresh, &size);
        th_assert_ok(channel_index_parse(t, size, &fresh2, &error), &error);
        ck_assert_uint_eq(fresh2->patches->len, 0);
}
END_TEST

/* Every bad input, each on its own, and the error it gets. */
static const struct {
        const char *what, *from, *to, *error;
} bad_table[] = {
        { "no [Index]", "[Index]\n", "[Other]\n", SYNC_ERROR_INVALID_INDEX },
        { "unknown group", "[Recall lp_a 0.9]", "[Withdraw lp_a 0.9]", SYNC_ERROR_INVALID_INDEX },
        { "unknown key", "Serial=7\n", "Serial=7\nMirror=x\n", SYNC_ERROR_INVALID_INDEX },
        { "translated key", "Serial=7\n", "Serial=7\nKernel[de]=x\n", SYNC_ERROR_INVALID_INDEX },
        { "no Kernel=", "Kernel=6.1.0-test\n", "", SYNC_ERROR_INVALID_INDEX },
        { "no Serial=", "Serial=7\n", "", SYNC_ERROR_INVALID_INDEX },
        { "no Issued=", "Issued=2026-01-01T00:00:00Z\n", "", SYNC_ERROR_INVALID_INDEX },
        { "no Expires=", "Expires=2026-01-08T00:00:00Z\n", "", SYNC_ERROR_INVALID_INDEX },
        { "repeated key", "Serial=7\n", "Serial=7\nSerial=9\n", SYNC_ERROR_INVALID_INDEX },
        { "repeated key, blanks", "Serial=7\n", "Serial=7\n  Serial = 9\n", SYNC_ERROR_INVALID_INDEX },
        { "repeated group", "[Recall lp_a 0.9]", "[Index]\nKernel=x\n[Recall lp_a 0.9]", SYNC_ERROR_INVALID_INDEX },
        { "repeated patch group", "[Recall lp_a 0.9]", "[Patch lp_a 1.0]\nReplace=true\n[Recall lp_a 0.9]", SYNC_ERROR_INVALID_INDEX },
        { "not a key file", "[Index]\n", "[Index]\nno equals sign\n", SYNC_ERROR_INVALID_INDEX },
        { "kernel ..", "Kernel=6.1.0-test", "Kernel=..", SYNC_ERROR_INVALID_INDEX },
        { "kernel with /", "Kernel=6.1.0-test", "Kernel=6.1/x", SYNC_ERROR_INVALID_INDEX },
        { "kernel empty", "Kernel=6.1.0-test", "Kernel=", SYNC_ERROR_INVALID_INDEX },
        { "serial 0", "Serial=7", "Serial=0", SYNC_ERROR_INVALID_INDEX },
        { "serial leading zero", "Serial=7", "Serial=07", SYNC_ERROR_INVALID_INDEX },
        { "serial negative", "Serial=7", "Serial=-7", SYNC_ERROR_INVALID_INDEX },
        { "serial plus", "Serial=7", "Serial=+7", SYNC_ERROR_INVALID_INDEX },
        { "serial hex", "Serial=7", "Serial=0x7", SYNC_ERROR_INVALID_INDEX },
        { "serial beyond 2^63-1", "Serial=7", "Serial=9223372036854775808", SYNC_ERROR_INVALID_INDEX },
        { "serial of 20 digits", "Serial=7", "Serial=18446744073709551617", SYNC_ERROR_INVALID_INDEX },
        { "serial blank", "Serial=7", "Serial=7 1", SYNC_ERROR_INVALID_INDEX },
        { "issued not UTC", "Issued=2026-01-01T00:00:00Z", "Issued=2026-01-01T00:00:00+01:00", SYNC_ERROR_INVALID_INDEX },
        { "issued a date only", "Issued=2026-01-01T00:00:00Z", "Issued=2026-01-01", SYNC_ERROR_INVALID_INDEX },
        { "issued Feb 30", "Issued=2026-01-01T00:00:00Z", "Issued=2026-02-30T00:00:00Z", SYNC_ERROR_INVALID_INDEX },
        { "expires before issued", "Expires=2026-01-08T00:00:00Z", "Expires=2025-12-31T00:00:00Z", SYNC_ERROR_INVALID_INDEX },
        { "expires at issued", "Expires=2026-01-08T00:00:00Z", "Expires=2026-01-01T00:00:00Z", SYNC_ERROR_INVALID_INDEX },
        { "patch name upper case", "[Patch lp_a 1.0]\nReplace=false", "[Patch LP_A 1.0]\nReplace=false", SYNC_ERROR_INVALID_INDEX },
        { "patch version invalid", "[Patch lp_a 1.0]\nReplace=false", "[Patch lp_a v1]\nReplace=false", SYNC_ERROR_INVALID_INDEX },
        { "patch without version", "[Patch lp_a 1.0]\nReplace=false", "[Patch lp_a]\nReplace=false", SYNC_ERROR_INVALID_INDEX },
        { "patch group of three", "[Patch lp_a 1.0]\nReplace=false", "[Patch lp_a 1.0 x]\nReplace=false", SYNC_ERROR_INVALID_INDEX },
        { "patch group two blanks", "[Patch lp_a 1.0]\nReplace=false", "[Patch lp_a  1.0]\nReplace=false", SYNC_ERROR_INVALID_INDEX },
        { "patch unknown key", "AddedIn=3\n", "AddedIn=3\nStream=x\n", SYNC_ERROR_INVALID_INDEX },
        { "no Replace=", "Replace=false\n", "", SYNC_ERROR_INVALID_INDEX },
        { "Replace=yes", "Replace=false", "Replace=yes", SYNC_ERROR_INVALID_INDEX },
        { "no AddedIn=", "AddedIn=3\n", "", SYNC_ERROR_INVALID_INDEX },
        { "AddedIn above Serial", "AddedIn=3", "AddedIn=8", SYNC_ERROR_INVALID_INDEX },
        { "no Module=", "Module=patches/6.1.0-test/lp_a/1.0/lp_a.ko\n", "", SYNC_ERROR_INVALID_INDEX },
        { "no ModuleSize=", "ModuleSize=3000\n", "", SYNC_ERROR_INVALID_INDEX },
        { "no ModuleSHA256=", "ModuleSHA256=" SHA_C "\n", "", SYNC_ERROR_INVALID_INDEX },
        { "no SignatureSHA256=", "SignatureSHA256=" SHA_B "\n", "", SYNC_ERROR_INVALID_INDEX },
        { "sha256 upper case", "ModuleSHA256=cccc", "ModuleSHA256=CCCC", SYNC_ERROR_INVALID_INDEX },
        { "sha256 long", "ModuleSHA256=" SHA_C, "ModuleSHA256=" SHA_B "0", SYNC_ERROR_INVALID_INDEX },
        { "sha256 short", "ModuleSHA256=" SHA_C "\n", "ModuleSHA256=ccc\n", SYNC_ERROR_INVALID_INDEX },
        { "sha256 not hex", "ModuleSHA256=cccc", "ModuleSHA256=gccc", SYNC_ERROR_INVALID_INDEX },
        { "size 0", "ModuleSize=3000", "ModuleSize=0", SYNC_ERROR_INVALID_INDEX },
        { "module beyond 1 GiB", "ModuleSize=1073741824", "ModuleSize=1073741825", SYNC_ERROR_INVALID_INDEX },
        { "manifest beyond 64 KiB", "ManifestSize=65536", "ManifestSize=65537", SYNC_ERROR_INVALID_INDEX },
        { "signature beyond 64 KiB", "SignatureSize=65536", "SignatureSize=65537", SYNC_ERROR_INVALID_INDEX },
        { "absolute path", "Module=patches/6.1.0-test/lp_a", "Module=/patches/6.1.0-test/lp_a", SYNC_ERROR_INVALID_INDEX },
        { "path with ..", "Module=patches/6.1.0-test/lp_a", "Module=patches/../../lp_a", SYNC_ERROR_INVALID_INDEX },
        { "path with .", "Module=patches/6.1.0-test/lp_a", "Module=patches/./lp_a", SYNC_ERROR_INVALID_INDEX },
        { "path with //", "Module=patches/6.1.0-test/lp_a", "Module=patches//lp_a", SYNC_ERROR_INVALID_INDEX },
        { "path ending in /", "Module=patches/6.1.0-test/lp_a/1.0/lp_a.ko", "Module=patches/6.1.0-test/lp_a/1.0/", SYNC_ERROR_INVALID_INDEX },
        { "path with a URL", "Module=patches/6.1.0-test/lp_a", "Module=https://evil.example/lp_a", SYNC_ERROR_INVALID_INDEX },
        { "path with %", "Module=patches/6.1.0-test/lp_a", "Module=patches/%2e%2e/lp_a", SYNC_ERROR_INVALID_INDEX },
        { "path with ?", "Module=patches/6.1.0-test/lp_a/1.0/lp_a.ko", "Module=patches/lp_a.ko?x=1", SYNC_ERROR_INVALID_INDEX },
        { "path with backslash", "Module=patches/6.1.0-test/lp_a", "Module=patches\\\\lp_a", SYNC_ERROR_INVALID_INDEX },
        { "path empty", "Module=patches/6.1.0-test/lp_a/1.0/lp_a.ko", "Module=", SYNC_ERROR_INVALID_INDEX },
        { "promote of an unlisted version", "[Promote lp_a 1.0]", "[Promote lp_a 1.1]", SYNC_ERROR_INVALID_INDEX },
        { "promote empty", "wave-1=2026-01-02T00:00:00Z\n*=2026-01-05T00:00:00Z\n", "", SYNC_ERROR_INVALID_INDEX },
        { "promote bad ring", "wave-1=2026", "wave.1=2026", SYNC_ERROR_INVALID_INDEX },
        { "promote ring too long", "wave-1=2026", "w23456789012345678901234567890123=2026", SYNC_ERROR_INVALID_INDEX },
        { "promote bad time", "wave-1=2026-01-02T00:00:00Z", "wave-1=tomorrow", SYNC_ERROR_INVALID_INDEX },
        { "promote translated ring", "wave-1=2026", "wave-1[de]=2026", SYNC_ERROR_INVALID_INDEX },
        { "recall bad group", "[Recall lp_a 0.9]", "[Recall lp_a]", SYNC_ERROR_INVALID_INDEX },
        { "recall no Reason=", "Reason=hangs nfsd under load\n", "", SYNC_ERROR_INVALID_INDEX },
        { "recall empty Reason=", "Reason=hangs nfsd under load", "Reason=", SYNC_ERROR_INVALID_INDEX },
        { "recall Reason= with a newline", "Reason=hangs nfsd under load", "Reason=hangs\\nnfsd", SYNC_ERROR_INVALID_INDEX },
        { "recall Reason= with a tab", "Reason=hangs nfsd under load", "Reason=hangs\\tnfsd", SYNC_ERROR_INVALID_INDEX },
        { "recall no Time=", "Time=2026-01-01T12:00:00Z\n", "", SYNC_ERROR_INVALID_INDEX },
        { "recall bad Time=", "Time=2026-01-01T12:00:00Z", "Time=now", SYNC_ERROR_INVALID_INDEX },
        { "recall unknown key", "Time=2026-01-01T12:00:00Z", "Time=2026-01-01T12:00:00Z\nBy=x", SYNC_ERROR_INVALID_INDEX },
};

START_TEST(test_parse_bad) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autoptr(ChannelIndex) idx = NULL;
        g_autofree char *text = mutate(bad_table[_i].from, bad_table[_i].to);

        int r = channel_index_parse(text, strlen(text), &idx, &error);
        ck_assert_msg(r < 0, "%s: accepted", bad_table[_i].what);
        th_assert_bus_error(r, &error, bad_table[_i].error);
        ck_assert_ptr_null(idx);
}
END_TEST

START_TEST(test_parse_bad_bytes) {
        _cleanup_bus_error_ sd_bus_error e1 = SD_BUS_ERROR_NULL, e2 = SD_BUS_ERROR_NULL, e3 = SD_BUS_ERROR_NULL, e4 = SD_BUS_ERROR_NULL;
        g_autoptr(ChannelIndex) idx = NULL;
        g_autofree char *latin1 = mutate("hangs nfsd", "h\xe4ngt");
        g_autofree char *big = g_strnfill(CHANNEL_INDEX_MAX_SIZE + 1, '#');

        th_assert_bus_error(channel_index_parse(good, sizeof(good), &idx, &e1), &e1, SYNC_ERROR_INVALID_INDEX); /* the NUL */
        th_assert_bus_error(channel_index_parse(latin1, strlen(latin1), &idx, &e2), &e2, SYNC_ERROR_INVALID_INDEX);
        th_assert_bus_error(channel_index_parse(big, strlen(big), &idx, &e3), &e3, LPMAINT_ERROR_FILE_TOO_LARGE);
        th_assert_bus_error(channel_index_parse("", 0, &idx, &e4), &e4, SYNC_ERROR_INVALID_INDEX);
}
END_TEST

/* More patch versions, recalls or promotions than an index may hold. */
START_TEST(test_parse_too_many) {
        for (int kind = 0; kind < 3; kind++) {
                _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
                g_autoptr(ChannelIndex) idx = NULL;
                GString *s = g_string_new(good);
                int n = kind == 0 ? CHANNEL_MAX_PATCHES : kind == 1 ? CHANNEL_MAX_RECALLS + 1 : CHANNEL_MAX_PROMOTIONS;

                for (int i = 0; kind < 2 && i < n; i++)
                        if (kind == 0)
                                g_string_append_printf(s, "[Patch lp_n%d 1]\nReplace=false\nAddedIn=1\n"
                                                       "Manifest=m\nManifestSize=1\nManifestSHA256=" SHA_A "\n"
                                                       "Signature=s\nSignatureSize=1\nSignatureSHA256=" SHA_A "\n"
                                                       "Module=k\nModuleSize=1\nModuleSHA256=" SHA_A "\n", i);
                        else
                                g_string_append_printf(s, "[Recall lp_n%d 1]\nReason=x\nTime=2026-01-01T00:00:00Z\n", i);
                if (kind == 2) {
                        /* 65 rings for one version. */
                        g_string_append(s, "[Promote lp_b 1:2.0~rc1]\n");
                        for (int i = 0; i <= n; i++)
                                g_string_append_printf(s, "ring%d=2026-01-01T00:00:00Z\n", i);
                }
                int r = channel_index_parse(s->str, s->len, &idx, &error);
                th_assert_bus_error(r, &error, SYNC_ERROR_INVALID_INDEX);
                g_string_free(s, TRUE);
        }
}
END_TEST

START_TEST(test_paths) {
        g_autofree char *index = channel_index_path("6.1.0-18-amd64");
        ck_assert_str_eq(index, "kernels/6.1.0-18-amd64/index");
        g_autofree char *sig = channel_index_signature_path("6.1.0-18-amd64", "abc", 3);
        /* SHA-256 of "abc". */
        ck_assert_str_eq(sig, "kernels/6.1.0-18-amd64/signatures/ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad.p7s");
        ck_assert(channel_release_is_valid("6.1.0-18-amd64"));
        ck_assert(!channel_release_is_valid("."));
        ck_assert(!channel_release_is_valid("a/b"));
        ck_assert(!channel_release_is_valid(""));
        ck_assert(channel_path_is_valid("a/b:c/d~e+f"));
        ck_assert(!channel_path_is_valid("a/../b"));
}
END_TEST

/* --- Verification, with the project's test PKI ------------------------- */

static char *pki, *trust_dir;

static char *pki_file(const char *name) {
        return g_build_filename(pki, name, NULL);
}

static GBytes *sign_with(const char *who, const char *data, size_t size) {
        g_autofree char *key_path = g_strconcat(pki, "/", who, ".key", NULL);
        g_autofree char *cert_path = g_strconcat(pki, "/", who, ".pem", NULL);
        g_autoptr(BIO) kb = BIO_new_file(key_path, "r"), cb = BIO_new_file(cert_path, "r");
        g_autoptr(BIO) in = BIO_new_mem_buf(data, (int) size), out = BIO_new(BIO_s_mem());
        EVP_PKEY *key = PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL);
        X509 *cert = PEM_read_bio_X509(cb, NULL, NULL, NULL);
        char *der;

        ck_assert(key && cert);
        g_autoptr(CMS_ContentInfo) cms = CMS_sign(cert, key, NULL, in, CMS_DETACHED | CMS_BINARY);
        ck_assert(cms && i2d_CMS_bio(out, cms) == 1);
        long n = BIO_get_mem_data(out, &der);
        EVP_PKEY_free(key);
        X509_free(cert);
        return g_bytes_new(der, (gsize) n);
}

static char *index_signers[] = { (char *) "lpmaint test signer", NULL };

static int verify_as(const char *text, GBytes *sig, const char *kernel, uint64_t highest, uint64_t now,
                     ChannelIndex **ret, sd_bus_error *error) {
        TrustPolicy policy = {
                .trust_dir = trust_dir,
                .allowed_signers = index_signers,
                .purpose = SIGNER_PURPOSE_ANY,
        };
        ChannelIndexCheck check = { .policy = &policy, .kernel = kernel, .highest_serial = highest, .now_usec = now };
        gsize sig_size = 0;
        const void *sig_data = sig ? g_bytes_get_data(sig, &sig_size) : NULL;
        return channel_index_verify(&check, text, strlen(text), sig_data, sig_size, ret, NULL, error);
}

START_TEST(test_verify_good) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autoptr(ChannelIndex) idx = NULL, again = NULL;
        g_autoptr(GBytes) sig = sign_with("signer", good, strlen(good));

        th_assert_ok(verify_as(good, sig, "6.1.0-test", 0, T("2026-01-02T00:00:00Z"), &idx, &error), &error);
        ck_assert_uint_eq(idx->serial, 7);
        /* The same serial again is an unchanged channel; a few minutes of clock skew are allowed. */
        th_assert_ok(verify_as(good, sig, "6.1.0-test", 7, T("2025-12-31T23:56:00Z"), &again, &error), &error);
}
END_TEST

/* Each refusal of a host, and its name. */
enum { SIG_GOOD, SIG_NONE, SIG_ROGUE, SIG_PATCH_SIGNER, SIG_EXPIRED, SIG_OTHER_TEXT, SIG_GARBAGE, SIG_HUGE };
static const struct {
        const char *what;
        int sig;
        const char *kernel;
        uint64_t highest;
        const char *now;
        const char *error;
} verify_table[] = {
        { "unsigned", SIG_NONE, "6.1.0-test", 0, "2026-01-02T00:00:00Z", LPMAINT_ERROR_UNSIGNED },
        { "untrusted signer", SIG_ROGUE, "6.1.0-test", 0, "2026-01-02T00:00:00Z", LPMAINT_ERROR_UNTRUSTED_SIGNER },
        { "trusted, not an index signer", SIG_PATCH_SIGNER, "6.1.0-test", 0, "2026-01-02T00:00:00Z", LPMAINT_ERROR_SIGNER_NOT_ALLOWED },
        { "expired certificate", SIG_EXPIRED, "6.1.0-test", 0, "2026-01-02T00:00:00Z", LPMAINT_ERROR_CERTIFICATE_EXPIRED },
        { "signature of other bytes", SIG_OTHER_TEXT, "6.1.0-test", 0, "2026-01-02T00:00:00Z", LPMAINT_ERROR_BAD_SIGNATURE },
        { "not a signature", SIG_GARBAGE, "6.1.0-test", 0, "2026-01-02T00:00:00Z", LPMAINT_ERROR_BAD_SIGNATURE },
        { "signature too large", SIG_HUGE, "6.1.0-test", 0, "2026-01-02T00:00:00Z", LPMAINT_ERROR_FILE_TOO_LARGE },
        { "another kernel's index", SIG_GOOD, "6.1.0-other", 0, "2026-01-02T00:00:00Z", SYNC_ERROR_INDEX_WRONG_KERNEL },
        { "rollback", SIG_GOOD, "6.1.0-test", 8, "2026-01-02T00:00:00Z", SYNC_ERROR_INDEX_ROLLBACK },
        { "expired (freeze)", SIG_GOOD, "6.1.0-test", 0, "2026-01-08T00:00:00Z", SYNC_ERROR_INDEX_EXPIRED },
        { "issued in the future", SIG_GOOD, "6.1.0-test", 0, "2025-12-31T23:54:00Z", SYNC_ERROR_INDEX_EXPIRED },
};

START_TEST(test_verify_bad) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autoptr(ChannelIndex) idx = NULL;
        g_autoptr(GBytes) sig = NULL;

        switch (verify_table[_i].sig) {
        case SIG_GOOD:
                sig = sign_with("signer", good, strlen(good));
                break;
        case SIG_ROGUE:
                sig = sign_with("rogue-signer", good, strlen(good));
                break;
        case SIG_PATCH_SIGNER:
                sig = sign_with("lpmaint-signer", good, strlen(good));
                break;
        case SIG_EXPIRED:
                sig = sign_with("expired-signer", good, strlen(good));
                break;
        case SIG_OTHER_TEXT: {
                g_autofree char *other = mutate("Serial=7", "Serial=8");
                sig = sign_with("signer", other, strlen(other));
                break;
        }
        case SIG_GARBAGE:
                sig = g_bytes_new_static("not a CMS structure", 19);
                break;
        case SIG_HUGE:
                sig = g_bytes_new_take(g_malloc0(SIGNATURE_MAX_SIZE + 1), SIGNATURE_MAX_SIZE + 1);
                break;
        }
        int r = verify_as(good, sig, verify_table[_i].kernel, verify_table[_i].highest, T(verify_table[_i].now), &idx, &error);
        ck_assert_msg(r < 0, "%s: accepted", verify_table[_i].what);
        th_assert_bus_error(r, &error, verify_table[_i].error);
        ck_assert_ptr_null(idx);
}
END_TEST

START_TEST(test_verify_policy) {
        _cleanup_bus_error_ sd_bus_error e1 = SD_BUS_ERROR_NULL, e2 = SD_BUS_ERROR_NULL, e3 = SD_BUS_ERROR_NULL;
        g_autoptr(ChannelIndex) idx = NULL;
        g_autoptr(GBytes) sig = sign_with("signer", good, strlen(good));
        g_autofree char *big = g_strnfill(CHANNEL_INDEX_MAX_SIZE + 1, '#');
        g_autofree char *tampered = mutate("wave-1=2026-01-02", "wave-1=2026-01-01");
        char *none[] = { NULL };
        TrustPolicy policy = { .trust_dir = trust_dir, .allowed_signers = none, .purpose = SIGNER_PURPOSE_ANY };
        ChannelIndexCheck check = { .policy = &policy, .kernel = "6.1.0-test", .now_usec = T("2026-01-02T00:00:00Z") };
        gsize n;
        const void *p = g_bytes_get_data(sig, &n);

        /* No index signer configured: any patch signer could sign indexes. */
        th_assert_bus_error(channel_index_verify(&check, good, strlen(good), p, n, &idx, NULL, &e1), &e1, LPMAINT_ERROR_INVALID_CONFIG);
        /* Endless data, before the signature is even looked at. */
        policy.allowed_signers = index_signers;
        th_assert_bus_error(channel_index_verify(&check, big, strlen(big), p, n, &idx, NULL, &e2), &e2, LPMAINT_ERROR_FILE_TOO_LARGE);
        /* One changed byte (a promotion moved earlier) breaks the signature. */
        th_assert_bus_error(verify_as(tampered, sig, "6.1.0-test", 0, T("2026-01-02T00:00:00Z"), &idx, &e3), &e3, LPMAINT_ERROR_BAD_SIGNATURE);
}
END_TEST

/* A signed index of bad form is still refused by form. */
START_TEST(test_verify_signed_but_malformed) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autoptr(ChannelIndex) idx = NULL;
        g_autofree char *text = mutate("Serial=7\n", "Serial=7\nSerial=99\n");
        g_autoptr(GBytes) sig = sign_with("signer", text, strlen(text));

        th_assert_bus_error(verify_as(text, sig, "6.1.0-test", 0, T("2026-01-02T00:00:00Z"), &idx, &error), &error, SYNC_ERROR_INVALID_INDEX);
}
END_TEST

START_TEST(test_artifacts) {
        _cleanup_bus_error_ sd_bus_error e1 = SD_BUS_ERROR_NULL, e2 = SD_BUS_ERROR_NULL, e3 = SD_BUS_ERROR_NULL, e4 = SD_BUS_ERROR_NULL;
        g_autofree char *dir = th_mkdtemp();
        g_autoptr(GBytes) data = NULL;
        ChannelArtifact a = { .path = (char *) "patches/k/lp/1/lp.ko", .size = 3 };

        sha256_hex("abc", 3, a.sha256);
        th_assert_ok(channel_artifact_check(&a, "Module", "abc", 3, &e1), &e1);
        th_assert_bus_error(channel_artifact_check(&a, "Module", "abd", 3, &e2), &e2, SYNC_ERROR_ARTIFACT_MISMATCH);
        th_assert_bus_error(channel_artifact_check(&a, "Module", "ab", 2, &e3), &e3, SYNC_ERROR_ARTIFACT_MISMATCH);

        /* Read from a directory channel: never past the size the index gives. */
        _cleanup_close_ int fd = open_directory_at(AT_FDCWD, dir);
        th_write_file(dir, "patches/k/lp/1/lp.ko", "abcd", -1);
        th_assert_bus_error(channel_dir_read_artifact(fd, &a, "Module", &data, &e4), &e4, SYNC_ERROR_ARTIFACT_MISMATCH);
        sd_bus_error_free(&e4);
        th_write_file(dir, "patches/k/lp/1/lp.ko", "abc", -1);
        th_assert_ok(channel_dir_read_artifact(fd, &a, "Module", &data, &e4), &e4);
        ck_assert_uint_eq(g_bytes_get_size(data), 3);
        th_rmtree(dir);
}
END_TEST

START_TEST(test_dir_read_index) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autofree char *dir = th_mkdtemp();
        g_autoptr(GBytes) index = NULL, sig = NULL;
        _cleanup_close_ int fd = open_directory_at(AT_FDCWD, dir);

        ck_assert_int_eq(channel_dir_read_index(fd, "6.1.0-test", &index, &sig, &error), -ENOENT);
        th_write_file(dir, "kernels/6.1.0-test/index", good, -1);
        th_assert_ok(channel_dir_read_index(fd, "6.1.0-test", &index, &sig, &error), &error);
        ck_assert_ptr_null(sig); /* Unsigned is channel_index_verify()'s to say */
        g_clear_pointer(&index, g_bytes_unref);

        g_autofree char *sig_path = channel_index_signature_path("6.1.0-test", good, strlen(good));
        th_write_file(dir, sig_path, "sig", -1);
        th_assert_ok(channel_dir_read_index(fd, "6.1.0-test", &index, &sig, &error), &error);
        ck_assert_uint_eq(g_bytes_get_size(sig), 3);
        th_rmtree(dir);
}
END_TEST

static Suite *channel_index_suite(void) {
        Suite *s = suite_create("channel-index");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, test_parse_good);
        tcase_add_test(tc, test_promoted_usec);
        tcase_add_test(tc, test_format_round_trip);
        tcase_add_loop_test(tc, test_parse_bad, 0, G_N_ELEMENTS(bad_table));
        tcase_add_test(tc, test_parse_bad_bytes);
        tcase_add_test(tc, test_parse_too_many);
        tcase_add_test(tc, test_paths);
        tcase_add_test(tc, test_verify_good);
        tcase_add_loop_test(tc, test_verify_bad, 0, G_N_ELEMENTS(verify_table));
        tcase_add_test(tc, test_verify_policy);
        tcase_add_test(tc, test_verify_signed_but_malformed);
        tcase_add_test(tc, test_artifacts);
        tcase_add_test(tc, test_dir_read_index);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        g_autofree char *tmp = th_mkdtemp();
        g_autofree char *ca = NULL, *pem = NULL, *trusted = NULL;
        const char *make_pki = g_getenv("LPMAINT_TEST_MAKE_TEST_PKI");
        int status = 0;

        /* The project's own test PKI, made once before the tests fork. */
        g_assert(tmp && make_pki);
        pki = g_build_filename(tmp, "pki", NULL);
        trust_dir = g_build_filename(tmp, "trust", NULL);
        const char *argv[] = { make_pki, pki, NULL };
        g_assert(g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, NULL, &status, NULL));
        g_assert(g_spawn_check_wait_status(status, NULL));
        ca = pki_file("ca.pem");
        trusted = g_build_filename(trust_dir, "ca.pem", NULL);
        g_assert(g_file_get_contents(ca, &pem, NULL, NULL));
        g_assert(g_mkdir_with_parents(trust_dir, 0755) == 0);
        g_assert(g_file_set_contents(trusted, pem, -1, NULL));

        int r = th_run_suite(channel_index_suite());
        th_rmtree(tmp);
        return r;
}
