/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "reboot-wave.h"
#include "test-helpers.h"

#define A "0c0c0c0c-0000-4000-8000-00000000000a"
#define B "0c0c0c0c-0000-4000-8000-00000000000b"

static void schedule(RebootWave *w, const char *boot_id) {
        w->state = WAVE_SCHEDULED;
        w->scheduled_usec = 500;
        g_free(w->scheduled_by);
        w->scheduled_by = g_strdup("wave");
        g_free(w->scheduled_boot_id);
        w->scheduled_boot_id = g_strdup(boot_id);
        g_free(w->reasons);
        w->reasons = g_strdup("kernel-installed (kernel 9 is installed)");
}

START_TEST(test_new_boot_verifies_a_scheduled_reboot) {
        g_autoptr(RebootWave) w = reboot_wave_new();

        schedule(w, A);
        w->fleet_lock_held = true;
        /* A restart of the daemon in the same boot is not the reboot. */
        ck_assert(!reboot_wave_note_boot(w, A, false));
        ck_assert_int_eq(w->state, WAVE_SCHEDULED);
        ck_assert(reboot_wave_note_boot(w, B, true));
        ck_assert_int_eq(w->state, WAVE_VERIFYING);
        ck_assert_uint_eq(w->scheduled_usec, 0);
        ck_assert_str_eq(w->scheduled_boot_id, "");
        /* The lock stays held until it is released after the checks. */
        ck_assert(w->fleet_lock_held);
        /* Rebooted again before the checks ended: still to verify. */
        ck_assert(reboot_wave_note_boot(w, A, true));
        /* And restarted in that boot before they ended. */
        ck_assert(reboot_wave_note_boot(w, A, false));
        ck_assert_int_eq(w->state, WAVE_VERIFYING);
        reboot_wave_close(w);
        ck_assert_int_eq(w->state, WAVE_NONE);
        ck_assert(w->fleet_lock_held);
}
END_TEST

START_TEST(test_later_start_verifies_when_the_first_did_not_record_it) {
        g_autoptr(RebootWave) w = reboot_wave_new();

        /* The first start in boot B was killed before it wrote the change: the
         * record, not the first start, tells that the reboot happened. */
        schedule(w, A);
        w->fleet_lock_held = true;
        ck_assert(reboot_wave_note_boot(w, B, false));
        ck_assert_int_eq(w->state, WAVE_VERIFYING);
        ck_assert_uint_eq(w->scheduled_usec, 0);
        ck_assert(w->fleet_lock_held);
}
END_TEST

START_TEST(test_new_boot_ends_waiting_waves_and_requests) {
        g_autoptr(RebootWave) w = reboot_wave_new();

        w->state = WAVE_WAITING;
        w->attempts = 3;
        w->request_boot_id = (g_free(w->request_boot_id), g_strdup(A));
        w->request_text = (g_free(w->request_text), g_strdup("firmware"));
        ck_assert(reboot_wave_requested(w, A));
        ck_assert(!reboot_wave_requested(w, B));
        /* A restart in the same boot changes nothing. */
        ck_assert(!reboot_wave_note_boot(w, A, false));
        ck_assert_int_eq(w->state, WAVE_WAITING);
        ck_assert(reboot_wave_requested(w, A));
        /* The host rebooted some other way: what the wave waited for happened. */
        ck_assert(!reboot_wave_note_boot(w, B, true));
        ck_assert_int_eq(w->state, WAVE_NONE);
        ck_assert_uint_eq(w->attempts, 0);
        ck_assert(!reboot_wave_requested(w, B));
        ck_assert_str_eq(w->request_text, "");

        /* Hooks that died with lpmaintd are run again at the next run. */
        w->state = WAVE_HOOKS;
        ck_assert(!reboot_wave_note_boot(w, B, false));
        ck_assert_int_eq(w->state, WAVE_WAITING);
        /* Hooks that ran when the boot ended scheduled nothing. */
        w->state = WAVE_HOOKS;
        ck_assert(!reboot_wave_note_boot(w, A, true));
        ck_assert_int_eq(w->state, WAVE_NONE);

        /* A request from an earlier boot is met, in a later start as well. */
        w->request_boot_id = (g_free(w->request_boot_id), g_strdup(A));
        w->request_text = (g_free(w->request_text), g_strdup("firmware"));
        ck_assert(!reboot_wave_note_boot(w, B, false));
        ck_assert(!reboot_wave_requested(w, A));
        ck_assert_str_eq(w->request_text, "");
}
END_TEST

START_TEST(test_save_load) {
        g_autofree char *dir = th_mkdtemp();
        g_autoptr(RebootWave) w = reboot_wave_new();
        g_autoptr(RebootWave) back = NULL;
        g_autoptr(RebootWave) none = NULL;

        ck_assert_int_eq(reboot_wave_load(dir, &none), 0);
        ck_assert_int_eq(none->state, WAVE_NONE);

        schedule(w, A);
        w->opened_usec = 42;
        w->attempts = 7;
        w->fleet_lock_held = true;
        w->request_boot_id = (g_free(w->request_boot_id), g_strdup(A));
        w->request_text = (g_free(w->request_text), g_strdup("say \"why\"; with = and #"));
        w->request_usec = 99;
        ck_assert_int_eq(reboot_wave_save(w, dir), 0);
        ck_assert_int_eq(reboot_wave_load(dir, &back), 0);
        ck_assert_int_eq(back->state, WAVE_SCHEDULED);
        ck_assert_uint_eq(back->opened_usec, 42);
        ck_assert_uint_eq(back->attempts, 7);
        ck_assert_uint_eq(back->scheduled_usec, 500);
        ck_assert_str_eq(back->scheduled_by, "wave");
        ck_assert_str_eq(back->scheduled_boot_id, A);
        ck_assert_str_eq(back->reasons, w->reasons);
        ck_assert(back->fleet_lock_held);
        ck_assert_str_eq(back->request_text, w->request_text);
        ck_assert_uint_eq(back->request_usec, 99);
        ck_assert(!back->schedule_unconfirmed);

        /* An intent recorded before logind was asked stays one across a restart. */
        w->schedule_unconfirmed = true;
        ck_assert_int_eq(reboot_wave_save(w, dir), 0);
        g_clear_pointer(&back, reboot_wave_free);
        ck_assert_int_eq(reboot_wave_load(dir, &back), 0);
        ck_assert(back->schedule_unconfirmed);
        /* Unscheduling forgets it. */
        reboot_wave_unschedule(back);
        ck_assert(!back->schedule_unconfirmed);
        ck_assert_uint_eq(back->outcomes->len, 0);

        /* Outcomes not yet audited are kept with the state, in order; audited ones are left out. */
        outcome_list_add(w->outcomes, 1000, 0, "lpmaintd", "reboot-completed", "success", "");
        outcome_list_add(w->outcomes, 1001, 0, "", "reboot-wave", "scheduled", "kernel; \"9\" = new");
        outcome_list_add(w->outcomes, 1002, 7, "x", "reboot-cancelled", "success", "");
        g_array_index(w->outcomes, PatchOutcome, 0).audited = true;
        reboot_wave_close(w);
        ck_assert_uint_eq(w->outcomes->len, 3);
        ck_assert_int_eq(reboot_wave_save(w, dir), 0);
        g_clear_pointer(&back, reboot_wave_free);
        ck_assert_int_eq(reboot_wave_load(dir, &back), 0);
        ck_assert_int_eq(back->state, WAVE_NONE);
        ck_assert_uint_eq(back->outcomes->len, 2);
        const PatchOutcome *o = &g_array_index(back->outcomes, PatchOutcome, 0);
        ck_assert_uint_eq(o->time_usec, 1001);
        ck_assert_str_eq(o->action, "reboot-wave");
        ck_assert_str_eq(o->result, "scheduled");
        ck_assert_str_eq(o->message, "kernel; \"9\" = new");
        ck_assert(!o->audited);
        o = &g_array_index(back->outcomes, PatchOutcome, 1);
        ck_assert_uint_eq(o->time_usec, 1002);
        ck_assert_uint_eq(o->uid, 7);
        ck_assert_str_eq(o->unit, "x");
        ck_assert_str_eq(o->action, "reboot-cancelled");

        /* A record written before the key existed is a confirmed schedule. */
        const char *old_record = "[Wave]\nState=scheduled\nOpenedUSec=0\nAttempts=0\nLastVerdict=\nScheduledUSec=500\n"
                "ScheduledBy=wave\nScheduledBootID=\nReasons=\nRequestBootID=\nRequestText=\nRequestUSec=0\n"
                "FleetLockHeld=false\n";
        th_write_file(dir, "reboot-wave", old_record, -1);
        g_clear_pointer(&back, reboot_wave_free);
        ck_assert_int_eq(reboot_wave_load(dir, &back), 0);
        ck_assert_int_eq(back->state, WAVE_SCHEDULED);
        ck_assert(!back->schedule_unconfirmed);

        /* A damaged file is an error, never an empty wave. */
        const char *bad[] = {
                "not a key file",
                "[Wave]\nState=exploded\n",
                "[Wave]\nState=scheduled\nOpenedUSec=-1\n",
                "[Wave]\nState=\nOpenedUSec=0\nAttempts=99999999999\nLastVerdict=\nScheduledUSec=0\nScheduledBy=\n"
                "ScheduledBootID=\nReasons=\nRequestBootID=\nRequestText=\nRequestUSec=0\nFleetLockHeld=false\n",
                "[Wave]\nState=\nOpenedUSec=0\nAttempts=0\nLastVerdict=\nScheduledUSec=0\nScheduledBy=\n"
                "ScheduledBootID=\nReasons=\nRequestBootID=\nRequestText=\nRequestUSec=0\nFleetLockHeld=maybe\n",
                "[Wave]\nState=\nOpenedUSec=0\nAttempts=0\nLastVerdict=\nScheduledUSec=0\nScheduledBy=\n"
                "ScheduledBootID=\nReasons=\nRequestBootID=\nRequestText=\nRequestUSec=0\nFleetLockHeld=false\n"
                "ScheduleUnconfirmed=perhaps\n",
                "[Wave]\nState=\nOpenedUSec=0\nAttempts=0\nLastVerdict=\nScheduledUSec=0\nScheduledBy=\n"
                "ScheduledBootID=\nReasons=\nRequestBootID=\nRequestText=\nRequestUSec=0\nFleetLockHeld=false\n"
                "Outcome.0=12;0;lpmaintd;reboot-completed\n",
                "[Wave]\nState=\nOpenedUSec=0\nAttempts=0\nLastVerdict=\nScheduledUSec=0\nScheduledBy=\n"
                "ScheduledBootID=\nReasons=\nRequestBootID=\nRequestText=\nRequestUSec=0\nFleetLockHeld=false\n"
                "Outcome.0=soon;0;lpmaintd;reboot-completed;success;\n",
        };
        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                g_autoptr(RebootWave) d = NULL;
                th_write_file(dir, "reboot-wave", bad[i], -1);
                ck_assert_int_eq(reboot_wave_load(dir, &d), -EBADMSG);
        }
        th_rmtree(dir);
}
END_TEST

START_TEST(test_state_names) {
        for (int s = 0; s < _WAVE_STATE_MAX; s++)
                ck_assert_int_eq(wave_state_from_string(wave_state_to_string(s)), s);
        ck_assert_int_eq(wave_state_from_string("bogus"), _WAVE_STATE_INVALID);
        ck_assert_ptr_null(wave_state_to_string(_WAVE_STATE_MAX));
}
END_TEST

static Suite *wave_suite(void) {
        Suite *s = suite_create("reboot-wave");
        TCase *tc = tcase_create("reboot-wave");

        tcase_add_test(tc, test_new_boot_verifies_a_scheduled_reboot);
        tcase_add_test(tc, test_later_start_verifies_when_the_first_did_not_record_it);
        tcase_add_test(tc, test_new_boot_ends_waiting_waves_and_requests);
        tcase_add_test(tc, test_save_load);
        tcase_add_test(tc, test_state_names);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return th_run_suite(wave_suite());
}
