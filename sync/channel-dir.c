/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "channel-dir.h"
#include "channel-verify.h"
#include "signature.h"
#include "sync-errors.h"

/* The named error of a failed read_file_at() of @path. */
static int read_error(int r, const char *what, const char *path, size_t max, sd_bus_error *error) {
        if (r == -EFBIG)
                return sd_bus_error_setf(error, LPMAINT_ERROR_FILE_TOO_LARGE, "%s %s is larger than %zu bytes", what, path, max);
        if (r == -EBADFD)
                return sd_bus_error_setf(error, LPMAINT_ERROR_BAD_FILE, "%s %s is not a regular file", what, path);
        return sd_bus_error_set_errnof(error, r, "%s %s cannot be read: %m", what, path);
}

int channel_dir_read_index(int root_fd, const char *release, GBytes **ret_index, GBytes **ret_sig, sd_bus_error *error) {
        g_autoptr(GBytes) index = NULL, sig = NULL;
        g_autofree char *path = NULL, *sig_path = NULL;
        int r;

        sync_errors_register();
        if (!channel_release_is_valid(release))
                return sd_bus_error_setf(error, SYNC_ERROR_INDEX_WRONG_KERNEL, "\"%s\" is not a kernel release", release);
        path = channel_index_path(release);
        r = read_file_at(root_fd, path, CHANNEL_INDEX_MAX_SIZE, &index);
        if (r == -ENOENT)
                return r;
        if (r < 0)
                return read_error(r, "Index", path, CHANNEL_INDEX_MAX_SIZE, error);

        gsize size;
        const void *data = g_bytes_get_data(index, &size);
        sig_path = channel_index_signature_path(release, data, size);
        r = read_file_at(root_fd, sig_path, SIGNATURE_MAX_SIZE, &sig);
        if (r < 0 && r != -ENOENT)
                return read_error(r, "Index signature", sig_path, SIGNATURE_MAX_SIZE, error);

        *ret_index = g_steal_pointer(&index);
        *ret_sig = g_steal_pointer(&sig);
        return 0;
}

int channel_dir_read_artifact(int root_fd, const ChannelArtifact *a, const char *what, GBytes **ret, sd_bus_error *error) {
        g_autoptr(GBytes) data = NULL;
        int r;

        r = read_file_at(root_fd, a->path, a->size, &data);
        if (r == -EFBIG)
                return sd_bus_error_setf(error, SYNC_ERROR_ARTIFACT_MISMATCH, "%s %s is larger than the index says (%" G_GUINT64_FORMAT " bytes)",
                                         what, a->path, a->size);
        if (r < 0)
                return read_error(r, what, a->path, a->size, error);
        gsize size;
        const void *p = g_bytes_get_data(data, &size);
        r = channel_artifact_check(a, what, p, size, error);
        if (r < 0)
                return r;
        *ret = g_steal_pointer(&data);
        return 0;
}
