/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

/* Printing, for the top level only (main and the verbs). Each returns the
 * exit status to use, so callers can write "return log_...(...);". */

/* "lpmaint: MESSAGE" */
int log_error(int status, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* "lpmaint: MESSAGE: strerror(-r)" */
int log_errno(int status, int r, const char *format, ...) __attribute__((format(printf, 3, 4)));

/* "lpmaint: WHAT: D-Bus error message (error name)"; the status follows the error. */
int log_bus_error(const sd_bus_error *error, int r, const char *format, ...) __attribute__((format(printf, 3, 4)));

/* "lpmaint: MESSAGE" plus a pointer at --help; the status is always the usage one. */
int log_usage(const char *format, ...) __attribute__((format(printf, 1, 2)));
