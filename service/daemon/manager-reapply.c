/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Live patches live in memory: a reboot drops them. In the first start of a
 * new boot lpmaintd applies again what was applied for the running kernel
 * before, one transition at a time, oldest first. A patch that was still
 * being applied when the previous boot crashed may be why it crashed: it is
 * quarantined, not applied again, until an administrator applies it anew.
 * "lpmaint.reapply=0" on the kernel command line skips all of it.
 *
 * The plan is written to STATE_DIRECTORY/reapply before anything else of the
 * boot is: lpmaintd killed during the re-apply (not the kernel: the boot is
 * the same) resumes the plan at its next start instead of finding the
 * patches absent and leaving them so. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "errors.h"
#include "log.h"
#include "manager.h"
#include "string-table.h"
#include "util.h"

#define CMDLINE_SWITCH "lpmaint.reapply="
#define PLAN_FILE "reapply"
#define PLAN_FILE_MAX_SIZE (1024 * 1024)
#define PLAN_GROUP "Reapply"
#define RETRY_FIRST_USEC (1 * USEC_PER_SEC)
#define RETRY_MAX_USEC (60 * USEC_PER_SEC)

struct ReapplyPlan {
        GPtrArray *queue;               /* names of patches to apply again after the reboot */
        GPtrArray *quarantine;          /* names of patches not to */
        ReapplyState state;
        sd_event_source *retry;         /* the re-apply that could not be recorded is tried again */
        uint64_t retry_usec;            /* its current back-off; 0 while idle */
};

/* BootReapply, and State= in the plan file. */
static const char *const reapply_state_table[_REAPPLY_STATE_MAX] = {
        [REAPPLY_STATE_NONE] = "",
        [REAPPLY_STATE_SKIPPED] = "skipped",
        [REAPPLY_STATE_PENDING] = "pending",
        [REAPPLY_STATE_RUNNING] = "running",
        [REAPPLY_STATE_DONE] = "done",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(reapply_state, ReapplyState);
DEFINE_PRIVATE_STRING_TABLE_LOOKUP_FROM_STRING(reapply_state, ReapplyState);

ReapplyPlan *reapply_plan_new(void) {
        ReapplyPlan *plan = g_new0(ReapplyPlan, 1);

        plan->queue = g_ptr_array_new_with_free_func(g_free);
        plan->quarantine = g_ptr_array_new_with_free_func(g_free);
        return plan;
}

ReapplyPlan *reapply_plan_free(ReapplyPlan *plan) {
        if (!plan)
                return NULL;
        sd_event_source_unref(plan->retry);
        g_ptr_array_unref(plan->queue);
        g_ptr_array_unref(plan->quarantine);
        return g_free(plan), NULL;
}

ReapplyState manager_reapply_state(Manager *m) {
        return m->reapply->state;
}

static bool reapply_disabled_on_cmdline(Manager *m) {
        g_autofree char *line = NULL;

        if (kernel_cmdline(m->kernel, &line) < 0)
                return false;
        g_auto(GStrv) words = g_strsplit(line, " ", -1);
        bool off = false;
        for (size_t i = 0; words[i]; i++)
                if (g_str_has_prefix(words[i], CMDLINE_SWITCH)) {
                        bool on = true;
                        /* The last one wins, as for the kernel's own switches. */
                        off = parse_bool_str(words[i] + strlen(CMDLINE_SWITCH), &on) >= 0 && !on;
                }
        return off;
}

static gint by_applied_time(gconstpointer a, gconstpointer b) {
        const Patch *x = *(Patch * const *) a, *y = *(Patch * const *) b;
        return x->applied_usec < y->applied_usec ? -1 : x->applied_usec > y->applied_usec;
}

static void set_state(Manager *m, ReapplyState state) {
        m->reapply->state = state;
        if (m->bus)
                (void) sd_bus_emit_properties_changed(m->bus, LPMAINT_OBJECT_PATH, LPMAINT_MANAGER_INTERFACE, "BootReapply", NULL);
}

static void save_plan(Manager *m) {
        g_autoptr(GKeyFile) kf = g_key_file_new();
        gsize size;

        g_key_file_set_string(kf, PLAN_GROUP, "BootID", m->boot_id);
        g_key_file_set_string(kf, PLAN_GROUP, "State", reapply_state_to_string(m->reapply->state));
        g_key_file_set_string_list(kf, PLAN_GROUP, "Queue", (const char *const *) m->reapply->queue->pdata, m->reapply->queue->len);
        g_key_file_set_string_list(kf, PLAN_GROUP, "Quarantine", (const char *const *) m->reapply->quarantine->pdata, m->reapply->quarantine->len);
        g_autofree char *data = g_key_file_to_data(kf, &size, NULL);
        _cleanup_close_ int dir_fd = open_directory_at(AT_FDCWD, m->config.state_directory);
        int r = dir_fd < 0 ? dir_fd : write_file_atomic_at(dir_fd, PLAN_FILE, data, size, 0600);
        if (r < 0)
                log_error("Cannot record the re-apply plan of this boot: %s; a restart of lpmaintd in this boot would not resume it.",
                          g_strerror(-r));
}

static void add_names(GPtrArray *to, char **names) {
        for (size_t i = 0; names && names[i]; i++)
                if (patch_name_is_valid(names[i]))
                        g_ptr_array_add(to, g_strdup(names[i]));
}

/* The plan made by an earlier start in this boot, if any. */
static bool load_plan(Manager *m) {
        g_autofree char *path = g_build_filename(m->config.state_directory, PLAN_FILE, NULL);
        g_autoptr(GKeyFile) kf = g_key_file_new();
        g_autoptr(GBytes) bytes = NULL;
        gsize size = 0;

        int r = read_file_at(AT_FDCWD, path, PLAN_FILE_MAX_SIZE, &bytes);
        if (r == -ENOENT)
                return false;
        const char *data = r < 0 ? NULL : g_bytes_get_data(bytes, &size);
        if (r < 0 || !g_key_file_load_from_data(kf, data ?: "", size, G_KEY_FILE_NONE, NULL)) {
                manager_set_aside_damaged(m, PLAN_FILE, "re-apply plan", r < 0 ? r : -EBADMSG);
                return false;
        }
        g_autofree char *boot = g_key_file_get_string(kf, PLAN_GROUP, "BootID", NULL);
        if (!boot || !g_str_equal(boot, m->boot_id))
                return false;
        g_autofree char *state_name = g_key_file_get_string(kf, PLAN_GROUP, "State", NULL);
        ReapplyState state = reapply_state_from_string(state_name ?: "");
        if (state < 0) {
                manager_set_aside_damaged(m, PLAN_FILE, "re-apply plan", -EBADMSG);
                return false;
        }
        g_auto(GStrv) queue = g_key_file_get_string_list(kf, PLAN_GROUP, "Queue", NULL, NULL);
        g_auto(GStrv) quarantine = g_key_file_get_string_list(kf, PLAN_GROUP, "Quarantine", NULL, NULL);
        add_names(m->reapply->queue, queue);
        add_names(m->reapply->quarantine, quarantine);
        set_state(m, state);
        if (m->reapply->queue->len > 0)
                log_notice("Resuming the re-apply of this boot: %u patch(es) to go.", m->reapply->queue->len);
        return true;
}

void manager_reapply_plan(Manager *m) {
        const BootRecord *prev = boot_log_previous(m->boots);
        g_autoptr(GPtrArray) todo = g_ptr_array_new();
        GHashTableIter i;
        Patch *p;

        if (!m->boot_id[0]) {
                set_state(m, REAPPLY_STATE_NONE);
                return;
        }
        if (load_plan(m))
                return;
        /* No plan for this boot: this is its first start, or the first one died
         * before making it (nothing was reconciled then, so the records still
         * say what the previous boot had). */

        /* Decided before reconciling, which turns what the kernel lost into "absent". */
        g_hash_table_iter_init(&i, m->patches);
        while (g_hash_table_iter_next(&i, NULL, (void **) &p)) {
                if (!g_str_equal(p->manifest->kernel_release, kernel_release(m->kernel)))
                        continue;
                bool applying = (p->status.state == PATCH_LOADING || p->status.state == PATCH_PATCHING) &&
                        p->status.operation == PATCH_OPERATION_APPLY && !g_str_equal(p->boot_id, m->boot_id);
                if (applying && prev && prev->end == BOOT_END_CRASH)
                        g_ptr_array_add(m->reapply->quarantine, g_strdup(p->name));
                else if (p->status.state == PATCH_APPLIED && !g_str_equal(p->boot_id, m->boot_id) &&
                         /* A failed soak stays out; a reboot during a soak fails it. */
                         p->soak_state != SOAK_STATE_FAILED && p->soak_state != SOAK_STATE_SOAKING &&
                         !p->rollback_pending)
                        g_ptr_array_add(todo, p);
        }
        g_ptr_array_sort(todo, by_applied_time);
        for (guint j = 0; j < todo->len; j++)
                g_ptr_array_add(m->reapply->queue, g_strdup(((Patch *) todo->pdata[j])->name));

        if (m->reapply->queue->len > 0 && reapply_disabled_on_cmdline(m)) {
                log_notice("%s0 on the kernel command line: not applying %u patch(es) again.", CMDLINE_SWITCH,
                           m->reapply->queue->len);
                g_ptr_array_set_size(m->reapply->queue, 0);
                set_state(m, REAPPLY_STATE_SKIPPED);
                save_plan(m);
                return;
        }
        set_state(m, m->reapply->queue->len > 0 ? REAPPLY_STATE_PENDING : REAPPLY_STATE_NONE);
        save_plan(m);
}

/* After reconciling: the quarantined patches are marked as such. */
void manager_reapply_quarantine(Manager *m) {

        for (guint j = 0; j < m->reapply->quarantine->len; j++) {
                Patch *p = g_hash_table_lookup(m->patches, m->reapply->quarantine->pdata[j]);
                if (!p || patch_state_is_transition(p->status.state) || p->status.state == PATCH_APPLIED ||
                    p->status.result == PATCH_RESULT_QUARANTINED) /* by an earlier start in this boot */
                        continue;
                g_autofree char *why = g_strdup_printf("it was being applied when boot %s crashed; not applied again",
                                                       boot_log_previous(m->boots)->boot_id);
                patch_set_result(p, PATCH_RESULT_QUARANTINED, why);
                manager_patch_changed(m, p);
                manager_audit(m, &caller_self, "quarantine", p->name, p->manifest->module_sha256, "quarantined", why);
                log_warning("Patch %s: quarantined: %s.", p->name, why);
        }
}

static int on_reapply_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        /* The end of a transition may have run the plan to its end meanwhile. */
        if (m->reapply->queue->len > 0)
                manager_reapply_next(m);
        return 0;
}

/* The patch's record could not be written: the kernel was not touched and
 * the patch is no worse than before. It stays first in the plan (a restart in
 * this boot resumes it too) and is tried again on a timer that backs off. */
static void retry_later(Manager *m, const char *name, const sd_bus_error *error) {
        g_ptr_array_insert(m->reapply->queue, 0, g_strdup(name));
        save_plan(m);
        m->reapply->retry_usec = m->reapply->retry_usec == 0 ? RETRY_FIRST_USEC : MIN(m->reapply->retry_usec * 2, RETRY_MAX_USEC);
        log_warning("Patch %s: cannot apply it again yet: %s; trying again in %" PRIu64 " s.", name, error->message,
                    m->reapply->retry_usec / USEC_PER_SEC);
        if (!m->event)
                return;
        int r = m->reapply->retry ? sd_event_source_set_time_relative(m->reapply->retry, m->reapply->retry_usec) :
                sd_event_add_time_relative(m->event, &m->reapply->retry, CLOCK_MONOTONIC, m->reapply->retry_usec,
                                           100 * USEC_PER_MSEC, on_reapply_retry, m);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->reapply->retry, SD_EVENT_ONESHOT);
        if (r < 0)
                log_error("Cannot arm the timer that tries the re-apply again: %s; a restart of lpmaintd in this boot resumes it.",
                          g_strerror(-r));
}

/* Starts the next re-apply unless a transition runs; called again when one ends. */
void manager_reapply_next(Manager *m) {

        while (!m->transitioning && m->reapply->queue->len > 0) {
                _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
                g_autofree char *name = g_strdup(m->reapply->queue->pdata[0]);
                g_ptr_array_remove_index(m->reapply->queue, 0);

                Patch *p = g_hash_table_lookup(m->patches, name);
                /* A re-apply of this boot that lpmaintd died in before the kernel had
                 * the patch was recorded as interrupted: it is tried again. */
                bool interrupted = p && p->status.state == PATCH_FAILED && p->status.result == PATCH_RESULT_INTERRUPTED &&
                        g_str_equal(p->boot_id, m->boot_id);
                if (!p || (p->status.state != PATCH_ABSENT && !interrupted)) {
                        save_plan(m);
                        continue; /* replaced, changed or done since */
                }
                set_state(m, REAPPLY_STATE_RUNNING);
                int r = manager_reapply(m, p, &error);
                if (r < 0 && sd_bus_error_has_name(&error, LPMAINT_ERROR_STORAGE_FAILED)) {
                        /* Not a verdict on the patch, nor on the rest of the plan. */
                        retry_later(m, name, &error);
                        return;
                }
                /* Taken off the plan once its own record says where it is. */
                save_plan(m);
                if (r >= 0) {
                        m->reapply->retry_usec = 0;
                        continue;
                }
                log_error("Patch %s: cannot apply it again: %s", p->name, error.message);
                if (p->status.state == PATCH_ABSENT || (p->status.state == PATCH_FAILED && p->status.result == PATCH_RESULT_INTERRUPTED)) {
                        patch_set_result(p, PATCH_RESULT_REAPPLY_FAILED, error.message);
                        manager_patch_changed(m, p);
                }
                manager_audit_error(m, &caller_self, "reapply", p->name, p->manifest->module_sha256, &error);
        }
        if (!m->transitioning && (m->reapply->state == REAPPLY_STATE_PENDING || m->reapply->state == REAPPLY_STATE_RUNNING)) {
                set_state(m, REAPPLY_STATE_DONE);
                save_plan(m);
        }
        /* Back from a planned reboot: health is judged with the patches back in place. */
        if (!m->transitioning)
                manager_wave_after_reapply(m);
}
