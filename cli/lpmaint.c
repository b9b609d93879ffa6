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
#include "pager.h"
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
bool arg_sync_now = false;
const char *arg_reason = NULL;
bool arg_pager = true;
bool arg_legend = true;
bool arg_quiet = false;

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
        VERB_PAGER       = 1 << 9,  /* long output: through a pager; takes --no-legend */
        VERB_QUIET       = 1 << 10, /* takes --quiet: changes something and says so */
        VERB_SYNC_OPTS   = 1 << 11, /* takes --now and --dry-run */
} VerbFlags;

/* Each entry's first line is read by tests/completion/test-completion:
 * keep { "name", min, max, FLAGS, dispatch, on one line. */
static const Verb verbs[] = {
        { "status",      VERB_ANY, 2, VERB_DEFAULT | VERB_JSON | VERB_PAGER, verb_status,
          .synopsis = "[NAME]",
          .help = "Show the service and kernel state (default command);\n"
                  "with NAME, the patch NAME as 'show' does" },
        { "show",        2,        2, VERB_JSON | VERB_PAGER, verb_show,
          .synopsis = "NAME",
          .help = "Show everything lpmaintd knows about the patch NAME" },
        { "list",        VERB_ANY, 1, VERB_JSON | VERB_PAGER, verb_list,
          .help = "List the live patches lpmaintd knows, with state" },
        { "apply",       2,        2, VERB_WAIT | VERB_SIGNATURE | VERB_LOCAL_FILES | VERB_APPLY_OPTS | VERB_QUIET, verb_apply,
          .synopsis = "MANIFEST",
          .help = "Verify and apply the signed live patch MANIFEST" },
        { "disable",     2,        2, VERB_WAIT | VERB_QUIET, verb_disable,
          .synopsis = "NAME",
          .help = "Disable a live patch and remove its module" },
        { "acknowledge", 2,        2, VERB_QUIET, verb_acknowledge,
          .synopsis = "NAME",
          .help = "Acknowledge a patch applied through break-glass" },
        { "ring",        VERB_ANY, 2, VERB_JSON | VERB_PAGER, verb_ring_or_check,
          .synopsis = "[check]",
          .help = "Show the host's ring, its soak criteria and each\n"
                  "patch's soak; 'ring check' runs its health checks now" },
        { "signals",     VERB_ANY, 1, VERB_JSON | VERB_PAGER, verb_signals,
          .help = "Show the health signals: taint, counters, pressure,\n"
                  "kernel log events, health checks and boots" },
        { "reboot",      2,        3, VERB_JSON | VERB_REBOOT_OPTS | VERB_PAGER | VERB_QUIET, verb_reboot,
          .verbs = reboot_verbs },
        { "history",     VERB_ANY, 1, VERB_JSON | VERB_HISTORY | VERB_PAGER, verb_history,
          .help = "Show the audit trail" },
        { "audit",       2,        3, VERB_JSON, verb_audit,
          .synopsis = "verify [FILE]",
          .help = "Check the audit log's hash chain (default: the log\n"
                  "lpmaintd writes, in its StateDirectory=)" },
        { "sync",        VERB_ANY, 1, VERB_JSON | VERB_SYNC_OPTS, verb_sync,
          .help = "Show what lpmaint-sync last did; --now: run it;\n"
                  "--dry-run: what a run would apply and disable, and why" },
        { "metrics",     VERB_ANY, 1, VERB_METRICS, verb_metrics,
          .help = "Print the state as Prometheus metrics (node_exporter's\n"
                  "textfile collector)" },
        {}
};

int acquire_bus(sd_bus **ret) {
        int r;

        r = bus_connect(arg_host, arg_ask_password, ret);
        if (r < 0) {
                if (arg_host)
                        return log_error(LPMAINT_EXIT_UNREACHABLE, "Cannot reach %s over SSH: %s.", arg_host,
                                         strerror(-r));
                return log_errno(LPMAINT_EXIT_UNREACHABLE, r, "Failed to connect to the system bus");
        }
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
               "                         signals, reboot status|plan|wave, history,\n"
               "                         audit verify, sync)\n"
               "     --no-pager          Do not pipe long output into a pager\n"
               "     --no-legend         Do not print the column headers\n"
               "  -q --quiet             apply, disable, acknowledge, reboot: print only\n"
               "                         errors and warnings\n"
               "     --no-ask-password   Do not ask for a password for privileged operations\n"
               "  -H --host=[USER@]HOST  Operate on a remote host over SSH\n"
               "     --no-wait           apply, disable: return once the transition has\n"
               "                         started\n"
               "     --signature=FILE    apply: signature file (default MANIFEST.p7s)\n"
               "     --break-glass       apply: emergency apply by an administrator outside\n"
               "                         the automation group (asks for authentication,\n"
               "                         audited, flagged until acknowledged)\n"
               "     --allow-downgrade   apply: accept a version older than one accepted\n"
               "     --dry-run           reboot wave: evaluate and explain, change nothing;\n"
               "                         sync: what a run would do, changing nothing\n"
               "     --now               sync: start lpmaint-sync.service and wait for\n"
               "                         its run\n"
               "     --reason=TEXT       reboot schedule, reboot request: why, for the\n"
               "                         audit trail\n"
               "     --since=TIME        history: records at or after TIME, as journalctl takes\n"
               "                         it: yesterday, today, -2h, \"2h ago\", 2026-03-01,\n"
               "                         \"2026-03-01 14:00\"\n"
               "     --until=TIME        history: records at or before TIME\n"
               "     --limit=N           history: only the newest N records\n"
               "     --patch=NAME        history: only records of this patch\n"
               "     --uid=UID           history: only records of this user ID\n"
               "     --result=RESULT     history: only records with this result\n"
               "                         (--result=help lists them)\n"
               "     --output=FILE       metrics: replace FILE atomically (mode 0644)\n"
               "                         instead of printing\n"
               "     --follow            metrics: keep running and rewrite --output= after\n"
               "                         each change lpmaintd announces\n"
               "     --interval=SEC      metrics --follow: also read lpmaintd and rewrite\n"
               "                         the file every SEC seconds (default 60), for what\n"
               "                         announces no change: taint, oops and warning\n"
               "                         counts, reboot reasons and times\n"
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
                ARG_NO_PAGER,
                ARG_NO_LEGEND,
                ARG_NOW,
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
                { "no-pager",        no_argument,       NULL, ARG_NO_PAGER        },
                { "no-legend",       no_argument,       NULL, ARG_NO_LEGEND       },
                { "quiet",           no_argument,       NULL, 'q'                 },
                { "now",             no_argument,       NULL, ARG_NOW             },
                {}
        };
        int c, r;

        /* Leading ':' makes getopt report a missing argument as ':' and stay
         * quiet, so all usage errors read the same. */
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":hH:q", options, NULL)) >= 0)
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
                        if (!patch_name_is_valid(optarg))
                                return log_usage("Invalid --patch= value '%s': a patch name is lower case letters, digits and '_'.",
                                                 optarg);
                        arg_history.patch = optarg;
                        break;
                case ARG_UID:
                        r = parse_uint32(optarg, &arg_history.uid);
                        if (r < 0)
                                return log_usage("Invalid --uid= value '%s': expected a numeric user ID.", optarg);
                        arg_history.has_uid = true;
                        break;
                case ARG_RESULT:
                        if (strcmp(optarg, "help") == 0) {
                                for (size_t i = 0; history_results[i]; i++)
                                        puts(history_results[i]);
                                return LPMAINT_EXIT_SUCCESS;
                        }
                        if (!history_result_is_known(optarg))
                                return log_usage("Unknown --result= value '%s' (--result=help lists them).", optarg);
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
                        if (!reason_is_valid(optarg))
                                return log_usage("Invalid --reason= value: printable text of at most %d bytes, please.",
                                                 REASON_MAX);
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
                case ARG_NO_PAGER:
                        arg_pager = false;
                        break;
                case ARG_NO_LEGEND:
                        arg_legend = false;
                        break;
                case 'q':
                        arg_quiet = true;
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
                case ARG_NOW:
                        arg_sync_now = true;
                        break;
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
        if (arg_dry_run && !(v->flags & (VERB_REBOOT_OPTS | VERB_SYNC_OPTS)))
                return log_usage("--dry-run only applies to 'reboot' and 'sync'.");
        if (arg_reason && !(v->flags & VERB_REBOOT_OPTS))
                return log_usage("--reason= only applies to 'reboot'.");
        if (arg_sync_now && !(v->flags & VERB_SYNC_OPTS))
                return log_usage("--now only applies to 'sync'.");
        if ((arg_metrics_output || arg_follow || arg_metrics_interval_set) && !(v->flags & VERB_METRICS))
                return log_usage("--output=, --follow and --interval= only apply to 'metrics'.");
        if (arg_follow && !arg_metrics_output)
                return log_usage("--follow needs --output=: it rewrites a file.");
        if (arg_metrics_interval_set && !arg_follow)
                return log_usage("--interval= only applies with --follow.");
        /* --no-pager is taken by every command, as scripts pass it by habit. */
        if (!arg_legend && !(v->flags & VERB_PAGER))
                return log_usage("--no-legend is not supported by '%s': it prints no table.", v->name);
        if (arg_quiet && !(v->flags & VERB_QUIET))
                return log_usage("--quiet is not supported by '%s'.", v->name);
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

        /* Machine output goes out as it is. reboot decides per command. */
        if ((v->flags & VERB_PAGER) && !v->verbs)
                maybe_open_pager();
        return v->dispatch(argc, argv, NULL);
}

void maybe_open_pager(void) {
        if (arg_pager && !arg_json)
                pager_open();
}

int main(int argc, char *argv[]) {
        int r;

        setlocale(LC_ALL, "");

        r = parse_argv(argc, argv);
        if (r >= 0)
                return r;

        r = dispatch_verb(argc - optind, argv + optind);
        pager_close();
        return r;
}
