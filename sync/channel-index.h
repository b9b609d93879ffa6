/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <systemd/sd-bus.h>

#include "util.h"

/* The signed index of one kernel's patches in a channel (lpmaint-channel(5)):
 * its form, read and written here alone. */

#define CHANNEL_INDEX_MAX_SIZE (1024 * 1024)
#define CHANNEL_MAX_PATCHES 1024
#define CHANNEL_MAX_RECALLS 1024
#define CHANNEL_MAX_PROMOTIONS 64
#define CHANNEL_MODULE_MAX_SIZE (UINT64_C(1) << 30) /* lpmaintd's highest MaxModuleSize= */
#define CHANNEL_PATH_MAX 1024
#define CHANNEL_REASON_MAX 1024
/* Promoted to every host, those without a ring too. */
#define CHANNEL_RING_ALL "*"

/* One file of a patch: where it lies below the channel's root, and what it is. */
typedef struct ChannelArtifact {
        char *path;
        uint64_t size;
        char sha256[SHA256_HEX_LEN + 1];
} ChannelArtifact;

typedef struct ChannelPromotion {
        char *ring;     /* a ring name or CHANNEL_RING_ALL */
        uint64_t usec;
} ChannelPromotion;

typedef struct ChannelPatch {
        char *name;
        char *version;
        bool replace;
        uint64_t added_in;      /* the serial of the index that first listed it */
        ChannelArtifact manifest, signature, module;
        GPtrArray *promotions;  /* ChannelPromotion, sorted by ring */
} ChannelPatch;

typedef struct ChannelRecall {
        char *name;
        char *version;
        char *reason;
        uint64_t usec;
} ChannelRecall;

typedef struct ChannelIndex {
        char *kernel;
        uint64_t serial;
        uint64_t issued_usec;
        uint64_t expires_usec;
        GPtrArray *patches;     /* ChannelPatch */
        GPtrArray *recalls;     /* ChannelRecall */
} ChannelIndex;

ChannelIndex *channel_index_new(const char *kernel);
ChannelIndex *channel_index_free(ChannelIndex *idx);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ChannelIndex, channel_index_free)

/* Parses and validates every group, key and value; anything off, a repeated
 * group or key among them, is org.lpmaint1.Error.InvalidIndex; more than
 * CHANNEL_INDEX_MAX_SIZE bytes is FileTooLarge. It checks the form only: the
 * signature, kernel, serial and time are channel_index_verify()'s. */
int channel_index_parse(const void *data, size_t size, ChannelIndex **ret, sd_bus_error *error);

/* The key file text of @idx, in the one order the parser reads back the same. */
char *channel_index_format(const ChannelIndex *idx, size_t *ret_size);

ChannelPatch *channel_patch_new(const char *name, const char *version);
void channel_patch_free(ChannelPatch *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ChannelPatch, channel_patch_free)
/* Lists @p (taking it); -EEXIST, and @p is kept by the caller, if its version is listed already. */
int channel_index_add_patch(ChannelIndex *idx, ChannelPatch *p);

ChannelPatch *channel_index_find_patch(const ChannelIndex *idx, const char *name, const char *version);
const ChannelRecall *channel_index_find_recall(const ChannelIndex *idx, const char *name, const char *version);
/* The highest version of @name listed, or NULL. */
ChannelPatch *channel_index_newest_patch(const ChannelIndex *idx, const char *name);

/* Sets (or moves) the promotion of @p to @ring. */
void channel_patch_promote(ChannelPatch *p, const char *ring, uint64_t usec);
/* When a host in @ring (NULL or "": none) may have @p: the earlier of its
 * ring's and CHANNEL_RING_ALL's promotion; UINT64_MAX if never. */
uint64_t channel_patch_promoted_usec(const ChannelPatch *p, const char *ring);

void channel_index_add_recall(ChannelIndex *idx, const char *name, const char *version, const char *reason, uint64_t usec);

/* Where the channel keeps kernel @release's index, and the signature of the
 * index whose bytes are @data, relative to the channel's root. */
char *channel_index_path(const char *release);
char *channel_index_signature_path(const char *release, const void *data, size_t size);
/* A path an index may name: relative, below the root, of safe characters. */
bool channel_path_is_valid(const char *path);
/* A kernel release that is also a safe directory name. */
bool channel_release_is_valid(const char *release);
