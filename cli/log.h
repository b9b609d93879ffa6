/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

/* Printing, for the top level only (main and the verbs). Each returns the
 * exit status to use, so callers can write "return log_...(...);". */

/* "lpmaint: MESSAGE" */
int log_error(int status, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* "lpmaint: MESSAGE: strerror(-r)" */
int log_errno(int status, int r, const char *format, ...) __attribute__((format(printf, 3, 4)));

/* "lpmaint: WHAT: D-Bus error message (error name)"; the status follows the
 * error. When lpmaintd cannot be reached, a line with the next step follows. */
int log_bus_error(const sd_bus_error *error, int r, const char *format, ...) __attribute__((format(printf, 3, 4)));

/* "lpmaint: MESSAGE" plus a pointer at --help; the status is always the usage one. */
int log_usage(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* What a command did or is doing, on standard output, unless --quiet. The
 * caller writes the newline. */
void log_info(const char *format, ...) __attribute__((format(printf, 1, 2)));
