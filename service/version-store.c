/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>
#include <glib.h>

#include "version-store.h"
#include "util.h"

#define VERSIONS_FILE "versions"
#define VERSIONS_GROUP "Streams"

int version_compare(const char *a, const char *b) {
        int c = strverscmp(a, b);
        return (c > 0) - (c < 0);
}

static GKeyFile *load(const char *state_dir, int *ret_error) {
        g_autofree char *path = g_build_filename(state_dir, VERSIONS_FILE, NULL);
        g_autoptr(GKeyFile) kf = g_key_file_new();
        g_autoptr(GError) error = NULL;

        *ret_error = 0;
        if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &error) &&
            !g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
                /* A damaged record must not silently reopen the door to old patches. */
                *ret_error = -EBADMSG;
                return NULL;
        }
        return g_steal_pointer(&kf);
}

int version_store_get(const char *state_dir, const char *stream, char **ret) {
        int r;
        g_autoptr(GKeyFile) kf = load(state_dir, &r);
        if (!kf)
                return r;
        char *v = g_key_file_get_string(kf, VERSIONS_GROUP, stream, NULL);
        if (!v)
                return -ENOENT;
        *ret = v;
        return 0;
}

int version_store_raise(const char *state_dir, const char *stream, const char *version) {
        int r;
        g_autoptr(GKeyFile) kf = load(state_dir, &r);
        if (!kf)
                return r;
        g_autofree char *old = g_key_file_get_string(kf, VERSIONS_GROUP, stream, NULL);
        if (old && version_compare(version, old) <= 0)
                return 0;

        g_key_file_set_string(kf, VERSIONS_GROUP, stream, version);
        gsize size;
        g_autofree char *data = g_key_file_to_data(kf, &size, NULL);
        return write_file_atomic(state_dir, VERSIONS_FILE, data, size, 0600);
}
