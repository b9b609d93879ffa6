/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <systemd/sd-bus.h>

#include "wanted.h"

/* lpmaint-sync's side of org.lpmaint1: what it asks lpmaintd (the kernel,
 * the ring, the [Sync] configuration, the patches) and what it has it do.
 * The agent reads no configuration file of its own: lpmaintd parses
 * lpmaint.conf once. */

typedef struct HostInfo {
        char *kernel_release;
        char *ring;
        /* SyncConfiguration */
        char **channels;
        bool allow_plain_http;
        char *ca_file;                  /* "": none */
        char *client_certificate;
        char *client_key;
        char **index_signers;
        char *trust_dir;
        uint64_t timeout_usec;
        uint64_t connect_timeout_usec;
        uint64_t low_speed_limit_bytes;
        uint64_t low_speed_time_usec;
} HostInfo;

void host_info_done(HostInfo *h);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(HostInfo, host_info_done)
int host_info_get(sd_bus *bus, HostInfo *ret, sd_bus_error *error);

/* The host's patches as the wanted set takes them (the strings owned here). */
typedef struct HostPatches {
        HostPatch *patches;
        size_t n;
        GStringChunk *strings;
} HostPatches;

void host_patches_done(HostPatches *h);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(HostPatches, host_patches_done)
int host_patches_get(sd_bus *bus, HostPatches *ret, sd_bus_error *error);

/* Apply with the three files and the "source" option; returns once the
 * transition has ended: an apply that did not end applied is LoadFailed
 * with the patch's result. */
int host_apply(sd_bus *bus, int manifest_fd, int signature_fd, int module_fd, const char *name,
               const char *source, sd_bus_error *error);
/* Disable, likewise until the patch is disabled. */
int host_disable(sd_bus *bus, const char *name, sd_bus_error *error);

/* ReportSync; a failure is only logged (the run's own outcome stands). */
void host_report(sd_bus *bus, const char *channel, uint64_t serial, const char *result, const char *message);
