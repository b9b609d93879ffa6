/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <glib.h>
#include <systemd/sd-bus.h>

#include "version.h"

/* The highest version lpmaintd accepted per patch stream, kept in
 * STATE_DIRECTORY/versions, so that an older patch that is still validly
 * signed cannot be replayed onto the host (a rollback attack). Only a
 * deliberate, separately authorized downgrade goes below it.
 *
 * The record fails closed: one that is not exactly what lpmaintd writes (cut
 * short, zero-filled, garbage, not a regular file) is renamed to
 * versions.damaged and never rewritten, and while that copy exists every
 * caller gets org.lpmaint1.Error.StateDamaged. An administrator recovers by
 * putting a good copy back as versions, or none, and removing versions.damaged;
 * without a record, the patches in the store are what was accepted. */

#define VERSIONS_FILE "versions"
#define VERSIONS_DAMAGED_FILE "versions.damaged"

/* The record's text to a table of stream → version; -EBADMSG if it is not
 * exactly what version_store_format() writes. */
int version_store_parse(const char *data, size_t size, GHashTable **ret);
char *version_store_format(GHashTable *t);

/* Reads the record as version_store_get() does, setting a damaged one aside:
 * at start, so that the journal tells before the first apply is refused. */
int version_store_check(const char *state_dir, sd_bus_error *error);

/* The highest accepted version of @stream: the record's, or a higher one in
 * the store (@patches: name → Patch), or -ENOENT. A damaged record is
 * StateDamaged, an unreadable one StorageFailed, both set in @error. */
int version_store_get(const char *state_dir, GHashTable *patches, const char *stream, char **ret, sd_bus_error *error);

/* Records @version for @stream if it is higher than the one recorded; errors
 * as version_store_get(). */
int version_store_raise(const char *state_dir, GHashTable *patches, const char *stream, const char *version, sd_bus_error *error);
