/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "pressure.h"

/* Judging a soaking patch: what the host looked like when the soak began,
 * what it looks like now, and what the host's ring allows. */

typedef struct SignalSnapshot {
        uint64_t tainted;
        uint64_t oops_count;            /* /sys/kernel/oops_count, where the kernel has it */
        uint64_t warn_count;            /* /sys/kernel/warn_count, likewise */
        uint64_t log_events;            /* kernel log records that count as trouble */
        uint64_t kmsg_seq;              /* the last kernel log record seen */
        bool pressure_known;            /* the kernel has PSI */
        unsigned pressure[_PRESSURE_MAX]; /* "some" avg60, hundredths of a percent */
} SignalSnapshot;

typedef struct SoakCriteria {
        uint64_t soak_usec;
        unsigned max_new_taint_flags;   /* beyond the expected ones */
        uint64_t expected_taint;        /* K always; O and E when allowed */
        unsigned max_new_oops;
        unsigned max_new_warnings;
        unsigned max_log_events;
        unsigned max_pressure_increase; /* hundredths of a percent; 10000: never fails */
} SoakCriteria;

/* A patch's soak, as recorded (SoakState= in its record, the SoakState property). */
typedef enum SoakState {
        SOAK_STATE_NONE,                /* "": it never soaked */
        SOAK_STATE_SOAKING,
        SOAK_STATE_HEALTHY,
        SOAK_STATE_FAILED,
        SOAK_STATE_CANCELLED,
        _SOAK_STATE_MAX,
        _SOAK_STATE_INVALID = -1,
} SoakState;

const char *soak_state_to_string(SoakState s);
SoakState soak_state_from_string(const char *s);

typedef enum SoakVerdict {
        SOAK_CONTINUE,
        SOAK_HEALTHY,
        SOAK_FAILED,
} SoakVerdict;

/* Failing a criterion ends the soak at once; passing them all ends it only
 * when @soak_over. On SOAK_FAILED, @ret_reason names the criterion and the
 * evidence. */
SoakVerdict soak_evaluate(const SoakCriteria *c, const SignalSnapshot *baseline, const SignalSnapshot *now,
                          bool soak_over, char **ret_reason);
