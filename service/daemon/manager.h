/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "audit.h"
#include "boots.h"
#include "caller.h"
#include "daemon-config.h"
#include "kernel.h"
#include "lpmaint-bus.h"
#include "patch.h"
#include "polkit.h"
#include "reboot-plan.h"
#include "reboot-wave.h"
#include "sync-status.h"

/* Apply's options (its a{sv}). */
typedef struct ApplyOptions {
        bool break_glass;       /* an administrator outside the automation group, in an emergency */
        bool allow_downgrade;   /* below the highest version accepted for the stream */
        const char *source;     /* where the files came from (lpmaint-sync: channel URL and serial); NULL none */
} ApplyOptions;

typedef struct WaveRun WaveRun;

/* The concerns' state, opaque outside their files (each file below says
 * whose), created with the Manager and freed with it. */
typedef struct SoakMonitor SoakMonitor;
typedef struct ReapplyPlan ReapplyPlan;
typedef struct RebootReasonCache RebootReasonCache;
typedef struct RecordKeeper RecordKeeper;
typedef struct HealthMonitor HealthMonitor;

typedef struct Manager {
        sd_event *event;
        sd_bus *bus;

        char *config_path;
        Config config;
        char *config_error;             /* why the last reload failed; "" when it did not */
        Kernel *kernel;
        Audit *audit;
        char *patches_dir;
        char *boot_id;
        BootLog *boots;
        bool new_boot;                  /* the first start in this boot */

        GHashTable *patches;            /* name → Patch */
        Patch *transitioning;           /* the one transition lpmaintd follows */
        sd_event_source *poll_source;

        PolkitRegistry *polkit_registry;

        /* Each concern's own state, touched only by its file. */
        WaveRun *wave;                  /* manager-wave.c: reboot waves */
        SoakMonitor *soak;              /* manager-soak.c */
        ReapplyPlan *reapply;           /* manager-reapply.c */
        RebootReasonCache *reboot_reasons; /* manager-reboot.c */
        RecordKeeper *records;          /* manager-records.c */
        HealthMonitor *health;          /* manager-health.c */
        SyncStatus sync_status;         /* manager-sync.c: lpmaint-sync's last reports */
} Manager;

/* manager.c: life cycle */
int manager_new(const char *config_path, const char *sim_root, Manager **ret);
Manager *manager_free(Manager *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Manager, manager_free)
/* Reconciles, connects to the system bus, has @register_objects (bus/) put
 * the objects on it, then takes the name. */
int manager_start_bus(Manager *m, int (*register_objects)(Manager *m));
/* A state file that cannot be read is renamed FILE.damaged and logged. */
void manager_set_aside_damaged(Manager *m, const char *file, const char *what, int error);
void manager_reload(Manager *m);

/* transition.c: following the kernel */
void manager_reconcile(Manager *m);
void manager_follow_transition(Manager *m, Patch *p);
/* Persists @p's status and tells the bus. */
void manager_patch_changed(Manager *m, Patch *p);

/* manager-records.c: outcomes audited exactly once, records written until they land */
RecordKeeper *record_keeper_new(void);
RecordKeeper *record_keeper_free(RecordKeeper *k);
/* UnsavedRecords: names of the patches whose record is not written yet. */
const GPtrArray *manager_records_unsaved(Manager *m);
/* The outcomes an earlier run left were looked up in the audit log. */
bool manager_outcomes_recovered(Manager *m);
/* Adds an outcome to @p's record; the next manager_patch_changed() writes and audits it. */
void manager_outcome_record(Manager *m, Patch *p, const Caller *c, const char *action, const char *result,
                            const char *message);
/* Appends @p's outcomes not yet audited (after the record holding them was written). */
void manager_outcome_flush(Manager *m, Patch *p);
/* The same for any record's outcomes (@patch "" for none): adds one, with a
 * time no other of @list has; appends those not yet audited, in order, until
 * one fails (< 0, logged; the rest stay pending). */
void manager_outcomes_add(GArray *list, const Caller *c, const char *action, const char *result, const char *message);
int manager_outcomes_flush(Manager *m, GArray *list, const char *patch, const char *sha256);
/* At start: appends the outcomes recorded by an earlier run whose audit record never landed. */
void manager_outcome_recover(Manager *m);
/* Arms the timer that writes records and appends outcomes again. */
void manager_record_retry(Manager *m);
/* The record of @p could not be written (-@error) once the kernel acted: written again on a timer. */
void manager_record_behind(Manager *m, Patch *p, int error);
void manager_record_saved(Manager *m, Patch *p);

/* apply.c: verification, store and load */
/* Writes the "accepted" record (action "apply" or "apply-break-glass") after
 * every check and before the intent is recorded: AuditFailed if it cannot. */
int manager_apply(Manager *m, const Caller *caller, const ApplyOptions *opts,
                  int manifest_fd, int signature_fd, int module_fd,
                  Patch **ret, sd_bus_error *error);
/* NotApplied unless @p can be disabled now; manager_disable() checks it too. */
int manager_disable_check(Patch *p, sd_bus_error *error);
int manager_disable(Manager *m, const Caller *caller, Patch *p, sd_bus_error *error);
/* Applies @p again after a reboot, as lpmaintd (manager-reapply.c calls it). */
int manager_reapply(Manager *m, Patch *p, sd_bus_error *error);

/* manager-soak.c: soaking applied patches in the host's ring */
SoakMonitor *soak_monitor_new(void);
SoakMonitor *soak_monitor_free(SoakMonitor *s);
/* Follows the kernel log and pressure, once the event loop exists. */
int manager_soak_setup(Manager *m);
void manager_soak_take_baseline(Manager *m, Patch *p);
/* Sets @p's soak going in memory, to be written with its applied state; false without a ring. */
bool manager_soak_arm(Manager *m, Patch *p, uint64_t now);
/* After that write: the first look, and the timers. */
void manager_soak_begin(Manager *m, Patch *p);
void manager_soak_cancel(Manager *m, Patch *p);
void manager_soak_config_changed(Manager *m);
void manager_soak_after_transition(Manager *m);
void manager_soak_note_reboot(Manager *m);
void manager_soak_resume(Manager *m);

/* manager-boots.c: the host's boots and how each ended */
void manager_boots_start(Manager *m);
/* Called on SIGTERM: writes how this boot is ending. */
void manager_boots_stop(Manager *m);

/* manager-reapply.c: the patches come back after a reboot */
/* BootReapply: what became of the patches of the previous boot in this one. */
typedef enum ReapplyState {
        REAPPLY_STATE_NONE,             /* "": nothing to apply again */
        REAPPLY_STATE_SKIPPED,          /* lpmaint.reapply=0 on the kernel command line */
        REAPPLY_STATE_PENDING,
        REAPPLY_STATE_RUNNING,
        REAPPLY_STATE_DONE,
        _REAPPLY_STATE_MAX,
        _REAPPLY_STATE_INVALID = -1,
} ReapplyState;

ReapplyPlan *reapply_plan_new(void);
ReapplyPlan *reapply_plan_free(ReapplyPlan *plan);
const char *reapply_state_to_string(ReapplyState s);
ReapplyState manager_reapply_state(Manager *m);
void manager_reapply_plan(Manager *m);
void manager_reapply_quarantine(Manager *m);
void manager_reapply_next(Manager *m);

/* manager-reboot.c: why the host needs a reboot */
RebootReasonCache *reboot_reason_cache_new(void);
RebootReasonCache *reboot_reason_cache_free(RebootReasonCache *c);
GArray *manager_reboot_reasons(Manager *m);
/* After a change of what the reasons are made of: they are worked out anew. */
void manager_reboot_reasons_forget(Manager *m);
uint64_t manager_coverage_end(Manager *m, const char **ret_source);
/* manager-reboot-plan.c: every gate of a planned reboot, explained */
RebootVerdict manager_plan_reboot(Manager *m, GArray *gates);
/* Announces RebootRequired and RebootReasons, worked out anew. */
void manager_emit_reboot_changed(Manager *m);

/* manager-wave.c: reboot waves, scheduled reboots and the fleet lock */
void manager_wave_start(Manager *m);
/* Once on the bus: the record against logind's ScheduledShutdown (a schedule
 * being made is adopted or withdrawn; one logind lost reopens the wave). */
void manager_wave_reconcile(Manager *m);
void manager_wave_after_reapply(Manager *m);
/* Appends the wave's outcomes not yet audited; true if some still are not. */
bool manager_wave_flush(Manager *m);
/* The end to record for this boot: a planned reboot when lpmaint scheduled it. */
BootEnd manager_wave_boot_end(Manager *m, BootEnd end, char **ret_reason);
void manager_wave_free(Manager *m);
/* The wave's record as saved, and its outcomes (which manager-records.c
 * completes at start); NULL before manager_wave_start(). */
const RebootWave *manager_wave_record(Manager *m);
GArray *manager_wave_outcomes(Manager *m);
/* The reboot wave timer's next elapse (0: not known), asked of systemd at most once a minute. */
uint64_t manager_wave_next_window(Manager *m);
void manager_wave_config_changed(Manager *m);
/* RunRebootWave's answer: the verdict, every gate and when the reboot is
 * scheduled (0: not); or, if @error is set, the error the call fails with. */
typedef struct WaveAnswer {
        RebootVerdict verdict;
        GArray *gates;                  /* RebootGate */
        uint64_t scheduled_usec;
        sd_bus_error error;
} WaveAnswer;
void wave_answer_clear(WaveAnswer *a);
/* Sends @answer to @call (the bus/ side of RunRebootWave). */
typedef int (*WaveAnswerFunc)(sd_bus_message *call, const WaveAnswer *answer);
/* The reboot methods, each for an authorized @caller; a refusal is < 0 with
 * @error set, which the method audits. RunRebootWave: @caller NULL is a dry
 * run, which changes and records nothing; 1 with the answer in @ret, or 0
 * while the pre-reboot hooks run (@answer gets @call's answer once they are
 * done). */
int manager_wave_run(Manager *m, sd_bus_message *call, const Caller *caller, bool fleet_lock,
                     WaveAnswerFunc answer, WaveAnswer *ret, sd_bus_error *error);
int manager_wave_request(Manager *m, const Caller *caller, const char *reason, sd_bus_error *error);
/* The time ScheduleReboot's @when (0: now) stands for, or InvalidArgs: it is
 * checked before the caller is authorized. */
int manager_wave_schedule_time(uint64_t when, uint64_t *ret, sd_bus_error *error);
int manager_wave_schedule(Manager *m, const Caller *caller, uint64_t when, const char *reason, sd_bus_error *error);
int manager_wave_cancel(Manager *m, const Caller *caller, sd_bus_error *error);
int manager_wave_release_fleet_lock(Manager *m, const Caller *caller, sd_bus_error *error);

/* manager-sync.c: what lpmaint-sync reports */
void manager_sync_start(Manager *m);
void manager_sync_free(Manager *m);
/* Records the report of an authorized @caller durably (StorageFailed if it cannot be). */
int manager_sync_report(Manager *m, const SyncReport *report, sd_bus_error *error);

/* manager-health.c: the last result of each health check, kept in the state directory */
void manager_health_start(Manager *m);
void manager_health_free(Manager *m);
/* Keeps @results (HealthCheckResult) as the last of their checks, written to
 * the record; < 0 (logged) if the record could not be written. */
int manager_health_checks_record(Manager *m, GArray *results);
/* The last run of check @name failed. */
bool manager_health_check_failed(Manager *m, const char *name);
/* HealthCheckResult, the last of each check. */
const GArray *manager_health_results(Manager *m);
/* Copies of the ring's health checks: a reload during a run must not free what it runs. */
GPtrArray *manager_health_ring_specs(Manager *m);
/* The answer to RunHealthChecks, given once the run ended (bus/ replies):
 * the results, or @error when they could not be recorded. */
typedef void (*HealthChecksAnswer)(Manager *m, sd_bus_message *call, GArray *results, const sd_bus_error *error);
/* Runs the ring's checks now for an authorized @caller (a call during a run
 * waits for it); the outcome is audited and @answer gets the results. */
int manager_health_run_now(Manager *m, sd_bus_message *call, const Caller *caller, HealthChecksAnswer answer,
                           sd_bus_error *error);

/* manager-audit.c */
/* Appends a record; a failure is logged and returned. Outcomes (a transition
 * finished, a soak verdict) can only log it: the change happened. */
int manager_audit(Manager *m, const Caller *caller, const char *action, const char *patch,
                  const char *sha256, const char *result, const char *message);
/* The record that authorizes a change, result "accepted", written before
 * anything of the change: if it cannot be made durable the change is refused
 * with AuditFailed (set on @error, whose errno is returned). */
int manager_audit_accepted(Manager *m, const Caller *caller, const char *action, const char *patch,
                           const char *sha256, const char *message, sd_bus_error *error);
void manager_audit_error(Manager *m, const Caller *caller, const char *action, const char *patch,
                         const char *sha256, const sd_bus_error *error);
