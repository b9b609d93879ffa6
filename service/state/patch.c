/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "patch.h"
#include "util.h"

#define STATE_GROUP "Status"

Patch *patch_new(const char *dir, Manifest *manifest, const char *signer) {
        Patch *p = g_new0(Patch, 1);

        p->dir = g_strdup(dir);
        p->manifest = manifest;
        p->name = g_strdup(manifest->name);
        p->object_path = g_strconcat(LPMAINT_PATCH_PATH_PREFIX "/", p->name, NULL);
        p->signer = g_strdup(signer ?: "");
        p->result_message = g_strdup("");
        p->superseded_by = g_strdup("");
        p->boot_id = g_strdup("");
        p->module_signer = g_strdup("");
        p->module_sig_key = g_strdup("");
        p->module_sig_hashalgo = g_strdup("");
        p->source = g_strdup("");
        p->soak_result = g_strdup("");
        p->blocking_tasks = g_array_new(false, true, sizeof(KernelTask));
        g_array_set_clear_func(p->blocking_tasks, (GDestroyNotify) kernel_task_clear);
        p->outcomes = outcome_list_new();
        return p;
}

void patch_free(Patch *p) {
        if (!p)
                return;
        g_free(p->name);
        g_free(p->object_path);
        g_free(p->dir);
        manifest_free(p->manifest);
        g_free(p->signer);
        g_free(p->result_message);
        g_array_unref(p->blocking_tasks);
        g_free(p->superseded_by);
        g_free(p->boot_id);
        g_free(p->module_signer);
        g_free(p->module_sig_key);
        g_free(p->module_sig_hashalgo);
        g_free(p->source);
        g_free(p->soak_result);
        g_array_unref(p->outcomes);
        g_free(p);
}

static void patch_outcome_clear(PatchOutcome *o) {
        g_free(o->unit);
        g_free(o->action);
        g_free(o->result);
        g_free(o->message);
}

GArray *outcome_list_new(void) {
        GArray *list = g_array_new(false, true, sizeof(PatchOutcome));
        g_array_set_clear_func(list, (GDestroyNotify) patch_outcome_clear);
        return list;
}

void outcome_list_forget_audited(GArray *list) {
        for (guint i = list->len; i > 0; i--)
                if (g_array_index(list, PatchOutcome, i - 1).audited)
                        g_array_remove_index(list, i - 1);
}

PatchOutcome *outcome_list_add(GArray *list, uint64_t time_usec, uint32_t uid, const char *unit,
                               const char *action, const char *result, const char *message) {
        PatchOutcome o = {
                .time_usec = time_usec,
                .uid = uid,
                .unit = g_strdup(unit ?: ""),
                .action = g_strdup(action),
                .result = g_strdup(result ?: ""),
                .message = g_strdup(message ?: ""),
        };
        g_array_append_val(list, o);
        return &g_array_index(list, PatchOutcome, list->len - 1);
}

void outcome_list_save(const GArray *list, GKeyFile *kf, const char *group) {
        for (guint i = 0, n = 0; i < list->len; i++) {
                const PatchOutcome *o = &g_array_index(list, PatchOutcome, i);
                if (o->audited)
                        continue;
                g_autofree char *key = g_strdup_printf("Outcome.%u", n++);
                g_autofree char *t = g_strdup_printf("%" G_GUINT64_FORMAT, o->time_usec);
                g_autofree char *uid = g_strdup_printf("%u", o->uid);
                const char *fields[] = { t, uid, o->unit, o->action, o->result, o->message };
                g_key_file_set_string_list(kf, group, key, fields, G_N_ELEMENTS(fields));
        }
}

int outcome_list_load(GKeyFile *kf, const char *group, GArray *list) {
        for (unsigned n = 0;; n++) {
                g_autofree char *key = g_strdup_printf("Outcome.%u", n);
                gsize len = 0;
                g_auto(GStrv) f = g_key_file_get_string_list(kf, group, key, &len, NULL);
                if (!f)
                        return 0;
                guint64 t, uid;
                if (len != 6 ||
                    !g_ascii_string_to_unsigned(f[0], 10, 0, UINT64_MAX, &t, NULL) ||
                    !g_ascii_string_to_unsigned(f[1], 10, 0, UINT32_MAX, &uid, NULL) || !f[3][0])
                        return -EBADMSG;
                outcome_list_add(list, t, (uint32_t) uid, f[2], f[3], f[4], f[5]);
        }
}

void patch_forget_audited_outcomes(Patch *p) {
        outcome_list_forget_audited(p->outcomes);
}

PatchOutcome *patch_add_outcome(Patch *p, uint64_t time_usec, uint32_t uid, const char *unit,
                                const char *action, const char *result, const char *message) {
        return outcome_list_add(p->outcomes, time_usec, uid, unit, action, result, message);
}

void patch_set_state(Patch *p, PatchState state, uint64_t now_usec) {
        if (p->status.state == state)
                return;
        if (patch_state_is_transition(state) && !patch_state_is_transition(p->status.state))
                p->transition_started_usec = now_usec;
        if (state == PATCH_APPLIED)
                p->applied_usec = now_usec;
        p->status.state = state;
        p->state_changed_usec = now_usec;
}

void patch_set_result(Patch *p, PatchResult result, const char *message) {
        p->status.result = result;
        g_free(p->result_message);
        p->result_message = g_strdup(message ?: "");
}

void patch_set_blocking_tasks(Patch *p, GArray *tasks) {
        g_array_set_size(p->blocking_tasks, 0);
        for (guint i = 0; tasks && i < tasks->len; i++) {
                KernelTask *t = &g_array_index(tasks, KernelTask, i);
                KernelTask copy = { .pid = t->pid, .comm = g_strdup(t->comm) };
                g_array_append_val(p->blocking_tasks, copy);
        }
}

static char *tasks_to_string(GArray *tasks) {
        g_autoptr(GString) s = g_string_new(NULL);

        for (guint i = 0; i < tasks->len; i++) {
                KernelTask *t = &g_array_index(tasks, KernelTask, i);
                g_autofree char *comm = g_strescape(t->comm, NULL);
                g_string_append_printf(s, "%s%u:%s", i ? " " : "", t->pid, comm);
        }
        return g_string_free(g_steal_pointer(&s), false);
}

static void tasks_from_string(GArray *tasks, const char *s) {
        g_auto(GStrv) words = g_strsplit(s, " ", -1);

        for (size_t i = 0; words[i]; i++) {
                char *colon = strchr(words[i], ':');
                if (!colon)
                        continue;
                *colon = '\0';
                KernelTask t = { .pid = (uint32_t) strtoul(words[i], NULL, 10), .comm = g_strcompress(colon + 1) };
                g_array_append_val(tasks, t);
        }
}

int patch_save(const Patch *p) {
        g_autoptr(GKeyFile) kf = g_key_file_new();
        g_autofree char *tasks = tasks_to_string(p->blocking_tasks);

        g_key_file_set_string(kf, STATE_GROUP, "State", patch_state_to_string(p->status.state));
        g_key_file_set_string(kf, STATE_GROUP, "Operation", patch_operation_to_string(p->status.operation));
        g_key_file_set_boolean(kf, STATE_GROUP, "Reversed", p->status.reversed);
        g_key_file_set_string(kf, STATE_GROUP, "Result", patch_result_to_string(p->status.result));
        g_key_file_set_string(kf, STATE_GROUP, "ResultMessage", p->result_message);
        g_key_file_set_string(kf, STATE_GROUP, "BlockingTasks", tasks);
        g_key_file_set_string(kf, STATE_GROUP, "Signer", p->signer);
        g_key_file_set_string(kf, STATE_GROUP, "SupersededBy", p->superseded_by);
        g_key_file_set_string(kf, STATE_GROUP, "BootID", p->boot_id);
        g_key_file_set_uint64(kf, STATE_GROUP, "RequestedUID", p->requested_uid);
        if (p->requested_by_self)
                /* Only then: other records stay as they were. */
                g_key_file_set_boolean(kf, STATE_GROUP, "RequestedBySelf", true);
        g_key_file_set_boolean(kf, STATE_GROUP, "BreakGlass", p->break_glass);
        g_key_file_set_boolean(kf, STATE_GROUP, "BreakGlassAcknowledged", p->break_glass_acknowledged);
        if (p->source[0])
                /* Only patches that came from a channel have one: other records stay as they were. */
                g_key_file_set_string(kf, STATE_GROUP, "Source", p->source);
        g_key_file_set_string(kf, STATE_GROUP, "ModuleSigner", p->module_signer);
        g_key_file_set_string(kf, STATE_GROUP, "ModuleSigKey", p->module_sig_key);
        g_key_file_set_string(kf, STATE_GROUP, "ModuleSigHashAlgo", p->module_sig_hashalgo);
        g_key_file_set_string(kf, STATE_GROUP, "SoakState", soak_state_to_string(p->soak_state));
        g_key_file_set_string(kf, STATE_GROUP, "SoakResult", p->soak_result);
        g_key_file_set_uint64(kf, STATE_GROUP, "SoakStartedUSec", p->soak_started_usec);
        g_key_file_set_uint64(kf, STATE_GROUP, "SoakEndsUSec", p->soak_ends_usec);
        g_key_file_set_boolean(kf, STATE_GROUP, "RollbackPending", p->rollback_pending);
        g_key_file_set_boolean(kf, STATE_GROUP, "Reapplying", p->reapplying);
        g_key_file_set_uint64(kf, STATE_GROUP, "BaselineTainted", p->soak_baseline.tainted);
        g_key_file_set_uint64(kf, STATE_GROUP, "BaselineOopsCount", p->soak_baseline.oops_count);
        g_key_file_set_uint64(kf, STATE_GROUP, "BaselineWarnCount", p->soak_baseline.warn_count);
        g_key_file_set_uint64(kf, STATE_GROUP, "BaselineKmsgSeq", p->soak_baseline.kmsg_seq);
        if (p->soak_baseline.pressure_known)
                for (int i = 0; i < _PRESSURE_MAX; i++) {
                        g_autofree char *key = g_strdup_printf("BaselinePressure.%s", pressure_resource_to_string((PressureResource) i));
                        g_key_file_set_uint64(kf, STATE_GROUP, key, p->soak_baseline.pressure[i]);
                }
        g_key_file_set_uint64(kf, STATE_GROUP, "StateChangedUSec", p->state_changed_usec);
        g_key_file_set_uint64(kf, STATE_GROUP, "AppliedUSec", p->applied_usec);
        g_key_file_set_uint64(kf, STATE_GROUP, "TransitionStartedUSec", p->transition_started_usec);
        /* Outcomes not yet audited. */
        outcome_list_save(p->outcomes, kf, STATE_GROUP);

        gsize size;
        g_autofree char *data = g_key_file_to_data(kf, &size, NULL);
        /* Through the record's own directory, never through a link in its place. */
        _cleanup_close_ int dir_fd = open_directory_at(AT_FDCWD, p->dir);
        if (dir_fd < 0)
                return dir_fd;
        return write_file_atomic_at(dir_fd, PATCH_STATE_FILE, data, size, 0600);
}

/* Replaces *@field with the key's value when the state file has it. */
static void load_string(GKeyFile *kf, const char *key, char **field) {
        char *v = g_key_file_get_string(kf, STATE_GROUP, key, NULL);
        if (!v)
                return;
        g_free(*field);
        *field = v;
}

int patch_load_at(int dir_fd, const char *name, const char *dir, Patch **ret) {
        g_autoptr(GBytes) bytes = NULL, state_bytes = NULL;
        g_autoptr(Manifest) manifest = NULL;
        g_autoptr(GKeyFile) kf = g_key_file_new();
        int r;

        /* The record's directory and files are opened without following a
         * link and without waiting on a FIFO: a link out of the store is refused. */
        _cleanup_close_ int fd = open_directory_at(dir_fd, name);
        if (fd < 0)
                return fd;
        r = read_file_at(fd, PATCH_MANIFEST_FILE, MANIFEST_MAX_SIZE, &bytes);
        if (r < 0)
                return r;
        gsize size;
        const void *data = g_bytes_get_data(bytes, &size);
        if (manifest_parse(data, size, &manifest, NULL) < 0)
                return -EBADMSG;
        r = read_file_at(fd, PATCH_STATE_FILE, PATCH_STATE_MAX_SIZE, &state_bytes);
        if (r < 0)
                return r;
        data = g_bytes_get_data(state_bytes, &size);
        if ((size > 0 && memchr(data, '\0', size)) || !g_key_file_load_from_data(kf, data, size, G_KEY_FILE_NONE, NULL))
                return -EBADMSG;

        g_autofree char *state = g_key_file_get_string(kf, STATE_GROUP, "State", NULL);
        g_autofree char *operation = g_key_file_get_string(kf, STATE_GROUP, "Operation", NULL);
        g_autofree char *result = g_key_file_get_string(kf, STATE_GROUP, "Result", NULL);
        g_autofree char *signer = g_key_file_get_string(kf, STATE_GROUP, "Signer", NULL);
        g_autofree char *tasks = g_key_file_get_string(kf, STATE_GROUP, "BlockingTasks", NULL);
        g_autofree char *soak = g_key_file_get_string(kf, STATE_GROUP, "SoakState", NULL);

        g_autoptr(Patch) p = patch_new(dir, g_steal_pointer(&manifest), signer);
        p->status.state = patch_state_from_string(state);
        p->status.operation = patch_operation_from_string(operation);
        p->status.result = patch_result_from_string(result ?: "");
        p->status.reversed = g_key_file_get_boolean(kf, STATE_GROUP, "Reversed", NULL);
        /* A record from before the soak has none. */
        p->soak_state = soak_state_from_string(soak ?: "");
        if (p->status.state < 0 || p->status.operation < 0 || p->status.result < 0 || p->soak_state < 0)
                return -EBADMSG;

        load_string(kf, "ResultMessage", &p->result_message);
        load_string(kf, "SupersededBy", &p->superseded_by);
        load_string(kf, "Source", &p->source);
        load_string(kf, "BootID", &p->boot_id);
        tasks_from_string(p->blocking_tasks, tasks ?: "");
        p->requested_uid = (uint32_t) g_key_file_get_uint64(kf, STATE_GROUP, "RequestedUID", NULL);
        p->requested_by_self = g_key_file_get_boolean(kf, STATE_GROUP, "RequestedBySelf", NULL);
        p->break_glass = g_key_file_get_boolean(kf, STATE_GROUP, "BreakGlass", NULL);
        p->break_glass_acknowledged = g_key_file_get_boolean(kf, STATE_GROUP, "BreakGlassAcknowledged", NULL);
        load_string(kf, "ModuleSigner", &p->module_signer);
        load_string(kf, "ModuleSigKey", &p->module_sig_key);
        load_string(kf, "ModuleSigHashAlgo", &p->module_sig_hashalgo);
        load_string(kf, "SoakResult", &p->soak_result);
        p->soak_started_usec = g_key_file_get_uint64(kf, STATE_GROUP, "SoakStartedUSec", NULL);
        p->soak_ends_usec = g_key_file_get_uint64(kf, STATE_GROUP, "SoakEndsUSec", NULL);
        p->rollback_pending = g_key_file_get_boolean(kf, STATE_GROUP, "RollbackPending", NULL);
        p->reapplying = g_key_file_get_boolean(kf, STATE_GROUP, "Reapplying", NULL);
        p->soak_baseline = (SignalSnapshot) {
                .tainted = g_key_file_get_uint64(kf, STATE_GROUP, "BaselineTainted", NULL),
                .oops_count = g_key_file_get_uint64(kf, STATE_GROUP, "BaselineOopsCount", NULL),
                .warn_count = g_key_file_get_uint64(kf, STATE_GROUP, "BaselineWarnCount", NULL),
                .kmsg_seq = g_key_file_get_uint64(kf, STATE_GROUP, "BaselineKmsgSeq", NULL),
                .pressure_known = true,
        };
        for (int i = 0; i < _PRESSURE_MAX; i++) {
                g_autofree char *key = g_strdup_printf("BaselinePressure.%s", pressure_resource_to_string((PressureResource) i));
                g_autoptr(GError) e = NULL;
                guint64 v = g_key_file_get_uint64(kf, STATE_GROUP, key, &e);
                p->soak_baseline.pressure[i] = (unsigned) MIN(v, 10000);
                if (e)
                        p->soak_baseline.pressure_known = false;
        }
        p->state_changed_usec = g_key_file_get_uint64(kf, STATE_GROUP, "StateChangedUSec", NULL);
        p->applied_usec = g_key_file_get_uint64(kf, STATE_GROUP, "AppliedUSec", NULL);
        p->transition_started_usec = g_key_file_get_uint64(kf, STATE_GROUP, "TransitionStartedUSec", NULL);
        r = outcome_list_load(kf, STATE_GROUP, p->outcomes);
        if (r < 0)
                return r;

        /* The directory name is the patch name; a mismatch means tampering or a bug. */
        g_autofree char *base = g_path_get_basename(name);
        if (!g_str_equal(base, p->name))
                return -EBADMSG;

        *ret = g_steal_pointer(&p);
        return 0;
}

int patch_load(const char *dir, Patch **ret) {
        return patch_load_at(AT_FDCWD, dir, dir, ret);
}
