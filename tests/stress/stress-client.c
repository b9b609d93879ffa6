/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One client of the stress test (tests/integration/test_stress.py): for N
 * seconds, calls lpmaintd in a fixed mix of reads and writes that must be
 * refused (AccessDenied, InteractiveAuthorizationRequired, or LimitsExceeded
 * when the uid has too many calls waiting for polkit), as an ordinary user,
 * and counts the outcomes it did not expect.
 *   stress-client [--seconds=N] [--limit=N] FILE
 * FILE is a small regular file; the refused Apply sends three fds on it.
 * Prints one line per kind, "KIND calls=N unexpected=N", then a total line
 * "total calls=N unexpected=N"; exits 1 if anything was unexpected. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-bus.h>

#define DEST "org.lpmaint1"
#define PATH "/org/lpmaint1"
#define MANAGER "org.lpmaint1.Manager"
/* A valid name no patch has: Disable must be refused before it is looked up. */
#define REFUSED_NAME "lp_stress_nonexistent"
/* Unexpected outcomes printed in full; the rest are only counted. */
#define SHOW_MAX 5

typedef enum Kind {
        KIND_GET_ALL,
        KIND_MANAGED_OBJECTS,
        KIND_HISTORY,
        KIND_APPLY,
        KIND_DISABLE,
        _KIND_MAX,
} Kind;

static const char *const kind_names[_KIND_MAX] = {
        [KIND_GET_ALL] = "GetAll",
        [KIND_MANAGED_OBJECTS] = "GetManagedObjects",
        [KIND_HISTORY] = "GetHistory",
        [KIND_APPLY] = "Apply",
        [KIND_DISABLE] = "Disable",
};

static uint64_t calls[_KIND_MAX], unexpected[_KIND_MAX];
static unsigned shown;

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

/* Refused for lack of rights, or because the clients (one uid) already have as
 * many calls waiting for polkit as lpmaintd lets one uid have. */
static bool write_refused(const sd_bus_error *e) {
        return sd_bus_error_has_name(e, SD_BUS_ERROR_ACCESS_DENIED) ||
               sd_bus_error_has_name(e, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED) ||
               sd_bus_error_has_name(e, SD_BUS_ERROR_LIMITS_EXCEEDED);
}

static int call(sd_bus *bus, Kind kind, int fds[3], uint32_t limit, sd_bus_error *error) {
        sd_bus_message *reply = NULL;
        int r;

        switch (kind) {
        case KIND_GET_ALL:
                r = sd_bus_call_method(bus, DEST, PATH, "org.freedesktop.DBus.Properties", "GetAll",
                                       error, &reply, "s", MANAGER);
                break;
        case KIND_MANAGED_OBJECTS:
                r = sd_bus_call_method(bus, DEST, PATH, "org.freedesktop.DBus.ObjectManager",
                                       "GetManagedObjects", error, &reply, NULL);
                break;
        case KIND_HISTORY:
                r = sd_bus_call_method(bus, DEST, PATH, MANAGER, "GetHistory", error, &reply,
                                       "a{sv}", 1, "limit", "u", limit);
                break;
        case KIND_APPLY:
                r = sd_bus_call_method(bus, DEST, PATH, MANAGER, "Apply", error, &reply,
                                       "hhha{sv}", fds[0], fds[1], fds[2], 0);
                break;
        case KIND_DISABLE:
        default:
                r = sd_bus_call_method(bus, DEST, PATH, MANAGER, "Disable", error, &reply,
                                       "sa{sv}", REFUSED_NAME, 0);
                break;
        }
        sd_bus_message_unref(reply);
        return r;
}

static void account(Kind kind, int r, const sd_bus_error *error) {
        bool write = kind == KIND_APPLY || kind == KIND_DISABLE;
        /* A read must succeed; a write must fail, and only for lack of rights (or of room to wait). */
        bool ok = write ? r < 0 && write_refused(error) : r >= 0;

        calls[kind]++;
        if (ok)
                return;
        unexpected[kind]++;
        if (shown++ < SHOW_MAX)
                fprintf(stderr, "unexpected: %s: %s: %s\n", kind_names[kind],
                        r >= 0 ? "succeeded" : (error->name ?: "error"),
                        r >= 0 ? "" : (error->message ?: strerror(-r)));
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "seconds", required_argument, NULL, 's' },
                { "limit",   required_argument, NULL, 'l' },
                {}
        };
        unsigned seconds = 10;
        uint32_t limit = 20;
        sd_bus *bus = NULL;
        int fds[3] = { -1, -1, -1 };
        int c, r;

        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 's':
                        seconds = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case 'l':
                        limit = (uint32_t) strtoul(optarg, NULL, 10);
                        break;
                default:
                        return 2;
                }
        if (optind != argc - 1 || seconds == 0) {
                fprintf(stderr, "usage: stress-client [--seconds=N] [--limit=N] FILE\n");
                return 2;
        }

        for (int i = 0; i < 3; i++) {
                fds[i] = open(argv[optind], O_RDONLY | O_CLOEXEC);
                if (fds[i] < 0) {
                        fprintf(stderr, "%s: %s\n", argv[optind], strerror(errno));
                        return 2;
                }
        }
        r = sd_bus_default_system(&bus);
        if (r < 0) {
                fprintf(stderr, "connect: %s\n", strerror(-r));
                return 2;
        }

        uint64_t end = now_usec() + (uint64_t) seconds * 1000000;
        for (unsigned i = 0; now_usec() < end; i++) {
                sd_bus_error error = SD_BUS_ERROR_NULL;
                Kind kind = (Kind) (i % _KIND_MAX);

                r = call(bus, kind, fds, limit, &error);
                account(kind, r, &error);
                sd_bus_error_free(&error);
        }

        uint64_t total = 0, total_unexpected = 0;
        for (int k = 0; k < _KIND_MAX; k++) {
                printf("%s calls=%" PRIu64 " unexpected=%" PRIu64 "\n", kind_names[k], calls[k], unexpected[k]);
                total += calls[k];
                total_unexpected += unexpected[k];
        }
        printf("total calls=%" PRIu64 " unexpected=%" PRIu64 "\n", total, total_unexpected);

        sd_bus_flush_close_unref(bus);
        for (int i = 0; i < 3; i++)
                close(fds[i]);
        return total_unexpected ? 1 : 0;
}
