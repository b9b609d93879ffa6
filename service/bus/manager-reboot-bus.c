/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* org.lpmaint1.Manager's reboot members: reasons, the plan, and the reboot
 * wave's methods and properties. Each method reads its arguments, is
 * authorized (bus-authorize.c) and calls daemon/manager-wave.c, whose
 * refusals it audits. */
#include <errno.h>

#include "bus-authorize.h"
#include "bus-objects.h"
#include "bus-util.h"
#include "log.h"
#include "manager.h"
#include "reboot-reasons.h"
#include "util.h"

#define REASON_MAX 512

/* ---- why the host needs a reboot (daemon/manager-reboot.c) and what a planned
 * one would meet (daemon/manager-reboot-plan.c) */

static int property_get_reboot_required(sd_bus *bus, const char *path, const char *interface, const char *property,
                                        sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        g_autoptr(GArray) reasons = manager_reboot_reasons(userdata);
        return sd_bus_message_append(reply, "b", reasons->len > 0);
}

static int property_get_reboot_reasons(sd_bus *bus, const char *path, const char *interface, const char *property,
                                       sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        g_autoptr(GArray) reasons = manager_reboot_reasons(userdata);
        int r = sd_bus_message_open_container(reply, 'a', "(sst)");

        for (guint i = 0; r >= 0 && i < reasons->len; i++) {
                const RebootReason *rr = &g_array_index(reasons, RebootReason, i);
                r = sd_bus_message_append(reply, "(sst)", rr->code, rr->text, rr->since_usec);
        }
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

static int property_get_coverage_end(sd_bus *bus, const char *path, const char *interface, const char *property,
                                     sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const char *source = NULL;
        return sd_bus_message_append(reply, "t", manager_coverage_end(userdata, &source));
}

/* Replies (s verdict, a(sbs) gates), and scheduled_usec (t) unless NULL. */
static int bus_reply_gates(sd_bus_message *call, RebootVerdict v, const GArray *gates, const uint64_t *scheduled_usec) {
        g_autoptr(sd_bus_message) reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(call, &reply);
        if (r >= 0)
                r = sd_bus_message_append(reply, "s", reboot_verdict_to_string(v));
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(sbs)");
        for (guint i = 0; r >= 0 && i < gates->len; i++) {
                const RebootGate *g = &g_array_index(gates, RebootGate, i);
                r = sd_bus_message_append(reply, "(sbs)", g->name, (int) g->passed, g->detail);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0 && scheduled_usec)
                r = sd_bus_message_append(reply, "t", *scheduled_usec);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_plan_reboot(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autoptr(GArray) gates = reboot_gates_new();
        RebootVerdict v = manager_plan_reboot(userdata, gates);
        return bus_reply_gates(msg, v, gates, NULL);
}

const sd_bus_vtable reboot_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("PlanReboot", SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("s", verdict, "a(sbs)", gates), method_plan_reboot,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_PROPERTY("CoverageEndsUSec", "t", property_get_coverage_end, 0, 0),
        SD_BUS_PROPERTY("RebootCalendar", "s", NULL, offsetof(Manager, config.reboot_calendar), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("RebootWindowUSec", "t", NULL, offsetof(Manager, config.reboot_window_usec), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("RebootRequired", "b", property_get_reboot_required, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("RebootReasons", "a(sst)", property_get_reboot_reasons, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_VTABLE_END
};

/* ---- reboot waves (daemon/manager-wave.c) */

static const BusAction reboot_wave_action = { "reboot-wave", POLKIT_ACTION_REBOOT, false };
static const BusAction reboot_request_action = { "reboot-request", POLKIT_ACTION_REBOOT, false };
static const BusAction reboot_schedule_action = { "reboot-schedule", POLKIT_ACTION_REBOOT, false };
static const BusAction reboot_cancel_action = { "reboot-cancel", POLKIT_ACTION_REBOOT, false };
static const BusAction fleet_lock_release_action = { "fleet-lock-release", POLKIT_ACTION_REBOOT, false };

/* A refusal after the caller was authorized. */
static int refuse(Manager *m, const Caller *caller, const BusAction *action, sd_bus_error *error, int r) {
        manager_audit_error(m, caller, action->name, NULL, NULL, error);
        log_notice("%s by uid %u refused: %s", action->name, caller->uid, error->message);
        return r;
}

static int read_wave_options(sd_bus_message *msg, bool *dry_run, bool *fleet_lock, sd_bus_error *error) {
        static const char *const keys[] = { "dry-run", "fleet-lock", NULL };
        bool *const fields[] = { dry_run, fleet_lock };
        return bus_read_bool_options(msg, keys, fields, error);
}

static int answer_wave(sd_bus_message *call, const WaveAnswer *a) {
        if (sd_bus_error_is_set(&a->error))
                return sd_bus_reply_method_error(call, &a->error);
        return bus_reply_gates(call, a->verdict, a->gates, &a->scheduled_usec);
}

static int method_run_reboot_wave(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_(caller_clear) Caller caller = {};
        _cleanup_(wave_answer_clear) WaveAnswer answer = {};
        bool dry_run = false, fleet_lock = false;
        int r;

        r = read_wave_options(msg, &dry_run, &fleet_lock, error);
        if (r < 0)
                return r;
        /* A dry run changes nothing: anyone may ask. */
        if (!dry_run) {
                r = bus_authorize(m, msg, &reboot_wave_action, NULL, &caller, error);
                if (r <= 0)
                        return r == 0 ? 1 : r;
        }
        r = manager_wave_run(m, msg, dry_run ? NULL : &caller, fleet_lock, answer_wave, &answer, error);
        if (r < 0)
                return refuse(m, &caller, &reboot_wave_action, error, r);
        if (r == 0)
                return 1; /* answered when the pre-reboot hooks are done */
        return answer_wave(msg, &answer);
}

static int read_reason(sd_bus_message *msg, const char **ret, sd_bus_error *error) {
        int r = sd_bus_message_read(msg, "s", ret);
        if (r < 0)
                return r;
        if (!string_is_printable(*ret, REASON_MAX))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "The reason must be printable text of at most %d bytes", REASON_MAX);
        return 0;
}

static int method_request_reboot(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_(caller_clear) Caller caller = {};
        const char *reason;
        int r;

        if ((r = read_reason(msg, &reason, error)) < 0)
                return r;
        r = bus_authorize(m, msg, &reboot_request_action, NULL, &caller, error);
        if (r <= 0)
                return r == 0 ? 1 : r;
        r = manager_wave_request(m, &caller, reason, error);
        if (r < 0)
                return refuse(m, &caller, &reboot_request_action, error, r);
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_schedule_reboot(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_(caller_clear) Caller caller = {};
        const char *reason;
        uint64_t when;
        int r;

        if ((r = sd_bus_message_read(msg, "t", &when)) < 0 || (r = read_reason(msg, &reason, error)) < 0 ||
            (r = manager_wave_schedule_time(when, &when, error)) < 0)
                return r;
        r = bus_authorize(m, msg, &reboot_schedule_action, NULL, &caller, error);
        if (r <= 0)
                return r == 0 ? 1 : r;
        r = manager_wave_schedule(m, &caller, when, reason, error);
        if (r < 0)
                return refuse(m, &caller, &reboot_schedule_action, error, r);
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_cancel_reboot(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_(caller_clear) Caller caller = {};
        int r;

        r = bus_authorize(m, msg, &reboot_cancel_action, NULL, &caller, error);
        if (r <= 0)
                return r == 0 ? 1 : r;
        r = manager_wave_cancel(m, &caller, error);
        if (r < 0)
                return refuse(m, &caller, &reboot_cancel_action, error, r);
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_release_fleet_lock(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_(caller_clear) Caller caller = {};
        int r;

        r = bus_authorize(m, msg, &fleet_lock_release_action, NULL, &caller, error);
        if (r <= 0)
                return r == 0 ? 1 : r;
        r = manager_wave_release_fleet_lock(m, &caller, error);
        if (r < 0)
                return refuse(m, &caller, &fleet_lock_release_action, error, r);
        return sd_bus_reply_method_return(msg, NULL);
}

static int property_get_wave(sd_bus *bus, const char *path, const char *interface, const char *property,
                             sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const RebootWave *w = manager_wave_record(userdata);

        if (g_str_equal(property, "WaveState"))
                return sd_bus_message_append(reply, "s", wave_state_to_string(w->state));
        if (g_str_equal(property, "ScheduledRebootUSec"))
                return sd_bus_message_append(reply, "t", w->scheduled_usec);
        if (g_str_equal(property, "ScheduledRebootBy"))
                return sd_bus_message_append(reply, "s", w->scheduled_by);
        return sd_bus_message_append(reply, "b", (int) w->fleet_lock_held);
}

static int property_get_next_window(sd_bus *bus, const char *path, const char *interface, const char *property,
                                    sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "t", manager_wave_next_window(userdata));
}

static int property_get_hooks(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append_strv(reply, m->config.ring_pre_reboot_hooks);
}

const sd_bus_vtable wave_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("RunRebootWave", SD_BUS_ARGS("a{sv}", options),
                                SD_BUS_RESULT("s", verdict, "a(sbs)", gates, "t", scheduled_usec),
                                method_run_reboot_wave, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ScheduleReboot", SD_BUS_ARGS("t", when_usec, "s", reason), SD_BUS_NO_RESULT,
                                method_schedule_reboot, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RequestReboot", SD_BUS_ARGS("s", reason), SD_BUS_NO_RESULT,
                                method_request_reboot, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("CancelReboot", NULL, NULL, method_cancel_reboot, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("ReleaseFleetLock", NULL, NULL, method_release_fleet_lock, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_PROPERTY("RebootDelayUSec", "t", NULL, offsetof(Manager, config.reboot_delay_usec), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("PreRebootHooks", "as", property_get_hooks, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("WaveState", "s", property_get_wave, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("ScheduledRebootUSec", "t", property_get_wave, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("ScheduledRebootBy", "s", property_get_wave, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("NextRebootWindowUSec", "t", property_get_next_window, 0, 0),
        SD_BUS_PROPERTY("FleetLockURL", "s", NULL, offsetof(Manager, config.fleet_lock_url), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("FleetLockGroup", "s", NULL, offsetof(Manager, config.fleet_lock_group), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("FleetLockHeld", "b", property_get_wave, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_VTABLE_END
};
