/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lpmaint: the command line client of lpmaintd. */
#include <getopt.h>
#include <glib.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "bus.h"
#include "config.h"
#include "log.h"
#include "lpmaint.h"
#include "macro.h"
#include "parse.h"
#include "verbs.h"

bool arg_json = false;
bool arg_ask_password = true;
const char *arg_host = NULL;
bool arg_wait = true;
const char *arg_signature = NULL;
bool arg_break_glass = false;
bool arg_allow_downgrade = false;
HistoryFilter arg_history = {};
const char *arg_metrics_output = NULL;
bool arg_follow = false;
uint64_t arg_metrics_interval_usec = 60 * UINT64_C(1000000);
static bool arg_metrics_interval_set = false;
bool arg_dry_run = false;
const char *arg_reason = NULL;

typedef enum VerbFlags {
        VERB_DEFAULT     = 1 << 0,  /* runs when no command is given */
        VERB_JSON        = 1 << 1,  /* takes --json */
        VERB_WAIT        = 1 << 2,  /* takes --no-wait */
        VERB_SIGNATURE   = 1 << 3,  /* takes --signature */
        VERB_HISTORY     = 1 << 4,  /* takes the history filters */
        VERB_LOCAL_FILES = 1 << 5,  /* passes file descriptors, so no --host */
        VERB_APPLY_OPTS  = 1 << 6,  /* takes --break-glass and --allow-downgrade */
        VERB_REBOOT_OPTS = 1 << 7,  /* takes --dry-run and --reason= (checked per reboot command) */
        VERB_METRICS     = 1 << 8,  /* takes --output=, --follow and --interval= */
} VerbFlags;

/* Each entry's first line is read by tests/completion/test-bash-completion:
 * keep { "name", min, max, FLAGS, dispatch, on one line. */
static const Verb verbs[] = {
        { "status",      VERB_ANY, 2, VERB_DEFAULT | VERB_JSON, verb_status,
          .synopsis = "[NAME]",
          .help = "Show the service and kernel state (default command);\n"
                  "with NAME, the patch NAME as 'show' does" },
        { "show",        2,        2, VERB_JSON, verb_show,
          .synopsis = "NAME",
          .help = "Show everything lpmaintd knows about the patch NAME" },
        { "list",        VERB_ANY, 1, VERB_JSON, verb_list,
          .help = "List the live patches lpmaintd knows, with state" },
        { "apply",       2,        2, VERB_WAIT | VERB_SIGNATURE | VERB_LOCAL_FILES | VERB_APPLY_OPTS, verb_apply,
          .synopsis = "MANIFEST",
          .help = "Verify and apply the signed live patch MANIFEST" },
        { "disable",     2,        2, VERB_WAIT, verb_disable,
          .synopsis = "NAME",
          .help = "Disable a live patch and remove its module" },
        { "acknowledge", 2,        2, 0, verb_acknowledge,
          .synopsis = "NAME",
          .help = "Acknowledge a patch applied through break-glass" },
        { "ring",        VERB_ANY, 2, VERB_JSON, verb_ring_or_check,
          .synopsis = "[check]",
          .help = "Show the host's ring, its soak criteria and each\n"
                  "patch's soak; 'ring check' runs its health checks now" },
        { "signals",     VERB_ANY, 1, VERB_JSON, verb_signals,
          .help = "Show the health signals: taint, counters, pressure, kernel\n"
                  "log events, health checks and boots" },
        { "reboot",      2,        3, VERB_JSON | VERB_REBOOT_OPTS, verb_reboot,
          .verbs = reboot_verbs },
        { "history",     VERB_ANY, 1, VERB_JSON | VERB_HISTORY, verb_history,
          .help = "Show the audit trail" },
        { "audit",       2,        3, VERB_JSON, verb_audit,
          .synopsis = "verify [FILE]",
          .help = "Check the audit log's hash chain (default: the log\n"
                  "lpmaintd writes, in its StateDirectory=)" },
        { "metrics",     VERB_ANY, 1, VERB_METRICS, verb_metrics,
          .help = "Print the state as Prometheus metrics (node_exporter's\n"
                  "textfile collector)" },
        {}
};

int acquire_bus(sd_bus **ret) {
        int r;

        r = bus_connect(arg_host, arg_ask_password, ret);
        if (r < 0)
                return log_errno(LPMAINT_EXIT_UNREACHABLE, r, "Failed to connect to %s%s",
                                 arg_host ? "the system bus of " : "the system bus", strempty(arg_host));
        return 0;
}

static void help(void) {
        printf("lpmaint [OPTIONS...] COMMAND ...\n"
               "\n"
               "Verify, apply and manage signed kernel live patches through lpmaintd.\n"
               "\n"
               "Commands:\n");
        verbs_print_help(verbs);
        printf("\n"
               "Options:\n"
               "  -h --help              Show this help\n"
               "     --version           Show package version\n"
               "     --json              Machine-readable output (status, show, list, ring,\n"
               "                         signals, reboot, history, audit verify)\n"
               "     --no-ask-password   Do not ask for a password for privileged operations\n"
               "  -H --host=[USER@]HOST  Operate on a remote host over SSH\n"
               "     --no-wait           apply, disable: return once the transition has started\n"
               "     --signature=FILE    apply: signature file (default MANIFEST.p7s)\n"
               "     --break-glass       apply: emergency apply by an administrator outside the\n"
               "                         automation group (asks for authentication, audited,\n"
               "                         flagged until acknowledged)\n"
               "     --allow-downgrade   apply: accept a version older than one already accepted\n"
               "     --dry-run           reboot wave: evaluate and explain, change nothing\n"
               "     --reason=TEXT       reboot schedule, reboot request: why, for the audit trail\n"
               "     --since=TIME        history: records at or after TIME, as journalctl takes\n"
               "                         it: yesterday, today, -2h, \"2h ago\", 2026-03-01,\n"
               "                         \"2026-03-01 14:00\"\n"
               "     --until=TIME        history: records at or before TIME\n"
               "     --limit=N           history: only the newest N records\n"
               "     --patch=NAME        history: only records of this patch\n"
               "     --uid=UID           history: only records of this user ID\n"
               "     --result=RESULT     history: only records with this result\n"
               "     --output=FILE       metrics: replace FILE atomically (mode 0644) instead of\n"
               "                         printing\n"
               "     --follow            metrics: keep running and rewrite --output= after each\n"
               "                         change lpmaintd announces\n"
               "     --interval=SEC      metrics --follow: also read lpmaintd and rewrite the\n"
               "                         file every SEC seconds (default 60), for what announces\n"
               "                         no change: taint, oops and warning counts, reboot\n"
               "                         reasons and times\n"
               "\n"
               "See the lpmaint(1) man page for details.\n");
}

/* Returns -1 to go on with a verb, otherwise the exit status. */
static int parse_argv(int argc, char *argv[]) {
        enum {
                ARG_VERSION = 0x100,
                ARG_JSON,
                ARG_NO_ASK_PASSWORD,
                ARG_NO_WAIT,
                ARG_SIGNATURE,
                ARG_SINCE,
                ARG_UNTIL,
                ARG_LIMIT,
                ARG_PATCH,
                ARG_UID,
                ARG_RESULT,
                ARG_BREAK_GLASS,
                ARG_ALLOW_DOWNGRADE,
                ARG_DRY_RUN,
                ARG_REASON,
                ARG_OUTPUT,
                ARG_FOLLOW,
                ARG_INTERVAL,
        };
        static const struct option options[] = {
                { "help",            no_argument,       NULL, 'h'                 },
                { "version",         no_argument,       NULL, ARG_VERSION         },
                { "json",            no_argument,       NULL, ARG_JSON            },
                { "no-ask-password", no_argument,       NULL, ARG_NO_ASK_PASSWORD },
                { "host",            required_argument, NULL, 'H'                 },
                { "no-wait",         no_argument,       NULL, ARG_NO_WAIT         },
                { "signature",       required_argument, NULL, ARG_SIGNATURE       },
                { "since",           required_argument, NULL, ARG_SINCE           },
                { "until",           required_argument, NULL, ARG_UNTIL           },
                { "limit",           required_argument, NULL, ARG_LIMIT           },
                { "patch",           required_argument, NULL, ARG_PATCH           },
                { "uid",             required_argument, NULL, ARG_UID             },
                { "result",          required_argument, NULL, ARG_RESULT          },
                { "break-glass",     no_argument,       NULL, ARG_BREAK_GLASS     },
                { "allow-downgrade", no_argument,       NULL, ARG_ALLOW_DOWNGRADE },
                { "dry-run",         no_argument,       NULL, ARG_DRY_RUN         },
                { "reason",          required_argument, NULL, ARG_REASON          },
                { "output",          required_argument, NULL, ARG_OUTPUT          },
                { "follow",          no_argument,       NULL, ARG_FOLLOW          },
                { "interval",        required_argument, NULL, ARG_INTERVAL        },
                {}
        };
        int c, r;

        /* Leading ':' makes getopt report a missing argument as ':' and stay
         * quiet, so all usage errors read the same. */
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":hH:", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return LPMAINT_EXIT_SUCCESS;
                case ARG_VERSION:
                        puts("lpmaint " PACKAGE_VERSION);
                        return LPMAINT_EXIT_SUCCESS;
                case ARG_JSON:
                        arg_json = true;
                        break;
                case ARG_NO_ASK_PASSWORD:
                        arg_ask_password = false;
                        break;
                case 'H':
                        if (!*optarg)
                                return log_usage("--host= needs a host name.");
                        arg_host = optarg;
                        break;
                case ARG_NO_WAIT:
                        arg_wait = false;
                        break;
                case ARG_SIGNATURE:
                        if (!*optarg)
                                return log_usage("--signature= needs a file name.");
                        arg_signature = optarg;
                        break;
                case ARG_SINCE:
                case ARG_UNTIL: {
                        bool since = c == ARG_SINCE;

                        r = parse_timestamp(optarg, (uint64_t) g_get_real_time(), since ? &arg_history.since : &arg_history.until);
                        if (r < 0)
                                return log_usage("Invalid --%s= value '%s': expected a time such as yesterday, today, -2h, "
                                                 "\"2h ago\", 2026-03-01 or \"2026-03-01 14:00\".", since ? "since" : "until", optarg);
                        *(since ? &arg_history.has_since : &arg_history.has_until) = true;
                        break;
                }
                case ARG_LIMIT:
                        r = parse_uint32(optarg, &arg_history.limit);
                        if (r < 0)
                                return log_usage("Invalid --limit= value '%s': expected a number of records.", optarg);
                        arg_history.has_limit = true;
                        break;
                case ARG_PATCH:
                        arg_history.patch = optarg;
                        break;
                case ARG_UID:
                        r = parse_uint32(optarg, &arg_history.uid);
                        if (r < 0)
                                return log_usage("Invalid --uid= value '%s': expected a numeric user ID.", optarg);
                        arg_history.has_uid = true;
                        break;
                case ARG_RESULT:
                        arg_history.result = optarg;
                        break;
                case ARG_BREAK_GLASS:
                        arg_break_glass = true;
                        break;
                case ARG_ALLOW_DOWNGRADE:
                        arg_allow_downgrade = true;
                        break;
                case ARG_DRY_RUN:
                        arg_dry_run = true;
                        break;
                case ARG_REASON:
                        arg_reason = optarg;
                        break;
                case ARG_OUTPUT:
                        if (!*optarg)
                                return log_usage("--output= needs a file name.");
                        arg_metrics_output = optarg;
                        break;
                case ARG_FOLLOW:
                        arg_follow = true;
                        break;
                case ARG_INTERVAL: {
                        uint32_t sec;

                        r = parse_uint32(optarg, &sec);
                        if (r < 0 || sec == 0 || sec > 86400)
                                return log_usage("Invalid --interval= value '%s': expected seconds, 1 to 86400.", optarg);
                        arg_metrics_interval_usec = sec * UINT64_C(1000000);
                        arg_metrics_interval_set = true;
                        break;
                }
                case ':':
                        return log_usage("Option '%s' needs an argument.", argv[optind - 1]);
                case '?':
                        if (optopt > 0 && optopt < 0x100)
                                return log_usage("Unknown option '-%c'.", optopt);
                        return log_usage("Unknown option '%s'.", argv[optind - 1]);
                default:
                        return log_usage("Unexpected option.");
                }

        return -1;
}

static bool history_filter_given(void) {
        return arg_history.has_since || arg_history.has_until || arg_history.has_limit || arg_history.patch ||
               arg_history.has_uid || arg_history.result;
}

/* Options that would be silently ignored by a verb are mistakes: say so. */
static int check_options(const Verb *v) {
        if (arg_json && !(v->flags & VERB_JSON))
                return log_usage("--json is not supported by '%s'.", v->name);
        if (!arg_wait && !(v->flags & VERB_WAIT))
                return log_usage("--no-wait is not supported by '%s'.", v->name);
        if (arg_signature && !(v->flags & VERB_SIGNATURE))
                return log_usage("--signature= is not supported by '%s'.", v->name);
        if (history_filter_given() && !(v->flags & VERB_HISTORY))
                return log_usage("--since=, --until=, --limit=, --patch=, --uid= and --result= only apply to 'history'.");
        if ((arg_break_glass || arg_allow_downgrade) && !(v->flags & VERB_APPLY_OPTS))
                return log_usage("--break-glass and --allow-downgrade only apply to 'apply'.");
        if ((arg_dry_run || arg_reason) && !(v->flags & VERB_REBOOT_OPTS))
                return log_usage("--dry-run and --reason= only apply to 'reboot'.");
        if ((arg_metrics_output || arg_follow || arg_metrics_interval_set) && !(v->flags & VERB_METRICS))
                return log_usage("--output=, --follow and --interval= only apply to 'metrics'.");
        if (arg_follow && !arg_metrics_output)
                return log_usage("--follow needs --output=: it rewrites a file.");
        if (arg_metrics_interval_set && !arg_follow)
                return log_usage("--interval= only applies with --follow.");
        if (arg_host && (v->flags & VERB_LOCAL_FILES))
                return log_usage("'%s' passes open files to lpmaintd, which cannot be done with --host=.", v->name);
        return -1;
}

static int dispatch_verb(int argc, char *argv[]) {
        static char *default_argv[2] = {};
        const Verb *v = NULL;
        unsigned n;
        int r;

        if (argc == 0) {
                for (const Verb *i = verbs; i->name; i++)
                        if (i->flags & VERB_DEFAULT)
                                v = i;
                default_argv[0] = (char *) v->name;
                argv = default_argv;
                argc = 1;
        } else {
                v = verb_find(verbs, argv[0]);
                if (!v)
                        return log_usage("Unknown command '%s'.", argv[0]);
        }

        n = (unsigned) argc;
        if (v->min_args != VERB_ANY && n < v->min_args)
                return log_usage("Too few arguments for '%s'.", v->name);
        if (v->max_args != VERB_ANY && n > v->max_args)
                return log_usage("Too many arguments for '%s'.", v->name);

        r = check_options(v);
        if (r >= 0)
                return r;

        return v->dispatch(argc, argv, NULL);
}

int main(int argc, char *argv[]) {
        int r;

        setlocale(LC_ALL, "");

        r = parse_argv(argc, argv);
        if (r >= 0)
                return r;

        return dispatch_verb(argc - optind, argv + optind);
}
