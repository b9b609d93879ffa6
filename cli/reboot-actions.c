/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lpmaint reboot wave | schedule | request | cancel | finish: the commands that
 * change a planned reboot, and the fleet lock around a wave, which lpmaintd
 * (with no network of its own) leaves to lpmaint-fleetlock. */
#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bus.h"
#include "config.h"
#include "color.h"
#include "format.h"
#include "humanize.h"
#include "interrupt.h"
#include "json.h"
#include "log.h"
#include "lpmaint.h"
#include "macro.h"
#include "parse.h"
#include "reboot-actions.h"
#include "table.h"
#include "terminal.h"
#include "watch.h"

/* How long "reboot finish" waits for the checks after a planned reboot. */
#define FINISH_TIMEOUT_SEC 3600

/* Runs lpmaint-fleetlock OPERATION for the ring's server and group. Its exit
 * status: 0 done, 1 the server refused, 2 usage, 3 unreachable. */
static int fleetlock(const char *url, const char *group, const char *operation) {
        const char *helper = getenv("LPMAINT_FLEETLOCK_HELPER") ?: LPMAINT_FLEETLOCK_HELPER;
        g_autofree char *url_arg = g_strconcat("--url=", url, NULL);
        g_autofree char *group_arg = g_strconcat("--group=", group, NULL);
        char *argv[] = { (char *) helper, url_arg, group_arg, (char *) operation, NULL };
        g_autoptr(GError) e = NULL;
        int status = 0;

        fflush(stdout);
        if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_CHILD_INHERITS_STDIN, NULL, NULL, NULL, NULL, &status, &e)) {
                log_error(LPMAINT_EXIT_FAILED, "Cannot run %s: %s", helper, e->message);
                return 3;
        }
        return WIFEXITED(status) ? WEXITSTATUS(status) : 3;
}

static int read_fleet_lock_config(sd_bus *bus, char **url, char **group, sd_bus_error *error) {
        int r = sd_bus_get_property_string(bus, LPMAINT_BUS_NAME, LPMAINT_OBJECT_PATH, LPMAINT_MANAGER_INTERFACE,
                                           "FleetLockURL", error, url);
        if (r >= 0)
                r = sd_bus_get_property_string(bus, LPMAINT_BUS_NAME, LPMAINT_OBJECT_PATH, LPMAINT_MANAGER_INTERFACE,
                                               "FleetLockGroup", error, group);
        return r;
}

static int call_wave(sd_bus *bus, bool dry_run, bool fleet_lock, sd_bus_message **reply, const char **verdict,
                     sd_bus_error *error) {
        int r;

        if (dry_run)
                r = bus_call(bus, LPMAINT_OBJECT_PATH, LPMAINT_MANAGER_INTERFACE, "RunRebootWave", CALL_QUERY, true, reply,
                             error, "a{sv}", 1, "dry-run", "b", 1);
        else
                r = bus_call(bus, LPMAINT_OBJECT_PATH, LPMAINT_MANAGER_INTERFACE, "RunRebootWave", CALL_PRIVILEGED, true,
                             reply, error, "a{sv}", 1, "fleet-lock", "b", (int) fleet_lock);
        if (r >= 0)
                r = sd_bus_message_read(*reply, "s", verdict);
        return r;
}

int print_reboot_gates(sd_bus_message *reply, const char *verdict, bool wave, bool dry_run) {
        g_autoptr(Table) t = table_new(3);
        const char *name, *detail;
        uint64_t scheduled = 0;
        char ts[FORMAT_TIMESTAMP_MAX];
        JsonWriter w;
        int passed, r;

        r = sd_bus_message_enter_container(reply, 'a', "(sbs)");
        if (r < 0)
                return r;
        if (arg_json) {
                json_writer_init(&w, stdout, stdout_is_terminal());
                json_begin_object(&w);
                json_field_string(&w, "verdict", verdict);
                if (wave)
                        json_field_bool(&w, "dry_run", dry_run);
                json_key(&w, "gates");
                json_begin_array(&w);
        } else {
                table_add(t, "GATE");
                table_add(t, "PASSED");
                table_add(t, "WHY");
        }
        while ((r = sd_bus_message_read(reply, "(sbs)", &name, &passed, &detail)) > 0) {
                if (arg_json) {
                        json_begin_object(&w);
                        json_field_string(&w, "gate", name);
                        json_field_bool(&w, "passed", passed);
                        json_field_string(&w, "detail", detail);
                        json_end_object(&w);
                } else {
                        table_add(t, name);
                        table_add_color(t, yes_no(passed), passed ? ANSI_GREEN : ANSI_RED);
                        table_add(t, detail);
                }
        }
        if (r < 0 || (r = sd_bus_message_exit_container(reply)) < 0)
                return r;
        if (wave && (r = sd_bus_message_read(reply, "t", &scheduled)) < 0)
                return r;
        if (arg_json) {
                json_end_array(&w);
                if (wave)
                        json_field_uint(&w, "scheduled_usec", scheduled);
                json_end_object(&w);
                return json_writer_finish(&w);
        }
        if ((r = table_print(t, stdout)) < 0)
                return r;
        printf("\nVerdict: %s%s%s%s\n", color_on(color_of(verdict)), verdict, color_off(color_of(verdict)),
               dry_run && g_str_equal(verdict, "go") ? " (dry run: nothing scheduled)" : "");
        if (scheduled)
                printf("Reboot scheduled for %s.\n", strdash(format_timestamp(ts, sizeof ts, scheduled)));
        return fflush(stdout) != 0 || ferror(stdout) ? -EIO : 0;
}

/* A held wave (blocked) is "busy": lpmaint-reboot-wave.service tries again
 * while its window lasts. Outside the window, or with nothing to do, the
 * wave is done for now. */
static int wave_exit_status(const char *verdict) {
        return g_str_equal(verdict, "blocked") ? LPMAINT_EXIT_BUSY : LPMAINT_EXIT_SUCCESS;
}

int verb_reboot_wave(int argc, char *argv[], void *userdata) {
        sd_bus **busp = userdata, *bus;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        g_autofree char *url = NULL, *group = NULL;
        const char *verdict;
        int r;

        if ((r = acquire_bus(busp)) != 0)
                return r;
        bus = *busp;

        if (arg_dry_run) {
                if ((r = call_wave(bus, true, false, &reply, &verdict, &error)) < 0)
                        return log_bus_error(&error, r, "Failed to plan the reboot wave");
                r = print_reboot_gates(reply, verdict, true, true);
                return r < 0 ? log_errno(LPMAINT_EXIT_FAILED, r, "Failed to write the output") : LPMAINT_EXIT_SUCCESS;
        }
        if ((r = read_fleet_lock_config(bus, &url, &group, &error)) < 0)
                return log_bus_error(&error, r, "Failed to read the fleet lock settings");

        bool locked = false;
        if (url[0]) {
                /* The lock is taken only when this host would go: a host held
                 * back by its own gates must not hold up the fleet. */
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *plan = NULL;
                if ((r = call_wave(bus, true, false, &plan, &verdict, &error)) < 0)
                        return log_bus_error(&error, r, "Failed to plan the reboot wave");
                if (g_str_equal(verdict, "go")) {
                        r = fleetlock(url, group, "pre-reboot");
                        if (r == 1)
                                return log_error(LPMAINT_EXIT_BUSY, "The fleet lock of group %s is not free: not rebooting now.", group);
                        if (r != 0)
                                return log_error(LPMAINT_EXIT_FAILED, "Cannot take the fleet lock of group %s from %s.", group, url);
                        locked = true;
                }
        }

        r = call_wave(bus, false, locked, &reply, &verdict, &error);
        if (locked && (r < 0 || !g_str_equal(verdict, "go"))) {
                /* Not rebooting after all: the lock goes back at once. */
                if (fleetlock(url, group, "steady-state") != 0)
                        log_error(LPMAINT_EXIT_FAILED, "Cannot give the fleet lock of group %s back; the server keeps it for this host.", group);
        }
        if (r < 0)
                return log_bus_error(&error, r, "Failed to run the reboot wave");
        r = print_reboot_gates(reply, verdict, true, false);
        if (r < 0)
                return log_errno(LPMAINT_EXIT_FAILED, r, "Failed to write the output");
        return wave_exit_status(verdict);
}

int verb_reboot_schedule(int argc, char *argv[], void *userdata) {
        sd_bus **busp = userdata, *bus;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *when_s = argv[1];
        uint64_t when;
        char ts[FORMAT_TIMESTAMP_MAX];
        int r;

        r = parse_reboot_time(when_s, (uint64_t) g_get_real_time(), &when);
        if (r == -ERANGE)
                return log_usage("Time '%s' is not between now and a year from now.",
                                 when_s);
        if (r < 0)
                return log_usage("Invalid time '%s': use now, +MINUTES, +N(s|min|h), HH:MM or \"YYYY-MM-DD HH:MM[:SS]\".", when_s);
        if ((r = acquire_bus(busp)) != 0)
                return r;
        bus = *busp;

        r = bus_call(bus, LPMAINT_OBJECT_PATH, LPMAINT_MANAGER_INTERFACE, "ScheduleReboot", CALL_PRIVILEGED, true, NULL,
                     &error, "ts", when, arg_reason ?: "");
        if (r < 0)
                return log_bus_error(&error, r, "Failed to schedule the reboot");
        log_info("Reboot scheduled for %s.\n", strdash(format_timestamp(ts, sizeof ts, when)));
        return LPMAINT_EXIT_SUCCESS;
}

int verb_reboot_request(int argc, char *argv[], void *userdata) {
        sd_bus **busp = userdata, *bus;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        if ((r = acquire_bus(busp)) != 0)
                return r;
        bus = *busp;

        r = bus_call(bus, LPMAINT_OBJECT_PATH, LPMAINT_MANAGER_INTERFACE, "RequestReboot", CALL_PRIVILEGED, true, NULL,
                     &error, "s", arg_reason ?: "");
        if (r < 0)
                return log_bus_error(&error, r, "Failed to request a reboot");
        log_info("Reboot requested: the next reboot wave of this host's ring reboots it.\n");
        return LPMAINT_EXIT_SUCCESS;
}

int verb_reboot_cancel(int argc, char *argv[], void *userdata) {
        sd_bus **busp = userdata, *bus;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        if ((r = acquire_bus(busp)) != 0)
                return r;
        bus = *busp;

        r = bus_call(bus, LPMAINT_OBJECT_PATH, LPMAINT_MANAGER_INTERFACE, "CancelReboot", CALL_PRIVILEGED, true, NULL,
                     &error, NULL);
        if (r < 0)
                return log_bus_error(&error, r, "Failed to cancel the reboot");
        log_info("Reboot cancelled.\n");
        return LPMAINT_EXIT_SUCCESS;
}

static int read_wave_state(sd_bus *bus, char **state, int *held, sd_bus_error *error) {
        int r = sd_bus_get_property_string(bus, LPMAINT_BUS_NAME, LPMAINT_OBJECT_PATH, LPMAINT_MANAGER_INTERFACE,
                                           "WaveState", error, state);
        if (r >= 0)
                r = sd_bus_get_property_trivial(bus, LPMAINT_BUS_NAME, LPMAINT_OBJECT_PATH, LPMAINT_MANAGER_INTERFACE,
                                                "FleetLockHeld", error, 'b', held);
        return r;
}

/* After a planned reboot: once lpmaintd's checks passed, the fleet lock is
 * given back, so that the next host of the group may reboot. */
int verb_reboot_finish(int argc, char *argv[], void *userdata) {
        sd_bus **busp = userdata, *bus;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(watch_done) Watch w = {};
        g_autofree char *state = NULL, *url = NULL, *group = NULL;
        bool timed_out = false;
        uint64_t until;
        int held = 0, r;

        if ((r = acquire_bus(busp)) != 0)
                return r;
        bus = *busp;

        /* Before the first read, so that no change in between goes unseen. */
        r = watch_manager_start(bus, &w);
        if (r < 0)
                return log_bus_error(NULL, r, "Failed to subscribe to lpmaintd's signals");

        until = (uint64_t) g_get_monotonic_time() + FINISH_TIMEOUT_SEC * USEC_PER_SEC;
        interrupt_explain("lpmaint: Stopped waiting. lpmaintd carries on with the checks after the reboot;\n"
                          "the fleet lock stays held until 'lpmaint reboot finish' runs again.");
        for (;;) {
                g_clear_pointer(&state, g_free);
                if ((r = read_wave_state(bus, &state, &held, &error)) < 0)
                        return log_bus_error(&error, r, "Failed to read the reboot wave");
                if (!g_str_equal(state, "verifying") || timed_out)
                        break;
                /* Read once more at the deadline, as after any change. */
                r = watch_wait(bus, &w, until);
                if (r == -ETIMEDOUT)
                        timed_out = true;
                else if (r < 0)
                        return log_bus_error(NULL, r, "Failed to follow the reboot wave");
        }
        interrupt_explain_done();
        if (!held) {
                log_info("No fleet lock held: nothing to release.\n");
                return LPMAINT_EXIT_SUCCESS;
        }
        if (g_str_equal(state, "verifying")) {
                char span[FORMAT_DURATION_MAX];
                return log_error(LPMAINT_EXIT_FAILED, "The checks after the planned reboot did not end within %s; the fleet lock stays held.",
                                 strdash(format_duration(span, sizeof span, FINISH_TIMEOUT_SEC * USEC_PER_SEC)));
        }
        if (g_str_equal(state, "scheduled") || g_str_equal(state, "hooks"))
                return log_error(LPMAINT_EXIT_FAILED, "The host has not rebooted yet; the fleet lock stays held.");
        if (g_str_equal(state, "failed"))
                return log_error(LPMAINT_EXIT_FAILED, "The health checks after the planned reboot failed; the fleet lock stays held "
                                 "(see lpmaint signals; lpmaint reboot cancel closes the wave).");
        if ((r = read_fleet_lock_config(bus, &url, &group, &error)) < 0)
                return log_bus_error(&error, r, "Failed to read the fleet lock settings");
        if (url[0]) {
                r = fleetlock(url, group, "steady-state");
                if (r != 0)
                        return log_error(r == 1 ? LPMAINT_EXIT_BUSY : LPMAINT_EXIT_FAILED,
                                         "Cannot release the fleet lock of group %s at %s; it stays held.", group, url);
        }
        r = bus_call(bus, LPMAINT_OBJECT_PATH, LPMAINT_MANAGER_INTERFACE, "ReleaseFleetLock", CALL_PRIVILEGED, true, NULL,
                     &error, NULL);
        if (r < 0)
                return log_bus_error(&error, r, "Failed to record the fleet lock's release");
        log_info("Fleet lock of group %s released.\n", group);
        return LPMAINT_EXIT_SUCCESS;
}
