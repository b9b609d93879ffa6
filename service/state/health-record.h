/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

/* The last result of each of the administrator's health checks, kept in
 * STATE_DIRECTORY/health-checks: the reboot plan's health-checks gate is
 * closed by a failed one, and a restart of lpmaintd must not open it. */

typedef struct HealthCheckResult {
        char *name;
        bool passed;
        int exit_status;        /* the command's exit status; -1 when it has none */
        char *detail;           /* "exit status 1", "killed by signal 9", "timed out after 30 s", "unit job failed",
                                 * and ": " with the last lines the command printed, if it printed any */
        uint64_t started_usec;  /* realtime */
        uint64_t duration_usec;
} HealthCheckResult;

void health_check_result_clear(HealthCheckResult *r);
/* An empty GArray of HealthCheckResult that clears its elements. */
GArray *health_results_new(void);

/* A missing file is no result yet (an empty array); a damaged one is -EBADMSG. */
int health_record_load(const char *state_dir, GArray **ret);
int health_record_save(const GArray *results, const char *state_dir);
