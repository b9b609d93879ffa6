/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The wanted set (sync/wanted.c): what a host applies and disables, and why,
 * for each ring, time and state of the host's patches. */
#include <string.h>

#include "test-helpers.h"
#include "wanted.h"

static uint64_t T(const char *s) {
        uint64_t u;
        ck_assert_int_eq(parse_timestamp_utc(s, &u), 0);
        return u;
}

static void add(ChannelIndex *idx, const char *name, const char *version, bool replace, uint64_t added_in,
                const char *const *promotions) {
        ChannelPatch *p = channel_patch_new(name, version);

        p->replace = replace;
        p->added_in = added_in;
        for (size_t i = 0; promotions && promotions[i]; i += 2)
                channel_patch_promote(p, promotions[i], T(promotions[i + 1]));
        ck_assert_int_eq(channel_index_add_patch(idx, p), 0);
}

/* lp_a has three versions promoted to wave-1 at different times (the first
 * to every host too), lp_b is for wave-2 alone, lp_c's only version is
 * recalled, lp_d is promoted nowhere, and lp_x, not in the index, has a
 * recalled version. With @cumulative, lp_cum, a cumulative patch added last,
 * is promoted to wave-1. */
static ChannelIndex *make_index(bool cumulative) {
        ChannelIndex *idx = channel_index_new("6.1.0-test");

        idx->serial = 10;
        add(idx, "lp_a", "1.0", false, 5, (const char *const[]) { "wave-1", "2026-01-01T00:00:00Z", "*", "2026-01-05T00:00:00Z", NULL });
        add(idx, "lp_a", "1.1", false, 6, (const char *const[]) { "wave-1", "2026-01-08T00:00:00Z", NULL });
        add(idx, "lp_a", "1.2", false, 8, (const char *const[]) { "wave-1", "2026-01-20T00:00:00Z", NULL });
        add(idx, "lp_b", "2.0", false, 3, (const char *const[]) { "wave-2", "2026-01-01T00:00:00Z", NULL });
        add(idx, "lp_c", "1.0", false, 4, (const char *const[]) { "wave-1", "2026-01-01T00:00:00Z", NULL });
        add(idx, "lp_d", "1.0", false, 2, NULL);
        channel_index_add_recall(idx, "lp_c", "1.0", "hangs nfsd", T("2026-01-02T00:00:00Z"));
        channel_index_add_recall(idx, "lp_x", "3.0", "wrong fix", T("2026-01-02T00:00:00Z"));
        if (cumulative)
                add(idx, "lp_cum", "5.0", true, 7, (const char *const[]) { "wave-1", "2026-01-01T00:00:00Z", NULL });
        return idx;
}

#define NOW "2026-01-10T00:00:00Z"
#define H(n, v, s, r) { .name = n, .version = v, .state = PATCH_##s, .result = PATCH_RESULT_##r }

static const struct {
        const char *what;
        bool cumulative;
        const char *ring, *now;
        HostPatch host[2];
        const char *name;       /* the decision checked */
        const char *want;       /* "action reason version", or "" for none */
} table[] = {
        { "nothing here: the newest promoted", false, "wave-1", NOW, {}, "lp_a", "apply not-here 1.1" },
        { "an older version applied", false, "wave-1", NOW, { H("lp_a", "1.0", APPLIED, SUCCESS) }, "lp_a", "apply newer 1.1" },
        { "the same version applied", false, "wave-1", NOW, { H("lp_a", "1.1", APPLIED, SUCCESS) }, "lp_a", "nothing applied 1.1" },
        { "the same version patching", false, "wave-1", NOW, { H("lp_a", "1.1", PATCHING, NONE) }, "lp_a", "nothing in-transition 1.1" },
        { "an older version patching", false, "wave-1", NOW, { H("lp_a", "1.0", PATCHING, NONE) }, "lp_a", "nothing in-transition 1.0" },
        { "an older version loading", false, "wave-1", NOW, { H("lp_a", "1.0", LOADING, NONE) }, "lp_a", "nothing in-transition 1.0" },
        { "disabled by a person", false, "wave-1", NOW, { H("lp_a", "1.1", DISABLED, SUCCESS) }, "lp_a", "nothing disabled-here 1.1" },
        { "disabled, the kernel kept the module", false, "wave-1", NOW, { H("lp_a", "1.1", DISABLED, REMOVE_FAILED) }, "lp_a", "nothing disabled-here 1.1" },
        { "rolled back by a soak", false, "wave-1", NOW,
          { { .name = "lp_a", .version = "1.1", .state = PATCH_DISABLED, .result = PATCH_RESULT_SUCCESS, .soak_failed = true } },
          "lp_a", "nothing rolled-back 1.1" },
        { "failed to load", false, "wave-1", NOW, { H("lp_a", "1.1", FAILED, LOAD_FAILED) }, "lp_a", "nothing failed 1.1" },
        { "transition timed out", false, "wave-1", NOW, { H("lp_a", "1.1", FAILED, TRANSITION_TIMEOUT) }, "lp_a", "nothing failed 1.1" },
        { "interrupted", false, "wave-1", NOW, { H("lp_a", "1.1", FAILED, INTERRUPTED) }, "lp_a", "nothing failed 1.1" },
        { "quarantined after a crash", false, "wave-1", NOW, { H("lp_a", "1.1", FAILED, QUARANTINED) }, "lp_a", "nothing quarantined 1.1" },
        { "absent after a reboot", false, "wave-1", NOW, { H("lp_a", "1.1", ABSENT, SUCCESS) }, "lp_a", "apply absent 1.1" },
        { "absent, refused after the reboot", false, "wave-1", NOW, { H("lp_a", "1.1", ABSENT, REAPPLY_FAILED) }, "lp_a", "nothing failed 1.1" },
        { "absent, quarantined", false, "wave-1", NOW, { H("lp_a", "1.1", ABSENT, QUARANTINED) }, "lp_a", "nothing quarantined 1.1" },
        { "superseded", false, "wave-1", NOW, { H("lp_a", "1.1", SUPERSEDED, SUCCESS) }, "lp_a", "nothing superseded 1.1" },
        { "a newer version here", false, "wave-1", NOW, { H("lp_a", "1.2", APPLIED, SUCCESS) }, "lp_a", "nothing host-newer 1.1" },
        { "a newer version here, disabled", false, "wave-1", NOW, { H("lp_a", "1.2", DISABLED, SUCCESS) }, "lp_a", "nothing host-newer 1.1" },
        { "an older version disabled: a newer one moves past", false, "wave-1", NOW, { H("lp_a", "1.0", DISABLED, SUCCESS) }, "lp_a", "apply newer 1.1" },
        { "an older version failed: a newer one moves past", false, "wave-1", NOW, { H("lp_a", "1.0", FAILED, LOAD_FAILED) }, "lp_a", "apply newer 1.1" },
        { "an older version quarantined: a newer one moves past", false, "wave-1", NOW, { H("lp_a", "1.0", FAILED, QUARANTINED) }, "lp_a", "apply newer 1.1" },
        { "another ring: through '*'", false, "wave-2", NOW, {}, "lp_a", "apply not-here 1.0" },
        { "no ring: through '*'", false, NULL, NOW, {}, "lp_a", "apply not-here 1.0" },
        { "empty ring: through '*'", false, "", NOW, {}, "lp_a", "apply not-here 1.0" },
        { "no ring, before '*'", false, NULL, "2026-01-03T00:00:00Z", {}, "lp_a", "nothing promoted-later" },
        { "before its promotion", false, "wave-2", "2026-01-03T00:00:00Z", {}, "lp_a", "nothing promoted-later" },
        { "at its promotion", false, "wave-2", "2026-01-05T00:00:00Z", {}, "lp_a", "apply not-here 1.0" },
        { "before the newest's promotion", false, "wave-1", "2026-01-06T00:00:00Z", {}, "lp_a", "apply not-here 1.0" },
        { "after the newest's promotion", false, "wave-1", "2026-01-21T00:00:00Z", { H("lp_a", "1.1", APPLIED, SUCCESS) }, "lp_a", "apply newer 1.2" },
        { "not promoted to this ring", false, "wave-1", NOW, {}, "lp_b", "nothing not-promoted" },
        { "promoted to this ring", false, "wave-2", NOW, {}, "lp_b", "apply not-here 2.0" },
        { "promoted nowhere", false, "wave-1", NOW, {}, "lp_d", "nothing not-promoted" },
        { "promoted nowhere, applied here by hand", false, "wave-1", NOW, { H("lp_d", "1.0", APPLIED, SUCCESS) }, "lp_d", "nothing not-promoted" },
        { "recalled, not here", false, "wave-1", NOW, {}, "lp_c", "nothing all-recalled" },
        { "recalled, applied here", false, "wave-1", NOW, { H("lp_c", "1.0", APPLIED, SUCCESS) }, "lp_c", "disable recalled 1.0" },
        { "recalled, applied here, in another ring", false, "wave-2", NOW, { H("lp_c", "1.0", APPLIED, SUCCESS) }, "lp_c", "disable recalled 1.0" },
        { "recalled, disabled here", false, "wave-1", NOW, { H("lp_c", "1.0", DISABLED, SUCCESS) }, "lp_c", "nothing all-recalled" },
        { "recalled, patching here", false, "wave-1", NOW, { H("lp_c", "1.0", PATCHING, NONE) }, "lp_c", "nothing in-transition 1.0" },
        { "recalled, not in the index, applied here", false, "wave-1", NOW, { H("lp_x", "3.0", APPLIED, SUCCESS) }, "lp_x", "disable recalled 3.0" },
        { "not in the index, another version applied", false, "wave-1", NOW, { H("lp_x", "2.0", APPLIED, SUCCESS) }, "lp_x", "" },
        { "covered by a later cumulative patch", true, "wave-1", NOW, {}, "lp_a", "nothing covered 1.1" },
        { "covered, but applied already", true, "wave-1", NOW, { H("lp_a", "1.1", APPLIED, SUCCESS) }, "lp_a", "nothing applied 1.1" },
        { "the cumulative patch itself", true, "wave-1", NOW, {}, "lp_cum", "apply not-here 5.0" },
        { "a cumulative patch not promoted here covers nothing", true, "wave-2", NOW, {}, "lp_a", "apply not-here 1.0" },
        { "a cumulative patch added before does not cover", true, "wave-1", "2026-01-21T00:00:00Z", { H("lp_a", "1.1", APPLIED, SUCCESS) }, "lp_a", "apply newer 1.2" },
};

static char *decision_string(const WantedDecision *d) {
        return g_strdup_printf("%s %s%s%s", wanted_action_to_string(d->action), wanted_reason_to_string(d->reason),
                               d->version ? " " : "", d->version ?: "");
}

START_TEST(test_wanted_table) {
        g_autoptr(ChannelIndex) idx = make_index(table[_i].cumulative);
        size_t n_host = table[_i].host[0].name ? (table[_i].host[1].name ? 2 : 1) : 0;
        g_autoptr(GPtrArray) set = wanted_set(idx, table[_i].ring, T(table[_i].now), table[_i].host, n_host);
        g_autofree char *got = g_strdup("");
        unsigned found = 0;

        for (guint i = 0; i < set->len; i++) {
                const WantedDecision *d = set->pdata[i];
                if (!g_str_equal(d->name, table[_i].name))
                        continue;
                g_free(got);
                got = decision_string(d);
                found++;
                /* An apply carries the index's entry; nothing else does. */
                ck_assert(d->action == WANTED_APPLY ? d->patch && g_str_equal(d->patch->version, d->version) : !d->patch);
        }
        ck_assert_msg(found <= 1, "%s: %u decisions for %s", table[_i].what, found, table[_i].name);
        ck_assert_msg(g_str_equal(got, table[_i].want), "%s: got \"%s\", want \"%s\"", table[_i].what, got, table[_i].want);
}
END_TEST

static char *set_string(GPtrArray *set) {
        GString *s = g_string_new("");

        for (guint i = 0; i < set->len; i++) {
                const WantedDecision *d = set->pdata[i];
                g_autofree char *one = decision_string(d);
                g_string_append_printf(s, "%s%s: %s", i ? "; " : "", d->name, one);
        }
        return g_string_free(s, FALSE);
}

/* Disables first, then applies in the order the index added them, then the rest by name. */
START_TEST(test_wanted_order) {
        g_autoptr(ChannelIndex) idx = make_index(false);
        HostPatch host[] = { H("lp_x", "3.0", APPLIED, SUCCESS), H("lp_c", "1.0", APPLIED, SUCCESS) };
        g_autoptr(GPtrArray) set = wanted_set(idx, "wave-2", T(NOW), host, G_N_ELEMENTS(host));
        g_autofree char *got = set_string(set);

        ck_assert_str_eq(got, "lp_c: disable recalled 1.0; lp_x: disable recalled 3.0; "
                              "lp_b: apply not-here 2.0; lp_a: apply not-here 1.0; "
                              "lp_d: nothing not-promoted");
}
END_TEST

START_TEST(test_wanted_empty_index) {
        g_autoptr(ChannelIndex) idx = channel_index_new("6.1.0-test");
        HostPatch host[] = { H("lp_a", "1.0", APPLIED, SUCCESS) };
        g_autoptr(GPtrArray) set = wanted_set(idx, "wave-1", T(NOW), host, 1);

        /* The channel says nothing of lp_a: it is left alone. */
        ck_assert_uint_eq(set->len, 0);
}
END_TEST

START_TEST(test_wanted_describe) {
        g_autoptr(ChannelIndex) idx = make_index(true);
        HostPatch host[] = { H("lp_c", "1.0", APPLIED, SUCCESS), H("lp_b", "1.0", APPLIED, SUCCESS) };
        g_autoptr(GPtrArray) set = wanted_set(idx, "wave-2", T("2026-01-03T00:00:00Z"), host, 2);
        g_autofree char *got = NULL;
        GString *s = g_string_new("");

        for (guint i = 0; i < set->len; i++) {
                g_autofree char *line = wanted_decision_describe(set->pdata[i]);
                g_string_append_printf(s, "%s\n", line);
        }
        got = g_string_free(s, FALSE);
        ck_assert_str_eq(got,
                         "disable lp_c 1.0: recalled: hangs nfsd\n"
                         "apply lp_b 2.0: newer than 1.0 here\n"
                         "nothing lp_a: promoted to this ring at 2026-01-05T00:00:00Z\n"
                         "nothing lp_cum: not promoted to this ring\n"
                         "nothing lp_d: not promoted to this ring\n");
        for (int r = 0; r < _WANTED_REASON_MAX; r++)
                ck_assert_ptr_nonnull(wanted_reason_to_string(r));
}
END_TEST

static Suite *wanted_suite(void) {
        Suite *s = suite_create("wanted");
        TCase *tc = tcase_create("core");

        tcase_add_loop_test(tc, test_wanted_table, 0, G_N_ELEMENTS(table));
        tcase_add_test(tc, test_wanted_order);
        tcase_add_test(tc, test_wanted_empty_index);
        tcase_add_test(tc, test_wanted_describe);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return th_run_suite(wanted_suite());
}
