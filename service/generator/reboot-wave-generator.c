/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* lpmaint-reboot-wave-generator: a systemd generator. At boot and at every
 * daemon-reload it turns the host ring's RebootCalendar= and
 * RebootRandomizedDelaySec= into a drop-in of lpmaint-reboot-wave.timer and
 * makes timers.target want it, so that systemd evaluates the calendar: we
 * write no calendar code of our own. Without a calendar, or with a
 * configuration lpmaintd would refuse, it writes nothing: no waves. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bus-util.h"
#include "config.h"
#include "daemon-config.h"
#include "util.h"

#define TIMER "lpmaint-reboot-wave.timer"

static int write_dropin(const char *dir, const Config *c) {
        g_autofree char *dropin_dir = g_build_filename(dir, TIMER ".d", NULL);
        g_autofree char *text = g_strdup_printf(
                "# Written by lpmaint-reboot-wave-generator from the [Ring %s] group of lpmaint.conf.\n"
                "[Timer]\n"
                "OnCalendar=%s\n"
                "RandomizedDelaySec=%" PRIu64 "\n",
                c->ring, c->reboot_calendar, c->reboot_randomized_delay_usec / USEC_PER_SEC);
        int r = mkdir_p(dropin_dir, 0755);
        if (r < 0)
                return r;
        _cleanup_close_ int dir_fd = open(dropin_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0)
                return -errno;
        return write_file_atomic_at(dir_fd, "50-ring.conf", text, strlen(text), 0644);
}

static int want_timer(const char *dir, const char *unit_dir) {
        g_autofree char *wants = g_build_filename(dir, "timers.target.wants", NULL);
        g_autofree char *link = g_build_filename(wants, TIMER, NULL);
        g_autofree char *target = g_build_filename(unit_dir, TIMER, NULL);
        int r = mkdir_p(wants, 0755);
        if (r < 0)
                return r;
        if (symlink(target, link) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "help",   no_argument,       NULL, 'h' },
                {}
        };
        const char *config_path = LPMAINT_CONFIG_FILE;
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        Config c;
        int o, r;

        while ((o = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (o) {
                case 'c':
                        config_path = optarg;
                        break;
                case 'h':
                        printf("%s [--config=FILE] NORMAL_DIR [EARLY_DIR LATE_DIR]\n\n"
                               "systemd generator: writes " TIMER "'s calendar from the host ring's\n"
                               "RebootCalendar= and RebootRandomizedDelaySec= (lpmaint.conf(5)).\n", argv[0]);
                        return 0;
                default:
                        return 2;
                }
        if (optind >= argc || argc - optind > 3) {
                fprintf(stderr, "lpmaint-reboot-wave-generator: expected the generator directories\n");
                return 2;
        }

        config_init_defaults(&c);
        r = config_load(config_path, &c, &error);
        if (r < 0) {
                /* The kernel log is where generators are heard. */
                fprintf(stderr, "lpmaint-reboot-wave-generator: %s; no reboot waves.\n", error.message);
                config_clear(&c);
                return 1;
        }
        if (!c.reboot_calendar[0]) {
                config_clear(&c);
                return 0;
        }
        r = write_dropin(argv[optind], &c);
        if (r >= 0)
                r = want_timer(argv[optind], LPMAINT_UNIT_DIR);
        if (r < 0)
                fprintf(stderr, "lpmaint-reboot-wave-generator: cannot write to %s: %s\n", argv[optind], g_strerror(-r));
        config_clear(&c);
        return r < 0 ? 1 : 0;
}
