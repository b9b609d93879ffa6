/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "patch.h"

/* The daemon's own copy of every patch it accepted, under
 * STATE_DIRECTORY/patches/NAME/, readable by root only. A new patch is
 * written to a staging directory and swapped in with one rename, so a crash
 * leaves either the old record or the new one. */

int store_open(const char *state_dir, char **ret_patches_dir);

/* Writes the three artifacts to a fresh staging directory. */
int store_stage(const char *patches_dir, const char *name,
                GBytes *manifest, GBytes *signature, GBytes *module, char **ret_staging_dir);

/* Atomically makes @staging_dir the record of @name (replacing an old one). */
int store_commit(const char *patches_dir, const char *staging_dir, const char *name, char **ret_dir);

/* Loads every committed patch; staging left-overs of a crash are removed.
 * Records that cannot be read are skipped and named in @ret_bad. */
int store_load_all(const char *patches_dir, GPtrArray **ret_patches, GPtrArray **ret_bad);
