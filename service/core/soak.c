/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>

#include "soak.h"
#include "string-table.h"
#include "taint.h"

static const char *const soak_state_table[_SOAK_STATE_MAX] = {
        [SOAK_STATE_NONE] = "",
        [SOAK_STATE_SOAKING] = "soaking",
        [SOAK_STATE_HEALTHY] = "healthy",
        [SOAK_STATE_FAILED] = "failed",
        [SOAK_STATE_CANCELLED] = "cancelled",
};

DEFINE_STRING_TABLE_LOOKUP(soak_state, SoakState);

static char *taint_letters(uint64_t mask) {
        TaintFlag flags[64];
        unsigned n = taint_decode(mask, flags);
        g_autoptr(GString) s = g_string_new(NULL);

        for (unsigned i = 0; i < n; i++)
                g_string_append_printf(s, "%s%c (%s)", i ? ", " : "", flags[i].letter, flags[i].name);
        return g_string_free(g_steal_pointer(&s), false);
}

static uint64_t grown(uint64_t before, uint64_t now) {
        /* Counters only grow; a smaller value means a new boot, judged elsewhere. */
        return now > before ? now - before : 0;
}

SoakVerdict soak_evaluate(const SoakCriteria *c, const SignalSnapshot *baseline, const SignalSnapshot *now,
                          bool soak_over, char **ret_reason) {
        uint64_t new_taint = now->tainted & ~baseline->tainted & ~c->expected_taint;
        unsigned n_taint = (unsigned) __builtin_popcountll(new_taint);

        if (n_taint > c->max_new_taint_flags) {
                g_autofree char *letters = taint_letters(new_taint);
                *ret_reason = g_strdup_printf("new taint flags: %s (at most %u allowed)", letters, c->max_new_taint_flags);
                return SOAK_FAILED;
        }
        if (grown(baseline->oops_count, now->oops_count) > c->max_new_oops) {
                *ret_reason = g_strdup_printf("%" G_GUINT64_FORMAT " new oops (at most %u allowed)",
                                              grown(baseline->oops_count, now->oops_count), c->max_new_oops);
                return SOAK_FAILED;
        }
        if (grown(baseline->warn_count, now->warn_count) > c->max_new_warnings) {
                *ret_reason = g_strdup_printf("%" G_GUINT64_FORMAT " new kernel warnings (at most %u allowed)",
                                              grown(baseline->warn_count, now->warn_count), c->max_new_warnings);
                return SOAK_FAILED;
        }
        if (grown(baseline->log_events, now->log_events) > c->max_log_events) {
                *ret_reason = g_strdup_printf("%" G_GUINT64_FORMAT " kernel log events (Oops, BUG, WARNING, lockups; at most %u allowed)",
                                              grown(baseline->log_events, now->log_events), c->max_log_events);
                return SOAK_FAILED;
        }
        for (int i = 0; baseline->pressure_known && now->pressure_known && i < _PRESSURE_MAX; i++)
                if (now->pressure[i] > baseline->pressure[i] + c->max_pressure_increase) {
                        *ret_reason = g_strdup_printf("%s pressure rose from %u.%02u%% to %u.%02u%% (some, avg60; at most %u.%02u points allowed)",
                                                      pressure_resource_to_string((PressureResource) i),
                                                      baseline->pressure[i] / 100, baseline->pressure[i] % 100,
                                                      now->pressure[i] / 100, now->pressure[i] % 100,
                                                      c->max_pressure_increase / 100, c->max_pressure_increase % 100);
                        return SOAK_FAILED;
                }
        return soak_over ? SOAK_HEALTHY : SOAK_CONTINUE;
}
