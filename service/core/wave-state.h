/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The states of the host's part of a reboot wave (state/reboot-wave.h keeps
 * the record; the CLI names them in its metrics). */
typedef enum WaveState {
        WAVE_NONE,              /* no wave open */
        WAVE_WAITING,           /* opened, held back by a gate or its window: continues at the next run */
        WAVE_HOOKS,             /* pre-reboot hooks running */
        WAVE_SCHEDULED,         /* logind reboots at scheduled_usec */
        WAVE_VERIFYING,         /* back after the planned reboot: the ring's health checks run */
        WAVE_FAILED,            /* back, but a health check failed: the fleet lock stays held */
        _WAVE_STATE_MAX,
        _WAVE_STATE_INVALID = -1,
} WaveState;

/* WAVE_NONE is "", as the record and the WaveState property spell it. */
const char *wave_state_to_string(WaveState s);
WaveState wave_state_from_string(const char *s);
