/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <systemd/sd-bus.h>

#include "channel-index.h"

/* A channel as a local directory: what a host reads from a file:// channel,
 * and what lpmaint-channel reads back before it changes it. */

/* Reads kernel @release's index and the signature named after it below
 * @root_fd. A missing index is -ENOENT; a missing signature leaves
 * *@ret_sig NULL (channel_index_verify() calls that Unsigned); files beyond
 * their caps are FileTooLarge. */
int channel_dir_read_index(int root_fd, const char *release, GBytes **ret_index, GBytes **ret_sig, sd_bus_error *error);

/* Reads the file @a names below @root_fd, never more than the size the index
 * gives (a longer file is ArtifactMismatch), and checks it with
 * channel_artifact_check(). */
int channel_dir_read_artifact(int root_fd, const ChannelArtifact *a, const char *what, GBytes **ret, sd_bus_error *error);
