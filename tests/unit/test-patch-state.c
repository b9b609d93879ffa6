/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "manifest.h"
#include "patch.h"
#include "patch-state.h"
#include "test-helpers.h"

/* Short names for the tables. */
#define LOADING    PATCH_LOADING
#define PATCHING   PATCH_PATCHING
#define APPLIED    PATCH_APPLIED
#define UNPATCHING PATCH_UNPATCHING
#define DISABLED   PATCH_DISABLED
#define FAILED     PATCH_FAILED
#define SUPERSEDED PATCH_SUPERSEDED
#define ABSENT     PATCH_ABSENT
#define APPLY      PATCH_OPERATION_APPLY
#define DISABLE    PATCH_OPERATION_DISABLE
#define R_NONE     PATCH_RESULT_NONE
#define R_SUCCESS  PATCH_RESULT_SUCCESS
#define R_TIMEOUT  PATCH_RESULT_TRANSITION_TIMEOUT
#define R_INTERRUPTED PATCH_RESULT_INTERRUPTED
#define R_LOAD_FAILED PATCH_RESULT_LOAD_FAILED
#define A_NONE     PATCH_ACTION_NONE
#define A_WAIT     PATCH_ACTION_WAIT
#define A_REVERSE  PATCH_ACTION_REVERSE
#define A_REMOVE   PATCH_ACTION_REMOVE_MODULE

/* Kernel views: module loaded, patch directory present, enabled, transition. */
#define K_GONE           { .module_loaded = false }
#define K_MODULE_ONLY    { .module_loaded = true }
#define K_PATCHING       { .module_loaded = true, .present = true, .enabled = true, .transition = true }
#define K_APPLIED        { .module_loaded = true, .present = true, .enabled = true, .transition = false }
#define K_UNPATCHING     { .module_loaded = true, .present = true, .enabled = false, .transition = true }
#define K_UNPATCHED      { .module_loaded = true, .present = true, .enabled = false, .transition = false }

typedef struct Case {
        const char *what;
        PatchStatus cur;
        KernelPatchView k;
        bool deadline_passed;
        PatchStatus expect;
        PatchAction action;
} Case;

#define S(st_, op_, rev_, res_) { .state = (st_), .operation = (op_), .reversed = (rev_), .result = (res_) }

static const Case cases[] = {
        /* loading: the intent was recorded before inserting the module */
        { "loading, patch appears in transition",
          S(LOADING, APPLY, false, R_NONE), K_PATCHING, false,
          S(PATCHING, APPLY, false, R_NONE), A_WAIT },
        { "loading, patch appears already applied",
          S(LOADING, APPLY, false, R_NONE), K_APPLIED, false,
          S(APPLIED, APPLY, false, R_SUCCESS), A_NONE },
        { "loading, interrupted before the module was inserted",
          S(LOADING, APPLY, false, R_NONE), K_GONE, false,
          S(FAILED, APPLY, false, R_INTERRUPTED), A_NONE },
        { "loading, interrupted with the module loaded but no patch",
          S(LOADING, APPLY, false, R_NONE), K_MODULE_ONLY, false,
          S(FAILED, APPLY, false, R_INTERRUPTED), A_REMOVE },
        { "loading, interrupted, deadline passed changes nothing",
          S(LOADING, APPLY, false, R_NONE), K_MODULE_ONLY, true,
          S(FAILED, APPLY, false, R_INTERRUPTED), A_REMOVE },

        /* patching towards applied */
        { "patching, transition runs",
          S(PATCHING, APPLY, false, R_NONE), K_PATCHING, false,
          S(PATCHING, APPLY, false, R_NONE), A_WAIT },
        { "patching, transition finished",
          S(PATCHING, APPLY, false, R_NONE), K_APPLIED, false,
          S(APPLIED, APPLY, false, R_SUCCESS), A_NONE },
        { "patching, finished just as the deadline passed",
          S(PATCHING, APPLY, false, R_NONE), K_APPLIED, true,
          S(APPLIED, APPLY, false, R_SUCCESS), A_NONE },
        { "patching, deadline passed: reverse once",
          S(PATCHING, APPLY, false, R_NONE), K_PATCHING, true,
          S(UNPATCHING, APPLY, true, R_NONE), A_REVERSE },
        { "patching, patch vanished without a reversal",
          S(PATCHING, APPLY, false, R_NONE), K_MODULE_ONLY, false,
          S(FAILED, APPLY, false, R_INTERRUPTED), A_REMOVE },

        /* apply, reversed: back towards unpatched */
        { "apply reversed, reversal still running after the deadline: wait, never reverse again",
          S(UNPATCHING, APPLY, true, R_NONE), K_UNPATCHING, true,
          S(UNPATCHING, APPLY, true, R_NONE), A_WAIT },
        { "apply reversed, reversal still running before the deadline",
          S(UNPATCHING, APPLY, true, R_NONE), K_UNPATCHING, false,
          S(UNPATCHING, APPLY, true, R_NONE), A_WAIT },
        { "apply reversed, the kernel still shows the forward transition",
          S(UNPATCHING, APPLY, true, R_NONE), K_PATCHING, true,
          S(PATCHING, APPLY, true, R_NONE), A_WAIT },
        { "apply reversed, unpatched and about to be freed",
          S(UNPATCHING, APPLY, true, R_NONE), K_UNPATCHED, true,
          S(UNPATCHING, APPLY, true, R_NONE), A_WAIT },
        { "apply reversed, patch gone, module loaded",
          S(UNPATCHING, APPLY, true, R_NONE), K_MODULE_ONLY, true,
          S(FAILED, APPLY, true, R_TIMEOUT), A_REMOVE },
        { "apply reversed, patch and module gone",
          S(UNPATCHING, APPLY, true, R_NONE), K_GONE, false,
          S(FAILED, APPLY, true, R_TIMEOUT), A_NONE },
        { "apply reversed, but the forward transition won after all",
          S(UNPATCHING, APPLY, true, R_NONE), K_APPLIED, true,
          S(APPLIED, APPLY, true, R_SUCCESS), A_NONE },

        /* disable: unpatching towards disabled */
        { "unpatching, transition runs",
          S(UNPATCHING, DISABLE, false, R_NONE), K_UNPATCHING, false,
          S(UNPATCHING, DISABLE, false, R_NONE), A_WAIT },
        { "unpatching, unpatched, directory not yet removed",
          S(UNPATCHING, DISABLE, false, R_NONE), K_UNPATCHED, false,
          S(UNPATCHING, DISABLE, false, R_NONE), A_WAIT },
        { "unpatching, patch gone: disabled, unload the module",
          S(UNPATCHING, DISABLE, false, R_NONE), K_MODULE_ONLY, false,
          S(DISABLED, DISABLE, false, R_SUCCESS), A_REMOVE },
        { "unpatching, patch and module gone",
          S(UNPATCHING, DISABLE, false, R_NONE), K_GONE, false,
          S(DISABLED, DISABLE, false, R_SUCCESS), A_NONE },
        { "unpatching, deadline passed: reverse once",
          S(UNPATCHING, DISABLE, false, R_NONE), K_UNPATCHING, true,
          S(PATCHING, DISABLE, true, R_NONE), A_REVERSE },

        /* disable, reversed: back towards patched */
        { "disable reversed, reversal still running: wait",
          S(PATCHING, DISABLE, true, R_NONE), K_PATCHING, true,
          S(PATCHING, DISABLE, true, R_NONE), A_WAIT },
        { "disable reversed, ends enabled: applied, transition-timeout",
          S(PATCHING, DISABLE, true, R_NONE), K_APPLIED, true,
          S(APPLIED, DISABLE, true, R_TIMEOUT), A_NONE },
        { "disable reversed, but the patch went away after all",
          S(PATCHING, DISABLE, true, R_NONE), K_MODULE_ONLY, true,
          S(DISABLED, DISABLE, true, R_SUCCESS), A_REMOVE },
        { "disable not reversed, ends enabled (someone else reversed it)",
          S(UNPATCHING, DISABLE, false, R_NONE), K_APPLIED, false,
          S(APPLIED, DISABLE, false, R_INTERRUPTED), A_NONE },

        /* applied */
        { "applied, still applied",
          S(APPLIED, APPLY, false, R_SUCCESS), K_APPLIED, false,
          S(APPLIED, APPLY, false, R_SUCCESS), A_NONE },
        { "applied, deadline is irrelevant",
          S(APPLIED, APPLY, false, R_SUCCESS), K_APPLIED, true,
          S(APPLIED, APPLY, false, R_SUCCESS), A_NONE },
        { "applied, gone with the module still loaded",
          S(APPLIED, APPLY, false, R_SUCCESS), K_MODULE_ONLY, false,
          S(ABSENT, APPLY, false, R_SUCCESS), A_REMOVE },
        { "applied, gone (a reboot)",
          S(APPLIED, APPLY, false, R_SUCCESS), K_GONE, false,
          S(ABSENT, APPLY, false, R_SUCCESS), A_NONE },
        { "applied, someone else started disabling it",
          S(APPLIED, APPLY, false, R_SUCCESS), K_UNPATCHING, false,
          S(UNPATCHING, APPLY, false, R_SUCCESS), A_WAIT },

        /* absent */
        { "absent, still absent",
          S(ABSENT, APPLY, false, R_SUCCESS), K_GONE, false,
          S(ABSENT, APPLY, false, R_SUCCESS), A_NONE },
        { "absent, lingering module",
          S(ABSENT, APPLY, false, R_SUCCESS), K_MODULE_ONLY, false,
          S(ABSENT, APPLY, false, R_SUCCESS), A_REMOVE },
        { "absent, present and applied again",
          S(ABSENT, APPLY, false, R_SUCCESS), K_APPLIED, false,
          S(APPLIED, APPLY, false, R_SUCCESS), A_NONE },
        { "absent, present again in transition",
          S(ABSENT, APPLY, false, R_SUCCESS), K_PATCHING, false,
          S(PATCHING, APPLY, false, R_NONE), A_WAIT },
        { "absent, present again in transition, deadline is not ours to act on",
          S(ABSENT, APPLY, false, R_SUCCESS), K_PATCHING, true,
          S(PATCHING, APPLY, false, R_NONE), A_WAIT },

        /* terminal states */
        { "disabled, settled",
          S(DISABLED, DISABLE, false, R_SUCCESS), K_GONE, false,
          S(DISABLED, DISABLE, false, R_SUCCESS), A_NONE },
        { "disabled, lingering module",
          S(DISABLED, DISABLE, false, R_SUCCESS), K_MODULE_ONLY, false,
          S(DISABLED, DISABLE, false, R_SUCCESS), A_REMOVE },
        { "failed, settled",
          S(FAILED, APPLY, false, R_LOAD_FAILED), K_GONE, true,
          S(FAILED, APPLY, false, R_LOAD_FAILED), A_NONE },
        { "failed, lingering module",
          S(FAILED, APPLY, true, R_TIMEOUT), K_MODULE_ONLY, false,
          S(FAILED, APPLY, true, R_TIMEOUT), A_REMOVE },
        { "superseded, settled",
          S(SUPERSEDED, APPLY, false, R_SUCCESS), K_GONE, false,
          S(SUPERSEDED, APPLY, false, R_SUCCESS), A_NONE },
        { "superseded, lingering module",
          S(SUPERSEDED, APPLY, false, R_SUCCESS), K_MODULE_ONLY, false,
          S(SUPERSEDED, APPLY, false, R_SUCCESS), A_REMOVE },
};

static void format_status(GString *s, const PatchStatus *st) {
        g_string_append_printf(s, "%s/%s%s/\"%s\"", patch_state_to_string(st->state) ?: "?",
                               patch_operation_to_string(st->operation) ?: "?",
                               st->reversed ? "/reversed" : "", patch_result_to_string(st->result) ?: "?");
}

START_TEST(test_step_table) {
        const Case *c = &cases[_i];
        PatchStatus got;

        memset(&got, 0xa5, sizeof(got)); /* every field must be written */
        PatchAction action = patch_step(&c->cur, &c->k, c->deadline_passed, &got);

        g_autoptr(GString) want_s = g_string_new(NULL), got_s = g_string_new(NULL);
        format_status(want_s, &c->expect);
        format_status(got_s, &got);
        ck_assert_msg(got.state == c->expect.state && got.operation == c->expect.operation &&
                      got.reversed == c->expect.reversed && got.result == c->expect.result,
                      "%s: expected %s, got %s", c->what, want_s->str, got_s->str);
        ck_assert_msg(action == c->action, "%s: expected action %d, got %d", c->what, c->action, action);
}
END_TEST

/* Properties over every state, operation, reversal flag and kernel view. */
START_TEST(test_step_invariants) {
        for (int state = 0; state < _PATCH_STATE_MAX; state++)
        for (int op = 0; op < _PATCH_OPERATION_MAX; op++)
        for (int rev = 0; rev < 2; rev++)
        for (int view = 0; view < 16; view++)
        for (int deadline = 0; deadline < 2; deadline++) {
                PatchStatus cur = { .state = state, .operation = op, .reversed = rev, .result = R_NONE }, next, again;
                KernelPatchView k = {
                        .module_loaded = view & 1, .present = view & 2, .enabled = view & 4, .transition = view & 8,
                };
                if (!k.present && (k.enabled || k.transition))
                        continue; /* the attributes live in the patch directory */

                PatchAction a = patch_step(&cur, &k, deadline, &next);
                const char *sn = patch_state_to_string(state);

                ck_assert_msg(next.state >= 0 && next.state < _PATCH_STATE_MAX, "%s: bad state %d", sn, next.state);
                ck_assert_msg(next.operation == cur.operation, "%s: the operation changed", sn);
                /* Reversed is sticky, and only a reversal sets it. */
                ck_assert_msg(next.reversed == (rev || a == A_REVERSE), "%s view %d: reversed %d action %d", sn, view, next.reversed, a);
                /* Never a second reversal. */
                if (rev)
                        ck_assert_msg(a != A_REVERSE, "%s view %d: reversed twice", sn, view);
                /* Only a passed deadline reverses, and only a running transition. */
                if (a == A_REVERSE)
                        ck_assert_msg(deadline && k.present && k.transition && patch_state_is_transition(state),
                                      "%s view %d: reversal without cause", sn, view);
                /* A module is only unloaded when loaded and its patch is gone. */
                if (a == A_REMOVE)
                        ck_assert_msg(k.module_loaded && !k.present, "%s view %d: removal of a module in use", sn, view);
                /* Waiting means a transition state; settled means a settled state. */
                if (a == A_WAIT || a == A_REVERSE)
                        ck_assert_msg(patch_state_is_transition(next.state), "%s view %d: waits in %s", sn, view,
                                      patch_state_to_string(next.state));
                if (a == A_NONE || a == A_REMOVE)
                        ck_assert_msg(!patch_state_is_transition(next.state), "%s view %d: settles in %s", sn, view,
                                      patch_state_to_string(next.state));
                if (next.state == PATCH_APPLIED)
                        ck_assert_msg(k.present && k.enabled && !k.transition, "%s view %d: applied without the kernel", sn, view);

                /* Stepping again on the same view after a reversal never reverses again. */
                if (a == A_REVERSE) {
                        PatchAction b = patch_step(&next, &k, true, &again);
                        ck_assert_msg(b != A_REVERSE, "%s view %d: second reversal", sn, view);
                }
        }
}
END_TEST

START_TEST(test_state_strings) {
        for (int i = 0; i < _PATCH_STATE_MAX; i++) {
                const char *s = patch_state_to_string(i);
                ck_assert_ptr_nonnull(s);
                ck_assert_int_eq(patch_state_from_string(s), i);
                for (int j = 0; j < i; j++)
                        ck_assert_str_ne(s, patch_state_to_string(j));
        }
        ck_assert_str_eq(patch_state_to_string(PATCH_APPLIED), "applied");
        ck_assert_str_eq(patch_state_to_string(PATCH_UNPATCHING), "unpatching");
        ck_assert_ptr_null(patch_state_to_string(_PATCH_STATE_MAX));
        ck_assert_ptr_null(patch_state_to_string(_PATCH_STATE_INVALID));
        ck_assert_int_eq(patch_state_from_string("Applied"), -1);
        ck_assert_int_eq(patch_state_from_string("applied "), -1);
        ck_assert_int_eq(patch_state_from_string(""), -1);
        ck_assert_int_eq(patch_state_from_string("bogus"), -1);
        ck_assert_int_eq(patch_state_from_string(NULL), -1);
}
END_TEST

START_TEST(test_operation_strings) {
        for (int i = 0; i < _PATCH_OPERATION_MAX; i++) {
                const char *s = patch_operation_to_string(i);
                ck_assert_ptr_nonnull(s);
                ck_assert_int_eq(patch_operation_from_string(s), i);
        }
        ck_assert_str_eq(patch_operation_to_string(PATCH_OPERATION_APPLY), "apply");
        ck_assert_str_eq(patch_operation_to_string(PATCH_OPERATION_DISABLE), "disable");
        ck_assert_ptr_null(patch_operation_to_string(_PATCH_OPERATION_MAX));
        ck_assert_ptr_null(patch_operation_to_string(_PATCH_OPERATION_INVALID));
        ck_assert_int_eq(patch_operation_from_string("enable"), -1);
        ck_assert_int_eq(patch_operation_from_string(""), -1);
        ck_assert_int_eq(patch_operation_from_string(NULL), -1);
}
END_TEST

START_TEST(test_result_strings) {
        for (int i = 0; i < _PATCH_RESULT_MAX; i++) {
                const char *s = patch_result_to_string(i);
                ck_assert_ptr_nonnull(s);
                ck_assert_int_eq(patch_result_from_string(s), i);
        }
        ck_assert_str_eq(patch_result_to_string(PATCH_RESULT_NONE), "");
        ck_assert_str_eq(patch_result_to_string(PATCH_RESULT_TRANSITION_TIMEOUT), "transition-timeout");
        ck_assert_ptr_null(patch_result_to_string(_PATCH_RESULT_MAX));
        ck_assert_ptr_null(patch_result_to_string(_PATCH_RESULT_INVALID));
        ck_assert_int_eq(patch_result_from_string("timeout"), -1);
        ck_assert_int_eq(patch_result_from_string("SUCCESS"), -1);
        ck_assert_int_eq(patch_result_from_string(NULL), -1);
}
END_TEST

START_TEST(test_is_transition) {
        ck_assert(patch_state_is_transition(PATCH_LOADING));
        ck_assert(patch_state_is_transition(PATCH_PATCHING));
        ck_assert(patch_state_is_transition(PATCH_UNPATCHING));
        ck_assert(!patch_state_is_transition(PATCH_APPLIED));
        ck_assert(!patch_state_is_transition(PATCH_DISABLED));
        ck_assert(!patch_state_is_transition(PATCH_FAILED));
        ck_assert(!patch_state_is_transition(PATCH_SUPERSEDED));
        ck_assert(!patch_state_is_transition(PATCH_ABSENT));
}
END_TEST

/* A patch record in a directory named like the patch, as the store keeps it. */
static Patch *record_in(const char *root) {
        static const char manifest[] =
                "[Patch]\nName=lp_rec\nVersion=1\nKernelRelease=6.1.0-13-amd64\nModule=lp_rec.ko\n"
                "ModuleSHA256=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
                "IssuedAt=2024-01-02T03:04:05Z\n";
        g_autofree char *dir = g_build_filename(root, "lp_rec", NULL);
        g_autoptr(Manifest) m = NULL;

        ck_assert_int_eq(g_mkdir_with_parents(dir, 0700), 0);
        th_write_file(dir, PATCH_MANIFEST_FILE, manifest, -1);
        ck_assert_int_eq(manifest_parse(manifest, strlen(manifest), &m, NULL), 0);
        return patch_new(dir, g_steal_pointer(&m), "CN=signer");
}

START_TEST(test_outcomes_round_trip) {
        g_autofree char *root = th_mkdtemp();
        g_autoptr(Patch) p = record_in(root);
        g_autoptr(Patch) back = NULL, again = NULL;

        /* The verdict, the rollback it calls for and its outcome are one record. */
        patch_set_state(p, PATCH_APPLIED, 100);
        p->soak_state = SOAK_STATE_FAILED;
        p->rollback_pending = true;
        patch_add_outcome(p, 1796539292533812, 0, "lpmaintd", "soak", "failed", "1 kernel log events; with = and ; and \"quotes\"");
        patch_add_outcome(p, 1796539292533813, 1001, "", "apply", "success", "");
        ck_assert_int_eq(patch_save(p), 0);
        ck_assert_int_eq(patch_load(p->dir, &back), 0);
        ck_assert_int_eq(back->status.state, PATCH_APPLIED);
        ck_assert_str_eq(soak_state_to_string(back->soak_state), "failed");
        ck_assert(back->rollback_pending);
        ck_assert_uint_eq(back->outcomes->len, 2);
        const PatchOutcome *o = &g_array_index(back->outcomes, PatchOutcome, 0);
        ck_assert_uint_eq(o->time_usec, 1796539292533812);
        ck_assert_uint_eq(o->uid, 0);
        ck_assert_str_eq(o->unit, "lpmaintd");
        ck_assert_str_eq(o->action, "soak");
        ck_assert_str_eq(o->result, "failed");
        ck_assert_str_eq(o->message, "1 kernel log events; with = and ; and \"quotes\"");
        ck_assert(!o->audited);
        o = &g_array_index(back->outcomes, PatchOutcome, 1);
        ck_assert_uint_eq(o->uid, 1001);
        ck_assert_str_eq(o->action, "apply");
        ck_assert_str_eq(o->message, "");

        /* Audited ones are left out of the next write. */
        g_array_index(back->outcomes, PatchOutcome, 0).audited = true;
        ck_assert_int_eq(patch_save(back), 0);
        ck_assert_int_eq(patch_load(p->dir, &again), 0);
        ck_assert_uint_eq(again->outcomes->len, 1);
        ck_assert_str_eq(g_array_index(again->outcomes, PatchOutcome, 0).action, "apply");
        /* And forgotten in memory, the others kept in order. */
        patch_forget_audited_outcomes(back);
        ck_assert_uint_eq(back->outcomes->len, 1);
        ck_assert_str_eq(g_array_index(back->outcomes, PatchOutcome, 0).action, "apply");
        th_rmtree(root);
}
END_TEST

START_TEST(test_damaged_outcome_is_refused) {
        g_autofree char *root = th_mkdtemp();
        g_autoptr(Patch) p = record_in(root);
        static const char *const bad[] = {
                "Outcome.0=12;0;lpmaintd;soak;failed\n",               /* a field short */
                "Outcome.0=soon;0;lpmaintd;soak;failed;why\n",         /* not a time */
                "Outcome.0=12;4294967296;lpmaintd;soak;failed;why\n",  /* uid out of range */
                "Outcome.0=12;0;lpmaintd;;failed;why\n",               /* no action */
        };

        ck_assert_int_eq(patch_save(p), 0);
        g_autofree char *path = g_build_filename(p->dir, PATCH_STATE_FILE, NULL);
        g_autofree char *good = th_read_file(path, NULL);
        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                g_autoptr(Patch) d = NULL;
                g_autofree char *text = g_strconcat(good, bad[i], NULL);
                th_write_file(p->dir, PATCH_STATE_FILE, text, -1);
                ck_assert_int_eq(patch_load(p->dir, &d), -EBADMSG);
        }
        th_rmtree(root);
}
END_TEST

/* A record as lpmaintd wrote it while SoakState was a string in memory. */
static const char old_record[] =
        "[Status]\nState=applied\nOperation=apply\nReversed=false\nResult=success\nResultMessage=\n"
        "BlockingTasks=\nSigner=CN=signer\nSupersededBy=\nBootID=0f1e2d3c4b5a69788796a5b4c3d2e1f0\n"
        "RequestedUID=0\nBreakGlass=false\nBreakGlassAcknowledged=false\nModuleSigner=\nModuleSigKey=\n"
        "ModuleSigHashAlgo=\nSoakState=%s\nSoakResult=\nSoakStartedUSec=1767225600000000\n"
        "SoakEndsUSec=1767229200000000\nRollbackPending=false\nReapplying=false\nBaselineTainted=32768\n"
        "BaselineOopsCount=1\nBaselineWarnCount=2\nBaselineKmsgSeq=4711\nBaselinePressure.cpu=12\n"
        "BaselinePressure.io=34\nBaselinePressure.memory=56\nStateChangedUSec=100\n"
        "AppliedUSec=1767225600000000\nTransitionStartedUSec=0\n"
        "Outcome.0=1767225600000001;1001;;apply;success;;\n";

START_TEST(test_old_record_loads_and_saves_the_same) {
        static const struct {
                const char *text;
                SoakState state;
        } soaks[] = {
                { "",          SOAK_STATE_NONE },
                { "soaking",   SOAK_STATE_SOAKING },
                { "healthy",   SOAK_STATE_HEALTHY },
                { "failed",    SOAK_STATE_FAILED },
                { "cancelled", SOAK_STATE_CANCELLED },
        };
        g_autofree char *root = th_mkdtemp();
        g_autoptr(Patch) p = record_in(root);
        g_autofree char *path = g_build_filename(p->dir, PATCH_STATE_FILE, NULL);

        for (size_t i = 0; i < G_N_ELEMENTS(soaks); i++) {
                g_autoptr(Patch) back = NULL;
                g_autofree char *text = g_strdup_printf(old_record, soaks[i].text);
                th_write_file(p->dir, PATCH_STATE_FILE, text, -1);
                ck_assert_int_eq(patch_load(p->dir, &back), 0);
                ck_assert_int_eq(back->soak_state, soaks[i].state);
                ck_assert_int_eq(back->status.state, PATCH_APPLIED);
                ck_assert_uint_eq(back->soak_ends_usec, 1767229200000000);
                ck_assert_uint_eq(back->outcomes->len, 1);
                /* Written back byte for byte as the old code wrote it. */
                ck_assert_int_eq(patch_save(back), 0);
                g_autofree char *again = th_read_file(path, NULL);
                ck_assert_str_eq(again, text);
        }
        th_rmtree(root);
}
END_TEST

START_TEST(test_soak_state_in_record) {
        g_autofree char *root = th_mkdtemp();
        g_autoptr(Patch) p = record_in(root);
        g_autoptr(Patch) back = NULL, bad = NULL;

        /* A record from before the soak has no SoakState: it never soaked. */
        th_write_file(p->dir, PATCH_STATE_FILE, "[Status]\nState=applied\nOperation=apply\n", -1);
        ck_assert_int_eq(patch_load(p->dir, &back), 0);
        ck_assert_int_eq(back->soak_state, SOAK_STATE_NONE);
        /* One no lpmaintd ever wrote is damaged, as an unknown State is. */
        th_write_file(p->dir, PATCH_STATE_FILE, "[Status]\nState=applied\nOperation=apply\nSoakState=judging\n", -1);
        ck_assert_int_eq(patch_load(p->dir, &bad), -EBADMSG);
        th_rmtree(root);
}
END_TEST

START_TEST(test_soak_strings) {
        for (int i = 0; i < _SOAK_STATE_MAX; i++) {
                const char *s = soak_state_to_string(i);
                ck_assert_ptr_nonnull(s);
                ck_assert_int_eq(soak_state_from_string(s), i);
        }
        ck_assert_str_eq(soak_state_to_string(SOAK_STATE_NONE), "");
        ck_assert_str_eq(soak_state_to_string(SOAK_STATE_CANCELLED), "cancelled");
        ck_assert_ptr_null(soak_state_to_string(_SOAK_STATE_MAX));
        ck_assert_ptr_null(soak_state_to_string(_SOAK_STATE_INVALID));
        ck_assert_int_eq(soak_state_from_string("Soaking"), -1);
        ck_assert_int_eq(soak_state_from_string(NULL), -1);
}
END_TEST

static Suite *patch_state_suite(void) {
        Suite *s = suite_create("patch-state");
        TCase *tc = tcase_create("step");

        tcase_add_loop_test(tc, test_step_table, 0, G_N_ELEMENTS(cases));
        tcase_add_test(tc, test_step_invariants);
        suite_add_tcase(s, tc);

        tc = tcase_create("strings");
        tcase_add_test(tc, test_state_strings);
        tcase_add_test(tc, test_operation_strings);
        tcase_add_test(tc, test_result_strings);
        tcase_add_test(tc, test_is_transition);
        tcase_add_test(tc, test_soak_strings);
        suite_add_tcase(s, tc);

        tc = tcase_create("record");
        tcase_add_test(tc, test_outcomes_round_trip);
        tcase_add_test(tc, test_damaged_outcome_is_refused);
        tcase_add_test(tc, test_old_record_loads_and_saves_the_same);
        tcase_add_test(tc, test_soak_state_in_record);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return th_run_suite(patch_state_suite());
}
