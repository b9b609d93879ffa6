/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "verbs.h"

/* Exit statuses. Scripts branch on them, so they are part of the interface
 * (documented in lpmaint(1)); never renumber:
 *   0 success
 *   1 the operation failed (refused by verification, transition failed, ...)
 *   2 invalid usage
 *   3 not authorized (AccessDenied, InteractiveAuthorizationRequired)
 *   4 busy (org.lpmaint1.Error.Busy)
 *   5 cannot reach lpmaintd (no bus, service unknown, no reply, disconnected) */
enum {
        LPMAINT_EXIT_SUCCESS        = 0,
        LPMAINT_EXIT_FAILED         = 1,
        LPMAINT_EXIT_USAGE          = 2,
        LPMAINT_EXIT_NOT_AUTHORIZED = 3,
        LPMAINT_EXIT_BUSY           = 4,
        LPMAINT_EXIT_UNREACHABLE    = 5,
};

/* GetHistory filter keys given on the command line; unset ones are not sent. */
typedef struct HistoryFilter {
        bool has_since;
        uint64_t since;
        bool has_until;
        uint64_t until;
        bool has_limit;
        uint32_t limit;
        const char *patch;
        bool has_uid;
        uint32_t uid;
        const char *result;
} HistoryFilter;

extern bool arg_json;
extern bool arg_ask_password;
extern const char *arg_host;
extern bool arg_wait;
extern const char *arg_signature;
extern bool arg_break_glass;
extern bool arg_allow_downgrade;
extern HistoryFilter arg_history;
extern bool arg_dry_run;
extern bool arg_sync_now;
extern const char *arg_reason;
extern bool arg_pager;   /* --no-pager: false */
extern bool arg_legend;  /* --no-legend: false */
extern bool arg_quiet;
extern const char *arg_metrics_output;
extern bool arg_follow;
extern uint64_t arg_metrics_interval_usec;

/* Connects as the options say. Returns 0, or prints why not and returns an exit status. */
int acquire_bus(sd_bus **ret);

/* For a command with long output, once its arguments were checked: a
 * pager, unless --no-pager or --json (pager_open() decides on the rest). */
void maybe_open_pager(void);

/* Each verb is a top level: it prints its own output and errors and returns an
 * exit status. The top level passes no @userdata. */
int verb_status(int argc, char *argv[], void *userdata);
int verb_show(int argc, char *argv[], void *userdata);
int verb_list(int argc, char *argv[], void *userdata);
int verb_apply(int argc, char *argv[], void *userdata);
int verb_disable(int argc, char *argv[], void *userdata);
int verb_history(int argc, char *argv[], void *userdata);
int verb_acknowledge(int argc, char *argv[], void *userdata);
int verb_ring(int argc, char *argv[], void *userdata);
/* verb-ring-check.c: "ring" shows it, "ring check" runs its health checks */
int verb_ring_or_check(int argc, char *argv[], void *userdata);
int verb_signals(int argc, char *argv[], void *userdata);
int verb_reboot(int argc, char *argv[], void *userdata);
extern const Verb reboot_verbs[];  /* its sub-commands */
int verb_audit(int argc, char *argv[], void *userdata);
int verb_metrics(int argc, char *argv[], void *userdata);
int verb_sync(int argc, char *argv[], void *userdata);
