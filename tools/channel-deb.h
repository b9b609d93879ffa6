/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "channel-index.h"

/* Where a patches package installs its kernel's part of a channel, a local
 * directory channel that a host's agent reads. */
#define CHANNEL_DEB_INSTALL_DIR "/usr/lib/lpmaint/channel"

typedef struct ChannelDeb {
        const char *install_dir;        /* absolute */
        const char *architecture;       /* NULL: dpkg --print-architecture */
        const char *maintainer;
        const char *output_dir;
} ChannelDeb;

/* Builds lpmaint-patches-RELEASE_SERIAL_ARCH.deb in @deb->output_dir with
 * dpkg-deb: kernel @idx->kernel's index (@index, signed by @sig) and every
 * file it lists, read from the channel at @root_fd and checked against the
 * index on the way. Prints the package's path; returns 0, or -1 with @error set. */
int channel_deb_build(const ChannelDeb *deb, int root_fd, const ChannelIndex *idx, GBytes *index, GBytes *sig, GError **error);
