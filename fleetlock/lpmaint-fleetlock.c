/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lpmaint-fleetlock: takes or releases this host's reboot slot on a FleetLock
 * server. lpmaintd runs without a network (PrivateNetwork=yes), so the unit of
 * a reboot wave runs this helper before it reboots, and again after boot to
 * give the slot back. The protocol itself is in fleetlock-protocol.c. */
#include <getopt.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-id128.h>

#include "config.h"
#include "fleetlock-protocol.h"
#include "net-transfer.h"

/* The exit statuses are an interface: the reboot wave's unit tells "not now"
 * (1) from "something is broken" (3). */
enum {
        EXIT_DONE    = 0,  /* slot taken (pre-reboot) or released (steady-state) */
        EXIT_REFUSED = 1,  /* the server answered with a FleetLock error */
        EXIT_USAGE   = 2,
        EXIT_FAILED  = 3,  /* unreachable, no FleetLock answer, or a local failure */
};

/* The application id for sd_id128_get_machine_app_specific(): the server gets
 * a stable per-host id from which /etc/machine-id cannot be recovered, and
 * which matches nothing other applications derive. Never change it: a host
 * would no longer own the slot it took before an upgrade. */
#define FLEETLOCK_APP_ID SD_ID128_MAKE(7d,b9,8e,a6,cc,cd,4c,84,b4,60,52,04,58,10,8f,1f)

#define TIMEOUT_DEFAULT_SEC 30
#define TIMEOUT_MAX_SEC 3600
#define REDIRECTS_MAX 5

/* How much of what a server sends is shown in a message. */
#define SHOW_KIND_MAX 128
#define SHOW_TEXT_MAX 512

#define _cleanup_(f) __attribute__((cleanup(f)))

static const char *arg_url = NULL;
static const char *arg_group = FLEETLOCK_GROUP_DEFAULT;
static const char *arg_id = NULL;
static unsigned arg_timeout_sec = TIMEOUT_DEFAULT_SEC;
static FleetlockOp arg_op = _FLEETLOCK_OP_INVALID;

static int log_error(int status, const char *format, ...) __attribute__((format(printf, 2, 3)));
static int log_error(int status, const char *format, ...) {
        va_list ap;

        fprintf(stderr, "%s: ", program_invocation_short_name);
        va_start(ap, format);
        vfprintf(stderr, format, ap);
        va_end(ap);
        fputc('\n', stderr);
        return status;
}

static void help(void) {
        printf("%1$s [OPTIONS...] pre-reboot|steady-state\n"
               "\n"
               "Takes or releases this host's reboot slot on a FleetLock server, the\n"
               "reboot coordination protocol of Zincati and airlock.\n"
               "\n"
               "Commands:\n"
               "  pre-reboot       Take a reboot slot (POST URL/v1/pre-reboot); succeeds\n"
               "                   again if this id holds one already\n"
               "  steady-state     Release the slot this id holds (POST URL/v1/steady-state);\n"
               "                   succeeds if it holds none\n"
               "\n"
               "Options:\n"
               "  -h --help        Show this help and exit\n"
               "     --version     Show the version and exit\n"
               "     --url=URL     The server's base URL, http:// or https:// (required);\n"
               "                   no credentials, query or fragment in it\n"
               "     --group=GROUP The reboot group, of a-z A-Z 0-9 . - (default: %2$s)\n"
               "     --id=ID       This host's id, printable ASCII without spaces (default:\n"
               "                   an id derived from /etc/machine-id for lpmaint, 32 hex\n"
               "                   digits; the machine id itself is never sent)\n"
               "     --timeout=SEC Give up after SEC seconds, 1 to %3$u (default: %4$u)\n"
               "\n"
               "Requests carry the header \"fleet-lock-protocol: true\" and the JSON body\n"
               "{\"client_params\":{\"id\":ID,\"group\":GROUP}}. Redirects are followed (at most\n"
               "%5$u) only within the URL's scheme; answers are read up to %6$u KiB. Proxies\n"
               "and trusted CAs are libcurl's defaults (http_proxy, no_proxy, ...).\n"
               "\n"
               "Exit status:\n"
               "  0  the slot was taken (pre-reboot) or released (steady-state)\n"
               "  1  the server refused, for example because other hosts hold all slots;\n"
               "     its error kind and description are printed\n"
               "  2  invalid usage\n"
               "  3  the server could not be reached, timed out, or answered with no\n"
               "     FleetLock answer; or the default id could not be derived\n",
               program_invocation_short_name,
               FLEETLOCK_GROUP_DEFAULT,
               TIMEOUT_MAX_SEC, TIMEOUT_DEFAULT_SEC,
               REDIRECTS_MAX, FLEETLOCK_RESPONSE_MAX / 1024);
}

static int log_usage(const char *format, ...) __attribute__((format(printf, 1, 2)));
static int log_usage(const char *format, ...) {
        va_list ap;

        fprintf(stderr, "%s: ", program_invocation_short_name);
        va_start(ap, format);
        vfprintf(stderr, format, ap);
        va_end(ap);
        fprintf(stderr, " (see --help)\n");
        return EXIT_USAGE;
}

/* Returns 1 to go on, 0 to exit with success (--help), or EXIT_USAGE negated. */
static int parse_argv(int argc, char *argv[]) {
        enum {
                ARG_VERSION = 0x100,
                ARG_URL,
                ARG_GROUP,
                ARG_ID,
                ARG_TIMEOUT,
        };
        static const struct option options[] = {
                { "help",    no_argument,       NULL, 'h'         },
                { "version", no_argument,       NULL, ARG_VERSION },
                { "url",     required_argument, NULL, ARG_URL     },
                { "group",   required_argument, NULL, ARG_GROUP   },
                { "id",      required_argument, NULL, ARG_ID      },
                { "timeout", required_argument, NULL, ARG_TIMEOUT },
                {}
        };
        int c;

        /* '+': options end at the command, as for any verb-style tool; ':' lets
         * us word the error about a missing argument ourselves. */
        while ((c = getopt_long(argc, argv, "+:h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("%s %s\n", program_invocation_short_name, PACKAGE_VERSION);
                        return 0;
                case ARG_URL:
                        arg_url = optarg;
                        break;
                case ARG_GROUP:
                        arg_group = optarg;
                        break;
                case ARG_ID:
                        arg_id = optarg;
                        break;
                case ARG_TIMEOUT: {
                        guint64 v;

                        if (!g_ascii_string_to_unsigned(optarg, 10, 1, TIMEOUT_MAX_SEC, &v, NULL))
                                return -log_usage("Invalid --timeout '%s': expected whole seconds, 1 to %u.",
                                                  optarg, TIMEOUT_MAX_SEC);
                        arg_timeout_sec = (unsigned) v;
                        break;
                }
                case ':':
                        return -log_usage("Option '%s' needs an argument.", argv[optind - 1]);
                case '?':
                        if (optopt > 0 && optopt < 0x100)
                                return -log_usage("Unknown option '-%c'.", optopt);
                        return -log_usage("Unknown option '%s'.", argv[optind - 1]);
                default:
                        g_assert_not_reached();
                }

        if (optind >= argc)
                return -log_usage("Missing the command: pre-reboot or steady-state.");
        if (argc - optind > 1)
                return -log_usage("Too many arguments: '%s' after the command.", argv[optind + 1]);
        arg_op = fleetlock_op_from_string(argv[optind]);
        if (arg_op < 0)
                return -log_usage("Unknown command '%s': expected pre-reboot or steady-state.", argv[optind]);

        if (!arg_url)
                return -log_usage("Missing --url: the FleetLock server's base URL.");
        if (!fleetlock_group_is_valid(arg_group))
                return -log_usage("Invalid --group '%s': 1 to %u characters of a-z, A-Z, 0-9, '.' and '-'.",
                                  arg_group, FLEETLOCK_GROUP_MAX);
        if (arg_id && !fleetlock_id_is_valid(arg_id))
                return -log_usage("Invalid --id: 1 to %u printable ASCII characters, no spaces.",
                                  FLEETLOCK_ID_MAX);
        return 1;
}

static int run(const char *endpoint, const char *id) {
        g_auto(NetTransfer) t = {};
        g_auto(NetOutcome) outcome = {};
        _cleanup_(net_slist_freep) struct curl_slist *headers = NULL;
        g_auto(FleetlockError) error = {};
        g_autofree char *body = NULL;
        const char *op = fleetlock_op_to_string(arg_op);
        unsigned timeout_ms = arg_timeout_sec * 1000;
        long status;
        int r;

        r = fleetlock_request_body(id, arg_group, &body);
        if (r < 0)
                return log_error(EXIT_USAGE, "Invalid id or group.");

        r = net_transfer_init(&t, "lpmaint-fleetlock/" PACKAGE_VERSION, FLEETLOCK_RESPONSE_MAX);
        if (r == -ENOMEM)
                return log_error(EXIT_FAILED, "Failed to initialize libcurl.");
        if (r < 0)
                return log_error(EXIT_FAILED, "Failed to set up libcurl (version %s).", curl_version());

        headers = curl_slist_append(headers, "fleet-lock-protocol: true");
        headers = headers ? curl_slist_append(headers, "Content-Type: application/json") : NULL;
        headers = headers ? curl_slist_append(headers, "Accept: application/json") : NULL;
        /* No "Expect: 100-continue" round trip for a body of a few bytes. */
        headers = headers ? curl_slist_append(headers, "Expect:") : NULL;
        if (!headers)
                return log_error(EXIT_FAILED, "Out of memory.");

        /* A redirect gets the same POST (net_transfer_run() keeps the
         * method and body): the operation means nothing as a GET. */
        if (curl_easy_setopt(t.curl, CURLOPT_HTTPHEADER, headers) != CURLE_OK ||
            curl_easy_setopt(t.curl, CURLOPT_POSTFIELDS, body) != CURLE_OK ||
            curl_easy_setopt(t.curl, CURLOPT_POSTFIELDSIZE, (long) strlen(body)) != CURLE_OK)
                return log_error(EXIT_FAILED, "Failed to set up libcurl (version %s).", curl_version());

        switch (net_transfer_run(&t, endpoint, timeout_ms, 0, REDIRECTS_MAX, &outcome)) {
        case NET_KIND_OK:
                break;
        case NET_KIND_TOO_LARGE:
                return log_error(EXIT_FAILED, "The answer of %s is larger than %u KiB, which is no FleetLock answer.",
                                 outcome.url, FLEETLOCK_RESPONSE_MAX / 1024);
        case NET_KIND_TIMEOUT:
                return log_error(EXIT_FAILED, "Timed out after %us talking to %s.", arg_timeout_sec, outcome.url);
        case NET_KIND_BAD_REDIRECT:
                return log_error(EXIT_FAILED, "%s answered HTTP %ld without a usable Location.", outcome.url, outcome.status);
        case NET_KIND_REDIRECT_SCHEME: {
                g_autofree char *shown = fleetlock_printable(outcome.location, strlen(outcome.location), SHOW_TEXT_MAX);
                return log_error(EXIT_FAILED, "%s redirects to %s, another scheme: refused.", outcome.url, shown);
        }
        case NET_KIND_TOO_MANY_REDIRECTS:
                return log_error(EXIT_FAILED, "More than %u redirects from %s.", REDIRECTS_MAX, endpoint);
        default:
                return log_error(EXIT_FAILED, "Failed to reach %s: %s", outcome.url, outcome.message);
        }
        status = outcome.status;

        switch (fleetlock_classify_answer(status, (const char *) t.memory->data, t.memory->len, &error)) {

        case FLEETLOCK_OUTCOME_OK:
                if (arg_op == FLEETLOCK_PRE_REBOOT)
                        printf("Took a reboot slot in group %s as %s.\n", arg_group, id);
                else
                        printf("Released the reboot slot of %s in group %s, if it held one.\n", id, arg_group);
                return EXIT_DONE;

        case FLEETLOCK_OUTCOME_REFUSED: {
                g_autofree char *kind = fleetlock_printable(error.kind, strlen(error.kind), SHOW_KIND_MAX);
                g_autofree char *value = fleetlock_printable(error.value, strlen(error.value), SHOW_TEXT_MAX);

                return log_error(EXIT_REFUSED, "The server refused %s for %s in group %s (HTTP %ld): %s: %s",
                                 op, id, arg_group, status, kind, value);
        }

        default: {
                const char *text = (const char *) t.memory->data;
                size_t len = t.memory->len;
                g_autofree char *shown = NULL;

                /* The final newline of an error page is no content. */
                while (len > 0 && g_ascii_isspace(text[len - 1]))
                        len--;
                shown = fleetlock_printable(text, len, SHOW_TEXT_MAX);

                return log_error(EXIT_FAILED, "%s answered HTTP %ld, which is no FleetLock answer%s%s", outcome.url, status,
                                 shown[0] ? ": " : ".", shown);
        }
        }
}

int main(int argc, char *argv[]) {
        g_autofree char *endpoint = NULL;
        char id_buf[SD_ID128_STRING_MAX];
        const char *id;
        int r;

        setlocale(LC_ALL, "");

        r = parse_argv(argc, argv);
        if (r <= 0)
                return -r;

        r = fleetlock_endpoint_url(arg_url, arg_op, &endpoint);
        if (r == -EPROTONOSUPPORT)
                return log_usage("Invalid --url '%s': only http:// and https:// URLs are supported.", arg_url);
        if (r < 0)
                return log_usage("Invalid --url '%s': it needs a host, and no credentials, query, fragment, "
                                 "spaces or non-ASCII characters, at most %u characters.",
                                 arg_url, FLEETLOCK_URL_MAX);

        id = arg_id;
        if (!id) {
                sd_id128_t app;

                r = sd_id128_get_machine_app_specific(FLEETLOCK_APP_ID, &app);
                if (r < 0)
                        return log_error(EXIT_FAILED, "Failed to derive this host's id from /etc/machine-id (%s); pass --id.",
                                         strerror(-r));
                id = sd_id128_to_string(app, id_buf);
        }

        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                return log_error(EXIT_FAILED, "Failed to initialize libcurl.");
        r = run(endpoint, id);
        curl_global_cleanup();

        /* A message lost on a full disk or a closed pipe must not pass for success. */
        if (fflush(stdout) != 0 && r == EXIT_DONE)
                return EXIT_FAILED;
        return r;
}
