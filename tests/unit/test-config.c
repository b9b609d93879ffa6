/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "config.h"
#include "daemon-config.h"
#include "errors.h"
#include "test-helpers.h"
#include "util.h"

static char *tmp;
static char *conf; /* tmp/lpmaint.conf, not created by the fixture */

static void setup(void) {
        tmp = th_mkdtemp();
        conf = g_build_filename(tmp, "lpmaint.conf", NULL);
}

static void teardown(void) {
        th_rmtree(tmp);
        g_clear_pointer(&tmp, g_free);
        g_clear_pointer(&conf, g_free);
}

static void write_conf(const char *name, const char *text) {
        th_write_file(tmp, name, text, -1);
}

static void assert_defaults(const Config *c) {
        ck_assert_str_eq(c->state_directory, LPMAINT_STATE_DIR);
        ck_assert_str_eq(c->trust_directory, LPMAINT_TRUST_DIR);
        ck_assert_str_eq(c->automation_group, LPMAINT_AUTOMATION_GROUP);
        ck_assert_uint_eq(c->transition_timeout_usec, 60 * USEC_PER_SEC);
        ck_assert_uint_eq(c->max_module_size, UINT64_C(64) << 20);
}

START_TEST(test_defaults) {
        Config c;

        config_init_defaults(&c);
        assert_defaults(&c);
        ck_assert(g_path_is_absolute(c.state_directory));
        ck_assert(g_path_is_absolute(c.trust_directory));
        config_clear(&c);
        ck_assert_ptr_null(c.state_directory);
}
END_TEST

START_TEST(test_missing_file) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        Config c;

        config_init_defaults(&c);
        g_free(c.automation_group);
        c.automation_group = g_strdup("changed");
        c.transition_timeout_usec = 1;

        /* A missing file is the defaults, not the previous values. */
        th_assert_ok(config_load(conf, &c, &error), &error);
        assert_defaults(&c);
        config_clear(&c);
}
END_TEST

START_TEST(test_file_overrides) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        Config c;

        write_conf("lpmaint.conf",
                   "# lpmaint configuration\n"
                   "\n"
                   "[Daemon]\n"
                   "StateDirectory=/srv/lpmaint/state\n"
                   "TrustDirectory = /srv/lpmaint/trust\n"
                   "AutomationGroup=patchers\n"
                   "TransitionTimeoutSec=90\n"
                   "MaxModuleSize=8M\n");
        config_init_defaults(&c);
        th_assert_ok(config_load(conf, &c, &error), &error);
        ck_assert_str_eq(c.state_directory, "/srv/lpmaint/state");
        ck_assert_str_eq(c.trust_directory, "/srv/lpmaint/trust");
        ck_assert_str_eq(c.automation_group, "patchers");
        ck_assert_uint_eq(c.transition_timeout_usec, 90 * USEC_PER_SEC);
        ck_assert_uint_eq(c.max_module_size, UINT64_C(8) << 20);
        config_clear(&c);
}
END_TEST

START_TEST(test_partial_file_keeps_other_defaults) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        Config c;

        write_conf("lpmaint.conf", "[Daemon]\nMaxModuleSize=512K\n");
        config_init_defaults(&c);
        th_assert_ok(config_load(conf, &c, &error), &error);
        ck_assert_uint_eq(c.max_module_size, UINT64_C(512) << 10);
        ck_assert_str_eq(c.state_directory, LPMAINT_STATE_DIR);
        ck_assert_uint_eq(c.transition_timeout_usec, 60 * USEC_PER_SEC);
        config_clear(&c);

        /* An empty file is the defaults. */
        write_conf("lpmaint.conf", "");
        config_init_defaults(&c);
        th_assert_ok(config_load(conf, &c, &error), &error);
        assert_defaults(&c);
        config_clear(&c);
}
END_TEST

START_TEST(test_dropins) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        Config c;

        write_conf("lpmaint.conf",
                   "[Daemon]\n"
                   "TransitionTimeoutSec=10\n"
                   "AutomationGroup=from_main\n"
                   "MaxModuleSize=1M\n");
        /* Written in an order other than the lexical one. */
        write_conf("lpmaint.conf.d/90-last.conf", "[Daemon]\nTransitionTimeoutSec=90\n");
        write_conf("lpmaint.conf.d/10-first.conf", "[Daemon]\nTransitionTimeoutSec=10\nAutomationGroup=from_10\n");
        write_conf("lpmaint.conf.d/50-middle.conf", "[Daemon]\nTransitionTimeoutSec=50\nAutomationGroup=from_50\n");
        /* Not *.conf: ignored, even though they would be errors. */
        write_conf("lpmaint.conf.d/99-disabled.conf.bak", "[Daemon]\nTransitionTimeoutSec=999\n");
        write_conf("lpmaint.conf.d/README", "this is not a configuration file\n");
        write_conf("lpmaint.conf.d/zz.conf~", "garbage\n");

        config_init_defaults(&c);
        th_assert_ok(config_load(conf, &c, &error), &error);
        ck_assert_uint_eq(c.transition_timeout_usec, 90 * USEC_PER_SEC);
        ck_assert_str_eq(c.automation_group, "from_50");
        ck_assert_uint_eq(c.max_module_size, UINT64_C(1) << 20); /* from the main file */
        config_clear(&c);
}
END_TEST

static void assert_load_fails(const char *file, const char *text, const char *where) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        Config c;

        write_conf(file, text);
        config_init_defaults(&c);
        th_assert_bus_error(config_load(conf, &c, &error), &error, LPMAINT_ERROR_INVALID_CONFIG);
        g_autofree char *prefix = g_strdup_printf("%s/%s:%s", tmp, file, where);
        ck_assert_msg(g_str_has_prefix(error.message, prefix),
                      "error \"%s\" does not start with \"%s\"", error.message, prefix);
        assert_defaults(&c);
        config_clear(&c);
}

START_TEST(test_error_garbage_line) {
        assert_load_fails("lpmaint.conf", "[Daemon]\n# comment\nthis is garbage\n", "3:");
        assert_load_fails("lpmaint.conf", "[Daemon]\nStateDirectory=/x\n=value\n", "3:");
        assert_load_fails("lpmaint.conf", "[Daemon]\n\n[Daemon\n", "3:");
}
END_TEST

START_TEST(test_semicolon_comment) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        Config c;

        /* Either a comment, or an error that names the line: never an error without one. */
        write_conf("lpmaint.conf", "[Daemon]\n; a comment?\nTransitionTimeoutSec=7\n");
        config_init_defaults(&c);
        int r = config_load(conf, &c, &error);
        if (r >= 0)
                ck_assert_uint_eq(c.transition_timeout_usec, 7 * USEC_PER_SEC);
        else {
                g_autofree char *prefix = g_strdup_printf("%s:2:", conf);
                ck_assert_msg(g_str_has_prefix(error.message, prefix), "error \"%s\" does not name line 2", error.message);
        }
        config_clear(&c);
}
END_TEST

START_TEST(test_error_unknown_key) {
        assert_load_fails("lpmaint.conf", "[Daemon]\nStateDirectory=/x\nStateDir=/y\n", "3:");
        assert_load_fails("lpmaint.conf", "[Daemon]\n\nFrobnicate = yes\n", "3:");
}
END_TEST

START_TEST(test_error_unknown_group) {
        assert_load_fails("lpmaint.conf", "[Daemon]\nTransitionTimeoutSec=5\n[Deamon]\nTransitionTimeoutSec=5\n", "3:");
        assert_load_fails("lpmaint.conf", "# comment\n\n[Other]\n", "3:");
}
END_TEST

static const char *const bad_timeouts[] = { "0", "-1", "abc", "", " ", "10s", "1.5", "99999999999999999999" };

START_TEST(test_error_bad_timeout) {
        g_autofree char *text = g_strdup_printf("[Daemon]\nStateDirectory=/x\nTransitionTimeoutSec=%s\n", bad_timeouts[_i]);
        assert_load_fails("lpmaint.conf", text, "3:");
}
END_TEST

static const char *const bad_sizes[] = { "0", "-1", "abc", "", "10X", "1T", "2G", "1025M", "1.5M" };

START_TEST(test_error_bad_max_module_size) {
        g_autofree char *text = g_strdup_printf("[Daemon]\n\nMaxModuleSize=%s\n", bad_sizes[_i]);
        assert_load_fails("lpmaint.conf", text, "3:");
}
END_TEST

START_TEST(test_good_sizes) {
        static const struct { const char *s; uint64_t v; } cases[] = {
                { "1", 1 }, { "4096", 4096 }, { "1K", 1024 }, { "3M", UINT64_C(3) << 20 }, { "1G", UINT64_C(1) << 30 },
        };
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
                g_autofree char *text = g_strdup_printf("[Daemon]\nMaxModuleSize=%s\n", cases[i].s);
                Config c;

                write_conf("lpmaint.conf", text);
                config_init_defaults(&c);
                th_assert_ok(config_load(conf, &c, &error), &error);
                ck_assert_msg(c.max_module_size == cases[i].v, "MaxModuleSize=%s gave %" G_GUINT64_FORMAT, cases[i].s, c.max_module_size);
                config_clear(&c);
        }
}
END_TEST

START_TEST(test_error_relative_directory) {
        assert_load_fails("lpmaint.conf", "[Daemon]\nAutomationGroup=x\nStateDirectory=var/lib/lpmaint\n", "3:");
        assert_load_fails("lpmaint.conf", "[Daemon]\nAutomationGroup=x\nTrustDirectory=trust.d\n", "3:");
        assert_load_fails("lpmaint.conf", "[Daemon]\nAutomationGroup=x\nStateDirectory=\n", "3:");
}
END_TEST

START_TEST(test_error_in_dropin) {
        write_conf("lpmaint.conf", "[Daemon]\nTransitionTimeoutSec=10\n");
        write_conf("lpmaint.conf.d/10-good.conf", "[Daemon]\nTransitionTimeoutSec=20\n");
        assert_load_fails("lpmaint.conf.d/20-bad.conf", "[Daemon]\n#\nTransitionTimeoutSec=0\n", "3:");
}
END_TEST

START_TEST(test_error_keeps_previous_values) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        Config c;

        write_conf("lpmaint.conf",
                   "[Daemon]\n"
                   "StateDirectory=/good/state\n"
                   "AutomationGroup=good\n"
                   "TransitionTimeoutSec=42\n");
        config_init_defaults(&c);
        th_assert_ok(config_load(conf, &c, &error), &error);
        ck_assert_str_eq(c.state_directory, "/good/state");

        /* A reload with a bad file: the keys before the error must not leak in. */
        write_conf("lpmaint.conf",
                   "[Daemon]\n"
                   "StateDirectory=/bad/state\n"
                   "AutomationGroup=bad\n"
                   "MaxModuleSize=1K\n"
                   "TransitionTimeoutSec=abc\n");
        th_assert_bus_error(config_load(conf, &c, &error), &error, LPMAINT_ERROR_INVALID_CONFIG);
        ck_assert_str_eq(c.state_directory, "/good/state");
        ck_assert_str_eq(c.automation_group, "good");
        ck_assert_uint_eq(c.transition_timeout_usec, 42 * USEC_PER_SEC);
        ck_assert_uint_eq(c.max_module_size, UINT64_C(64) << 20);
        ck_assert_str_eq(c.trust_directory, LPMAINT_TRUST_DIR);
        sd_bus_error_free(&error);

        /* Likewise when the main file is good and a drop-in is bad. */
        write_conf("lpmaint.conf", "[Daemon]\nStateDirectory=/other/state\n");
        write_conf("lpmaint.conf.d/bad.conf", "[Daemon]\nNoSuchKey=1\n");
        th_assert_bus_error(config_load(conf, &c, &error), &error, LPMAINT_ERROR_INVALID_CONFIG);
        ck_assert_str_eq(c.state_directory, "/good/state");
        ck_assert_uint_eq(c.transition_timeout_usec, 42 * USEC_PER_SEC);
        config_clear(&c);
}
END_TEST

START_TEST(test_ring_with_health_checks) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        Config c;

        write_conf("lpmaint.conf",
                   "[Daemon]\nRing=canary\n\n"
                   "[Ring canary]\nSoakSec=600\nMaxPressureIncrease=25\nHealthChecks= web  db\n\n"
                   "[HealthCheck web]\nExecStart=/usr/bin/curl -fsS 'http://localhost/health check'\nTimeoutSec=5\n\n"
                   "[HealthCheck db]\nUnit=db-check.service\n");
        config_init_defaults(&c);
        th_assert_ok(config_load(conf, &c, &error), &error);
        ck_assert_uint_eq(c.soak.soak_usec, 600 * USEC_PER_SEC);
        ck_assert_uint_eq(c.soak.max_pressure_increase, 2500);
        ck_assert_uint_eq(g_strv_length(c.ring_health_checks), 2);
        ck_assert_str_eq(c.ring_health_checks[0], "web");
        const HealthCheckSpec *web = config_health_check(&c, "web");
        ck_assert_ptr_nonnull(web);
        ck_assert_str_eq(web->argv[2], "http://localhost/health check");
        ck_assert_uint_eq(web->timeout_usec, 5 * USEC_PER_SEC);
        const HealthCheckSpec *db = config_health_check(&c, "db");
        ck_assert_str_eq(db->unit, "db-check.service");
        ck_assert_ptr_null(db->argv);
        ck_assert_uint_eq(db->timeout_usec, 60 * USEC_PER_SEC);
        config_clear(&c);
}
END_TEST

START_TEST(test_ring_defaults) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        Config c;

        write_conf("lpmaint.conf", "[Daemon]\nRing=wave-1\n[Ring wave-1]\n");
        config_init_defaults(&c);
        th_assert_ok(config_load(conf, &c, &error), &error);
        ck_assert_uint_eq(c.soak.max_pressure_increase, 10000);
        ck_assert_ptr_null(c.ring_health_checks[0]);
        config_clear(&c);
}
END_TEST

START_TEST(test_error_health_checks) {
        assert_load_fails("lpmaint.conf", "[Daemon]\nRing=canary\n[Ring canary]\nHealthChecks=missing\n", "4:");
        assert_load_fails("lpmaint.conf", "[HealthCheck a]\nExecStart=relative/path\n", "2:");
        assert_load_fails("lpmaint.conf", "[HealthCheck a]\nExecStart=/bin/true 'unclosed\n", "2:");
        assert_load_fails("lpmaint.conf", "[HealthCheck a]\nTimeoutSec=5\n", "1:");
        assert_load_fails("lpmaint.conf", "[HealthCheck a]\nExecStart=/bin/true\nUnit=a.service\n", "1:");
        assert_load_fails("lpmaint.conf", "[HealthCheck a]\nUnit=a.mount\n", "2:");
        assert_load_fails("lpmaint.conf", "[HealthCheck a]\nUnit=../a.service\n", "2:");
        assert_load_fails("lpmaint.conf", "[HealthCheck a]\nExecStart=/bin/true\nTimeoutSec=0\n", "3:");
        assert_load_fails("lpmaint.conf", "[HealthCheck a]\nExecStart=/bin/true\nRetries=3\n", "3:");
        assert_load_fails("lpmaint.conf", "[HealthCheck a/b]\nExecStart=/bin/true\n", "1:");
        assert_load_fails("lpmaint.conf", "[Ring canary]\nMaxPressureIncrease=101\n", "2:");
}
END_TEST

/* Where lpmaint.conf(5) documents a kind of group's keys, each as a
 * ".BI KEY= VALUE" entry: [Daemon]'s under OPTIONS, a named group's under
 * "[GROUP] GROUPS". From the newline before the first line to the next
 * heading; NULL when the page has no such section. */
static char *man_section(char *man, const char *group, size_t *ret_len) {
        g_autofree char *heading = g_str_equal(group, "Daemon") ? g_strdup("\n.SH OPTIONS\n") :
                g_strdup_printf("\n.SH \"[%s] GROUPS\"\n", group);
        char *start = strstr(man, heading);
        if (!start)
                return NULL;
        start += strlen(heading) - 1;
        const char *end = strstr(start, "\n.SH ");
        *ret_len = end ? (size_t) (end - start) : strlen(start);
        return start;
}

static char *man_entry(char *man, const char *group, const char *key) {
        g_autofree char *entry = g_strdup_printf("\n.BI %s= ", key);
        size_t len = 0;
        char *section = man_section(man, group, &len);
        return section ? g_strstr_len(section, (gssize) len, entry) : NULL;
}

/* Every key the parser accepts that @man does not document, one "[GROUP] KEY=" a line. */
static char *undocumented_keys(char *man) {
        GString *missing = g_string_new(NULL);

        for (size_t i = 0; config_group_name(i); i++) {
                const char *group = config_group_name(i);
                g_auto(GStrv) keys = config_group_keys(group);

                ck_assert_ptr_nonnull(keys);
                ck_assert_ptr_nonnull(keys[0]);
                for (size_t j = 0; keys[j]; j++)
                        if (!man_entry(man, group, keys[j]))
                                g_string_append_printf(missing, "[%s] %s=\n", group, keys[j]);
        }
        return g_string_free(missing, false);
}

static char *read_man_page(void) {
        const char *path = g_getenv("LPMAINT_TEST_CONF_MAN");
        g_autoptr(GError) gerror = NULL;
        char *text = NULL;

        ck_assert_msg(path, "LPMAINT_TEST_CONF_MAN is not set");
        ck_assert_msg(g_file_get_contents(path, &text, NULL, &gerror), "%s: %s", path, gerror ? gerror->message : "");
        return text;
}

START_TEST(test_every_key_documented) {
        g_autofree char *man = read_man_page();
        g_autofree char *missing = undocumented_keys(man);

        ck_assert_msg(missing[0] == '\0', "lpmaint.conf(5) does not document:\n%s", missing);
        ck_assert_ptr_null(config_group_keys("Deamon"));
}
END_TEST

START_TEST(test_undocumented_key_is_found) {
        g_autofree char *man = read_man_page();

        /* Each key's entry taken out of the page in turn is the one missed. */
        for (size_t i = 0; config_group_name(i); i++) {
                const char *group = config_group_name(i);
                g_auto(GStrv) keys = config_group_keys(group);
                for (size_t j = 0; keys[j]; j++) {
                        g_autofree char *copy = g_strdup(man);
                        char *entry = man_entry(copy, group, keys[j]);
                        ck_assert_ptr_nonnull(entry);
                        entry[1] = '#'; /* ".BI" becomes "#BI" */

                        g_autofree char *missing = undocumented_keys(copy);
                        g_autofree char *expected = g_strdup_printf("[%s] %s=\n", group, keys[j]);
                        ck_assert_str_eq(missing, expected);
                }
        }
}
END_TEST

static Suite *config_suite(void) {
        Suite *s = suite_create("config");
        TCase *tc = tcase_create("load");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_defaults);
        tcase_add_test(tc, test_missing_file);
        tcase_add_test(tc, test_file_overrides);
        tcase_add_test(tc, test_partial_file_keeps_other_defaults);
        tcase_add_test(tc, test_dropins);
        tcase_add_test(tc, test_good_sizes);
        suite_add_tcase(s, tc);

        tc = tcase_create("errors");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_error_garbage_line);
        tcase_add_test(tc, test_semicolon_comment);
        tcase_add_test(tc, test_error_unknown_key);
        tcase_add_test(tc, test_error_unknown_group);
        tcase_add_loop_test(tc, test_error_bad_timeout, 0, G_N_ELEMENTS(bad_timeouts));
        tcase_add_loop_test(tc, test_error_bad_max_module_size, 0, G_N_ELEMENTS(bad_sizes));
        tcase_add_test(tc, test_error_relative_directory);
        tcase_add_test(tc, test_error_in_dropin);
        tcase_add_test(tc, test_error_keeps_previous_values);
        suite_add_tcase(s, tc);

        tc = tcase_create("rings");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_ring_with_health_checks);
        tcase_add_test(tc, test_ring_defaults);
        tcase_add_test(tc, test_error_health_checks);
        suite_add_tcase(s, tc);

        tc = tcase_create("docs");
        tcase_add_test(tc, test_every_key_documented);
        tcase_add_test(tc, test_undocumented_key_is_found);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return th_run_suite(config_suite());
}
