/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "kmsg.h"
#include "soak.h"
#include "taint.h"

static KmsgEvent classify(const char *m) {
        return kmsg_classify(m, strlen(m));
}

START_TEST(test_kmsg_record) {
        const char rec[] = "4,1234,5678901,-;WARNING: CPU: 1 PID: 42 at kernel/foo.c:10 bar+0x1/0x2\n SUBSYSTEM=cpu\n";
        KmsgRecord r;

        ck_assert_int_eq(kmsg_parse_record(rec, strlen(rec), &r), 0);
        ck_assert_uint_eq(r.seq, 1234);
        ck_assert_int_eq(kmsg_classify(r.message, r.message_len), KMSG_EVENT_WARNING);
        ck_assert_uint_eq(r.message_len, strlen("WARNING: CPU: 1 PID: 42 at kernel/foo.c:10 bar+0x1/0x2"));
        /* Five fields (with the caller id of newer kernels) are fine too. */
        ck_assert_int_eq(kmsg_parse_record("6,7,8,c,caller=T1;hello", 23, &r), 0);
        ck_assert_uint_eq(r.seq, 7);
}
END_TEST

START_TEST(test_kmsg_bad_records) {
        KmsgRecord r;
        const char *bad[] = { "", "no semicolon", "4,x,1,-;msg", "4,1;msg", ",1,2,-;msg" };

        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
                ck_assert_int_eq(kmsg_parse_record(bad[i], strlen(bad[i]), &r), -EBADMSG);
}
END_TEST

START_TEST(test_kmsg_classify) {
        ck_assert_int_eq(classify("Oops: 0002 [#1] PREEMPT SMP NOPTI"), KMSG_EVENT_OOPS);
        ck_assert_int_eq(classify("general protection fault, probably for non-canonical address"), KMSG_EVENT_OOPS);
        ck_assert_int_eq(classify("BUG: kernel NULL pointer dereference, address: 0000000000000000"), KMSG_EVENT_BUG);
        ck_assert_int_eq(classify("kernel BUG at mm/slub.c:123!"), KMSG_EVENT_BUG);
        ck_assert_int_eq(classify("WARNING: CPU: 0 PID: 1 at lib/foo.c:1 f+0x0/0x1"), KMSG_EVENT_WARNING);
        ck_assert_int_eq(classify("Call Trace:"), KMSG_EVENT_CALL_TRACE);
        ck_assert_int_eq(classify("watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [kworker:1]"), KMSG_EVENT_SOFT_LOCKUP);
        ck_assert_int_eq(classify("Watchdog detected hard LOCKUP on cpu 1"), KMSG_EVENT_HARD_LOCKUP);
        ck_assert_int_eq(classify("livepatch: 'lp_a': starting patching transition"), KMSG_EVENT_LIVEPATCH);
        ck_assert_int_eq(classify("e1000: eth0 NIC Link is Up"), KMSG_EVENT_NONE);
        /* Mentions are not events. */
        ck_assert_int_eq(classify("systemd[1]: Started Warning Service."), KMSG_EVENT_NONE);

        ck_assert(kmsg_event_is_trouble(KMSG_EVENT_WARNING));
        ck_assert(kmsg_event_is_trouble(KMSG_EVENT_SOFT_LOCKUP));
        ck_assert(!kmsg_event_is_trouble(KMSG_EVENT_LIVEPATCH));
        ck_assert(!kmsg_event_is_trouble(KMSG_EVENT_CALL_TRACE));
        ck_assert(!kmsg_event_is_trouble(KMSG_EVENT_NONE));
}
END_TEST

static const SoakCriteria strict = {
        .soak_usec = 60 * G_USEC_PER_SEC,
        .expected_taint = UINT64_C(1) << TAINT_LIVEPATCH_BIT,
};

START_TEST(test_soak_quiet_host) {
        SignalSnapshot base = { .tainted = 0, .oops_count = 2, .warn_count = 5, .log_events = 1 };
        SignalSnapshot now = base;
        g_autofree char *why = NULL;

        now.tainted |= UINT64_C(1) << TAINT_LIVEPATCH_BIT; /* expected */
        ck_assert_int_eq(soak_evaluate(&strict, &base, &now, false, &why), SOAK_CONTINUE);
        ck_assert_int_eq(soak_evaluate(&strict, &base, &now, true, &why), SOAK_HEALTHY);
        ck_assert_ptr_null(why);
}
END_TEST

START_TEST(test_soak_new_taint) {
        SignalSnapshot base = { .tainted = UINT64_C(1) << 12 };
        SignalSnapshot now = { .tainted = (UINT64_C(1) << 12) | (UINT64_C(1) << 9) | (UINT64_C(1) << 15) };
        g_autofree char *why = NULL;

        /* O was there before, K is expected: only W is new. */
        ck_assert_int_eq(soak_evaluate(&strict, &base, &now, false, &why), SOAK_FAILED);
        ck_assert_msg(strstr(why, "W (kernel issued a warning)") && !strstr(why, "O ("), "%s", why);

        SoakCriteria lenient = strict;
        lenient.max_new_taint_flags = 1;
        g_clear_pointer(&why, g_free);
        ck_assert_int_eq(soak_evaluate(&lenient, &base, &now, true, &why), SOAK_HEALTHY);
}
END_TEST

START_TEST(test_soak_counters) {
        SignalSnapshot base = { .oops_count = 1, .warn_count = 1, .log_events = 3 };
        g_autofree char *why = NULL;

        SignalSnapshot now = base;
        now.oops_count = 2;
        ck_assert_int_eq(soak_evaluate(&strict, &base, &now, false, &why), SOAK_FAILED);
        ck_assert_msg(strstr(why, "1 new oops"), "%s", why);

        now = base;
        now.warn_count = 4;
        g_clear_pointer(&why, g_free);
        ck_assert_int_eq(soak_evaluate(&strict, &base, &now, false, &why), SOAK_FAILED);
        ck_assert_msg(strstr(why, "3 new kernel warnings"), "%s", why);

        now = base;
        now.log_events = 4;
        g_clear_pointer(&why, g_free);
        ck_assert_int_eq(soak_evaluate(&strict, &base, &now, false, &why), SOAK_FAILED);
        ck_assert_msg(strstr(why, "1 kernel log events"), "%s", why);

        /* A counter that went down (a new boot) is no evidence by itself. */
        now = base;
        now.oops_count = 0;
        g_clear_pointer(&why, g_free);
        ck_assert_int_eq(soak_evaluate(&strict, &base, &now, true, &why), SOAK_HEALTHY);
}
END_TEST

START_TEST(test_pressure_parse) {
        Pressure p;

        ck_assert_int_eq(pressure_parse("some avg10=1.50 avg60=12.34 avg300=100.00 total=987654\n"
                                        "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n", &p), 0);
        ck_assert_uint_eq(p.avg10, 150);
        ck_assert_uint_eq(p.avg60, 1234);
        ck_assert_uint_eq(p.avg300, 10000);
        ck_assert_uint_eq(p.total_usec, 987654);
        /* The cpu file of older kernels has the "some" line only. */
        ck_assert_int_eq(pressure_parse("some avg10=0.00 avg60=0.01 avg300=0.00 total=5", &p), 0);
        ck_assert_uint_eq(p.avg60, 1);

        const char *bad[] = {
                "", "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
                "some avg10=0.00 avg300=0.00 total=0\n",               /* avg60 missing */
                "some avg10=0.0 avg60=0.00 avg300=0.00 total=0\n",     /* one decimal */
                "some avg10=100.01 avg60=0.00 avg300=0.00 total=0\n",  /* over 100 % */
                "some avg10=x avg60=0.00 avg300=0.00 total=0\n",
                "some avg10=0.00 avg60=0.00 avg300=0.00 total=12z\n",
        };
        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
                ck_assert_msg(pressure_parse(bad[i], &p) == -EBADMSG, "accepted: %s", bad[i]);
}
END_TEST

START_TEST(test_soak_pressure) {
        SoakCriteria c = strict;
        SignalSnapshot base = { .pressure_known = true, .pressure = { 120, 0, 50 } };
        SignalSnapshot now = base;
        g_autofree char *why = NULL;

        c.max_pressure_increase = 2000; /* 20 points */
        now.pressure[PRESSURE_CPU] = 2120;
        ck_assert_int_eq(soak_evaluate(&c, &base, &now, true, &why), SOAK_HEALTHY);
        now.pressure[PRESSURE_CPU] = 2121;
        ck_assert_int_eq(soak_evaluate(&c, &base, &now, false, &why), SOAK_FAILED);
        ck_assert_msg(strstr(why, "cpu pressure rose from 1.20% to 21.21%") && strstr(why, "20.00 points"), "%s", why);

        /* Without PSI on either side there is nothing to compare. */
        now.pressure_known = false;
        g_clear_pointer(&why, g_free);
        ck_assert_int_eq(soak_evaluate(&c, &base, &now, true, &why), SOAK_HEALTHY);
        base.pressure_known = false;
        now.pressure_known = true;
        ck_assert_int_eq(soak_evaluate(&c, &base, &now, true, &why), SOAK_HEALTHY);

        /* 100 points (the default) never fails. */
        c.max_pressure_increase = 10000;
        base.pressure_known = true;
        now.pressure[PRESSURE_MEMORY] = 10000;
        ck_assert_int_eq(soak_evaluate(&c, &base, &now, true, &why), SOAK_HEALTHY);
}
END_TEST

int main(void) {
        Suite *s = suite_create("soak");
        TCase *tc = tcase_create("soak");
        tcase_add_test(tc, test_kmsg_record);
        tcase_add_test(tc, test_kmsg_bad_records);
        tcase_add_test(tc, test_kmsg_classify);
        tcase_add_test(tc, test_soak_quiet_host);
        tcase_add_test(tc, test_soak_new_taint);
        tcase_add_test(tc, test_soak_counters);
        tcase_add_test(tc, test_pressure_parse);
        tcase_add_test(tc, test_soak_pressure);
        suite_add_tcase(s, tc);

        SRunner *sr = srunner_create(s);
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
