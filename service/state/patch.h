/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <glib.h>
#include <systemd/sd-bus.h>

#include "kernel-view.h"
#include "lpmaint-bus.h"
#include "manifest.h"
#include "patch-state.h"
#include "soak.h"

/* An outcome to be audited (an operation's end, a soak's verdict), recorded
 * in the same write as the state it describes. Its time is the audit
 * record's time, so that a start after a crash can tell whether the record
 * landed before appending it. */
typedef struct PatchOutcome {
        uint64_t time_usec;
        uint32_t uid;
        char *unit;
        char *action;
        char *result;
        char *message;
        bool audited;                   /* appended in this run: left out of the next write */
} PatchOutcome;

/* A list of outcomes (GArray of PatchOutcome, oldest first), kept in a
 * record's key file group as "Outcome.N" = time;uid;unit;action;result;message.
 * The patch records and the reboot wave's record share them. */
GArray *outcome_list_new(void);
PatchOutcome *outcome_list_add(GArray *list, uint64_t time_usec, uint32_t uid, const char *unit,
                               const char *action, const char *result, const char *message);
void outcome_list_forget_audited(GArray *list);
/* Those not audited yet. */
void outcome_list_save(const GArray *list, GKeyFile *kf, const char *group);
/* Appends those of @group to @list; -EBADMSG if one is damaged. */
int outcome_list_load(GKeyFile *kf, const char *group, GArray *list);

/* One live patch lpmaintd knows: its signed manifest, its status, and the
 * directory in the store holding the bytes that were verified. */
typedef struct Patch {
        char *name;
        char *object_path;
        char *dir;
        Manifest *manifest;
        char *signer;

        PatchStatus status;
        char *result_message;
        GArray *blocking_tasks;         /* KernelTask */
        char *superseded_by;
        char *boot_id;                  /* boot in which it was last applied, or is being applied */
        uint32_t requested_uid;         /* who asked for the running operation */
        bool requested_by_self;         /* lpmaintd asked for it (a rollback, a re-apply) */
        bool break_glass;               /* applied through the break-glass action */
        bool break_glass_acknowledged;
        char *module_signer;            /* the module's appended signature */
        char *module_sig_key;
        char *module_sig_hashalgo;
        char *source;                   /* where its files came from (Apply's "source"); "" unknown */

        /* Soak in the host's ring (manager-soak.c). */
        SoakState soak_state;
        char *soak_result;              /* the failed criterion and its evidence */
        uint64_t soak_started_usec;
        uint64_t soak_ends_usec;
        SignalSnapshot soak_baseline;   /* taken before the module was inserted */
        bool rollback_pending;          /* a failed soak's rollback, until its disable ends */
        bool reapplying;                /* applied again after a reboot: its soak verdict stands */
        uint64_t state_changed_usec;
        uint64_t applied_usec;
        uint64_t transition_started_usec;
        GArray *outcomes;               /* PatchOutcome, oldest first, not yet known to be audited */
} Patch;

Patch *patch_new(const char *dir, Manifest *manifest, const char *signer);
void patch_free(Patch *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Patch, patch_free)

/* Files of a patch directory in the store. */
#define PATCH_MANIFEST_FILE  "manifest"
#define PATCH_SIGNATURE_FILE "signature"
#define PATCH_MODULE_FILE    "module.ko"
#define PATCH_STATE_FILE     "state"
#define PATCH_STATE_MAX_SIZE (256 * 1024)

/* Loads the patch directory @name below @dir_fd (@dir: its path, kept in the
 * Patch): the manifest and the recorded status. A link in place of the
 * directory or of its files, or anything that is not a regular file, is
 * refused (-ENOTDIR, -EBADFD), never followed or waited on. */
int patch_load_at(int dir_fd, const char *name, const char *dir, Patch **ret);
int patch_load(const char *dir, Patch **ret);
/* Records the status durably (atomic replace of the state file, through the
 * directory opened without following a link). */
int patch_save(const Patch *p);

void patch_set_state(Patch *p, PatchState state, uint64_t now_usec);
void patch_set_result(Patch *p, PatchResult result, const char *message);
void patch_set_blocking_tasks(Patch *p, GArray *tasks);
/* Drops the outcomes already audited: a start finds them in the audit log. */
void patch_forget_audited_outcomes(Patch *p);
/* Adds an outcome to audit; patch_save() makes it durable with the state. */
PatchOutcome *patch_add_outcome(Patch *p, uint64_t time_usec, uint32_t uid, const char *unit,
                                const char *action, const char *result, const char *message);
