/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bus.h"
#include "log.h"
#include "lpmaint.h"

__attribute__((format(printf, 1, 0)))
static void log_prefix(const char *format, va_list ap) {
        /* Flush first so our diagnostics land after whatever was already
         * printed on stdout when both go to the same terminal or file. */
        fflush(stdout);
        fputs("lpmaint: ", stderr);
        vfprintf(stderr, format, ap);
}

int log_error(int status, const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        log_prefix(format, ap);
        va_end(ap);
        fputc('\n', stderr);
        return status;
}

int log_errno(int status, int r, const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        log_prefix(format, ap);
        va_end(ap);
        fprintf(stderr, ": %s\n", strerror(r < 0 ? -r : r));
        return status;
}

/* The next step when lpmaintd cannot be reached: whether it is gone (its
 * bus said so) or the way to it is (no bus, SSH failed). */
static void log_unreachable_next_step(const sd_bus_error *error) {
        bool bus_answered = sd_bus_error_is_set(error) &&
                            strncmp(error->name, "System.Error.", strlen("System.Error.")) != 0;

        if (!arg_host)
                fputs("Is lpmaintd running? See 'systemctl status lpmaintd'.\n", stderr);
        else if (bus_answered)
                fprintf(stderr, "Is lpmaintd running on %s? See 'systemctl -H %s status lpmaintd'.\n", arg_host, arg_host);
        else
                fprintf(stderr, "%s could not be reached over SSH: is the host up, and does 'ssh %s' work?\n",
                        arg_host, arg_host);
}

int log_bus_error(const sd_bus_error *error, int r, const char *format, ...) {
        va_list ap;
        int status;

        va_start(ap, format);
        log_prefix(format, ap);
        va_end(ap);

        if (sd_bus_error_is_set(error))
                fprintf(stderr, ": %s (%s)\n",
                        error->message ? error->message : strerror(r < 0 ? -r : r),
                        error->name);
        else
                fprintf(stderr, ": %s\n", strerror(r < 0 ? -r : r));

        status = bus_error_exit_status(error, r);
        if (status == LPMAINT_EXIT_UNREACHABLE)
                log_unreachable_next_step(error);
        return status;
}

void log_info(const char *format, ...) {
        va_list ap;

        if (arg_quiet)
                return;
        va_start(ap, format);
        vprintf(format, ap);
        va_end(ap);
        fflush(stdout);
}

int log_usage(const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        log_prefix(format, ap);
        va_end(ap);
        fputs("\nTry 'lpmaint --help' for more information.\n", stderr);
        return LPMAINT_EXIT_USAGE;
}
