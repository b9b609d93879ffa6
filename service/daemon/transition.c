/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Following the kernel: while a transition runs, lpmaintd looks at the
 * patch's sysfs files on a short timer (the kernel sends no notification for
 * them) and applies patch_step(). Nothing runs when no transition does. */
#include <errno.h>
#include <string.h>

#include "log.h"
#include "manager.h"
#include "util.h"

#define POLL_USEC (100 * USEC_PER_MSEC)
/* After a reversal that also hangs, keep watching, but gently. */
#define SLOW_POLL_USEC (1 * USEC_PER_SEC)

/* The Patch object's properties that change, announced as bus/patch-bus.c serves them. */
static void emit_patch_changed(Manager *m, Patch *p) {
        if (!m->bus)
                return;
        (void) sd_bus_emit_properties_changed(m->bus, p->object_path, LPMAINT_PATCH_INTERFACE,
                                              "State", "Operation", "Result", "ResultMessage", "BlockingTasks",
                                              "SupersededBy", "StateChangedUSec", "AppliedUSec",
                                              "BreakGlassAcknowledged", "SoakState", "SoakResult", "SoakEndsUSec", NULL);
}

void manager_patch_changed(Manager *m, Patch *p) {
        patch_forget_audited_outcomes(p);
        int r = patch_save(p);
        if (r < 0)
                manager_record_behind(m, p, r);
        else
                manager_record_saved(m, p);
        /* Audited after the write that holds them, so that a start can complete the trail. */
        manager_outcome_flush(m, p);
        emit_patch_changed(m, p);
        /* A patch's state is one of the reasons for a reboot. */
        manager_emit_reboot_changed(m);
}

static char *describe_tasks(GArray *tasks) {
        g_autoptr(GString) s = g_string_new(NULL);

        for (guint i = 0; i < tasks->len && i < 16; i++) {
                KernelTask *t = &g_array_index(tasks, KernelTask, i);
                g_string_append_printf(s, "%spid %u (%s)", i ? ", " : "", t->pid, t->comm);
        }
        if (tasks->len > 16)
                g_string_append_printf(s, " and %u more", tasks->len - 16);
        return g_string_free(g_steal_pointer(&s), false);
}

static void remove_module(Manager *m, Patch *p) {
        int r = kernel_remove_module(m->kernel, p->name);
        if (r < 0 && r != -ENOENT) {
                g_autofree char *msg = g_strdup_printf("Removing module %s failed: %s", p->name, g_strerror(-r));
                log_warning("%s", msg);
                patch_set_result(p, PATCH_RESULT_REMOVE_FAILED, msg);
        }
}

/* A cumulative patch that reached the patched state took every other patch
 * out of the kernel; record that as what it is. Asked after every apply, not
 * only when the manifest says Replace=true: the module decides what the
 * kernel does, and a patch recorded applied that the kernel dropped just now
 * was replaced by this one. */
static void supersede_others(Manager *m, Patch *replacer) {
        GHashTableIter i;
        Patch *p;

        g_hash_table_iter_init(&i, m->patches);
        while (g_hash_table_iter_next(&i, NULL, (void **) &p)) {
                KernelPatchView v;
                if (p == replacer || (p->status.state != PATCH_APPLIED &&
                                      (p->status.state != PATCH_ABSENT || !replacer->manifest->replace)))
                        continue;
                if (p->applied_usec > replacer->applied_usec)
                        continue;
                /* A replaced patch may linger a moment, disabled and out of
                 * transition, until the kernel frees it: that is gone too. */
                if (kernel_patch_view(m->kernel, p->name, &v) < 0 || (v.present && (v.enabled || v.transition)))
                        continue;
                if (v.module_loaded)
                        remove_module(m, p);
                manager_soak_cancel(m, p);
                g_free(p->superseded_by);
                p->superseded_by = g_strdup(replacer->name);
                patch_set_state(p, PATCH_SUPERSEDED, now_realtime_usec());
                if (replacer->manifest->replace)
                        log_info("Patch %s is superseded by cumulative patch %s.", p->name, replacer->name);
                else
                        log_warning("Patch %s left the kernel when patch %s, whose manifest says Replace=false, was applied; "
                                    "recorded as superseded by it.", p->name, replacer->name);
                manager_patch_changed(m, p);
        }
}

static const char *operation_name(const Patch *p) {
        return p->reapplying ? "reapply" : patch_operation_to_string(p->status.operation);
}

/* The outcome goes into the same write as the state that ends the operation. */
static void record_outcome(Manager *m, Patch *p) {
        Caller c = { .uid = p->requested_uid, .unit = (char *) "" };

        manager_outcome_record(m, p, p->requested_by_self ? &caller_self : &c, operation_name(p), patch_result_to_string(p->status.result), p->result_message);
}

/* After the write: told to the log and the bus (the audit record came with the write). */
static void finish_operation(Manager *m, Patch *p, const char *op) {
        const char *result = patch_result_to_string(p->status.result);

        log_info("Patch %s: %s finished: %s%s%s", p->name, op, result,
                 p->result_message[0] ? ": " : "", p->result_message);
        if (m->bus)
                (void) sd_bus_emit_signal(m->bus, LPMAINT_OBJECT_PATH, LPMAINT_MANAGER_INTERFACE, "TransitionFinished",
                                          "osss", p->object_path, p->name, op, result);
}

static void record_status(Patch *p, const PatchStatus *next, uint64_t now) {
        PatchState before = p->status.state;

        p->status = *next;
        p->status.state = before; /* patch_set_state() stamps the change */
        patch_set_state(p, next->state, now);
}

/* One step for @p; returns true while a transition is still running. */
static bool advance(Manager *m, Patch *p) {
        KernelPatchView view;
        PatchStatus next;
        uint64_t now = now_realtime_usec();
        bool was_transition = patch_state_is_transition(p->status.state);
        int r;

        r = kernel_patch_view(m->kernel, p->name, &view);
        if (r < 0) {
                log_warning("Cannot read kernel state of patch %s, retrying: %s", p->name, g_strerror(-r));
                return was_transition;
        }

        bool deadline_passed = now >= p->transition_started_usec + m->config.transition_timeout_usec;
        PatchAction action = patch_step(&p->status, &view, deadline_passed, &next);

        if (action == PATCH_ACTION_REVERSE) {
                g_autoptr(GArray) tasks = NULL;
                bool towards_patched = p->status.state != PATCH_UNPATCHING;
                if (kernel_blocking_tasks(m->kernel, towards_patched, &tasks) >= 0)
                        patch_set_blocking_tasks(p, tasks);
                g_autofree char *who = describe_tasks(p->blocking_tasks);
                g_autofree char *msg = g_strdup_printf("Transition did not finish within %" PRIu64 " s%s%s; reversing it",
                                                       m->config.transition_timeout_usec / USEC_PER_SEC,
                                                       who[0] ? "; blocked by " : "", who);
                log_warning("Patch %s: %s.", p->name, msg);
                r = kernel_set_enabled(m->kernel, p->name, !view.enabled);
                if (r < 0) {
                        log_error("Patch %s: reversing the transition failed: %s", p->name, g_strerror(-r));
                        return true; /* try again on the next look */
                }
                record_status(p, &next, now);
                patch_set_result(p, PATCH_RESULT_NONE, msg);
                manager_patch_changed(m, p);
                return true;
        }

        bool changed = next.state != p->status.state || next.result != p->status.result || next.reversed != p->status.reversed;
        bool finished = was_transition && !patch_state_is_transition(next.state);
        record_status(p, &next, now);

        if (action == PATCH_ACTION_REMOVE_MODULE)
                remove_module(m, p);
        if (next.state == PATCH_APPLIED && changed) {
                g_free(p->boot_id);
                p->boot_id = g_strdup(m->boot_id);
        }
        /* The applied state, the soak's start and the outcome to audit are one write:
         * a daemon killed after it neither forgets the soak nor the audit record. */
        bool soak = false;
        if (next.state == PATCH_APPLIED && changed && was_transition && p->status.operation == PATCH_OPERATION_APPLY &&
            p->status.result == PATCH_RESULT_SUCCESS && !p->reapplying)
                soak = manager_soak_arm(m, p, now);
        const char *op = operation_name(p);
        if (finished) {
                record_outcome(m, p);
                p->reapplying = false;
                /* A failed soak's rollback is done when its disable ends, in or out of the
                 * kernel; one that lpmaintd died in before the kernel took it is not. */
                if (p->status.operation == PATCH_OPERATION_DISABLE && p->status.result != PATCH_RESULT_INTERRUPTED)
                        p->rollback_pending = false;
        }
        if (changed || finished || action == PATCH_ACTION_REMOVE_MODULE)
                manager_patch_changed(m, p);

        if (next.state == PATCH_APPLIED && changed)
                supersede_others(m, p);
        if (finished)
                finish_operation(m, p, op);
        if (soak)
                manager_soak_begin(m, p);
        if (next.state != PATCH_APPLIED)
                manager_soak_cancel(m, p);

        return patch_state_is_transition(next.state);
}

static void emit_busy(Manager *m) {
        if (m->bus)
                (void) sd_bus_emit_properties_changed(m->bus, LPMAINT_OBJECT_PATH, LPMAINT_MANAGER_INTERFACE, "Busy", NULL);
}

static int on_poll(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        Patch *p = m->transitioning;

        if (p && advance(m, p)) {
                bool slow = p->status.reversed &&
                        now_realtime_usec() >= p->transition_started_usec + 2 * m->config.transition_timeout_usec;
                (void) sd_event_source_set_time_relative(s, slow ? SLOW_POLL_USEC : POLL_USEC);
                (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
                return 0;
        }

        m->transitioning = NULL;
        (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
        emit_busy(m);
        manager_soak_after_transition(m);
        manager_reapply_next(m);
        return 0;
}

void manager_follow_transition(Manager *m, Patch *p) {
        int r;

        m->transitioning = p;
        emit_busy(m);
        if (!m->event)
                return;
        if (!m->poll_source) {
                r = sd_event_add_time_relative(m->event, &m->poll_source, CLOCK_MONOTONIC, POLL_USEC,
                                               10 * USEC_PER_MSEC, on_poll, m);
                if (r < 0) {
                        log_error("Cannot watch the transition of %s: %s", p->name, g_strerror(-r));
                        return;
                }
                return;
        }
        (void) sd_event_source_set_time_relative(m->poll_source, POLL_USEC);
        (void) sd_event_source_set_enabled(m->poll_source, SD_EVENT_ONESHOT);
}

void manager_reconcile(Manager *m) {
        g_autoptr(GPtrArray) replacers = g_ptr_array_new();
        GHashTableIter i;
        Patch *p;

        /* What lpmaintd recorded is compared with what the kernel shows, with
         * the same steps a running transition takes. */
        g_hash_table_iter_init(&i, m->patches);
        while (g_hash_table_iter_next(&i, NULL, (void **) &p)) {
                PatchState before = p->status.state;
                if (advance(m, p)) {
                        if (m->transitioning && m->transitioning != p)
                                log_warning("More than one transition recorded; following %s", p->name);
                        manager_follow_transition(m, p);
                }
                if (p->status.state != before)
                        log_notice("Patch %s: recorded %s, the kernel shows it %s.", p->name,
                                   patch_state_to_string(before), patch_state_to_string(p->status.state));
                if (p->status.state == PATCH_APPLIED && p->manifest->replace)
                        g_ptr_array_add(replacers, p);
        }
        for (guint j = 0; j < replacers->len; j++)
                supersede_others(m, replacers->pdata[j]);
}
