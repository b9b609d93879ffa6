/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include <glib.h>

#include "bus-util.h"
#include "caller.h"
#include "util.h"

#define WANTED (CALLER_CREDS_VOUCHED | SD_BUS_CREDS_UNIT | SD_BUS_CREDS_AUGMENT)

/* What the peer's kernel vouches for: the other end of a socket pair gives
 * its uid and pid by SO_PEERCRED, as a bus daemon gives its clients'. */
START_TEST(test_vouched_uid_is_the_caller) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        g_autoptr(sd_bus_creds) creds = NULL;
        Caller c = {};
        int fds[2];

        ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds), 0);
        ck_assert_int_ge(sd_bus_new(&bus), 0);
        ck_assert_int_ge(sd_bus_set_fd(bus, fds[0], fds[0]), 0);
        ck_assert_int_ge(sd_bus_start(bus), 0);
        ck_assert_int_ge(sd_bus_get_owner_creds(bus, WANTED, &creds), 0);
        ck_assert_uint_eq(sd_bus_creds_get_augmented_mask(creds) & CALLER_CREDS_VOUCHED, 0);

        ck_assert_int_eq(caller_from_creds(creds, &c), 0);
        ck_assert_uint_eq(c.uid, geteuid());
        ck_assert_uint_eq(c.pid, (uint32_t) getpid());
        caller_clear(&c);
        close(fds[1]);
}
END_TEST

/* sd-bus fills in what the bus did not send from /proc/PID, where by then
 * another process may live: such a uid must not identify anyone. */
START_TEST(test_uid_read_from_proc_is_refused) {
        g_autoptr(sd_bus_creds) creds = NULL;
        Caller c = {};

        ck_assert_int_ge(sd_bus_creds_new_from_pid(&creds, getpid(), WANTED & ~SD_BUS_CREDS_AUGMENT), 0);
        ck_assert_uint_ne(sd_bus_creds_get_augmented_mask(creds) & SD_BUS_CREDS_EUID, 0);

        ck_assert_int_eq(caller_from_creds(creds, &c), -EPERM);
        ck_assert_ptr_null(c.unit);
}
END_TEST

int main(void) {
        Suite *s = suite_create("caller");
        TCase *tc = tcase_create("creds");
        tcase_add_test(tc, test_vouched_uid_is_the_caller);
        tcase_add_test(tc, test_uid_read_from_proc_is_refused);
        suite_add_tcase(s, tc);

        SRunner *sr = srunner_create(s);
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
