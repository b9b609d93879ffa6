/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* net/ without a server: schemes, the outcome kinds and their names, what a
 * status or a libcurl code means, validators, option checks, and fetches
 * that need no network (refused URLs, file://). tests/net drives the rest
 * against a real nginx. */
#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net-fetch.h"

static const NetFetchOptions plain_options = { .user_agent = "test-net", .timeout_sec = 10 };

START_TEST(test_schemes) {
        ck_assert_int_eq(net_url_scheme("https://h/x"), NET_SCHEME_HTTPS);
        ck_assert_int_eq(net_url_scheme("HTTPS://h"), NET_SCHEME_HTTPS);
        ck_assert_int_eq(net_url_scheme("http://h"), NET_SCHEME_HTTP);
        ck_assert_int_eq(net_url_scheme("FiLe:///etc/x"), NET_SCHEME_FILE);
        ck_assert_int_eq(net_url_scheme("ftp://h"), _NET_SCHEME_INVALID);
        ck_assert_int_eq(net_url_scheme("https:/h"), _NET_SCHEME_INVALID);
        ck_assert_int_eq(net_url_scheme("httpsx://h"), _NET_SCHEME_INVALID);
        ck_assert_int_eq(net_url_scheme("file:"), _NET_SCHEME_INVALID);
        ck_assert_int_eq(net_url_scheme(""), _NET_SCHEME_INVALID);
        ck_assert_int_eq(net_url_scheme(NULL), _NET_SCHEME_INVALID);
        ck_assert_str_eq(net_scheme_to_string(NET_SCHEME_HTTPS), "https");
        ck_assert_str_eq(net_scheme_to_string(NET_SCHEME_FILE), "file");
        ck_assert_ptr_null(net_scheme_to_string(_NET_SCHEME_MAX));
        ck_assert_ptr_null(net_scheme_to_string(_NET_SCHEME_INVALID));
}
END_TEST

START_TEST(test_kind_names) {
        /* Every kind has a name fit for a metric label, each its own, and
         * the names go back to their kinds. */
        for (NetKind k = 0; k < _NET_KIND_MAX; k++) {
                const char *name = net_kind_to_string(k);

                ck_assert_ptr_nonnull(name);
                ck_assert_int_gt(strlen(name), 0);
                for (const char *p = name; *p; p++)
                        ck_assert(g_ascii_islower(*p) || *p == '-');
                ck_assert_int_eq(net_kind_from_string(name), k);
                for (NetKind j = 0; j < k; j++)
                        ck_assert_str_ne(name, net_kind_to_string(j));
        }
        ck_assert_str_eq(net_kind_to_string(NET_KIND_UNCHANGED), "unchanged");
        ck_assert_str_eq(net_kind_to_string(NET_KIND_TLS_HOST_MISMATCH), "tls-host-mismatch");
        ck_assert_ptr_null(net_kind_to_string(_NET_KIND_MAX));
        ck_assert_ptr_null(net_kind_to_string(_NET_KIND_INVALID));
        ck_assert_int_eq(net_kind_from_string("OK"), _NET_KIND_INVALID);
        ck_assert_int_eq(net_kind_from_string(""), _NET_KIND_INVALID);
        ck_assert_int_eq(net_kind_from_string(NULL), _NET_KIND_INVALID);
}
END_TEST

START_TEST(test_kind_from_status) {
        static const struct {
                long status;
                bool conditional;
                NetKind kind;
        } table[] = {
                { 200, false, NET_KIND_OK },
                { 200, true,  NET_KIND_OK },
                { 304, true,  NET_KIND_UNCHANGED },
                { 304, false, NET_KIND_BAD_STATUS },  /* not asked for */
                { 404, false, NET_KIND_NOT_FOUND },
                { 410, true,  NET_KIND_NOT_FOUND },
                { 400, false, NET_KIND_CLIENT_ERROR },
                { 403, false, NET_KIND_CLIENT_ERROR },
                { 499, false, NET_KIND_CLIENT_ERROR },
                { 500, false, NET_KIND_SERVER_ERROR },
                { 503, true,  NET_KIND_SERVER_ERROR },
                { 599, false, NET_KIND_SERVER_ERROR },
                { 204, false, NET_KIND_BAD_STATUS },
                { 206, false, NET_KIND_BAD_STATUS },
                { 100, false, NET_KIND_BAD_STATUS },
                { 300, false, NET_KIND_BAD_STATUS },
                { 600, false, NET_KIND_BAD_STATUS },
                { 0,   false, NET_KIND_BAD_STATUS },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(table); i++)
                ck_assert_msg(net_kind_from_status(table[i].status, table[i].conditional) == table[i].kind,
                              "status %ld", table[i].status);
}
END_TEST

START_TEST(test_kind_from_curl) {
        ck_assert_int_eq(net_kind_from_curl(CURLE_OK, false), NET_KIND_OK);
        ck_assert_int_eq(net_kind_from_curl(CURLE_COULDNT_RESOLVE_HOST, false), NET_KIND_DNS);
        ck_assert_int_eq(net_kind_from_curl(CURLE_COULDNT_RESOLVE_PROXY, false), NET_KIND_DNS);
        ck_assert_int_eq(net_kind_from_curl(CURLE_COULDNT_CONNECT, false), NET_KIND_CONNECT);
        ck_assert_int_eq(net_kind_from_curl(CURLE_OPERATION_TIMEDOUT, false), NET_KIND_TIMEOUT);
        ck_assert_int_eq(net_kind_from_curl(CURLE_PEER_FAILED_VERIFICATION, false), NET_KIND_TLS_UNTRUSTED);
        ck_assert_int_eq(net_kind_from_curl(CURLE_PEER_FAILED_VERIFICATION, true), NET_KIND_TLS_HOST_MISMATCH);
        ck_assert_int_eq(net_kind_from_curl(CURLE_SSL_CONNECT_ERROR, false), NET_KIND_TLS);
        ck_assert_int_eq(net_kind_from_curl(CURLE_SSL_CERTPROBLEM, false), NET_KIND_TLS);
        ck_assert_int_eq(net_kind_from_curl(CURLE_PARTIAL_FILE, false), NET_KIND_TRUNCATED);
        ck_assert_int_eq(net_kind_from_curl(CURLE_FILESIZE_EXCEEDED, false), NET_KIND_TOO_LARGE);
        ck_assert_int_eq(net_kind_from_curl(CURLE_FILE_COULDNT_READ_FILE, false), NET_KIND_NOT_FOUND);
        ck_assert_int_eq(net_kind_from_curl(CURLE_UNSUPPORTED_PROTOCOL, false), NET_KIND_BAD_URL);
        ck_assert_int_eq(net_kind_from_curl(CURLE_URL_MALFORMAT, false), NET_KIND_BAD_URL);
        ck_assert_int_eq(net_kind_from_curl(CURLE_WRITE_ERROR, false), NET_KIND_LOCAL_IO);
        ck_assert_int_eq(net_kind_from_curl(CURLE_OUT_OF_MEMORY, false), NET_KIND_INTERNAL);
        ck_assert_int_eq(net_kind_from_curl(CURLE_RECV_ERROR, false), NET_KIND_NETWORK);
        ck_assert_int_eq(net_kind_from_curl(CURLE_GOT_NOTHING, false), NET_KIND_NETWORK);
}
END_TEST

START_TEST(test_validators) {
        g_autofree char *longest = g_strnfill(NET_VALIDATOR_MAX, 'a');
        g_autofree char *too_long = g_strnfill(NET_VALIDATOR_MAX + 1, 'a');

        ck_assert(net_validator_is_valid("\"5f1e-3a\""));
        ck_assert(net_validator_is_valid("W/\"x\""));
        ck_assert(net_validator_is_valid("Sun, 06 Dec 2026 09:00:00 GMT"));
        ck_assert(net_validator_is_valid(longest));
        ck_assert(!net_validator_is_valid(too_long));
        ck_assert(!net_validator_is_valid(""));
        ck_assert(!net_validator_is_valid(NULL));
        /* Sent back as a header: no line breaks, no control characters. */
        ck_assert(!net_validator_is_valid("\"x\"\r\nX-Evil: 1"));
        ck_assert(!net_validator_is_valid("\"x\"\n"));
        ck_assert(!net_validator_is_valid("a\tb"));
        ck_assert(!net_validator_is_valid("caf\xc3\xa9"));
}
END_TEST

START_TEST(test_options_checked) {
        NetFetchOptions o = plain_options;
        g_autoptr(NetFetcher) f = NULL;

        ck_assert_ptr_null(net_fetcher_new(NULL));
        ck_assert_int_eq(errno, EINVAL);
        o.user_agent = NULL;
        ck_assert_ptr_null(net_fetcher_new(&o));
        o = plain_options;
        o.timeout_sec = 0;
        ck_assert_ptr_null(net_fetcher_new(&o));
        o = plain_options;
        o.low_speed_bytes = 1000;  /* without its window */
        ck_assert_ptr_null(net_fetcher_new(&o));
        o = plain_options;
        o.client_key = "/k.pem";   /* a key without a certificate */
        ck_assert_ptr_null(net_fetcher_new(&o));
        ck_assert_int_eq(errno, EINVAL);

        f = net_fetcher_new(&plain_options);
        ck_assert_ptr_nonnull(f);
}
END_TEST

START_TEST(test_refused_before_any_request) {
        g_autoptr(NetFetcher) f = net_fetcher_new(&plain_options);
        static const struct {
                const char *url;
                NetKind kind;
        } table[] = {
                { "ftp://127.0.0.1/index",   NET_KIND_BAD_URL },
                { "127.0.0.1/index",         NET_KIND_BAD_URL },
                { "",                        NET_KIND_BAD_URL },
                { "http://127.0.0.1/index",  NET_KIND_PLAIN_HTTP },
                { "HTTP://127.0.0.1/index",  NET_KIND_PLAIN_HTTP },
        };

        ck_assert_ptr_nonnull(f);
        for (size_t i = 0; i < G_N_ELEMENTS(table); i++) {
                g_auto(NetFetchResult) r = {};

                ck_assert_int_eq(net_fetcher_fetch(f, table[i].url, 1024, -1, NULL, &r), table[i].kind);
                ck_assert_int_eq(r.kind, table[i].kind);
                ck_assert_str_eq(r.url, table[i].url);
                ck_assert_ptr_nonnull(r.message);
                ck_assert_ptr_null(r.body);
        }
        ck_assert_uint_eq(net_fetcher_stats(f).requests, 0);
}
END_TEST

/* A file of @size bytes in a new temporary directory; its file:// URL. */
static char *make_file(char **ret_dir, size_t size) {
        g_autofree char *data = g_strnfill(size, 'i');
        char *dir = g_dir_make_tmp("test-net-XXXXXX", NULL);
        g_autofree char *path = g_build_filename(dir, "index", NULL);

        ck_assert_ptr_nonnull(dir);
        ck_assert(g_file_set_contents(path, data, (gssize) size, NULL));
        *ret_dir = dir;
        return g_strconcat("file://", path, NULL);
}

static void remove_dir(const char *dir) {
        g_autofree char *path = g_build_filename(dir, "index", NULL);

        (void) unlink(path);
        ck_assert_int_eq(rmdir(dir), 0);
}

START_TEST(test_file_urls) {
        g_autoptr(NetFetcher) f = net_fetcher_new(&plain_options);
        g_autofree char *dir = NULL, *url = make_file(&dir, 3000);
        g_autofree char *missing = g_strconcat(url, "-missing", NULL);
        NetValidators previous = { .etag = (char *) "\"1\"", .last_modified = (char *) "Sun, 06 Dec 2026 09:00:00 GMT" };
        char out_template[] = "/tmp/test-net-out-XXXXXX";
        int fd;

        ck_assert_ptr_nonnull(f);

        /* To memory; validators are no business of file:// (never UNCHANGED). */
        {
                g_auto(NetFetchResult) r = {};

                ck_assert_int_eq(net_fetcher_fetch(f, url, 3000, -1, &previous, &r), NET_KIND_OK);
                ck_assert_uint_eq(r.size, 3000);
                ck_assert_uint_eq(g_bytes_get_size(r.body), 3000);
                ck_assert_ptr_null(r.validators.etag);
                ck_assert_ptr_null(r.message);
        }

        /* To a descriptor. */
        fd = mkstemp(out_template);
        ck_assert_int_ge(fd, 0);
        {
                g_auto(NetFetchResult) r = {};

                ck_assert_int_eq(net_fetcher_fetch(f, url, 4096, fd, NULL, &r), NET_KIND_OK);
                ck_assert_ptr_null(r.body);
                ck_assert_uint_eq(r.size, 3000);
                ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), 3000);
        }

        /* One byte over the cap. */
        {
                g_auto(NetFetchResult) r = {};

                ck_assert_int_eq(net_fetcher_fetch(f, url, 2999, -1, NULL, &r), NET_KIND_TOO_LARGE);
                ck_assert_ptr_null(r.body);
        }

        /* A descriptor that cannot be written to. */
        {
                g_auto(NetFetchResult) r = {};
                int ro = open(out_template, O_RDONLY | O_CLOEXEC);

                ck_assert_int_ge(ro, 0);
                ck_assert_int_eq(net_fetcher_fetch(f, url, 4096, ro, NULL, &r), NET_KIND_LOCAL_IO);
                ck_assert_ptr_nonnull(r.message);
                close(ro);
        }

        {
                g_auto(NetFetchResult) r = {};

                ck_assert_int_eq(net_fetcher_fetch(f, missing, 4096, -1, NULL, &r), NET_KIND_NOT_FOUND);
        }

        ck_assert_uint_eq(net_fetcher_stats(f).requests, 5);
        close(fd);
        ck_assert_int_eq(unlink(out_template), 0);
        remove_dir(dir);
}
END_TEST

int main(void) {
        Suite *s = suite_create("net");
        TCase *tc;

        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                return EXIT_FAILURE;

        tc = tcase_create("kinds");
        tcase_add_test(tc, test_schemes);
        tcase_add_test(tc, test_kind_names);
        tcase_add_test(tc, test_kind_from_status);
        tcase_add_test(tc, test_kind_from_curl);
        tcase_add_test(tc, test_validators);
        suite_add_tcase(s, tc);

        tc = tcase_create("fetch");
        tcase_add_test(tc, test_options_checked);
        tcase_add_test(tc, test_refused_before_any_request);
        tcase_add_test(tc, test_file_urls);
        tcase_set_timeout(tc, 30);
        suite_add_tcase(s, tc);

        SRunner *sr = srunner_create(s);
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        curl_global_cleanup();
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
