/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "color.h"
#include "format.h"
#include "humanize.h"
#include "interrupt.h"
#include "log.h"
#include "lpmaint.h"
#include "macro.h"
#include "progress.h"
#include "terminal.h"

typedef enum Outcome {
        OUTCOME_RUNNING,
        OUTCOME_SUCCEEDED,
        OUTCOME_FAILED,
} Outcome;

static bool streq_ptr(const char *a, const char *b) {
        return a && b && strcmp(a, b) == 0;
}

static bool isempty(const char *s) {
        return !s || !*s;
}

static Outcome apply_outcome(const Patch *p, bool finished) {
        if (streq_ptr(p->state, "applied"))
                return OUTCOME_SUCCEEDED;
        if (streq_ptr(p->state, "failed") || streq_ptr(p->state, "absent") ||
            streq_ptr(p->state, "disabled") || streq_ptr(p->state, "superseded"))
                return OUTCOME_FAILED;
        /* TransitionFinished came, yet the state is one we do not know:
         * anything but applied is not what was asked for. */
        return finished ? OUTCOME_FAILED : OUTCOME_RUNNING;
}

static Outcome disable_outcome(const Patch *p, bool finished) {
        if (streq_ptr(p->state, "disabled"))
                return OUTCOME_SUCCEEDED;
        if (streq_ptr(p->state, "failed") || streq_ptr(p->state, "absent") ||
            streq_ptr(p->state, "superseded"))
                return OUTCOME_FAILED;
        /* Back at applied with a Result: the reverse transition did not
         * complete (typically it timed out) and the kernel reverted it. */
        if (streq_ptr(p->state, "applied") && streq_ptr(p->operation, "disable") && !isempty(p->result))
                return OUTCOME_FAILED;
        return finished ? OUTCOME_FAILED : OUTCOME_RUNNING;
}

static void print_failure(const Patch *p, bool disabling) {
        const char *what = !isempty(p->result) ? p->result : strdash(p->state);
        /* Colour where the text goes: on standard error here. */
        const char *on = isatty(STDERR_FILENO) ? color_on(ANSI_RED) : "";
        const char *off = isatty(STDERR_FILENO) ? color_off(ANSI_RED) : "";

        fflush(stdout);
        if (!isempty(p->result_message))
                fprintf(stderr, "%sFailed%s: %s: %s\n", on, off, what, p->result_message);
        else if (streq_ptr(p->state, "superseded") && !isempty(p->superseded_by))
                fprintf(stderr, "%sFailed%s: %s: superseded by %s\n", on, off, what, p->superseded_by);
        else
                fprintf(stderr, "%sFailed%s: %s\n", on, off, what);

        if (p->blocking.n > 0) {
                fputs("Blocking tasks:\n", stderr);
                for (size_t i = 0; i < p->blocking.n; i++)
                        fprintf(stderr, "  pid %u (%s)\n", p->blocking.tasks[i].pid, strempty(p->blocking.tasks[i].comm));
        }

        if (disabling && streq_ptr(p->state, "applied"))
                fprintf(stderr, "%s is still applied.\n", strdash(p->name));
}

/* After a successful apply: when the patch's soak ends, if it soaks. */
static void print_soak_end(const Patch *p) {
        char ts[FORMAT_TIMESTAMP_MAX], left[FORMAT_DURATION_MAX];
        uint64_t now = (uint64_t) g_get_real_time();

        if (!streq_ptr(p->soak_state, "soaking") || p->soak_ends_usec == 0)
                return;
        log_info("Soaking until %s (%s from now); lpmaint ring shows the verdict.\n",
                 strdash(format_timestamp(ts, sizeof ts, p->soak_ends_usec)),
                 strdash(format_duration(left, sizeof left, p->soak_ends_usec > now ? p->soak_ends_usec - now : 0)));
}

/* What Ctrl-C says while we wait: the transition is lpmaintd's, not ours. */
static void explain_interrupt(const Patch *p, bool disabling) {
        g_autofree char *host = arg_host ? g_strdup_printf(" -H %s", arg_host) : g_strdup("");
        g_autofree char *message = g_strdup_printf(
                "lpmaint: Stopped waiting. lpmaintd carries on with the %s of %s;\n"
                "follow it with 'lpmaint%s list'.", disabling ? "disable" : "apply", strdash(p->name), host);

        interrupt_explain(message);
}

/* On a terminal, the progress line counts the seconds. */
static void show_elapsed(uint64_t started) {
        char span[FORMAT_DURATION_MAX];
        uint64_t elapsed = ((uint64_t) g_get_monotonic_time() - started) / USEC_PER_SEC * USEC_PER_SEC;

        if (elapsed == 0)
                printf("Transition in progress...");
        else
                printf("\rTransition in progress... %s", strdash(format_duration(span, sizeof span, elapsed)));
        fflush(stdout);
}

int follow_transition(sd_bus *bus, Watch *w, Patch *initial) {
        g_autoptr(Patch) p = initial;
        bool disabling = strcmp(w->operation, "disable") == 0;
        bool announced = false, ticking = false;
        uint64_t started = (uint64_t) g_get_monotonic_time(), next_tick = UINT64_MAX;
        int r;

        explain_interrupt(p, disabling);
        for (;;) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                Outcome o;

                o = disabling ? disable_outcome(p, w->finished) : apply_outcome(p, w->finished);
                if (o != OUTCOME_RUNNING) {
                        interrupt_explain_done();
                        if (ticking)
                                putchar('\n');
                }
                if (o == OUTCOME_SUCCEEDED) {
                        const char *done = disabling ? "Disabled." : "Applied.";
                        const char *color = color_of(disabling ? "success" : "applied");

                        log_info("%s%s%s\n", color_on(color), done, color_off(color));
                        /* The patch is off, but its code stays in the kernel until a reboot. */
                        if (disabling && streq_ptr(p->result, "remove-failed"))
                                fprintf(stderr, "Warning: %s; a reboot is required to remove it (see lpmaint status).\n",
                                        strdash(p->result_message));
                        if (!disabling)
                                print_soak_end(p);
                        return LPMAINT_EXIT_SUCCESS;
                }
                if (o == OUTCOME_FAILED) {
                        print_failure(p, disabling);
                        return LPMAINT_EXIT_FAILED;
                }

                if (!announced && (streq_ptr(p->state, "patching") || streq_ptr(p->state, "unpatching"))) {
                        announced = true;
                        ticking = !arg_quiet && stdout_is_terminal();
                        if (ticking) {
                                show_elapsed(started);
                                next_tick = (uint64_t) g_get_monotonic_time() + USEC_PER_SEC;
                        } else
                                log_info("Transition in progress...\n");
                }

                r = watch_wait(bus, w, next_tick);
                if (r == -ETIMEDOUT) {
                        show_elapsed(started);
                        next_tick += USEC_PER_SEC;
                        continue;
                }
                if (r < 0)
                        return log_bus_error(NULL, r, "Failed to wait for the transition of %s", w->path);

                /* An InterfacesRemoved may be the old object of the same name being
                 * replaced by ours; only reading the object tells which. */
                g_clear_pointer(&p, patch_free);
                r = patch_get(bus, w->path, &p, &error);
                if (r < 0)
                        return log_bus_error(&error, r, "Failed to read the state of %s", w->path);
        }
}
