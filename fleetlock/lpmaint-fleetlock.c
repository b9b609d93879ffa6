/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lpmaint-fleetlock: takes or releases this host's reboot slot on a FleetLock
 * server. lpmaintd runs without a network (PrivateNetwork=yes), so the unit of
 * a reboot wave runs this helper before it reboots, and again after boot to
 * give the slot back. The protocol itself is in fleetlock-protocol.c. */
#include <curl/curl.h>
#include <getopt.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-id128.h>

#include "config.h"
#include "fleetlock-protocol.h"

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

static void curl_easy_cleanupp(CURL **c) {
        if (*c)
                curl_easy_cleanup(*c);
}

static void curl_slist_free_allp(struct curl_slist **l) {
        curl_slist_free_all(*l);
}

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

typedef struct Answer {
        GByteArray *body;
        bool too_large;
} Answer;

static size_t answer_write(char *data, size_t size, size_t nmemb, void *userdata) {
        Answer *a = userdata;
        size_t n = size * nmemb;  /* size is 1, says libcurl */

        /* A short count makes libcurl stop with CURLE_WRITE_ERROR. */
        if (n > FLEETLOCK_RESPONSE_MAX - a->body->len) {
                a->too_large = true;
                return 0;
        }
        g_byte_array_append(a->body, (const guint8 *) data, (guint) n);
        return n;
}

/* The redirects that name a new place for the same request; 300 (a choice),
 * 304 and 305 do not. */
static bool status_is_redirect(long status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

static int run(const char *endpoint, const char *id) {
        _cleanup_(curl_easy_cleanupp) CURL *c = NULL;
        _cleanup_(curl_slist_free_allp) struct curl_slist *headers = NULL;
        g_autoptr(GByteArray) body_buf = g_byte_array_new();
        g_auto(FleetlockError) error = {};
        g_autofree char *body = NULL, *url = g_strdup(endpoint);
        char errbuf[CURL_ERROR_SIZE];
        Answer answer = { .body = body_buf };
        FleetlockScheme scheme = fleetlock_url_scheme(endpoint);
        const char *protocol = scheme == FLEETLOCK_SCHEME_HTTPS ? "https" : "http";
        const char *op = fleetlock_op_to_string(arg_op);
        gint64 deadline = g_get_monotonic_time() + (gint64) arg_timeout_sec * G_USEC_PER_SEC;
        long status = 0;
        int r;

        r = fleetlock_request_body(id, arg_group, &body);
        if (r < 0)
                return log_error(EXIT_USAGE, "Invalid id or group.");

        c = curl_easy_init();
        if (!c)
                return log_error(EXIT_FAILED, "Failed to initialize libcurl.");

        headers = curl_slist_append(headers, "fleet-lock-protocol: true");
        headers = headers ? curl_slist_append(headers, "Content-Type: application/json") : NULL;
        headers = headers ? curl_slist_append(headers, "Accept: application/json") : NULL;
        /* No "Expect: 100-continue" round trip for a body of a few bytes. */
        headers = headers ? curl_slist_append(headers, "Expect:") : NULL;
        if (!headers)
                return log_error(EXIT_FAILED, "Out of memory.");

        /* Only the URL's own scheme, also for redirects (we follow those
         * ourselves, below, but libcurl refuses on its own too): an https URL
         * must never end in plain http, nor http in anything but http. */
        if (curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, protocol) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, protocol) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_USERAGENT, "lpmaint-fleetlock/" PACKAGE_VERSION) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, body) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long) strlen(body)) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, answer_write) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) FLEETLOCK_RESPONSE_MAX) != CURLE_OK)
                return log_error(EXIT_FAILED, "Failed to set up libcurl (version %s).", curl_version());

        for (unsigned hops = 0;; hops++) {
                gint64 left_ms = (deadline - g_get_monotonic_time()) / 1000;
                const char *location = NULL;
                CURLcode cr;

                if (left_ms <= 0)
                        return log_error(EXIT_FAILED, "Timed out after %us talking to %s.", arg_timeout_sec, url);

                g_byte_array_set_size(answer.body, 0);
                answer.too_large = false;
                errbuf[0] = 0;
                if (curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK ||
                    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long) left_ms) != CURLE_OK ||
                    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long) left_ms) != CURLE_OK)
                        return log_error(EXIT_FAILED, "libcurl refused the URL %s.", url);

                cr = curl_easy_perform(c);
                if (answer.too_large || cr == CURLE_FILESIZE_EXCEEDED)
                        return log_error(EXIT_FAILED, "The answer of %s is larger than %u KiB, which is no FleetLock answer.",
                                         url, FLEETLOCK_RESPONSE_MAX / 1024);
                if (cr == CURLE_OPERATION_TIMEDOUT)
                        return log_error(EXIT_FAILED, "Timed out after %us talking to %s.", arg_timeout_sec, url);
                if (cr != CURLE_OK)
                        return log_error(EXIT_FAILED, "Failed to reach %s: %s", url,
                                         errbuf[0] ? errbuf : curl_easy_strerror(cr));

                if (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK)
                        return log_error(EXIT_FAILED, "No HTTP status from %s.", url);
                if (!status_is_redirect(status))
                        break;

                /* libcurl resolves the Location against the URL even when it
                 * does not follow it. The same POST goes to the new place: the
                 * operation means nothing as a GET. */
                if (curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &location) != CURLE_OK || !location)
                        return log_error(EXIT_FAILED, "%s answered HTTP %ld without a usable Location.", url, status);
                if (fleetlock_url_scheme(location) != scheme) {
                        g_autofree char *shown = fleetlock_printable(location, strlen(location), SHOW_TEXT_MAX);
                        return log_error(EXIT_FAILED, "%s redirects to %s, another scheme: refused.", url, shown);
                }
                if (hops + 1 > REDIRECTS_MAX)
                        return log_error(EXIT_FAILED, "More than %u redirects from %s.", REDIRECTS_MAX, endpoint);
                g_free(url);
                url = g_strdup(location);
        }

        switch (fleetlock_classify_answer(status, (const char *) answer.body->data, answer.body->len, &error)) {

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
                const char *text = (const char *) answer.body->data;
                size_t len = answer.body->len;
                g_autofree char *shown = NULL;

                /* The final newline of an error page is no content. */
                while (len > 0 && g_ascii_isspace(text[len - 1]))
                        len--;
                shown = fleetlock_printable(text, len, SHOW_TEXT_MAX);

                return log_error(EXIT_FAILED, "%s answered HTTP %ld, which is no FleetLock answer%s%s", url, status,
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
