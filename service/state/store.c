/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "store.h"
#include "util.h"

#define PATCHES_DIR "patches"
#define STAGING_PREFIX ".staging-"

typedef void (*EntryFunc)(int dir_fd, const char *name, const struct stat *st, void *userdata);

/* Calls @f for each entry of the directory @dir_fd (not "." or ".."), with its
 * lstat: nothing here follows a link. */
static int for_each_entry(int dir_fd, EntryFunc f, void *userdata) {
        int fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return -errno;
        DIR *d = fdopendir(fd);
        if (!d) {
                (void) close(fd);
                return -errno;
        }
        rewinddir(d);
        struct dirent *e;
        while ((e = readdir(d))) {
                struct stat st;
                if (g_str_equal(e->d_name, ".") || g_str_equal(e->d_name, "..") ||
                    fstatat(dir_fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                f(dir_fd, e->d_name, &st, userdata);
        }
        (void) closedir(d);
        return 0;
}

static void remove_temporary(int dir_fd, const char *name, const struct stat *st, void *userdata) {
        const char *where = userdata;

        if (!S_ISREG(st->st_mode) || !is_temporary_file_name(name))
                return;
        if (unlinkat(dir_fd, name, 0) < 0)
                log_warning("Cannot remove %s/%s, left behind by an interrupted write: %s, ignoring.", where, name, g_strerror(errno));
        else
                log_info("Removed %s/%s, left behind by an interrupted write.", where, name);
}

static void remove_in_patches(int dir_fd, const char *name, const struct stat *st, void *userdata) {
        const char *where = userdata;

        if (S_ISDIR(st->st_mode) && g_str_has_prefix(name, STAGING_PREFIX)) {
                /* A staging directory never had side effects. */
                int r = rm_rf_at(dir_fd, name);
                if (r < 0)
                        log_warning("Cannot remove %s/%s, left behind by an interrupted apply: %s, ignoring.", where, name, g_strerror(-r));
                else
                        log_info("Removed %s/%s, left behind by an interrupted apply.", where, name);
                return;
        }
        if (S_ISDIR(st->st_mode) && name[0] != '.') {
                _cleanup_close_ int fd = open_directory_at(dir_fd, name);
                g_autofree char *sub = g_build_filename(where, name, NULL);
                if (fd >= 0)
                        (void) for_each_entry(fd, remove_temporary, sub);
                return;
        }
        remove_temporary(dir_fd, name, st, userdata);
}

/* What a killed lpmaintd leaves behind: the temporary files of
 * write_file_atomic_at() in the state directory and in each patch directory,
 * and staging directories. Regular files and directories only, named as
 * lpmaintd names them, never through a link. */
static void remove_leftovers(int state_fd, int patches_fd, const char *state_dir, const char *patches_dir) {
        (void) for_each_entry(state_fd, remove_temporary, (void *) state_dir);
        (void) for_each_entry(patches_fd, remove_in_patches, (void *) patches_dir);
}

int store_open(const char *state_dir, char **ret_patches_dir) {
        g_autofree char *patches = g_build_filename(state_dir, PATCHES_DIR, NULL);
        int r;

        if ((r = mkdir_p(state_dir, 0700)) < 0)
                return r;
        _cleanup_close_ int state_fd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (state_fd < 0)
                return -errno;
        if (mkdirat(state_fd, PATCHES_DIR, 0700) < 0 && errno != EEXIST)
                return -errno;
        _cleanup_close_ int patches_fd = open_directory_at(state_fd, PATCHES_DIR);
        if (patches_fd < 0)
                return patches_fd;
        /* The store holds what the kernel will run: nobody else may write it. */
        if (fchmod(state_fd, 0700) < 0 || fchmod(patches_fd, 0700) < 0)
                return -errno;
        remove_leftovers(state_fd, patches_fd, state_dir, patches);
        *ret_patches_dir = g_steal_pointer(&patches);
        return 0;
}

static int write_bytes(int dir_fd, const char *name, GBytes *bytes) {
        gsize size;
        const void *data = g_bytes_get_data(bytes, &size);
        return write_file_atomic_at(dir_fd, name, data, size, 0600);
}

int store_stage(const char *patches_dir, const char *name,
                GBytes *manifest, GBytes *signature, GBytes *module, char **ret_staging_dir) {
        g_autofree char *tmpl = g_strdup_printf("%s/" STAGING_PREFIX "%s-XXXXXX", patches_dir, name);
        int r;

        if (!g_mkdtemp_full(tmpl, 0700))
                return -errno;
        _cleanup_close_ int fd = open_directory_at(AT_FDCWD, tmpl);
        if (fd < 0)
                r = fd;
        else if ((r = write_bytes(fd, PATCH_MANIFEST_FILE, manifest)) >= 0 &&
                 (r = write_bytes(fd, PATCH_SIGNATURE_FILE, signature)) >= 0)
                r = write_bytes(fd, PATCH_MODULE_FILE, module);
        if (r < 0) {
                (void) rm_rf(tmpl);
                return r;
        }
        *ret_staging_dir = g_steal_pointer(&tmpl);
        return 0;
}

int store_commit(const char *patches_dir, const char *staging_dir, const char *name, char **ret_dir) {
        _cleanup_close_ int fd = open_directory_at(AT_FDCWD, patches_dir);
        if (fd < 0)
                return fd;
        g_autofree char *staging = g_path_get_basename(staging_dir);

        /* Swap with an old record in one step, then drop the old one. A link
         * in the record's place is swapped out and removed, never followed. */
        if (renameat2(fd, staging, fd, name, RENAME_EXCHANGE) == 0)
                (void) rm_rf_at(fd, staging);
        else if (errno != ENOENT || renameat(fd, staging, fd, name) < 0)
                return -errno;

        if (fsync(fd) < 0)
                return -errno;
        *ret_dir = g_build_filename(patches_dir, name, NULL);
        return 0;
}

typedef struct LoadContext {
        const char *patches_dir;
        GPtrArray *patches, *bad;
} LoadContext;

static void load_one(int dir_fd, const char *name, const struct stat *st, void *userdata) {
        LoadContext *c = userdata;
        g_autofree char *path = g_build_filename(c->patches_dir, name, NULL);
        Patch *p = NULL;

        /* Left-overs of a crash are removed at start by store_open(). */
        if (name[0] == '.')
                return;
        /* A link is not a record of ours: never followed, left for a person. */
        if (!S_ISDIR(st->st_mode) || patch_load_at(dir_fd, name, path, &p) < 0) {
                g_ptr_array_add(c->bad, g_steal_pointer(&path));
                return;
        }
        g_ptr_array_add(c->patches, p);
}

int store_load_all(const char *patches_dir, GPtrArray **ret_patches, GPtrArray **ret_bad) {
        g_autoptr(GPtrArray) patches = g_ptr_array_new_with_free_func((GDestroyNotify) patch_free);
        g_autoptr(GPtrArray) bad = g_ptr_array_new_with_free_func(g_free);
        LoadContext c = { .patches_dir = patches_dir, .patches = patches, .bad = bad };

        _cleanup_close_ int fd = open_directory_at(AT_FDCWD, patches_dir);
        if (fd < 0)
                return fd;
        int r = for_each_entry(fd, load_one, &c);
        if (r < 0)
                return r;
        *ret_patches = g_steal_pointer(&patches);
        *ret_bad = g_steal_pointer(&bad);
        return 0;
}
