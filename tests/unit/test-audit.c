/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "test-helpers.h"
#include "util.h"

#define GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

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

/* One record as read back from a reply. */
typedef struct Rec {
        uint64_t t;
        uint32_t uid, pid;
        char *unit, *action, *patch, *sha256, *result, *message;
} Rec;

static void rec_clear(Rec *r) {
        g_free(r->unit);
        g_free(r->action);
        g_free(r->patch);
        g_free(r->sha256);
        g_free(r->result);
        g_free(r->message);
}

/* sd-bus creates messages only for a bus that was started: one end of a
 * socket pair is enough, nothing is ever sent. */
static sd_bus *new_bus(int *ret_peer) {
        sd_bus *bus = NULL;
        int fds[2];

        ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
        ck_assert_int_eq(sd_bus_new(&bus), 0);
        ck_assert_int_ge(sd_bus_set_fd(bus, fds[0], fds[0]), 0);
        ck_assert_int_ge(sd_bus_start(bus), 0);
        *ret_peer = fds[1];
        return bus;
}

/* Runs audit_read_into() and returns what it appended. */
static GArray *read_records(Audit *a, const AuditFilter *f) {
        int peer = -1;
        sd_bus *bus = new_bus(&peer);
        sd_bus_message *m = NULL;
        GArray *recs = g_array_new(false, true, sizeof(Rec));
        g_array_set_clear_func(recs, (GDestroyNotify) rec_clear);

        ck_assert_int_ge(sd_bus_message_new_method_call(bus, &m, "org.lpmaint1", "/org/lpmaint1", "org.lpmaint1.Manager", "Test"), 0);
        ck_assert_int_ge(audit_read_into(a, f, m), 0);
        ck_assert_int_ge(sd_bus_message_seal(m, 1, 0), 0);
        ck_assert_int_ge(sd_bus_message_rewind(m, true), 0);
        ck_assert_str_eq(sd_bus_message_get_signature(m, true), "a(tuussssss)");

        ck_assert_int_gt(sd_bus_message_enter_container(m, 'a', "(tuussssss)"), 0);
        for (;;) {
                const char *unit, *action, *patch, *sha, *result, *message;
                Rec r = {};
                int k = sd_bus_message_read(m, "(tuussssss)", &r.t, &r.uid, &r.pid, &unit, &action, &patch, &sha, &result, &message);
                ck_assert_int_ge(k, 0);
                if (k == 0)
                        break;
                r.unit = g_strdup(unit);
                r.action = g_strdup(action);
                r.patch = g_strdup(patch);
                r.sha256 = g_strdup(sha);
                r.result = g_strdup(result);
                r.message = g_strdup(message);
                g_array_append_val(recs, r);
        }
        ck_assert_int_gt(sd_bus_message_exit_container(m), 0);
        ck_assert_int_eq(sd_bus_message_at_end(m, true), 1);

        sd_bus_message_unref(m);
        sd_bus_close_unref(bus);
        ck_assert_int_eq(close(peer), 0);
        return recs;
}

static void append(Audit *a, uint64_t t, uint32_t uid, const char *patch, const char *result, const char *message) {
        AuditRecord rec = {
                .time_usec = t,
                .uid = uid,
                .pid = 100 + uid,
                .unit = "session-1.scope",
                .action = "apply",
                .patch = patch,
                .sha256 = patch[0] ? "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" : "",
                .result = result,
                .message = message,
        };
        ck_assert_int_eq(audit_append(a, &rec), 0);
}

static void append_standard(Audit *a) {
        append(a, 1000, 0, "lp_a", "success", "");
        append(a, 2000, 1000, "lp_b", "denied", "not authorized");
        append(a, 3000, 1000, "lp_a", "failure", "transition timed out");
        append(a, 4000, 0, "", "success", "reload");
        append(a, 5000, 1000, "lp_a", "success", "");
}

static void assert_times(GArray *recs, const uint64_t *want, size_t n) {
        g_autoptr(GString) got = g_string_new(NULL);
        for (guint i = 0; i < recs->len; i++)
                g_string_append_printf(got, " %" G_GUINT64_FORMAT, g_array_index(recs, Rec, i).t);
        ck_assert_msg(recs->len == n, "expected %zu records, got%s", n, got->str);
        for (size_t i = 0; i < n; i++)
                ck_assert_msg(g_array_index(recs, Rec, i).t == want[i], "record %zu: got%s", i, got->str);
}

#define ASSERT_TIMES(recs, ...)                                                 \
        do {                                                                    \
                const uint64_t _w[] = { __VA_ARGS__ };                          \
                assert_times((recs), _w, G_N_ELEMENTS(_w));                     \
        } while (0)

START_TEST(test_append_and_read) {
        g_autoptr(Audit) a = NULL;
        AuditFilter all = { .uid = -1 };

        ck_assert_int_eq(audit_open(tmp, &a), 0);
        audit_set_journal(a, false); /* keep test records out of the host journal */
        ck_assert(!th_exists(log_path)); /* nothing is written before the first record */

        g_autoptr(GArray) none = read_records(a, &all);
        ck_assert_uint_eq(none->len, 0);

        append_standard(a);
        g_autoptr(GArray) recs = read_records(a, &all);
        ASSERT_TIMES(recs, 1000, 2000, 3000, 4000, 5000);

        Rec *r = &g_array_index(recs, Rec, 1);
        ck_assert_uint_eq(r->uid, 1000);
        ck_assert_uint_eq(r->pid, 1100);
        ck_assert_str_eq(r->unit, "session-1.scope");
        ck_assert_str_eq(r->action, "apply");
        ck_assert_str_eq(r->patch, "lp_b");
        ck_assert_str_eq(r->sha256, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
        ck_assert_str_eq(r->result, "denied");
        ck_assert_str_eq(r->message, "not authorized");
        ck_assert_str_eq(g_array_index(recs, Rec, 3).patch, "");
        ck_assert_str_eq(g_array_index(recs, Rec, 3).sha256, "");

        /* The log is private. */
        struct stat st;
        ck_assert_int_eq(stat(log_path, &st), 0);
        ck_assert_uint_eq(st.st_mode & 07777, 0600);
}
END_TEST

START_TEST(test_awkward_strings) {
        g_autoptr(Audit) a = NULL;
        AuditFilter all = { .uid = -1 };
        const char *msg = "line one\nline two\t'single' \"double\" \\ back\x01slash ünïcödé";

        ck_assert_int_eq(audit_open(tmp, &a), 0);
        audit_set_journal(a, false); /* keep test records out of the host journal */
        append(a, 1, 0, "lp_a", "failure", msg);
        append(a, 2, 0, "lp_a", "success", "");

        /* Still one line per record. */
        g_autofree char *text = th_read_file(log_path, NULL);
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
        ck_assert_uint_eq(g_strv_length(lines), 3);
        ck_assert_str_eq(lines[2], "");

        g_autoptr(GArray) recs = read_records(a, &all);
        ck_assert_uint_eq(recs->len, 2);
        ck_assert_str_eq(g_array_index(recs, Rec, 0).message, msg);
}
END_TEST

START_TEST(test_filters) {
        g_autoptr(Audit) a = NULL;

        ck_assert_int_eq(audit_open(tmp, &a), 0);
        audit_set_journal(a, false); /* keep test records out of the host journal */
        append_standard(a);

        AuditFilter f = { .uid = -1, .since_usec = 2000 };
        g_autoptr(GArray) since = read_records(a, &f);
        ASSERT_TIMES(since, 2000, 3000, 4000, 5000);

        f = (AuditFilter) { .uid = -1, .until_usec = 4000 };
        g_autoptr(GArray) until = read_records(a, &f);
        ASSERT_TIMES(until, 1000, 2000, 3000);

        f = (AuditFilter) { .uid = -1, .since_usec = 2000, .until_usec = 4000 };
        g_autoptr(GArray) window = read_records(a, &f);
        ASSERT_TIMES(window, 2000, 3000);

        f = (AuditFilter) { .uid = -1, .patch = "lp_a" };
        g_autoptr(GArray) patch = read_records(a, &f);
        ASSERT_TIMES(patch, 1000, 3000, 5000);

        f = (AuditFilter) { .uid = -1, .patch = "lp" };
        g_autoptr(GArray) prefix = read_records(a, &f);
        ck_assert_uint_eq(prefix->len, 0); /* whole names only */

        f = (AuditFilter) { .uid = 0 };
        g_autoptr(GArray) root = read_records(a, &f);
        ASSERT_TIMES(root, 1000, 4000);

        f = (AuditFilter) { .uid = 1000 };
        g_autoptr(GArray) user = read_records(a, &f);
        ASSERT_TIMES(user, 2000, 3000, 5000);

        f = (AuditFilter) { .uid = 4242 };
        g_autoptr(GArray) nobody = read_records(a, &f);
        ck_assert_uint_eq(nobody->len, 0);

        f = (AuditFilter) { .uid = -1, .result = "success" };
        g_autoptr(GArray) success = read_records(a, &f);
        ASSERT_TIMES(success, 1000, 4000, 5000);

        f = (AuditFilter) { .uid = -1, .limit = 2 };
        g_autoptr(GArray) newest = read_records(a, &f);
        ASSERT_TIMES(newest, 4000, 5000);

        f = (AuditFilter) { .uid = -1, .limit = 10 };
        g_autoptr(GArray) more = read_records(a, &f);
        ASSERT_TIMES(more, 1000, 2000, 3000, 4000, 5000);

        /* Combined: the limit applies to what matched. */
        f = (AuditFilter) { .uid = 1000, .patch = "lp_a", .limit = 1 };
        g_autoptr(GArray) combined = read_records(a, &f);
        ASSERT_TIMES(combined, 5000);

        f = (AuditFilter) { .uid = 1000, .result = "success", .since_usec = 1000, .until_usec = 6000 };
        g_autoptr(GArray) combined2 = read_records(a, &f);
        ASSERT_TIMES(combined2, 5000);
}
END_TEST

/* Checks every line's last field against the SHA-256 of the line before. */
static guint check_chain(void) {
        g_autofree char *text = th_read_file(log_path, NULL);
        ck_assert_ptr_nonnull(text);
        ck_assert(g_str_has_suffix(text, "\n"));
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
        guint n = g_strv_length(lines) - 1; /* the empty string after the last newline */
        char prev[SHA256_HEX_LEN + 1];

        memcpy(prev, GENESIS, sizeof(prev));
        for (guint i = 0; i < n; i++) {
                g_autoptr(GError) error = NULL;
                g_autoptr(GVariant) v = g_variant_parse(G_VARIANT_TYPE(AUDIT_RECORD_TYPE), lines[i], NULL, NULL, &error);
                ck_assert_msg(v, "line %u does not parse: %s", i + 1, error ? error->message : "?");
                g_autoptr(GVariant) last = g_variant_get_child_value(v, g_variant_n_children(v) - 1);
                ck_assert_str_eq(g_variant_get_string(last, NULL), prev);
                sha256_hex(lines[i], strlen(lines[i]), prev);
        }
        return n;
}

START_TEST(test_chain) {
        g_autoptr(Audit) a = NULL;

        ck_assert_int_eq(audit_open(tmp, &a), 0);
        audit_set_journal(a, false); /* keep test records out of the host journal */
        append(a, 1000, 0, "lp_a", "success", "");
        ck_assert_uint_eq(check_chain(), 1);
        append_standard(a);
        ck_assert_uint_eq(check_chain(), 6);

        /* The check above catches an edit: a denial turned into a success. */
        g_autofree char *text = th_read_file(log_path, NULL);
        char *p = strstr(text, "'denied'");
        ck_assert_ptr_nonnull(p);
        memcpy(p, "'passed'", 8);
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
        bool broken = false;
        for (guint i = 1; lines[i] && lines[i][0]; i++) {
                char h[SHA256_HEX_LEN + 1];
                sha256_hex(lines[i - 1], strlen(lines[i - 1]), h);
                broken |= !strstr(lines[i], h);
        }
        ck_assert(broken);
}
END_TEST

START_TEST(test_reopen_continues_chain) {
        {
                g_autoptr(Audit) a = NULL;
                ck_assert_int_eq(audit_open(tmp, &a), 0);
                audit_set_journal(a, false); /* keep test records out of the host journal */
                append(a, 1000, 0, "lp_a", "success", "");
                append(a, 2000, 0, "lp_b", "success", "");
        }
        {
                g_autoptr(Audit) a = NULL;
                ck_assert_int_eq(audit_open(tmp, &a), 0);
                audit_set_journal(a, false); /* keep test records out of the host journal */
                append(a, 3000, 0, "lp_c", "success", "");
                ck_assert_uint_eq(check_chain(), 3);
        }
        {
                g_autoptr(Audit) a = NULL;
                AuditFilter all = { .uid = -1 };
                ck_assert_int_eq(audit_open(tmp, &a), 0);
                audit_set_journal(a, false); /* keep test records out of the host journal */
                append(a, 4000, 0, "lp_d", "success", "");
                ck_assert_uint_eq(check_chain(), 4);
                g_autoptr(GArray) recs = read_records(a, &all);
                ASSERT_TIMES(recs, 1000, 2000, 3000, 4000);
        }
}
END_TEST

START_TEST(test_reopen_long_log) {
        /* More than the tail audit_open() reads: the chain still continues. */
        g_autofree char *big = g_strnfill(3000, 'x');
        {
                g_autoptr(Audit) a = NULL;
                ck_assert_int_eq(audit_open(tmp, &a), 0);
                audit_set_journal(a, false); /* keep test records out of the host journal */
                for (int i = 0; i < 10; i++)
                        append(a, 1000 + i, 0, "lp_a", "success", big);
        }
        g_autoptr(Audit) a = NULL;
        ck_assert_int_eq(audit_open(tmp, &a), 0);
        audit_set_journal(a, false); /* keep test records out of the host journal */
        append(a, 2000, 0, "lp_a", "success", "");
        ck_assert_uint_eq(check_chain(), 11);
}
END_TEST

START_TEST(test_torn_last_line) {
        g_autoptr(Audit) a = NULL;
        {
                g_autoptr(Audit) first = NULL;
                ck_assert_int_eq(audit_open(tmp, &first), 0);
                append(first, 1000, 0, "lp_a", "success", "");
        }
        /* A crash in the middle of a write: half a record, no newline. */
        g_autofree char *text = th_read_file(log_path, NULL);
        g_autofree char *torn = g_strconcat(text, "(uint64 2000, uint32 0, ui", NULL);
        th_write_file(tmp, AUDIT_FILE, torn, -1);

        ck_assert_int_eq(audit_open(tmp, &a), -EBADMSG);
        ck_assert_ptr_null(a);

        /* A file of only a torn line, too. */
        th_write_file(tmp, AUDIT_FILE, "(uint64 1", -1);
        ck_assert_int_eq(audit_open(tmp, &a), -EBADMSG);

        /* An empty file is a fresh log. */
        th_write_file(tmp, AUDIT_FILE, "", 0);
        ck_assert_int_eq(audit_open(tmp, &a), 0);
        audit_set_journal(a, false); /* keep test records out of the host journal */
        append(a, 1000, 0, "lp_a", "success", "");
        ck_assert_uint_eq(check_chain(), 1);
}
END_TEST

static Suite *audit_suite(void) {
        Suite *s = suite_create("audit");
        TCase *tc = tcase_create("log");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_append_and_read);
        tcase_add_test(tc, test_awkward_strings);
        tcase_add_test(tc, test_filters);
        tcase_add_test(tc, test_chain);
        tcase_add_test(tc, test_reopen_continues_chain);
        tcase_add_test(tc, test_reopen_long_log);
        tcase_add_test(tc, test_torn_last_line);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return th_run_suite(audit_suite());
}
