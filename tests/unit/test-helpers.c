/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"
#include "test-helpers.h"

/* Every test directory lives under one directory per test program, made by
 * th_run_suite() before the tests fork and removed after they all ran: a test
 * that fails, and so never reaches its teardown, leaves nothing behind. */
static char *base_dir;

static char *make_tmp(void) {
        g_autoptr(GError) error = NULL;
        char *dir;

        if (base_dir) {
                dir = g_build_filename(base_dir, "test-XXXXXX", NULL);
                if (!g_mkdtemp_full(dir, 0755))
                        g_error("mkdtemp %s: %s", dir, g_strerror(errno));
                return dir;
        }
        dir = g_dir_make_tmp("lpmaint-unit-XXXXXX", &error);
        if (!dir)
                g_error("g_dir_make_tmp: %s", error->message);
        return dir;
}

char *th_mkdtemp(void) {
        return make_tmp();
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        if (flag == FTW_DP)
                return rmdir(path) < 0 ? -1 : 0;
        return unlink(path) < 0 ? -1 : 0;
}

void th_rmtree(const char *path) {
        if (!path)
                return;
        /* Only ever our own directories: a bug here must not remove anything else. */
        if (!g_str_has_prefix(path, g_get_tmp_dir()) || !strstr(path, "/lpmaint-unit-"))
                g_error("refusing to remove %s", path);
        (void) nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        if (access(path, F_OK) == 0)
                g_error("%s could not be removed", path);
}

void th_write_file(const char *dir, const char *name, const char *data, gssize size) {
        g_autofree char *path = g_build_filename(dir, name, NULL);
        g_autofree char *parent = g_path_get_dirname(path);
        g_autoptr(GError) error = NULL;

        ck_assert_int_eq(g_mkdir_with_parents(parent, 0755), 0);
        ck_assert_msg(g_file_set_contents(path, data, size, &error), "writing %s: %s", path, error ? error->message : "?");
}

char *th_read_file(const char *path, gsize *ret_size) {
        char *contents = NULL;
        gsize size = 0;

        if (!g_file_get_contents(path, &contents, &size, NULL))
                return NULL;
        if (ret_size)
                *ret_size = size;
        return contents;
}

bool th_exists(const char *path) {
        return access(path, F_OK) == 0;
}

const char *th_getenv(const char *name) {
        const char *v = getenv(name);

        ck_assert_msg(v && v[0], "$%s is not set: run the test with meson test", name);
        return v;
}

int th_run_suite(Suite *s) {
        SRunner *sr = srunner_create(s);
        int failed;

        lpmaint_errors_register();
        base_dir = make_tmp();
        srunner_run_all(sr, CK_ENV);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        th_rmtree(base_dir);
        g_clear_pointer(&base_dir, g_free);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
