/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <glib.h>

#include "config.h"
#include "daemon-config.h"
#include "errors.h"
#include "manifest.h"
#include "taint.h"
#include "util.h"

#define CONFIG_GROUP "Daemon"
#define RING_GROUP_PREFIX "Ring "
#define HEALTH_CHECK_GROUP_PREFIX "HealthCheck "
#define HOOK_GROUP_PREFIX "PreRebootHook "
#define FLEET_LOCK_DEFAULT_GROUP "default"
#define REBOOT_DELAY_DEFAULT_USEC (60 * USEC_PER_SEC)
#define REBOOT_DELAY_MAX_SEC (24 * 3600)
#define HEALTH_CHECK_DEFAULT_TIMEOUT_USEC (60 * USEC_PER_SEC)
#define HEALTH_CHECK_MAX_TIMEOUT_SEC 3600

#define MAX_CONFIG_FILE_SIZE (64 * 1024)

void config_init_defaults(Config *c) {
        *c = (Config) {
                .state_directory = g_strdup(LPMAINT_STATE_DIR),
                .trust_directory = g_strdup(LPMAINT_TRUST_DIR),
                .automation_group = g_strdup(LPMAINT_AUTOMATION_GROUP),
                .transition_timeout_usec = 60 * USEC_PER_SEC,
                .max_module_size = UINT64_C(64) << 20,
                .allowed_signers = g_new0(char *, 1),
                .required_purpose = SIGNER_PURPOSE_CODE_SIGNING,
                .ring = g_strdup(""),
                .ring_health_checks = g_new0(char *, 1),
                .kernel_support_usec = UINT64_C(365) * 24 * 3600 * USEC_PER_SEC,
                .reboot_calendar = g_strdup(""),
                .reboot_window_usec = 3600 * USEC_PER_SEC,
                .reboot_with_users = true,
                .reboot_delay_usec = REBOOT_DELAY_DEFAULT_USEC,
                .ring_pre_reboot_hooks = g_new0(char *, 1),
                .fleet_lock_url = g_strdup(""),
                .fleet_lock_group = g_strdup(FLEET_LOCK_DEFAULT_GROUP),
                .coverage_margin_usec = UINT64_C(30) * 24 * 3600 * USEC_PER_SEC,
                .health_checks = g_ptr_array_new_with_free_func((GDestroyNotify) health_check_spec_free),
                .pre_reboot_hooks = g_ptr_array_new_with_free_func((GDestroyNotify) pre_reboot_hook_free),
        };
}

void pre_reboot_hook_free(PreRebootHook *h) {
        if (h)
                health_check_spec_free(h->check);
        g_free(h);
}

const PreRebootHook *config_pre_reboot_hook(const Config *c, const char *name) {
        for (guint i = 0; i < c->pre_reboot_hooks->len; i++) {
                const PreRebootHook *h = c->pre_reboot_hooks->pdata[i];
                if (g_str_equal(h->check->name, name))
                        return h;
        }
        return NULL;
}

const HealthCheckSpec *config_health_check(const Config *c, const char *name) {
        for (guint i = 0; i < c->health_checks->len; i++) {
                const HealthCheckSpec *s = c->health_checks->pdata[i];
                if (g_str_equal(s->name, name))
                        return s;
        }
        return NULL;
}

void config_clear(Config *c) {
        g_free(c->state_directory);
        g_free(c->trust_directory);
        g_free(c->automation_group);
        g_strfreev(c->allowed_signers);
        g_free(c->ring);
        g_strfreev(c->ring_health_checks);
        g_free(c->reboot_calendar);
        g_strfreev(c->ring_pre_reboot_hooks);
        g_free(c->fleet_lock_url);
        g_free(c->fleet_lock_group);
        if (c->health_checks)
                g_ptr_array_unref(c->health_checks);
        if (c->pre_reboot_hooks)
                g_ptr_array_unref(c->pre_reboot_hooks);
        *c = (Config) {};
}

/* GKeyFile does not report line numbers, so the grammar it accepts is checked
 * first, line by line, and values are later located by key for their errors. */
static unsigned find_line(const char *text, const char *group, const char *key) {
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
        bool in_group = false;

        for (unsigned i = 0; lines[i]; i++) {
                const char *l = g_strstrip(lines[i]);
                if (l[0] == '[') {
                        in_group = g_str_has_prefix(l + 1, group) && l[1 + strlen(group)] == ']';
                        if (in_group && !key)
                                return i + 1;
                        continue;
                }
                if (!in_group || !key)
                        continue;
                const char *eq = strchr(l, '=');
                if (eq && (size_t) (eq - l) >= strlen(key) && strncmp(l, key, strlen(key)) == 0) {
                        const char *rest = l + strlen(key);
                        while (rest < eq && g_ascii_isspace(*rest))
                                rest++;
                        if (rest == eq)
                                return i + 1;
                }
        }
        return 0;
}

static int check_grammar(const char *path, const char *text, sd_bus_error *error) {
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

        for (unsigned i = 0; lines[i]; i++) {
                const char *l = g_strstrip(lines[i]);
                if (l[0] == '\0' || l[0] == '#')
                        continue;
                if (l[0] == '[' && l[strlen(l) - 1] == ']')
                        continue;
                if (strchr(l, '=') && l[0] != '=')
                        continue;
                return sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_CONFIG,
                                         "%s:%u: not a [group], key=value or comment line", path, i + 1);
        }
        return 0;
}

static int parse_seconds(const char *s, uint64_t *ret) {
        char *end = NULL;

        if (!g_ascii_isdigit(s[0]))
                return -EINVAL;
        errno = 0;
        guint64 v = g_ascii_strtoull(s, &end, 10);
        if (errno != 0 || *end != '\0' || v == 0 || v > UINT64_MAX / USEC_PER_SEC)
                return -EINVAL;
        *ret = v * USEC_PER_SEC;
        return 0;
}

/* A [Ring NAME] group, gathered over all files before the host's is picked. */
typedef struct RingSettings {
        SoakCriteria soak;
        bool automatic_rollback;
        char *reboot_calendar;
        uint64_t reboot_window_usec;
        bool reboot_with_users;
        uint64_t reboot_randomized_delay_usec;
        uint64_t reboot_delay_usec;
        char *fleet_lock_url;
        char *fleet_lock_group;
        char **health_checks;
        unsigned health_checks_line;
        char *health_checks_file;
        char **hooks;
        unsigned hooks_line;
        char *hooks_file;
} RingSettings;

static void ring_settings_free(RingSettings *r) {
        g_free(r->reboot_calendar);
        g_free(r->fleet_lock_url);
        g_free(r->fleet_lock_group);
        g_strfreev(r->health_checks);
        g_free(r->health_checks_file);
        g_strfreev(r->hooks);
        g_free(r->hooks_file);
        g_free(r);
}

static RingSettings *ring_settings_new(void) {
        RingSettings *r = g_new0(RingSettings, 1);
        r->soak = (SoakCriteria) {
                .soak_usec = 3600 * USEC_PER_SEC,
                .expected_taint = (UINT64_C(1) << TAINT_LIVEPATCH_BIT) |
                        (UINT64_C(1) << TAINT_OOT_MODULE_BIT) | (UINT64_C(1) << 13 /* E */),
                .max_pressure_increase = 10000,
        };
        r->automatic_rollback = true;
        r->health_checks = g_new0(char *, 1);
        r->reboot_calendar = g_strdup("");
        r->reboot_window_usec = 3600 * USEC_PER_SEC;
        r->reboot_with_users = true;
        r->reboot_delay_usec = REBOOT_DELAY_DEFAULT_USEC;
        r->fleet_lock_url = g_strdup("");
        r->fleet_lock_group = g_strdup(FLEET_LOCK_DEFAULT_GROUP);
        r->hooks = g_new0(char *, 1);
        return r;
}

static int parse_count(const char *s, unsigned *ret) {
        char *end = NULL;
        if (!g_ascii_isdigit(s[0]))
                return -EINVAL;
        guint64 v = g_ascii_strtoull(s, &end, 10);
        if (*end != '\0' || v > 1000000)
                return -EINVAL;
        *ret = (unsigned) v;
        return 0;
}

/* Words separated by blanks, empty ones dropped. */
static char **split_words(const char *s) {
        g_auto(GStrv) parts = g_strsplit_set(s, " \t", -1);
        g_autoptr(GStrvBuilder) b = g_strv_builder_new();

        for (size_t i = 0; parts[i]; i++)
                if (parts[i][0])
                        g_strv_builder_add(b, parts[i]);
        return g_strv_builder_end(b);
}

/* The lock server is asked by lpmaint-fleetlock over HTTP(S); anything else
 * (file:, a space, a fragment) is a mistake worth refusing at load. */
static bool fleet_lock_url_is_valid(const char *url) {
        const char *rest = g_str_has_prefix(url, "https://") ? url + 8 : g_str_has_prefix(url, "http://") ? url + 7 : NULL;
        return rest && rest[0] && rest[0] != '/' && string_is_printable(url, 1024) && !strpbrk(url, " \t#?");
}

static int apply_ring_group(const char *path, const char *text, GKeyFile *kf, const char *group,
                            GHashTable *rings, sd_bus_error *error) {
        const char *name = group + strlen(RING_GROUP_PREFIX);
        if (!ring_name_is_valid(name))
                return sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_CONFIG, "%s:%u: invalid ring name in [%s]",
                                         path, find_line(text, group, NULL), group);

        RingSettings *rs = g_hash_table_lookup(rings, name);
        if (!rs) {
                rs = ring_settings_new();
                g_hash_table_insert(rings, g_strdup(name), rs);
        }

        g_auto(GStrv) keys = g_key_file_get_keys(kf, group, NULL, NULL);
        for (size_t i = 0; keys[i]; i++) {
                const char *key = keys[i];
                g_autofree char *value = g_key_file_get_string(kf, group, key, NULL);
                unsigned line = find_line(text, group, key);
                uint64_t mask;
                int r = 0;

                if (!value)
                        r = -EINVAL;
                else if (g_str_equal(key, "SoakSec")) {
                        unsigned sec = 0;
                        r = parse_count(value, &sec);
                        rs->soak.soak_usec = (uint64_t) sec * USEC_PER_SEC;
                } else if (g_str_equal(key, "MaxNewTaintFlags"))
                        r = parse_count(value, &rs->soak.max_new_taint_flags);
                else if (g_str_equal(key, "MaxNewOops"))
                        r = parse_count(value, &rs->soak.max_new_oops);
                else if (g_str_equal(key, "MaxNewWarnings"))
                        r = parse_count(value, &rs->soak.max_new_warnings);
                else if (g_str_equal(key, "MaxKernelLogEvents"))
                        r = parse_count(value, &rs->soak.max_log_events);
                else if (g_str_equal(key, "MaxPressureIncrease")) {
                        /* Percentage points of stalled time; 100 never fails. */
                        unsigned points = 0;
                        r = parse_count(value, &points);
                        if (r >= 0 && points > 100)
                                r = -ERANGE;
                        rs->soak.max_pressure_increase = points * 100;
                } else if (g_str_equal(key, "AllowedNewTaint")) {
                        /* K, the livepatch flag itself, is always expected. */
                        r = taint_mask_from_letters(value, &mask);
                        rs->soak.expected_taint = mask | (UINT64_C(1) << TAINT_LIVEPATCH_BIT);
                } else if (g_str_equal(key, "AutomaticRollback"))
                        r = parse_bool_str(value, &rs->automatic_rollback);
                else if (g_str_equal(key, "RebootCalendar")) {
                        /* systemd judges the calendar itself (systemd-analyze calendar checks it). */
                        if (!string_is_printable(value, 256))
                                r = -EINVAL;
                        g_free(rs->reboot_calendar);
                        rs->reboot_calendar = g_strdup(g_strstrip(value));
                } else if (g_str_equal(key, "RebootWindowSec")) {
                        unsigned sec = 0;
                        r = parse_count(value, &sec);
                        if (r >= 0 && (sec < 60 || sec > 7 * 24 * 3600))
                                r = -ERANGE;
                        rs->reboot_window_usec = (uint64_t) sec * USEC_PER_SEC;
                } else if (g_str_equal(key, "RebootWithUsers"))
                        r = parse_bool_str(value, &rs->reboot_with_users);
                else if (g_str_equal(key, "RebootRandomizedDelaySec")) {
                        unsigned sec = 0;
                        r = parse_count(value, &sec);
                        if (r >= 0 && sec > 7 * 24 * 3600)
                                r = -ERANGE;
                        rs->reboot_randomized_delay_usec = (uint64_t) sec * USEC_PER_SEC;
                } else if (g_str_equal(key, "RebootDelaySec")) {
                        unsigned sec = 0;
                        r = parse_count(value, &sec);
                        if (r >= 0 && sec > REBOOT_DELAY_MAX_SEC)
                                r = -ERANGE;
                        rs->reboot_delay_usec = (uint64_t) sec * USEC_PER_SEC;
                } else if (g_str_equal(key, "FleetLockURL")) {
                        g_strstrip(value);
                        if (value[0] && !fleet_lock_url_is_valid(value))
                                r = -EINVAL;
                        g_free(rs->fleet_lock_url);
                        rs->fleet_lock_url = g_strdup(value);
                } else if (g_str_equal(key, "FleetLockGroup")) {
                        g_strstrip(value);
                        if (!ring_name_is_valid(value))
                                r = -EINVAL;
                        g_free(rs->fleet_lock_group);
                        rs->fleet_lock_group = g_strdup(value);
                } else if (g_str_equal(key, "PreRebootHooks")) {
                        g_strfreev(rs->hooks);
                        rs->hooks = split_words(value);
                        g_free(rs->hooks_file);
                        rs->hooks_file = g_strdup(path);
                        rs->hooks_line = line;
                } else if (g_str_equal(key, "HealthChecks")) {
                        /* Checked against the [HealthCheck NAME] groups once all files are read. */
                        g_strfreev(rs->health_checks);
                        rs->health_checks = split_words(value);
                        g_free(rs->health_checks_file);
                        rs->health_checks_file = g_strdup(path);
                        rs->health_checks_line = line;
                } else
                        return sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_CONFIG, "%s:%u: unknown key %s= in [%s]", path, line, key, group);
                if (r < 0)
                        return sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_CONFIG, "%s:%u: %s= has an invalid value \"%s\"",
                                                 path, line, key, value ?: "");
        }
        return 0;
}

static bool unit_name_is_valid(const char *u) {
        static const char *const suffixes[] = { ".service", ".target", NULL };
        bool suffix = false;

        for (size_t i = 0; suffixes[i]; i++)
                suffix = suffix || (g_str_has_suffix(u, suffixes[i]) && strlen(u) > strlen(suffixes[i]));
        return suffix && strlen(u) <= 255 && strspn(u, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:-_.@\\") == strlen(u);
}

/* The keys of a [HealthCheck NAME] or, with @blocking set, a [PreRebootHook
 * NAME] group, which must be a unit and may say Blocking=. */
static int parse_check_keys(const char *path, const char *text, GKeyFile *kf, const char *group,
                            HealthCheckSpec *spec, bool *blocking, sd_bus_error *error) {
        g_auto(GStrv) keys = g_key_file_get_keys(kf, group, NULL, NULL);
        for (size_t i = 0; keys[i]; i++) {
                const char *key = keys[i];
                g_autofree char *value = g_key_file_get_string(kf, group, key, NULL);
                unsigned line = find_line(text, group, key);
                g_autoptr(GError) gerror = NULL;

                if (!value || !string_is_printable(value, 4096))
                        return sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_CONFIG, "%s:%u: %s= has an invalid value", path, line, key);
                if (g_str_equal(key, "ExecStart") && !blocking) {
                        g_strfreev(spec->argv);
                        spec->argv = NULL;
                        if (!g_shell_parse_argv(value, NULL, &spec->argv, &gerror))
                                return sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_CONFIG, "%s:%u: ExecStart= cannot be split: %s", path, line, gerror->message);
                        if (!g_path_is_absolute(spec->argv[0]))
                                return sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_CONFIG, "%s:%u: ExecStart= must start with an absolute path, got \"%s\"", path, line, spec->argv[0]);
                } else if (g_str_equal(key, "Unit")) {
                        if (!unit_name_is_valid(value))
                                return sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_CONFIG, "%s:%u: Unit= is not a .service or .target unit name: \"%s\"", path, line, value);
                        g_free(spec->unit);
                        spec->unit = g_steal_pointer(&value);
                } else if (g_str_equal(key, "TimeoutSec")) {
                        unsigned sec = 0;
                        if (parse_count(value, &sec) < 0 || sec == 0 || sec > HEALTH_CHECK_MAX_TIMEOUT_SEC)
                                return sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_CONFIG, "%s:%u: TimeoutSec= must be 1 to %d seconds, got \"%s\"", path, line, HEALTH_CHECK_MAX_TIMEOUT_SEC, value);
                        spec->timeout_usec = (uint64_t) sec * USEC_PER_SEC;
                } else if (g_str_equal(key, "Blocking") && blocking) {
                        if (parse_bool_str(value, blocking) < 0)
                                return sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_CONFIG, "%s:%u: Blocking= must be a boolean, got \"%s\"", path, line, value);
                } else
                        return sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_CONFIG, "%s:%u: unknown key %s= in [%s]", path, line, key, group);
        }
        if (blocking && !spec->unit)
                return sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_CONFIG, "%s:%u: [%s] needs Unit=",
                                         path, find_line(text, group, NULL), group);
        if (!spec->argv == !spec->unit)
                return sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_CONFIG, "%s:%u: [%s] needs exactly one of ExecStart= and Unit=",
                                         path, find_line(text, group, NULL), group);
        return 0;
}

static HealthCheckSpec *check_spec_new(const char *name) {
        HealthCheckSpec *spec = g_new0(HealthCheckSpec, 1);
        spec->name = g_strdup(name);
        spec->timeout_usec = HEALTH_CHECK_DEFAULT_TIMEOUT_USEC;
        return spec;
}

static int apply_health_check_group(const char *path, const char *text, GKeyFile *kf, const char *group,
                                    Config *c, sd_bus_error *error) {
        const char *name = group + strlen(HEALTH_CHECK_GROUP_PREFIX);
        if (!ring_name_is_valid(name))
                return sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_CONFIG, "%s:%u: invalid health check name in [%s]",
                                         path, find_line(text, group, NULL), group);

        /* A later file's group replaces the whole check. */
        for (guint i = 0; i < c->health_checks->len; i++)
                if (g_str_equal(((HealthCheckSpec *) c->health_checks->pdata[i])->name, name))
                        g_ptr_array_remove_index(c->health_checks, i--);
        HealthCheckSpec *spec = check_spec_new(name);
        g_ptr_array_add(c->health_checks, spec);
        return parse_check_keys(path, text, kf, group, spec, NULL, error);
}

static int apply_hook_group(const char *path, const char *text, GKeyFile *kf, const char *group,
                            Config *c, sd_bus_error *error) {
        const char *name = group + strlen(HOOK_GROUP_PREFIX);
        if (!ring_name_is_valid(name))
                return sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_CONFIG, "%s:%u: invalid pre-reboot hook name in [%s]",
                                         path, find_line(text, group, NULL), group);

        for (guint i = 0; i < c->pre_reboot_hooks->len; i++)
                if (g_str_equal(((PreRebootHook *) c->pre_reboot_hooks->pdata[i])->check->name, name))
                        g_ptr_array_remove_index(c->pre_reboot_hooks, i--);
        PreRebootHook *hook = g_new0(PreRebootHook, 1);
        hook->check = check_spec_new(name);
        hook->blocking = true;
        g_ptr_array_add(c->pre_reboot_hooks, hook);
        return parse_check_keys(path, text, kf, group, hook->check, &hook->blocking, error);
}

static int apply_file(const char *path, Config *c, GHashTable *rings, sd_bus_error *error) {
        g_autoptr(GBytes) bytes = NULL;
        g_autoptr(GKeyFile) kf = g_key_file_new();
        g_autoptr(GError) gerror = NULL;
        int r;

        /* Never waits on a FIFO and never follows a link: a configuration file is a plain file. */
        r = read_file_at(AT_FDCWD, path, MAX_CONFIG_FILE_SIZE, &bytes);
        if (r == -EBADFD)
                return sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_CONFIG, "%s: not a regular file (a link, FIFO, device or directory)", path);
        if (r < 0)
                return sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_CONFIG, "%s: cannot read: %s", path, g_strerror(-r));

        gsize size;
        const char *data = g_bytes_get_data(bytes, &size);
        g_autofree char *text = g_strndup(data, size);
        if (strlen(text) != size || !g_utf8_validate(text, -1, NULL))
                return sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_CONFIG, "%s: not UTF-8 text", path);

        r = check_grammar(path, text, error);
        if (r < 0)
                return r;
        if (!g_key_file_load_from_data(kf, text, size, G_KEY_FILE_KEEP_TRANSLATIONS, &gerror))
                return sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_CONFIG, "%s: %s", path, gerror->message);

        g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
        for (size_t i = 0; groups[i]; i++) {
                if (g_str_has_prefix(groups[i], RING_GROUP_PREFIX)) {
                        r = apply_ring_group(path, text, kf, groups[i], rings, error);
                        if (r < 0)
                                return r;
                } else if (g_str_has_prefix(groups[i], HEALTH_CHECK_GROUP_PREFIX)) {
                        r = apply_health_check_group(path, text, kf, groups[i], c, error);
                        if (r < 0)
                                return r;
                } else if (g_str_has_prefix(groups[i], HOOK_GROUP_PREFIX)) {
                        r = apply_hook_group(path, text, kf, groups[i], c, error);
                        if (r < 0)
                                return r;
                } else if (!g_str_equal(groups[i], CONFIG_GROUP))
                        return sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_CONFIG, "%s:%u: unknown group [%s]",
                                                 path, find_line(text, groups[i], NULL), groups[i]);
        }
        if (!g_key_file_has_group(kf, CONFIG_GROUP))
                return 0;

        g_auto(GStrv) keys = g_key_file_get_keys(kf, CONFIG_GROUP, NULL, NULL);
        for (size_t i = 0; keys[i]; i++) {
                const char *key = keys[i];
                g_autofree char *value = g_key_file_get_string(kf, CONFIG_GROUP, key, NULL);
                unsigned line = find_line(text, CONFIG_GROUP, key);

                if (!value || !string_is_printable(value, 4096))
                        return sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_CONFIG, "%s:%u: %s= has an invalid value", path, line, key);

                if (g_str_equal(key, "StateDirectory") || g_str_equal(key, "TrustDirectory")) {
                        if (!g_path_is_absolute(value))
                                return sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_CONFIG, "%s:%u: %s= must be an absolute path, got \"%s\"", path, line, key, value);
                        char **field = key[0] == 'S' ? &c->state_directory : &c->trust_directory;
                        g_free(*field);
                        *field = g_steal_pointer(&value);
                } else if (g_str_equal(key, "AutomationGroup")) {
                        if (value[0] == '\0' || strlen(value) > 32 || strpbrk(value, ":/ "))
                                return sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_CONFIG, "%s:%u: AutomationGroup= is not a valid group name: \"%s\"", path, line, value);
                        g_free(c->automation_group);
                        c->automation_group = g_steal_pointer(&value);
                } else if (g_str_equal(key, "TransitionTimeoutSec")) {
                        if (parse_seconds(value, &c->transition_timeout_usec) < 0)
                                return sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_CONFIG, "%s:%u: TransitionTimeoutSec= must be a positive number of seconds, got \"%s\"", path, line, value);
                } else if (g_str_equal(key, "MaxModuleSize")) {
                        if (parse_size_str(value, &c->max_module_size) < 0 || c->max_module_size == 0 || c->max_module_size > (UINT64_C(1) << 30))
                                return sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_CONFIG, "%s:%u: MaxModuleSize= must be a size between 1 and 1G (K, M, G suffixes), got \"%s\"", path, line, value);
                } else if (g_str_equal(key, "Ring")) {
                        if (value[0] && !ring_name_is_valid(value))
                                return sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_CONFIG, "%s:%u: Ring= is not a valid ring name: \"%s\"", path, line, value);
                        g_free(c->ring);
                        c->ring = g_steal_pointer(&value);
                } else if (g_str_equal(key, "KernelSupportDays") || g_str_equal(key, "CoverageMarginDays")) {
                        unsigned days = 0;
                        if (parse_count(value, &days) < 0 || days > 36500)
                                return sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_CONFIG, "%s:%u: %s= must be 0 to 36500 days, got \"%s\"", path, line, key, value);
                        *(key[0] == 'K' ? &c->kernel_support_usec : &c->coverage_margin_usec) = (uint64_t) days * 24 * 3600 * USEC_PER_SEC;
                } else if (g_str_equal(key, "RequiredPurpose")) {
                        SignerPurpose p = signer_purpose_from_string(value);
                        if (p < 0)
                                return sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_CONFIG, "%s:%u: RequiredPurpose= must be code-signing, lpmaint or any, got \"%s\"", path, line, value);
                        c->required_purpose = p;
                } else if (g_str_equal(key, "AllowedSigners")) {
                        g_auto(GStrv) names = g_key_file_get_string_list(kf, CONFIG_GROUP, key, NULL, NULL);
                        for (size_t j = 0; names && names[j]; j++)
                                if (names[j][0] == '\0' || !string_is_printable(names[j], 256))
                                        return sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_CONFIG, "%s:%u: AllowedSigners= has an empty or invalid name", path, line);
                        g_strfreev(c->allowed_signers);
                        c->allowed_signers = names ? g_steal_pointer(&names) : g_new0(char *, 1);
                } else
                        return sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_CONFIG, "%s:%u: unknown key %s=", path, line, key);
        }
        return 0;
}

static gint compare_strings(gconstpointer a, gconstpointer b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

int config_load(const char *path, Config *c, sd_bus_error *error) {
        Config n;
        int r = 0;

        /* Work on a copy: a bad file must leave the last good config in force. */
        config_init_defaults(&n);
        g_autoptr(GHashTable) rings = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify) ring_settings_free);

        if (g_file_test(path, G_FILE_TEST_EXISTS))
                r = apply_file(path, &n, rings, error);

        g_autofree char *dropin_dir = g_strconcat(path, ".d", NULL);
        g_autoptr(GDir) d = r >= 0 ? g_dir_open(dropin_dir, 0, NULL) : NULL;
        if (d) {
                g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
                const char *e;
                while ((e = g_dir_read_name(d)))
                        if (g_str_has_suffix(e, ".conf"))
                                g_ptr_array_add(names, g_strdup(e));
                g_ptr_array_sort(names, compare_strings);
                for (guint i = 0; i < names->len && r >= 0; i++) {
                        g_autofree char *p = g_build_filename(dropin_dir, names->pdata[i], NULL);
                        r = apply_file(p, &n, rings, error);
                }
        }

        /* The host's ring must be defined somewhere; without Ring= nothing soaks. */
        if (r >= 0 && n.ring[0]) {
                RingSettings *rs = g_hash_table_lookup(rings, n.ring);
                if (!rs)
                        r = sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_CONFIG, "%s: Ring=%s has no [Ring %s] group", path, n.ring, n.ring);
                else {
                        n.soak = rs->soak;
                        n.automatic_rollback = rs->automatic_rollback;
                        g_free(n.reboot_calendar);
                        n.reboot_calendar = g_strdup(rs->reboot_calendar);
                        n.reboot_window_usec = rs->reboot_window_usec;
                        n.reboot_with_users = rs->reboot_with_users;
                        n.reboot_delay_usec = rs->reboot_delay_usec;
                        n.reboot_randomized_delay_usec = rs->reboot_randomized_delay_usec;
                        g_free(n.fleet_lock_url);
                        n.fleet_lock_url = g_strdup(rs->fleet_lock_url);
                        g_free(n.fleet_lock_group);
                        n.fleet_lock_group = g_strdup(rs->fleet_lock_group);
                        g_strfreev(n.ring_pre_reboot_hooks);
                        n.ring_pre_reboot_hooks = g_strdupv(rs->hooks);
                        for (size_t i = 0; r >= 0 && rs->hooks[i]; i++)
                                if (!config_pre_reboot_hook(&n, rs->hooks[i]))
                                        r = sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_CONFIG, "%s:%u: PreRebootHooks= names %s, which has no [PreRebootHook %s] group",
                                                              rs->hooks_file, rs->hooks_line, rs->hooks[i], rs->hooks[i]);
                        g_strfreev(n.ring_health_checks);
                        n.ring_health_checks = g_strdupv(rs->health_checks);
                        for (size_t i = 0; r >= 0 && rs->health_checks[i]; i++)
                                if (!config_health_check(&n, rs->health_checks[i]))
                                        r = sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_CONFIG, "%s:%u: HealthChecks= names %s, which has no [HealthCheck %s] group",
                                                              rs->health_checks_file, rs->health_checks_line, rs->health_checks[i], rs->health_checks[i]);
                }
        }
        if (r < 0) {
                config_clear(&n);
                return r;
        }
        config_clear(c);
        *c = n;
        return 0;
}
