/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The highest version lpmaintd accepted per patch stream, kept in
 * STATE_DIRECTORY/versions, so that an older patch that is still validly
 * signed cannot be replayed onto the host (a rollback attack). Only a
 * deliberate, separately authorized downgrade goes below it. */

/* Version order: GNU version sort (strverscmp), so 1.10 comes after 1.9. */
int version_compare(const char *a, const char *b);

/* The highest accepted version of @stream, or -ENOENT. */
int version_store_get(const char *state_dir, const char *stream, char **ret);

/* Records @version for @stream if it is higher than the one recorded. */
int version_store_raise(const char *state_dir, const char *stream, const char *version);
