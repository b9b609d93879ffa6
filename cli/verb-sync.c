/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lpmaint sync: what lpmaint-sync last did, what a run would do (--dry-run),
 * or a run now (--now) through systemd, as its timer would start it. */
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "bus.h"
#include "config.h"
#include "log.h"
#include "lpmaint.h"
#include "macro.h"
#include "status-sync.h"

#define SYSTEMD_BUS_NAME        "org.freedesktop.systemd1"
#define SYSTEMD_OBJECT_PATH     "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER_IFACE   "org.freedesktop.systemd1.Manager"
#define SYNC_UNIT               "lpmaint-sync.service"

static int print_status(const SyncInfo *s, const char *job_result) {
        if (arg_json) {
                JsonWriter w;

                json_writer_init(&w, stdout, isatty(STDOUT_FILENO));
                json_begin_object(&w);
                if (job_result)
                        json_field_string(&w, "job_result", job_result);
                sync_info_json(&w, s);
                json_end_object(&w);
                return json_writer_finish(&w);
        }

        if (!s->channels || !s->channels[0])
                printf("No channels: lpmaint.conf names none ([Sync] Channels=), so lpmaint-sync does nothing.\n");
        sync_info_print(s);
        if (fflush(stdout) != 0 || ferror(stdout))
                return -EIO;
        return 0;
}

/* The agent's own dry run: it needs no privileges (it only reads lpmaintd
 * and the channel), so it runs as the caller, here, and its output and exit
 * status are ours. */
static int dry_run(void) {
        const char *agent = getenv("LPMAINT_SYNC_AGENT") ?: LPMAINT_SYNC_AGENT;
        char *argv[] = { (char *) agent, (char *) "run", (char *) "--dry-run", arg_json ? (char *) "--json" : NULL, NULL };

        fflush(stdout);
        execv(agent, argv);
        return log_errno(LPMAINT_EXIT_FAILED, -errno, "Cannot run %s", agent);
}

typedef struct JobWait {
        const char *path;   /* the job StartUnit() queued */
        char *result;       /* its result once JobRemoved came */
} JobWait;

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        JobWait *w = userdata;
        const char *path, *unit, *result;
        uint32_t id;

        if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
                return 0;
        if (w->path && !w->result && g_str_equal(path, w->path))
                w->result = g_strdup(result);
        return 0;
}

/* Starts lpmaint-sync.service and waits for its job to end: "done", or why
 * not ("failed", "timeout", "canceled", ...). */
static int start_and_wait(sd_bus *bus, char **ret_result) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        JobWait w = {};
        int r;

        /* Before the call, so the job cannot end unseen. systemd sends a job's
         * signals to the client that asked for it: no Subscribe() needed. */
        r = sd_bus_match_signal(bus, &slot, SYSTEMD_BUS_NAME, SYSTEMD_OBJECT_PATH, SYSTEMD_MANAGER_IFACE, "JobRemoved",
                                on_job_removed, &w);
        if (r < 0)
                return log_errno(LPMAINT_EXIT_UNREACHABLE, r, "Failed to subscribe to systemd's job signals");

        {
                _cleanup_(polkit_agent_closep) pid_t agent = 0;

                bus_acquire_polkit_agent(&agent);
                r = sd_bus_call_method(bus, SYSTEMD_BUS_NAME, SYSTEMD_OBJECT_PATH, SYSTEMD_MANAGER_IFACE, "StartUnit",
                                       &error, &reply, "ss", SYNC_UNIT, "replace");
        }
        if (r < 0)
                return log_bus_error(&error, r, "Failed to start %s", SYNC_UNIT);
        r = sd_bus_message_read(reply, "o", &w.path);
        if (r < 0)
                return log_errno(LPMAINT_EXIT_FAILED, r, "Failed to read systemd's reply");

        while (!w.result) {
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return log_errno(LPMAINT_EXIT_UNREACHABLE, r, "Lost the bus while %s ran", SYNC_UNIT);
                if (r > 0)
                        continue;
                r = sd_bus_wait(bus, UINT64_MAX);
                if (r < 0 && r != -EINTR)
                        return log_errno(LPMAINT_EXIT_UNREACHABLE, r, "Lost the bus while %s ran", SYNC_UNIT);
        }

        *ret_result = w.result;
        return 0;
}

int verb_sync(int argc, char *argv[], void *userdata) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sync_info_clear) SyncInfo s = {};
        g_autofree char *job_result = NULL;
        int r;

        if (arg_dry_run && arg_sync_now)
                return log_usage("--now and --dry-run exclude each other: a dry run changes nothing.");
        if (arg_dry_run) {
                if (arg_host)
                        return log_usage("sync --dry-run runs lpmaint-sync here; it cannot with --host=.");
                return dry_run();
        }

        r = acquire_bus(&bus);
        if (r != 0)
                return r;

        if (arg_sync_now) {
                r = start_and_wait(bus, &job_result);
                if (r != 0)
                        return r;
        }

        r = sync_info_get(bus, &s, &error);
        if (r < 0)
                return log_bus_error(&error, r, "Failed to get the sync status of lpmaintd");

        r = print_status(&s, job_result);
        if (r < 0)
                return log_errno(LPMAINT_EXIT_FAILED, r, "Failed to write output");

        if (job_result && !g_str_equal(job_result, "done"))
                return log_error(LPMAINT_EXIT_FAILED, "%s: the run ended with '%s'; see journalctl -u %s.",
                                 SYNC_UNIT, job_result, SYNC_UNIT);
        if (job_result && sync_info_last_failed(&s))
                return log_error(LPMAINT_EXIT_FAILED, "The run failed: %s.", s.last_result);
        return LPMAINT_EXIT_SUCCESS;
}
