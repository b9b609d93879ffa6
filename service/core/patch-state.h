/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "kernel-view.h"

typedef enum PatchState {
        PATCH_LOADING,          /* intent recorded, module being inserted */
        PATCH_PATCHING,         /* kernel transition towards patched */
        PATCH_APPLIED,
        PATCH_UNPATCHING,       /* kernel transition towards unpatched */
        PATCH_DISABLED,
        PATCH_FAILED,
        PATCH_SUPERSEDED,
        PATCH_ABSENT,           /* was applied; the running kernel does not have it */
        _PATCH_STATE_MAX,
        _PATCH_STATE_INVALID = -1,
} PatchState;

typedef enum PatchOperation {
        PATCH_OPERATION_APPLY,
        PATCH_OPERATION_DISABLE,
        _PATCH_OPERATION_MAX,
        _PATCH_OPERATION_INVALID = -1,
} PatchOperation;

typedef enum PatchResult {
        PATCH_RESULT_NONE,      /* the operation is still running */
        PATCH_RESULT_SUCCESS,
        PATCH_RESULT_TRANSITION_TIMEOUT,
        PATCH_RESULT_LOAD_FAILED,
        PATCH_RESULT_INTERRUPTED,
        PATCH_RESULT_REMOVE_FAILED,
        PATCH_RESULT_QUARANTINED,  /* not applied again after a crash during its apply */
        PATCH_RESULT_REAPPLY_FAILED, /* applied before a reboot, refused after it */
        _PATCH_RESULT_MAX,
        _PATCH_RESULT_INVALID = -1,
} PatchResult;

typedef enum PatchAction {
        PATCH_ACTION_NONE,          /* settled */
        PATCH_ACTION_WAIT,          /* a transition runs: look again later */
        PATCH_ACTION_REVERSE,       /* write the opposite value to "enabled" */
        PATCH_ACTION_REMOVE_MODULE, /* the patch left the kernel; unload its module */
} PatchAction;

typedef struct PatchStatus {
        PatchState state;
        PatchOperation operation;
        bool reversed;          /* lpmaintd reversed this operation's transition */
        PatchResult result;
} PatchStatus;

/* One step of the patch life cycle: from what lpmaintd recorded and what the
 * kernel shows now, the status to record and the action to take. Used both
 * while a transition runs and when reconciling after a crash or reboot, so
 * the two can never disagree. Superseding is decided by the caller, which
 * knows the other patches. */
PatchAction patch_step(const PatchStatus *cur, const KernelPatchView *k, bool deadline_passed, PatchStatus *ret);

bool patch_state_is_transition(PatchState s);

const char *patch_state_to_string(PatchState s);
PatchState patch_state_from_string(const char *s);
const char *patch_operation_to_string(PatchOperation o);
PatchOperation patch_operation_from_string(const char *s);
const char *patch_result_to_string(PatchResult r);
PatchResult patch_result_from_string(const char *s);
