/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <check.h>
#include <stdlib.h>

#include "taint.h"

START_TEST(test_none) {
        TaintFlag f[64];
        ck_assert_uint_eq(taint_decode(0, f), 0);
}
END_TEST

START_TEST(test_livepatch_and_out_of_tree) {
        TaintFlag f[64];
        /* 36864 is what a host shows after loading an out-of-tree livepatch. */
        ck_assert_uint_eq(taint_decode(36864, f), 2);
        ck_assert_uint_eq(f[0].bit, 12);
        ck_assert_int_eq(f[0].letter, 'O');
        ck_assert_uint_eq(f[1].bit, TAINT_LIVEPATCH_BIT);
        ck_assert_int_eq(f[1].letter, 'K');
        ck_assert_str_eq(f[1].name, "kernel live patched");
}
END_TEST

START_TEST(test_every_documented_letter) {
        TaintFlag f[64];
        const char *letters = "PFSRMBUDAWCIOELKXTN";

        ck_assert_uint_eq(taint_decode((UINT64_C(1) << 19) - 1, f), 19);
        for (unsigned i = 0; i < 19; i++) {
                ck_assert_uint_eq(f[i].bit, i);
                ck_assert_int_eq(f[i].letter, letters[i]);
        }
}
END_TEST

START_TEST(test_unknown_bits) {
        TaintFlag f[64];

        ck_assert_uint_eq(taint_decode(UINT64_MAX, f), 64);
        ck_assert_uint_eq(f[63].bit, 63);
        ck_assert_int_eq(f[63].letter, '?');
        ck_assert_str_eq(f[19].name, "unknown");
}
END_TEST

int main(void) {
        Suite *s = suite_create("taint");
        TCase *tc = tcase_create("decode");
        tcase_add_test(tc, test_none);
        tcase_add_test(tc, test_livepatch_and_out_of_tree);
        tcase_add_test(tc, test_every_documented_letter);
        tcase_add_test(tc, test_unknown_bits);
        suite_add_tcase(s, tc);

        SRunner *sr = srunner_create(s);
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
