/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <systemd/sd-bus.h>

#include "util.h"

#define MANIFEST_MAX_SIZE (64 * 1024)
#define PATCH_NAME_MAX 55 /* the kernel's MODULE_NAME_LEN less the NUL */

/* When a patch is released to one ring. */
typedef struct ManifestRelease {
        char *ring;
        uint64_t usec;
} ManifestRelease;

/* What a signed manifest promises about one live patch. */
typedef struct Manifest {
        char *name;
        char *stream;           /* the series whose versions only go up; default: name */
        char *version;
        char *kernel_release;
        char *module;
        char module_sha256[SHA256_HEX_LEN + 1];
        bool replace;
        char **cves;
        char *description;
        uint64_t issued_usec;
        uint64_t expires_usec; /* 0: no expiry */
        uint64_t coverage_ends_usec; /* 0: not stated; when live patching of this kernel ends */
        /* The optional [Release] group, sorted by ring name; none: released to
         * every ring at once. */
        ManifestRelease *release;
        size_t n_release;
} Manifest;

Manifest *manifest_free(Manifest *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Manifest, manifest_free)

/* Parses and validates every field; anything off is org.lpmaint1.Error.InvalidManifest. */
int manifest_parse(const void *data, size_t size, Manifest **ret, sd_bus_error *error);

/* Expired or not yet issued at @now_usec is org.lpmaint1.Error.Expired. */
int manifest_check_time(const Manifest *m, uint64_t now_usec, sd_bus_error *error);

/* Whether the release schedule lets a host in @ring apply at @now_usec; not yet
 * is org.lpmaint1.Error.RingNotReleased. A host without a ring waits for the
 * last ring named. */
int manifest_check_release(const Manifest *m, const char *ring, uint64_t now_usec, sd_bus_error *error);

bool patch_name_is_valid(const char *name);
bool ring_name_is_valid(const char *name);
