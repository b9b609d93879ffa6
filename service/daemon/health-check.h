/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "health-record.h"

/* An administrator's health check ([HealthCheck NAME] in lpmaint.conf): a
 * command, or a systemd unit (typically Type=oneshot) that is started and
 * whose job must end "done", each with a timeout. */
typedef struct HealthCheckSpec {
        char *name;
        char **argv;            /* ExecStart=, split like a shell would; or NULL */
        char *unit;             /* Unit=; or NULL */
        uint64_t timeout_usec;
} HealthCheckSpec;

void health_check_spec_free(HealthCheckSpec *s);
/* A copy that outlives a configuration reload during a run. */
HealthCheckSpec *health_check_spec_dup(const HealthCheckSpec *s);


/* One run of a set of checks, all started at once. */
typedef struct HealthRun HealthRun;
typedef void (*HealthRunDone)(HealthRun *run, GArray *results, void *userdata);

/* Starts the checks; @done gets the results (HealthCheckResult, in @specs
 * order) once every check has ended, and may free the run. Commands need
 * SIGCHLD blocked; units need @bus (NULL: unit checks fail). */
int health_run_start(sd_event *event, sd_bus *bus, GPtrArray *specs, HealthRunDone done, void *userdata,
                     HealthRun **ret);
/* Kills what still runs; no callback follows. */
void health_run_free(HealthRun *run);
