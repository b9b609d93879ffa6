/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent-state.h"
#include "channel-index.h"
#include "signature.h"
#include "util.h"

#define CHANNELS_DIR "channels"
#define STATE_FILE "state"
#define INDEX_FILE "index"
#define SIGNATURE_FILE "index.p7s"
#define STATE_GROUP "Channel"
#define STATE_MAX_SIZE (16 * 1024)

void channel_state_done(ChannelState *s) {
        net_validators_done(&s->validators);
        g_clear_pointer(&s->index, g_bytes_unref);
        g_clear_pointer(&s->signature, g_bytes_unref);
        s->highest_serial = 0;
}

/* The channel's directory, made (0700) if @create. */
static int channel_dir_open(int state_fd, const char *url, bool create) {
        char name[SHA256_HEX_LEN + 1];

        sha256_hex(url, strlen(url), name);
        if (create) {
                if (mkdirat(state_fd, CHANNELS_DIR, 0700) < 0 && errno != EEXIST)
                        return -errno;
                _cleanup_close_ int fd = open_directory_at(state_fd, CHANNELS_DIR);
                if (fd < 0)
                        return fd;
                if (mkdirat(fd, name, 0700) < 0 && errno != EEXIST)
                        return -errno;
        }
        g_autofree char *path = g_build_filename(CHANNELS_DIR, name, NULL);
        return open_directory_at(state_fd, path);
}

static char *bytes_sha256(GBytes *b) {
        char hex[SHA256_HEX_LEN + 1];
        gsize size;
        const void *data = g_bytes_get_data(b, &size);

        sha256_hex(data, size, hex);
        return g_strdup(hex);
}

/* An optional validator: absent or empty is none; anything else must be fit to send. */
static int load_validator(GKeyFile *kf, const char *key, char **ret) {
        g_autofree char *v = g_key_file_get_string(kf, STATE_GROUP, key, NULL);

        if (!v || !v[0])
                return 0;
        if (!net_validator_is_valid(v))
                return -EBADMSG;
        *ret = g_steal_pointer(&v);
        return 0;
}

int channel_state_load(int state_fd, const char *url, ChannelState *ret) {
        g_auto(ChannelState) s = {};
        g_autoptr(GBytes) bytes = NULL;
        g_autoptr(GKeyFile) kf = g_key_file_new();
        g_autoptr(GError) e = NULL;
        int r;

        _cleanup_close_ int fd = channel_dir_open(state_fd, url, false);
        if (fd == -ENOENT) {
                *ret = (ChannelState) {};
                return 0;
        }
        if (fd < 0)
                return fd;
        r = read_file_at(fd, STATE_FILE, STATE_MAX_SIZE, &bytes);
        if (r == -ENOENT) {
                *ret = (ChannelState) {};
                return 0;
        }
        if (r < 0)
                return r;
        gsize size;
        const char *data = g_bytes_get_data(bytes, &size);
        if (!g_key_file_load_from_data(kf, data, size, G_KEY_FILE_NONE, NULL))
                return -EBADMSG;
        g_autofree char *recorded_url = g_key_file_get_string(kf, STATE_GROUP, "URL", NULL);
        s.highest_serial = g_key_file_get_uint64(kf, STATE_GROUP, "HighestSerial", &e);
        if (e || !recorded_url || !g_str_equal(recorded_url, url))
                return -EBADMSG;
        if ((r = load_validator(kf, "ETag", &s.validators.etag)) < 0 ||
            (r = load_validator(kf, "LastModified", &s.validators.last_modified)) < 0)
                return r;

        /* The cache is only worth its validators if it is the index recorded. */
        g_autofree char *index_sha256 = g_key_file_get_string(kf, STATE_GROUP, "IndexSHA256", NULL);
        if (index_sha256 && index_sha256[0] &&
            read_file_at(fd, INDEX_FILE, CHANNEL_INDEX_MAX_SIZE, &s.index) >= 0 &&
            read_file_at(fd, SIGNATURE_FILE, SIGNATURE_MAX_SIZE, &s.signature) >= 0) {
                g_autofree char *actual = bytes_sha256(s.index);
                if (g_str_equal(actual, index_sha256)) {
                        *ret = s;
                        s = (ChannelState) {};
                        return 0;
                }
        }
        g_clear_pointer(&s.index, g_bytes_unref);
        g_clear_pointer(&s.signature, g_bytes_unref);
        net_validators_done(&s.validators);
        *ret = s;
        s = (ChannelState) {};
        return 0;
}

static int write_bytes(int fd, const char *name, GBytes *b) {
        gsize size;
        const void *data = g_bytes_get_data(b, &size);
        return write_file_atomic_at(fd, name, data, size, 0600);
}

int channel_state_save(int state_fd, const char *url, const ChannelState *s) {
        g_autoptr(GKeyFile) kf = g_key_file_new();
        int r;

        _cleanup_close_ int fd = channel_dir_open(state_fd, url, true);
        if (fd < 0)
                return fd;
        g_key_file_set_string(kf, STATE_GROUP, "URL", url);
        g_key_file_set_uint64(kf, STATE_GROUP, "HighestSerial", s->highest_serial);
        if (s->index && s->signature) {
                if ((r = write_bytes(fd, INDEX_FILE, s->index)) < 0 ||
                    (r = write_bytes(fd, SIGNATURE_FILE, s->signature)) < 0)
                        return r;
                g_autofree char *sha = bytes_sha256(s->index);
                g_key_file_set_string(kf, STATE_GROUP, "IndexSHA256", sha);
                g_key_file_set_string(kf, STATE_GROUP, "ETag", s->validators.etag ?: "");
                g_key_file_set_string(kf, STATE_GROUP, "LastModified", s->validators.last_modified ?: "");
        }
        gsize size;
        g_autofree char *data = g_key_file_to_data(kf, &size, NULL);
        return write_file_atomic_at(fd, STATE_FILE, data, size, 0600);
}

void cache_prune(int cache_fd, GHashTable *keep) {
        int fd = dup(cache_fd);
        if (fd < 0)
                return;
        DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return;
        }
        struct dirent *e;
        while ((e = readdir(d))) {
                /* The cache holds regular files the agent wrote, never anything it follows. */
                if (e->d_type != DT_REG || g_hash_table_contains(keep, e->d_name))
                        continue;
                (void) unlinkat(dirfd(d), e->d_name, 0);
        }
        closedir(d);
}
