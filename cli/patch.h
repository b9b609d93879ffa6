/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

typedef struct BlockingTask {
        uint32_t pid;
        char *comm;
} BlockingTask;

typedef struct BlockingTasks {
        BlockingTask *tasks;
        size_t n;
} BlockingTasks;

/* One ring's release time of the manifest's [Release] group. */
typedef struct PatchRelease {
        char *ring;
        uint64_t usec;
} PatchRelease;

typedef struct PatchReleases {
        PatchRelease *releases;
        size_t n;
} PatchReleases;

/* The properties of an org.lpmaint1.Patch object. Strings the daemon did
 * not send stay NULL. */
typedef struct Patch {
        char *object_path;
        char *name;
        char *version;
        char *kernel_release;
        char *module_sha256;
        bool replace;
        char **cves;
        char *description;
        uint64_t issued_usec;
        uint64_t expires_usec;
        uint64_t coverage_ends_usec;
        PatchReleases release;
        char *signer;
        char *stream;
        char *source;           /* where the patch came from, if the daemon says */
        char *module_signer;
        char *module_sig_key;
        char *module_sig_hashalgo;
        bool break_glass;
        bool break_glass_acknowledged;
        char *soak_state;
        char *soak_result;
        uint64_t soak_ends_usec;
        char *state;
        char *operation;
        char *result;
        char *result_message;
        BlockingTasks blocking;
        char *superseded_by;
        uint64_t state_changed_usec;
        uint64_t applied_usec;
} Patch;

void patch_free(Patch *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Patch, patch_free)

/* GetAll on one patch object. */
int patch_get(sd_bus *bus, const char *path, Patch **ret, sd_bus_error *error);

/* The object path of the patch called @name ("/org/lpmaint1/patch/NAME"), or
 * NULL if @name cannot be a patch name (patch_name_is_valid()). g_free() it. */
char *patch_object_path(const char *name);

/* The last operation and its outcome, format_operation_result(). g_free() it. */
char *patch_operation_result(const Patch *p);

/* GetManagedObjects on the root: every object with the Patch interface, as
 * Patch pointers sorted by name; @auto_start as for bus_call(). */
int patch_get_all(sd_bus *bus, bool auto_start, GPtrArray **ret, sd_bus_error *error);
