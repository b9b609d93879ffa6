/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Prometheus text exposition of lpmaint's state: pure, no bus. */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "macro.h"
#include "metrics.h"
#include "patch-state.h"
#include "soak.h"
#include "wave-state.h"

/* The documented values of the enumerations shown one-hot: a series per
 * value, 1 for the current one and 0 for the others, so that a change never
 * leaves a stale series behind and "== 1" alerts read naturally. The names
 * are lpmaintd's own (service/core); a value a newer lpmaintd reports that is
 * not among them gets a series of its own. Patches that never soaked have no
 * soak series, and no wave open is "none". */
typedef struct KnownValues {
        const char *names[16];
        size_t n;
} KnownValues;

static void known_add(KnownValues *k, const char *name) {
        g_assert(k->n < G_N_ELEMENTS(k->names));
        k->names[k->n++] = name;
}

static KnownValues patch_states(void) {
        KnownValues k = {};
        for (PatchState s = 0; s < _PATCH_STATE_MAX; s++)
                known_add(&k, patch_state_to_string(s));
        return k;
}

static KnownValues soak_states(void) {
        KnownValues k = {};
        for (SoakState s = SOAK_STATE_NONE + 1; s < _SOAK_STATE_MAX; s++)
                known_add(&k, soak_state_to_string(s));
        return k;
}

static KnownValues wave_states(void) {
        KnownValues k = {};
        known_add(&k, "none");
        for (WaveState s = WAVE_NONE + 1; s < _WAVE_STATE_MAX; s++)
                known_add(&k, wave_state_to_string(s));
        return k;
}

static bool streq(const char *a, const char *b) {
        return strcmp(a, b) == 0;
}

static bool isempty(const char *s) {
        return !s || !*s;
}

void metrics_escape_label_value(GString *out, const char *value) {
        for (const char *p = value ? value : ""; *p; p++)
                switch (*p) {
                case '\\':
                        g_string_append(out, "\\\\");
                        break;
                case '"':
                        g_string_append(out, "\\\"");
                        break;
                case '\n':
                        g_string_append(out, "\\n");
                        break;
                default:
                        g_string_append_c(out, *p);
                }
}

/* One sample: NAME{KEY="VALUE",...} VALUE. The labels are pairs of
 * strings ended by NULL. */
static void sample(GString *out, const char *name, const char *value, ...) G_GNUC_NULL_TERMINATED;
static void sample(GString *out, const char *name, const char *value, ...) {
        const char *key;
        bool first = true;
        va_list ap;

        g_string_append(out, name);
        va_start(ap, value);
        while ((key = va_arg(ap, const char *))) {
                const char *v = va_arg(ap, const char *);
                g_string_append_printf(out, "%s%s=\"", first ? "{" : ",", key);
                metrics_escape_label_value(out, v);
                g_string_append_c(out, '"');
                first = false;
        }
        va_end(ap);
        g_string_append_printf(out, "%s %s\n", first ? "" : "}", value);
}

/* Writes a family's HELP and TYPE lines and its samples, or nothing when it
 * has none: a family without samples tells a reader nothing. Consumes @samples. */
static void family(GString *out, const char *name, const char *type, const char *help, GString *samples) {
        if (samples->len > 0)
                g_string_append_printf(out, "# HELP %s %s\n# TYPE %s %s\n%s", name, help, name, type, samples->str);
        g_string_free(samples, true);
}

static const char *bit_value(bool b) {
        return b ? "1" : "0";
}

typedef struct Number {
        char buf[48];
} Number;

static const char *uint_value(Number *n, uint64_t u) {
        g_snprintf(n->buf, sizeof n->buf, "%" PRIu64, u);
        return n->buf;
}

/* Realtime usec as seconds since the epoch, exact: "1767225600" or "1767225600.25". */
static const char *seconds_value(Number *n, uint64_t usec) {
        size_t len;

        if (usec % USEC_PER_SEC == 0)
                return uint_value(n, usec / USEC_PER_SEC);

        g_snprintf(n->buf, sizeof n->buf, "%" PRIu64 ".%06" PRIu64, usec / USEC_PER_SEC, usec % USEC_PER_SEC);
        len = strlen(n->buf);
        while (n->buf[len - 1] == '0')
                n->buf[--len] = '\0';
        return n->buf;
}

/* A gauge family of one timestamp, without a sample when the daemon does not
 * export it (@known false) or it is not known (0). */
static void timestamp_family(GString *out, const char *name, bool known, uint64_t usec, const char *help) {
        GString *g = g_string_new(NULL);
        Number n;

        if (known && usec > 0)
                sample(g, name, seconds_value(&n, usec), NULL);
        family(out, name, "gauge", help, g);
}

/* One series per known value plus the current one if it is not known. */
static void one_hot(GString *samples, const char *name, const char *key, const char *label,
                    KnownValues values, const char *current) {
        const char *const *known = values.names;
        size_t n_known = values.n;
        bool found = false;

        for (size_t i = 0; i < n_known; i++) {
                bool is = streq(known[i], current);
                found = found || is;
                if (key)
                        sample(samples, name, bit_value(is), key, label, "state", known[i], NULL);
                else
                        sample(samples, name, bit_value(is), "state", known[i], NULL);
        }
        if (!found) {
                if (key)
                        sample(samples, name, "1", key, label, "state", current, NULL);
                else
                        sample(samples, name, "1", "state", current, NULL);
        }
}

static void format_patches(GString *out, const MetricsSnapshot *s) {
        GString *states = g_string_new(NULL), *soaks = g_string_new(NULL), *applied = g_string_new(NULL);
        Number n;

        for (size_t i = 0; i < s->n_patches; i++) {
                const MetricsPatch *p = &s->patches[i];

                if (isempty(p->name))
                        continue;
                if (!isempty(p->state))
                        one_hot(states, "lpmaint_patch_state", "patch", p->name,
                                patch_states(), p->state);
                if (!isempty(p->soak_state))
                        one_hot(soaks, "lpmaint_patch_soak_verdict", "patch", p->name,
                                soak_states(), p->soak_state);
                if (p->applied_usec > 0)
                        sample(applied, "lpmaint_patch_applied_timestamp_seconds",
                               seconds_value(&n, p->applied_usec), "patch", p->name, NULL);
        }

        family(out, "lpmaint_patch_state", "gauge",
               "Each live patch's state: 1 for the current one, 0 for the other documented states.", states);
        family(out, "lpmaint_patch_soak_verdict", "gauge",
               "Each soaking or soaked live patch's soak state: 1 for the current one, 0 for the others.", soaks);
        family(out, "lpmaint_patch_applied_timestamp_seconds", "gauge",
               "When each live patch last reached the applied state, in seconds since the epoch.", applied);
}

static void format_kernel(GString *out, const MetricsSnapshot *s) {
        GString *flags = g_string_new(NULL), *g;
        Number n;

        g = g_string_new(NULL);
        sample(g, "lpmaint_kernel_tainted", uint_value(&n, s->tainted), NULL);
        family(out, "lpmaint_kernel_tainted", "gauge", "The running kernel's taint mask.", g);

        for (size_t i = 0; i < s->n_taint_flags; i++) {
                const MetricsTaintFlag *f = &s->taint_flags[i];
                bool seen = false;

                /* A bit is set once; a repeated one would be a duplicate series. */
                for (size_t j = 0; j < i; j++)
                        seen = seen || s->taint_flags[j].bit == f->bit;
                if (seen)
                        continue;
                sample(flags, "lpmaint_kernel_taint_flag", "1",
                       "flag", isempty(f->letter) ? "?" : f->letter, "bit", uint_value(&n, f->bit), NULL);
        }
        family(out, "lpmaint_kernel_taint_flag", "gauge",
               "1 for each taint flag set in the running kernel, by letter and bit.", flags);

        g = g_string_new(NULL);
        sample(g, "lpmaint_kernel_oops_total", uint_value(&n, s->oops_count), NULL);
        family(out, "lpmaint_kernel_oops_total", "counter", "Oopses of the running kernel since it booted.", g);

        g = g_string_new(NULL);
        sample(g, "lpmaint_kernel_warnings_total", uint_value(&n, s->warn_count), NULL);
        family(out, "lpmaint_kernel_warnings_total", "counter", "Warnings of the running kernel since it booted.", g);
}

static void format_reboot(GString *out, const MetricsSnapshot *s) {
        GString *g;

        g = g_string_new(NULL);
        sample(g, "lpmaint_reboot_required", bit_value(s->reboot_required), NULL);
        family(out, "lpmaint_reboot_required", "gauge", "Whether the host needs a reboot.", g);

        g = g_string_new(NULL);
        for (size_t i = 0; i < s->n_reboot_reason_codes; i++) {
                const char *code = s->reboot_reason_codes[i];
                bool seen = false;

                if (isempty(code))
                        continue;
                for (size_t j = 0; j < i; j++)
                        seen = seen || (s->reboot_reason_codes[j] && streq(s->reboot_reason_codes[j], code));
                if (!seen)
                        sample(g, "lpmaint_reboot_reason", "1", "code", code, NULL);
        }
        family(out, "lpmaint_reboot_reason", "gauge", "1 for each reason the host needs a reboot, by code.", g);

        timestamp_family(out, "lpmaint_coverage_end_timestamp_seconds", true, s->coverage_ends_usec,
                         "When live patching of the running kernel ends, in seconds since the epoch.");
        timestamp_family(out, "lpmaint_next_reboot_window_timestamp_seconds", s->has_next_reboot_window,
                         s->next_reboot_window_usec, "When the next reboot wave window opens, in seconds since the epoch.");
        timestamp_family(out, "lpmaint_scheduled_reboot_timestamp_seconds", s->has_scheduled_reboot,
                         s->scheduled_reboot_usec, "When the reboot lpmaint scheduled happens, in seconds since the epoch.");

        g = g_string_new(NULL);
        if (s->has_wave_state)
                one_hot(g, "lpmaint_reboot_wave_state", NULL, NULL, wave_states(),
                        isempty(s->wave_state) ? "none" : s->wave_state);
        family(out, "lpmaint_reboot_wave_state", "gauge",
               "The host's part of a reboot wave: 1 for the current state, 0 for the others.", g);

        g = g_string_new(NULL);
        if (s->has_fleet_lock_held)
                sample(g, "lpmaint_fleet_lock_held", bit_value(s->fleet_lock_held), NULL);
        family(out, "lpmaint_fleet_lock_held", "gauge", "Whether this host holds the fleet-wide reboot lock.", g);
}

static void format_sync(GString *out, const MetricsSnapshot *s) {
        GString *g = g_string_new(NULL);
        Number n;

        timestamp_family(out, "lpmaint_sync_last_run_timestamp_seconds", true, s->sync_last_run_usec,
                         "When lpmaint-sync last reported a run, successful or not, in seconds since the epoch.");
        timestamp_family(out, "lpmaint_sync_last_success_timestamp_seconds", true, s->sync_last_success_usec,
                         "When lpmaint-sync last ran successfully, in seconds since the epoch.");
        if (s->sync_index_serial > 0)
                sample(g, "lpmaint_sync_index_serial", uint_value(&n, s->sync_index_serial), NULL);
        family(out, "lpmaint_sync_index_serial", "gauge",
               "The Serial= of the channel index the last successful lpmaint-sync run verified.", g);

        g = g_string_new(NULL);
        for (size_t i = 0; s->has_sync_errors && i < s->n_sync_errors; i++) {
                const MetricsSyncErrors *e = &s->sync_errors[i];
                if (!isempty(e->kind))
                        sample(g, "lpmaint_sync_errors_total", uint_value(&n, e->count), "kind", e->kind, NULL);
        }
        family(out, "lpmaint_sync_errors_total", "counter",
               "Failed lpmaint-sync runs lpmaintd recorded, by kind of error.", g);
}

char *metrics_format(const MetricsSnapshot *s) {
        GString *out = g_string_new(NULL), *g;
        Number n;

        g = g_string_new(NULL);
        sample(g, "lpmaint_up", bit_value(s->up), NULL);
        family(out, "lpmaint_up", "gauge",
               "Whether lpmaintd answered the last read; the other metrics are from the last read that did.", g);
        if (!s->have_state)
                return g_string_free(out, false);

        g = g_string_new(NULL);
        sample(g, "lpmaint_info", "1",
               "version", s->version ? s->version : "",
               "kernel_release", s->kernel_release ? s->kernel_release : "",
               "ring", s->ring ? s->ring : "", NULL);
        family(out, "lpmaint_info", "gauge", "lpmaintd's version, the running kernel's release and the host's ring.", g);

        g = g_string_new(NULL);
        sample(g, "lpmaint_busy", bit_value(s->busy), NULL);
        family(out, "lpmaint_busy", "gauge", "Whether a kernel transition started by lpmaintd is in progress.", g);

        format_patches(out, s);
        format_kernel(out, s);
        format_reboot(out, s);
        format_sync(out, s);

        g = g_string_new(NULL);
        sample(g, "lpmaint_unacknowledged_break_glass", uint_value(&n, s->n_unacknowledged_break_glass), NULL);
        family(out, "lpmaint_unacknowledged_break_glass", "gauge",
               "Live patches applied through break-glass that nobody acknowledged yet.", g);

        return g_string_free(out, false);
}
