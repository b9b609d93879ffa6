/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The CLI's text for people and its checks of values, without a bus:
 * durations, plurals, colour and pager choices, names, reasons, reboot
 * times and history results (cli/humanize.c, color.c, pager.c, parse.c). */
#include <check.h>
#include <errno.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "color.h"
#include "humanize.h"
#include "pager.h"
#include "parse.h"

#define SEC  UINT64_C(1000000)
#define MINUTE (60 * SEC)
#define HOUR (60 * MINUTE)
#define DAY  (24 * HOUR)

static void assert_duration(uint64_t usec, const char *want) {
        char buf[FORMAT_DURATION_MAX];

        ck_assert_str_eq(format_duration(buf, sizeof buf, usec), want);
}

START_TEST(test_durations_are_rounded) {
        /* The issue's example: 1min 40s 103ms 934us. */
        assert_duration(100 * SEC + 103934, "1min 40s");
        assert_duration(0, "0");
        assert_duration(1, "1us");
        assert_duration(250 * 1000, "250ms");
        assert_duration(1500 * 1000 + 499, "1s 500ms");
        assert_duration(3 * SEC, "3s");
        assert_duration(5 * MINUTE, "5min");
        assert_duration(90 * MINUTE, "1h 30min");
        assert_duration(HOUR + 29 * SEC, "1h");
        assert_duration(HOUR + 31 * SEC, "1h 1min");
        assert_duration(3 * DAY + 5 * HOUR + 30 * MINUTE, "3d 6h");
        assert_duration(40 * DAY, "40d");
}
END_TEST

START_TEST(test_rounding_carries) {
        assert_duration(59 * MINUTE + 59 * SEC + 600000, "1h");
        assert_duration(HOUR - 1, "1h");
        assert_duration(59 * SEC + 999600, "1min");
        assert_duration(60 * SEC - 400, "1min");
        assert_duration(DAY - 30 * SEC, "1d");
        assert_duration(UINT64_MAX, "213503982d 8h");
}
END_TEST

START_TEST(test_duration_buffer_too_small) {
        char buf[4];

        ck_assert_ptr_null(format_duration(buf, sizeof buf, 100 * SEC));
        ck_assert_ptr_null(format_duration(buf, 0, 0));
        ck_assert_str_eq(format_duration(buf, sizeof buf, 3 * SEC), "3s");
}
END_TEST

START_TEST(test_plurals) {
        ck_assert_str_eq(plural(0, "record", "records"), "records");
        ck_assert_str_eq(plural(1, "record", "records"), "record");
        ck_assert_str_eq(plural(2, "patch", "patches"), "patches");
}
END_TEST

START_TEST(test_colors_wanted) {
        ck_assert(colors_wanted(NULL, NULL, "xterm-256color", true));
        ck_assert(!colors_wanted(NULL, NULL, "xterm", false));
        ck_assert(!colors_wanted("1", NULL, "xterm", true));
        ck_assert(colors_wanted("", NULL, "xterm", true)); /* NO_COLOR counts when not empty */
        ck_assert(!colors_wanted(NULL, "0", "xterm", true));
        ck_assert(!colors_wanted(NULL, "no", "xterm", true));
        ck_assert(colors_wanted(NULL, "1", NULL, false));
        ck_assert(!colors_wanted("1", "1", NULL, true));
        ck_assert(!colors_wanted(NULL, NULL, "dumb", true));
        ck_assert(colors_wanted(NULL, "256", "xterm", true));
}
END_TEST

START_TEST(test_color_of) {
        ck_assert_str_eq(color_of("applied"), ANSI_GREEN);
        ck_assert_str_eq(color_of("failed"), ANSI_RED);
        ck_assert_str_eq(color_of("soaking"), ANSI_YELLOW);
        ck_assert_ptr_null(color_of("disabled"));
        ck_assert_ptr_null(color_of(NULL));
}
END_TEST

START_TEST(test_pager_command) {
        int explicit;

        ck_assert_ptr_null(pager_command(NULL, NULL, &explicit));
        ck_assert(!explicit);
        ck_assert_str_eq(pager_command(NULL, "most", &explicit), "most");
        ck_assert(explicit);
        ck_assert_str_eq(pager_command("less -R", "most", &explicit), "less -R");
        ck_assert_ptr_null(pager_command("", "most", &explicit));
        ck_assert(explicit);
        ck_assert_ptr_null(pager_command(NULL, "cat", &explicit));
        ck_assert(explicit);
}
END_TEST

START_TEST(test_patch_names) {
        ck_assert(patch_name_is_valid("lp_cve_2026_1234"));
        ck_assert(patch_name_is_valid("a"));
        ck_assert(!patch_name_is_valid(""));
        ck_assert(!patch_name_is_valid(NULL));
        ck_assert(!patch_name_is_valid("Bad Name!"));
        ck_assert(!patch_name_is_valid("UPPER"));
        ck_assert(!patch_name_is_valid("lp-dash"));
        ck_assert(!patch_name_is_valid("../etc"));
        g_autofree char *long_name = g_strnfill(56, 'a');
        ck_assert(!patch_name_is_valid(long_name));
        long_name[55] = 0;
        ck_assert(patch_name_is_valid(long_name));
}
END_TEST

START_TEST(test_reasons) {
        ck_assert(reason_is_valid(""));
        ck_assert(reason_is_valid("kernel upgrade, ticket #42 – ok"));
        ck_assert(!reason_is_valid("tab\there"));
        ck_assert(!reason_is_valid("\x7f"));
        ck_assert(!reason_is_valid("\xff"));
        g_autofree char *long_reason = g_strnfill(REASON_MAX + 1, 'x');
        ck_assert(!reason_is_valid(long_reason));
        long_reason[REASON_MAX] = 0;
        ck_assert(reason_is_valid(long_reason));
}
END_TEST

START_TEST(test_reboot_times) {
        uint64_t now = (uint64_t) g_get_real_time(), t;

        ck_assert_int_eq(parse_reboot_time("now", now, &t), 0);
        ck_assert_uint_eq(t, now);
        ck_assert_int_eq(parse_reboot_time("+10", now, &t), 0);
        ck_assert_uint_eq(t, now + 10 * MINUTE);
        ck_assert_int_eq(parse_reboot_time("+2h", now, &t), 0);
        ck_assert_uint_eq(t, now + 2 * HOUR);
        ck_assert_int_eq(parse_reboot_time("23:59", now, &t), 0);
        ck_assert(t > now && t <= now + DAY);
        /* Both ends of what lpmaintd takes are usage errors here. */
        ck_assert_int_eq(parse_reboot_time("2020-01-01 10:00", now, &t), -ERANGE);
        ck_assert_int_eq(parse_reboot_time("+99999999", now, &t), -ERANGE);
        ck_assert_int_eq(parse_reboot_time("+367d", now, &t), -EINVAL);
        ck_assert_int_eq(parse_reboot_time("yesterday", now, &t), -EINVAL);
        ck_assert_int_eq(parse_reboot_time("25:00", now, &t), -EINVAL);
}
END_TEST

START_TEST(test_history_results) {
        ck_assert(history_result_is_known("refused"));
        ck_assert(history_result_is_known("transition-timeout"));
        ck_assert(!history_result_is_known("bogus"));
        ck_assert(!history_result_is_known(""));
        ck_assert(!history_result_is_known(NULL));
        for (size_t i = 0; history_results[i]; i++)
                for (size_t j = i + 1; history_results[j]; j++)
                        ck_assert_str_ne(history_results[i], history_results[j]);
}
END_TEST

int main(void) {
        Suite *s = suite_create("cli-text");
        TCase *tc = tcase_create("text");
        tcase_add_test(tc, test_durations_are_rounded);
        tcase_add_test(tc, test_rounding_carries);
        tcase_add_test(tc, test_duration_buffer_too_small);
        tcase_add_test(tc, test_plurals);
        tcase_add_test(tc, test_colors_wanted);
        tcase_add_test(tc, test_color_of);
        tcase_add_test(tc, test_pager_command);
        tcase_add_test(tc, test_patch_names);
        tcase_add_test(tc, test_reasons);
        tcase_add_test(tc, test_reboot_times);
        tcase_add_test(tc, test_history_results);
        suite_add_tcase(s, tc);

        SRunner *sr = srunner_create(s);
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
