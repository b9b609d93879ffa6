/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "patch.h"
#include "wave-state.h"

/* The host's part of a reboot wave, kept in STATE_DIRECTORY/reboot-wave so
 * that a planned reboot, who asked for it and the fleet lock taken for it
 * survive the daemon and the reboot itself. Pure: load, save and the
 * changes a new boot brings. */


typedef struct RebootWave {
        WaveState state;
        uint64_t opened_usec;           /* when this host's wave first ran; 0 none */
        unsigned attempts;              /* runs since it opened */
        char *last_verdict;             /* of the last run */

        uint64_t scheduled_usec;        /* when logind reboots; 0 none */
        char *scheduled_by;             /* "wave", "admin" or "" */
        char *scheduled_boot_id;        /* the boot the reboot ends */
        char *reasons;                  /* why, as recorded when it was scheduled */
        bool schedule_unconfirmed;      /* recorded before logind was asked; its answer not yet recorded */

        bool fleet_lock_held;

        /* An administrator's request, until the host has rebooted. */
        char *request_boot_id;          /* "" none */
        char *request_text;
        uint64_t request_usec;

        /* The audit records of the wave's outcomes, written with the state
         * they describe and appended after it (manager-records.c). */
        GArray *outcomes;               /* PatchOutcome, oldest first, not yet known to be audited */
} RebootWave;

RebootWave *reboot_wave_new(void);
void reboot_wave_free(RebootWave *w);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RebootWave, reboot_wave_free)

/* A missing file is no wave; a damaged one is -EBADMSG. */
int reboot_wave_load(const char *state_dir, RebootWave **ret);
int reboot_wave_save(const RebootWave *w, const char *state_dir);

/* Forgets the schedule (cancelled, or it happened). */
void reboot_wave_unschedule(RebootWave *w);
/* Closes the wave; the fleet lock and a request are kept. */
void reboot_wave_close(RebootWave *w);

/* A start in boot @boot_id (@new_boot: the first in it). Told by the record,
 * so that a start killed before it wrote the change does it again: a reboot
 * scheduled in an earlier boot has happened, so the wave is verified now; a
 * request from an earlier boot is met. In the first start, a wave still
 * waiting is over (the host rebooted anyway); in a later one, hooks that
 * died with lpmaintd leave it waiting. Returns true if the wave is to be
 * verified. */
bool reboot_wave_note_boot(RebootWave *w, const char *boot_id, bool new_boot);

/* Whether an administrator's request holds in @boot_id. */
bool reboot_wave_requested(const RebootWave *w, const char *boot_id);
