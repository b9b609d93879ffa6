/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "health-record.h"
#include "test-helpers.h"

static void add(GArray *a, const char *name, bool passed, int exit_status, const char *detail) {
        HealthCheckResult h = {
                .name = g_strdup(name),
                .passed = passed,
                .exit_status = exit_status,
                .detail = g_strdup(detail),
                .started_usec = 1700000000000000,
                .duration_usec = 1234,
        };
        g_array_append_val(a, h);
}

START_TEST(test_saved_results_load_back) {
        g_autofree char *dir = th_mkdtemp();
        g_autoptr(GArray) saved = health_results_new(), loaded = NULL;

        add(saved, "web", false, 3, "exit status 3: line with = and [brackets] | \"quoted\"");
        add(saved, "db", true, 0, "exit status 0");
        add(saved, "slow", false, -1, "timed out after 30 s");
        ck_assert_int_eq(health_record_save(saved, dir), 0);
        ck_assert_int_eq(health_record_load(dir, &loaded), 0);
        ck_assert_uint_eq(loaded->len, 3);
        for (guint i = 0; i < saved->len; i++) {
                const HealthCheckResult *a = &g_array_index(saved, HealthCheckResult, i);
                const HealthCheckResult *b = &g_array_index(loaded, HealthCheckResult, i);
                ck_assert_str_eq(a->name, b->name);
                ck_assert_int_eq(a->passed, b->passed);
                ck_assert_int_eq(a->exit_status, b->exit_status);
                ck_assert_str_eq(a->detail, b->detail);
                ck_assert_uint_eq(a->started_usec, b->started_usec);
                ck_assert_uint_eq(a->duration_usec, b->duration_usec);
        }
        th_rmtree(dir);
}
END_TEST

START_TEST(test_missing_is_empty) {
        g_autofree char *dir = th_mkdtemp();
        g_autoptr(GArray) loaded = NULL;

        ck_assert_int_eq(health_record_load(dir, &loaded), 0);
        ck_assert_uint_eq(loaded->len, 0);
        th_rmtree(dir);
}
END_TEST

START_TEST(test_damage_is_refused) {
        static const char *const damaged[] = {
                "not a key file\x01",
                "[Other group]\nPassed=true\n",
                "[Check web]\nPassed=maybe\nExitStatus=0\nDetail=\nStartedUSec=1\nDurationUSec=1\n",
                "[Check web]\nPassed=true\nExitStatus=999\nDetail=\nStartedUSec=1\nDurationUSec=1\n",
                "[Check web]\nPassed=true\nExitStatus=0\nStartedUSec=1\nDurationUSec=1\n",
                "[Check web]\nPassed=true\nExitStatus=0\nDetail=\nStartedUSec=-1\nDurationUSec=1\n",
                "[Check ]\nPassed=true\nExitStatus=0\nDetail=\nStartedUSec=1\nDurationUSec=1\n",
        };
        for (size_t i = 0; i < G_N_ELEMENTS(damaged); i++) {
                g_autofree char *dir = th_mkdtemp();
                g_autoptr(GArray) loaded = NULL;
                th_write_file(dir, "health-checks", damaged[i], -1);
                ck_assert_msg(health_record_load(dir, &loaded) == -EBADMSG, "case %zu", i);
                ck_assert_ptr_null(loaded);
                th_rmtree(dir);
        }
}
END_TEST

int main(void) {
        Suite *s = suite_create("health-record");
        TCase *tc = tcase_create("health-record");
        tcase_add_test(tc, test_saved_results_load_back);
        tcase_add_test(tc, test_missing_is_empty);
        tcase_add_test(tc, test_damage_is_refused);
        suite_add_tcase(s, tc);
        return th_run_suite(s);
}
