/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "errors.h"
#include "manifest.h"
#include "test-helpers.h"

#define SHA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ISSUED_USEC (UINT64_C(1704164645) * USEC_PER_SEC)  /* 2024-01-02T03:04:05Z */
#define EXPIRES_USEC (UINT64_C(1735787045) * USEC_PER_SEC) /* 2025-01-02T03:04:05Z */

static const struct {
        const char *key, *value;
} valid_fields[] = {
        { "Name",          "lp_fix_1" },
        { "Version",       "1.2-3" },
        { "KernelRelease", "6.1.0-13-amd64" },
        { "Module",        "lp_fix_1.ko" },
        { "ModuleSHA256",  SHA },
        { "Replace",       "yes" },
        { "CVEs",          "CVE-2024-1234;CVE-2023-456789;" },
        { "Description",   "Fixes a use-after-free in the frobnicator" },
        { "IssuedAt",      "2024-01-02T03:04:05Z" },
        { "ExpiresAt",     "2025-01-02T03:04:05Z" },
};

/* The valid manifest with @key left out (value NULL) or set to @value. */
static char *manifest_with(const char *key, const char *value) {
        GString *s = g_string_new("[Patch]\n");
        bool seen = false;

        for (size_t i = 0; i < G_N_ELEMENTS(valid_fields); i++) {
                const char *v = valid_fields[i].value;
                if (key && g_str_equal(key, valid_fields[i].key)) {
                        seen = true;
                        v = value;
                }
                if (v)
                        g_string_append_printf(s, "%s=%s\n", valid_fields[i].key, v);
        }
        if (key && !seen && value)
                g_string_append_printf(s, "%s=%s\n", key, value);
        return g_string_free(s, false);
}

static int parse_string(const char *text, Manifest **ret, sd_bus_error *error) {
        return manifest_parse(text, strlen(text), ret, error);
}

static void assert_invalid_n(const char *text, size_t size) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        Manifest *m = NULL;

        th_assert_bus_error(manifest_parse(text, size, &m, &error), &error, LPMAINT_ERROR_INVALID_MANIFEST);
        ck_assert_ptr_null(m);
}

static void assert_invalid(const char *text) {
        assert_invalid_n(text, strlen(text));
}

static void assert_field_invalid(const char *key, const char *value) {
        g_autofree char *text = manifest_with(key, value);
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        Manifest *m = NULL;

        int r = parse_string(text, &m, &error);
        ck_assert_msg(r < 0, "%s=%s was accepted", key, value ?: "(missing)");
        ck_assert_ptr_null(m);
        ck_assert_msg(sd_bus_error_has_name(&error, LPMAINT_ERROR_INVALID_MANIFEST),
                      "%s=%s: got %s", key, value ?: "(missing)", error.name);
        ck_assert_int_eq(r, -sd_bus_error_get_errno(&error));
}

static void assert_field_valid(const char *key, const char *value) {
        g_autofree char *text = manifest_with(key, value);
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autoptr(Manifest) m = NULL;

        int r = parse_string(text, &m, &error);
        ck_assert_msg(r == 0, "%s=%s was rejected: %s", key, value ?: "(missing)", error.message);
        ck_assert_ptr_nonnull(m);
}

START_TEST(test_valid_manifest) {
        g_autofree char *text = manifest_with(NULL, NULL);
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autoptr(Manifest) m = NULL;

        th_assert_ok(parse_string(text, &m, &error), &error);
        ck_assert_ptr_nonnull(m);
        ck_assert_str_eq(m->name, "lp_fix_1");
        ck_assert_str_eq(m->version, "1.2-3");
        ck_assert_str_eq(m->kernel_release, "6.1.0-13-amd64");
        ck_assert_str_eq(m->module, "lp_fix_1.ko");
        ck_assert_str_eq(m->module_sha256, SHA);
        ck_assert(m->replace);
        ck_assert_ptr_nonnull(m->cves);
        ck_assert_uint_eq(g_strv_length(m->cves), 2);
        ck_assert_str_eq(m->cves[0], "CVE-2024-1234");
        ck_assert_str_eq(m->cves[1], "CVE-2023-456789");
        ck_assert_str_eq(m->description, "Fixes a use-after-free in the frobnicator");
        ck_assert_uint_eq(m->issued_usec, ISSUED_USEC);
        ck_assert_uint_eq(m->expires_usec, EXPIRES_USEC);
}
END_TEST

START_TEST(test_optional_fields_default) {
        g_autoptr(Manifest) m = NULL;
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *text =
                "# a comment\n"
                "[Patch]\n"
                "Name=lp_min\n"
                "Version=1\n"
                "KernelRelease=6.1.0-13-amd64\n"
                "Module=lp_min.ko\n"
                "ModuleSHA256=" SHA "\n"
                "IssuedAt=2024-01-02T03:04:05Z\n";

        th_assert_ok(parse_string(text, &m, &error), &error);
        ck_assert(!m->replace);
        ck_assert_ptr_nonnull(m->cves);
        ck_assert_uint_eq(g_strv_length(m->cves), 0);
        ck_assert_ptr_nonnull(m->description);
        ck_assert_str_eq(m->description, "");
        ck_assert_uint_eq(m->expires_usec, 0);
}
END_TEST

START_TEST(test_replace_values) {
        static const struct { const char *v; bool expect; } cases[] = {
                { "yes", true }, { "true", true }, { "1", true },
                { "no", false }, { "false", false }, { "0", false },
        };
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autofree char *text = manifest_with("Replace", cases[i].v);
                _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
                g_autoptr(Manifest) m = NULL;

                th_assert_ok(parse_string(text, &m, &error), &error);
                ck_assert_msg(m->replace == cases[i].expect, "Replace=%s", cases[i].v);
        }
        assert_field_invalid("Replace", "maybe");
        assert_field_invalid("Replace", "Y");
}
END_TEST

static const char *const required_keys[] = {
        "Name", "Version", "KernelRelease", "Module", "ModuleSHA256", "IssuedAt",
};

START_TEST(test_required_key_missing) {
        const char *key = required_keys[_i];

        assert_field_invalid(key, NULL);
        /* An empty value is no value. */
        assert_field_invalid(key, "");
}
END_TEST

START_TEST(test_optional_keys_may_be_missing) {
        assert_field_valid("Replace", NULL);
        assert_field_valid("CVEs", NULL);
        assert_field_valid("Description", NULL);
        assert_field_valid("ExpiresAt", NULL);
}
END_TEST

START_TEST(test_invalid_name) {
        assert_field_invalid("Name", "lp-fix");         /* '-' is not a module name character */
        assert_field_invalid("Name", "LP_FIX");         /* upper case */
        assert_field_invalid("Name", "lp_Fix");
        assert_field_invalid("Name", "lp fix");
        assert_field_invalid("Name", "lp/fix");
        assert_field_invalid("Name", "lp.fix");
        assert_field_invalid("Name", "lp_fix\\n");       /* escape: a newline in the value */
        assert_field_invalid("Name", "lp_fïx");

        /* PATCH_NAME_MAX characters fit, one more does not. */
        g_autofree char *longest = g_strnfill(PATCH_NAME_MAX, 'a');
        g_autofree char *too_long = g_strnfill(PATCH_NAME_MAX + 1, 'a');
        assert_field_valid("Name", longest);
        assert_field_invalid("Name", too_long);
        ck_assert(patch_name_is_valid(longest));
        ck_assert(!patch_name_is_valid(too_long));
        ck_assert(!patch_name_is_valid(""));
        ck_assert(patch_name_is_valid("lp_0_fix"));
}
END_TEST

START_TEST(test_invalid_version) {
        /* What dpkg --validate-version refuses (test-version.c has the full table). */
        assert_field_invalid("Version", "-1");
        assert_field_invalid("Version", ".1");
        assert_field_invalid("Version", "a1");          /* must start with a digit */
        assert_field_invalid("Version", "1 2");
        assert_field_invalid("Version", "1/2");
        assert_field_invalid("Version", "1;2");
        assert_field_invalid("Version", "1_0");
        assert_field_invalid("Version", "1:");
        assert_field_invalid("Version", "1.0-");
        g_autofree char *too_long = g_strnfill(65, '1');
        assert_field_invalid("Version", too_long);
        assert_field_valid("Version", "1.0~rc1+deb12.1-2");
        assert_field_valid("Version", "2:1.0-1~bpo12+1");
}
END_TEST

START_TEST(test_invalid_release) {
        assert_field_invalid("KernelRelease", "6.1.0 13");
        assert_field_invalid("KernelRelease", "6.1.0/13");
        assert_field_invalid("KernelRelease", "6.1.0:13");
        g_autofree char *too_long = g_strnfill(65, '6');
        assert_field_invalid("KernelRelease", too_long);
}
END_TEST

START_TEST(test_invalid_module) {
        assert_field_invalid("Module", "dir/lp_fix_1.ko");
        assert_field_invalid("Module", "../lp_fix_1.ko");
        assert_field_invalid("Module", "/lp_fix_1.ko");
        assert_field_invalid("Module", "lp_fix_1.o");   /* not a .ko */
        assert_field_invalid("Module", ".ko");
        assert_field_invalid("Module", "lp fix.ko");
        assert_field_valid("Module", "lp-fix_1.ko");
}
END_TEST

START_TEST(test_invalid_sha256) {
        g_autofree char *short_sha = g_strndup(SHA, SHA256_HEX_LEN - 1);
        g_autofree char *long_sha = g_strconcat(SHA, "0", NULL);
        g_autofree char *non_hex = g_strdup(SHA);
        non_hex[10] = 'g';

        assert_field_invalid("ModuleSHA256", short_sha);
        assert_field_invalid("ModuleSHA256", long_sha);
        assert_field_invalid("ModuleSHA256", non_hex);
        assert_field_invalid("ModuleSHA256", "not a digest");
}
END_TEST

START_TEST(test_cve_count) {
        g_autoptr(GString) list = g_string_new(NULL);

        for (int i = 0; i < 256; i++)
                g_string_append_printf(list, "CVE-2024-%05d;", 10000 + i);
        assert_field_valid("CVEs", list->str);
        g_string_append(list, "CVE-2024-99999;");
        assert_field_invalid("CVEs", list->str);
}
END_TEST

START_TEST(test_invalid_cve) {
        assert_field_invalid("CVEs", "CVE-24-1234");
        assert_field_invalid("CVEs", "CVE-2024-123");   /* fewer than four digits */
        assert_field_invalid("CVEs", "cve-2024-1234");
        assert_field_invalid("CVEs", "CVE-2024-12a4");
        assert_field_invalid("CVEs", "CVE_2024_1234");
        assert_field_invalid("CVEs", "CVE-2024-1234;bogus;");
        assert_field_valid("CVEs", "CVE-2024-1234");
}
END_TEST

/* Each names 2024-06-02T03:04:05Z (between IssuedAt and ExpiresAt of the
 * valid manifest) in a form other than the one accepted. */
static const char *const bad_timestamps[] = {
        "2024-06-02 03:04:05Z",         /* space instead of T */
        "2024-06-02t03:04:05Z",         /* lower case t */
        "2024-06-02T03:04:05z",
        "2024-06-02T03:04:05",          /* no zone */
        "2024-06-02T03:04:05+00:00",
        "2024-06-02T03:04:05.5Z",
        "2024-06-02T03:04Z",
        "2024-06-02",
        "20240602T030405Z",             /* basic format */
        "2024-W22-7T03:04:05Z",         /* week date, also 20 characters */
        "2024-154T03:04:05.5Z",         /* ordinal date, also 20 characters */
        "20240602T03:04:05.5Z",
        "2024-06-02T030405.5Z",
        "2024-06-02T03:04:60Z",         /* second 60 */
        "2024-13-02T03:04:05Z",
        "2024-02-30T03:04:05Z",
        "2024-06-02T24:04:05Z",
        "1717297445",
        "yesterday",
};

START_TEST(test_invalid_issued_at) {
        assert_field_invalid("IssuedAt", bad_timestamps[_i]);
}
END_TEST

START_TEST(test_invalid_expires_at) {
        assert_field_invalid("ExpiresAt", bad_timestamps[_i]);
}
END_TEST

START_TEST(test_expires_before_issued) {
        assert_field_invalid("ExpiresAt", "2024-01-02T03:04:04Z");
        assert_field_invalid("ExpiresAt", "2023-06-01T00:00:00Z");
        /* Expiring at the moment of issue is not a validity period either. */
        assert_field_invalid("ExpiresAt", "2024-01-02T03:04:05Z");
        assert_field_valid("ExpiresAt", "2024-01-02T03:04:06Z");
}
END_TEST

START_TEST(test_unknown_key) {
        assert_field_invalid("Signature", "whatever");
        /* Keys with a locale are keys too, whatever the daemon's locale is. */
        assert_field_invalid("Name[de]", "lp_fix_1");
        assert_field_invalid("Extra[x]", "1");
        assert_field_invalid("name", "lp_fix_1");
}
END_TEST

START_TEST(test_groups) {
        g_autofree char *valid = manifest_with(NULL, NULL);
        g_autofree char *second = g_strconcat(valid, "[Extra]\nKey=value\n", NULL);
        g_autofree char *empty_second = g_strconcat(valid, "[Extra]\n", NULL);
        g_autofree char *renamed = g_strdup(valid);
        memcpy(renamed, "[Patcx]", 7);

        assert_invalid(second);
        assert_invalid(empty_second);
        assert_invalid(renamed);
        assert_invalid("");
        assert_invalid("Name=lp_fix_1\n"); /* no group */
        assert_invalid("[Patch]\nthis is not a key file\n");
}
END_TEST

/* GKeyFile would keep the last of two equal keys: a repeat is refused, named with its line. */
static void assert_repeat_refused(const char *text, const char *what) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        Manifest *m = NULL;

        ck_assert_int_lt(parse_string(text, &m, &error), 0);
        ck_assert_ptr_null(m);
        ck_assert_msg(sd_bus_error_has_name(&error, LPMAINT_ERROR_INVALID_MANIFEST), "got %s", error.name);
        ck_assert_msg(strstr(error.message, what), "\"%s\" does not say \"%s\"", error.message, what);
}

START_TEST(test_repeated_keys_and_groups) {
        g_autofree char *valid = manifest_with(NULL, NULL);
        unsigned lines = 0;
        for (const char *p = valid; *p; p++)
                lines += *p == '\n';

        g_autofree char *sha = g_strdup_printf("%sModuleSHA256=%s\n", valid, SHA);
        g_autofree char *sha_msg = g_strdup_printf("ModuleSHA256= twice in [Patch] (line %u)", lines + 1);
        assert_repeat_refused(sha, sha_msg);

        g_autofree char *name = g_strdup_printf("%sName=lp_other\n", valid);
        assert_repeat_refused(name, "Name= twice");
        /* Blanks around the key do not hide it. */
        g_autofree char *version = g_strdup_printf("%s  Version = 9.9\n", valid);
        assert_repeat_refused(version, "Version= twice");
        /* A second [Patch] group would be merged into the first. */
        g_autofree char *group = g_strdup_printf("%s[Patch]\nDescription=more\n", valid);
        g_autofree char *group_msg = g_strdup_printf("group [Patch] twice (line %u)", lines + 1);
        assert_repeat_refused(group, group_msg);
        g_autofree char *ring = g_strdup_printf("%s[Release]\ncanary=2024-01-01T00:00:00Z\ncanary=2024-02-01T00:00:00Z\n", valid);
        assert_repeat_refused(ring, "canary= twice in [Release]");

        /* The same key in two groups, a comment or a translation is no repeat. */
        g_autofree char *ok = g_strdup_printf("%s# Name=lp_other\n[Release]\nName=2024-01-01T00:00:00Z\n", valid);
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autoptr(Manifest) m = NULL;
        th_assert_ok(parse_string(ok, &m, &error), &error);
}
END_TEST

START_TEST(test_not_utf8) {
        g_autofree char *text = manifest_with("Description", "caf\xe9");
        assert_invalid(text);

        g_autofree char *bad_name = manifest_with("Name", "lp\xff");
        assert_invalid(bad_name);
}
END_TEST

START_TEST(test_nul_byte) {
        g_autofree char *text = manifest_with(NULL, NULL);
        size_t n = strlen(text);

        /* The same bytes with a NUL in the middle, and with a trailing NUL. */
        g_autofree char *copy = g_memdup2(text, n + 1);
        char *desc = strstr(copy, "use-after");
        ck_assert_ptr_nonnull(desc);
        desc[3] = '\0';
        assert_invalid_n(copy, n);
        assert_invalid_n(text, n + 1);
}
END_TEST

static char *padded_manifest(size_t size) {
        g_autofree char *valid = manifest_with(NULL, NULL);
        size_t n = strlen(valid);

        ck_assert_uint_lt(n + 3, size);
        /* A comment line makes up the rest: "#xxxx...\n". */
        g_autofree char *pad = g_strnfill(size - n - 2, 'x');
        char *text = g_strconcat(valid, "#", pad, "\n", NULL);
        ck_assert_uint_eq(strlen(text), size);
        return text;
}

START_TEST(test_size_limit) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autoptr(Manifest) m = NULL;
        g_autofree char *at_limit = padded_manifest(MANIFEST_MAX_SIZE);
        g_autofree char *over_limit = padded_manifest(MANIFEST_MAX_SIZE + 1);

        ck_assert_int_eq(MANIFEST_MAX_SIZE, 64 * 1024);
        th_assert_ok(parse_string(at_limit, &m, &error), &error);
        assert_invalid(over_limit);
}
END_TEST

static Manifest *parse_ok(const char *text) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        Manifest *m = NULL;

        th_assert_ok(parse_string(text, &m, &error), &error);
        return m;
}

START_TEST(test_check_time) {
        g_autofree char *text = manifest_with(NULL, NULL);
        g_autoptr(Manifest) m = parse_ok(text);
        const uint64_t minute = 60 * USEC_PER_SEC;

        static const struct {
                int64_t offset_from_issue; /* in seconds; relative to IssuedAt */
                bool ok;
        } cases[] = {
                { 0, true },
                { 3600, true },
                { -4 * 60, true },              /* within the 5 minutes of clock skew */
                { -5 * 60, true },
                { -5 * 60 - 1, false },         /* issued in the future */
                { -6 * 60, false },
                { -365 * 24 * 3600, false },
        };
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
                uint64_t now = (uint64_t) ((int64_t) ISSUED_USEC + cases[i].offset_from_issue * (int64_t) USEC_PER_SEC);
                int r = manifest_check_time(m, now, &error);
                if (cases[i].ok)
                        ck_assert_msg(r == 0, "offset %" G_GINT64_FORMAT "s: %s", cases[i].offset_from_issue, error.message);
                else
                        th_assert_bus_error(r, &error, LPMAINT_ERROR_EXPIRED);
        }

        /* Expiry: valid until the instant before ExpiresAt. */
        _cleanup_bus_error_ sd_bus_error e1 = SD_BUS_ERROR_NULL, e2 = SD_BUS_ERROR_NULL, e3 = SD_BUS_ERROR_NULL;
        th_assert_ok(manifest_check_time(m, EXPIRES_USEC - 1, &e1), &e1);
        th_assert_bus_error(manifest_check_time(m, EXPIRES_USEC, &e2), &e2, LPMAINT_ERROR_EXPIRED);
        th_assert_bus_error(manifest_check_time(m, EXPIRES_USEC + 10 * minute, &e3), &e3, LPMAINT_ERROR_EXPIRED);
}
END_TEST

START_TEST(test_check_time_no_expiry) {
        g_autofree char *text = manifest_with("ExpiresAt", NULL);
        g_autoptr(Manifest) m = parse_ok(text);
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;

        th_assert_ok(manifest_check_time(m, ISSUED_USEC + UINT64_C(100) * 365 * 24 * 3600 * USEC_PER_SEC, &error), &error);
}
END_TEST

#define CANARY_USEC (UINT64_C(1704240000) * USEC_PER_SEC) /* 2024-01-03T00:00:00Z */
#define WAVE1_USEC (UINT64_C(1704499200) * USEC_PER_SEC)  /* 2024-01-06T00:00:00Z */

static Manifest *released_manifest(void) {
        g_autofree char *valid = manifest_with(NULL, NULL);
        g_autofree char *text = g_strconcat(valid, "\n[Release]\ncanary=2024-01-03T00:00:00Z\nwave-1=2024-01-06T00:00:00Z\n", NULL);
        return parse_ok(text);
}

static void assert_release(const Manifest *m, const char *ring, uint64_t now, bool ok) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = manifest_check_release(m, ring, now, &error);

        if (ok)
                th_assert_ok(r, &error);
        else
                th_assert_bus_error(r, &error, LPMAINT_ERROR_RING_NOT_RELEASED);
}

START_TEST(test_release_schedule) {
        g_autoptr(Manifest) m = released_manifest();

        ck_assert_uint_eq(m->n_release, 2);
        ck_assert_str_eq(m->release[0].ring, "canary");
        ck_assert_uint_eq(m->release[1].usec, WAVE1_USEC);
        assert_release(m, "canary", CANARY_USEC - 1, false);
        assert_release(m, "canary", CANARY_USEC, true);
        assert_release(m, "wave-1", CANARY_USEC, false);
        assert_release(m, "wave-1", WAVE1_USEC, true);
        /* A ring the signer did not name never gets the patch. */
        assert_release(m, "wave-2", WAVE1_USEC * 2, false);
        /* A host without a ring waits for the last ring named. */
        assert_release(m, "", WAVE1_USEC - 1, false);
        assert_release(m, NULL, WAVE1_USEC, true);
}
END_TEST

START_TEST(test_release_absent) {
        g_autofree char *text = manifest_with(NULL, NULL);
        g_autoptr(Manifest) m = parse_ok(text);

        ck_assert_uint_eq(m->n_release, 0);
        assert_release(m, "canary", 0, true);
        assert_release(m, "", 0, true);
}
END_TEST

START_TEST(test_release_invalid) {
        g_autofree char *valid = manifest_with(NULL, NULL);
        static const char *const bad[] = {
                "[Release]\n",                                 /* empty */
                "[Release]\ncanary=tomorrow\n",
                "[Release]\ncanary=2024-01-03 00:00:00\n",
                "[Release]\nca/nary=2024-01-03T00:00:00Z\n",
                "[Release]\ncanary[de]=2024-01-03T00:00:00Z\n",
                "[Release]\nthis-ring-name-is-far-too-long-for-us=2024-01-03T00:00:00Z\n",
        };
        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                g_autofree char *text = g_strconcat(valid, bad[i], NULL);
                assert_invalid(text);
        }
}
END_TEST

START_TEST(test_coverage_ends) {
        g_autofree char *text = manifest_with("CoverageEndsAt", "2025-06-01T00:00:00Z");
        g_autoptr(Manifest) m = parse_ok(text);
        g_autofree char *none = manifest_with(NULL, NULL);
        g_autoptr(Manifest) n = parse_ok(none);

        ck_assert_uint_eq(m->coverage_ends_usec, UINT64_C(1748736000) * USEC_PER_SEC);
        ck_assert_uint_eq(n->coverage_ends_usec, 0);
        assert_field_invalid("CoverageEndsAt", "2025-06-01");
}
END_TEST

static Suite *manifest_suite(void) {
        Suite *s = suite_create("manifest");
        TCase *tc = tcase_create("parse");

        tcase_add_test(tc, test_valid_manifest);
        tcase_add_test(tc, test_optional_fields_default);
        tcase_add_test(tc, test_replace_values);
        tcase_add_loop_test(tc, test_required_key_missing, 0, G_N_ELEMENTS(required_keys));
        tcase_add_test(tc, test_optional_keys_may_be_missing);
        tcase_add_test(tc, test_invalid_name);
        tcase_add_test(tc, test_invalid_version);
        tcase_add_test(tc, test_invalid_release);
        tcase_add_test(tc, test_invalid_module);
        tcase_add_test(tc, test_invalid_sha256);
        tcase_add_test(tc, test_invalid_cve);
        tcase_add_test(tc, test_cve_count);
        tcase_add_loop_test(tc, test_invalid_issued_at, 0, G_N_ELEMENTS(bad_timestamps));
        tcase_add_loop_test(tc, test_invalid_expires_at, 0, G_N_ELEMENTS(bad_timestamps));
        tcase_add_test(tc, test_expires_before_issued);
        tcase_add_test(tc, test_unknown_key);
        tcase_add_test(tc, test_groups);
        tcase_add_test(tc, test_repeated_keys_and_groups);
        tcase_add_test(tc, test_not_utf8);
        tcase_add_test(tc, test_nul_byte);
        tcase_add_test(tc, test_size_limit);
        suite_add_tcase(s, tc);

        tc = tcase_create("time");
        tcase_add_test(tc, test_check_time);
        tcase_add_test(tc, test_check_time_no_expiry);
        suite_add_tcase(s, tc);

        tc = tcase_create("release");
        tcase_add_test(tc, test_release_schedule);
        tcase_add_test(tc, test_release_absent);
        tcase_add_test(tc, test_release_invalid);
        tcase_add_test(tc, test_coverage_ends);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return th_run_suite(manifest_suite());
}
