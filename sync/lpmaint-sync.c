/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lpmaint-sync: the host's side of a patch channel (lpmaint-channel(5)).
 * For now one command, verify-channel, which checks a channel directory as a
 * host would: every kernel's index, its signature and every patch it lists. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel-check.h"
#include "channel-index.h"
#include "config.h"
#include "trust-options.h"

enum {
        EXIT_OK = 0,
        EXIT_INVALID = 1,       /* a check failed */
        EXIT_USAGE = 2,
};

static TrustOptions arg_trust;
static const char *arg_kernel = NULL;
static uint64_t arg_now_usec = 0;

static void help(void) {
        printf("%1$s [OPTIONS...] verify-channel DIR\n"
               "\n"
               "Checks a patch channel directory as a host would (lpmaint-channel(5)):\n"
               "each kernel's index and its signature, and the size, digest, manifest\n"
               "and manifest signature of every patch it lists.\n"
               "\n"
               "Options:\n"
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
               "Exit status: 0 if everything verifies, 1 if a check failed (each failure is\n"
               "printed with its error name), 2 on a usage error.\n",
               program_invocation_short_name, LPMAINT_TRUST_DIR);
}

static int usage_error(const char *what) {
        fprintf(stderr, "%s: %s (see --help)\n", program_invocation_short_name, what);
        return -EINVAL;
}

static int parse_argv(int argc, char *argv[]) {
        enum {
                ARG_KERNEL = 0x100,
                ARG_NOW,
        };
        static const struct option options[] = {
                { "help",   no_argument,       NULL, 'h'        },
                { "kernel", required_argument, NULL, ARG_KERNEL },
                { "now",    required_argument, NULL, ARG_NOW    },
                TRUST_OPTIONS,
                {}
        };
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                r = trust_options_parse(&arg_trust, c, optarg);
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
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
                case '?':
                        return -EINVAL;
                default:
                        g_assert_not_reached();
                }
        }
        if (!arg_now_usec)
                arg_now_usec = now_realtime_usec();
        return 1;
}

static int verify_channel(const char *dir) {
        TrustPolicy index_policy = trust_options_index_policy(&arg_trust);
        TrustPolicy patch_policy = trust_options_patch_policy(&arg_trust);
        ChannelCheckOptions o = {
                .index_policy = &index_policy,
                .patch_policy = &patch_policy,
                .kernel = arg_kernel,
                .now_usec = arg_now_usec,
        };
        int r = channel_check_dir(dir, &o, stdout, stderr);

        if (r < 0)
                fprintf(stderr, "%s: %s is not a channel: %s\n", program_invocation_short_name, dir, strerror(-r));
        else if (r > 0)
                fprintf(stderr, "%s: %d check(s) failed\n", dir, r);
        return r == 0 ? EXIT_OK : EXIT_INVALID;
}

static int run(int argc, char *argv[]) {
        if (parse_argv(argc, argv) < 0)
                return EXIT_USAGE;
        if (optind >= argc)
                return usage_error("a command is required"), EXIT_USAGE;
        if (!g_str_equal(argv[optind], "verify-channel"))
                return usage_error("unknown command"), EXIT_USAGE;
        if (argc - optind != 2)
                return usage_error("verify-channel takes one DIR"), EXIT_USAGE;
        if (arg_trust.index_signers->len <= 1)
                return usage_error("--index-signer is required: indexes are signed by named signers"), EXIT_USAGE;
        return verify_channel(argv[optind + 1]);
}

int main(int argc, char *argv[]) {
        trust_options_init(&arg_trust, LPMAINT_TRUST_DIR);
        int r = run(argc, argv);
        trust_options_done(&arg_trust);
        return r;
}
