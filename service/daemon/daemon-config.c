/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <glib.h>

#include "config.h"
#include "daemon-config.h"
#include "errors.h"
#include "manifest.h"
#include "taint.h"
#include "util.h"

#define FLEET_LOCK_DEFAULT_GROUP "default"
#define REBOOT_DELAY_DEFAULT_USEC (60 * USEC_PER_SEC)
#define HEALTH_CHECK_DEFAULT_TIMEOUT_USEC (60 * USEC_PER_SEC)
#define USEC_PER_DAY (UINT64_C(24) * 3600 * USEC_PER_SEC)

#define MAX_CONFIG_FILE_SIZE (64 * 1024)

/* What a [Ring NAME] group that says nothing means. */
static void ring_settings_init_defaults(RingSettings *s) {
        *s = (RingSettings) {
                .soak = {
                        .soak_usec = 3600 * USEC_PER_SEC,
                        .expected_taint = (UINT64_C(1) << TAINT_LIVEPATCH_BIT) |
                                (UINT64_C(1) << TAINT_OOT_MODULE_BIT) | (UINT64_C(1) << 13 /* E */),
                        .max_pressure_increase = 10000,
                },
                .automatic_rollback = true,
                .ring_health_checks = g_new0(char *, 1),
                .reboot_calendar = g_strdup(""),
                .reboot_window_usec = 3600 * USEC_PER_SEC,
                .reboot_with_users = true,
                .reboot_delay_usec = REBOOT_DELAY_DEFAULT_USEC,
                .ring_pre_reboot_hooks = g_new0(char *, 1),
                .fleet_lock_url = g_strdup(""),
                .fleet_lock_group = g_strdup(FLEET_LOCK_DEFAULT_GROUP),
        };
}

static void ring_settings_clear(RingSettings *s) {
        g_strfreev(s->ring_health_checks);
        g_free(s->reboot_calendar);
        g_strfreev(s->ring_pre_reboot_hooks);
        g_free(s->fleet_lock_url);
        g_free(s->fleet_lock_group);
        *s = (RingSettings) {};
}

static void pre_reboot_hook_free(PreRebootHook *h) {
        if (h)
                health_check_spec_free(h->check);
        g_free(h);
}

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
                .kernel_support_usec = UINT64_C(365) * USEC_PER_DAY,
                .coverage_margin_usec = UINT64_C(30) * USEC_PER_DAY,
                .health_checks = g_ptr_array_new_with_free_func((GDestroyNotify) health_check_spec_free),
                .pre_reboot_hooks = g_ptr_array_new_with_free_func((GDestroyNotify) pre_reboot_hook_free),
                .sync = {
                        .channels = g_new0(char *, 1),
                        .ca_file = g_strdup(""),
                        .client_certificate = g_strdup(""),
                        .client_key = g_strdup(""),
                        .index_signers = g_new0(char *, 1),
                        .timeout_usec = 300 * USEC_PER_SEC,
                        .connect_timeout_usec = 10 * USEC_PER_SEC,
                        .low_speed_limit_bytes = 1024,
                        .low_speed_time_usec = 30 * USEC_PER_SEC,
                },
        };
        ring_settings_init_defaults(&c->ring_settings);
        /* Without a ring nothing soaks: no criteria (RingCriteria reads all
         * zero) and nothing to roll back. */
        c->soak = (SoakCriteria) {};
        c->automatic_rollback = false;
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
        ring_settings_clear(&c->ring_settings);
        if (c->health_checks)
                g_ptr_array_unref(c->health_checks);
        if (c->pre_reboot_hooks)
                g_ptr_array_unref(c->pre_reboot_hooks);
        g_strfreev(c->sync.channels);
        g_free(c->sync.ca_file);
        g_free(c->sync.client_certificate);
        g_free(c->sync.client_key);
        g_strfreev(c->sync.index_signers);
        *c = (Config) {};
}

__attribute__((format(printf, 2, 3)))
static int config_error(sd_bus_error *error, const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        int r = sd_bus_error_setfv(error, LPMAINT_ERROR_INVALID_CONFIG, format, ap);
        va_end(ap);
        return r;
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
                return config_error(error, "%s:%u: not a [group], key=value or comment line", path, i + 1);
        }
        return 0;
}

/* One file being applied: GKeyFile's parse of it, and its text for the line numbers. */
typedef struct ConfigSource {
        const char *path;
        const char *text;
        GKeyFile *kf;
} ConfigSource;

/* One key=value being applied. */
typedef struct ConfigValue {
        const ConfigSource *src;
        const char *group;
        const char *key;
        char *text;                     /* unescaped; a parser may strip it in place */
} ConfigValue;

typedef struct ConfigKey ConfigKey;

/* Parses @v into @field. A bad value returns negative, and sets
 * @ret_problem only when the key's own wording cannot say what is wrong. */
typedef int (*ConfigParser)(const ConfigKey *k, const ConfigValue *v, void *field, char **ret_problem);

struct ConfigKey {
        const char *name;
        ConfigParser parse;
        size_t offset;                  /* of the field in the struct the group fills */
        /* Which of the structs the group fills holds the field: a
         * [PreRebootHook]'s Blocking= is in the hook, the rest in its check. */
        unsigned base;
        uint64_t min, max;              /* numbers and sizes: the range, in the file's unit */
        uint64_t unit;                  /* numbers: one of the file's units in the field's; max * unit must fit */
        bool strip;                     /* strings: blanks around the value do not count */
        bool (*valid)(const char *s);   /* strings: NULL for any */
        /* A bad value is "KEY= <invalid> "VALUE""; NULL: the group's wording. */
        const char *invalid;
};

static int parse_number(const ConfigKey *k, const char *s, uint64_t *ret) {
        char *end = NULL;

        if (!g_ascii_isdigit(s[0]))
                return -EINVAL;
        errno = 0;
        guint64 v = g_ascii_strtoull(s, &end, 10);
        if (errno != 0 || *end != '\0' || v < k->min || v > k->max)
                return -ERANGE;
        *ret = v * (k->unit ?: 1);
        return 0;
}

static int parse_u64(const ConfigKey *k, const ConfigValue *v, void *field, char **ret_problem) {
        return parse_number(k, v->text, field);
}

static int parse_unsigned(const ConfigKey *k, const ConfigValue *v, void *field, char **ret_problem) {
        uint64_t n;
        int r = parse_number(k, v->text, &n);
        if (r < 0)
                return r;
        *(unsigned *) field = (unsigned) n;
        return 0;
}

static int parse_size(const ConfigKey *k, const ConfigValue *v, void *field, char **ret_problem) {
        uint64_t size;
        if (parse_size_str(v->text, &size) < 0 || size < k->min || size > k->max)
                return -ERANGE;
        *(uint64_t *) field = size;
        return 0;
}

static int parse_bool(const ConfigKey *k, const ConfigValue *v, void *field, char **ret_problem) {
        return parse_bool_str(v->text, field);
}

/* The taint flags a soak expects besides K, the livepatch flag itself, which is always expected. */
static int parse_taint_letters(const ConfigKey *k, const ConfigValue *v, void *field, char **ret_problem) {
        uint64_t mask;
        int r = taint_mask_from_letters(v->text, &mask);
        if (r < 0)
                return r;
        *(uint64_t *) field = mask | (UINT64_C(1) << TAINT_LIVEPATCH_BIT);
        return 0;
}

static int parse_string(const ConfigKey *k, const ConfigValue *v, void *field, char **ret_problem) {
        char **s = field;

        if (k->strip)
                g_strstrip(v->text);
        if (k->valid && !k->valid(v->text))
                return -EINVAL;
        g_free(*s);
        *s = g_strdup(v->text);
        return 0;
}

/* systemd judges the calendar itself (systemd-analyze calendar checks it); a
 * bad one is named as it reads once stripped. */
static int parse_calendar(const ConfigKey *k, const ConfigValue *v, void *field, char **ret_problem) {
        bool printable = string_is_printable(v->text, 256);
        g_strstrip(v->text);
        if (!printable)
                return -EINVAL;
        return parse_string(k, v, field, ret_problem);
}

static int parse_purpose(const ConfigKey *k, const ConfigValue *v, void *field, char **ret_problem) {
        SignerPurpose p = signer_purpose_from_string(v->text);
        if (p < 0)
                return -EINVAL;
        *(SignerPurpose *) field = p;
        return 0;
}

/* A GKeyFile list: names separated by ';'. */
static int parse_signers(const ConfigKey *k, const ConfigValue *v, void *field, char **ret_problem) {
        g_auto(GStrv) names = g_key_file_get_string_list(v->src->kf, v->group, v->key, NULL, NULL);
        char ***list = field;

        for (size_t i = 0; names && names[i]; i++)
                if (names[i][0] == '\0' || !string_is_printable(names[i], 256)) {
                        *ret_problem = g_strdup("has an empty or invalid name");
                        return -EINVAL;
                }
        g_strfreev(*list);
        *list = names ? g_steal_pointer(&names) : g_new0(char *, 1);
        return 0;
}

/* Words separated by blanks, empty ones dropped; the names they give are
 * checked once all files are read. */
static int parse_words(const ConfigKey *k, const ConfigValue *v, void *field, char **ret_problem) {
        g_auto(GStrv) parts = g_strsplit_set(v->text, " \t", -1);
        g_autoptr(GStrvBuilder) b = g_strv_builder_new();
        char ***list = field;

        for (size_t i = 0; parts[i]; i++)
                if (parts[i][0])
                        g_strv_builder_add(b, parts[i]);
        g_strfreev(*list);
        *list = g_strv_builder_end(b);
        return 0;
}

/* A command split as a shell would, run directly: its program by absolute path. */
static int parse_exec_start(const ConfigKey *k, const ConfigValue *v, void *field, char **ret_problem) {
        g_autoptr(GError) gerror = NULL;
        char ***argv = field;

        g_strfreev(*argv);
        *argv = NULL;
        if (!g_shell_parse_argv(v->text, NULL, argv, &gerror)) {
                *ret_problem = g_strdup_printf("cannot be split: %s", gerror->message);
                return -EINVAL;
        }
        if (!g_path_is_absolute((*argv)[0])) {
                *ret_problem = g_strdup_printf("must start with an absolute path, got \"%s\"", (*argv)[0]);
                return -EINVAL;
        }
        return 0;
}

static bool path_is_absolute(const char *s) {
        return g_path_is_absolute(s);
}

static bool group_name_is_valid(const char *s) {
        return s[0] != '\0' && strlen(s) <= 32 && !strpbrk(s, ":/ ");
}

/* Empty: the host is in no ring. */
static bool ring_name_or_empty_is_valid(const char *s) {
        return s[0] == '\0' || ring_name_is_valid(s);
}

/* The lock server is asked by lpmaint-fleetlock over HTTP(S); anything else
 * (file:, a space, a fragment) is a mistake worth refusing at load. Empty: none. */
static bool fleet_lock_url_or_empty_is_valid(const char *url) {
        if (url[0] == '\0')
                return true;
        const char *rest = g_str_has_prefix(url, "https://") ? url + 8 : g_str_has_prefix(url, "http://") ? url + 7 : NULL;
        return rest && rest[0] && rest[0] != '/' && string_is_printable(url, 1024) && !strpbrk(url, " \t#?");
}

/* Empty: none (the key's default). */
static bool path_is_absolute_or_empty(const char *s) {
        return s[0] == '\0' || g_path_is_absolute(s);
}

static bool unit_name_is_valid(const char *u) {
        static const char *const suffixes[] = { ".service", ".target", NULL };
        bool suffix = false;

        for (size_t i = 0; suffixes[i]; i++)
                suffix = suffix || (g_str_has_suffix(u, suffixes[i]) && strlen(u) > strlen(suffixes[i]));
        return suffix && strlen(u) <= 255 && strspn(u, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:-_.@\\") == strlen(u);
}

#define SECONDS(lo, hi) .min = (lo), .max = (hi), .unit = USEC_PER_SEC
#define WEEK_SEC (7 * 24 * 3600)
/* A count in a [Ring NAME] group. */
#define COUNT_MAX 1000000

static const ConfigKey daemon_keys[] = {
        { "StateDirectory", parse_string, offsetof(Config, state_directory),
          .valid = path_is_absolute, .invalid = "must be an absolute path, got" },
        { "TrustDirectory", parse_string, offsetof(Config, trust_directory),
          .valid = path_is_absolute, .invalid = "must be an absolute path, got" },
        { "AutomationGroup", parse_string, offsetof(Config, automation_group),
          .valid = group_name_is_valid, .invalid = "is not a valid group name:" },
        { "TransitionTimeoutSec", parse_u64, offsetof(Config, transition_timeout_usec),
          SECONDS(1, UINT64_MAX / USEC_PER_SEC), .invalid = "must be a positive number of seconds, got" },
        { "MaxModuleSize", parse_size, offsetof(Config, max_module_size), .min = 1, .max = UINT64_C(1) << 30,
          .invalid = "must be a size between 1 and 1G (K, M, G suffixes), got" },
        { "Ring", parse_string, offsetof(Config, ring),
          .valid = ring_name_or_empty_is_valid, .invalid = "is not a valid ring name:" },
        { "KernelSupportDays", parse_u64, offsetof(Config, kernel_support_usec), .max = 36500, .unit = USEC_PER_DAY,
          .invalid = "must be 0 to 36500 days, got" },
        { "CoverageMarginDays", parse_u64, offsetof(Config, coverage_margin_usec), .max = 36500, .unit = USEC_PER_DAY,
          .invalid = "must be 0 to 36500 days, got" },
        { "RequiredPurpose", parse_purpose, offsetof(Config, required_purpose),
          .invalid = "must be code-signing, lpmaint or any, got" },
        { "AllowedSigners", parse_signers, offsetof(Config, allowed_signers) },
};

static const ConfigKey ring_keys[] = {
        { "SoakSec", parse_u64, offsetof(RingSettings, soak.soak_usec), SECONDS(0, COUNT_MAX) },
        { "MaxNewTaintFlags", parse_unsigned, offsetof(RingSettings, soak.max_new_taint_flags), .max = COUNT_MAX },
        { "MaxNewOops", parse_unsigned, offsetof(RingSettings, soak.max_new_oops), .max = COUNT_MAX },
        { "MaxNewWarnings", parse_unsigned, offsetof(RingSettings, soak.max_new_warnings), .max = COUNT_MAX },
        { "MaxKernelLogEvents", parse_unsigned, offsetof(RingSettings, soak.max_log_events), .max = COUNT_MAX },
        /* Percentage points of stalled time, kept in hundredths; 100 never fails. */
        { "MaxPressureIncrease", parse_unsigned, offsetof(RingSettings, soak.max_pressure_increase), .max = 100, .unit = 100 },
        { "AllowedNewTaint", parse_taint_letters, offsetof(RingSettings, soak.expected_taint) },
        { "AutomaticRollback", parse_bool, offsetof(RingSettings, automatic_rollback) },
        { "RebootCalendar", parse_calendar, offsetof(RingSettings, reboot_calendar) },
        { "RebootWindowSec", parse_u64, offsetof(RingSettings, reboot_window_usec), SECONDS(60, WEEK_SEC) },
        { "RebootWithUsers", parse_bool, offsetof(RingSettings, reboot_with_users) },
        { "RebootRandomizedDelaySec", parse_u64, offsetof(RingSettings, reboot_randomized_delay_usec), SECONDS(0, WEEK_SEC) },
        { "RebootDelaySec", parse_u64, offsetof(RingSettings, reboot_delay_usec), SECONDS(0, 24 * 3600) },
        { "FleetLockURL", parse_string, offsetof(RingSettings, fleet_lock_url), .strip = true, .valid = fleet_lock_url_or_empty_is_valid },
        { "FleetLockGroup", parse_string, offsetof(RingSettings, fleet_lock_group), .strip = true, .valid = ring_name_is_valid },
        { "PreRebootHooks", parse_words, offsetof(RingSettings, ring_pre_reboot_hooks) },
        { "HealthChecks", parse_words, offsetof(RingSettings, ring_health_checks) },
};

static const ConfigKey sync_keys[] = {
        { "Channels", parse_words, offsetof(Config, sync.channels) },
        { "AllowPlainHTTP", parse_bool, offsetof(Config, sync.allow_plain_http), .invalid = "must be a boolean, got" },
        { "CAFile", parse_string, offsetof(Config, sync.ca_file), .strip = true,
          .valid = path_is_absolute_or_empty, .invalid = "must be an absolute path, got" },
        { "ClientCertificate", parse_string, offsetof(Config, sync.client_certificate), .strip = true,
          .valid = path_is_absolute_or_empty, .invalid = "must be an absolute path, got" },
        { "ClientKey", parse_string, offsetof(Config, sync.client_key), .strip = true,
          .valid = path_is_absolute_or_empty, .invalid = "must be an absolute path, got" },
        { "IndexSigners", parse_signers, offsetof(Config, sync.index_signers) },
        { "TimeoutSec", parse_u64, offsetof(Config, sync.timeout_usec), SECONDS(1, 24 * 3600),
          .invalid = "must be 1 to 86400 seconds, got" },
        { "ConnectTimeoutSec", parse_u64, offsetof(Config, sync.connect_timeout_usec), SECONDS(1, 3600),
          .invalid = "must be 1 to 3600 seconds, got" },
        { "LowSpeedLimitBytes", parse_u64, offsetof(Config, sync.low_speed_limit_bytes), .max = UINT32_MAX,
          .invalid = "must be a number of bytes per second, got" },
        { "LowSpeedTimeSec", parse_u64, offsetof(Config, sync.low_speed_time_usec), SECONDS(0, 3600),
          .invalid = "must be 0 to 3600 seconds, got" },
};

/* Keys a [HealthCheck NAME] and a [PreRebootHook NAME] group share. */
#define CHECK_UNIT_KEY                                                                  \
        { "Unit", parse_string, offsetof(HealthCheckSpec, unit),                        \
          .valid = unit_name_is_valid, .invalid = "is not a .service or .target unit name:" }
#define CHECK_TIMEOUT_KEY                                                               \
        { "TimeoutSec", parse_u64, offsetof(HealthCheckSpec, timeout_usec),             \
          SECONDS(1, 3600), .invalid = "must be 1 to 3600 seconds, got" }

static const ConfigKey health_check_keys[] = {
        { "ExecStart", parse_exec_start, offsetof(HealthCheckSpec, argv) },
        CHECK_UNIT_KEY,
        CHECK_TIMEOUT_KEY,
};

/* A hook is always a unit. */
static const ConfigKey pre_reboot_hook_keys[] = {
        CHECK_UNIT_KEY,
        CHECK_TIMEOUT_KEY,
        { "Blocking", parse_bool, offsetof(PreRebootHook, blocking), .base = 1, .invalid = "must be a boolean, got" },
};

/* A kind of group, the keys it takes and how its errors read. */
typedef struct ConfigGroup {
        const char *name;               /* as lpmaint.conf(5) heads it */
        const char *prefix;             /* before a named group's NAME; NULL: the group is @name */
        const char *what;               /* a named group's NAME is "an invalid WHAT name" */
        const ConfigKey *keys;
        size_t n_keys;
        bool printable_values;          /* a value that is not printable text is refused before its key is looked up */
        bool unknown_key_names_group;   /* "unknown key K= in [GROUP]" rather than "unknown key K=" */
        const char *invalid;            /* the wording for a bad value where the key has none */
} ConfigGroup;

static const ConfigGroup daemon_group = {
        .name = "Daemon",
        .keys = daemon_keys, .n_keys = G_N_ELEMENTS(daemon_keys),
        .printable_values = true,
};

static const ConfigGroup ring_group = {
        .name = "Ring NAME", .prefix = "Ring ", .what = "ring",
        .keys = ring_keys, .n_keys = G_N_ELEMENTS(ring_keys),
        .unknown_key_names_group = true,
        .invalid = "has an invalid value",
};

static const ConfigGroup health_check_group = {
        .name = "HealthCheck NAME", .prefix = "HealthCheck ", .what = "health check",
        .keys = health_check_keys, .n_keys = G_N_ELEMENTS(health_check_keys),
        .printable_values = true, .unknown_key_names_group = true,
};

static const ConfigGroup pre_reboot_hook_group = {
        .name = "PreRebootHook NAME", .prefix = "PreRebootHook ", .what = "pre-reboot hook",
        .keys = pre_reboot_hook_keys, .n_keys = G_N_ELEMENTS(pre_reboot_hook_keys),
        .printable_values = true, .unknown_key_names_group = true,
};

static const ConfigGroup sync_group = {
        .name = "Sync",
        .keys = sync_keys, .n_keys = G_N_ELEMENTS(sync_keys),
        .printable_values = true,
};

static const ConfigGroup *const config_group_table[] = {
        &daemon_group, &ring_group, &health_check_group, &pre_reboot_hook_group, &sync_group,
};

const char *config_group_name(size_t i) {
        return i < G_N_ELEMENTS(config_group_table) ? config_group_table[i]->name : NULL;
}

static const ConfigGroup *config_group_of(const char *group) {
        for (size_t i = 0; i < G_N_ELEMENTS(config_group_table); i++) {
                const ConfigGroup *g = config_group_table[i];
                if (g->prefix ? g_str_has_prefix(group, g->prefix) : g_str_equal(group, g->name))
                        return g;
        }
        return NULL;
}

char **config_group_keys(const char *group) {
        for (size_t i = 0; i < G_N_ELEMENTS(config_group_table); i++) {
                const ConfigGroup *g = config_group_table[i];
                if (!g_str_equal(g->name, group))
                        continue;
                g_autoptr(GStrvBuilder) b = g_strv_builder_new();
                for (size_t j = 0; j < g->n_keys; j++)
                        g_strv_builder_add(b, g->keys[j].name);
                return g_strv_builder_end(b);
        }
        return NULL;
}

static const ConfigKey *config_key_of(const ConfigGroup *g, const char *name) {
        for (size_t i = 0; i < g->n_keys; i++)
                if (g_str_equal(g->keys[i].name, name))
                        return &g->keys[i];
        return NULL;
}

/* Applies every key of [@group], of kind @g, to the structs @bases (see ConfigKey.base). */
static int apply_keys(const ConfigSource *src, const char *group, const ConfigGroup *g,
                      void *const *bases, sd_bus_error *error) {
        g_auto(GStrv) keys = g_key_file_get_keys(src->kf, group, NULL, NULL);

        for (size_t i = 0; keys[i]; i++) {
                const char *name = keys[i];
                g_autofree char *value = g_key_file_get_string(src->kf, group, name, NULL);
                g_autofree char *problem = NULL;
                unsigned line = find_line(src->text, group, name);

                if (g->printable_values && (!value || !string_is_printable(value, 4096)))
                        return config_error(error, "%s:%u: %s= has an invalid value", src->path, line, name);
                if (!value)
                        return config_error(error, "%s:%u: %s= %s \"\"", src->path, line, name, g->invalid);

                const ConfigKey *k = config_key_of(g, name);
                if (!k && g->unknown_key_names_group)
                        return config_error(error, "%s:%u: unknown key %s= in [%s]", src->path, line, name, group);
                if (!k)
                        return config_error(error, "%s:%u: unknown key %s=", src->path, line, name);

                const ConfigValue v = { .src = src, .group = group, .key = name, .text = value };
                if (k->parse(k, &v, (char *) bases[k->base] + k->offset, &problem) >= 0)
                        continue;
                if (problem)
                        return config_error(error, "%s:%u: %s= %s", src->path, line, name, problem);
                return config_error(error, "%s:%u: %s= %s \"%s\"", src->path, line, name, k->invalid ?: g->invalid, value);
        }
        return 0;
}

/* The NAME of [PREFIX NAME], which must be a valid name. *ret is set only on
 * success; callers start it at NULL, since an optimized build cannot see that. */
static int group_instance_name(const ConfigSource *src, const char *group, const ConfigGroup *g,
                               const char **ret, sd_bus_error *error) {
        const char *name = group + strlen(g->prefix);
        if (!ring_name_is_valid(name))
                return config_error(error, "%s:%u: invalid %s name in [%s]",
                                    src->path, find_line(src->text, group, NULL), g->what, group);
        *ret = name;
        return 0;
}

/* A [Ring NAME] group, gathered over all files before the host's is picked. */
typedef struct RingGroup {
        RingSettings settings;
        /* "FILE:LINE" of the last HealthChecks= and PreRebootHooks=, whose
         * names are checked once all files are read. */
        char *health_checks_where;
        char *hooks_where;
} RingGroup;

static RingGroup *ring_group_new(void) {
        RingGroup *rg = g_new0(RingGroup, 1);
        ring_settings_init_defaults(&rg->settings);
        return rg;
}

static void ring_group_free(RingGroup *rg) {
        ring_settings_clear(&rg->settings);
        g_free(rg->health_checks_where);
        g_free(rg->hooks_where);
        g_free(rg);
}

/* What loading gathers: the configuration, and every ring until the host's is known. */
typedef struct ConfigLoad {
        Config *config;
        GHashTable *rings;              /* name → RingGroup */
} ConfigLoad;

static void remember_where(const ConfigSource *src, const char *group, const char *key, char **where) {
        if (!g_key_file_has_key(src->kf, group, key, NULL))
                return;
        g_free(*where);
        *where = g_strdup_printf("%s:%u", src->path, find_line(src->text, group, key));
}

static int apply_ring_group(const ConfigSource *src, const char *group, ConfigLoad *load, sd_bus_error *error) {
        const char *name = NULL;
        int r = group_instance_name(src, group, &ring_group, &name, error);
        if (r < 0)
                return r;

        RingGroup *rg = g_hash_table_lookup(load->rings, name);
        if (!rg) {
                rg = ring_group_new();
                g_hash_table_insert(load->rings, g_strdup(name), rg);
        }
        r = apply_keys(src, group, &ring_group, (void *[]) { &rg->settings }, error);
        if (r < 0)
                return r;
        remember_where(src, group, "HealthChecks", &rg->health_checks_where);
        remember_where(src, group, "PreRebootHooks", &rg->hooks_where);
        return 0;
}

/* A command check needs ExecStart=, a unit check or hook Unit=, never both. */
static int check_complete(const ConfigSource *src, const char *group, const HealthCheckSpec *spec, bool hook,
                          sd_bus_error *error) {
        if (hook && !spec->unit)
                return config_error(error, "%s:%u: [%s] needs Unit=", src->path, find_line(src->text, group, NULL), group);
        if (!spec->argv == !spec->unit)
                return config_error(error, "%s:%u: [%s] needs exactly one of ExecStart= and Unit=",
                                    src->path, find_line(src->text, group, NULL), group);
        return 0;
}

static HealthCheckSpec *check_spec_new(const char *name) {
        HealthCheckSpec *spec = g_new0(HealthCheckSpec, 1);
        spec->name = g_strdup(name);
        spec->timeout_usec = HEALTH_CHECK_DEFAULT_TIMEOUT_USEC;
        return spec;
}

static int apply_health_check_group(const ConfigSource *src, const char *group, ConfigLoad *load, sd_bus_error *error) {
        GPtrArray *checks = load->config->health_checks;
        const char *name = NULL;
        int r = group_instance_name(src, group, &health_check_group, &name, error);
        if (r < 0)
                return r;

        /* A later file's group replaces the whole check. */
        for (guint i = 0; i < checks->len; i++)
                if (g_str_equal(((HealthCheckSpec *) checks->pdata[i])->name, name))
                        g_ptr_array_remove_index(checks, i--);
        HealthCheckSpec *spec = check_spec_new(name);
        g_ptr_array_add(checks, spec);
        r = apply_keys(src, group, &health_check_group, (void *[]) { spec }, error);
        if (r < 0)
                return r;
        return check_complete(src, group, spec, false, error);
}

static int apply_hook_group(const ConfigSource *src, const char *group, ConfigLoad *load, sd_bus_error *error) {
        GPtrArray *hooks = load->config->pre_reboot_hooks;
        const char *name = NULL;
        int r = group_instance_name(src, group, &pre_reboot_hook_group, &name, error);
        if (r < 0)
                return r;

        for (guint i = 0; i < hooks->len; i++)
                if (g_str_equal(((PreRebootHook *) hooks->pdata[i])->check->name, name))
                        g_ptr_array_remove_index(hooks, i--);
        PreRebootHook *hook = g_new0(PreRebootHook, 1);
        hook->check = check_spec_new(name);
        hook->blocking = true;
        g_ptr_array_add(hooks, hook);
        r = apply_keys(src, group, &pre_reboot_hook_group, (void *[]) { hook->check, hook }, error);
        if (r < 0)
                return r;
        return check_complete(src, group, hook->check, true, error);
}

static int apply_file(const char *path, ConfigLoad *load, sd_bus_error *error) {
        g_autoptr(GBytes) bytes = NULL;
        g_autoptr(GKeyFile) kf = g_key_file_new();
        g_autoptr(GError) gerror = NULL;
        int r;

        /* Never waits on a FIFO and never follows a link: a configuration file is a plain file. */
        r = read_file_at(AT_FDCWD, path, MAX_CONFIG_FILE_SIZE, &bytes);
        if (r == -EBADFD)
                return config_error(error, "%s: not a regular file (a link, FIFO, device or directory)", path);
        if (r < 0)
                return config_error(error, "%s: cannot read: %s", path, g_strerror(-r));

        gsize size;
        const char *data = g_bytes_get_data(bytes, &size);
        g_autofree char *text = g_strndup(data, size);
        if (strlen(text) != size || !g_utf8_validate(text, -1, NULL))
                return config_error(error, "%s: not UTF-8 text", path);

        r = check_grammar(path, text, error);
        if (r < 0)
                return r;
        if (!g_key_file_load_from_data(kf, text, size, G_KEY_FILE_KEEP_TRANSLATIONS, &gerror))
                return config_error(error, "%s: %s", path, gerror->message);

        const ConfigSource src = { .path = path, .text = text, .kf = kf };
        g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
        for (size_t i = 0; groups[i]; i++) {
                const ConfigGroup *g = config_group_of(groups[i]);
                if (g == &ring_group)
                        r = apply_ring_group(&src, groups[i], load, error);
                else if (g == &health_check_group)
                        r = apply_health_check_group(&src, groups[i], load, error);
                else if (g == &pre_reboot_hook_group)
                        r = apply_hook_group(&src, groups[i], load, error);
                else if (g == &sync_group)
                        r = apply_keys(&src, groups[i], &sync_group, (void *[]) { load->config }, error);
                else if (!g)
                        r = config_error(error, "%s:%u: unknown group [%s]", path, find_line(text, groups[i], NULL), groups[i]);
                if (r < 0)
                        return r;
        }
        /* [Daemon] after the named groups: of a file's several errors, one in a named group is reported. */
        if (!g_key_file_has_group(kf, daemon_group.name))
                return 0;
        return apply_keys(&src, daemon_group.name, &daemon_group, (void *[]) { load->config }, error);
}

static gint compare_strings(gconstpointer a, gconstpointer b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

/* The host's ring becomes the configuration's, once its names of checks and hooks are known to exist. */
static int pick_ring(const char *path, ConfigLoad *load, sd_bus_error *error) {
        Config *c = load->config;
        RingGroup *rg = g_hash_table_lookup(load->rings, c->ring);
        if (!rg)
                return config_error(error, "%s: Ring=%s has no [Ring %s] group", path, c->ring, c->ring);

        ring_settings_clear(&c->ring_settings);
        c->ring_settings = rg->settings;
        rg->settings = (RingSettings) {}; /* now the configuration's */

        for (size_t i = 0; c->ring_pre_reboot_hooks[i]; i++)
                if (!config_pre_reboot_hook(c, c->ring_pre_reboot_hooks[i]))
                        return config_error(error, "%s: PreRebootHooks= names %s, which has no [PreRebootHook %s] group",
                                            rg->hooks_where, c->ring_pre_reboot_hooks[i], c->ring_pre_reboot_hooks[i]);
        for (size_t i = 0; c->ring_health_checks[i]; i++)
                if (!config_health_check(c, c->ring_health_checks[i]))
                        return config_error(error, "%s: HealthChecks= names %s, which has no [HealthCheck %s] group",
                                            rg->health_checks_where, c->ring_health_checks[i], c->ring_health_checks[i]);
        return 0;
}

/* What the channel URLs say is checked once all files are read: a drop-in
 * may allow plain http:// after the main file names a channel. */
static int check_sync(const char *path, const SyncSettings *s, sd_bus_error *error) {
        for (size_t i = 0; s->channels[i]; i++) {
                const char *url = s->channels[i];
                bool https = g_str_has_prefix(url, "https://"), http = g_str_has_prefix(url, "http://");
                bool file = g_str_has_prefix(url, "file:///");

                if (!(https || http || file) || strlen(url) > 1024 || !string_is_printable(url, 1024) || strpbrk(url, "#?"))
                        return config_error(error, "%s: [Sync] Channels= has \"%s\", which is not an https:// or file:/// URL",
                                            path, url);
                if (http && !s->allow_plain_http)
                        return config_error(error, "%s: [Sync] Channels= has plain http:// \"%s\" without AllowPlainHTTP=yes",
                                            path, url);
        }
        if (s->channels[0] && !s->index_signers[0])
                return config_error(error, "%s: [Sync] Channels= needs IndexSigners=: indexes are signed by named signers", path);
        if (s->client_key[0] && !s->client_certificate[0])
                return config_error(error, "%s: [Sync] ClientKey= needs ClientCertificate=", path);
        return 0;
}

int config_load(const char *path, Config *c, sd_bus_error *error) {
        Config n;
        int r = 0;

        /* Work on a copy: a bad file must leave the last good config in force. */
        config_init_defaults(&n);
        g_autoptr(GHashTable) rings = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify) ring_group_free);
        ConfigLoad load = { .config = &n, .rings = rings };

        if (g_file_test(path, G_FILE_TEST_EXISTS))
                r = apply_file(path, &load, error);

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
                        r = apply_file(p, &load, error);
                }
        }

        /* The host's ring must be defined somewhere; without Ring= nothing soaks. */
        if (r >= 0 && n.ring[0])
                r = pick_ring(path, &load, error);
        if (r >= 0)
                r = check_sync(path, &n.sync, error);
        if (r < 0) {
                config_clear(&n);
                return r;
        }
        config_clear(c);
        *c = n;
        return 0;
}
