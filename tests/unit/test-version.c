/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"
#include "manifest.h"
#include "patch.h"
#include "test-helpers.h"
#include "version-store.h"

/* Each row as dpkg --compare-versions A lt|eq|gt B answers it (checked
 * against dpkg itself below when it is installed). */
static const struct {
        const char *a, *b;
        int order;
} order_table[] = {
        { "1.0~rc1", "1.0", -1 },       /* a release candidate comes before its release */
        { "1.0", "1.01", -1 },          /* digits are numbers: 1.01 is 1.1 */
        { "1.0", "1.09", -1 },
        { "1.0", "1.00", 0 },
        { "1.01", "1.1", 0 },
        { "1.0", "1.0+b1", -1 },
        { "1.0+b1", "1.01", -1 },
        { "2.9", "2.10", -1 },
        { "1.9", "1.10", -1 },
        { "1.0", "1.0a", -1 },
        { "1.0a", "1.0b", -1 },
        { "1.0a", "1.0+", -1 },         /* letters before other characters */
        { "1.0.a", "1.0a", 1 },
        { "1.0", "1.0-1", -1 },
        { "1.0-1", "1.0.1", -1 },
        { "1.0-1", "1.0-1.1", -1 },
        { "1.0-1~", "1.0-1", -1 },
        { "1.0-0", "1.0", 0 },
        { "1.0~~", "1.0~", -1 },        /* '~' before everything, even the end */
        { "1.0~", "1.0", -1 },
        { "1.0~rc1", "1.0~rc2", -1 },
        { "1.0~rc2", "1.0~rc10", -1 },
        { "1.0~beta", "1.0~rc1", -1 },
        { "1:0.1", "2.0", 1 },          /* the epoch first */
        { "0:1.0", "1.0", 0 },
        { "2:1.0", "10:0.1", -1 },
        { "1.2.3", "1.2.3.0", -1 },
        { "10", "9", 1 },
        { "007", "7", 0 },
        { "1-2-3", "1-2-4", -1 },
        { "1-2-3", "1.2-3", -1 },
        { "1:2:3", "1:2.3", 1 },
        { "1.0+deb12u1", "1.0+deb12u2", -1 },
        { "1.0+deb12u9", "1.0+deb12u10", -1 },
        { "1.0", "1.0", 0 },
        { "99999999999999999999", "100000000000000000000", -1 }, /* no overflow */
        { "1.0-rc1", "1.0", 1 },        /* "-rc1" is a revision, not a pre-release */
};

/* As dpkg --validate-version answers (and at most 64 characters). */
static const struct {
        const char *version;
        bool valid;
} valid_table[] = {
        { "1.0", true },
        { "1.0~rc1", true },
        { "1:2.0", true },
        { "2147483647:1", true },
        { "1:2:3", true },
        { "1-2-3", true },
        { "1.0-~", true },
        { "007", true },
        { "1.0+b1", true },
        { "0", true },
        { "1.0-1~bpo12+1", true },
        { "", false },
        { "-1", false },
        { "a1", false },
        { "1_0", false },
        { "1:", false },
        { ":1", false },
        { "1.0-", false },
        { "1.0:2", false },
        { "1.0 2", false },
        { "a:1", false },
        { "1:a", false },
        { "1.0-a_b", false },
        { "1.0-1:2", false },
        { "2147483648:1", false },
        { "99999999999:1", false },
        { "1.0#", false },
        { "1.0/2", false },
        { "~1", false },
        { "1.0-\xc3\xa9", false },
};

START_TEST(test_order) {
        const char *a = order_table[_i].a, *b = order_table[_i].b;
        int want = order_table[_i].order;

        ck_assert_msg(version_compare(a, b) == want, "%s vs %s: got %d, want %d", a, b, version_compare(a, b), want);
        ck_assert_msg(version_compare(b, a) == -want, "%s vs %s: got %d, want %d", b, a, version_compare(b, a), -want);
        ck_assert_int_eq(version_compare(a, a), 0);
}
END_TEST

START_TEST(test_valid) {
        const char *v = valid_table[_i].version;
        ck_assert_msg(version_is_valid(v) == valid_table[_i].valid, "\"%s\" should be %s", v,
                      valid_table[_i].valid ? "valid" : "invalid");
}
END_TEST

START_TEST(test_length) {
        g_autofree char *max = g_strnfill(64, '1'), *over = g_strnfill(65, '1');
        ck_assert(version_is_valid(max));
        ck_assert(!version_is_valid(over));
}
END_TEST

static bool dpkg_says(const char *const *argv) {
        int status = -1;
        g_autoptr(GError) e = NULL;

        ck_assert_msg(g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                                   NULL, NULL, NULL, NULL, &status, &e), "dpkg: %s", e ? e->message : "");
        return g_spawn_check_wait_status(status, NULL);
}

/* The tables are dpkg's answers, not ours: ask dpkg, where it is. */
START_TEST(test_tables_match_dpkg) {
        g_autofree char *dpkg = g_find_program_in_path("dpkg");
        if (!dpkg)
                return;

        for (size_t i = 0; i < G_N_ELEMENTS(order_table); i++) {
                const char *op = order_table[i].order < 0 ? "lt" : order_table[i].order == 0 ? "eq" : "gt";
                const char *argv[] = { "dpkg", "--compare-versions", order_table[i].a, op, order_table[i].b, NULL };
                ck_assert_msg(dpkg_says(argv), "dpkg disagrees: %s %s %s", order_table[i].a, op, order_table[i].b);
        }
        for (size_t i = 0; i < G_N_ELEMENTS(valid_table); i++) {
                const char *argv[] = { "dpkg", "--validate-version", "--", valid_table[i].version, NULL };
                ck_assert_msg(dpkg_says(argv) == valid_table[i].valid, "dpkg disagrees on \"%s\"", valid_table[i].version);
        }
}
END_TEST

/* The versions file */

static char *tmp;

static void setup(void) {
        tmp = th_mkdtemp();
}

static void teardown(void) {
        th_rmtree(tmp);
        g_clear_pointer(&tmp, g_free);
}

static char *read_versions(const char *name) {
        g_autofree char *path = g_build_filename(tmp, name, NULL);
        return th_read_file(path, NULL);
}

START_TEST(test_parse_and_format) {
        static const char text[] = "[Streams]\nlp_a=1.0~rc1\nlp_b=2:3.1-1\n";
        g_autoptr(GHashTable) t = NULL;

        ck_assert_int_eq(version_store_parse(text, strlen(text), &t), 0);
        ck_assert_uint_eq(g_hash_table_size(t), 2);
        ck_assert_str_eq(g_hash_table_lookup(t, "lp_a"), "1.0~rc1");
        g_autofree char *again = version_store_format(t);
        ck_assert_str_eq(again, text);

        /* What GKeyFile wrote before, with the version forms allowed then. */
        static const char old[] = "[Streams]\nlp_a=1.0_rc1\n";
        g_autoptr(GHashTable) o = NULL;
        ck_assert_int_eq(version_store_parse(old, strlen(old), &o), 0);
        ck_assert_str_eq(g_hash_table_lookup(o, "lp_a"), "1.0_rc1");
}
END_TEST

static const char *const damaged[] = {
        "",                                     /* truncated to nothing */
        "[Streams]\nlp_a=1.1",                  /* cut in the middle of a line */
        "[Stre",
        "[Streams]\nlp_a=1.0\nlp_a=2.0\n",      /* a stream twice */
        "[Streams]\nlp_a\n",
        "[Streams]\nLP_A=1.0\n",
        "[Streams]\nlp_a=\n",
        "[Streams]\nlp_a=1 0\n",
        "[Other]\nlp_a=1.0\n",
        "lp_a=1.0\n",
        "garbage\n",
};

START_TEST(test_parse_damaged) {
        g_autoptr(GHashTable) t = NULL;
        ck_assert_int_eq(version_store_parse(damaged[_i], strlen(damaged[_i]), &t), -EBADMSG);
        ck_assert_ptr_null(t);
}
END_TEST

START_TEST(test_parse_zeros) {
        char zeros[4096] = {};
        g_autoptr(GHashTable) t = NULL;
        ck_assert_int_eq(version_store_parse(zeros, sizeof(zeros), &t), -EBADMSG);
}
END_TEST

static Patch *stored_patch(const char *name, const char *stream, const char *version) {
        g_autofree char *text = g_strdup_printf("[Patch]\nName=%s\nStream=%s\nVersion=%s\nKernelRelease=6.1.0-13-amd64\n"
                                                "Module=%s.ko\nModuleSHA256=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
                                                "IssuedAt=2024-01-02T03:04:05Z\n", name, stream, version, name);
        Manifest *m = NULL;
        ck_assert_int_eq(manifest_parse(text, strlen(text), &m, NULL), 0);
        return patch_new("/nonexistent", m, "CN=test");
}

static GHashTable *store_with(Patch *a, Patch *b) {
        GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify) patch_free);
        g_hash_table_insert(t, a->name, a);
        g_hash_table_insert(t, b->name, b);
        return t;
}

static int get(GHashTable *patches, const char *stream, char **ret, sd_bus_error *error) {
        return version_store_get(tmp, patches, stream, ret, error);
}

START_TEST(test_fresh_host_and_raise) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autofree char *v = NULL;

        /* No file on a fresh host is no damage. */
        ck_assert_int_eq(get(NULL, "lp_a", &v, &error), -ENOENT);
        ck_assert(!sd_bus_error_is_set(&error));

        th_assert_ok(version_store_raise(tmp, NULL, "lp_a", "1.0~rc1", &error), &error);
        th_assert_ok(version_store_raise(tmp, NULL, "lp_a", "1.0", &error), &error);
        th_assert_ok(version_store_raise(tmp, NULL, "lp_a", "0.9", &error), &error); /* never lowered */
        th_assert_ok(get(NULL, "lp_a", &v, &error), &error);
        ck_assert_str_eq(v, "1.0");
        g_autofree char *text = read_versions(VERSIONS_FILE);
        ck_assert_str_eq(text, "[Streams]\nlp_a=1.0\n");
        g_autofree char *path = g_build_filename(tmp, VERSIONS_FILE, NULL);
        struct stat st;
        ck_assert_int_eq(stat(path, &st), 0);
        ck_assert_uint_eq(st.st_mode & 07777, 0600);
}
END_TEST

static const char *const damage_kinds[] = { "truncated", "zeros", "garbage", "fifo", "link", "directory" };

static void damage(const char *kind) {
        g_autofree char *path = g_build_filename(tmp, VERSIONS_FILE, NULL);
        g_autofree char *target = g_build_filename(tmp, "elsewhere", NULL);

        if (g_str_equal(kind, "truncated"))
                th_write_file(tmp, VERSIONS_FILE, "", 0);
        else if (g_str_equal(kind, "zeros"))
                th_write_file(tmp, VERSIONS_FILE, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
        else if (g_str_equal(kind, "garbage"))
                th_write_file(tmp, VERSIONS_FILE, "[Streams]\nlp_a=2.0\n\xff\xfe garbage", -1);
        else if (g_str_equal(kind, "fifo"))
                ck_assert_int_eq(mkfifo(path, 0600), 0);
        else if (g_str_equal(kind, "link")) {
                th_write_file(tmp, "elsewhere", "[Streams]\nlp_a=0.1\n", -1);
                ck_assert_int_eq(symlink(target, path), 0);
        } else
                ck_assert_int_eq(mkdir(path, 0700), 0);
}

/* Damage fails closed: the record is set aside, never rewritten, and every
 * read and raise is StateDamaged until an administrator recovers. */
START_TEST(test_damaged_record) {
        const char *kind = damage_kinds[_i];
        _cleanup_bus_error_ sd_bus_error e1 = SD_BUS_ERROR_NULL, e2 = SD_BUS_ERROR_NULL, e3 = SD_BUS_ERROR_NULL, e4 = SD_BUS_ERROR_NULL;
        g_autofree char *v = NULL;
        struct stat before, after;

        th_assert_ok(version_store_raise(tmp, NULL, "lp_a", "2.0", &e1), &e1);
        g_autofree char *path = g_build_filename(tmp, VERSIONS_FILE, NULL);
        g_autofree char *aside = g_build_filename(tmp, VERSIONS_DAMAGED_FILE, NULL);
        ck_assert_int_eq(unlink(path), 0);
        damage(kind);
        ck_assert_int_eq(lstat(path, &before), 0);

        th_assert_bus_error(get(NULL, "lp_a", &v, &e2), &e2, LPMAINT_ERROR_STATE_DAMAGED);
        ck_assert_msg(strstr(e2.message, VERSIONS_DAMAGED_FILE) && strstr(e2.message, "lpmaintd(8)"), "%s", e2.message);
        ck_assert_ptr_null(v);
        /* Moved aside as it was (the same inode), nothing new in its place. */
        ck_assert(!th_exists(path));
        ck_assert_int_eq(lstat(aside, &after), 0);
        ck_assert_uint_eq(before.st_ino, after.st_ino);

        /* While the damaged copy is there, nothing is accepted or written. */
        th_assert_bus_error(version_store_raise(tmp, NULL, "lp_a", "3.0", &e3), &e3, LPMAINT_ERROR_STATE_DAMAGED);
        ck_assert(!th_exists(path));
        th_write_file(tmp, VERSIONS_FILE, "[Streams]\nlp_a=2.0\n", -1); /* a good copy put back ... */
        th_assert_bus_error(get(NULL, "lp_a", &v, &e4), &e4, LPMAINT_ERROR_STATE_DAMAGED);

        /* ... and the damaged copy removed after review: in force again. */
        ck_assert_int_eq(rm_rf(aside), 0);
        _cleanup_bus_error_ sd_bus_error e5 = SD_BUS_ERROR_NULL;
        th_assert_ok(get(NULL, "lp_a", &v, &e5), &e5);
        ck_assert_str_eq(v, "2.0");
}
END_TEST

/* Without a record (removed after review, or a fresh host), the store's
 * patches are what was accepted. */
START_TEST(test_store_is_the_floor_without_record) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autoptr(GHashTable) patches = store_with(stored_patch("lp_a", "stream_x", "1.10"), stored_patch("lp_b", "stream_x", "1.9"));
        g_autofree char *v = NULL, *w = NULL;

        th_assert_ok(get(patches, "stream_x", &v, &error), &error);
        ck_assert_str_eq(v, "1.10");
        ck_assert_int_eq(get(patches, "stream_y", &w, &error), -ENOENT);

        /* A record lower than the store does not lower the floor. */
        th_write_file(tmp, VERSIONS_FILE, "[Streams]\nstream_x=1.2\n", -1);
        g_clear_pointer(&v, g_free);
        th_assert_ok(get(patches, "stream_x", &v, &error), &error);
        ck_assert_str_eq(v, "1.10");

        /* The first raise without a record writes the store's versions too. */
        g_autofree char *path = g_build_filename(tmp, VERSIONS_FILE, NULL);
        ck_assert_int_eq(unlink(path), 0);
        th_assert_ok(version_store_raise(tmp, patches, "stream_y", "1.0", &error), &error);
        g_autofree char *text = read_versions(VERSIONS_FILE);
        ck_assert_str_eq(text, "[Streams]\nstream_x=1.10\nstream_y=1.0\n");
}
END_TEST

static Suite *version_suite(void) {
        Suite *s = suite_create("version");
        TCase *tc = tcase_create("order");
        tcase_add_loop_test(tc, test_order, 0, G_N_ELEMENTS(order_table));
        tcase_add_loop_test(tc, test_valid, 0, G_N_ELEMENTS(valid_table));
        tcase_add_test(tc, test_length);
        tcase_add_test(tc, test_tables_match_dpkg);
        suite_add_tcase(s, tc);

        tc = tcase_create("record");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_parse_and_format);
        tcase_add_loop_test(tc, test_parse_damaged, 0, G_N_ELEMENTS(damaged));
        tcase_add_test(tc, test_parse_zeros);
        tcase_add_test(tc, test_fresh_host_and_raise);
        tcase_add_loop_test(tc, test_damaged_record, 0, G_N_ELEMENTS(damage_kinds));
        tcase_add_test(tc, test_store_is_the_floor_without_record);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return th_run_suite(version_suite());
}
