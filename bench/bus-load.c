/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Load and start-up probes for bench/run.
 *   bus-load calls ping|getall|status-calls N    N synchronous calls on one connection; prints calls/s
 *   bus-load startup CMD...                       runs CMD; prints ms from exec to org.lpmaint1 being owned */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-bus.h>

static double now_sec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static int one_call(sd_bus *bus, const char *what) {
        sd_bus_message *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        if (strcmp(what, "ping") == 0)
                r = sd_bus_call_method(bus, "org.lpmaint1", "/org/lpmaint1", "org.freedesktop.DBus.Peer", "Ping",
                                       &error, &reply, NULL);
        else
                r = sd_bus_call_method(bus, "org.lpmaint1", "/org/lpmaint1", "org.freedesktop.DBus.Properties", "GetAll",
                                       &error, &reply, "s", "org.lpmaint1.Manager");
        if (r < 0)
                fprintf(stderr, "call failed: %s\n", error.message ?: strerror(-r));
        sd_bus_message_unref(reply);
        sd_bus_error_free(&error);
        return r;
}

static int calls(const char *what, long n) {
        sd_bus *bus = NULL;
        int r = sd_bus_default_system(&bus);
        if (r < 0)
                return fprintf(stderr, "connect: %s\n", strerror(-r)), 1;

        double t0 = now_sec();
        for (long i = 0; i < n; i++)
                if (one_call(bus, what) < 0)
                        return 1;
        printf("%.1f\n", (double) n / (now_sec() - t0));
        sd_bus_flush_close_unref(bus);
        return 0;
}

static int startup(char **cmd) {
        sd_bus *bus = NULL;
        int r = sd_bus_default_system(&bus);
        if (r < 0)
                return fprintf(stderr, "connect: %s\n", strerror(-r)), 1;
        r = sd_bus_match_signal(bus, NULL, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                "NameOwnerChanged", NULL, NULL);
        if (r < 0)
                return fprintf(stderr, "match: %s\n", strerror(-r)), 1;
        /* The match must be in place before the daemon can take the name. */
        r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetId", NULL, NULL, NULL);
        if (r < 0)
                return 1;

        double t0 = now_sec();
        pid_t pid = fork();
        if (pid == 0) {
                /* The daemon outlives us: it must not hold our caller's stdout pipe. */
                dup2(STDERR_FILENO, STDOUT_FILENO);
                execvp(cmd[0], cmd);
                _exit(127);
        }
        for (;;) {
                sd_bus_message *m = NULL;
                r = sd_bus_process(bus, &m);
                if (r < 0)
                        return 1;
                if (m && sd_bus_message_is_signal(m, "org.freedesktop.DBus", "NameOwnerChanged")) {
                        const char *name, *old, *new;
                        if (sd_bus_message_read(m, "sss", &name, &old, &new) >= 0 &&
                            strcmp(name, "org.lpmaint1") == 0 && new[0]) {
                                printf("%.2f %d\n", (now_sec() - t0) * 1000.0, (int) pid);
                                sd_bus_message_unref(m);
                                break;
                        }
                }
                sd_bus_message_unref(m);
                if (r == 0 && sd_bus_wait(bus, 10 * 1000 * 1000) <= 0)
                        return fprintf(stderr, "timed out waiting for org.lpmaint1\n"), 1;
        }
        sd_bus_flush_close_unref(bus);
        return 0;
}

int main(int argc, char *argv[]) {
        if (argc == 4 && strcmp(argv[1], "calls") == 0)
                return calls(argv[2], atol(argv[3]));
        if (argc >= 3 && strcmp(argv[1], "startup") == 0)
                return startup(argv + 2);
        fprintf(stderr, "usage: bus-load calls ping|getall N | bus-load startup CMD...\n");
        return 2;
}
