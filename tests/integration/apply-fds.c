/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Calls org.lpmaint1.Manager.Apply with file descriptors inherited from the
 * test, so that the tests can hand lpmaintd a directory, a pipe or a FIFO.
 *   apply-fds MANIFEST_FD SIGNATURE_FD MODULE_FD
 * Prints the patch's object path, or "ERROR.NAME: message" and exits 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

int main(int argc, char *argv[]) {
        sd_bus *bus = NULL;
        sd_bus_message *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *path;
        int r, ret = 1;

        if (argc != 4) {
                fprintf(stderr, "usage: apply-fds MANIFEST_FD SIGNATURE_FD MODULE_FD\n");
                return 2;
        }
        r = sd_bus_default_system(&bus);
        if (r < 0) {
                fprintf(stderr, "connect: %s\n", strerror(-r));
                return 2;
        }
        r = sd_bus_call_method(bus, "org.lpmaint1", "/org/lpmaint1", "org.lpmaint1.Manager", "Apply", &error, &reply,
                               "hhha{sv}", atoi(argv[1]), atoi(argv[2]), atoi(argv[3]), 0);
        if (r < 0)
                printf("%s: %s\n", error.name ?: "error", error.message ?: strerror(-r));
        else if (sd_bus_message_read(reply, "o", &path) >= 0) {
                printf("%s\n", path);
                ret = 0;
        }
        sd_bus_error_free(&error);
        sd_bus_message_unref(reply);
        sd_bus_flush_close_unref(bus);
        return ret;
}
