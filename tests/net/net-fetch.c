/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* net-fetch: one fetch (or two, --again) through net/'s net_fetcher_fetch(),
 * its outcome printed as KEY=VALUE lines, for test-net-fetch.py. Not
 * installed: a test driver, so every knob of NetFetchOptions is an option. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net-fetch.h"

static NetFetchOptions arg_options = { .user_agent = "lpmaint-net-fetch-test", .timeout_sec = 30 };
static guint64 arg_max = 16 * 1024 * 1024;
static const char *arg_output = NULL;
static NetValidators arg_previous = {};
static bool arg_again = false;

static int usage(const char *message) {
        fprintf(stderr, "net-fetch: %s\n"
                "Usage: net-fetch [--ca FILE] [--cert FILE [--key FILE]] [--allow-http]\n"
                "                 [--timeout SEC] [--connect-timeout SEC] [--low-speed BYTES:SEC]\n"
                "                 [--max BYTES] [--etag VALUE] [--last-modified VALUE]\n"
                "                 [--output FILE] [--again] URL\n", message);
        return 2;
}

static bool parse_uint(const char *s, guint64 max, guint64 *ret) {
        return g_ascii_string_to_unsigned(s, 10, 0, max, ret, NULL);
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_CA = 0x100, ARG_CERT, ARG_KEY, ARG_ALLOW_HTTP, ARG_TIMEOUT, ARG_CONNECT_TIMEOUT,
               ARG_LOW_SPEED, ARG_MAX, ARG_ETAG, ARG_LAST_MODIFIED, ARG_OUTPUT, ARG_AGAIN };
        static const struct option options[] = {
                { "ca",              required_argument, NULL, ARG_CA              },
                { "cert",            required_argument, NULL, ARG_CERT            },
                { "key",             required_argument, NULL, ARG_KEY             },
                { "allow-http",      no_argument,       NULL, ARG_ALLOW_HTTP      },
                { "timeout",         required_argument, NULL, ARG_TIMEOUT         },
                { "connect-timeout", required_argument, NULL, ARG_CONNECT_TIMEOUT },
                { "low-speed",       required_argument, NULL, ARG_LOW_SPEED       },
                { "max",             required_argument, NULL, ARG_MAX             },
                { "etag",            required_argument, NULL, ARG_ETAG            },
                { "last-modified",   required_argument, NULL, ARG_LAST_MODIFIED   },
                { "output",          required_argument, NULL, ARG_OUTPUT          },
                { "again",           no_argument,       NULL, ARG_AGAIN           },
                {}
        };
        guint64 v;
        int c;

        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case ARG_CA:
                        arg_options.ca_file = optarg;
                        break;
                case ARG_CERT:
                        arg_options.client_cert = optarg;
                        break;
                case ARG_KEY:
                        arg_options.client_key = optarg;
                        break;
                case ARG_ALLOW_HTTP:
                        arg_options.allow_http = true;
                        break;
                case ARG_TIMEOUT:
                        if (!parse_uint(optarg, 3600, &v))
                                return usage("bad --timeout");
                        arg_options.timeout_sec = (unsigned) v;
                        break;
                case ARG_CONNECT_TIMEOUT:
                        if (!parse_uint(optarg, 3600, &v))
                                return usage("bad --connect-timeout");
                        arg_options.connect_timeout_sec = (unsigned) v;
                        break;
                case ARG_LOW_SPEED: {
                        g_auto(GStrv) parts = g_strsplit(optarg, ":", 2);
                        guint64 sec;

                        if (g_strv_length(parts) != 2 || !parse_uint(parts[0], G_MAXUINT, &v) ||
                            !parse_uint(parts[1], 3600, &sec))
                                return usage("bad --low-speed");
                        arg_options.low_speed_bytes = (unsigned) v;
                        arg_options.low_speed_sec = (unsigned) sec;
                        break;
                }
                case ARG_MAX:
                        if (!parse_uint(optarg, G_MAXUINT64, &arg_max))
                                return usage("bad --max");
                        break;
                case ARG_ETAG:
                        arg_previous.etag = optarg;
                        break;
                case ARG_LAST_MODIFIED:
                        arg_previous.last_modified = optarg;
                        break;
                case ARG_OUTPUT:
                        arg_output = optarg;
                        break;
                case ARG_AGAIN:
                        arg_again = true;
                        break;
                default:
                        return usage("unknown option");
                }
        if (argc - optind != 1)
                return usage("expected one URL");
        return 0;
}

static void print_result(const NetFetcher *f, const NetFetchResult *r, int fd) {
        NetStats stats = net_fetcher_stats(f);

        printf("kind=%s\n", net_kind_to_string(r->kind));
        printf("status=%ld\n", r->status);
        printf("url=%s\n", r->url ?: "");
        if (r->message)
                printf("message=%s\n", r->message);
        if (r->kind == NET_KIND_OK) {
                printf("size=%" G_GUINT64_FORMAT "\n", r->size);
                if (r->body) {
                        g_autofree char *sum = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, r->body);
                        printf("sha256=%s\n", sum);
                }
                printf("fd-offset=%lld\n", fd >= 0 ? (long long) lseek(fd, 0, SEEK_CUR) : -1LL);
        }
        if (r->validators.etag)
                printf("etag=%s\n", r->validators.etag);
        if (r->validators.last_modified)
                printf("last-modified=%s\n", r->validators.last_modified);
        printf("requests=%" G_GUINT64_FORMAT "\n", stats.requests);
        printf("body-bytes=%" G_GUINT64_FORMAT "\n", stats.body_bytes);
}

int main(int argc, char *argv[]) {
        g_autoptr(NetFetcher) f = NULL;
        g_auto(NetFetchResult) first = {};
        const char *url;
        int r, fd = -1;

        r = parse_argv(argc, argv);
        if (r != 0)
                return r;
        url = argv[optind];

        if (arg_output) {
                fd = open(arg_output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
                if (fd < 0) {
                        fprintf(stderr, "net-fetch: %s: %s\n", arg_output, g_strerror(errno));
                        return 1;
                }
        }
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                return 1;
        f = net_fetcher_new(&arg_options);
        if (!f) {
                fprintf(stderr, "net-fetch: net_fetcher_new: %s\n", g_strerror(errno));
                return 1;
        }

        net_fetcher_fetch(f, url, arg_max, fd, arg_previous.etag || arg_previous.last_modified ? &arg_previous : NULL, &first);
        print_result(f, &first, fd);

        if (arg_again) {
                g_auto(NetFetchResult) second = {};

                printf("--\n");
                net_fetcher_fetch(f, url, arg_max, -1, &first.validators, &second);
                print_result(f, &second, -1);
        }

        g_clear_pointer(&f, net_fetcher_free);
        curl_global_cleanup();
        if (fd >= 0 && close(fd) < 0)
                return 1;
        return fflush(stdout) == 0 ? 0 : 1;
}
