/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manifest.h"
#include "patch.h"
#include "store.h"
#include "test-helpers.h"

static char *tmp, *state_dir;

static void setup(void) {
        tmp = th_mkdtemp();
        state_dir = g_build_filename(tmp, "state", "lpmaint", NULL);
}

static void teardown(void) {
        th_rmtree(tmp);
        g_clear_pointer(&tmp, g_free);
        g_clear_pointer(&state_dir, g_free);
}

static char *manifest_text(const char *name, const char *version) {
        return g_strdup_printf("[Patch]\n"
                               "Name=%s\n"
                               "Version=%s\n"
                               "KernelRelease=6.1.0-13-amd64\n"
                               "Module=%s.ko\n"
                               "ModuleSHA256=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
                               "IssuedAt=2024-01-02T03:04:05Z\n",
                               name, version, name);
}

static GBytes *bytes(const char *s) {
        return g_bytes_new(s, strlen(s));
}

static void assert_mode(const char *path, mode_t mode) {
        struct stat st;

        ck_assert_msg(stat(path, &st) == 0, "%s: %s", path, g_strerror(errno));
        ck_assert_msg((st.st_mode & 07777) == mode, "%s has mode %o, not %o", path, st.st_mode & 07777, mode);
}

static void assert_file(const char *dir, const char *name, const char *content) {
        g_autofree char *path = g_build_filename(dir, name, NULL);
        g_autofree char *got = th_read_file(path, NULL);

        ck_assert_msg(got, "%s cannot be read", path);
        ck_assert_str_eq(got, content);
        assert_mode(path, 0600);
}

static gint compare_names(gconstpointer a, gconstpointer b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

/* Names in @dir, sorted, space-separated. */
static char *list_dir(const char *dir) {
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        const char *e;

        ck_assert_ptr_nonnull(d);
        while ((e = g_dir_read_name(d)))
                g_ptr_array_add(names, g_strdup(e));
        g_ptr_array_sort(names, compare_names);
        g_ptr_array_add(names, NULL);
        return g_strjoinv(" ", (char **) names->pdata);
}

static char *commit(const char *patches, const char *name, const char *manifest, const char *sig, const char *module) {
        g_autoptr(GBytes) m = bytes(manifest), s = bytes(sig), k = bytes(module);
        g_autofree char *staging = NULL;
        char *dir = NULL;

        ck_assert_int_eq(store_stage(patches, name, m, s, k, &staging), 0);
        ck_assert_ptr_nonnull(staging);
        ck_assert(g_str_has_prefix(staging, patches));
        assert_mode(staging, 0700);
        assert_file(staging, PATCH_MANIFEST_FILE, manifest);
        ck_assert_int_eq(store_commit(patches, staging, name, &dir), 0);
        ck_assert(!th_exists(staging));
        return dir;
}

START_TEST(test_open_creates_private_dirs) {
        g_autofree char *patches = NULL;

        ck_assert(!th_exists(state_dir));
        ck_assert_int_eq(store_open(state_dir, &patches), 0);
        g_autofree char *want = g_build_filename(state_dir, "patches", NULL);
        ck_assert_str_eq(patches, want);
        assert_mode(state_dir, 0700);
        assert_mode(patches, 0700);

        /* Existing directories with looser modes are tightened. */
        ck_assert_int_eq(chmod(state_dir, 0755), 0);
        ck_assert_int_eq(chmod(patches, 0777), 0);
        g_autofree char *again = NULL;
        ck_assert_int_eq(store_open(state_dir, &again), 0);
        ck_assert_str_eq(again, want);
        assert_mode(state_dir, 0700);
        assert_mode(patches, 0700);
}
END_TEST

START_TEST(test_stage_and_commit) {
        g_autofree char *patches = NULL;
        g_autofree char *manifest = manifest_text("lp_a", "1");

        ck_assert_int_eq(store_open(state_dir, &patches), 0);
        g_autofree char *dir = commit(patches, "lp_a", manifest, "SIG-1", "MODULE-1");
        g_autofree char *want = g_build_filename(patches, "lp_a", NULL);
        ck_assert_str_eq(dir, want);
        assert_mode(dir, 0700);
        assert_file(dir, PATCH_MANIFEST_FILE, manifest);
        assert_file(dir, PATCH_SIGNATURE_FILE, "SIG-1");
        assert_file(dir, PATCH_MODULE_FILE, "MODULE-1");

        g_autofree char *names = list_dir(patches);
        ck_assert_str_eq(names, "lp_a");
        g_autofree char *files = list_dir(dir);
        ck_assert_str_eq(files, "manifest module.ko signature");
}
END_TEST

START_TEST(test_commit_replaces) {
        g_autofree char *patches = NULL;
        g_autofree char *m1 = manifest_text("lp_a", "1"), *m2 = manifest_text("lp_a", "2");

        ck_assert_int_eq(store_open(state_dir, &patches), 0);
        g_autofree char *d1 = commit(patches, "lp_a", m1, "SIG-1", "MODULE-1");
        /* A file only the old record has must not survive into the new one. */
        th_write_file(d1, "state", "[Status]\nState=applied\n", -1);

        g_autofree char *d2 = commit(patches, "lp_a", m2, "SIG-2", "MODULE-2 longer");
        ck_assert_str_eq(d1, d2);
        assert_file(d2, PATCH_MANIFEST_FILE, m2);
        assert_file(d2, PATCH_SIGNATURE_FILE, "SIG-2");
        assert_file(d2, PATCH_MODULE_FILE, "MODULE-2 longer");
        g_autofree char *files = list_dir(d2);
        ck_assert_str_eq(files, "manifest module.ko signature");

        /* No staging directory or old record is left behind. */
        g_autofree char *names = list_dir(patches);
        ck_assert_str_eq(names, "lp_a");

        /* A second patch sits beside the first. */
        g_autofree char *m3 = manifest_text("lp_b", "1");
        g_autofree char *d3 = commit(patches, "lp_b", m3, "SIG-3", "MODULE-3");
        g_autofree char *names2 = list_dir(patches);
        ck_assert_str_eq(names2, "lp_a lp_b");
        assert_file(d2, PATCH_SIGNATURE_FILE, "SIG-2");
}
END_TEST

static void save_state(const char *dir, const char *manifest, PatchState state) {
        g_autoptr(Manifest) m = NULL;
        ck_assert_int_eq(manifest_parse(manifest, strlen(manifest), &m, NULL), 0);
        g_autoptr(Patch) p = patch_new(dir, g_steal_pointer(&m), "CN=lpmaint test signer");

        patch_set_state(p, state, 1234);
        p->status.operation = PATCH_OPERATION_APPLY;
        patch_set_result(p, PATCH_RESULT_SUCCESS, "all good");
        ck_assert_int_eq(patch_save(p), 0);
}

static Patch *find(GPtrArray *patches, const char *name) {
        for (guint i = 0; i < patches->len; i++) {
                Patch *p = patches->pdata[i];
                if (g_str_equal(p->name, name))
                        return p;
        }
        return NULL;
}

START_TEST(test_load_all) {
        g_autofree char *patches = NULL;
        g_autoptr(GPtrArray) loaded = NULL, bad = NULL;

        ck_assert_int_eq(store_open(state_dir, &patches), 0);

        /* Empty store. */
        ck_assert_int_eq(store_load_all(patches, &loaded, &bad), 0);
        ck_assert_uint_eq(loaded->len, 0);
        ck_assert_uint_eq(bad->len, 0);
        g_clear_pointer(&loaded, g_ptr_array_unref);
        g_clear_pointer(&bad, g_ptr_array_unref);

        g_autofree char *ma = manifest_text("lp_a", "1"), *mb = manifest_text("lp_b", "7");
        g_autofree char *da = commit(patches, "lp_a", ma, "SIG-A", "MODULE-A");
        g_autofree char *db = commit(patches, "lp_b", mb, "SIG-B", "MODULE-B");
        save_state(da, ma, PATCH_APPLIED);
        save_state(db, mb, PATCH_DISABLED);

        /* A crash between stage and commit. */
        g_autoptr(GBytes) m = bytes(ma), s = bytes("SIG"), k = bytes("MOD");
        g_autofree char *staging = NULL;
        ck_assert_int_eq(store_stage(patches, "lp_a", m, s, k, &staging), 0);
        ck_assert(th_exists(staging));

        /* Unreadable records: garbage manifest, no state, a name that is not its directory's. */
        g_autofree char *dg = g_build_filename(patches, "lp_garbage", NULL);
        th_write_file(dg, PATCH_MANIFEST_FILE, "this is not a manifest", -1);
        th_write_file(dg, PATCH_STATE_FILE, "[Status]\nState=applied\nOperation=apply\n", -1);
        g_autofree char *mn = manifest_text("lp_nostate", "1");
        g_autofree char *dn = commit(patches, "lp_nostate", mn, "SIG", "MOD");
        g_autofree char *mw = manifest_text("lp_other", "1");
        g_autofree char *dw = commit(patches, "lp_wrongdir", mw, "SIG", "MOD");
        save_state(dw, mw, PATCH_APPLIED);

        ck_assert_int_eq(store_load_all(patches, &loaded, &bad), 0);

        ck_assert_uint_eq(loaded->len, 2);
        Patch *a = find(loaded, "lp_a"), *b = find(loaded, "lp_b");
        ck_assert_ptr_nonnull(a);
        ck_assert_ptr_nonnull(b);
        ck_assert_str_eq(a->dir, da);
        ck_assert_str_eq(a->manifest->version, "1");
        ck_assert_str_eq(b->manifest->version, "7");
        ck_assert_int_eq(a->status.state, PATCH_APPLIED);
        ck_assert_int_eq(a->status.operation, PATCH_OPERATION_APPLY);
        ck_assert_int_eq(a->status.result, PATCH_RESULT_SUCCESS);
        ck_assert_str_eq(a->result_message, "all good");
        ck_assert_str_eq(a->signer, "CN=lpmaint test signer");
        ck_assert_uint_eq(a->state_changed_usec, 1234);
        ck_assert_int_eq(b->status.state, PATCH_DISABLED);

        ck_assert_uint_eq(bad->len, 3);
        bool saw_garbage = false, saw_nostate = false, saw_wrongdir = false;
        for (guint i = 0; i < bad->len; i++) {
                saw_garbage |= g_str_equal(bad->pdata[i], dg);
                saw_nostate |= g_str_equal(bad->pdata[i], dn);
                saw_wrongdir |= g_str_equal(bad->pdata[i], dw);
        }
        ck_assert(saw_garbage && saw_nostate && saw_wrongdir);

        /* The bad records are left for a human; the staging left-over is
         * skipped by the load and removed at the next start. */
        ck_assert(th_exists(dg));
        ck_assert(th_exists(staging));
        g_autofree char *again = NULL;
        ck_assert_int_eq(store_open(state_dir, &again), 0);
        ck_assert(!th_exists(staging));
        g_autofree char *names = list_dir(patches);
        ck_assert_str_eq(names, "lp_a lp_b lp_garbage lp_nostate lp_wrongdir");
}
END_TEST

/* A patch directory that is a link out of the store is neither loaded nor
 * written through, and stays for inspection. */
START_TEST(test_symlinked_record_is_refused) {
        g_autofree char *patches = NULL;
        g_autoptr(GPtrArray) loaded = NULL, bad = NULL;

        ck_assert_int_eq(store_open(state_dir, &patches), 0);
        g_autofree char *ma = manifest_text("lp_a", "1");
        g_autofree char *da = commit(patches, "lp_a", ma, "SIG-A", "MODULE-A");
        save_state(da, ma, PATCH_APPLIED);

        /* The same record outside the store, and a link to it in the store. */
        g_autofree char *outside = g_build_filename(tmp, "outside", "lp_b", NULL);
        g_autofree char *mb = manifest_text("lp_b", "1");
        th_write_file(outside, PATCH_MANIFEST_FILE, mb, -1);
        th_write_file(outside, PATCH_STATE_FILE, "[Status]\nState=applied\nOperation=apply\n", -1);
        g_autofree char *link = g_build_filename(patches, "lp_b", NULL);
        ck_assert_int_eq(symlink(outside, link), 0);

        ck_assert_int_eq(store_load_all(patches, &loaded, &bad), 0);
        ck_assert_uint_eq(loaded->len, 1);
        ck_assert_ptr_nonnull(find(loaded, "lp_a"));
        ck_assert_uint_eq(bad->len, 1);
        ck_assert_str_eq(bad->pdata[0], link);
        ck_assert(g_file_test(link, G_FILE_TEST_IS_SYMLINK));

        /* A record loaded before its directory was swapped for a link is not written through it. */
        g_autofree char *moved = g_build_filename(tmp, "moved", NULL);
        ck_assert_int_eq(rename(da, moved), 0);
        ck_assert_int_eq(symlink(moved, da), 0);
        Patch *a = find(loaded, "lp_a");
        ck_assert_int_lt(patch_save(a), 0);
        g_autofree char *state_text = g_build_filename(moved, PATCH_STATE_FILE, NULL);
        g_autofree char *content = th_read_file(state_text, NULL);
        ck_assert_ptr_nonnull(strstr(content, "State=applied"));
}
END_TEST

/* A FIFO or a link in place of a record's files: refused at once, never waited on. */
START_TEST(test_record_files_must_be_regular) {
        g_autofree char *patches = NULL;

        ck_assert_int_eq(store_open(state_dir, &patches), 0);
        g_autofree char *ma = manifest_text("lp_a", "1"), *mb = manifest_text("lp_b", "1"), *mc = manifest_text("lp_c", "1");
        g_autofree char *da = commit(patches, "lp_a", ma, "SIG", "MOD");
        g_autofree char *db = commit(patches, "lp_b", mb, "SIG", "MOD");
        g_autofree char *dc = commit(patches, "lp_c", mc, "SIG", "MOD");
        save_state(da, ma, PATCH_APPLIED);
        save_state(db, mb, PATCH_APPLIED);

        g_autofree char *state_a = g_build_filename(da, PATCH_STATE_FILE, NULL);
        ck_assert_int_eq(unlink(state_a), 0);
        ck_assert_int_eq(mkfifo(state_a, 0600), 0);
        g_autofree char *manifest_b = g_build_filename(db, PATCH_MANIFEST_FILE, NULL);
        ck_assert_int_eq(unlink(manifest_b), 0);
        ck_assert_int_eq(mkfifo(manifest_b, 0600), 0);
        save_state(dc, mc, PATCH_APPLIED);
        g_autofree char *state_c = g_build_filename(dc, PATCH_STATE_FILE, NULL);
        g_autofree char *elsewhere = g_build_filename(tmp, "state-elsewhere", NULL);
        ck_assert_int_eq(rename(state_c, elsewhere), 0);
        ck_assert_int_eq(symlink(elsewhere, state_c), 0);

        Patch *p = NULL;
        ck_assert_int_eq(patch_load(da, &p), -EBADFD);
        ck_assert_int_eq(patch_load(db, &p), -EBADFD);
        ck_assert_int_eq(patch_load(dc, &p), -EBADFD);
        ck_assert_ptr_null(p);
}
END_TEST

/* What a killed lpmaintd leaves behind is removed at start, and nothing else. */
START_TEST(test_leftovers_removed_at_start) {
        g_autofree char *patches = NULL;

        ck_assert_int_eq(store_open(state_dir, &patches), 0);
        g_autofree char *ma = manifest_text("lp_a", "1");
        g_autofree char *da = commit(patches, "lp_a", ma, "SIG", "MOD");
        save_state(da, ma, PATCH_APPLIED);

        th_write_file(state_dir, ".#versions.a1B2c3", "half", -1);
        th_write_file(state_dir, ".#boots.Zz9yY8", "half", -1);
        th_write_file(state_dir, ".#reboot-wave.000000", "half", -1);
        th_write_file(da, ".#state.QwErTy", "half", -1);
        g_autofree char *staging = g_build_filename(patches, ".staging-lp_b-x1Y2z3", NULL);
        th_write_file(staging, "manifest", "half", -1);
        th_write_file(staging, ".#module.ko.abcdef", "half", -1);

        /* Not ours, or not a plain temporary file: kept. */
        th_write_file(state_dir, ".#notes", "mine", -1);
        th_write_file(state_dir, ".#versions.short", "mine", -1);
        th_write_file(state_dir, "versions.damaged", "mine", -1);
        g_autofree char *target = g_build_filename(tmp, "target", NULL);
        th_write_file(tmp, "target", "keep", -1);
        g_autofree char *link = g_build_filename(state_dir, ".#boots.LiNk00", NULL);
        ck_assert_int_eq(symlink(target, link), 0);
        g_autofree char *fifo = g_build_filename(state_dir, ".#boots.FiFo00", NULL);
        ck_assert_int_eq(mkfifo(fifo, 0600), 0);
        /* A staging-named link is not followed into what it points to. */
        g_autofree char *outside = g_build_filename(tmp, "outside", NULL);
        th_write_file(outside, ".#state.abcdef", "keep", -1);
        g_autofree char *staging_link = g_build_filename(patches, ".staging-lp_c-aaaaaa", NULL);
        ck_assert_int_eq(symlink(outside, staging_link), 0);
        g_autofree char *record_link = g_build_filename(patches, "lp_d", NULL);
        ck_assert_int_eq(symlink(outside, record_link), 0);

        g_autofree char *again = NULL;
        ck_assert_int_eq(store_open(state_dir, &again), 0);

        g_autofree char *state_names = list_dir(state_dir);
        ck_assert_str_eq(state_names, ".#boots.FiFo00 .#boots.LiNk00 .#notes .#versions.short patches versions.damaged");
        g_autofree char *record_names = list_dir(da);
        ck_assert_str_eq(record_names, "manifest module.ko signature state");
        g_autofree char *patch_names = list_dir(patches);
        ck_assert_str_eq(patch_names, ".staging-lp_c-aaaaaa lp_a lp_d");
        g_autofree char *outside_names = list_dir(outside);
        ck_assert_str_eq(outside_names, ".#state.abcdef");
        ck_assert(th_exists(target));
}
END_TEST

START_TEST(test_load_all_missing_dir) {
        g_autoptr(GPtrArray) loaded = NULL, bad = NULL;
        g_autofree char *missing = g_build_filename(tmp, "no-such-dir", NULL);

        ck_assert_int_lt(store_load_all(missing, &loaded, &bad), 0);
        ck_assert_ptr_null(loaded);
        ck_assert_ptr_null(bad);
}
END_TEST

static Suite *store_suite(void) {
        Suite *s = suite_create("store");
        TCase *tc = tcase_create("store");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_open_creates_private_dirs);
        tcase_add_test(tc, test_stage_and_commit);
        tcase_add_test(tc, test_commit_replaces);
        tcase_add_test(tc, test_load_all);
        tcase_add_test(tc, test_load_all_missing_dir);
        tcase_add_test(tc, test_symlinked_record_is_refused);
        tcase_add_test(tc, test_record_files_must_be_regular);
        tcase_add_test(tc, test_leftovers_removed_at_start);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return th_run_suite(store_suite());
}
