/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "fleetlock-protocol.h"

/* --- ops, schemes, ids, groups --- */

START_TEST(test_ops) {
        ck_assert_int_eq(fleetlock_op_from_string("pre-reboot"), FLEETLOCK_PRE_REBOOT);
        ck_assert_int_eq(fleetlock_op_from_string("steady-state"), FLEETLOCK_STEADY_STATE);
        ck_assert_int_eq(fleetlock_op_from_string("Pre-Reboot"), _FLEETLOCK_OP_INVALID);
        ck_assert_int_eq(fleetlock_op_from_string(""), _FLEETLOCK_OP_INVALID);
        ck_assert_int_eq(fleetlock_op_from_string(NULL), _FLEETLOCK_OP_INVALID);
        ck_assert_str_eq(fleetlock_op_to_string(FLEETLOCK_PRE_REBOOT), "pre-reboot");
        ck_assert_str_eq(fleetlock_op_to_string(FLEETLOCK_STEADY_STATE), "steady-state");
        ck_assert_ptr_null(fleetlock_op_to_string(_FLEETLOCK_OP_MAX));
        ck_assert_ptr_null(fleetlock_op_to_string(_FLEETLOCK_OP_INVALID));
}
END_TEST

START_TEST(test_schemes) {
        ck_assert_int_eq(fleetlock_url_scheme("http://h"), FLEETLOCK_SCHEME_HTTP);
        ck_assert_int_eq(fleetlock_url_scheme("HTTP://h"), FLEETLOCK_SCHEME_HTTP);
        ck_assert_int_eq(fleetlock_url_scheme("https://h"), FLEETLOCK_SCHEME_HTTPS);
        ck_assert_int_eq(fleetlock_url_scheme("hTtPs://h"), FLEETLOCK_SCHEME_HTTPS);
        ck_assert_int_eq(fleetlock_url_scheme("ftp://h"), -EPROTONOSUPPORT);
        ck_assert_int_eq(fleetlock_url_scheme("http:/h"), -EPROTONOSUPPORT);
        ck_assert_int_eq(fleetlock_url_scheme("httpx://h"), -EPROTONOSUPPORT);
        ck_assert_int_eq(fleetlock_url_scheme(""), -EPROTONOSUPPORT);
        ck_assert_int_eq(fleetlock_url_scheme(NULL), -EPROTONOSUPPORT);
}
END_TEST

START_TEST(test_ids) {
        char longest[FLEETLOCK_ID_MAX + 2];

        ck_assert(fleetlock_id_is_valid("c988d2509fdf4cdcbed39037c56406fb"));
        ck_assert(fleetlock_id_is_valid("node-1.example.com"));
        ck_assert(fleetlock_id_is_valid("a\"b\\c{}"));  /* escaped in the body, not refused */
        ck_assert(!fleetlock_id_is_valid(""));
        ck_assert(!fleetlock_id_is_valid(NULL));
        ck_assert(!fleetlock_id_is_valid("a b"));
        ck_assert(!fleetlock_id_is_valid("a\tb"));
        ck_assert(!fleetlock_id_is_valid("a\nb"));
        ck_assert(!fleetlock_id_is_valid("a\x7f"));
        ck_assert(!fleetlock_id_is_valid("\xc3\xa9"));

        memset(longest, 'i', FLEETLOCK_ID_MAX);
        longest[FLEETLOCK_ID_MAX] = 0;
        ck_assert(fleetlock_id_is_valid(longest));
        longest[FLEETLOCK_ID_MAX] = 'i';
        longest[FLEETLOCK_ID_MAX + 1] = 0;
        ck_assert(!fleetlock_id_is_valid(longest));
}
END_TEST

START_TEST(test_groups) {
        char longest[FLEETLOCK_GROUP_MAX + 2];

        ck_assert(fleetlock_group_is_valid("default"));
        ck_assert(fleetlock_group_is_valid("workers"));
        ck_assert(fleetlock_group_is_valid("db.eu-1.A9"));
        ck_assert(fleetlock_group_is_valid("."));
        ck_assert(!fleetlock_group_is_valid(""));
        ck_assert(!fleetlock_group_is_valid(NULL));
        ck_assert(!fleetlock_group_is_valid("a b"));
        ck_assert(!fleetlock_group_is_valid("a_b"));
        ck_assert(!fleetlock_group_is_valid("a/b"));
        ck_assert(!fleetlock_group_is_valid("a\"b"));
        ck_assert(!fleetlock_group_is_valid("\xc3\xa4"));

        memset(longest, 'g', FLEETLOCK_GROUP_MAX);
        longest[FLEETLOCK_GROUP_MAX] = 0;
        ck_assert(fleetlock_group_is_valid(longest));
        longest[FLEETLOCK_GROUP_MAX] = 'g';
        longest[FLEETLOCK_GROUP_MAX + 1] = 0;
        ck_assert(!fleetlock_group_is_valid(longest));
}
END_TEST

/* --- endpoint URLs --- */

static void check_url(const char *base, FleetlockOp op, const char *expected) {
        g_autofree char *url = NULL;

        ck_assert_msg(fleetlock_endpoint_url(base, op, &url) == 0, "%s", base);
        ck_assert_str_eq(url, expected);
}

static void check_url_fails(const char *base, int expected) {
        char *url = NULL;

        ck_assert_msg(fleetlock_endpoint_url(base, FLEETLOCK_PRE_REBOOT, &url) == expected, "%s", base);
        ck_assert_ptr_null(url);
}

START_TEST(test_endpoint_urls) {
        char longest[FLEETLOCK_URL_MAX + 2];

        check_url("http://127.0.0.1:8080", FLEETLOCK_PRE_REBOOT, "http://127.0.0.1:8080/v1/pre-reboot");
        check_url("http://127.0.0.1:8080", FLEETLOCK_STEADY_STATE, "http://127.0.0.1:8080/v1/steady-state");
        check_url("https://example.com/base", FLEETLOCK_PRE_REBOOT, "https://example.com/base/v1/pre-reboot");
        check_url("https://example.com/base///", FLEETLOCK_PRE_REBOOT, "https://example.com/base/v1/pre-reboot");
        check_url("http://10.3.0.15/", FLEETLOCK_STEADY_STATE, "http://10.3.0.15/v1/steady-state");
        check_url("HTTP://[::1]:80/a%20b", FLEETLOCK_PRE_REBOOT, "HTTP://[::1]:80/a%20b/v1/pre-reboot");

        check_url_fails("ftp://example.com", -EPROTONOSUPPORT);
        check_url_fails("file:///etc/passwd", -EPROTONOSUPPORT);
        check_url_fails("example.com:8080", -EPROTONOSUPPORT);
        check_url_fails("", -EPROTONOSUPPORT);
        check_url_fails(NULL, -EINVAL);
        check_url_fails("http://", -EINVAL);
        check_url_fails("http:///base", -EINVAL);
        check_url_fails("http://:8080/", -EINVAL);
        check_url_fails("http://user:secret@example.com/", -EINVAL);
        check_url_fails("http://example.com/?x=1", -EINVAL);
        check_url_fails("http://example.com/#frag", -EINVAL);
        check_url_fails("http://example.com/a b", -EINVAL);
        check_url_fails("http://example.com/\n", -EINVAL);
        check_url_fails("http://ex\xc3\xa4mple.com/", -EINVAL);

        /* An '@' after the host is part of the path, not credentials. */
        check_url("http://example.com/@base", FLEETLOCK_PRE_REBOOT, "http://example.com/@base/v1/pre-reboot");

        memset(longest, 'a', sizeof(longest) - 1);
        memcpy(longest, "http://h/", strlen("http://h/"));
        longest[FLEETLOCK_URL_MAX] = 0;
        {
                g_autofree char *url = NULL;
                ck_assert_int_eq(fleetlock_endpoint_url(longest, FLEETLOCK_PRE_REBOOT, &url), 0);
        }
        longest[FLEETLOCK_URL_MAX] = 'a';
        longest[FLEETLOCK_URL_MAX + 1] = 0;
        check_url_fails(longest, -EINVAL);

        {
                char *url = NULL;
                ck_assert_int_eq(fleetlock_endpoint_url("http://h", _FLEETLOCK_OP_MAX, &url), -EINVAL);
        }
}
END_TEST

/* --- the request body --- */

static void check_escape(const char *in, const char *expected) {
        g_autoptr(GString) s = g_string_new(NULL);

        fleetlock_json_escape(s, in);
        ck_assert_str_eq(s->str, expected);
}

START_TEST(test_json_escape) {
        check_escape("", "");
        check_escape("plain-id.1", "plain-id.1");
        check_escape("a\"b", "a\\\"b");
        check_escape("a\\b", "a\\\\b");
        check_escape("/", "/");
        check_escape("\b\f\n\r\t", "\\b\\f\\n\\r\\t");
        check_escape("\x01\x1f\x7f", "\\u0001\\u001f\\u007f");
        check_escape("\x1b[31m", "\\u001b[31m");
        /* Valid UTF-8 passes as it is; anything else becomes U+FFFD. */
        check_escape("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
        check_escape("a\xff" "b", "a\\ufffdb");
        check_escape("\xc3", "\\ufffd");
        check_escape("\xed\xa0\x80", "\\ufffd\\ufffd\\ufffd");  /* an encoded surrogate */
        check_escape("\xc0\xaf", "\\ufffd\\ufffd");              /* overlong '/' */
}
END_TEST

START_TEST(test_request_body) {
        g_autofree char *body = NULL, *escaped = NULL;
        char *none = NULL;

        ck_assert_int_eq(fleetlock_request_body("c988d2509fdf4cdcbed39037c56406fb", "default", &body), 0);
        ck_assert_str_eq(body, "{\"client_params\":{\"id\":\"c988d2509fdf4cdcbed39037c56406fb\",\"group\":\"default\"}}");

        ck_assert_int_eq(fleetlock_request_body("a\"b\\c", "workers", &escaped), 0);
        ck_assert_str_eq(escaped, "{\"client_params\":{\"id\":\"a\\\"b\\\\c\",\"group\":\"workers\"}}");

        ck_assert_int_eq(fleetlock_request_body("", "default", &none), -EINVAL);
        ck_assert_int_eq(fleetlock_request_body("a b", "default", &none), -EINVAL);
        ck_assert_int_eq(fleetlock_request_body("id", "", &none), -EINVAL);
        ck_assert_int_eq(fleetlock_request_body("id", "a\"b", &none), -EINVAL);
        ck_assert_int_eq(fleetlock_request_body(NULL, "default", &none), -EINVAL);
        ck_assert_ptr_null(none);
}
END_TEST

/* --- error bodies --- */

static void check_error(const char *body, const char *kind, const char *value) {
        g_auto(FleetlockError) e = {};

        ck_assert_msg(fleetlock_error_parse(body, strlen(body), &e) == 0, "refused: %s", body);
        ck_assert_str_eq(e.kind, kind);
        ck_assert_str_eq(e.value, value);
}

static void check_error_bad_len(const char *body, size_t size) {
        FleetlockError e = { .kind = (char *) "stale", .value = (char *) "stale" };

        ck_assert_msg(fleetlock_error_parse(body, size, &e) == -EBADMSG, "accepted: %.*s", (int) size, body);
        ck_assert_ptr_null(e.kind);
        ck_assert_ptr_null(e.value);
}

static void check_error_bad(const char *body) {
        check_error_bad_len(body, strlen(body));
}

START_TEST(test_error_parse_good) {
        check_error("{\"kind\":\"failed_lock_semaphore_full\",\"value\":\"semaphore currently full\"}",
                    "failed_lock_semaphore_full", "semaphore currently full");
        check_error(" \t\r\n{ \"value\" : \"v\" ,\n \"kind\" : \"k\" } \n", "k", "v");
        check_error("{\"kind\":\"k\",\"value\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"}", "k", "a\"b\\c/d\b\f\n\r\t");
        check_error("{\"kind\":\"k\",\"value\":\"\\u00e9\\u20AC\\ud83d\\ude00\"}", "k", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
        check_error("{\"kind\":\"k\",\"value\":\"\xc3\xa9 raw UTF-8\"}", "k", "\xc3\xa9 raw UTF-8");
        /* Keys are compared decoded. */
        check_error("{\"\\u006bind\":\"k\",\"valu\\u0065\":\"v\"}", "k", "v");
        /* Other members of any type are ignored. */
        check_error("{\"kind\":\"k\",\"extra\":{\"a\":[1,-2.5e+3,0,0.0,1E-2,true,false,null,\"s\",{}],\"b\":[]},"
                    "\"n\":-0,\"value\":\"v\",\"z\":\"\\u0000\"}", "k", "v");
}
END_TEST

START_TEST(test_error_parse_bad) {
        static const char *const bad[] = {
                "",
                " ",
                "null",
                "[]",
                "\"kind\"",
                "{}",
                "{\"kind\":\"k\"}",
                "{\"value\":\"v\"}",
                "{\"kind\":\"\",\"value\":\"v\"}",
                "{\"kind\":\"k\",\"value\":\"\"}",
                "{\"kind\":1,\"value\":\"v\"}",
                "{\"kind\":\"k\",\"value\":null}",
                "{\"kind\":\"k\",\"value\":[\"v\"]}",
                "{\"kind\":\"k\",\"kind\":\"k\",\"value\":\"v\"}",
                "{\"kind\":\"k\",\"value\":\"v\"} x",
                "{\"kind\":\"k\",\"value\":\"v\"}{}",
                "{\"kind\":\"k\",\"value\":\"v\",}",
                "{\"kind\":\"k\" \"value\":\"v\"}",
                "{\"kind\" \"k\",\"value\":\"v\"}",
                "{kind:\"k\",\"value\":\"v\"}",
                "{'kind':'k','value':'v'}",
                "{\"kind\":\"k\",\"value\":\"v\"",
                "{\"kind\":\"k\",\"value\":\"v",
                "{\"kind\":\"k\",\"value\":\"v\\\"}",
                "{\"kind\":\"k\",\"value\":\"a\nb\"}",         /* raw control character */
                "{\"kind\":\"k\",\"value\":\"a\\x41\"}",      /* no such escape */
                "{\"kind\":\"k\",\"value\":\"a\\u00\"}",
                "{\"kind\":\"k\",\"value\":\"a\\u00zz\"}",
                "{\"kind\":\"k\",\"value\":\"a\\u0000b\"}",   /* NUL: would cut the string */
                "{\"kind\":\"k\",\"value\":\"\\ud83d\"}",     /* lone high surrogate */
                "{\"kind\":\"k\",\"value\":\"\\ud83dx\"}",
                "{\"kind\":\"k\",\"value\":\"\\ud83d\\u0041\"}",
                "{\"kind\":\"k\",\"value\":\"\\ude00\"}",     /* lone low surrogate */
                "{\"kind\":\"k\",\"value\":\"\xff\"}",        /* not UTF-8 */
                "{\"kind\":\"k\",\"value\":\"\xc0\xaf\"}",
                "{\"kind\":\"k\",\"value\":\"v\",\"x\":01}",
                "{\"kind\":\"k\",\"value\":\"v\",\"x\":1.}",
                "{\"kind\":\"k\",\"value\":\"v\",\"x\":.5}",
                "{\"kind\":\"k\",\"value\":\"v\",\"x\":-}",
                "{\"kind\":\"k\",\"value\":\"v\",\"x\":1e}",
                "{\"kind\":\"k\",\"value\":\"v\",\"x\":+1}",
                "{\"kind\":\"k\",\"value\":\"v\",\"x\":0x10}",
                "{\"kind\":\"k\",\"value\":\"v\",\"x\":tru}",
                "{\"kind\":\"k\",\"value\":\"v\",\"x\":nul}",
                "{\"kind\":\"k\",\"value\":\"v\",\"x\":[1,]}",
                "{\"kind\":\"k\",\"value\":\"v\",\"x\":[1 2]}",
                "{\"kind\":\"k\",\"value\":\"v\",\"x\":{\"a\"}}",
                "{\"kind\":\"k\",\"value\":\"v\",\"x\":}",
                "\xef\xbb\xbf{\"kind\":\"k\",\"value\":\"v\"}",  /* a BOM */
        };

        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
                check_error_bad(bad[i]);

        /* NUL bytes in the body, and a body cut short by its length. */
        check_error_bad_len("{\"kind\":\"k\",\"value\":\"v\"}\0", 25);
        check_error_bad_len("{\"kind\":\"k\",\"value\":\"v\0\"}", 25);
        check_error_bad_len("{\"kind\":\"k\",\"value\":\"v\"}", 23);
        check_error_bad_len(NULL, 0);
}
END_TEST

START_TEST(test_error_parse_depth) {
        g_autoptr(GString) deep = g_string_new("{\"kind\":\"k\",\"value\":\"v\",\"x\":");
        g_autoptr(GString) ok = NULL;
        g_auto(FleetlockError) e = {};

        /* Nesting up to the limit is fine, beyond it is refused, and a very
         * deep body does not recurse the stack away. */
        for (int i = 0; i < 30; i++)
                g_string_append_c(deep, '[');
        ok = g_string_new(deep->str);
        for (int i = 0; i < 30; i++)
                g_string_append_c(ok, ']');
        g_string_append_c(ok, '}');
        ck_assert_int_eq(fleetlock_error_parse(ok->str, ok->len, &e), 0);

        for (int i = 0; i < 100000; i++)
                g_string_append_c(deep, '[');
        for (int i = 0; i < 100030; i++)
                g_string_append_c(deep, ']');
        g_string_append_c(deep, '}');
        check_error_bad_len(deep->str, deep->len);
}
END_TEST

/* g_memdup2() is GLib 2.68; we build with 2.66. */
static char *memdup_exact(const char *p, size_t size) {
        char *c = g_malloc(size);
        return size ? memcpy(c, p, size) : c;
}

/* Random damage to a valid body must give either a clean parse or -EBADMSG,
 * never a crash or a read out of bounds (this runs under ASan too). */
START_TEST(test_error_parse_mutations) {
        static const char base[] =
                "{\"kind\":\"k\\u00e9\",\"value\":\"v \\ud83d\\ude00\",\"x\":[1,-2.5e3,true,null,{\"y\":\"z\"}]}";
        static const char alphabet[] = "{}[]\",:\\u0123456789abcdefEe+-. \n\xff\xc3\xa9";
        GRand *rand = g_rand_new_with_seed(1234);

        for (int round = 0; round < 20000; round++) {
                size_t size = sizeof(base) - 1;
                g_autofree char *buf = memdup_exact(base, size);
                g_auto(FleetlockError) e = {};
                int edits = g_rand_int_range(rand, 1, 4), r;

                for (int i = 0; i < edits; i++) {
                        size_t at = (size_t) g_rand_int_range(rand, 0, (gint32) size);
                        switch (g_rand_int_range(rand, 0, 3)) {
                        case 0:
                                buf[at] = alphabet[g_rand_int_range(rand, 0, sizeof(alphabet) - 1)];
                                break;
                        case 1:
                                size = at;  /* cut short */
                                break;
                        default:
                                buf[at] = (char) g_rand_int_range(rand, 0, 256);
                        }
                        if (size == 0)
                                break;
                }

                /* A heap copy of exactly the size, so ASan sees any overread. */
                g_autofree char *exact = memdup_exact(buf, size);
                r = fleetlock_error_parse(exact, size, &e);
                ck_assert(r == 0 || r == -EBADMSG);
                if (r == 0) {
                        ck_assert(e.kind[0] && e.value[0]);
                        ck_assert(g_utf8_validate(e.kind, -1, NULL) && g_utf8_validate(e.value, -1, NULL));
                }
        }
        g_rand_free(rand);
}
END_TEST

/* --- answers --- */

START_TEST(test_outcome_from_status) {
        ck_assert_int_eq(fleetlock_outcome_from_status(200), FLEETLOCK_OUTCOME_OK);
        ck_assert_int_eq(fleetlock_outcome_from_status(400), FLEETLOCK_OUTCOME_REFUSED);
        ck_assert_int_eq(fleetlock_outcome_from_status(409), FLEETLOCK_OUTCOME_REFUSED);
        ck_assert_int_eq(fleetlock_outcome_from_status(500), FLEETLOCK_OUTCOME_REFUSED);
        ck_assert_int_eq(fleetlock_outcome_from_status(599), FLEETLOCK_OUTCOME_REFUSED);
        /* Only 200 is success: a 201 or 204 is no FleetLock answer. */
        static const long other[] = { 0, 100, 101, 199, 201, 204, 299, 301, 302, 304, 307, 308, 399, 600, 999, -1 };
        for (size_t i = 0; i < G_N_ELEMENTS(other); i++)
                ck_assert_int_eq(fleetlock_outcome_from_status(other[i]), FLEETLOCK_OUTCOME_BAD_ANSWER);
}
END_TEST

START_TEST(test_classify_answer) {
        static const char full[] = "{\"kind\":\"failed_lock_semaphore_full\",\"value\":\"all slots held\"}";
        static const char page[] = "<html>Bad Gateway</html>";
        g_auto(FleetlockError) e = {};

        ck_assert_int_eq(fleetlock_classify_answer(409, full, strlen(full), &e), FLEETLOCK_OUTCOME_REFUSED);
        ck_assert_str_eq(e.kind, "failed_lock_semaphore_full");
        ck_assert_str_eq(e.value, "all slots held");
        fleetlock_error_done(&e);

        ck_assert_int_eq(fleetlock_classify_answer(502, page, strlen(page), &e), FLEETLOCK_OUTCOME_BAD_ANSWER);
        ck_assert_ptr_null(e.kind);
        ck_assert_int_eq(fleetlock_classify_answer(500, "", 0, &e), FLEETLOCK_OUTCOME_BAD_ANSWER);
        ck_assert_int_eq(fleetlock_classify_answer(500, NULL, 0, &e), FLEETLOCK_OUTCOME_BAD_ANSWER);

        /* The body of a success or of a non-FleetLock status does not matter. */
        ck_assert_int_eq(fleetlock_classify_answer(200, page, strlen(page), &e), FLEETLOCK_OUTCOME_OK);
        ck_assert_int_eq(fleetlock_classify_answer(200, NULL, 0, &e), FLEETLOCK_OUTCOME_OK);
        ck_assert_int_eq(fleetlock_classify_answer(302, full, strlen(full), &e), FLEETLOCK_OUTCOME_BAD_ANSWER);
        ck_assert_ptr_null(e.kind);
}
END_TEST

static void check_printable(const char *in, size_t size, size_t max, const char *expected) {
        g_autofree char *out = fleetlock_printable(in, size, max);
        ck_assert_str_eq(out, expected);
}

START_TEST(test_printable) {
        check_printable("plain text", 10, 100, "plain text");
        check_printable("", 0, 100, "");
        check_printable("\x1b[31mred\x1b[0m", 12, 100, "?[31mred?[0m");
        check_printable("a\nb\rc\td\x7f", 8, 100, "a?b?c?d?");
        check_printable("nul\0byte", 8, 100, "nul?byte");
        check_printable("\xc2\x85" "c1", 4, 100, "?c1");         /* U+0085, a C1 control */
        check_printable("\xc3\xa9t\xc3\xa9", 5, 100, "\xc3\xa9t\xc3\xa9");
        check_printable("bad\xff\xc3", 5, 100, "bad??");
        check_printable("abcdef", 6, 4, "abcd...");
        check_printable("abcd", 4, 4, "abcd");
        /* Never cut inside a character. */
        check_printable("ab\xe2\x82\xac", 5, 4, "ab...");
}
END_TEST

int main(void) {
        Suite *s = suite_create("fleetlock");
        TCase *tc;

        tc = tcase_create("labels");
        tcase_add_test(tc, test_ops);
        tcase_add_test(tc, test_schemes);
        tcase_add_test(tc, test_ids);
        tcase_add_test(tc, test_groups);
        tcase_add_test(tc, test_endpoint_urls);
        suite_add_tcase(s, tc);

        tc = tcase_create("request");
        tcase_add_test(tc, test_json_escape);
        tcase_add_test(tc, test_request_body);
        suite_add_tcase(s, tc);

        tc = tcase_create("answer");
        tcase_add_test(tc, test_error_parse_good);
        tcase_add_test(tc, test_error_parse_bad);
        tcase_add_test(tc, test_error_parse_depth);
        tcase_add_test(tc, test_error_parse_mutations);
        tcase_add_test(tc, test_outcome_from_status);
        tcase_add_test(tc, test_classify_answer);
        tcase_add_test(tc, test_printable);
        tcase_set_timeout(tc, 30);
        suite_add_tcase(s, tc);

        SRunner *sr = srunner_create(s);
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
