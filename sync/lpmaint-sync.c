/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lpmaint-sync: the host's side of a patch channel (lpmaint-channel(5)).
 *   run             one run of the pull agent (lpmaint-sync.service): every
 *                   channel of lpmaint.conf's [Sync], through lpmaintd;
 *   verify-channel  checks a channel directory as a host would: every
 *                   kernel's index, its signature and every patch it lists. */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent-bus.h"
#include "bus-util.h"
#include "agent-run.h"
#include "agent-state.h"
#include "channel-check.h"
#include "channel-index.h"
#include "config.h"
#include "json.h"
#include "sync-errors.h"
#include "trust-options.h"

enum {
        EXIT_OK = 0,
        EXIT_INVALID = 1,       /* a check failed; a run refused a channel or could not finish */
        EXIT_USAGE = 2,
};

#define STATE_DIR_DEFAULT "/var/lib/lpmaint-sync"
#define CACHE_DIR "cache"

static TrustOptions arg_trust;
static const char *arg_kernel = NULL;
static uint64_t arg_now_usec = 0;
static bool arg_dry_run = false;
static bool arg_json = false;
static const char *arg_state_dir = NULL;
static bool arg_trust_given = false;

static void help(void) {
        printf("%1$s [OPTIONS...] run [--dry-run] [--json] [--state-dir DIR]\n"
               "%1$s [OPTIONS...] verify-channel DIR\n"
               "\n"
               "run: one run of the pull agent. Asks lpmaintd for the kernel release, the\n"
               "ring, the patches and lpmaint.conf's [Sync] channels; fetches each channel's\n"
               "index for this kernel (conditionally), verifies it, fetches what this host\n"
               "should apply into a private cache, checks it against the index, and has\n"
               "lpmaintd disable recalled patches and apply the rest. Bad input changes\n"
               "nothing and is reported with its named error.\n"
               "\n"
               "verify-channel: checks a patch channel directory as a host would\n"
               "(lpmaint-channel(5)): each kernel's index and its signature, and the size,\n"
               "digest, manifest and manifest signature of every patch it lists.\n"
               "\n"
               "Options of run:\n"
               "  --dry-run              print what a run would apply and disable, and why;\n"
               "                         change nothing (no state, cache, apply or report)\n"
               "  --json                 print the outcome as JSON\n"
               "  --state-dir DIR        the agent's state (default $STATE_DIRECTORY, else %3$s)\n"
               "\n"
               "Options of verify-channel:\n"
               "  --index-signer CN      a signer allowed to sign indexes (repeatable; required)\n"
               "  --index-trust-dir DIR  trusted certificates for indexes (default: --trust-dir)\n"
               "  --index-purpose P      what index signer certificates must be good for\n"
               "                         (code-signing, lpmaint, any; default code-signing)\n"
               "  --trust-dir DIR        trusted certificates for patches (default %2$s)\n"
               "  --signer CN            a signer allowed to sign patches (repeatable; default any)\n"
               "  --purpose P            what patch signer certificates must be good for\n"
               "  --kernel RELEASE       check only this kernel's index\n"
               "  --now TIME             check expiry at TIME (RFC 3339, UTC) instead of now\n"
               "  -h, --help             show this help\n"
               "\n"
               "Exit status: 0 if everything verifies or a run succeeded (also when nothing\n"
               "changed), 1 if a check failed or a run refused a channel (each failure is\n"
               "printed with its error name), 2 on a usage error.\n",
               program_invocation_short_name, LPMAINT_TRUST_DIR, STATE_DIR_DEFAULT);
}

static int usage_error(const char *what) {
        fprintf(stderr, "%s: %s (see --help)\n", program_invocation_short_name, what);
        return -EINVAL;
}

static int parse_argv(int argc, char *argv[]) {
        enum {
                ARG_KERNEL = 0x100,
                ARG_NOW,
                ARG_DRY_RUN,
                ARG_JSON,
                ARG_STATE_DIR,
        };
        static const struct option options[] = {
                { "help",      no_argument,       NULL, 'h'           },
                { "kernel",    required_argument, NULL, ARG_KERNEL    },
                { "now",       required_argument, NULL, ARG_NOW       },
                { "dry-run",   no_argument,       NULL, ARG_DRY_RUN   },
                { "json",      no_argument,       NULL, ARG_JSON      },
                { "state-dir", required_argument, NULL, ARG_STATE_DIR },
                TRUST_OPTIONS,
                {}
        };
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                r = trust_options_parse(&arg_trust, c, optarg);
                if (r < 0)
                        return r;
                if (r > 0) {
                        arg_trust_given = true;
                        continue;
                }
                switch (c) {
                case 'h':
                        help();
                        exit(EXIT_OK);
                case ARG_KERNEL:
                        if (!channel_release_is_valid(optarg))
                                return usage_error("--kernel is not a kernel release");
                        arg_kernel = optarg;
                        break;
                case ARG_NOW:
                        if (parse_timestamp_utc(optarg, &arg_now_usec) < 0)
                                return usage_error("--now takes a time such as 2026-11-23T10:00:00Z");
                        break;
                case ARG_DRY_RUN:
                        arg_dry_run = true;
                        break;
                case ARG_JSON:
                        arg_json = true;
                        break;
                case ARG_STATE_DIR:
                        if (!g_path_is_absolute(optarg))
                                return usage_error("--state-dir takes an absolute path");
                        arg_state_dir = optarg;
                        break;
                case '?':
                        return -EINVAL;
                default:
                        g_assert_not_reached();
                }
        }
        return 1;
}

static int verify_channel(const char *dir) {
        TrustPolicy index_policy = trust_options_index_policy(&arg_trust);
        TrustPolicy patch_policy = trust_options_patch_policy(&arg_trust);
        ChannelCheckOptions o = {
                .index_policy = &index_policy,
                .patch_policy = &patch_policy,
                .kernel = arg_kernel,
                .now_usec = arg_now_usec ?: now_realtime_usec(),
        };
        int r = channel_check_dir(dir, &o, stdout, stderr);

        if (r < 0)
                fprintf(stderr, "%s: %s is not a channel: %s\n", program_invocation_short_name, dir, strerror(-r));
        else if (r > 0)
                fprintf(stderr, "%s: %d check(s) failed\n", dir, r);
        return r == 0 ? EXIT_OK : EXIT_INVALID;
}

/* $STATE_DIRECTORY may list several directories; the agent has one. */
static char *state_dir(void) {
        const char *e = getenv("STATE_DIRECTORY");

        if (arg_state_dir)
                return g_strdup(arg_state_dir);
        if (e && e[0])
                return g_strndup(e, strcspn(e, ":"));
        return g_strdup(STATE_DIR_DEFAULT);
}

/* The state directory and, inside it, the private cache (0700). */
static int open_state(const char *dir, int *ret_state_fd, int *ret_cache_fd) {
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return -errno;
        _cleanup_close_ int fd = open_directory_at(AT_FDCWD, dir);
        if (fd < 0)
                return fd;
        if (mkdirat(fd, CACHE_DIR, 0700) < 0 && errno != EEXIST)
                return -errno;
        _cleanup_close_ int cache_fd = open_directory_at(fd, CACHE_DIR);
        if (cache_fd < 0)
                return cache_fd;
        /* Never a cache others can read or swap files in. */
        if (fchmod(cache_fd, 0700) < 0)
                return -errno;
        *ret_state_fd = g_steal_fd(&fd);
        *ret_cache_fd = g_steal_fd(&cache_fd);
        return 0;
}

static NetFetcher *fetcher_new(const HostInfo *h) {
        NetFetchOptions o = {
                .user_agent = "lpmaint-sync/" PACKAGE_VERSION,
                .ca_file = h->ca_file[0] ? h->ca_file : NULL,
                .client_cert = h->client_certificate[0] ? h->client_certificate : NULL,
                .client_key = h->client_key[0] ? h->client_key : NULL,
                .allow_http = h->allow_plain_http,
                .connect_timeout_sec = (unsigned) MIN(h->connect_timeout_usec / USEC_PER_SEC, UINT32_MAX),
                .timeout_sec = (unsigned) MAX(MIN(h->timeout_usec / USEC_PER_SEC, UINT32_MAX), 1),
        };
        if (h->low_speed_limit_bytes > 0 && h->low_speed_time_usec >= USEC_PER_SEC) {
                o.low_speed_bytes = (unsigned) MIN(h->low_speed_limit_bytes, UINT32_MAX);
                o.low_speed_sec = (unsigned) MIN(h->low_speed_time_usec / USEC_PER_SEC, UINT32_MAX);
        }
        return net_fetcher_new(&o);
}

static void print_decisions_json(JsonWriter *w, const ChannelOutcome *o) {
        json_key(w, "decisions");
        json_begin_array(w);
        for (guint i = 0; o->decisions && i < o->decisions->len; i++) {
                const WantedDecision *d = o->decisions->pdata[i];
                json_begin_object(w);
                json_field_string(w, "action", wanted_action_to_string(d->action));
                json_field_string(w, "reason", wanted_reason_to_string(d->reason));
                json_field_string(w, "name", d->name);
                json_field_string(w, "version", d->version);
                json_field_string(w, "detail", d->detail);
                json_end_object(w);
        }
        json_end_array(w);
}

static void print_outcome_json(JsonWriter *w, const ChannelOutcome *o) {
        json_begin_object(w);
        json_field_string(w, "channel", o->url);
        json_field_string(w, "result", o->result);
        json_field_string(w, "message", o->message);
        json_field_uint(w, "serial", o->serial);
        json_field_uint(w, "applied", o->applied);
        json_field_uint(w, "disabled", o->disabled);
        print_decisions_json(w, o);
        json_end_object(w);
}

static void print_outcome(const ChannelOutcome *o, int r) {
        if (r < 0) {
                fprintf(stderr, "%s: %s: %s: %s\n", program_invocation_short_name, o->url, o->result, o->message);
                return;
        }
        printf("%s: %s, %s\n", o->url, o->result, o->message);
        for (guint i = 0; o->decisions && i < o->decisions->len; i++) {
                const WantedDecision *d = o->decisions->pdata[i];
                g_autofree char *text = wanted_decision_describe(d);
                /* A dry run tells what would change; a run what it did, and what it left and why. */
                printf("  %s%s\n", arg_dry_run && d->action != WANTED_NOTHING ? "would " : "", text);
        }
}

static void note_index_files(GHashTable *files, const ChannelIndex *idx) {
        for (guint i = 0; i < idx->patches->len; i++) {
                const ChannelPatch *p = idx->patches->pdata[i];
                g_hash_table_add(files, g_strdup(p->manifest.sha256));
                g_hash_table_add(files, g_strdup(p->signature.sha256));
                g_hash_table_add(files, g_strdup(p->module.sha256));
        }
}

static int run_agent(void) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        g_auto(HostInfo) host = {};
        _cleanup_close_ int state_fd = -EBADF, cache_fd = -EBADF;
        JsonWriter w;
        int r, ret = EXIT_OK;

        sync_errors_register();
        r = sd_bus_open_system(&bus);
        if (r >= 0)
                r = host_info_get(bus, &host, &error);
        if (r < 0) {
                fprintf(stderr, "%s: cannot ask lpmaintd: %s: %s\n", program_invocation_short_name,
                        error.name ?: "org.freedesktop.DBus.Error.Disconnected", error.message ?: g_strerror(-r));
                return EXIT_INVALID;
        }
        if (!arg_dry_run) {
                g_autofree char *dir = state_dir();
                r = open_state(dir, &state_fd, &cache_fd);
                if (r < 0) {
                        fprintf(stderr, "%s: cannot open the state directory %s: %s\n", program_invocation_short_name,
                                dir, g_strerror(-r));
                        return EXIT_INVALID;
                }
        } else {
                /* A dry run reads the agent's record (the serial, the cached index) and writes nothing. */
                g_autofree char *dir = state_dir();
                state_fd = open_directory_at(AT_FDCWD, dir);
                if (state_fd < 0 && state_fd != -ENOENT) {
                        fprintf(stderr, "%s: cannot open the state directory %s: %s\n", program_invocation_short_name,
                                dir, g_strerror(-state_fd));
                        return EXIT_INVALID;
                }
        }

        g_autoptr(NetFetcher) fetcher = fetcher_new(&host);
        if (!fetcher) {
                fprintf(stderr, "%s: cannot set up fetching: %s\n", program_invocation_short_name, g_strerror(errno));
                return EXIT_INVALID;
        }
        if (!host.channels[0] && !arg_json)
                printf("No channels configured ([Sync] Channels= in lpmaint.conf): nothing to do.\n");

        AgentOptions opts = {
                .dry_run = arg_dry_run,
                .now_usec = now_realtime_usec(),
                .state_fd = state_fd,
                .cache_fd = cache_fd,
        };
        if (arg_json) {
                json_writer_init(&w, stdout, true);
                json_begin_object(&w);
                json_field_string(&w, "kernel", host.kernel_release);
                json_field_string(&w, "ring", host.ring);
                json_field_bool(&w, "dry_run", arg_dry_run);
                json_key(&w, "channels");
                json_begin_array(&w);
        }
        /* The cache files some verified index lists; NULL once a channel's index did not verify. */
        g_autoptr(GHashTable) wanted_files = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        for (size_t i = 0; host.channels[i]; i++) {
                g_auto(ChannelOutcome) o = {};
                r = agent_run_channel(bus, &host, fetcher, host.channels[i], &opts, &o);
                if (r < 0)
                        ret = EXIT_INVALID;
                if (!o.index)
                        g_clear_pointer(&wanted_files, g_hash_table_unref);
                else if (wanted_files)
                        note_index_files(wanted_files, o.index);
                if (arg_json)
                        print_outcome_json(&w, &o);
                else
                        print_outcome(&o, r);
        }
        /* Only when every channel said what it lists: a channel that failed may want its files next time. */
        if (!arg_dry_run && wanted_files)
                cache_prune(cache_fd, wanted_files);
        if (arg_json) {
                /* What the run cost the network, every channel's fetches together (bench/run reads it). */
                NetStats stats = net_fetcher_stats(fetcher);
                json_end_array(&w);
                json_field_uint(&w, "requests", stats.requests);
                json_field_uint(&w, "body_bytes", stats.body_bytes);
                json_end_object(&w);
                if (json_writer_finish(&w) < 0)
                        ret = EXIT_INVALID;
        }
        return ret;
}

static int run(int argc, char *argv[]) {
        if (parse_argv(argc, argv) < 0)
                return EXIT_USAGE;
        if (optind >= argc)
                return usage_error("a command is required"), EXIT_USAGE;
        if (g_str_equal(argv[optind], "run")) {
                if (argc - optind != 1)
                        return usage_error("run takes no arguments"), EXIT_USAGE;
                /* A run trusts what lpmaint.conf says, through lpmaintd, and nothing else. */
                if (arg_kernel || arg_now_usec || arg_trust_given)
                        return usage_error("--kernel, --now and the trust options are verify-channel's"), EXIT_USAGE;
                return run_agent();
        }
        if (arg_dry_run || arg_json || arg_state_dir)
                return usage_error("--dry-run, --json and --state-dir are run's"), EXIT_USAGE;
        if (!g_str_equal(argv[optind], "verify-channel"))
                return usage_error("unknown command"), EXIT_USAGE;
        if (argc - optind != 2)
                return usage_error("verify-channel takes one DIR"), EXIT_USAGE;
        if (arg_trust.index_signers->len <= 1)
                return usage_error("--index-signer is required: indexes are signed by named signers"), EXIT_USAGE;
        return verify_channel(argv[optind + 1]);
}

int main(int argc, char *argv[]) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
                fprintf(stderr, "%s: cannot initialize libcurl\n", program_invocation_short_name);
                return EXIT_INVALID;
        }
        trust_options_init(&arg_trust, LPMAINT_TRUST_DIR);
        int r = run(argc, argv);
        trust_options_done(&arg_trust);
        curl_global_cleanup();
        return r;
}
