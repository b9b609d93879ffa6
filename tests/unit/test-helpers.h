/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <glib.h>
#include <systemd/sd-bus.h>

#include "bus-util.h" /* _cleanup_bus_error_ */

/* A fresh private directory under $TMPDIR; th_rmtree() removes it. */
char *th_mkdtemp(void);
void th_rmtree(const char *path);

/* Writes @size bytes (-1: strlen) to @dir/@name, creating parent directories. */
void th_write_file(const char *dir, const char *name, const char *data, gssize size);
/* The whole file, NUL-terminated; NULL if it cannot be read. */
char *th_read_file(const char *path, gsize *ret_size);
bool th_exists(const char *path);

/* Path of a build artifact handed over in the environment by meson. */
const char *th_getenv(const char *name);

/* Runs @s with CK_ENV/CK_FORK honoured; the return value is main()'s. */
int th_run_suite(Suite *s);

/* Fails unless @ret is negative and @err carries the D-Bus error named @want. */
#define th_assert_bus_error(ret, err, want)                                                     \
        do {                                                                                    \
                int _r = (ret);                                                                 \
                const sd_bus_error *_e = (err);                                                 \
                ck_assert_msg(_r < 0, "expected failure with %s, got %d", (want), _r);          \
                ck_assert_msg(sd_bus_error_is_set(_e), "expected %s, no error set", (want));    \
                ck_assert_msg(sd_bus_error_has_name(_e, (want)),                                \
                              "expected %s, got %s: %s", (want), _e->name, _e->message);       \
                ck_assert_int_eq(_r, -sd_bus_error_get_errno(_e));                              \
        } while (0)

/* Fails unless @ret is 0 and no error was set. */
#define th_assert_ok(ret, err)                                                                  \
        do {                                                                                    \
                int _r = (ret);                                                                 \
                const sd_bus_error *_e = (err);                                                 \
                ck_assert_msg(_r >= 0, "expected success, got %d (%s: %s)", _r,                \
                              _e->name ?: "-", _e->message ?: "-");                             \
                ck_assert_msg(!sd_bus_error_is_set(_e), "success but error %s set", _e->name);  \
        } while (0)
