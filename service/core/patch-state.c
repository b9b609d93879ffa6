/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>

#include "patch-state.h"
#include "string-table.h"
#include "util.h"

static const char *const patch_state_table[_PATCH_STATE_MAX] = {
        [PATCH_LOADING] = "loading",
        [PATCH_PATCHING] = "patching",
        [PATCH_APPLIED] = "applied",
        [PATCH_UNPATCHING] = "unpatching",
        [PATCH_DISABLED] = "disabled",
        [PATCH_FAILED] = "failed",
        [PATCH_SUPERSEDED] = "superseded",
        [PATCH_ABSENT] = "absent",
};

static const char *const patch_operation_table[_PATCH_OPERATION_MAX] = {
        [PATCH_OPERATION_APPLY] = "apply",
        [PATCH_OPERATION_DISABLE] = "disable",
};

static const char *const patch_result_table[_PATCH_RESULT_MAX] = {
        [PATCH_RESULT_NONE] = "",
        [PATCH_RESULT_SUCCESS] = "success",
        [PATCH_RESULT_TRANSITION_TIMEOUT] = "transition-timeout",
        [PATCH_RESULT_LOAD_FAILED] = "load-failed",
        [PATCH_RESULT_INTERRUPTED] = "interrupted",
        [PATCH_RESULT_REMOVE_FAILED] = "remove-failed",
        [PATCH_RESULT_QUARANTINED] = "quarantined",
        [PATCH_RESULT_REAPPLY_FAILED] = "reapply-failed",
};

DEFINE_STRING_TABLE_LOOKUP(patch_state, PatchState);
DEFINE_STRING_TABLE_LOOKUP(patch_operation, PatchOperation);
DEFINE_STRING_TABLE_LOOKUP(patch_result, PatchResult);

bool patch_state_is_transition(PatchState s) {
        return s == PATCH_LOADING || s == PATCH_PATCHING || s == PATCH_UNPATCHING;
}

/* The state a finished transition leaves, once the kernel shows the patch settled. */
static PatchAction settle(const PatchStatus *cur, const KernelPatchView *k, PatchStatus *next) {
        bool apply = cur->operation == PATCH_OPERATION_APPLY;

        if (k->present) {
                /* Enabled with no transition: the patched state was reached. */
                next->state = PATCH_APPLIED;
                next->result = apply ? PATCH_RESULT_SUCCESS :
                        cur->reversed ? PATCH_RESULT_TRANSITION_TIMEOUT : PATCH_RESULT_INTERRUPTED;
                return PATCH_ACTION_NONE;
        }

        /* The patch left the kernel. */
        if (apply) {
                next->state = PATCH_FAILED;
                next->result = cur->reversed ? PATCH_RESULT_TRANSITION_TIMEOUT : PATCH_RESULT_INTERRUPTED;
        } else {
                next->state = PATCH_DISABLED;
                next->result = PATCH_RESULT_SUCCESS;
        }
        return k->module_loaded ? PATCH_ACTION_REMOVE_MODULE : PATCH_ACTION_NONE;
}

static PatchAction step_transition(const PatchStatus *cur, const KernelPatchView *k, bool deadline_passed, PatchStatus *next) {
        if (!k->present || (k->enabled && !k->transition))
                return settle(cur, k, next);

        if (!k->enabled && !k->transition) {
                /* Unpatched and about to be freed by the kernel. */
                next->state = PATCH_UNPATCHING;
                return PATCH_ACTION_WAIT;
        }

        next->state = k->enabled ? PATCH_PATCHING : PATCH_UNPATCHING;
        next->result = PATCH_RESULT_NONE;
        /* Reverse once, never force: a reversal that also hangs is waited for. */
        if (deadline_passed && !cur->reversed) {
                next->reversed = true;
                next->state = k->enabled ? PATCH_UNPATCHING : PATCH_PATCHING;
                return PATCH_ACTION_REVERSE;
        }
        return PATCH_ACTION_WAIT;
}

PatchAction patch_step(const PatchStatus *cur, const KernelPatchView *k, bool deadline_passed, PatchStatus *ret) {
        PatchStatus next = *cur;
        PatchAction action = PATCH_ACTION_NONE;

        switch (cur->state) {

        case PATCH_LOADING:
                if (k->present) {
                        action = step_transition(cur, k, deadline_passed, &next);
                        break;
                }
                /* Stopped between recording the intent and the kernel taking the patch. */
                next.state = PATCH_FAILED;
                next.result = PATCH_RESULT_INTERRUPTED;
                action = k->module_loaded ? PATCH_ACTION_REMOVE_MODULE : PATCH_ACTION_NONE;
                break;

        case PATCH_PATCHING:
        case PATCH_UNPATCHING:
                action = step_transition(cur, k, deadline_passed, &next);
                break;

        case PATCH_APPLIED:
                if (k->present && k->enabled && !k->transition)
                        break;
                if (k->present) {
                        /* Someone else started a transition; follow it. */
                        next.state = k->enabled ? PATCH_PATCHING : PATCH_UNPATCHING;
                        action = PATCH_ACTION_WAIT;
                        break;
                }
                next.state = PATCH_ABSENT;
                action = k->module_loaded ? PATCH_ACTION_REMOVE_MODULE : PATCH_ACTION_NONE;
                break;

        case PATCH_ABSENT:
                if (k->present) {
                        /* Loaded again (for example at boot): adopt what the kernel shows. */
                        action = step_transition(cur, k, false, &next);
                        break;
                }
                G_GNUC_FALLTHROUGH;
        case PATCH_DISABLED:
        case PATCH_FAILED:
        case PATCH_SUPERSEDED:
                /* A livepatch module whose patch is gone does nothing; unload it. */
                if (!k->present && k->module_loaded)
                        action = PATCH_ACTION_REMOVE_MODULE;
                break;

        default:
                g_assert_not_reached();
        }

        *ret = next;
        return action;
}
