/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* A patch is not done when it is applied but when it has soaked for its
 * ring's time without hurting the host. While a patch soaks, the kernel log
 * is followed (each record is a moment to look at the taint mask and the
 * oops and warning counters) and one timer waits for the earliest soak end:
 * nothing wakes the daemon otherwise. A soak that fails rolls the patch back
 * when the ring says so. */
#include <errno.h>
#include <string.h>

#include "errors.h"
#include "kmsg-reader.h"
#include "log.h"
#include "manager.h"
#include "pressure-watch.h"
#include "util.h"

struct SoakMonitor {
        KmsgReader *kmsg;               /* followed while a patch soaks */
        GArray *kmsg_trouble;           /* sequence numbers of troubling kernel log records */
        sd_event_source *soak_timer;
        sd_event_source *soak_judge;    /* one look after a burst of kernel log records */
        PressureWatch *pressure;
        unsigned pressure_threshold[_PRESSURE_MAX]; /* as armed */
        HealthRun *health_run;          /* the ring's health checks, while they run */
};

SoakMonitor *soak_monitor_new(void) {
        SoakMonitor *s = g_new0(SoakMonitor, 1);

        s->kmsg_trouble = g_array_new(false, false, sizeof(uint64_t));
        for (int i = 0; i < _PRESSURE_MAX; i++)
                s->pressure_threshold[i] = 10000;
        return s;
}

SoakMonitor *soak_monitor_free(SoakMonitor *s) {
        if (!s)
                return NULL;
        sd_event_source_unref(s->soak_timer);
        sd_event_source_unref(s->soak_judge);
        kmsg_reader_free(s->kmsg);
        pressure_watch_free(s->pressure);
        health_run_free(s->health_run);
        g_array_unref(s->kmsg_trouble);
        return g_free(s), NULL;
}

static bool soaking(const Patch *p) {
        return p->soak_state == SOAK_STATE_SOAKING;
}

static bool ring_configured(const Manager *m) {
        return m->config.ring && m->config.ring[0];
}

static void set_soak(Patch *p, SoakState state, const char *result) {
        p->soak_state = state;
        g_free(p->soak_result);
        p->soak_result = g_strdup(result ?: "");
}

static void snapshot(Manager *m, const Patch *p, SignalSnapshot *ret) {
        uint64_t events = 0;

        for (guint i = 0; i < m->soak->kmsg_trouble->len; i++)
                if (g_array_index(m->soak->kmsg_trouble, uint64_t, i) > p->soak_baseline.kmsg_seq)
                        events++;
        *ret = (SignalSnapshot) {
                .oops_count = kernel_oops_count(m->kernel),
                .warn_count = kernel_warn_count(m->kernel),
                .log_events = events,
                .kmsg_seq = m->soak->kmsg ? kmsg_reader_last_seq(m->soak->kmsg) : 0,
        };
        (void) kernel_tainted(m->kernel, &ret->tainted);
        ret->pressure_known = true;
        for (int i = 0; i < _PRESSURE_MAX; i++) {
                Pressure pr;
                if (kernel_pressure(m->kernel, (PressureResource) i, &pr) < 0) {
                        ret->pressure_known = false;
                        break;
                }
                ret->pressure[i] = pr.avg60;
        }
}

void manager_soak_take_baseline(Manager *m, Patch *p) {
        if (!ring_configured(m))
                return;
        /* Everything the log holds now is before the patch. */
        if (m->soak->kmsg)
                (void) kmsg_reader_set_enabled(m->soak->kmsg, true);
        snapshot(m, p, &p->soak_baseline);
        p->soak_baseline.log_events = 0;
}

static void emit_finished(Manager *m, Patch *p) {
        if (m->bus)
                (void) sd_bus_emit_signal(m->bus, LPMAINT_OBJECT_PATH, LPMAINT_MANAGER_INTERFACE, "PatchSoakFinished",
                                          "osss", p->object_path, p->name, soak_state_to_string(p->soak_state), p->soak_result);
}

/* Acts on a failed verdict that is already in the patch's record
 * (rollback_pending, with its "rollback accepted" outcome), so that a daemon
 * killed on the way acts on it at its next start. The flag stays in the
 * record until the rollback's disable ends (transition.c clears it): a start
 * that finds the disable interrupted before the kernel took it disables the
 * patch again. */
static void rollback(Manager *m, Patch *p) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;

        if (patch_state_is_transition(p->status.state))
                /* The rollback's own disable, or a transition it waits for. */
                return;
        if (p->status.state != PATCH_APPLIED) {
                /* Out of the kernel already (disabled, superseded, gone with a reboot). */
                if (p->rollback_pending) {
                        p->rollback_pending = false;
                        manager_patch_changed(m, p);
                }
                return;
        }
        if (m->transitioning)
                /* One transition at a time: this one waits for the running one. */
                return;
        /* The disable's intent is written with the flag still set. */
        int r = manager_disable(m, &caller_self, p, &error);
        if (r < 0) {
                log_error("Automatic rollback of %s failed: %s", p->name, error.message);
                manager_audit_error(m, &caller_self, "rollback", p->name, p->manifest->module_sha256, &error);
                if (sd_bus_error_has_name(&error, LPMAINT_ERROR_STORAGE_FAILED)) {
                        /* Nothing was written: the record still asks for the rollback, and so
                         * does memory, for the next start or the write that lands. */
                        manager_record_behind(m, p, r);
                } else {
                        /* The kernel refused: the patch stays applied, as a reversed disable leaves it. */
                        p->rollback_pending = false;
                        manager_patch_changed(m, p);
                }
                return;
        }
        log_warning("Patch %s: soak failed, rolling back.", p->name);
}

/* Ends a soak with its verdict. The verdict, the rollback it calls for and
 * the audit records of both are one write of the patch's record, made before
 * anything is acted on or announced: the rollback's record lands exactly
 * once, whenever the daemon is killed. */
static void conclude(Manager *m, Patch *p, SoakState verdict, const char *reason, bool roll_back) {

        set_soak(p, verdict, reason);
        manager_outcome_record(m, p, &caller_self, "soak", soak_state_to_string(p->soak_state), p->soak_result);
        if (roll_back && p->status.state == PATCH_APPLIED) {
                p->rollback_pending = true;
                manager_outcome_record(m, p, &caller_self, "rollback", "accepted", p->soak_result);
        }
        manager_patch_changed(m, p);
        log_info("Patch %s: soak in ring %s %s%s%s.", p->name, m->config.ring, soak_state_to_string(p->soak_state),
                 reason ? ": " : "", reason ?: "");
        emit_finished(m, p);
}

static void finish(Manager *m, Patch *p, SoakVerdict v, const char *reason) {
        bool roll_back = v == SOAK_FAILED && m->config.automatic_rollback;

        conclude(m, p, v == SOAK_HEALTHY ? SOAK_STATE_HEALTHY : SOAK_STATE_FAILED, reason, roll_back);
        if (roll_back)
                rollback(m, p);
}

static void start_health_checks(Manager *m);
static void rearm(Manager *m);

static void judge(Manager *m, Patch *p, uint64_t now) {
        g_autofree char *reason = NULL;
        SignalSnapshot current;

        snapshot(m, p, &current);
        SoakVerdict v = soak_evaluate(&m->config.soak, &p->soak_baseline, &current, now >= p->soak_ends_usec, &reason);
        if (v == SOAK_CONTINUE)
                return;
        /* The signals say healthy; the administrator's checks have the last word. */
        if (v == SOAK_HEALTHY && m->config.ring_health_checks[0]) {
                start_health_checks(m);
                return;
        }
        finish(m, p, v, reason);
}

/* The first failed check of a run, as evidence; NULL if all passed. */
static char *failed_check(GArray *results) {
        for (guint i = 0; i < results->len; i++) {
                const HealthCheckResult *r = &g_array_index(results, HealthCheckResult, i);
                if (!r->passed)
                        return g_strdup_printf("health check %s failed: %s (after %" PRIu64 " ms)", r->name, r->detail,
                                               r->duration_usec / USEC_PER_MSEC);
        }
        return NULL;
}

static void on_health_checks_done(HealthRun *run, GArray *results, void *userdata) {
        Manager *m = userdata;
        uint64_t now = now_realtime_usec();
        g_autofree char *failure = failed_check(results);
        GHashTableIter i;
        Patch *p;

        (void) manager_health_checks_record(m, results);
        m->soak->health_run = NULL;
        health_run_free(run);

        /* Every patch whose soak is over waited for this run. Its other
         * criteria are looked at once more: they may have failed meanwhile. */
        g_hash_table_iter_init(&i, m->patches);
        while (g_hash_table_iter_next(&i, NULL, (void **) &p)) {
                g_autofree char *reason = NULL;
                SignalSnapshot current;

                if (!soaking(p) || now < p->soak_ends_usec)
                        continue;
                snapshot(m, p, &current);
                SoakVerdict v = soak_evaluate(&m->config.soak, &p->soak_baseline, &current, true, &reason);
                if (v == SOAK_HEALTHY && failure)
                        finish(m, p, SOAK_FAILED, failure);
                else
                        finish(m, p, v, reason);
        }
        rearm(m);
}

static void start_health_checks(Manager *m) {
        g_autoptr(GPtrArray) specs = g_ptr_array_new();

        if (m->soak->health_run)
                return;
        for (size_t i = 0; m->config.ring_health_checks[i]; i++)
                g_ptr_array_add(specs, (gpointer) config_health_check(&m->config, m->config.ring_health_checks[i]));
        int r = health_run_start(m->event, m->bus, specs, on_health_checks_done, m, &m->soak->health_run);
        if (r < 0)
                log_error("Cannot run the ring's health checks: %s", g_strerror(-r));
        else
                log_info("Running the ring's health checks.");
}

static void judge_all(Manager *m) {
        uint64_t now = now_realtime_usec();
        GHashTableIter i;
        Patch *p;

        g_hash_table_iter_init(&i, m->patches);
        while (g_hash_table_iter_next(&i, NULL, (void **) &p))
                if (soaking(p))
                        judge(m, p, now);
}

static int on_soak_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        judge_all(m);
        rearm(m);
        return 0;
}

/* The kernel wakes us when pressure passes the lowest limit of a soaking patch. */
static void arm_pressure(Manager *m, bool any_soaking) {
        unsigned threshold[_PRESSURE_MAX] = { 10000, 10000, 10000 };
        GHashTableIter i;
        Patch *p;

        if (!m->soak->pressure)
                return;
        g_hash_table_iter_init(&i, m->patches);
        while (any_soaking && g_hash_table_iter_next(&i, NULL, (void **) &p))
                if (soaking(p) && p->soak_baseline.pressure_known)
                        for (int r = 0; r < _PRESSURE_MAX; r++)
                                threshold[r] = MIN(threshold[r], p->soak_baseline.pressure[r] + m->config.soak.max_pressure_increase);
        if (memcmp(threshold, m->soak->pressure_threshold, sizeof(threshold)) == 0)
                return;
        memcpy(m->soak->pressure_threshold, threshold, sizeof(threshold));
        (void) pressure_watch_arm(m->soak->pressure, threshold);
}

/* Follows the log and pressure while a patch soaks, and waits for the earliest soak end. */
static void rearm(Manager *m) {
        uint64_t earliest = UINT64_MAX;
        bool any = false;
        GHashTableIter i;
        Patch *p;

        uint64_t now = now_realtime_usec();
        g_hash_table_iter_init(&i, m->patches);
        while (g_hash_table_iter_next(&i, NULL, (void **) &p))
                if (soaking(p)) {
                        any = true;
                        /* A soak that is over waits for the health checks, not the timer. */
                        if (!m->soak->health_run || p->soak_ends_usec > now)
                                earliest = MIN(earliest, p->soak_ends_usec);
                }

        /* The log is followed while a patch soaks or one is being applied. */
        if (m->soak->kmsg)
                (void) kmsg_reader_set_enabled(m->soak->kmsg, ring_configured(m) && (any || m->transitioning));
        arm_pressure(m, any);

        if (!any || earliest == UINT64_MAX) {
                if (m->soak->soak_timer)
                        (void) sd_event_source_set_enabled(m->soak->soak_timer, SD_EVENT_OFF);
                return;
        }
        if (!m->soak->soak_timer) {
                int r = sd_event_add_time(m->event, &m->soak->soak_timer, CLOCK_REALTIME, earliest, USEC_PER_SEC,
                                          on_soak_timer, m);
                if (r < 0)
                        log_error("Cannot arm the soak timer: %s", g_strerror(-r));
                return;
        }
        (void) sd_event_source_set_time(m->soak->soak_timer, earliest);
        (void) sd_event_source_set_enabled(m->soak->soak_timer, SD_EVENT_ONESHOT);
}

static int on_judge(sd_event_source *s, void *userdata) {
        Manager *m = userdata;

        judge_all(m);
        rearm(m);
        return 0;
}

/* Every record is a moment to look: the kernel logs when it taints itself or
 * counts an oops or a warning. One look after a burst of records is enough. */
static void on_kmsg(uint64_t seq, KmsgEvent event, const char *message, size_t len, void *userdata) {
        Manager *m = userdata;

        if (kmsg_event_is_trouble(event)) {
                g_array_append_val(m->soak->kmsg_trouble, seq);
                log_notice("Kernel log: %s: %.*s", kmsg_event_to_string(event), (int) MIN(len, 200), message);
        }
        (void) sd_event_source_set_enabled(m->soak->soak_judge, SD_EVENT_ONESHOT);
}

static void on_pressure(PressureResource res, void *userdata) {
        Manager *m = userdata;

        log_debug("Pressure on %s passed its trigger.", pressure_resource_to_string(res));
        (void) sd_event_source_set_enabled(m->soak->soak_judge, SD_EVENT_ONESHOT);
}

int manager_soak_setup(Manager *m) {
        m->soak->pressure = pressure_watch_new(m->kernel, m->event, on_pressure, m);
        int r = sd_event_add_defer(m->event, &m->soak->soak_judge, on_judge, m);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(m->soak->soak_judge, SD_EVENT_OFF);
        r = kmsg_reader_new(m->kernel, m->event, on_kmsg, m, &m->soak->kmsg);
        if (r < 0)
                /* Without the log, taint and counters are still judged at the soak's end. */
                log_warning("Cannot follow the kernel log: %s; soaks are judged on timers only.", g_strerror(-r));
        return 0;
}

bool manager_soak_arm(Manager *m, Patch *p, uint64_t now) {
        if (!ring_configured(m))
                return false;
        set_soak(p, SOAK_STATE_SOAKING, "");
        p->soak_started_usec = now;
        p->soak_ends_usec = now + m->config.soak.soak_usec;
        return true;
}

void manager_soak_begin(Manager *m, Patch *p) {
        if (!soaking(p))
                return;
        log_info("Patch %s: soaking in ring %s until %" PRIu64 ".", p->name, m->config.ring, p->soak_ends_usec);
        judge(m, p, now_realtime_usec());
        rearm(m);
}

static void cancel(Manager *m, Patch *p, const char *why) {
        if (!soaking(p))
                return;
        set_soak(p, SOAK_STATE_CANCELLED, why);
        manager_patch_changed(m, p);
        rearm(m);
}

void manager_soak_cancel(Manager *m, Patch *p) {
        cancel(m, p, "the patch left the kernel before its soak ended");
}

/* Without a ring there are no criteria to judge by: a soak is cancelled, the
 * same at a reload and at a start (a reload whose cancel was never written,
 * or a ring removed while lpmaintd was stopped), never judged by the
 * criteria of no ring. */
static void cancel_without_ring(Manager *m) {
        GHashTableIter i;
        Patch *p;

        g_hash_table_iter_init(&i, m->patches);
        while (!ring_configured(m) && g_hash_table_iter_next(&i, NULL, (void **) &p))
                cancel(m, p, "the host left its ring before the soak ended");
}

void manager_soak_config_changed(Manager *m) {
        /* A changed ring judges running soaks by its new criteria from now on. */
        cancel_without_ring(m);
        rearm(m);
}

void manager_soak_after_transition(Manager *m) {
        GHashTableIter i;
        Patch *p;

        g_hash_table_iter_init(&i, m->patches);
        while (!m->transitioning && g_hash_table_iter_next(&i, NULL, (void **) &p))
                if (p->rollback_pending)
                        rollback(m, p);
        rearm(m);
}

void manager_soak_note_reboot(Manager *m) {
        GHashTableIter i;
        Patch *p;

        /* A reboot during a soak is evidence in itself: the patch did not
         * survive it, and the host may have rebooted because of it. Looked at
         * before reconciling, which would see the patch gone and cancel. A
         * host that left its ring has no soak to fail. */
        cancel_without_ring(m);
        g_hash_table_iter_init(&i, m->patches);
        while (g_hash_table_iter_next(&i, NULL, (void **) &p)) {
                if (!soaking(p) || !p->boot_id[0] || g_str_equal(p->boot_id, m->boot_id))
                        continue;
                g_autofree char *why = g_strdup_printf("the host rebooted during the soak (boot %s, now %s)", p->boot_id, m->boot_id);
                /* The reboot took the patch out of the kernel already. */
                conclude(m, p, SOAK_STATE_FAILED, why, false);
        }
}

void manager_soak_resume(Manager *m) {
        cancel_without_ring(m);
        rearm(m);
        judge_all(m);
        manager_soak_after_transition(m);
}
