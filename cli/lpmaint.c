/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lpmaint: the command line client of lpmaintd. */
#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "bus.h"
#include "config.h"
#include "log.h"
#include "lpmaint.h"
#include "macro.h"
#include "parse.h"

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

#define VERB_ANY ((unsigned) -1)

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

typedef struct Verb {
        const char *name;
        unsigned min_args, max_args;  /* counting the verb itself */
        VerbFlags flags;
        int (*dispatch)(int argc, char *argv[]);
} Verb;

static const Verb verbs[] = {
        { "status",  VERB_ANY, 1, VERB_DEFAULT | VERB_JSON,                  verb_status  },
        { "list",    VERB_ANY, 1, VERB_JSON,                                 verb_list    },
        { "apply",   2,        2, VERB_WAIT | VERB_SIGNATURE | VERB_LOCAL_FILES | VERB_APPLY_OPTS, verb_apply },
        { "disable", 2,        2, VERB_WAIT,                                 verb_disable },
        { "acknowledge", 2,    2, 0,                                         verb_acknowledge },
        { "ring",    VERB_ANY, 1, VERB_JSON,                                 verb_ring    },
        { "signals", VERB_ANY, 1, VERB_JSON,                                 verb_signals },
        { "reboot",  2,        3, VERB_JSON | VERB_REBOOT_OPTS,              verb_reboot  },
        { "history", VERB_ANY, 1, VERB_JSON | VERB_HISTORY,                  verb_history },
        { "audit",   2,        3, VERB_JSON,                                 verb_audit   },
        { "metrics", VERB_ANY, 1, VERB_METRICS,                              verb_metrics },
};

int acquire_bus(sd_bus **ret) {
        int r;

        r = bus_connect(arg_host, arg_ask_password, ret);
        if (r < 0)
                return log_errno(LPMAINT_EXIT_UNREACHABLE, r, "Failed to connect to %s%s",
                                 arg_host ? "the system bus of " : "the system bus", strempty(arg_host));
        return 0;
}

void acquire_polkit_agent(pid_t *ret) {
        *ret = 0;

        /* A remote host's polkit cannot reach our terminal. Failing to start
         * the agent is not fatal either: polkit may still decide without
         * asking, and if not the call fails as not authorized. */
        if (!arg_ask_password || arg_host)
                return;
        (void) polkit_agent_open(ret);
}

int call_manager_privileged(sd_bus *bus, const char *method, sd_bus_message **ret_reply, sd_bus_error *error,
                            const char *types, ...) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_(polkit_agent_closep) pid_t agent = 0;
        va_list ap;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, LPMAINT_BUS_NAME, LPMAINT_OBJECT_PATH, LPMAINT_MANAGER_INTERFACE, method);
        if (r < 0)
                return r;
        va_start(ap, types);
        r = types ? sd_bus_message_appendv(m, types, ap) : 0;
        va_end(ap);
        if (r < 0)
                return r;
        acquire_polkit_agent(&agent);
        return sd_bus_call(bus, m, LPMAINT_PRIVILEGED_CALL_TIMEOUT_USEC, error, ret_reply);
}

static void help(void) {
        printf("lpmaint [OPTIONS...] COMMAND ...\n"
               "\n"
               "Verify, apply and manage signed kernel live patches through lpmaintd.\n"
               "\n"
               "Commands:\n"
               "  status                 Show the service and kernel state (default command)\n"
               "  list                   List the live patches lpmaintd knows, with state\n"
               "  apply MANIFEST         Verify and apply the signed live patch MANIFEST\n"
               "  disable NAME           Disable a live patch and remove its module\n"
               "  acknowledge NAME       Acknowledge a patch applied through break-glass\n"
               "  ring                   Show the host's ring, its soak criteria and each patch's soak\n"
               "  signals                Show the health signals: taint, counters, pressure, kernel\n"
               "                         log events, health checks and boots\n"
               "  reboot status          Show whether and why the host needs a reboot\n"
               "  reboot plan            Explain every gate a planned reboot waits for, now\n"
               "  reboot wave            Run this host's part of a reboot wave: every gate, the\n"
               "                         fleet lock, pre-reboot hooks, then a reboot through logind\n"
               "  reboot schedule TIME   Reboot at TIME (now, +MINUTES, HH:MM, \"YYYY-MM-DD HH:MM\")\n"
               "  reboot request         Have the next reboot wave reboot this host\n"
               "  reboot cancel          Cancel a scheduled or requested reboot and the open wave\n"
               "  reboot finish          After a planned reboot: release the fleet lock once the\n"
               "                         health checks passed\n"
               "  history                Show the audit trail\n"
               "  audit verify [FILE]    Check the audit log's hash chain (default " LPMAINT_STATE_DIR "/audit.log)\n"
               "  metrics                Print the state as Prometheus metrics (node_exporter's\n"
               "                         textfile collector)\n"
               "\n"
               "Options:\n"
               "  -h --help              Show this help\n"
               "     --version           Show package version\n"
               "     --json              Machine-readable output (status, list, ring, signals,\n"
               "                         reboot, history, audit verify)\n"
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
               "     --since=USEC        history: records at or after this time (realtime usec)\n"
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
                        r = parse_uint64(optarg, &arg_history.since);
                        if (r < 0)
                                return log_usage("Invalid --since= value '%s': expected realtime microseconds.", optarg);
                        arg_history.has_since = true;
                        break;
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
        return arg_history.has_since || arg_history.has_limit || arg_history.patch ||
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
                return log_usage("--since=, --limit=, --patch=, --uid= and --result= only apply to 'history'.");
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
                for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                        if (verbs[i].flags & VERB_DEFAULT)
                                v = &verbs[i];
                default_argv[0] = (char *) v->name;
                argv = default_argv;
                argc = 1;
        } else {
                for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                        if (strcmp(verbs[i].name, argv[0]) == 0)
                                v = &verbs[i];
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

        return v->dispatch(argc, argv);
}

int main(int argc, char *argv[]) {
        int r;

        setlocale(LC_ALL, "");

        r = parse_argv(argc, argv);
        if (r >= 0)
                return r;

        return dispatch_verb(argc - optind, argv + optind);
}
