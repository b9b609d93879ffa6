/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* What lpmaintd acknowledged must survive it: a patch's record and the audit
 * records of its outcomes.
 *
 * An outcome (an operation's end, a soak's verdict) is written into the
 * patch's record together with the state it describes, and appended to the
 * audit log after that write, with the time it was recorded at. A start after
 * a crash appends those whose audit record never landed, once: a record of
 * the same time, action and patch already in the log is the one.
 *
 * The reboot wave's record keeps its outcomes the same way (manager-wave.c).
 * An outcome whose append fails stays pending: it is appended at the next
 * flush, on the retry timer and at start.
 *
 * A record that cannot be written once the kernel has the patch (a full
 * disk, an I/O error) cannot be refused any more: the kernel already acted.
 * It is kept in memory, shown in UnsavedRecords, and written again on a
 * timer that backs off, until it lands. */
#include <errno.h>
#include <string.h>

#include "audit-chain.h"
#include "log.h"
#include "manager.h"
#include "util.h"

#define RETRY_FIRST_USEC (1 * USEC_PER_SEC)
#define RETRY_MAX_USEC (60 * USEC_PER_SEC)

struct RecordKeeper {
        GPtrArray *unsaved;             /* names of patches whose record could not be written yet */
        sd_event_source *retry;
        uint64_t retry_usec;            /* the retry timer's current back-off; 0 while idle */
        bool outcomes_recovered;        /* the outcomes an earlier run left were looked up in the audit log */
};

RecordKeeper *record_keeper_new(void) {
        RecordKeeper *k = g_new0(RecordKeeper, 1);

        k->unsaved = g_ptr_array_new_with_free_func(g_free);
        return k;
}

RecordKeeper *record_keeper_free(RecordKeeper *k) {
        if (!k)
                return NULL;
        sd_event_source_unref(k->retry);
        g_ptr_array_unref(k->unsaved);
        return g_free(k), NULL;
}

const GPtrArray *manager_records_unsaved(Manager *m) {
        return m->records->unsaved;
}

bool manager_outcomes_recovered(Manager *m) {
        return m->records->outcomes_recovered;
}

void manager_outcomes_add(GArray *list, const Caller *c, const char *action, const char *result, const char *message) {
        /* Two outcomes in one microsecond would be one to the look-up at start. */
        uint64_t t = now_realtime_usec();
        if (list->len > 0)
                t = MAX(t, g_array_index(list, PatchOutcome, list->len - 1).time_usec + 1);
        outcome_list_add(list, t, c->uid, c->unit, action, result, message);
}

void manager_outcome_record(Manager *m, Patch *p, const Caller *c, const char *action, const char *result,
                            const char *message) {
        manager_outcomes_add(p->outcomes, c, action, result, message);
}

static int append(Manager *m, const char *patch, const char *sha256, const PatchOutcome *o) {
        AuditRecord rec = {
                .time_usec = o->time_usec,
                .uid = o->uid,
                .unit = o->unit,
                .action = o->action,
                .patch = patch,
                .sha256 = sha256,
                .result = o->result,
                .message = o->message,
        };
        return audit_append(m->audit, &rec);
}

static int append_logged(Manager *m, const char *patch, const char *sha256, PatchOutcome *o) {
        int r = append(m, patch, sha256, o);
        if (r < 0) {
                /* Still in the record: the next write keeps it, a retry or a start appends it. */
                log_error("Cannot append the %s outcome%s%s to the audit log: %s", o->action, patch[0] ? " of " : "", patch,
                          g_strerror(-r));
                return r;
        }
        o->audited = true;
        return 0;
}

int manager_outcomes_flush(Manager *m, GArray *list, const char *patch, const char *sha256) {
        for (guint i = 0; i < list->len; i++) {
                PatchOutcome *o = &g_array_index(list, PatchOutcome, i);
                if (o->audited)
                        continue;
                int r = append_logged(m, patch, sha256, o);
                if (r < 0)
                        return r;
        }
        return 0;
}

void manager_outcome_flush(Manager *m, Patch *p) {
        (void) manager_outcomes_flush(m, p->outcomes, p->name, p->manifest->module_sha256);
}

static bool in_log(GArray *log, const char *patch, const PatchOutcome *o) {
        for (guint i = 0; i < log->len; i++) {
                const AuditChainRecord *rec = &g_array_index(log, AuditChainRecord, i);
                if (rec->time_usec == o->time_usec && g_str_equal(rec->action, o->action) && g_str_equal(rec->patch, patch))
                        return true;
        }
        return false;
}

/* A disable is accepted (audited) before its intent is written into the
 * patch's record: lpmaintd killed in between leaves an accepted record that
 * nothing follows, a patch still applied, and a caller without a reply. Its
 * outcome is that it was interrupted before anything changed. */
static void close_unacted_disable(Manager *m, GArray *log, Patch *p) {
        uint64_t accepted = 0;

        for (guint i = 0; i < log->len; i++) {
                const AuditChainRecord *rec = &g_array_index(log, AuditChainRecord, i);
                if (!g_str_equal(rec->patch, p->name))
                        continue;
                if (g_str_equal(rec->action, "disable") && g_str_equal(rec->result, "accepted"))
                        accepted = rec->time_usec;
                else if (!g_str_equal(rec->result, "accepted") &&
                         (g_str_equal(rec->action, "disable") || g_str_equal(rec->action, "apply") ||
                          g_str_equal(rec->action, "apply-break-glass") || g_str_equal(rec->action, "reapply")))
                        accepted = 0; /* its outcome, or the record that it was refused */
        }
        if (accepted == 0 || accepted < p->state_changed_usec)
                return;
        log_notice("Patch %s: a disable was accepted but lpmaintd stopped before acting on it; recording it as interrupted.",
                   p->name);
        manager_outcome_record(m, p, &caller_self, "disable", "interrupted",
                               "lpmaintd stopped before acting on it; the caller got no reply; the patch stays applied");
}

static uint64_t oldest_of(GArray *list, uint64_t oldest) {
        for (guint j = 0; j < list->len; j++)
                oldest = MIN(oldest, g_array_index(list, PatchOutcome, j).time_usec);
        return oldest;
}

/* Marks those of @list found in @log audited and appends the others, in order. */
static void complete(Manager *m, GArray *log, GArray *list, const char *patch, const char *sha256, const char *whose) {
        for (guint j = 0; j < list->len; j++) {
                PatchOutcome *o = &g_array_index(list, PatchOutcome, j);
                if (o->audited || in_log(log, patch, o)) {
                        o->audited = true;
                        continue;
                }
                log_notice("%s: the audit record of its %s outcome (%s) did not land before lpmaintd stopped; appending it.",
                           whose, o->action, o->result);
                if (append_logged(m, patch, sha256, o) < 0)
                        break;
        }
}

void manager_outcome_recover(Manager *m) {
        g_autoptr(GArray) log = NULL;
        uint64_t oldest = UINT64_MAX;
        GHashTableIter i;
        Patch *p;

        g_hash_table_iter_init(&i, m->patches);
        while (g_hash_table_iter_next(&i, NULL, (void **) &p)) {
                oldest = oldest_of(p->outcomes, oldest);
                /* A disable accepted since its record last changed. */
                if (p->status.state == PATCH_APPLIED)
                        oldest = MIN(oldest, p->state_changed_usec);
        }
        GArray *wave_outcomes = manager_wave_outcomes(m);
        if (wave_outcomes)
                oldest = oldest_of(wave_outcomes, oldest);
        if (oldest == UINT64_MAX) {
                m->records->outcomes_recovered = true;
                return;
        }
        /* An outcome is never older than the oldest one a record still holds. */
        int r = audit_read_since(m->audit, oldest, &log);
        if (r < 0) {
                /* Appending blindly could write a record twice; a later start tries again. */
                log_error("Cannot read the audit log to complete it: %s; outcomes recorded but maybe not audited stay pending.",
                          g_strerror(-r));
                return;
        }
        m->records->outcomes_recovered = true;

        g_hash_table_iter_init(&i, m->patches);
        while (g_hash_table_iter_next(&i, NULL, (void **) &p)) {
                if (p->status.state == PATCH_APPLIED)
                        close_unacted_disable(m, log, p);
                if (p->outcomes->len == 0)
                        continue;
                g_autofree char *whose = g_strdup_printf("Patch %s", p->name);
                complete(m, log, p->outcomes, p->name, p->manifest->module_sha256, whose);
                /* Written without them; a failure keeps them for the next start, which finds them in the log. */
                r = patch_save(p);
                if (r < 0)
                        manager_record_behind(m, p, r);
        }
        if (wave_outcomes && wave_outcomes->len > 0) {
                complete(m, log, wave_outcomes, "", "", "The reboot wave");
                /* Those still pending are appended again on the timer. */
                if (manager_wave_flush(m))
                        manager_record_retry(m);
        }
}

/* ---- records that could not be written */

static bool behind(Manager *m, const char *name, guint *ret_index) {
        return g_ptr_array_find_with_equal_func(m->records->unsaved, name, g_str_equal, ret_index);
}

static void emit_unsaved(Manager *m) {
        if (m->bus)
                (void) sd_bus_emit_properties_changed(m->bus, LPMAINT_OBJECT_PATH, LPMAINT_MANAGER_INTERFACE, "UnsavedRecords", NULL);
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        bool changed = false;

        /* A start that could not read the log to complete it tries again. */
        if (!m->records->outcomes_recovered)
                manager_outcome_recover(m);
        bool pending = manager_wave_flush(m);
        for (guint i = 0; i < m->records->unsaved->len;) {
                Patch *p = g_hash_table_lookup(m->patches, m->records->unsaved->pdata[i]);
                int r = p ? patch_save(p) : 0;
                if (r < 0) {
                        log_debug("Record of patch %s still cannot be written: %s", p->name, g_strerror(-r));
                        i++;
                        continue;
                }
                if (p) {
                        log_notice("Record of patch %s written after all.", p->name);
                        manager_outcome_flush(m, p);
                }
                g_ptr_array_remove_index(m->records->unsaved, i);
                changed = true;
        }
        if (changed) {
                emit_unsaved(m);
                /* A rollback that waited for its record to be written can run now. */
                if (!m->transitioning)
                        manager_soak_after_transition(m);
        }
        if (m->records->unsaved->len == 0 && !pending) {
                m->records->retry_usec = 0;
                return 0;
        }
        m->records->retry_usec = MIN(m->records->retry_usec * 2, RETRY_MAX_USEC);
        (void) sd_event_source_set_time_relative(s, m->records->retry_usec);
        (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        return 0;
}

void manager_record_behind(Manager *m, Patch *p, int error) {
        log_error("Cannot write the record of patch %s: %s; the kernel has already acted, writing it again until it lands.",
                  p->name, g_strerror(-error));
        if (behind(m, p->name, NULL))
                return;
        g_ptr_array_add(m->records->unsaved, g_strdup(p->name));
        emit_unsaved(m);
        manager_record_retry(m);
}

void manager_record_retry(Manager *m) {
        if (!m->event || m->records->retry_usec > 0)
                return;
        m->records->retry_usec = RETRY_FIRST_USEC;
        int r = m->records->retry ? sd_event_source_set_time_relative(m->records->retry, m->records->retry_usec) :
                sd_event_add_time_relative(m->event, &m->records->retry, CLOCK_MONOTONIC, m->records->retry_usec,
                                           100 * USEC_PER_MSEC, on_retry, m);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->records->retry, SD_EVENT_ONESHOT);
        if (r < 0)
                log_error("Cannot arm the timer that writes records again: %s", g_strerror(-r));
}

void manager_record_saved(Manager *m, Patch *p) {
        guint i;

        if (!behind(m, p->name, &i))
                return;
        g_ptr_array_remove_index(m->records->unsaved, i);
        emit_unsaved(m);
}
