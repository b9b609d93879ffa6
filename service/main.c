/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>

#include "bus-objects.h"
#include "bus-util.h"
#include "config.h"
#include "errors.h"
#include "log.h"
#include "manager.h"

#define LPMAINT_MMAP_THRESHOLD (256 * 1024)

static const char *arg_config = LPMAINT_CONFIG_FILE;
static const char *arg_simulate_kernel = NULL;
static bool arg_check_config = false;

static void help(void) {
        printf("%s [OPTIONS...]\n\n"
               "The lpmaint live patch maintenance service (bus name org.lpmaint1).\n\n"
               "  -h --help                 Show this help\n"
               "     --version              Show the version\n"
               "     --config=FILE          Configuration file (default %s);\n"
               "                            drop-ins are read from FILE.d/*.conf\n"
               "     --check-config         Only read the configuration and its drop-ins:\n"
               "                            print the first problem with its file and line\n"
               "                            and exit 1, or exit 0 silently\n"
               "     --simulate-kernel=DIR  Use a simulated kernel kept under DIR instead of\n"
               "                            the running one (sandbox and tests)\n\n"
               "SIGHUP reloads the configuration, keeping the last good one on error.\n"
               "See lpmaintd(8) and lpmaint.conf(5).\n",
               program_invocation_short_name, LPMAINT_CONFIG_FILE);
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100, ARG_CONFIG, ARG_CHECK_CONFIG, ARG_SIMULATE_KERNEL };
        static const struct option options[] = {
                { "help",            no_argument,       NULL, 'h' },
                { "version",         no_argument,       NULL, ARG_VERSION },
                { "config",          required_argument, NULL, ARG_CONFIG },
                { "check-config",    no_argument,       NULL, ARG_CHECK_CONFIG },
                { "simulate-kernel", required_argument, NULL, ARG_SIMULATE_KERNEL },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("lpmaintd %s\n", PACKAGE_VERSION);
                        return 0;
                case ARG_CONFIG:
                        arg_config = optarg;
                        break;
                case ARG_CHECK_CONFIG:
                        arg_check_config = true;
                        break;
                case ARG_SIMULATE_KERNEL:
                        arg_simulate_kernel = optarg;
                        break;
                default:
                        return -EINVAL;
                }
        if (optind < argc) {
                log_error("%s takes no arguments.", program_invocation_short_name);
                return -EINVAL;
        }
        return 1;
}

/* --check-config, as sshd -t: the parser's verdict on the files, nothing
 * else; no bus, no state directory, no kernel. */
static int check_config(void) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        Config c;

        config_init_defaults(&c);
        int r = config_load(arg_config, &c, &error);
        config_clear(&c);
        if (r < 0) {
                fprintf(stderr, "%s\n", error.message ?: g_strerror(-r));
                return EXIT_FAILURE;
        }
        return EXIT_SUCCESS;
}

static int on_sigterm(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;

        manager_boots_stop(m);
        return sd_event_exit(m->event, 0);
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        manager_reload(userdata);
        return 0;
}

int main(int argc, char *argv[]) {
        g_autoptr(Manager) m = NULL;
        sigset_t mask;
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        if (arg_check_config)
                return check_config();

        /* Artifacts up to MaxModuleSize= pass through the heap. glibc raises its
         * mmap threshold to the size of each large block freed, so the next
         * module of up to 32 MiB would come from the heap and stay resident
         * after it is freed; a fixed threshold (which also fixes the trim
         * threshold) keeps large buffers mmap'd and returned on free. */
        (void) mallopt(M_MMAP_THRESHOLD, LPMAINT_MMAP_THRESHOLD);

        lpmaint_errors_register();
        /* Created files are for root only, whatever umask we were started with. */
        umask(0077);
        /* A write past LimitFSIZE= is an error to handle (the audit log cuts it
         * back), not a reason to die mid-operation. */
        (void) signal(SIGXFSZ, SIG_IGN);

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGCHLD);      /* health checks' children, reaped by the event loop */
        sigprocmask(SIG_BLOCK, &mask, NULL);

        r = manager_new(arg_config, arg_simulate_kernel, &m);
        if (r < 0)
                return EXIT_FAILURE;
        r = manager_start_bus(m, bus_objects_register);
        if (r < 0)
                return EXIT_FAILURE;

        if ((r = sd_event_add_signal(m->event, NULL, SIGTERM, on_sigterm, m)) < 0 ||
            (r = sd_event_add_signal(m->event, NULL, SIGINT, on_sigterm, m)) < 0 ||
            (r = sd_event_add_signal(m->event, NULL, SIGHUP, on_sighup, m)) < 0 ||
            (r = sd_event_set_watchdog(m->event, true)) < 0) {
                log_error("Cannot set up the event loop: %s", g_strerror(-r));
                return EXIT_FAILURE;
        }

        (void) sd_notify(false, "READY=1\nSTATUS=Processing requests...");
        log_info("lpmaintd %s running on kernel %s.", PACKAGE_VERSION, kernel_release(m->kernel));

        r = sd_event_loop(m->event);
        (void) sd_notify(false, "STOPPING=1\nSTATUS=Shutting down...");
        /* Give up the name before the last messages go, so no new call is lost. */
        (void) sd_bus_release_name(m->bus, LPMAINT_BUS_NAME);
        (void) sd_bus_flush(m->bus);
        caller_disconnect();
        if (r < 0) {
                log_error("Event loop failed: %s", g_strerror(-r));
                return EXIT_FAILURE;
        }
        return EXIT_SUCCESS;
}
