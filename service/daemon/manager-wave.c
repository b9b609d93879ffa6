/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Reboot waves: lpmaint-reboot-wave.service asks RunRebootWave when the
 * ring's timer fires; when every gate passes, the pre-reboot hooks run and
 * logind is asked to reboot (ScheduleShutdown, so that shutdown -c, wall
 * messages and nologin keep working). The wave, an administrator's request
 * and the fleet lock are saved before anyone is told, and the start that
 * finds a wave scheduled in an earlier boot runs the ring's health checks to
 * close it. The audit records of the wave's outcomes are written into its
 * record with the state they describe and appended after it, exactly once
 * (manager-records.c): a full or failing audit log loses none of them. */
#include <errno.h>
#include <stdarg.h>

#include "errors.h"
#include "log.h"
#include "manager.h"
#include "reboot-reasons.h"
#include "system-bus-names.h"
#include "util.h"

#define WAVE_TIMER_PATH "/org/freedesktop/systemd1/unit/lpmaint_2dreboot_2dwave_2etimer"
#define SCHEDULE_MAX_AHEAD_USEC (UINT64_C(366) * 24 * 3600 * USEC_PER_SEC)
/* A schedule a moment in the past is "now": clocks and round trips differ. */
#define SCHEDULE_SLACK_USEC (5 * USEC_PER_SEC)
#define NEXT_WINDOW_CACHE_USEC (60 * USEC_PER_SEC)
#define LOGIND_TIMEOUT_USEC (10 * USEC_PER_SEC)


/* The wave concern's state; Manager holds one, from manager_wave_start() on. */
struct WaveRun {
        RebootWave *record;             /* the host's part of a reboot wave, as saved */
        HealthRun *hook_run;            /* pre-reboot hooks, while they run */
        sd_bus_message *call;           /* the RunRebootWave call waiting for them */
        WaveAnswerFunc answer;          /* how it is answered */
        Caller caller;
        bool fleet_lock;                /* the caller holds the fleet lock */
        HealthRun *verify_run;          /* the ring's health checks after a planned reboot */
        uint64_t next_window_usec;      /* the wave timer's next elapse, as last asked */
        uint64_t next_window_asked_usec;
};

static WaveRun *wave_run_new(void) {
        return g_new0(WaveRun, 1);
}

static WaveRun *wave_run_free(WaveRun *w) {
        if (!w)
                return NULL;
        health_run_free(w->hook_run);
        health_run_free(w->verify_run);
        if (w->call)
                sd_bus_message_unref(w->call);
        caller_clear(&w->caller);
        reboot_wave_free(w->record);
        g_free(w);
        return NULL;
}

const RebootWave *manager_wave_record(Manager *m) {
        return m->wave ? m->wave->record : NULL;
}

GArray *manager_wave_outcomes(Manager *m) {
        return m->wave ? m->wave->record->outcomes : NULL;
}

void wave_answer_clear(WaveAnswer *a) {
        if (a->gates)
                g_array_unref(g_steal_pointer(&a->gates));
        sd_bus_error_free(&a->error);
}

static void emit(Manager *m) {
        if (m->bus)
                (void) sd_bus_emit_properties_changed(m->bus, LPMAINT_OBJECT_PATH, LPMAINT_MANAGER_INTERFACE,
                                                      "WaveState", "ScheduledRebootUSec", "ScheduledRebootBy",
                                                      "FleetLockHeld", NULL);
        /* A request is one of the reasons. */
        manager_emit_reboot_changed(m);
}

bool manager_wave_flush(Manager *m) {
        if (!m->wave)
                return false;
        /* Before the start looked them up in the log, appending could write one
         * twice: until then they stay pending (the retry timer looks again). */
        if (manager_outcomes_recovered(m) && manager_outcomes_flush(m, m->wave->record->outcomes, "", "") >= 0)
                return false;
        for (guint i = 0; i < m->wave->record->outcomes->len; i++)
                if (!g_array_index(m->wave->record->outcomes, PatchOutcome, i).audited)
                        return true;
        return false;
}

/* An outcome of the wave: the next write of the record holds it, and it is
 * appended after that write. */
static void outcome(Manager *m, const Caller *caller, const char *action, const char *result, const char *message) {
        manager_outcomes_add(m->wave->record->outcomes, caller, action, result, message);
}

/* After a write of the record: the outcomes it holds go to the audit log. */
static void flush(Manager *m) {
        if (manager_wave_flush(m))
                manager_record_retry(m);
}

static int write_record(Manager *m) {
        int r = reboot_wave_save(m->wave->record, m->config.state_directory);
        if (r >= 0)
                /* Left out of the write: the log has them. */
                outcome_list_forget_audited(m->wave->record->outcomes);
        return r;
}

/* Saves the wave; the caller has not told anyone yet, so a failure is the
 * caller's error and nothing is acknowledged. */
static int save(Manager *m, sd_bus_error *error) {
        int r = write_record(m);
        /* An outcome is appended even when its record cannot be written: what it tells happened. */
        flush(m);
        /* Announced either way: the properties show the wave as held in memory, and
         * `lpmaint reboot finish` follows them rather than polling. */
        emit(m);
        if (r < 0) {
                log_error("Cannot save the reboot wave: %s", g_strerror(-r));
                return sd_bus_error_set_errnof(error, r, "Cannot save the reboot wave: %s", g_strerror(-r));
        }
        return 0;
}

static void save_or_log(Manager *m) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        (void) save(m, &error);
}

void manager_wave_start(Manager *m) {
        m->wave = wave_run_new();
        int r = reboot_wave_load(m->config.state_directory, &m->wave->record);
        if (r < 0) {
                manager_set_aside_damaged(m, "reboot-wave", "reboot wave", r);
                m->wave->record = reboot_wave_new();
        }
        if (!m->boot_id[0]) {
                if (m->wave->record->state == WAVE_HOOKS) {
                        /* The hooks died with the daemon; the next run starts them again. */
                        m->wave->record->state = WAVE_WAITING;
                        save_or_log(m);
                }
                return;
        }
        /* Told by the record, not by whether this is the boot's first start: a
         * start killed before it wrote the change makes it again. */
        WaveState before = m->wave->record->state;
        bool requested = m->wave->record->request_boot_id[0];
        if (reboot_wave_note_boot(m->wave->record, m->boot_id, m->new_boot))
                log_info("Back from a planned reboot: the ring's health checks run once the patches are back.");
        if (before != m->wave->record->state || requested != (m->wave->record->request_boot_id[0] != '\0'))
                save_or_log(m);
}

void manager_wave_free(Manager *m) {
        m->wave = wave_run_free(m->wave);
}

/* Our reboot is due and we are being stopped: that is logind carrying it
 * out, even when systemd, busy going down, cannot tell us in time whether to
 * a reboot (its reboot.target job) or says nothing at all. */
BootEnd manager_wave_boot_end(Manager *m, BootEnd end, char **ret_reason) {
        if (!m->wave || m->wave->record->state != WAVE_SCHEDULED || !g_str_equal(m->wave->record->scheduled_boot_id, m->boot_id))
                return end;
        bool due = now_realtime_usec() + SCHEDULE_SLACK_USEC >= m->wave->record->scheduled_usec;
        bool unsure = end == BOOT_END_SHUTDOWN || end == BOOT_END_DAEMON_STOPPED;
        if (end != BOOT_END_REBOOT && !(due && unsure))
                return end;
        *ret_reason = g_strdup_printf("%s: %s", m->wave->record->scheduled_by, m->wave->record->reasons);
        return BOOT_END_PLANNED_REBOOT;
}

/* ---- after a planned reboot: the ring's health checks close the wave */

static void verified(Manager *m, const char *failed) {
        if (failed[0]) {
                m->wave->record->state = WAVE_FAILED;
                log_error("After the planned reboot the ring's health checks failed (%s)%s.", failed,
                          m->wave->record->fleet_lock_held ? "; the fleet lock stays held" : "");
                outcome(m, &caller_self, "reboot-completed", "failed", failed);
        } else {
                reboot_wave_close(m->wave->record);
                log_info("The planned reboot is complete: the ring's health checks passed.");
                outcome(m, &caller_self, "reboot-completed", "success", "");
        }
        save_or_log(m);
}

static void on_verified(HealthRun *run, GArray *results, void *userdata) {
        Manager *m = userdata;
        g_autoptr(GString) failed = g_string_new(NULL);

        (void) manager_health_checks_record(m, results);
        for (guint i = 0; i < results->len; i++) {
                const HealthCheckResult *h = &g_array_index(results, HealthCheckResult, i);
                if (!h->passed)
                        g_string_append_printf(failed, "%s%s: %s", failed->len ? "; " : "", h->name, h->detail);
        }
        m->wave->verify_run = NULL;
        health_run_free(run);
        verified(m, failed->str);
}

/* Copies: a reload during the run must not free what it runs. */
static GPtrArray *hooks_specs(Manager *m) {
        GPtrArray *specs = g_ptr_array_new_with_free_func((GDestroyNotify) health_check_spec_free);
        for (size_t i = 0; m->config.ring_pre_reboot_hooks[i]; i++)
                g_ptr_array_add(specs, health_check_spec_dup(config_pre_reboot_hook(&m->config, m->config.ring_pre_reboot_hooks[i])->check));
        return specs;
}

void manager_wave_after_reapply(Manager *m) {
        if (!m->wave || m->wave->record->state != WAVE_VERIFYING || m->wave->verify_run)
                return;
        g_autoptr(GPtrArray) specs = manager_health_ring_specs(m);
        if (specs->len == 0) {
                verified(m, "");
                return;
        }
        int r = health_run_start(m->event, m->bus, specs, on_verified, m, &m->wave->verify_run);
        if (r < 0) {
                /* Deny on error: a host whose health nobody checked keeps the lock. */
                g_autofree char *why = g_strdup_printf("cannot run the ring's health checks: %s", g_strerror(-r));
                verified(m, why);
        }
}

/* ---- scheduling through logind */

static char *reasons_text(Manager *m) {
        g_autoptr(GArray) reasons = manager_reboot_reasons(m);
        g_autoptr(GString) s = g_string_new(NULL);

        for (guint i = 0; i < reasons->len; i++) {
                const RebootReason *r = &g_array_index(reasons, RebootReason, i);
                g_string_append_printf(s, "%s%s (%s)", s->len ? "; " : "", r->code, r->text);
        }
        return g_string_free(g_steal_pointer(&s), false);
}

static int logind_call(Manager *m, const char *method, sd_bus_error *error, const char *types, ...) {
        g_autoptr(sd_bus_message) call = NULL;
        g_autoptr(sd_bus_message) reply = NULL;
        va_list ap;
        int r;

        r = sd_bus_message_new_method_call(m->bus, &call, LOGIND_DEST, LOGIND_PATH, LOGIND_MANAGER, method);
        if (r < 0)
                return r;
        va_start(ap, types);
        r = types ? sd_bus_message_appendv(call, types, ap) : 0;
        va_end(ap);
        if (r < 0)
                return r;
        return sd_bus_call(m->bus, call, LOGIND_TIMEOUT_USEC, error, &reply);
}

static void restore(Manager *m, RebootWave *saved) {
        g_free(m->wave->record->scheduled_by);
        g_free(m->wave->record->scheduled_boot_id);
        g_free(m->wave->record->reasons);
        *m->wave->record = *saved;
}

/* Records the intent, then asks logind to reboot at @when, then records its
 * answer together with the outcome (@action "scheduled", by @caller).
 * Killed in between, the next start finds the intent and asks logind what
 * it has (manager_wave_reconcile()): logind never holds a reboot that
 * lpmaint has no record of. On a failure before logind said yes nothing is
 * scheduled and the intent is withdrawn. */
static int schedule(Manager *m, const Caller *caller, const char *action, const char *by, uint64_t when, bool fleet_lock,
                    sd_bus_error *error) {
        RebootWave *w = m->wave->record;
        _cleanup_bus_error_ sd_bus_error lerror = SD_BUS_ERROR_NULL;
        int r;

        g_autofree char *reasons = reasons_text(m);
        RebootWave saved = *w;
        w->state = WAVE_SCHEDULED;
        w->scheduled_usec = when;
        w->scheduled_by = g_strdup(by);
        w->scheduled_boot_id = g_strdup(m->boot_id);
        w->reasons = g_strdup(reasons);
        w->fleet_lock_held = saved.fleet_lock_held || fleet_lock;
        w->schedule_unconfirmed = true;
        r = reboot_wave_save(w, m->config.state_directory);
        if (r < 0) {
                /* Unrecorded, it must not happen: a reboot nobody knows why is a crash to the next boot. */
                restore(m, &saved);
                return sd_bus_error_setf(error, LPMAINT_ERROR_REBOOT_FAILED, "Cannot record the planned reboot, so it is not scheduled: %s",
                                         g_strerror(-r));
        }

        r = logind_call(m, "ScheduleShutdown", &lerror, "st", "reboot", when);
        if (r < 0) {
                restore(m, &saved);
                /* If this write fails too, the next start finds logind without the schedule and withdraws it. */
                save_or_log(m);
                return sd_bus_error_setf(error, LPMAINT_ERROR_REBOOT_FAILED, "logind did not schedule the reboot: %s",
                                         lerror.message ?: g_strerror(-r));
        }

        w->schedule_unconfirmed = false;
        outcome(m, caller, action, "scheduled", w->reasons);
        r = write_record(m);
        if (r < 0)
                /* The intent is on disk: the next start adopts logind's schedule. */
                log_warning("Cannot record that logind confirmed the reboot: %s; the record of the intent stands.", g_strerror(-r));
        flush(m);
        g_free(saved.scheduled_by);
        g_free(saved.scheduled_boot_id);
        g_free(saved.reasons);
        emit(m);

        g_autofree char *at = format_timestamp_utc(when);
        log_notice("Reboot scheduled through logind for %s (%s): %s.", at, by, reasons);
        return 0;
}

/* logind's ScheduledShutdown; < 0 when it cannot be asked. */
static int logind_scheduled(Manager *m, char **ret_type, uint64_t *ret_usec) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autoptr(sd_bus_message) reply = NULL;
        const char *type = NULL;
        uint64_t usec = 0;
        int r;

        if (!m->bus)
                return -ENOTCONN;
        r = sd_bus_get_property(m->bus, LOGIND_DEST, LOGIND_PATH, LOGIND_MANAGER, "ScheduledShutdown", &error, &reply, "(st)");
        if (r >= 0)
                r = sd_bus_message_read(reply, "(st)", &type, &usec);
        if (r < 0)
                return r;
        *ret_type = g_strdup(type ?: "");
        *ret_usec = usec;
        return 0;
}

static void reopen(Manager *m) {
        reboot_wave_unschedule(m->wave->record);
        m->wave->record->state = WAVE_WAITING;
        save_or_log(m);
}

/* A reboot we scheduled that logind no longer has was cancelled behind our
 * back (shutdown -c): the wave is open again. */
static void reconcile_with_logind(Manager *m) {
        g_autofree char *type = NULL;
        uint64_t usec = 0;

        if (m->wave->record->state != WAVE_SCHEDULED)
                return;
        if (logind_scheduled(m, &type, &usec) < 0)
                return; /* cannot tell: keep what we know */
        if (type[0] && usec != 0)
                return;
        log_notice("The reboot scheduled for this wave was cancelled outside lpmaint (shutdown -c?); the wave is open again.");
        outcome(m, &caller_self, "reboot-cancelled", "success", "cancelled outside lpmaint");
        reopen(m);
}

void manager_wave_reconcile(Manager *m) {
        RebootWave *w = m->wave->record;
        g_autofree char *type = NULL;
        uint64_t usec = 0;

        if (w->state != WAVE_SCHEDULED || !g_str_equal(w->scheduled_boot_id, m->boot_id))
                return;
        if (!w->schedule_unconfirmed) {
                reconcile_with_logind(m);
                return;
        }
        /* lpmaintd stopped between recording the intent and recording logind's answer. */
        if (logind_scheduled(m, &type, &usec) < 0) {
                log_warning("A reboot was being scheduled when lpmaintd stopped and logind cannot be asked; keeping the record.");
                return;
        }
        if (g_str_equal(type, "reboot") && usec != 0) {
                g_autofree char *at = format_timestamp_utc(usec);
                w->scheduled_usec = usec;
                w->schedule_unconfirmed = false;
                outcome(m, &caller_self, "reboot-schedule", "success", "adopted from logind: lpmaintd stopped before it recorded logind's answer");
                save_or_log(m);
                log_notice("logind has the reboot lpmaintd was scheduling when it stopped (%s); adopted.", at);
                return;
        }
        log_notice("The reboot lpmaintd was scheduling when it stopped never reached logind; the wave is open again.");
        outcome(m, &caller_self, "reboot-schedule", "failed", "lpmaintd stopped before logind scheduled the reboot");
        reopen(m);
}

/* ---- a wave's run: every gate, the pre-reboot hooks, then logind */

static char *failed_gates(const GArray *gates) {
        g_autoptr(GString) s = g_string_new(NULL);
        for (guint i = 0; i < gates->len; i++) {
                const RebootGate *g = &g_array_index(gates, RebootGate, i);
                if (!g->passed)
                        g_string_append_printf(s, "%s%s: %s", s->len ? "; " : "", g->name, g->detail);
        }
        return g_string_free(g_steal_pointer(&s), false);
}

/* A wave that cannot go on now stays open and continues at its next run. */
static void hold(Manager *m, const Caller *caller, RebootVerdict v, const GArray *gates) {
        RebootWave *w = m->wave->record;
        g_autofree char *why = failed_gates(gates);

        if (v != REBOOT_VERDICT_NOT_REQUIRED) {
                if (w->state == WAVE_NONE || w->state == WAVE_HOOKS)
                        w->state = WAVE_WAITING;
                if (!w->opened_usec)
                        w->opened_usec = now_realtime_usec();
        } else if (w->state == WAVE_WAITING || w->state == WAVE_HOOKS)
                reboot_wave_close(w);
        w->attempts++;
        g_free(w->last_verdict);
        w->last_verdict = g_strdup(reboot_verdict_to_string(v));
        outcome(m, caller, "reboot-wave", reboot_verdict_to_string(v), why);
        save_or_log(m);
        log_info("Reboot wave: %s%s%s.", reboot_verdict_to_string(v), why[0] ? ": " : "", why);
}

/* The answer is @gates (taken) with @v, and @scheduled. */
static int answered(WaveAnswer *ret, RebootVerdict v, GArray *gates, uint64_t scheduled) {
        ret->verdict = v;
        ret->gates = g_array_ref(gates);
        ret->scheduled_usec = scheduled;
        return 1;
}

/* Every gate passed (and the hooks, if any): logind is asked. */
static int go(Manager *m, const Caller *caller, GArray *gates, bool fleet_lock, WaveAnswer *ret) {
        uint64_t when = now_realtime_usec() + m->config.reboot_delay_usec;

        int r = schedule(m, caller, "reboot-wave", "wave", when, fleet_lock, &ret->error);
        if (r < 0) {
                reboot_gates_add(gates, "schedule", false, "%s", ret->error.message);
                hold(m, caller, REBOOT_VERDICT_BLOCKED, gates);
                return 1;
        }
        return answered(ret, REBOOT_VERDICT_GO, gates, when);
}

/* The "hooks" gate: what would run (@results NULL), or how each ran. A hook
 * gone from the configuration since it started counts as blocking. */
static void hooks_gate(Manager *m, GArray *gates, GArray *results) {
        g_autoptr(GString) s = g_string_new(NULL);
        bool passed = true;

        if (!results) {
                for (size_t i = 0; m->config.ring_pre_reboot_hooks[i]; i++) {
                        const PreRebootHook *h = config_pre_reboot_hook(&m->config, m->config.ring_pre_reboot_hooks[i]);
                        g_string_append_printf(s, "%s%s (%s, %s)", s->len ? ", " : "", h->check->name, h->check->unit,
                                               h->blocking ? "blocking" : "advisory");
                }
                if (s->len)
                        reboot_gates_add(gates, "hooks", true, "would run %s", s->str);
                else
                        reboot_gates_add(gates, "hooks", true, "no pre-reboot hooks");
                return;
        }
        for (guint i = 0; i < results->len; i++) {
                const HealthCheckResult *res = &g_array_index(results, HealthCheckResult, i);
                const PreRebootHook *h = config_pre_reboot_hook(&m->config, res->name);
                bool blocking = !h || h->blocking;
                g_string_append_printf(s, "%s%s (%s): %s", s->len ? ", " : "", res->name, blocking ? "blocking" : "advisory",
                                       res->passed ? "passed" : res->detail);
                passed &= res->passed || !blocking;
        }
        reboot_gates_add(gates, "hooks", passed, "%s", s->str);
}

static void on_hooks_done(HealthRun *run, GArray *results, void *userdata) {
        Manager *m = userdata;
        g_autoptr(sd_bus_message) msg = g_steal_pointer(&m->wave->call);
        g_autoptr(GArray) gates = reboot_gates_new();
        _cleanup_(caller_clear) Caller caller = m->wave->caller;
        _cleanup_(wave_answer_clear) WaveAnswer answer = { .error = SD_BUS_ERROR_NULL };

        m->wave->caller = (Caller) {};
        m->wave->hook_run = NULL;
        /* The hooks took their time: every gate is looked at once more. */
        RebootVerdict v = manager_plan_reboot(m, gates);
        hooks_gate(m, gates, results);
        health_run_free(run);

        if (v == REBOOT_VERDICT_GO && !g_array_index(gates, RebootGate, gates->len - 1).passed)
                v = REBOOT_VERDICT_BLOCKED;
        if (v != REBOOT_VERDICT_GO) {
                hold(m, &caller, v, gates);
                answered(&answer, v, gates, 0);
        } else
                go(m, &caller, gates, m->wave->fleet_lock, &answer);
        (void) m->wave->answer(msg, &answer);
}

static int check_hooks_idle(Manager *m, const char *message, sd_bus_error *error) {
        if (m->wave->call)
                return sd_bus_error_set(error, LPMAINT_ERROR_BUSY, message);
        return 0;
}

int manager_wave_run(Manager *m, sd_bus_message *call, const Caller *caller, bool fleet_lock,
                     WaveAnswerFunc answer, WaveAnswer *ret, sd_bus_error *error) {
        int r;

        if (caller) {
                r = check_hooks_idle(m, "This host's pre-reboot hooks are running", error);
                if (r < 0)
                        return r;
                /* Its verdict, or the schedule, is recorded when known. */
                r = manager_audit_accepted(m, caller, "reboot-wave", NULL, NULL, "", error);
                if (r < 0)
                        return r;
                reconcile_with_logind(m);
        }

        g_autoptr(GArray) gates = reboot_gates_new();
        RebootVerdict v = manager_plan_reboot(m, gates);
        if (!caller) {
                hooks_gate(m, gates, NULL);
                return answered(ret, v, gates, m->wave->record->scheduled_usec);
        }
        if (m->wave->record->state == WAVE_SCHEDULED) /* the wave did its part already */
                return answered(ret, REBOOT_VERDICT_GO, gates, m->wave->record->scheduled_usec);
        if (v != REBOOT_VERDICT_GO) {
                hold(m, caller, v, gates);
                return answered(ret, v, gates, 0);
        }
        if (!m->config.ring_pre_reboot_hooks[0]) {
                hooks_gate(m, gates, NULL);
                return go(m, caller, gates, fleet_lock, ret);
        }

        g_autoptr(GPtrArray) specs = hooks_specs(m);
        r = health_run_start(m->event, m->bus, specs, on_hooks_done, m, &m->wave->hook_run);
        if (r < 0) {
                reboot_gates_add(gates, "hooks", false, "cannot run the pre-reboot hooks: %s", g_strerror(-r));
                hold(m, caller, REBOOT_VERDICT_BLOCKED, gates);
                return answered(ret, REBOOT_VERDICT_BLOCKED, gates, 0);
        }
        m->wave->record->state = WAVE_HOOKS;
        save_or_log(m);
        log_info("Reboot wave: every gate passed, running %u pre-reboot hook(s).", specs->len);
        m->wave->call = sd_bus_message_ref(call);
        m->wave->answer = answer;
        m->wave->caller = *caller;
        m->wave->caller.unit = g_strdup(caller->unit);
        m->wave->fleet_lock = fleet_lock;
        return 0;
}

/* ---- an administrator's request, schedule and cancel; the fleet lock */

static void set_request(Manager *m, const char *reason) {
        RebootWave *w = m->wave->record;
        manager_reboot_reasons_forget(m);
        g_free(w->request_boot_id);
        w->request_boot_id = g_strdup(m->boot_id);
        g_free(w->request_text);
        w->request_text = g_strdup(reason);
        w->request_usec = now_realtime_usec();
}

int manager_wave_request(Manager *m, const Caller *caller, const char *reason, sd_bus_error *error) {
        int r = manager_audit_accepted(m, caller, "reboot-request", NULL, NULL, reason, error);
        if (r < 0)
                return r;
        set_request(m, reason);
        return save(m, error);
}

int manager_wave_schedule_time(uint64_t when, uint64_t *ret, sd_bus_error *error) {
        uint64_t now = now_realtime_usec();

        if (when == 0)
                when = now;
        if (when + SCHEDULE_SLACK_USEC < now || when > now + SCHEDULE_MAX_AHEAD_USEC)
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "The time must be now or within a year from now");
        *ret = MAX(when, now);
        return 0;
}

int manager_wave_schedule(Manager *m, const Caller *caller, uint64_t when, const char *reason, sd_bus_error *error) {
        RebootWave *w = m->wave->record;
        int r = check_hooks_idle(m, "This host's pre-reboot hooks are running", error);
        if (r < 0)
                return r;
        g_autofree char *at = format_timestamp_utc(when);
        g_autofree char *what = g_strdup_printf("at %s: %s", at, reason);
        r = manager_audit_accepted(m, caller, "reboot-schedule", NULL, NULL, what, error);
        if (r < 0)
                return r;
        /* The request is part of the reasons the schedule records. */
        g_autofree char *old_boot = g_strdup(w->request_boot_id);
        g_autofree char *old_text = g_strdup(w->request_text);
        uint64_t old_usec = w->request_usec;
        set_request(m, reason);
        r = schedule(m, caller, "reboot-schedule", "admin", when, false, error);
        if (r < 0) {
                g_free(w->request_boot_id);
                w->request_boot_id = g_steal_pointer(&old_boot);
                g_free(w->request_text);
                w->request_text = g_steal_pointer(&old_text);
                w->request_usec = old_usec;
                return r;
        }
        return 0;
}

int manager_wave_cancel(Manager *m, const Caller *caller, sd_bus_error *error) {
        RebootWave *w = m->wave->record;
        _cleanup_bus_error_ sd_bus_error lerror = SD_BUS_ERROR_NULL;
        int r;

        r = check_hooks_idle(m, "This host's pre-reboot hooks are running; cancel when they are done", error);
        if (r < 0)
                return r;
        bool requested = reboot_wave_requested(w, m->boot_id);
        if (w->state == WAVE_NONE && !requested)
                return sd_bus_error_set(error, LPMAINT_ERROR_NO_REBOOT_SCHEDULED, "No reboot is scheduled or requested and no wave is open");
        r = manager_audit_accepted(m, caller, "reboot-cancel", NULL, NULL, "", error);
        if (r < 0)
                return r;
        if (w->state == WAVE_SCHEDULED) {
                r = logind_call(m, "CancelScheduledShutdown", &lerror, NULL);
                if (r < 0)
                        return sd_bus_error_setf(error, LPMAINT_ERROR_REBOOT_FAILED, "logind did not cancel the reboot: %s",
                                                 lerror.message ?: g_strerror(-r));
        }
        reboot_wave_close(w);
        g_free(w->request_boot_id);
        w->request_boot_id = g_strdup("");
        g_free(w->request_text);
        w->request_text = g_strdup("");
        if ((r = save(m, error)) < 0)
                return r;
        log_notice("Reboot cancelled by uid %u.", caller->uid);
        return 0;
}

int manager_wave_release_fleet_lock(Manager *m, const Caller *caller, sd_bus_error *error) {
        RebootWave *w = m->wave->record;
        int r = 0;

        if (!w->fleet_lock_held)
                r = sd_bus_error_set(error, LPMAINT_ERROR_NO_FLEET_LOCK, "This host holds no fleet lock");
        else if (w->state == WAVE_VERIFYING || w->state == WAVE_FAILED)
                r = sd_bus_error_setf(error, LPMAINT_ERROR_BUSY, "The checks after the planned reboot %s",
                                      w->state == WAVE_FAILED ? "failed: the lock stays held (lpmaint reboot cancel closes the wave)" :
                                      "are still running");
        else if (w->state == WAVE_SCHEDULED || w->state == WAVE_HOOKS)
                r = sd_bus_error_set(error, LPMAINT_ERROR_BUSY, "The host has not rebooted yet");
        if (r >= 0)
                r = manager_audit_accepted(m, caller, "fleet-lock-release", NULL, NULL, "", error);
        if (r < 0)
                return r;
        w->fleet_lock_held = false;
        if ((r = save(m, error)) < 0) {
                w->fleet_lock_held = true;
                emit(m);
                return r;
        }
        return 0;
}

/* ---- the next reboot window */

/* systemd keeps the timer's next elapse; asked at most once a minute (and
 * again once it has passed), so that reading properties stays cheap. */
uint64_t manager_wave_next_window(Manager *m) {
        uint64_t now = now_monotonic_usec(), real = now_realtime_usec();

        if (!m->config.reboot_calendar[0])
                m->wave->next_window_usec = 0;
        else if (m->wave->next_window_asked_usec == 0 || now >= m->wave->next_window_asked_usec + NEXT_WINDOW_CACHE_USEC ||
                 (m->wave->next_window_usec && real >= m->wave->next_window_usec)) {
                _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
                uint64_t usec = 0, old_timeout = 0;
                (void) sd_bus_get_method_call_timeout(m->bus, &old_timeout);
                (void) sd_bus_set_method_call_timeout(m->bus, USEC_PER_SEC);
                if (sd_bus_get_property_trivial(m->bus, SYSTEMD_DEST, WAVE_TIMER_PATH, "org.freedesktop.systemd1.Timer",
                                                "NextElapseUSecRealtime", &e, 't', &usec) < 0 || usec == UINT64_MAX)
                        usec = 0; /* not known, or the timer will not elapse */
                (void) sd_bus_set_method_call_timeout(m->bus, old_timeout);
                m->wave->next_window_usec = usec;
                m->wave->next_window_asked_usec = now;
        }
        return m->wave->next_window_usec;
}

void manager_wave_config_changed(Manager *m) {
        /* The calendar may have changed: the next read asks systemd. */
        if (m->wave)
                m->wave->next_window_asked_usec = 0;
}
