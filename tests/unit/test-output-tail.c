/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <check.h>
#include <string.h>
#include <glib.h>

#include "output-tail.h"
#include "test-helpers.h"

static char *summary(const char *s) {
        return output_tail_summary(s, strlen(s));
}

START_TEST(test_last_lines) {
        g_autofree char *a = summary("one\ntwo\n\n  three  \nfour\nfive\n");
        ck_assert_str_eq(a, "two | three | four | five");
        g_autofree char *b = summary("no newline at the end");
        ck_assert_str_eq(b, "no newline at the end");
        g_autofree char *c = summary("\n \n\t\n");
        ck_assert_str_eq(c, "");
        g_autofree char *d = summary("");
        ck_assert_str_eq(d, "");
}
END_TEST

START_TEST(test_control_characters_and_bad_utf8) {
        g_autofree char *a = summary("bell\a and \033[31mred\r\n\xff\xfe ok\n");
        /* Nothing that moves a terminal's cursor survives; invalid bytes are replaced. */
        ck_assert_ptr_null(strchr(a, '\033'));
        ck_assert_ptr_null(strchr(a, '\r'));
        ck_assert_ptr_null(strchr(a, '\a'));
        ck_assert(g_utf8_validate(a, -1, NULL));
        ck_assert(g_str_has_suffix(a, " ok"));
}
END_TEST

START_TEST(test_append_keeps_the_end) {
        char tail[8];
        size_t len = 0;

        output_tail_append(tail, &len, sizeof tail, "abc", 3);
        ck_assert_uint_eq(len, 3);
        output_tail_append(tail, &len, sizeof tail, "defgh", 5);
        ck_assert_uint_eq(len, 8);
        ck_assert(memcmp(tail, "abcdefgh", 8) == 0);
        output_tail_append(tail, &len, sizeof tail, "ij", 2);
        ck_assert(memcmp(tail, "cdefghij", 8) == 0);
        output_tail_append(tail, &len, sizeof tail, "0123456789", 10);
        ck_assert_uint_eq(len, 8);
        ck_assert(memcmp(tail, "23456789", 8) == 0);
}
END_TEST

int main(void) {
        Suite *s = suite_create("output-tail");
        TCase *tc = tcase_create("output-tail");
        tcase_add_test(tc, test_last_lines);
        tcase_add_test(tc, test_control_characters_and_bad_utf8);
        tcase_add_test(tc, test_append_keeps_the_end);
        suite_add_tcase(s, tc);
        return th_run_suite(s);
}
