/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "reboot-plan.h"
#include "test-helpers.h"
#include "util.h"

#define HOUR (3600 * USEC_PER_SEC)
#define NOW (UINT64_C(1795000000) * USEC_PER_SEC)

static char *no_names[] = { NULL };

/* Required, inside the window, nothing in the way. */
static RebootPlanInput clear_input(void) {
        return (RebootPlanInput) {
                .now_usec = NOW,
                .n_reasons = 1,
                .window_configured = true,
                .window_start_usec = NOW - HOUR / 2,
                .window_usec = HOUR,
                .failed_health_checks = no_names,
                .block_inhibitors = no_names,
                .reboot_with_users = true,
        };
}

static const RebootGate *find(GArray *gates, const char *name) {
        for (guint i = 0; i < gates->len; i++)
                if (g_str_equal(g_array_index(gates, RebootGate, i).name, name))
                        return &g_array_index(gates, RebootGate, i);
        ck_abort_msg("no gate %s", name);
        return NULL;
}

static RebootVerdict eval(const RebootPlanInput *in, GArray **ret) {
        *ret = reboot_gates_new();
        return reboot_plan_evaluate(in, *ret);
}

START_TEST(test_go) {
        RebootPlanInput in = clear_input();
        g_autoptr(GArray) gates = NULL;

        ck_assert_int_eq(eval(&in, &gates), REBOOT_VERDICT_GO);
        /* Every gate is explained, passed or not. */
        ck_assert_uint_eq(gates->len, 6);
        for (guint i = 0; i < gates->len; i++)
                ck_assert(g_array_index(gates, RebootGate, i).passed);
        ck_assert_str_eq(reboot_verdict_to_string(REBOOT_VERDICT_GO), "go");
}
END_TEST

START_TEST(test_not_required_comes_first) {
        RebootPlanInput in = clear_input();
        g_autoptr(GArray) gates = NULL;

        in.n_reasons = 0;
        in.window_configured = false;
        in.n_soaking = 2;
        ck_assert_int_eq(eval(&in, &gates), REBOOT_VERDICT_NOT_REQUIRED);
        /* The other gates are still looked at. */
        ck_assert(!find(gates, "soak")->passed);
        ck_assert(!find(gates, "window")->passed);
}
END_TEST

START_TEST(test_window) {
        g_autoptr(GArray) g1 = NULL, g2 = NULL, g3 = NULL, g4 = NULL, g5 = NULL;
        RebootPlanInput in = clear_input();

        in.window_start_usec = NOW - HOUR; /* closed exactly now */
        ck_assert_int_eq(eval(&in, &g1), REBOOT_VERDICT_OUTSIDE_WINDOW);
        ck_assert_msg(strstr(find(g1, "window")->detail, "outside"), "%s", find(g1, "window")->detail);

        in.window_start_usec = NOW; /* opens now */
        ck_assert_int_eq(eval(&in, &g2), REBOOT_VERDICT_GO);

        in.window_start_usec = 0;
        ck_assert_int_eq(eval(&in, &g3), REBOOT_VERDICT_OUTSIDE_WINDOW);
        ck_assert_msg(strstr(find(g3, "window")->detail, "not fired"), "%s", find(g3, "window")->detail);

        in.window_configured = false;
        ck_assert_int_eq(eval(&in, &g4), REBOOT_VERDICT_OUTSIDE_WINDOW);
        ck_assert_msg(strstr(find(g4, "window")->detail, "RebootCalendar="), "%s", find(g4, "window")->detail);

        in = clear_input();
        in.window_error = "Unit lpmaint-reboot-wave.timer not loaded.";
        ck_assert_int_eq(eval(&in, &g5), REBOOT_VERDICT_OUTSIDE_WINDOW);
        ck_assert_msg(strstr(find(g5, "window")->detail, "not loaded"), "%s", find(g5, "window")->detail);
}
END_TEST

START_TEST(test_blockers) {
        char *failed[] = { (char *) "web", (char *) "db", NULL };
        char *inhibitors[] = { (char *) "backup: nightly backup running", NULL };
        g_autoptr(GArray) g1 = NULL, g2 = NULL, g3 = NULL, g4 = NULL, g5 = NULL, g6 = NULL;
        RebootPlanInput in;

        in = clear_input();
        in.n_transitions = 1;
        ck_assert_int_eq(eval(&in, &g1), REBOOT_VERDICT_BLOCKED);
        ck_assert(!find(g1, "soak")->passed);

        in = clear_input();
        in.failed_health_checks = failed;
        ck_assert_int_eq(eval(&in, &g2), REBOOT_VERDICT_BLOCKED);
        ck_assert_str_eq(find(g2, "health-checks")->detail, "failed at their last run: web, db");

        in = clear_input();
        in.block_inhibitors = inhibitors;
        ck_assert_int_eq(eval(&in, &g3), REBOOT_VERDICT_BLOCKED);
        ck_assert_msg(strstr(find(g3, "inhibitors")->detail, "backup: nightly"), "%s", find(g3, "inhibitors")->detail);

        in = clear_input();
        in.logged_in_users = 2;
        ck_assert_int_eq(eval(&in, &g4), REBOOT_VERDICT_GO);
        in.reboot_with_users = false;
        ck_assert_int_eq(eval(&in, &g5), REBOOT_VERDICT_BLOCKED);
        ck_assert(!find(g5, "users")->passed);

        /* Deny on error: logind could not be asked. */
        in = clear_input();
        in.logind_error = "The name org.freedesktop.login1 was not provided by any .service files";
        ck_assert_int_eq(eval(&in, &g6), REBOOT_VERDICT_BLOCKED);
        ck_assert(!find(g6, "inhibitors")->passed && !find(g6, "users")->passed);
}
END_TEST

static Suite *reboot_plan_suite(void) {
        Suite *s = suite_create("reboot-plan");
        TCase *tc = tcase_create("gates");

        tcase_add_test(tc, test_go);
        tcase_add_test(tc, test_not_required_comes_first);
        tcase_add_test(tc, test_window);
        tcase_add_test(tc, test_blockers);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return th_run_suite(reboot_plan_suite());
}
