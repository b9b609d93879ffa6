/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>

#include "reboot-plan.h"
#include "string-table.h"
#include "util.h"

static const char *const reboot_verdict_table[_REBOOT_VERDICT_MAX] = {
        [REBOOT_VERDICT_GO] = "go",
        [REBOOT_VERDICT_NOT_REQUIRED] = "not-required",
        [REBOOT_VERDICT_OUTSIDE_WINDOW] = "outside-window",
        [REBOOT_VERDICT_BLOCKED] = "blocked",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(reboot_verdict, RebootVerdict);

static void reboot_gate_clear(RebootGate *g) {
        g_free(g->detail);
}

GArray *reboot_gates_new(void) {
        GArray *a = g_array_new(false, true, sizeof(RebootGate));
        g_array_set_clear_func(a, (GDestroyNotify) reboot_gate_clear);
        return a;
}

bool reboot_gates_add(GArray *gates, const char *name, bool passed, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        RebootGate g = { .name = name, .passed = passed, .detail = g_strdup_vprintf(fmt, ap) };
        va_end(ap);
        g_array_append_val(gates, g);
        return passed;
}

static bool window_gate(const RebootPlanInput *in, GArray *gates) {
        if (!in->window_configured)
                return reboot_gates_add(gates, "window", false, "the ring has no RebootCalendar=: reboot waves are off");
        if (in->window_error)
                return reboot_gates_add(gates, "window", false, "cannot ask systemd about the reboot wave timer: %s", in->window_error);
        if (in->window_start_usec == 0)
                return reboot_gates_add(gates, "window", false, "the reboot wave timer has not fired yet");

        uint64_t end = in->window_start_usec + in->window_usec;
        g_autofree char *start_s = format_timestamp_utc(in->window_start_usec);
        g_autofree char *end_s = format_timestamp_utc(end);
        if (in->now_usec < in->window_start_usec || in->now_usec >= end)
                return reboot_gates_add(gates, "window", false, "outside the window that opened %s and closed %s", start_s, end_s);
        return reboot_gates_add(gates, "window", true, "inside the window that opened %s, until %s", start_s, end_s);
}

static char *join(char **l) {
        return l && l[0] ? g_strjoinv(", ", l) : g_strdup("");
}

RebootVerdict reboot_plan_evaluate(const RebootPlanInput *in, GArray *gates) {
        bool required = in->n_reasons > 0 ? reboot_gates_add(gates, "required", true, "%u reason(s) to reboot", in->n_reasons) :
                reboot_gates_add(gates, "required", false, "no reason to reboot");
        bool in_window = window_gate(in, gates);
        bool clear = true;

        clear &= in->n_soaking == 0 && in->n_transitions == 0 ?
                reboot_gates_add(gates, "soak", true, "no patch is soaking or in transition") :
                reboot_gates_add(gates, "soak", false, "%u patch(es) soaking, %u in transition: their verdict comes first",
                     in->n_soaking, in->n_transitions);

        g_autofree char *failed = join(in->failed_health_checks);
        clear &= failed[0] ? reboot_gates_add(gates, "health-checks", false, "failed at their last run: %s", failed) :
                reboot_gates_add(gates, "health-checks", true, "none failed at their last run");

        /* Deny on any error: a reboot nobody could check for is not planned. */
        if (in->logind_error) {
                clear &= reboot_gates_add(gates, "inhibitors", false, "cannot ask logind: %s", in->logind_error);
                clear &= reboot_gates_add(gates, "users", false, "cannot ask logind: %s", in->logind_error);
        } else {
                g_autofree char *who = join(in->block_inhibitors);
                clear &= who[0] ? reboot_gates_add(gates, "inhibitors", false, "shutdown is blocked by %s", who) :
                        reboot_gates_add(gates, "inhibitors", true, "no shutdown block inhibitor");
                if (in->logged_in_users == 0)
                        clear &= reboot_gates_add(gates, "users", true, "nobody is logged in");
                else if (in->reboot_with_users)
                        clear &= reboot_gates_add(gates, "users", true, "%u user(s) logged in; RebootWithUsers=yes", in->logged_in_users);
                else
                        clear &= reboot_gates_add(gates, "users", false, "%u user(s) logged in and RebootWithUsers=no", in->logged_in_users);
        }

        if (!required)
                return REBOOT_VERDICT_NOT_REQUIRED;
        if (!in_window)
                return REBOOT_VERDICT_OUTSIDE_WINDOW;
        return clear ? REBOOT_VERDICT_GO : REBOOT_VERDICT_BLOCKED;
}
