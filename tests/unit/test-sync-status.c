/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "sync-status.h"
#include "test-helpers.h"
#include "util.h"

static SyncReport report(uint64_t usec, const char *channel, uint64_t serial, const char *result) {
        return (SyncReport) {
                .time_usec = usec,
                .channel = (char *) channel,
                .serial = serial,
                .result = (char *) result,
                .message = (char *) "a message",
        };
}

START_TEST(test_last_success_survives_a_failure) {
        SyncStatus s;

        sync_status_init(&s);
        SyncReport ok = report(100, "https://a.example/", 5, "ok");
        sync_status_note(&s, &ok);
        SyncReport bad = report(200, "https://a.example/", 5, "org.lpmaint1.Error.IndexRollback");
        sync_status_note(&s, &bad);
        ck_assert_str_eq(s.last.result, "org.lpmaint1.Error.IndexRollback");
        ck_assert_uint_eq(s.last.time_usec, 200);
        ck_assert_str_eq(s.last_success.result, "ok");
        ck_assert_uint_eq(s.last_success.time_usec, 100);
        /* "unchanged" is a successful sync too. */
        SyncReport same = report(300, "https://a.example/", 5, "unchanged");
        sync_status_note(&s, &same);
        ck_assert_uint_eq(s.last_success.time_usec, 300);
        sync_status_clear(&s);
}
END_TEST

START_TEST(test_error_kinds) {
        ck_assert_int_eq(sync_error_kind_of("not-found"), SYNC_ERROR_KIND_FETCH);
        ck_assert_int_eq(sync_error_kind_of("tls-untrusted"), SYNC_ERROR_KIND_FETCH);
        ck_assert_int_eq(sync_error_kind_of("org.lpmaint1.Error.Unsigned"), SYNC_ERROR_KIND_SIGNATURE);
        ck_assert_int_eq(sync_error_kind_of("org.lpmaint1.Error.SignerNotAllowed"), SYNC_ERROR_KIND_SIGNATURE);
        ck_assert_int_eq(sync_error_kind_of("org.lpmaint1.Error.IndexRollback"), SYNC_ERROR_KIND_ROLLBACK);
        ck_assert_int_eq(sync_error_kind_of("org.lpmaint1.Error.IndexExpired"), SYNC_ERROR_KIND_EXPIRED);
        ck_assert_int_eq(sync_error_kind_of("org.lpmaint1.Error.IndexWrongKernel"), SYNC_ERROR_KIND_INDEX);
        ck_assert_int_eq(sync_error_kind_of("org.lpmaint1.Error.ArtifactMismatch"), SYNC_ERROR_KIND_ARTIFACT);
        ck_assert_int_eq(sync_error_kind_of("org.lpmaint1.Error.Busy"), SYNC_ERROR_KIND_APPLY);
        ck_assert_int_eq(sync_error_kind_of("org.freedesktop.DBus.Error.NoReply"), SYNC_ERROR_KIND_OTHER);
        ck_assert_int_eq(sync_error_kind_of("Made_Up.Thing"), SYNC_ERROR_KIND_OTHER);
        for (SyncErrorKind k = 0; k < _SYNC_ERROR_KIND_MAX; k++)
                ck_assert_int_eq(sync_error_kind_from_string(sync_error_kind_to_string(k)), k);
}
END_TEST

START_TEST(test_errors_are_counted_by_kind) {
        g_autofree char *dir = th_mkdtemp();
        SyncStatus s, back;

        sync_status_init(&s);
        const char *results[] = { "ok", "not-found", "connect", "org.lpmaint1.Error.IndexRollback", "unchanged",
                                  "whatever.a.caller.sends" };
        for (size_t i = 0; i < G_N_ELEMENTS(results); i++) {
                SyncReport r = report(100 + i, "https://a.example/", 1, results[i]);
                sync_status_note(&s, &r);
        }
        ck_assert_uint_eq(s.errors[SYNC_ERROR_KIND_FETCH], 2);
        ck_assert_uint_eq(s.errors[SYNC_ERROR_KIND_ROLLBACK], 1);
        ck_assert_uint_eq(s.errors[SYNC_ERROR_KIND_OTHER], 1);
        ck_assert_uint_eq(s.errors[SYNC_ERROR_KIND_SIGNATURE], 0);

        /* Kept across a restart; a file from before the counters has none. */
        ck_assert_int_eq(sync_status_save(&s, dir), 0);
        sync_status_init(&back);
        ck_assert_int_eq(sync_status_load(dir, &back), 0);
        ck_assert(memcmp(back.errors, s.errors, sizeof s.errors) == 0);
        g_autofree char *path = g_build_filename(dir, "sync-status", NULL);
        ck_assert(g_file_set_contents(path,
                                      "[Last]\nTimeUSec=1\nSerial=1\nChannel=c\nResult=ok\nMessage=m\n"
                                      "[LastSuccess]\nTimeUSec=1\nSerial=1\nChannel=c\nResult=ok\nMessage=m\n", -1, NULL));
        ck_assert_int_eq(sync_status_load(dir, &back), 0);
        ck_assert_uint_eq(back.errors[SYNC_ERROR_KIND_FETCH], 0);
        /* A count that is no number is damage. */
        ck_assert(g_file_set_contents(path,
                                      "[Last]\nTimeUSec=1\nSerial=1\nChannel=c\nResult=ok\nMessage=m\n"
                                      "[LastSuccess]\nTimeUSec=1\nSerial=1\nChannel=c\nResult=ok\nMessage=m\n"
                                      "[Errors]\nfetch=many\n", -1, NULL));
        ck_assert_int_eq(sync_status_load(dir, &back), -EBADMSG);
        sync_status_clear(&s);
        sync_status_clear(&back);
        th_rmtree(dir);
}
END_TEST

START_TEST(test_bounds) {
        g_autofree char *long_channel = g_strnfill(SYNC_CHANNEL_MAX + 1, 'x');
        g_autofree char *long_result = g_strnfill(SYNC_RESULT_MAX + 1, 'x');

        ck_assert(sync_report_is_valid("https://a.example/", "not-found", "no such file"));
        ck_assert(sync_report_is_valid("", "org.lpmaint1.Error.IndexExpired", ""));
        ck_assert(!sync_report_is_valid("https://a.example/", "", "an empty result"));
        ck_assert(!sync_report_is_valid("https://a.example/", "two words", ""));
        ck_assert(!sync_report_is_valid("https://a.example/", "ok", "a line\nbreak"));
        ck_assert(!sync_report_is_valid(long_channel, "ok", ""));
        ck_assert(!sync_report_is_valid("https://a.example/", long_result, ""));
}
END_TEST

START_TEST(test_save_load) {
        g_autofree char *dir = th_mkdtemp();
        SyncStatus s, back;

        sync_status_init(&back);
        /* Nothing reported yet. */
        ck_assert_int_eq(sync_status_load(dir, &back), 0);
        ck_assert_str_eq(back.last.result, "");

        sync_status_init(&s);
        SyncReport ok = report(100, "file:///srv/channel", 9, "ok");
        SyncReport bad = report(200, "https://a.example/", 9, "connect");
        sync_status_note(&s, &ok);
        sync_status_note(&s, &bad);
        ck_assert_int_eq(sync_status_save(&s, dir), 0);
        ck_assert_int_eq(sync_status_load(dir, &back), 0);
        ck_assert_str_eq(back.last.result, "connect");
        ck_assert_str_eq(back.last.channel, "https://a.example/");
        ck_assert_str_eq(back.last_success.channel, "file:///srv/channel");
        ck_assert_uint_eq(back.last_success.serial, 9);
        sync_status_clear(&s);

        /* A damaged record is an error, and leaves what was loaded alone. */
        const char *damaged[] = {
                "not a key file",
                "[Last]\nTimeUSec=x\n",
                "[Last]\nTimeUSec=1\nSerial=1\nChannel=c\nResult=two words\nMessage=m\n"
                "[LastSuccess]\nTimeUSec=1\nSerial=1\nChannel=c\nResult=ok\nMessage=m\n",
        };
        g_autofree char *path = g_build_filename(dir, "sync-status", NULL);
        for (size_t i = 0; i < G_N_ELEMENTS(damaged); i++) {
                ck_assert(g_file_set_contents(path, damaged[i], -1, NULL));
                ck_assert_int_eq(sync_status_load(dir, &back), -EBADMSG);
                ck_assert_str_eq(back.last.result, "connect");
        }
        sync_status_clear(&back);
        th_rmtree(dir);
}
END_TEST

static Suite *sync_status_suite(void) {
        Suite *s = suite_create("sync-status");
        TCase *tc = tcase_create("sync-status");

        tcase_add_test(tc, test_last_success_survives_a_failure);
        tcase_add_test(tc, test_bounds);
        tcase_add_test(tc, test_error_kinds);
        tcase_add_test(tc, test_errors_are_counted_by_kind);
        tcase_add_test(tc, test_save_load);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return th_run_suite(sync_status_suite());
}
