/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Prometheus formatter of lpmaint metrics (cli/metrics.c), without a bus. */
#include <check.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "metrics.h"

static const MetricsPatch sample_patches[] = {
        { .name = "lp_a", .state = "applied", .soak_state = "soaking", .applied_usec = UINT64_C(1767225600250000) },
        { .name = "lp_b", .state = "disabled", .soak_state = "", .applied_usec = UINT64_C(1767225600000000) },
        { .name = "lp_c", .state = "quantum", .soak_state = "judging", .applied_usec = 0 },
        { .name = "lp_d", .state = "failed", .soak_state = NULL, .applied_usec = 1 },
};

static const MetricsTaintFlag sample_flags[] = {
        { .bit = 12, .letter = "O" },
        { .bit = 15, .letter = "K" },
        { .bit = 40, .letter = "?" },
        { .bit = 41, .letter = "?" },
        { .bit = 15, .letter = "K" },
};

static const char *const sample_codes[] = { "kernel-installed", "admin-request", "kernel-installed" };

static const MetricsSyncErrors sample_sync_errors[] = {
        { .kind = "fetch", .count = 3 },
        { .kind = "rollback", .count = 0 },
};

static MetricsSnapshot full_snapshot(void) {
        return (MetricsSnapshot) {
                .up = true,
                .have_state = true,
                .version = "0.1.0",
                .kernel_release = "6.1.0-18-amd64",
                .ring = "canary",
                .busy = true,
                .reboot_required = true,
                .reboot_reason_codes = sample_codes,
                .n_reboot_reason_codes = G_N_ELEMENTS(sample_codes),
                .coverage_ends_usec = UINT64_C(1822348800000000),
                .n_unacknowledged_break_glass = 2,
                .tainted = 36864,
                .taint_flags = sample_flags,
                .n_taint_flags = G_N_ELEMENTS(sample_flags),
                .oops_count = 1,
                .warn_count = 7,
                .has_next_reboot_window = true,
                .next_reboot_window_usec = UINT64_C(1767312000000000),
                .has_scheduled_reboot = true,
                .scheduled_reboot_usec = 0,
                .has_fleet_lock_held = true,
                .fleet_lock_held = true,
                .has_wave_state = true,
                .wave_state = "",
                .sync_last_run_usec = UINT64_C(1767225660500000),
                .sync_last_success_usec = UINT64_C(1767225600000000),
                .sync_index_serial = 42,
                .has_sync_errors = true,
                .sync_errors = sample_sync_errors,
                .n_sync_errors = G_N_ELEMENTS(sample_sync_errors),
                .patches = sample_patches,
                .n_patches = G_N_ELEMENTS(sample_patches),
        };
}

/* Whether @text has @line as a whole line. */
static bool has_line(const char *text, const char *line) {
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
        for (char **l = lines; *l; l++)
                if (strcmp(*l, line) == 0)
                        return true;
        return false;
}

static unsigned count_prefix(const char *text, const char *prefix) {
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
        unsigned n = 0;
        for (char **l = lines; *l; l++)
                n += g_str_has_prefix(*l, prefix);
        return n;
}

#define assert_line(text, line) ck_assert_msg(has_line(text, line), "missing line '%s' in:\n%s", line, text)
#define assert_no_prefix(text, prefix) \
        ck_assert_msg(count_prefix(text, prefix) == 0, "unexpected '%s' in:\n%s", prefix, text)

START_TEST(test_never_read) {
        MetricsSnapshot s = { .up = false };
        g_autofree char *text = metrics_format(&s);

        ck_assert_str_eq(text,
                         "# HELP lpmaint_up Whether lpmaintd answered the last read; the other metrics are from "
                         "the last read that did.\n"
                         "# TYPE lpmaint_up gauge\n"
                         "lpmaint_up 0\n");
}
END_TEST

START_TEST(test_down_keeps_the_last_state) {
        MetricsSnapshot s = full_snapshot();
        s.up = false;
        g_autofree char *text = metrics_format(&s);

        assert_line(text, "lpmaint_up 0");
        assert_line(text, "lpmaint_patch_state{patch=\"lp_a\",state=\"applied\"} 1");
        assert_line(text, "lpmaint_kernel_tainted 36864");
}
END_TEST

START_TEST(test_service_and_kernel) {
        MetricsSnapshot s = full_snapshot();
        g_autofree char *text = metrics_format(&s);

        assert_line(text, "lpmaint_up 1");
        assert_line(text, "lpmaint_info{version=\"0.1.0\",kernel_release=\"6.1.0-18-amd64\",ring=\"canary\"} 1");
        assert_line(text, "lpmaint_busy 1");
        assert_line(text, "lpmaint_kernel_tainted 36864");
        assert_line(text, "# TYPE lpmaint_kernel_oops_total counter");
        assert_line(text, "lpmaint_kernel_oops_total 1");
        assert_line(text, "# TYPE lpmaint_kernel_warnings_total counter");
        assert_line(text, "lpmaint_kernel_warnings_total 7");
        assert_line(text, "lpmaint_unacknowledged_break_glass 2");

        /* One series per bit, letters as lpmaint status shows them. */
        assert_line(text, "lpmaint_kernel_taint_flag{flag=\"O\",bit=\"12\"} 1");
        assert_line(text, "lpmaint_kernel_taint_flag{flag=\"K\",bit=\"15\"} 1");
        assert_line(text, "lpmaint_kernel_taint_flag{flag=\"?\",bit=\"40\"} 1");
        assert_line(text, "lpmaint_kernel_taint_flag{flag=\"?\",bit=\"41\"} 1");
        ck_assert_uint_eq(count_prefix(text, "lpmaint_kernel_taint_flag{"), 4);
}
END_TEST

START_TEST(test_patches) {
        MetricsSnapshot s = full_snapshot();
        g_autofree char *text = metrics_format(&s);

        /* One-hot over the documented states. */
        assert_line(text, "lpmaint_patch_state{patch=\"lp_a\",state=\"applied\"} 1");
        assert_line(text, "lpmaint_patch_state{patch=\"lp_a\",state=\"loading\"} 0");
        assert_line(text, "lpmaint_patch_state{patch=\"lp_a\",state=\"absent\"} 0");
        ck_assert_uint_eq(count_prefix(text, "lpmaint_patch_state{patch=\"lp_a\","), 8);
        assert_line(text, "lpmaint_patch_state{patch=\"lp_b\",state=\"disabled\"} 1");
        assert_line(text, "lpmaint_patch_state{patch=\"lp_b\",state=\"applied\"} 0");
        /* A state a newer lpmaintd may report: a series of its own. */
        assert_line(text, "lpmaint_patch_state{patch=\"lp_c\",state=\"quantum\"} 1");
        ck_assert_uint_eq(count_prefix(text, "lpmaint_patch_state{patch=\"lp_c\","), 9);

        assert_line(text, "lpmaint_patch_soak_verdict{patch=\"lp_a\",state=\"soaking\"} 1");
        assert_line(text, "lpmaint_patch_soak_verdict{patch=\"lp_a\",state=\"healthy\"} 0");
        assert_line(text, "lpmaint_patch_soak_verdict{patch=\"lp_a\",state=\"failed\"} 0");
        assert_line(text, "lpmaint_patch_soak_verdict{patch=\"lp_a\",state=\"cancelled\"} 0");
        assert_line(text, "lpmaint_patch_soak_verdict{patch=\"lp_c\",state=\"judging\"} 1");
        /* No soak (no ring): no verdict. */
        assert_no_prefix(text, "lpmaint_patch_soak_verdict{patch=\"lp_b\"");
        assert_no_prefix(text, "lpmaint_patch_soak_verdict{patch=\"lp_d\"");

        /* Exact seconds, never applied left out. */
        assert_line(text, "lpmaint_patch_applied_timestamp_seconds{patch=\"lp_a\"} 1767225600.25");
        assert_line(text, "lpmaint_patch_applied_timestamp_seconds{patch=\"lp_b\"} 1767225600");
        assert_line(text, "lpmaint_patch_applied_timestamp_seconds{patch=\"lp_d\"} 0.000001");
        assert_no_prefix(text, "lpmaint_patch_applied_timestamp_seconds{patch=\"lp_c\"");
}
END_TEST

START_TEST(test_reboot) {
        MetricsSnapshot s = full_snapshot();
        g_autofree char *text = metrics_format(&s);

        assert_line(text, "lpmaint_reboot_required 1");
        assert_line(text, "lpmaint_reboot_reason{code=\"kernel-installed\"} 1");
        assert_line(text, "lpmaint_reboot_reason{code=\"admin-request\"} 1");
        ck_assert_uint_eq(count_prefix(text, "lpmaint_reboot_reason{"), 2);
        assert_line(text, "lpmaint_coverage_end_timestamp_seconds 1822348800");
        assert_line(text, "lpmaint_next_reboot_window_timestamp_seconds 1767312000");
        /* Exported, but nothing is scheduled. */
        assert_no_prefix(text, "lpmaint_scheduled_reboot_timestamp_seconds");
        assert_no_prefix(text, "# HELP lpmaint_scheduled_reboot_timestamp_seconds");
        assert_line(text, "lpmaint_fleet_lock_held 1");
        assert_line(text, "lpmaint_reboot_wave_state{state=\"none\"} 1");
        assert_line(text, "lpmaint_reboot_wave_state{state=\"scheduled\"} 0");

        s.wave_state = "scheduled";
        s.scheduled_reboot_usec = UINT64_C(1767312300000000);
        g_autofree char *text2 = metrics_format(&s);
        assert_line(text2, "lpmaint_reboot_wave_state{state=\"none\"} 0");
        assert_line(text2, "lpmaint_reboot_wave_state{state=\"scheduled\"} 1");
        assert_line(text2, "lpmaint_scheduled_reboot_timestamp_seconds 1767312300");
}
END_TEST

START_TEST(test_sync) {
        MetricsSnapshot s = full_snapshot();
        g_autofree char *text = metrics_format(&s);

        assert_line(text, "# TYPE lpmaint_sync_last_run_timestamp_seconds gauge");
        assert_line(text, "lpmaint_sync_last_run_timestamp_seconds 1767225660.5");
        assert_line(text, "lpmaint_sync_last_success_timestamp_seconds 1767225600");
        assert_line(text, "lpmaint_sync_index_serial 42");
        assert_line(text, "# TYPE lpmaint_sync_errors_total counter");
        assert_line(text, "lpmaint_sync_errors_total{kind=\"fetch\"} 3");
        assert_line(text, "lpmaint_sync_errors_total{kind=\"rollback\"} 0");

        /* Never synced (or no channels): no sync family at all. */
        s.sync_last_run_usec = s.sync_last_success_usec = s.sync_index_serial = 0;
        s.has_sync_errors = false;
        g_autofree char *text2 = metrics_format(&s);
        assert_no_prefix(text2, "lpmaint_sync_");
        assert_no_prefix(text2, "# HELP lpmaint_sync_");
}
END_TEST

START_TEST(test_older_daemon) {
        MetricsSnapshot s = full_snapshot();
        s.has_next_reboot_window = s.has_scheduled_reboot = s.has_fleet_lock_held = s.has_wave_state = false;
        s.coverage_ends_usec = 0;
        s.n_patches = 0;
        s.n_taint_flags = 0;
        s.n_reboot_reason_codes = 0;
        s.reboot_required = false;
        g_autofree char *text = metrics_format(&s);

        assert_no_prefix(text, "lpmaint_next_reboot_window");
        assert_no_prefix(text, "lpmaint_scheduled_reboot");
        assert_no_prefix(text, "lpmaint_fleet_lock_held");
        assert_no_prefix(text, "lpmaint_reboot_wave_state");
        assert_no_prefix(text, "lpmaint_coverage_end");
        /* Families without samples leave no HELP or TYPE behind. */
        assert_no_prefix(text, "# HELP lpmaint_patch_");
        assert_no_prefix(text, "# TYPE lpmaint_kernel_taint_flag");
        assert_no_prefix(text, "# HELP lpmaint_reboot_reason");
        assert_line(text, "lpmaint_reboot_required 0");
        assert_line(text, "lpmaint_kernel_tainted 36864");
}
END_TEST

START_TEST(test_escaping) {
        MetricsPatch p = { .name = "we\"ird\\na\nme", .state = "applied" };
        MetricsSnapshot s = { .up = true, .have_state = true, .version = "1\"2", .kernel_release = NULL,
                              .ring = "a\\b\nc", .patches = &p, .n_patches = 1 };
        g_autofree char *text = metrics_format(&s);

        assert_line(text, "lpmaint_info{version=\"1\\\"2\",kernel_release=\"\",ring=\"a\\\\b\\nc\"} 1");
        assert_line(text, "lpmaint_patch_state{patch=\"we\\\"ird\\\\na\\nme\",state=\"applied\"} 1");
}
END_TEST

/* Every family once, HELP then TYPE, and its samples right after it. */
START_TEST(test_grouping) {
        MetricsSnapshot s = full_snapshot();
        g_autofree char *text = metrics_format(&s);
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
        g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        g_autofree char *current = NULL;
        guint n = g_strv_length(lines);

        ck_assert(g_str_has_suffix(text, "\n"));
        ck_assert_str_eq(lines[n - 1], "");
        for (guint i = 0; i + 1 < n; i++) {
                const char *l = lines[i];

                if (g_str_has_prefix(l, "# HELP ")) {
                        g_auto(GStrv) w = g_strsplit(l + 7, " ", 2);
                        ck_assert_msg(!g_hash_table_contains(seen, w[0]), "%s twice", w[0]);
                        g_hash_table_add(seen, g_strdup(w[0]));
                        g_free(current);
                        current = g_strdup(w[0]);
                        g_autofree char *type = g_strdup_printf("# TYPE %s ", current);
                        ck_assert_msg(g_str_has_prefix(lines[i + 1], type), "no TYPE after %s", l);
                        i++;
                        continue;
                }
                ck_assert_msg(current, "sample before any HELP: %s", l);
                size_t len = strcspn(l, "{ ");
                ck_assert_msg(strlen(current) == len && strncmp(l, current, len) == 0,
                              "'%s' is not in its family %s", l, current);
        }
}
END_TEST

/* The real parser, when it is installed (tools/test installs prometheus). */
START_TEST(test_promtool) {
        g_autofree char *promtool = g_find_program_in_path("promtool");
        if (!promtool) {
                fprintf(stderr, "promtool not found (package prometheus); skipping its check\n");
                return;
        }

        MetricsPatch weird = { .name = "x\"\\\ny", .state = "applied", .soak_state = "healthy", .applied_usec = 5 };
        MetricsSnapshot variants[3] = { full_snapshot(), full_snapshot(), { .up = false } };
        variants[1].patches = &weird;
        variants[1].n_patches = 1;
        variants[1].ring = "";

        for (size_t i = 0; i < G_N_ELEMENTS(variants); i++) {
                g_autofree char *text = metrics_format(&variants[i]);
                g_autofree char *path = NULL, *out = NULL, *err = NULL;
                g_autoptr(GError) error = NULL;
                int fd, status;

                fd = g_file_open_tmp("test-metrics-XXXXXX.prom", &path, &error);
                ck_assert_msg(fd >= 0, "%s", error ? error->message : "");
                ck_assert(g_file_set_contents(path, text, -1, NULL));
                close(fd);

                const char *argv[] = { "/bin/sh", "-c", "exec \"$0\" check metrics < \"$1\"", promtool, path, NULL };
                ck_assert(g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error));
                (void) g_unlink(path);
                bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0 && !*out && !*err;
                /* check(3) truncates long messages: the details go to the log. */
                if (!ok)
                        fprintf(stderr, "promtool check metrics says:\n%s%s\nabout:\n%s", out, err, text);
                ck_assert_msg(ok, "promtool check metrics rejects variant %zu (see above)", i);
        }
}
END_TEST

int main(void) {
        Suite *s = suite_create("metrics");
        TCase *tc = tcase_create("format");
        tcase_add_test(tc, test_never_read);
        tcase_add_test(tc, test_down_keeps_the_last_state);
        tcase_add_test(tc, test_service_and_kernel);
        tcase_add_test(tc, test_patches);
        tcase_add_test(tc, test_reboot);
        tcase_add_test(tc, test_sync);
        tcase_add_test(tc, test_older_daemon);
        tcase_add_test(tc, test_escaping);
        tcase_add_test(tc, test_grouping);
        tcase_add_test(tc, test_promtool);
        tcase_set_timeout(tc, 30);
        suite_add_tcase(s, tc);

        SRunner *sr = srunner_create(s);
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
