/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "store.h"
#include "util.h"

#define STAGING_PREFIX ".staging-"

int store_open(const char *state_dir, char **ret_patches_dir) {
        g_autofree char *patches = g_build_filename(state_dir, "patches", NULL);
        int r;

        if ((r = mkdir_p(state_dir, 0700)) < 0 || (r = mkdir_p(patches, 0700)) < 0)
                return r;
        /* The store holds what the kernel will run: nobody else may write it. */
        if (chmod(state_dir, 0700) < 0 || chmod(patches, 0700) < 0)
                return -errno;
        *ret_patches_dir = g_steal_pointer(&patches);
        return 0;
}

static int write_bytes(const char *dir, const char *name, GBytes *bytes) {
        gsize size;
        const void *data = g_bytes_get_data(bytes, &size);
        return write_file_atomic(dir, name, data, size, 0600);
}

int store_stage(const char *patches_dir, const char *name,
                GBytes *manifest, GBytes *signature, GBytes *module, char **ret_staging_dir) {
        g_autofree char *tmpl = g_strdup_printf("%s/" STAGING_PREFIX "%s-XXXXXX", patches_dir, name);
        int r;

        if (!g_mkdtemp_full(tmpl, 0700))
                return -errno;
        if ((r = write_bytes(tmpl, PATCH_MANIFEST_FILE, manifest)) < 0 ||
            (r = write_bytes(tmpl, PATCH_SIGNATURE_FILE, signature)) < 0 ||
            (r = write_bytes(tmpl, PATCH_MODULE_FILE, module)) < 0) {
                (void) rm_rf(tmpl);
                return r;
        }
        *ret_staging_dir = g_steal_pointer(&tmpl);
        return 0;
}

int store_commit(const char *patches_dir, const char *staging_dir, const char *name, char **ret_dir) {
        g_autofree char *dir = g_build_filename(patches_dir, name, NULL);

        /* Swap with an old record in one step, then drop the old one. */
        if (renameat2(AT_FDCWD, staging_dir, AT_FDCWD, dir, RENAME_EXCHANGE) == 0)
                (void) rm_rf(staging_dir);
        else if (errno != ENOENT || rename(staging_dir, dir) < 0)
                return -errno;

        int r = fsync_directory(patches_dir);
        if (r < 0)
                return r;
        *ret_dir = g_steal_pointer(&dir);
        return 0;
}

int store_load_all(const char *patches_dir, GPtrArray **ret_patches, GPtrArray **ret_bad) {
        g_autoptr(GDir) d = g_dir_open(patches_dir, 0, NULL);
        g_autoptr(GPtrArray) patches = g_ptr_array_new_with_free_func((GDestroyNotify) patch_free);
        g_autoptr(GPtrArray) bad = g_ptr_array_new_with_free_func(g_free);
        const char *e;

        if (!d)
                return -errno ?: -EIO;
        while ((e = g_dir_read_name(d))) {
                g_autofree char *path = g_build_filename(patches_dir, e, NULL);
                if (e[0] == '.') {
                        /* A staging directory never had side effects. */
                        if (g_str_has_prefix(e, STAGING_PREFIX) || g_str_has_prefix(e, ".#"))
                                (void) rm_rf(path);
                        continue;
                }
                Patch *p = NULL;
                if (patch_load(path, &p) < 0) {
                        g_ptr_array_add(bad, g_steal_pointer(&path));
                        continue;
                }
                g_ptr_array_add(patches, p);
        }
        *ret_patches = g_steal_pointer(&patches);
        *ret_bad = g_steal_pointer(&bad);
        return 0;
}
