/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Calls busctl cannot make, for tests/integration/test_abuse.py:
 *   bus-abuse huge-disable BYTES      Disable with a name of BYTES 'a's
 *   bus-abuse huge-history BYTES      GetHistory with a "patch" filter of BYTES 'a's
 *   bus-abuse apply-option FILE KEY   Apply (three fds on FILE) with option KEY=true
 *   bus-abuse disconnect-apply FILE N [KEY [MSEC]]
 *                                     N times: send Apply (with option KEY=true, if
 *                                     given), hang up before the reply; round i
 *                                     waits i % (MSEC + 1) ms after sending, so
 *                                     some hang up while polkit is being asked
 *   bus-abuse disconnect-disable NAME N   the same with Disable(NAME)
 *   bus-abuse hold-apply FILE N [KEY]     N connections each send Apply (option KEY=true)
 *                                     at once and stay; each answer is printed
 *                                     as it comes, then "done"
 * A call prints "OK" or "ERROR.NAME: message"; the disconnecting ones print
 * "sent N". The exit status is 0 once the call is made, whatever its answer,
 * and 2 if it could not be made. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <systemd/sd-bus.h>

#define DEST "org.lpmaint1"
#define PATH "/org/lpmaint1"
#define MANAGER "org.lpmaint1.Manager"

static int connect_bus(sd_bus **ret) {
        int r = sd_bus_default_system(ret);
        if (r < 0)
                fprintf(stderr, "connect: %s\n", strerror(-r));
        return r;
}

static int print_result(int r, const sd_bus_error *error) {
        if (r >= 0)
                printf("OK\n");
        else
                printf("%s: %s\n", error->name ?: "error", error->message ?: strerror(-r));
        return 0;
}

static char *filled(const char *bytes) {
        size_t n = strtoul(bytes, NULL, 10);
        char *s = malloc(n + 1);
        if (!s)
                return NULL;
        memset(s, 'a', n);
        s[n] = '\0';
        return s;
}

static int open_three(const char *file, int fds[3]) {
        for (int i = 0; i < 3; i++) {
                fds[i] = open(file, O_RDONLY | O_CLOEXEC);
                if (fds[i] < 0) {
                        fprintf(stderr, "%s: %s\n", file, strerror(errno));
                        return -errno;
                }
        }
        return 0;
}

static int new_apply(sd_bus *bus, const int fds[3], const char *option, sd_bus_message **ret) {
        sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, DEST, PATH, MANAGER, "Apply");
        if (r >= 0)
                r = sd_bus_message_append(m, "hhh", fds[0], fds[1], fds[2]);
        if (r >= 0 && option)
                r = sd_bus_message_append(m, "a{sv}", 1, option, "b", 1);
        else if (r >= 0)
                r = sd_bus_message_append(m, "a{sv}", 0);
        if (r < 0) {
                sd_bus_message_unref(m);
                return r;
        }
        *ret = m;
        return 0;
}

/* Each round on a fresh connection that is gone before lpmaintd answers:
 * the message is flushed out, then the socket closed. */
static int disconnect_rounds(const char *what, const char *arg, unsigned n, const char *option, unsigned max_wait_ms) {
        int fds[3] = { -1, -1, -1 };
        unsigned sent = 0;
        int r = 0;

        if (strcmp(what, "apply") == 0 && open_three(arg, fds) < 0)
                return 2;
        for (unsigned i = 0; i < n; i++) {
                sd_bus *bus = NULL;
                sd_bus_message *m = NULL;

                if (connect_bus(&bus) < 0)
                        return 2;
                if (fds[0] >= 0)
                        r = new_apply(bus, fds, option, &m);
                else {
                        r = sd_bus_message_new_method_call(bus, &m, DEST, PATH, MANAGER, "Disable");
                        if (r >= 0)
                                r = sd_bus_message_append(m, "sa{sv}", arg, 0);
                }
                if (r >= 0)
                        r = sd_bus_send(bus, m, NULL);
                if (r >= 0)
                        r = sd_bus_flush(bus);
                if (r >= 0 && max_wait_ms > 0)
                        usleep(1000 * (i % (max_wait_ms + 1)));
                sd_bus_message_unref(m);
                sd_bus_close(bus);
                sd_bus_unref(bus);
                if (r < 0) {
                        fprintf(stderr, "send: %s\n", strerror(-r));
                        return 2;
                }
                sent++;
        }
        printf("sent %u\n", sent);
        for (int i = 0; i < 3; i++)
                if (fds[i] >= 0)
                        close(fds[i]);
        return 0;
}

static int print_answer(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        unsigned *answered = userdata;

        if (e)
                printf("%s: %s\n", e->name, e->message ?: "");
        else
                printf("OK\n");
        fflush(stdout);
        (*answered)++;
        return 0;
}

/* N callers at once, each on its own connection, all waiting for their answer. */
static int hold_rounds(const char *file, unsigned n, const char *option) {
        sd_bus **buses = calloc(n, sizeof(sd_bus *));
        int fds[3] = { -1, -1, -1 };
        unsigned answered = 0;
        int r = 0;

        if (!buses || open_three(file, fds) < 0)
                return 2;
        for (unsigned i = 0; r >= 0 && i < n; i++) {
                sd_bus_message *m = NULL;

                r = sd_bus_open_system(&buses[i]);
                if (r >= 0)
                        r = new_apply(buses[i], fds, option, &m);
                if (r >= 0)
                        r = sd_bus_call_async(buses[i], NULL, m, print_answer, &answered, 0);
                sd_bus_message_unref(m);
        }
        if (r < 0) {
                fprintf(stderr, "send: %s\n", strerror(-r));
                return 2;
        }
        while (answered < n) {
                for (unsigned i = 0; i < n; i++)
                        while ((r = sd_bus_process(buses[i], NULL)) > 0)
                                ;
                usleep(10000);
        }
        printf("done\n");
        for (unsigned i = 0; i < n; i++)
                sd_bus_flush_close_unref(buses[i]);
        for (int i = 0; i < 3; i++)
                close(fds[i]);
        free(buses);
        return 0;
}

int main(int argc, char *argv[]) {
        sd_bus *bus = NULL;
        sd_bus_message *m = NULL, *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        char *s = NULL;
        int fds[3] = { -1, -1, -1 };
        int r, ret = 0;

        if (argc < 3) {
                fprintf(stderr, "usage: see the top of bus-abuse.c\n");
                return 2;
        }
        if (strcmp(argv[1], "disconnect-apply") == 0 && argc >= 4 && argc <= 6)
                return disconnect_rounds("apply", argv[2], (unsigned) strtoul(argv[3], NULL, 10),
                                         argc >= 5 && argv[4][0] ? argv[4] : NULL,
                                         argc == 6 ? (unsigned) strtoul(argv[5], NULL, 10) : 0);
        if (strcmp(argv[1], "hold-apply") == 0 && (argc == 4 || argc == 5))
                return hold_rounds(argv[2], (unsigned) strtoul(argv[3], NULL, 10), argc == 5 ? argv[4] : NULL);
        if (strcmp(argv[1], "disconnect-disable") == 0 && argc == 4)
                return disconnect_rounds("disable", argv[2], (unsigned) strtoul(argv[3], NULL, 10), NULL, 0);

        if (connect_bus(&bus) < 0)
                return 2;
        if (strcmp(argv[1], "huge-disable") == 0 && argc == 3) {
                s = filled(argv[2]);
                r = s ? sd_bus_call_method(bus, DEST, PATH, MANAGER, "Disable", &error, &reply, "sa{sv}", s, 0) : -ENOMEM;
        } else if (strcmp(argv[1], "huge-history") == 0 && argc == 3) {
                s = filled(argv[2]);
                r = s ? sd_bus_call_method(bus, DEST, PATH, MANAGER, "GetHistory", &error, &reply,
                                           "a{sv}", 1, "patch", "s", s) : -ENOMEM;
        } else if (strcmp(argv[1], "apply-option") == 0 && argc == 4) {
                if (open_three(argv[2], fds) < 0)
                        return 2;
                r = new_apply(bus, fds, argv[3], &m);
                if (r >= 0)
                        r = sd_bus_call(bus, m, 0, &error, &reply);
        } else {
                fprintf(stderr, "usage: see the top of bus-abuse.c\n");
                ret = 2;
                goto finish;
        }
        /* A call that could not even be sent is the test's failure, not an answer. */
        if (r < 0 && !sd_bus_error_is_set(&error)) {
                fprintf(stderr, "call: %s\n", strerror(-r));
                ret = 2;
        } else
                print_result(r, &error);

finish:
        for (int i = 0; i < 3; i++)
                if (fds[i] >= 0)
                        close(fds[i]);
        free(s);
        sd_bus_error_free(&error);
        sd_bus_message_unref(m);
        sd_bus_message_unref(reply);
        sd_bus_flush_close_unref(bus);
        return ret;
}
