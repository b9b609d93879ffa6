/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
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

/* The whole log passes the same check as `lpmaint audit verify`. */
static size_t verify_log(void) {
        gsize size = 0;
        g_autofree char *text = th_read_file(log_path, &size);
        AuditChainResult res;

        ck_assert_ptr_nonnull(text);
        ck_assert_msg(audit_chain_verify(text, size, &res), "audit verify: %s at line %zu",
                      audit_chain_status_to_description(res.status), res.first_bad_line);
        return res.records;
}

static off_t file_size(void) {
        struct stat st;
        ck_assert_int_eq(stat(log_path, &st), 0);
        return st.st_size;
}

static void sha256_of(const char *data, size_t len, char ret[SHA256_HEX_LEN + 1]) {
        sha256_hex(data, len, ret);
}

/* The repair record: lpmaintd's, naming the bytes cut and their SHA-256. */
static void assert_repair(const Rec *r, size_t cut, const char *torn, size_t torn_len) {
        char sha[SHA256_HEX_LEN + 1];
        g_autofree char *bytes = g_strdup_printf("cut %zu bytes", cut);

        sha256_of(torn, torn_len, sha);
        ck_assert_str_eq(r->action, AUDIT_ACTION_REPAIR);
        ck_assert_str_eq(r->result, "repaired");
        ck_assert_str_eq(r->unit, "lpmaintd");
        ck_assert_uint_eq(r->uid, 0);
        ck_assert_str_eq(r->sha256, sha);
        ck_assert_msg(strstr(r->message, bytes) && strstr(r->message, sha), "message: %s", r->message);
}

START_TEST(test_torn_last_line) {
        const char torn_part[] = "(uint64 2000, uint32 0, ui";
        AuditFilter all = { .uid = -1 };
        g_autofree char *whole = NULL;
        {
                g_autoptr(Audit) first = NULL;
                ck_assert_int_eq(audit_open(tmp, &first), 0);
                audit_set_journal(first, false);
                append(first, 1000, 0, "lp_a", "success", "");
        }
        /* A crash in the middle of a write: half a record, no newline. */
        whole = th_read_file(log_path, NULL);
        g_autofree char *torn = g_strconcat(whole, torn_part, NULL);
        th_write_file(tmp, AUDIT_FILE, torn, -1);

        /* lpmaintd starts: the log opens, and the repair cuts the torn part
         * and records that it did. */
        g_autoptr(Audit) a = NULL;
        ck_assert_int_eq(audit_open(tmp, &a), 0);
        audit_set_journal(a, false);
        ck_assert_int_eq(audit_repair(a), 0);
        ck_assert_uint_eq(verify_log(), 2);
        g_autoptr(GArray) recs = read_records(a, &all);
        ck_assert_uint_eq(recs->len, 2);
        assert_repair(&g_array_index(recs, Rec, 1), strlen(torn_part), torn_part, strlen(torn_part));
        g_autofree char *after = th_read_file(log_path, NULL);
        ck_assert(g_str_has_prefix(after, whole)); /* nothing before the torn part was touched */

        /* Once repaired, there is nothing more to do, and the chain goes on. */
        off_t size = file_size();
        ck_assert_int_eq(audit_repair(a), 0);
        ck_assert_int_eq(file_size(), size);
        append(a, 3000, 0, "lp_b", "success", "");
        ck_assert_uint_eq(verify_log(), 3);
        ck_assert_uint_eq(check_chain(), 3);
}
END_TEST

START_TEST(test_torn_only_line) {
        /* A log of nothing but a torn first record: repaired to a log whose
         * first record is the repair, chained to the genesis. */
        AuditFilter all = { .uid = -1 };
        g_autoptr(Audit) a = NULL;

        th_write_file(tmp, AUDIT_FILE, "(uint64 1", -1);
        ck_assert_int_eq(audit_open(tmp, &a), 0);
        audit_set_journal(a, false);
        append(a, 2000, 0, "lp_a", "success", "");
        ck_assert_uint_eq(verify_log(), 2);
        g_autoptr(GArray) recs = read_records(a, &all);
        assert_repair(&g_array_index(recs, Rec, 0), 9, "(uint64 1", 9);
        ck_assert_uint_eq(g_array_index(recs, Rec, 1).t, 2000);

        /* An empty file is a fresh log, with nothing to repair. */
        g_clear_pointer(&a, audit_free);
        th_write_file(tmp, AUDIT_FILE, "", 0);
        ck_assert_int_eq(audit_open(tmp, &a), 0);
        audit_set_journal(a, false);
        ck_assert_int_eq(audit_repair(a), 0);
        ck_assert_int_eq(file_size(), 0);
        append(a, 1000, 0, "lp_a", "success", "");
        ck_assert_uint_eq(check_chain(), 1);

        /* Without a log, audit_repair() creates none. */
        g_clear_pointer(&a, audit_free);
        ck_assert_int_eq(unlink(log_path), 0);
        ck_assert_int_eq(audit_open(tmp, &a), 0);
        ck_assert_int_eq(audit_repair(a), 0);
        ck_assert(!th_exists(log_path));
}
END_TEST

START_TEST(test_torn_while_open) {
        /* A torn record found before an append (written behind our back, or
         * left by a failure we did not see) is cut first, and audited. */
        AuditFilter all = { .uid = -1 };
        g_autoptr(Audit) a = NULL;
        g_autofree char *big = g_strnfill(200 * 1024, 'z'); /* longer than one piece read backwards */

        ck_assert_int_eq(audit_open(tmp, &a), 0);
        audit_set_journal(a, false);
        append(a, 1000, 0, "lp_a", "success", "");
        _cleanup_close_ int fd = open(log_path, O_WRONLY | O_APPEND | O_CLOEXEC);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(write_all(fd, big, strlen(big)), 0);
        append(a, 2000, 0, "lp_a", "success", "");
        ck_assert_uint_eq(verify_log(), 3);
        g_autoptr(GArray) recs = read_records(a, &all);
        ck_assert_uint_eq(recs->len, 3);
        assert_repair(&g_array_index(recs, Rec, 1), strlen(big), big, strlen(big));
        ck_assert_uint_eq(g_array_index(recs, Rec, 2).t, 2000);
}
END_TEST

/* One record written by hand, chained to @prev; returns the line. */
static char *raw_record(uint64_t t, const char *message, const char *prev) {
        g_autoptr(GVariant) v = g_variant_ref_sink(g_variant_new(AUDIT_RECORD_TYPE, t, (uint32_t) 0, (uint32_t) 0, "",
                                                                 "apply", "lp_a", "", "refused", message, prev));
        return g_variant_print(v, false);
}

START_TEST(test_huge_record_then_reopen) {
        /* A record far longer than anything read in one piece (older versions
         * wrote messages of any length): the chain continues after a reopen. */
        g_autofree char *huge = g_strnfill(300 * 1024, 'h');
        g_autofree char *line1 = raw_record(1000, "first", AUDIT_CHAIN_GENESIS);
        char h1[SHA256_HEX_LEN + 1];
        sha256_hex(line1, strlen(line1), h1);
        g_autofree char *line2 = raw_record(2000, huge, h1);
        g_autofree char *text = g_strconcat(line1, "\n", line2, "\n", NULL);
        th_write_file(tmp, AUDIT_FILE, text, -1);

        g_autoptr(Audit) a = NULL;
        ck_assert_int_eq(audit_open(tmp, &a), 0);
        audit_set_journal(a, false);
        ck_assert_int_eq(audit_repair(a), 0);
        ck_assert_int_eq(file_size(), (off_t) strlen(text)); /* nothing torn, nothing cut */
        append(a, 3000, 0, "lp_a", "success", "");
        ck_assert_uint_eq(verify_log(), 3);

        /* A record of ours whose line is over 16 KiB even with capped fields
         * (control characters print as escapes), then a reopen. */
        g_autofree char *ctl = g_strnfill(AUDIT_MESSAGE_MAX, '\x01');
        append(a, 4000, 0, "lp_a", "refused", ctl);
        g_clear_pointer(&a, audit_free);
        g_autofree char *log = th_read_file(log_path, NULL);
        g_auto(GStrv) lines = g_strsplit(log, "\n", -1);
        ck_assert_uint_gt(strlen(lines[3]), 16 * 1024);

        ck_assert_int_eq(audit_open(tmp, &a), 0);
        audit_set_journal(a, false);
        append(a, 5000, 0, "lp_a", "success", "");
        ck_assert_uint_eq(verify_log(), 5);
        ck_assert_uint_eq(check_chain(), 5);
}
END_TEST

START_TEST(test_fields_are_capped) {
        AuditFilter all = { .uid = -1 };
        g_autoptr(Audit) a = NULL;
        g_autofree char *long_msg = g_strnfill(100 * 1024, 'm');
        g_autofree char *long_unit = g_strnfill(10 * 1024, 'u');

        ck_assert_int_eq(audit_open(tmp, &a), 0);
        audit_set_journal(a, false);
        AuditRecord rec = {
                .time_usec = 1, .action = "apply", .patch = long_unit, .unit = long_unit,
                .sha256 = "", .result = "refused", .message = long_msg,
        };
        ck_assert_int_eq(audit_append(a, &rec), 0);
        ck_assert_uint_eq(verify_log(), 1);

        g_autoptr(GArray) recs = read_records(a, &all);
        const Rec *r = &g_array_index(recs, Rec, 0);
        g_autofree char *msg_mark = g_strdup_printf(AUDIT_CUT_MARK, (size_t) (100 * 1024 - AUDIT_MESSAGE_MAX));
        g_autofree char *unit_mark = g_strdup_printf(AUDIT_CUT_MARK, (size_t) (10 * 1024 - AUDIT_FIELD_MAX));
        ck_assert_uint_eq(strlen(r->message), AUDIT_MESSAGE_MAX + strlen(msg_mark));
        ck_assert(g_str_has_suffix(r->message, msg_mark));
        ck_assert(strncmp(r->message, long_msg, AUDIT_MESSAGE_MAX) == 0);
        ck_assert(g_str_has_suffix(r->unit, unit_mark));
        ck_assert(g_str_has_suffix(r->patch, unit_mark));
        ck_assert_uint_lt(file_size(), 8 * 1024);

        /* Cut on a character boundary, never inside one; bad UTF-8 is replaced. */
        g_autoptr(GString) s = g_string_new("a");
        while (s->len < 300)
                g_string_append(s, "ü"); /* two bytes each: byte 256 is inside one */
        g_autofree char *cut = audit_cap_field(s->str, AUDIT_FIELD_MAX);
        ck_assert(g_utf8_validate(cut, -1, NULL));
        ck_assert(g_str_has_prefix(cut, "a"));
        ck_assert_ptr_nonnull(strstr(cut, "... ["));
        ck_assert_uint_eq((size_t) (strstr(cut, "... [") - cut), AUDIT_FIELD_MAX - 1);
        g_autofree char *fixed = audit_cap_field("ok\xff\xfe", AUDIT_FIELD_MAX);
        ck_assert(g_utf8_validate(fixed, -1, NULL));
        ck_assert(g_str_has_prefix(fixed, "ok"));
        g_autofree char *empty = audit_cap_field(NULL, AUDIT_FIELD_MAX);
        ck_assert_str_eq(empty, "");
}
END_TEST

/* RLIMIT_FSIZE makes the kernel cut a write short (then EFBIG), as a full
 * disk would; SIGXFSZ ignored so that it is an error, not death. */
typedef struct FsizeLimit {
        struct rlimit old;
        void (*old_handler)(int);
} FsizeLimit;

static FsizeLimit limit_file_size(off_t max) {
        FsizeLimit l = {};
        ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &l.old), 0);
        l.old_handler = signal(SIGXFSZ, SIG_IGN);
        struct rlimit lim = { .rlim_cur = (rlim_t) max, .rlim_max = l.old.rlim_max };
        ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
        return l;
}

static void unlimit_file_size(const FsizeLimit *l) {
        ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &l->old), 0);
        signal(SIGXFSZ, l->old_handler);
}

START_TEST(test_failed_append_leaves_nothing) {
        g_autoptr(Audit) a = NULL;
        g_autofree char *msg = g_strnfill(2000, 'f');

        ck_assert_int_eq(audit_open(tmp, &a), 0);
        audit_set_journal(a, false);
        append(a, 1000, 0, "lp_a", "success", "");
        g_autofree char *before = th_read_file(log_path, NULL);

        /* Room for part of the next record only: the write is cut short. */
        FsizeLimit l = limit_file_size(file_size() + 100);
        AuditRecord rec = { .time_usec = 2000, .action = "apply", .patch = "lp_b", .result = "accepted", .message = msg };
        int r = audit_append(a, &rec);
        unlimit_file_size(&l);
        ck_assert_int_eq(r, -EFBIG);

        /* Not a byte of it stayed, and the chain goes on from the record before. */
        g_autofree char *after = th_read_file(log_path, NULL);
        ck_assert_str_eq(after, before);
        append(a, 3000, 0, "lp_c", "success", "");
        ck_assert_uint_eq(verify_log(), 2);
        ck_assert_uint_eq(check_chain(), 2);

        /* The same from a fresh open (the size not yet known to us). */
        g_clear_pointer(&a, audit_free);
        ck_assert_int_eq(audit_open(tmp, &a), 0);
        audit_set_journal(a, false);
        g_free(before);
        before = th_read_file(log_path, NULL);
        l = limit_file_size(file_size() + 1);
        r = audit_append(a, &rec);
        unlimit_file_size(&l);
        ck_assert_int_eq(r, -EFBIG);
        g_free(after);
        after = th_read_file(log_path, NULL);
        ck_assert_str_eq(after, before);
        append(a, 4000, 0, "lp_d", "success", "");
        ck_assert_uint_eq(verify_log(), 3);
}
END_TEST

START_TEST(test_repair_record_written_later) {
        /* The torn part is cut, but the repair's own record does not fit: the
         * append fails (the change it was for is refused), and the repair is
         * recorded before the next record once there is room. */
        const char torn_part[] = "(uint64 77, uint32 0, uint32 0, 'lpm";
        AuditFilter all = { .uid = -1 };
        g_autoptr(Audit) a = NULL;

        ck_assert_int_eq(audit_open(tmp, &a), 0);
        audit_set_journal(a, false);
        append(a, 1000, 0, "lp_a", "success", "");
        g_autofree char *whole = th_read_file(log_path, NULL);
        off_t whole_size = file_size();
        _cleanup_close_ int fd = open(log_path, O_WRONLY | O_APPEND | O_CLOEXEC);
        ck_assert_int_eq(write_all(fd, torn_part, strlen(torn_part)), 0);

        FsizeLimit l = limit_file_size(whole_size + 10);
        AuditRecord rec = { .time_usec = 2000, .action = "disable", .patch = "lp_a", .result = "accepted" };
        int r = audit_append(a, &rec);
        unlimit_file_size(&l);
        ck_assert_int_eq(r, -EFBIG);
        g_autofree char *after = th_read_file(log_path, NULL);
        ck_assert_str_eq(after, whole);

        append(a, 3000, 0, "lp_a", "success", "");
        ck_assert_uint_eq(verify_log(), 3);
        g_autoptr(GArray) recs = read_records(a, &all);
        ASSERT_TIMES(recs, 1000, g_array_index(recs, Rec, 1).t, 3000);
        assert_repair(&g_array_index(recs, Rec, 1), strlen(torn_part), torn_part, strlen(torn_part));

        /* Two repairs before there is room: one record names both, the SHA-256
         * field the later one. */
        const char second[] = "(uint64 4000";
        whole_size = file_size();
        ck_assert_int_eq(write_all(fd, torn_part, strlen(torn_part)), 0);
        l = limit_file_size(whole_size + 10);
        ck_assert_int_eq(audit_append(a, &rec), -EFBIG);
        unlimit_file_size(&l);
        ck_assert_int_eq(write_all(fd, second, strlen(second)), 0);
        l = limit_file_size(whole_size + 10);
        ck_assert_int_eq(audit_append(a, &rec), -EFBIG);
        unlimit_file_size(&l);
        ck_assert_int_eq(file_size(), whole_size);
        append(a, 5000, 0, "lp_a", "success", "");
        ck_assert_uint_eq(verify_log(), 5);
        g_autoptr(GArray) more = read_records(a, &all);
        ck_assert_uint_eq(more->len, 5);
        const Rec *both = &g_array_index(more, Rec, 3);
        assert_repair(both, strlen(second), second, strlen(second));
        g_autofree char *first_cut = g_strdup_printf("cut %zu bytes", strlen(torn_part));
        ck_assert_ptr_nonnull(strstr(both->message, first_cut));
        ck_assert_ptr_nonnull(strstr(both->message, "; then cut"));
}
END_TEST

START_TEST(test_not_a_regular_file) {
        /* Neither followed nor blocked on: refused, at once. */
        g_autofree char *target = g_build_filename(tmp, "elsewhere", NULL);
        g_autoptr(Audit) a = NULL;

        th_write_file(tmp, "elsewhere", "", 0);
        ck_assert_int_eq(symlink(target, log_path), 0);
        ck_assert_int_eq(audit_open(tmp, &a), -EBADFD);
        ck_assert_int_eq(unlink(log_path), 0);

        ck_assert_int_eq(mkfifo(log_path, 0600), 0);
        ck_assert_int_eq(audit_open(tmp, &a), -EBADFD);
        ck_assert_int_eq(unlink(log_path), 0);

        ck_assert_int_eq(mkdir(log_path, 0700), 0);
        ck_assert_int_eq(audit_open(tmp, &a), -EBADFD);
        ck_assert_int_eq(rmdir(log_path), 0);

        /* Swapped for a FIFO or a link while lpmaintd runs: the append fails. */
        ck_assert_int_eq(audit_open(tmp, &a), 0);
        audit_set_journal(a, false);
        append(a, 1000, 0, "lp_a", "success", "");
        ck_assert_int_eq(unlink(log_path), 0);
        ck_assert_int_eq(mkfifo(log_path, 0600), 0);
        AuditRecord rec = { .time_usec = 2000, .action = "apply", .result = "accepted" };
        ck_assert_int_eq(audit_append(a, &rec), -EBADFD);
        ck_assert_int_eq(audit_repair(a), -EBADFD);
        ck_assert_int_eq(unlink(log_path), 0);
        ck_assert_int_eq(symlink(target, log_path), 0);
        ck_assert_int_eq(audit_append(a, &rec), -EBADFD);
        g_autofree char *untouched = th_read_file(target, NULL);
        ck_assert_str_eq(untouched, "");
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
        tcase_add_test(tc, test_torn_only_line);
        tcase_add_test(tc, test_torn_while_open);
        tcase_add_test(tc, test_huge_record_then_reopen);
        tcase_add_test(tc, test_fields_are_capped);
        tcase_add_test(tc, test_failed_append_leaves_nothing);
        tcase_add_test(tc, test_repair_record_written_later);
        tcase_add_test(tc, test_not_a_regular_file);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return th_run_suite(audit_suite());
}
