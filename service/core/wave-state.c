/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "string-table.h"
#include "wave-state.h"

static const char *const wave_state_table[_WAVE_STATE_MAX] = {
        [WAVE_NONE] = "",
        [WAVE_WAITING] = "waiting",
        [WAVE_HOOKS] = "hooks",
        [WAVE_SCHEDULED] = "scheduled",
        [WAVE_VERIFYING] = "verifying",
        [WAVE_FAILED] = "failed",
};

DEFINE_STRING_TABLE_LOOKUP(wave_state, WaveState);
