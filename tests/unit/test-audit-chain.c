/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The audit chain verifier against logs written by audit_append() itself,
 * so that a change of the record format breaks this test, not the field. */
#include <string.h>

#include "audit.h"
#include "audit-chain.h"
#include "test-helpers.h"

static char *tmp, *log_path;

static void setup(void) {
        tmp = th_mkdtemp();
        log_path = g_build_filename(tmp, AUDIT_FILE, NULL);
}

static void teardown(void) {
        th_rmtree(tmp);
        g_clear_pointer(&tmp, g_free);
        g_clear_pointer(&log_path, g_free);
}

/* Writes @n records through the daemon's own writer, times as given. */
static char *write_log(const uint64_t *times, size_t n, gsize *ret_size) {
        g_autoptr(Audit) a = NULL;

        ck_assert_int_eq(audit_open(tmp, &a), 0);
        audit_set_journal(a, false); /* keep test records out of the host journal */
        for (size_t i = 0; i < n; i++) {
                AuditRecord rec = {
                        .time_usec = times[i],
                        .uid = 1000 + (uint32_t) i,
                        .pid = 42,
                        .unit = "session-1.scope",
                        .action = i % 2 ? "disable" : "apply",
                        .patch = "lp_a",
                        .sha256 = "",
                        .result = i % 3 ? "denied" : "accepted",
                        .message = "it's \"quoted\"\tand\nmultiline ünïcödé",
                };
                ck_assert_int_eq(audit_append(a, &rec), 0);
        }
        return th_read_file(log_path, ret_size);
}

static const uint64_t five[] = { 1000, 2000, 3000, 4000, 5000 };

static AuditChainResult verify(const char *text, size_t size) {
        AuditChainResult res;
        bool ok = audit_chain_verify(text, size, &res);
        ck_assert(ok == (res.status == AUDIT_CHAIN_OK));
        return res;
}

#define assert_bad(res, want_status, want_line, want_records)                                  \
        do {                                                                                   \
                AuditChainResult _res = (res);                                                 \
                ck_assert_msg(_res.status == (want_status), "status %d, want %d",              \
                              (int) _res.status, (int) (want_status));                         \
                ck_assert_uint_eq(_res.first_bad_line, (want_line));                           \
                ck_assert_uint_eq(_res.records, (want_records));                               \
        } while (0)

/* Byte offset of line @n (1-based). */
static char *line_start(char *text, unsigned n) {
        for (unsigned i = 1; i < n; i++) {
                text = strchr(text, '\n');
                ck_assert_ptr_nonnull(text);
                text++;
        }
        return text;
}

START_TEST(test_record_type_matches) {
        ck_assert_str_eq(AUDIT_CHAIN_RECORD_TYPE, AUDIT_RECORD_TYPE);
}
END_TEST

START_TEST(test_intact) {
        gsize size;
        g_autofree char *text = write_log(five, G_N_ELEMENTS(five), &size);
        AuditChainResult res = verify(text, size);

        ck_assert_int_eq(res.status, AUDIT_CHAIN_OK);
        ck_assert_uint_eq(res.records, 5);
        ck_assert_uint_eq(res.first_bad_line, 0);
        ck_assert_ptr_null(audit_chain_status_to_string(res.status));

        /* An empty log is an intact one. */
        res = verify("", 0);
        ck_assert_int_eq(res.status, AUDIT_CHAIN_OK);
        ck_assert_uint_eq(res.records, 0);
}
END_TEST

START_TEST(test_parse_line) {
        gsize size;
        g_autofree char *text = write_log(five, 2, &size);
        char *second = line_start(text, 2);
        g_auto(AuditChainRecord) rec = {};

        /* Not NUL-terminated at the line's end: the length is what counts. */
        ck_assert_int_eq(audit_chain_parse_line(second, strcspn(second, "\n"), &rec), 0);
        ck_assert_uint_eq(rec.time_usec, 2000);
        ck_assert_uint_eq(rec.uid, 1001);
        ck_assert_uint_eq(rec.pid, 42);
        ck_assert_str_eq(rec.unit, "session-1.scope");
        ck_assert_str_eq(rec.action, "disable");
        ck_assert_str_eq(rec.patch, "lp_a");
        ck_assert_str_eq(rec.result, "denied");
        ck_assert_str_eq(rec.message, "it's \"quoted\"\tand\nmultiline ünïcödé");
        ck_assert_uint_eq(strlen(rec.prev), AUDIT_CHAIN_HASH_LEN);

        AuditChainRecord bad = {};
        ck_assert_int_eq(audit_chain_parse_line("", 0, &bad), -EBADMSG);
        ck_assert_int_eq(audit_chain_parse_line("(1, 2)", 6, &bad), -EBADMSG);
        /* The record followed by garbage on the same line. */
        g_autofree char *extra = g_strdup_printf("%.*s x", (int) strcspn(second, "\n"), second);
        ck_assert_int_eq(audit_chain_parse_line(extra, strlen(extra), &bad), -EBADMSG);
        ck_assert_ptr_null(bad.variant);
}
END_TEST

START_TEST(test_field_changed) {
        gsize size;
        g_autofree char *text = write_log(five, G_N_ELEMENTS(five), &size);

        /* A denial on line 2 turned into an acceptance: line 3 no longer chains. */
        char *p = strstr(line_start(text, 2), "'denied'");
        ck_assert_ptr_nonnull(p);
        memcpy(p, "'passed'", 8);
        AuditChainResult res = verify(text, size);
        assert_bad(res, AUDIT_CHAIN_BROKEN, 3, 5);
        ck_assert(res.has_time);
        ck_assert_uint_eq(res.time_usec, 3000);
        ck_assert_str_eq(audit_chain_status_to_string(res.status), "chain-broken");
}
END_TEST

START_TEST(test_first_prev_not_genesis) {
        gsize size;
        g_autofree char *text = write_log(five, G_N_ELEMENTS(five), &size);

        /* The first record removed: the new first one's prev is not zeros. */
        char *second = line_start(text, 2);
        assert_bad(verify(second, size - (gsize) (second - text)), AUDIT_CHAIN_BROKEN, 1, 4);
}
END_TEST

START_TEST(test_line_deleted_and_swapped) {
        gsize size;
        g_autofree char *text = write_log(five, G_N_ELEMENTS(five), &size);
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

        /* Line 3 removed: line 4 becomes line 3 and does not chain to line 2. */
        g_autofree char *deleted = g_strjoin("\n", lines[0], lines[1], lines[3], lines[4], "", NULL);
        assert_bad(verify(deleted, strlen(deleted)), AUDIT_CHAIN_BROKEN, 3, 4);

        /* Lines 2 and 3 swapped: the new line 2 does not chain to line 1. */
        g_autofree char *swapped = g_strjoin("\n", lines[0], lines[2], lines[1], lines[3], lines[4], "", NULL);
        assert_bad(verify(swapped, strlen(swapped)), AUDIT_CHAIN_BROKEN, 2, 5);
}
END_TEST

START_TEST(test_torn_last_line) {
        gsize size;
        g_autofree char *text = write_log(five, G_N_ELEMENTS(five), &size);

        /* Cut in the middle of the last record. */
        size_t cut = size - 20;
        AuditChainResult res = verify(text, cut);
        assert_bad(res, AUDIT_CHAIN_TORN, 5, 5);
        ck_assert(!res.has_time);

        /* Only the newline is missing: still torn, but the time is known. */
        res = verify(text, size - 1);
        assert_bad(res, AUDIT_CHAIN_TORN, 5, 5);
        ck_assert(res.has_time);
        ck_assert_uint_eq(res.time_usec, 5000);
}
END_TEST

START_TEST(test_unparsable_lines) {
        gsize size;
        g_autofree char *text = write_log(five, 3, &size);
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

        /* An empty line is not skipped: audit_append() never writes one. */
        g_autofree char *blank = g_strjoin("\n", lines[0], "", lines[1], lines[2], "", NULL);
        assert_bad(verify(blank, strlen(blank)), AUDIT_CHAIN_UNPARSABLE, 2, 4);

        g_autofree char *junk = g_strjoin("\n", lines[0], lines[1], "hello", lines[2], "", NULL);
        AuditChainResult res = verify(junk, strlen(junk));
        assert_bad(res, AUDIT_CHAIN_UNPARSABLE, 3, 4);
        ck_assert(!res.has_time);

        /* A NUL inside a line, and bytes that are not UTF-8. */
        g_autofree char *nul = g_strdup(text);
        line_start(nul, 2)[3] = '\0';
        assert_bad(verify(nul, size), AUDIT_CHAIN_UNPARSABLE, 2, 3);
        g_autofree char *latin1 = g_strdup(text);
        line_start(latin1, 3)[5] = '\xe9';
        assert_bad(verify(latin1, size), AUDIT_CHAIN_UNPARSABLE, 3, 3);
}
END_TEST

START_TEST(test_time_going_backwards_is_fine) {
        static const uint64_t stepped[] = { 5000, 1000, 9000, 10 };
        gsize size;
        g_autofree char *text = write_log(stepped, G_N_ELEMENTS(stepped), &size);

        AuditChainResult res = verify(text, size);
        ck_assert_int_eq(res.status, AUDIT_CHAIN_OK);
        ck_assert_uint_eq(res.records, 4);
}
END_TEST

static Suite *audit_chain_suite(void) {
        Suite *s = suite_create("audit-chain");
        TCase *tc = tcase_create("verify");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_record_type_matches);
        tcase_add_test(tc, test_intact);
        tcase_add_test(tc, test_parse_line);
        tcase_add_test(tc, test_field_changed);
        tcase_add_test(tc, test_first_prev_not_genesis);
        tcase_add_test(tc, test_line_deleted_and_swapped);
        tcase_add_test(tc, test_torn_last_line);
        tcase_add_test(tc, test_unparsable_lines);
        tcase_add_test(tc, test_time_going_backwards_is_fine);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return th_run_suite(audit_chain_suite());
}
