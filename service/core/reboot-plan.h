/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

/* Whether a planned reboot may go ahead now: every gate is looked at and
 * explained, so that "lpmaint reboot plan" tells an administrator exactly
 * what holds a reboot back. Pure: the caller gathers the facts. */

typedef enum RebootVerdict {
        REBOOT_VERDICT_GO,              /* every gate passed */
        REBOOT_VERDICT_NOT_REQUIRED,    /* nothing calls for a reboot */
        REBOOT_VERDICT_OUTSIDE_WINDOW,  /* required, but not now */
        REBOOT_VERDICT_BLOCKED,         /* required and in the window, but something is in the way */
        _REBOOT_VERDICT_MAX,
} RebootVerdict;

const char *reboot_verdict_to_string(RebootVerdict v);

typedef struct RebootPlanInput {
        uint64_t now_usec;
        unsigned n_reasons;             /* RebootReasons */

        bool window_configured;         /* the ring has a RebootCalendar= */
        uint64_t window_start_usec;     /* the timer's last trigger; 0: never */
        uint64_t window_usec;           /* RebootWindowSec= */
        const char *window_error;       /* systemd could not be asked; NULL if it could */

        unsigned n_soaking;             /* patches still soaking */
        unsigned n_transitions;         /* a transition runs */
        char **failed_health_checks;    /* the ring's checks whose last run failed */

        char **block_inhibitors;        /* "WHO: WHY" of logind shutdown block inhibitors */
        unsigned logged_in_users;
        bool reboot_with_users;         /* RebootWithUsers= */
        const char *logind_error;       /* logind could not be asked; NULL if it could */
} RebootPlanInput;

typedef struct RebootGate {
        const char *name;               /* "required", "window", "soak", "health-checks", "inhibitors", "users" */
        bool passed;
        char *detail;
} RebootGate;

GArray *reboot_gates_new(void);
/* Appends a gate; returns @passed. */
bool reboot_gates_add(GArray *gates, const char *name, bool passed, const char *fmt, ...) G_GNUC_PRINTF(4, 5);

/* Appends one RebootGate per gate to @gates, in order, and returns the verdict:
 * the first of not-required, outside-window and blocked that applies. */
RebootVerdict reboot_plan_evaluate(const RebootPlanInput *in, GArray *gates);
