/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "health-check.h"
#include "signature.h"
#include "soak.h"

/* Declares the members once yet reaches them two ways: each by its own name
 * (c->soak) and all together as one struct TAG (c->NAME), since the two
 * views of a union share one layout. */
#define STRUCT_GROUP(TAG, NAME, ...)                    \
        union {                                         \
                struct { __VA_ARGS__ };                 \
                struct TAG { __VA_ARGS__ } NAME;        \
        }

typedef struct RingSettings RingSettings;

typedef struct SyncSettings {
        char **channels;                /* https://, file:// (http:// only with allow_plain_http); empty: none */
        bool allow_plain_http;
        char *ca_file;                  /* "": libcurl's default trust */
        char *client_certificate;       /* "": none */
        char *client_key;               /* "": in client_certificate's file */
        char **index_signers;           /* Common Names allowed to sign indexes; required with channels */
        uint64_t timeout_usec;          /* one fetch, redirects included */
        uint64_t connect_timeout_usec;
        uint64_t low_speed_limit_bytes; /* bytes per second ... */
        uint64_t low_speed_time_usec;   /* ... on average over this window; 0: no limit */
} SyncSettings;

typedef struct Config {
        char *state_directory;
        char *trust_directory;
        char *automation_group;
        uint64_t transition_timeout_usec;
        uint64_t max_module_size;
        char **allowed_signers;         /* Common Names; empty: any trusted signer */
        SignerPurpose required_purpose;

        /* The host's ring and how patches soak in it: the settings of its
         * [Ring NAME] group, which every such group has too. */
        char *ring;
        STRUCT_GROUP(RingSettings, ring_settings,
                SoakCriteria soak;
                bool automatic_rollback;
                char **ring_health_checks;      /* names of checks that must pass at the soak's end */
                char *reboot_calendar;          /* the ring's reboot wave calendar (systemd OnCalendar=); "" none */
                uint64_t reboot_window_usec;    /* how long after the wave timer fires a reboot may start */
                bool reboot_with_users;         /* whether logged-in users hold a planned reboot back */
                uint64_t reboot_randomized_delay_usec; /* the wave timer's RandomizedDelaySec= */
                uint64_t reboot_delay_usec;     /* from a wave's decision to the reboot: wall messages, shutdown -c */
                char **ring_pre_reboot_hooks;   /* names of [PreRebootHook NAME]s a wave runs before scheduling */
                char *fleet_lock_url;           /* FleetLock server; "" none */
                char *fleet_lock_group;
        );

        GPtrArray *health_checks;       /* HealthCheckSpec, every [HealthCheck NAME] */
        GPtrArray *pre_reboot_hooks;    /* PreRebootHook, every [PreRebootHook NAME] */

        /* When live patching of a kernel ends, if no manifest says: its build date plus this. */
        uint64_t kernel_support_usec;
        /* How long before that end a reboot into a newer kernel is due. */
        uint64_t coverage_margin_usec;

        /* [Sync]: where lpmaint-sync fetches patches from. lpmaintd never
         * fetches; it parses these once and hands them to the agent. */
        SyncSettings sync;
} Config;

/* A systemd unit a reboot wave starts before it schedules the reboot: a
 * blocking hook that fails holds the reboot back, an advisory one is only
 * recorded. */
typedef struct PreRebootHook {
        HealthCheckSpec *check;         /* the unit and its timeout; check->name is the hook's */
        bool blocking;
} PreRebootHook;

const PreRebootHook *config_pre_reboot_hook(const Config *c, const char *name);

/* The [HealthCheck NAME] called @name, or NULL. */
const HealthCheckSpec *config_health_check(const Config *c, const char *name);

void config_init_defaults(Config *c);
void config_clear(Config *c);

/* Loads @path and then @path.d/ *.conf in lexical order (later wins). A missing
 * main file means defaults. Errors name file and line and leave @c untouched. */
int config_load(const char *path, Config *c, sd_bus_error *error);

/* The @i-th kind of group lpmaint.conf may hold ("Daemon", "Ring NAME", ...;
 * NULL past the last) and the keys a kind accepts (NULL for no such kind): for
 * the check that lpmaint.conf(5) documents every key. */
const char *config_group_name(size_t i);
char **config_group_keys(const char *group);
