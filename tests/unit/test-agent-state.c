/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "agent-state.h"
#include "test-helpers.h"
#include "util.h"

#define URL "https://channel.example/lpmaint"

static int open_dir(const char *dir) {
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ck_assert_int_ge(fd, 0);
        return fd;
}

static ChannelState state_with_index(const char *index, const char *etag) {
        return (ChannelState) {
                .highest_serial = 12,
                .validators = { .etag = g_strdup(etag), .last_modified = g_strdup("Sun, 06 Dec 2026 10:00:00 GMT") },
                .index = g_bytes_new(index, strlen(index)),
                .signature = g_bytes_new_static("sig", 3),
        };
}

START_TEST(test_nothing_recorded) {
        g_autofree char *dir = th_mkdtemp();
        _cleanup_close_ int fd = open_dir(dir);
        g_auto(ChannelState) s = {};

        ck_assert_int_eq(channel_state_load(fd, URL, &s), 0);
        ck_assert_uint_eq(s.highest_serial, 0);
        ck_assert_ptr_null(s.index);
        ck_assert_ptr_null(s.validators.etag);
        th_rmtree(dir);
}
END_TEST

START_TEST(test_save_load) {
        g_autofree char *dir = th_mkdtemp();
        _cleanup_close_ int fd = open_dir(dir);
        g_auto(ChannelState) saved = state_with_index("[Index]\nSerial=12\n", "\"5f-1a\"");
        g_auto(ChannelState) back = {}, other = {};

        ck_assert_int_eq(channel_state_save(fd, URL, &saved), 0);
        ck_assert_int_eq(channel_state_load(fd, URL, &back), 0);
        ck_assert_uint_eq(back.highest_serial, 12);
        ck_assert_str_eq(back.validators.etag, "\"5f-1a\"");
        ck_assert_str_eq(back.validators.last_modified, "Sun, 06 Dec 2026 10:00:00 GMT");
        ck_assert(g_bytes_equal(back.index, saved.index));
        ck_assert(g_bytes_equal(back.signature, saved.signature));
        /* Another channel has a record of its own. */
        ck_assert_int_eq(channel_state_load(fd, URL "/other", &other), 0);
        ck_assert_uint_eq(other.highest_serial, 0);
        th_rmtree(dir);
}
END_TEST

/* Validators stand for the cached bytes: without them, or with other
 * bytes, they are not sent (a 304 would be answered from the wrong index). */
START_TEST(test_cache_not_the_recorded_index) {
        g_autofree char *dir = th_mkdtemp();
        _cleanup_close_ int fd = open_dir(dir);
        g_auto(ChannelState) saved = state_with_index("[Index]\nSerial=12\n", "\"5f-1a\"");
        g_auto(ChannelState) back = {};
        char name[SHA256_HEX_LEN + 1];

        ck_assert_int_eq(channel_state_save(fd, URL, &saved), 0);
        sha256_hex(URL, strlen(URL), name);
        g_autofree char *sub = g_build_filename("channels", name, NULL);
        g_autofree char *chdir_path = g_build_filename(dir, sub, NULL);
        th_write_file(chdir_path, "index", "[Index]\nSerial=13\n", -1);

        ck_assert_int_eq(channel_state_load(fd, URL, &back), 0);
        ck_assert_uint_eq(back.highest_serial, 12);     /* the serial stands */
        ck_assert_ptr_null(back.index);
        ck_assert_ptr_null(back.validators.etag);
        ck_assert_ptr_null(back.validators.last_modified);
        th_rmtree(dir);
}
END_TEST

START_TEST(test_damaged_record_fails_closed) {
        g_autofree char *dir = th_mkdtemp();
        _cleanup_close_ int fd = open_dir(dir);
        char name[SHA256_HEX_LEN + 1];
        const char *damaged[] = {
                "not a key file",
                "[Channel]\nURL=" URL "\nHighestSerial=many\n",
                "[Channel]\nURL=https://another.example/\nHighestSerial=3\n",
                "[Channel]\nURL=" URL "\nHighestSerial=3\nETag=\"a\\nb\"\n",
        };

        sha256_hex(URL, strlen(URL), name);
        g_autofree char *sub = g_build_filename(dir, "channels", name, NULL);
        for (size_t i = 0; i < G_N_ELEMENTS(damaged); i++) {
                g_auto(ChannelState) s = {};
                th_write_file(sub, "state", damaged[i], -1);
                ck_assert_int_eq(channel_state_load(fd, URL, &s), -EBADMSG);
        }
        th_rmtree(dir);
}
END_TEST

START_TEST(test_cache_prune) {
        g_autofree char *dir = th_mkdtemp();
        _cleanup_close_ int fd = open_dir(dir);
        g_autoptr(GHashTable) keep = g_hash_table_new(g_str_hash, g_str_equal);

        th_write_file(dir, "aaaa", "kept", -1);
        th_write_file(dir, "bbbb", "dropped", -1);
        th_write_file(dir, "sub/cccc", "a directory is left alone", -1);
        g_hash_table_add(keep, (char *) "aaaa");
        cache_prune(fd, keep);

        g_autofree char *a = g_build_filename(dir, "aaaa", NULL);
        g_autofree char *b = g_build_filename(dir, "bbbb", NULL);
        g_autofree char *c = g_build_filename(dir, "sub", "cccc", NULL);
        ck_assert(th_exists(a));
        ck_assert(!th_exists(b));
        ck_assert(th_exists(c));
        th_rmtree(dir);
}
END_TEST

static Suite *agent_state_suite(void) {
        Suite *s = suite_create("agent-state");
        TCase *tc = tcase_create("agent-state");

        tcase_add_test(tc, test_nothing_recorded);
        tcase_add_test(tc, test_save_load);
        tcase_add_test(tc, test_cache_not_the_recorded_index);
        tcase_add_test(tc, test_damaged_record_fails_closed);
        tcase_add_test(tc, test_cache_prune);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return th_run_suite(agent_state_suite());
}
