/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Load and start-up probes for bench/run.
 *   bus-load calls ping|getall|status-calls N    N synchronous calls on one connection; prints calls/s
 *   bus-load startup CMD...                       runs CMD; prints ms from exec to org.lpmaint1 being owned
 *   bus-load soak-latency KMSG LINE               appends LINE to the simulated kernel log KMSG; prints ms
 *                                                 until lpmaintd signals PatchSoakFinished */
#include <errno.h>
#include <stdbool.h>
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

/* A connection that receives the signal, with the match in place before
 * anything that could cause it is done (the synchronous call flushes it). */
static sd_bus *connect_matching(const char *sender, const char *path, const char *interface, const char *member) {
        sd_bus *bus = NULL;
        int r = sd_bus_default_system(&bus);
        if (r >= 0)
                r = sd_bus_match_signal(bus, NULL, sender, path, interface, member, NULL, NULL);
        if (r >= 0)
                r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "GetId", NULL, NULL, NULL);
        if (r < 0) {
                fprintf(stderr, "bus: %s\n", strerror(-r));
                return sd_bus_flush_close_unref(bus);
        }
        return bus;
}

/* Waits for @interface.@member for which @accept says yes; -ETIMEDOUT after 10 s of silence. */
static int wait_signal(sd_bus *bus, const char *interface, const char *member, bool (*accept)(sd_bus_message *m)) {
        for (;;) {
                sd_bus_message *m = NULL;
                int r = sd_bus_process(bus, &m);
                if (r < 0)
                        return r;
                bool done = m && sd_bus_message_is_signal(m, interface, member) && accept(m);
                sd_bus_message_unref(m);
                if (done)
                        return 0;
                if (r == 0 && sd_bus_wait(bus, 10 * 1000 * 1000) <= 0)
                        return -ETIMEDOUT;
        }
}

static bool lpmaint_name_owned(sd_bus_message *m) {
        const char *name, *old, *new;
        return sd_bus_message_read(m, "sss", &name, &old, &new) >= 0 && strcmp(name, "org.lpmaint1") == 0 && new[0];
}

static bool any_signal(sd_bus_message *m) {
        return true;
}

static int startup(char **cmd) {
        sd_bus *bus = connect_matching("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "NameOwnerChanged");
        if (!bus)
                return 1;

        double t0 = now_sec();
        pid_t pid = fork();
        if (pid == 0) {
                /* The daemon outlives us: it must not hold our caller's stdout pipe. */
                dup2(STDERR_FILENO, STDOUT_FILENO);
                execvp(cmd[0], cmd);
                _exit(127);
        }
        if (wait_signal(bus, "org.freedesktop.DBus", "NameOwnerChanged", lpmaint_name_owned) < 0)
                return fprintf(stderr, "timed out waiting for org.lpmaint1\n"), 1;
        printf("%.2f %d\n", (now_sec() - t0) * 1000.0, (int) pid);
        sd_bus_flush_close_unref(bus);
        return 0;
}

static int soak_latency(const char *kmsg, const char *line) {
        sd_bus *bus = connect_matching("org.lpmaint1", "/org/lpmaint1", "org.lpmaint1.Manager", "PatchSoakFinished");
        if (!bus)
                return 1;

        FILE *f = fopen(kmsg, "ae");
        if (!f)
                return fprintf(stderr, "open %s: %s\n", kmsg, strerror(errno)), 1;
        double t0 = now_sec();
        fprintf(f, "%s\n", line);
        fclose(f);

        if (wait_signal(bus, "org.lpmaint1.Manager", "PatchSoakFinished", any_signal) < 0)
                return fprintf(stderr, "timed out waiting for PatchSoakFinished\n"), 1;
        printf("%.2f\n", (now_sec() - t0) * 1000.0);
        sd_bus_flush_close_unref(bus);
        return 0;
}

int main(int argc, char *argv[]) {
        if (argc == 4 && strcmp(argv[1], "calls") == 0)
                return calls(argv[2], atol(argv[3]));
        if (argc >= 3 && strcmp(argv[1], "startup") == 0)
                return startup(argv + 2);
        if (argc == 4 && strcmp(argv[1], "soak-latency") == 0)
                return soak_latency(argv[2], argv[3]);
        fprintf(stderr, "usage: bus-load calls ping|getall N | bus-load startup CMD... | bus-load soak-latency KMSG LINE\n");
        return 2;
}
