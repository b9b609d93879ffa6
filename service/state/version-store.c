/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <glib.h>

#include "errors.h"
#include "manifest.h"
#include "patch.h"
#include "util.h"
#include "version.h"
#include "version-store.h"

#define VERSIONS_HEADER "[Streams]\n"
#define VERSIONS_MAX_SIZE (1024 * 1024)
int version_store_parse(const char *data, size_t size, GHashTable **ret) {
        g_autoptr(GHashTable) t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

        /* lpmaintd never writes an empty or unterminated file: either is damage
         * (a truncation), and so is anything that is not exactly its form. */
        if (size == 0 || size > VERSIONS_MAX_SIZE || memchr(data, '\0', size) || data[size - 1] != '\n' ||
            !g_str_has_prefix(data, VERSIONS_HEADER))
                return -EBADMSG;

        g_autofree char *text = g_strndup(data + strlen(VERSIONS_HEADER), size - strlen(VERSIONS_HEADER));
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
        for (size_t i = 0; lines[i]; i++) {
                if (lines[i][0] == '\0')
                        continue;
                char *eq = strchr(lines[i], '=');
                if (!eq)
                        return -EBADMSG;
                *eq = '\0';
                const char *stream = lines[i], *version = eq + 1;
                if (!patch_name_is_valid(stream) || !recorded_version_is_valid(version) ||
                    g_hash_table_contains(t, stream))
                        return -EBADMSG;
                g_hash_table_insert(t, g_strdup(stream), g_strdup(version));
        }
        *ret = g_steal_pointer(&t);
        return 0;
}

static gint compare_keys(gconstpointer a, gconstpointer b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

char *version_store_format(GHashTable *t) {
        g_autoptr(GString) s = g_string_new(VERSIONS_HEADER);
        g_autofree gpointer *keys = g_hash_table_get_keys_as_array(t, NULL);
        guint n = g_hash_table_size(t);

        qsort(keys, n, sizeof(gpointer), (int (*)(const void *, const void *)) compare_keys);
        for (guint i = 0; i < n; i++)
                g_string_append_printf(s, "%s=%s\n", (const char *) keys[i], (const char *) g_hash_table_lookup(t, keys[i]));
        return g_string_free(g_steal_pointer(&s), false);
}

static int state_damaged(sd_bus_error *error, const char *state_dir, const char *cause) {
        return sd_bus_error_setf(error, LPMAINT_ERROR_STATE_DAMAGED,
                                 "%s: the record of accepted versions was damaged and is set aside as %s/" VERSIONS_DAMAGED_FILE
                                 "; every apply is refused until an administrator reviews it, puts a good copy back as %s/" VERSIONS_FILE
                                 " (or none, to restart rollback protection from the patches in the store) and removes %s/" VERSIONS_DAMAGED_FILE
                                 " (see lpmaintd(8))",
                                 cause, state_dir, state_dir, state_dir);
}

/* Loads the record into @ret (empty when there is none: a fresh host). A
 * damaged record is renamed to VERSIONS_DAMAGED_FILE, never rewritten, and
 * while that copy exists every caller gets StateDamaged. */
static int load(int dir_fd, const char *state_dir, GHashTable **ret, sd_bus_error *error) {
        g_autoptr(GBytes) bytes = NULL;
        struct stat st;
        const char *cause;
        int r;

        if (fstatat(dir_fd, VERSIONS_DAMAGED_FILE, &st, AT_SYMLINK_NOFOLLOW) >= 0)
                return state_damaged(error, state_dir, "Refused");
        if (errno != ENOENT)
                return bus_error_set_storage(error, -errno, "Cannot look for the damaged record of accepted versions");

        r = read_file_at(dir_fd, VERSIONS_FILE, VERSIONS_MAX_SIZE, &bytes);
        if (r == -ENOENT) {
                *ret = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
                return 0;
        }
        if (r == -EBADFD)
                cause = "not a regular file";
        else if (r == -EFBIG)
                cause = "too large";
        else if (r < 0)
                return bus_error_set_storage(error, r, "Cannot read the record of accepted versions");
        else {
                gsize size;
                const char *data = g_bytes_get_data(bytes, &size);
                if (version_store_parse(data, size, ret) >= 0)
                        return 0;
                cause = "malformed";
        }

        /* Kept for a person, out of the way of every later read; fail closed. */
        if (renameat2(dir_fd, VERSIONS_FILE, dir_fd, VERSIONS_DAMAGED_FILE, RENAME_NOREPLACE) < 0)
                return bus_error_set_storage(error, -errno, "Cannot set aside the damaged record of accepted versions");
        (void) fsync(dir_fd);
        g_autofree char *what = g_strdup_printf("The record of accepted versions is %s", cause);
        return state_damaged(error, state_dir, what);
}

/* load() in the state directory, which *@ret_dir_fd keeps open for a write. */
static int open_and_load(const char *state_dir, int *ret_dir_fd, GHashTable **ret, sd_bus_error *error) {
        *ret_dir_fd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (*ret_dir_fd < 0)
                return bus_error_set_storage(error, -errno, "Cannot open the state directory");
        return load(*ret_dir_fd, state_dir, ret, error);
}

/* The highest version of @stream among the patches in the store. */
static const char *store_highest(GHashTable *patches, const char *stream) {
        const char *highest = NULL;
        GHashTableIter i;
        gpointer value;

        if (!patches)
                return NULL;
        g_hash_table_iter_init(&i, patches);
        while (g_hash_table_iter_next(&i, NULL, &value)) {
                const Manifest *m = ((const Patch *) value)->manifest;
                if (g_str_equal(m->stream, stream) && (!highest || version_compare(m->version, highest) > 0))
                        highest = m->version;
        }
        return highest;
}

int version_store_check(const char *state_dir, sd_bus_error *error) {
        g_autoptr(GHashTable) t = NULL;
        _cleanup_close_ int dir_fd = -1;
        return open_and_load(state_dir, &dir_fd, &t, error);
}

int version_store_get(const char *state_dir, GHashTable *patches, const char *stream, char **ret, sd_bus_error *error) {
        g_autoptr(GHashTable) t = NULL;
        _cleanup_close_ int dir_fd = -1;
        int r = open_and_load(state_dir, &dir_fd, &t, error);
        if (r < 0)
                return r;

        const char *recorded = g_hash_table_lookup(t, stream), *stored = store_highest(patches, stream);
        const char *highest = !recorded || (stored && version_compare(stored, recorded) > 0) ? stored : recorded;
        if (!highest)
                return -ENOENT;
        *ret = g_strdup(highest);
        return 0;
}

int version_store_raise(const char *state_dir, GHashTable *patches, const char *stream, const char *version, sd_bus_error *error) {
        g_autoptr(GHashTable) t = NULL;
        _cleanup_close_ int dir_fd = -1;
        int r = open_and_load(state_dir, &dir_fd, &t, error);
        if (r < 0)
                return r;

        /* Without a record (a fresh host, or one an administrator removed),
         * what the store holds is what was accepted. */
        if (g_hash_table_size(t) == 0 && patches) {
                GHashTableIter i;
                gpointer value;
                g_hash_table_iter_init(&i, patches);
                while (g_hash_table_iter_next(&i, NULL, &value)) {
                        const Manifest *m = ((const Patch *) value)->manifest;
                        const char *old = g_hash_table_lookup(t, m->stream);
                        if (!old || version_compare(m->version, old) > 0)
                                g_hash_table_replace(t, g_strdup(m->stream), g_strdup(m->version));
                }
        }
        const char *old = g_hash_table_lookup(t, stream);
        if (old && version_compare(version, old) <= 0)
                return 0;
        g_hash_table_replace(t, g_strdup(stream), g_strdup(version));

        g_autofree char *data = version_store_format(t);
        r = write_file_atomic_at(dir_fd, VERSIONS_FILE, data, strlen(data), 0600);
        if (r < 0)
                return bus_error_set_storage(error, r, "Cannot write the record of accepted versions");
        return 0;
}
