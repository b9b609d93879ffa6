/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "boots.h"
#include "test-helpers.h"
#include "util.h"

#define A "0b0b0b0b-0000-4000-8000-00000000000a"
#define B "0b0b0b0b-0000-4000-8000-00000000000b"
#define C "0b0b0b0b-0000-4000-8000-00000000000c"

static BootEnd end_of(const BootLog *l, const char *id) {
        for (guint i = 0; i < l->records->len; i++) {
                const BootRecord *r = &g_array_index(l->records, BootRecord, i);
                if (g_str_equal(r->boot_id, id))
                        return r->end;
        }
        return _BOOT_END_INVALID;
}

START_TEST(test_boot_ends) {
        g_autoptr(BootLog) l = boot_log_new();

        ck_assert(boot_log_note_boot(l, A, "6.1.0-1", 100));
        ck_assert_int_eq(end_of(l, A), BOOT_END_RUNNING);
        /* The daemon restarted in the same boot. */
        ck_assert(!boot_log_note_boot(l, A, "6.1.0-1", 100));
        ck_assert_uint_eq(l->records->len, 1);

        /* No end was written: the next boot says the previous crashed. */
        ck_assert(boot_log_note_boot(l, B, "6.1.0-2", 200));
        ck_assert_int_eq(end_of(l, A), BOOT_END_CRASH);
        ck_assert_str_eq(boot_log_previous(l)->boot_id, A);
        ck_assert_str_eq(boot_log_current(l)->kernel_release, "6.1.0-2");

        /* A clean reboot is remembered as such. */
        boot_log_note_end(l, B, BOOT_END_REBOOT, 300, "");
        ck_assert(boot_log_note_boot(l, C, "6.1.0-2", 400));
        ck_assert_int_eq(end_of(l, B), BOOT_END_REBOOT);
        ck_assert_uint_eq(boot_log_previous(l)->ended_usec, 300);
}
END_TEST

START_TEST(test_daemon_stopped) {
        g_autoptr(BootLog) l = boot_log_new();

        boot_log_note_boot(l, A, "6.1.0-1", 100);
        boot_log_note_end(l, A, BOOT_END_DAEMON_STOPPED, 150, NULL);
        /* Started again before the boot ended: running once more. */
        boot_log_note_boot(l, A, "6.1.0-1", 100);
        ck_assert_int_eq(end_of(l, A), BOOT_END_RUNNING);
        boot_log_note_end(l, A, BOOT_END_DAEMON_STOPPED, 160, NULL);
        /* Stopped by hand and never started again: how the boot ended is not known. */
        boot_log_note_boot(l, B, "6.1.0-1", 200);
        ck_assert_int_eq(end_of(l, A), BOOT_END_UNKNOWN);
}
END_TEST

START_TEST(test_bounded) {
        g_autoptr(BootLog) l = boot_log_new();

        for (int i = 0; i < BOOT_LOG_MAX + 10; i++) {
                g_autofree char *id = g_strdup_printf("%032x", i);
                boot_log_note_boot(l, id, "6.1.0-1", (uint64_t) i);
        }
        ck_assert_uint_eq(l->records->len, BOOT_LOG_MAX);
        ck_assert_uint_eq(g_array_index(l->records, BootRecord, 0).booted_usec, 10);
}
END_TEST

START_TEST(test_save_load) {
        g_autofree char *dir = th_mkdtemp();
        g_autoptr(BootLog) l = boot_log_new(), back = NULL, empty = NULL;

        ck_assert_int_eq(boot_log_load(dir, &empty), 0);
        ck_assert_uint_eq(empty->records->len, 0);

        boot_log_note_boot(l, A, "6.1.0-1", 100);
        boot_log_note_end(l, A, BOOT_END_PLANNED_REBOOT, 150, "installed kernel 6.1.0-2 is newer");
        boot_log_note_boot(l, B, "6.1.0-2", 200);
        ck_assert_int_eq(boot_log_save(l, dir), 0);
        ck_assert_int_eq(boot_log_load(dir, &back), 0);
        ck_assert_uint_eq(back->records->len, 2);
        const BootRecord *a = &g_array_index(back->records, BootRecord, 0);
        ck_assert_str_eq(a->boot_id, A);
        ck_assert_int_eq(a->end, BOOT_END_PLANNED_REBOOT);
        ck_assert_str_eq(a->reason, "installed kernel 6.1.0-2 is newer");
        ck_assert_uint_eq(a->ended_usec, 150);
        ck_assert_int_eq(g_array_index(back->records, BootRecord, 1).end, BOOT_END_RUNNING);

        /* A damaged file is an error, not an empty log. */
        g_autofree char *path = g_build_filename(dir, "boots", NULL);
        const char *bad[] = { "[Boot x/y]\nKernelRelease=1\nEnd=crash\n", "[Boot aa]\nEnd=exploded\nKernelRelease=1\n", "not a key file" };
        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                g_autoptr(BootLog) d = NULL;
                ck_assert(g_file_set_contents(path, bad[i], -1, NULL));
                ck_assert_int_eq(boot_log_load(dir, &d), -EBADMSG);
        }
        th_rmtree(dir);
}
END_TEST

static Suite *boots_suite(void) {
        Suite *s = suite_create("boots");
        TCase *tc = tcase_create("boots");

        tcase_add_test(tc, test_boot_ends);
        tcase_add_test(tc, test_daemon_stopped);
        tcase_add_test(tc, test_bounded);
        tcase_add_test(tc, test_save_load);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return th_run_suite(boots_suite());
}
