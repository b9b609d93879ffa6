/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "json.h"

typedef struct SyncErrorCount {
        char *kind;
        uint64_t count;
} SyncErrorCount;

/* org.lpmaint1.Manager.SyncErrors, a{st}: failed runs by kind. */
typedef struct SyncErrorList {
        bool set;                    /* lpmaintd has the property (an older one does not) */
        SyncErrorCount *counts;
        size_t n;
} SyncErrorList;

void sync_error_list_clear(SyncErrorList *l);
int prop_parse_sync_errors(sd_bus_message *m, void *field);

/* lpmaintd's SyncConfiguration's channels and its SyncStatus: what
 * lpmaint-sync last reported. */
typedef struct SyncInfo {
        char **channels;
        uint64_t last_usec;          /* the last run's report; 0: none */
        char *last_channel;
        uint64_t last_serial;
        char *last_result;
        char *last_message;
        uint64_t success_usec;       /* the last successful run; 0: none */
        uint64_t success_serial;
        SyncErrorList errors;
} SyncInfo;

void sync_info_clear(SyncInfo *s);

/* Reads SyncStatus (an a{sv}) into the SyncInfo at @dest: a PropertyParser. */
int prop_parse_sync_status(sd_bus_message *m, void *dest);

/* The three properties of lpmaintd's Manager. */
int sync_info_get(sd_bus *bus, SyncInfo *ret, sd_bus_error *error);

/* Whether the last run failed: it is not the last success. */
bool sync_info_last_failed(const SyncInfo *s);

/* The lines `lpmaint status` shows about lpmaint-sync when lpmaint.conf
 * names channels ([Sync] Channels=): Channel, Last sync, Serial, Last error.
 * Nothing without channels. */
void sync_info_print(const SyncInfo *s);

/* The "sync" member of `lpmaint status --json` and `lpmaint sync --json`. */
void sync_info_json(JsonWriter *w, const SyncInfo *s);
