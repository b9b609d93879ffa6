/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "lpmaint.h"
#include "macro.h"
#include "progress.h"

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

        fflush(stdout);
        if (!isempty(p->result_message))
                fprintf(stderr, "Failed: %s: %s\n", what, p->result_message);
        else if (streq_ptr(p->state, "superseded") && !isempty(p->superseded_by))
                fprintf(stderr, "Failed: %s: superseded by %s\n", what, p->superseded_by);
        else
                fprintf(stderr, "Failed: %s\n", what);

        if (p->blocking.n > 0) {
                fputs("Blocking tasks:\n", stderr);
                for (size_t i = 0; i < p->blocking.n; i++)
                        fprintf(stderr, "  pid %u (%s)\n", p->blocking.tasks[i].pid, strempty(p->blocking.tasks[i].comm));
        }

        if (disabling && streq_ptr(p->state, "applied"))
                fprintf(stderr, "%s is still applied.\n", strdash(p->name));
}

int follow_transition(sd_bus *bus, Watch *w, Patch *initial) {
        g_autoptr(Patch) p = initial;
        bool disabling = strcmp(w->operation, "disable") == 0;
        bool announced = false;
        int r;

        for (;;) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                Outcome o;

                o = disabling ? disable_outcome(p, w->finished) : apply_outcome(p, w->finished);
                if (o == OUTCOME_SUCCEEDED) {
                        puts(disabling ? "Disabled." : "Applied.");
                        /* The patch is off, but its code stays in the kernel until a reboot. */
                        if (disabling && streq_ptr(p->result, "remove-failed"))
                                fprintf(stderr, "Warning: %s; a reboot is required to remove it (see lpmaint status).\n",
                                        strdash(p->result_message));
                        return LPMAINT_EXIT_SUCCESS;
                }
                if (o == OUTCOME_FAILED) {
                        print_failure(p, disabling);
                        return LPMAINT_EXIT_FAILED;
                }

                if (!announced && (streq_ptr(p->state, "patching") || streq_ptr(p->state, "unpatching"))) {
                        puts("Transition in progress...");
                        fflush(stdout);
                        announced = true;
                }

                r = watch_wait(bus, w, UINT64_MAX);
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
