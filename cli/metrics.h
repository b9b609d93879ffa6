/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The Prometheus text exposition (format 0.0.4) of lpmaint's state, written
 * from plain structs so that it is tested without a bus. The strings are
 * borrowed; the formatter keeps none of them. Metric names, labels and
 * omissions are documented in lpmaint(1), METRICS. */

typedef struct MetricsPatch {
        const char *name;
        const char *state;        /* Patch.State; NULL or "": no lpmaint_patch_state series */
        const char *soak_state;   /* Patch.SoakState; NULL or "": the patch does not soak */
        uint64_t applied_usec;    /* Patch.AppliedUSec; 0: never applied, left out */
} MetricsPatch;

typedef struct MetricsTaintFlag {
        uint32_t bit;
        const char *letter;       /* as lpmaint status shows it; "?" for a bit without one */
} MetricsTaintFlag;

typedef struct MetricsSyncErrors {
        const char *kind;         /* SyncErrors' key */
        uint64_t count;
} MetricsSyncErrors;

typedef struct MetricsSnapshot {
        /* lpmaintd answered the last read. */
        bool up;
        /* Some read succeeded: the fields below hold the last good one (kept
         * while lpmaintd is away). Without one, only lpmaint_up is written. */
        bool have_state;

        const char *version;
        const char *kernel_release;
        const char *ring;
        bool busy;
        bool reboot_required;
        const char *const *reboot_reason_codes;  /* RebootReasons' codes, duplicates allowed */
        size_t n_reboot_reason_codes;
        uint64_t coverage_ends_usec;             /* 0: not known, left out */
        size_t n_unacknowledged_break_glass;

        uint64_t tainted;
        const MetricsTaintFlag *taint_flags;
        size_t n_taint_flags;
        uint64_t oops_count;
        uint64_t warn_count;

        /* Manager properties an older lpmaintd does not have: their metrics
         * are left out unless has_... is set. */
        bool has_next_reboot_window;
        uint64_t next_reboot_window_usec;        /* 0: no window ahead, left out */
        bool has_scheduled_reboot;
        uint64_t scheduled_reboot_usec;          /* 0: none scheduled, left out */
        bool has_fleet_lock_held;
        bool fleet_lock_held;
        bool has_wave_state;
        const char *wave_state;                  /* "" is shown as "none" */

        /* lpmaint-sync's last report (SyncStatus); 0: none, left out. */
        uint64_t sync_last_run_usec;
        uint64_t sync_last_success_usec;
        uint64_t sync_index_serial;              /* of the last successful run */
        bool has_sync_errors;                    /* lpmaintd has SyncErrors */
        const MetricsSyncErrors *sync_errors;
        size_t n_sync_errors;

        const MetricsPatch *patches;
        size_t n_patches;
} MetricsSnapshot;

/* The exposition, g_free()d by the caller. Families without a sample are
 * left out entirely; every line ends in a newline. */
char *metrics_format(const MetricsSnapshot *s);

/* Appends @value escaped for a label value ("\\", "\"" and "\n") to @out. */
void metrics_escape_label_value(GString *out, const char *value);
