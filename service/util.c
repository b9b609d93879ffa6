/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "util.h"

static uint64_t clock_usec(clockid_t clock) {
        struct timespec ts;

        (void) clock_gettime(clock, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

uint64_t now_realtime_usec(void) {
        return clock_usec(CLOCK_REALTIME);
}

uint64_t now_monotonic_usec(void) {
        return clock_usec(CLOCK_MONOTONIC);
}

int read_regular_fd(int fd, size_t max, GBytes **ret) {
        struct stat st;

        if (fd < 0 || fstat(fd, &st) < 0)
                return -EBADFD;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        if ((uint64_t) st.st_size > max)
                return -EFBIG;

        /* Read with pread from 0 so a caller's shared file offset does not matter,
         * and read one byte past the size seen: the file may grow under us. */
        size_t cap = (size_t) st.st_size + 1, size = 0;
        g_autofree uint8_t *buf = g_malloc(cap);
        for (;;) {
                if (size == cap) {
                        if (cap > max)
                                return -EFBIG;
                        cap = MIN(cap * 2, max + 1);
                        buf = g_realloc(buf, cap);
                }
                ssize_t n = pread(fd, buf + size, cap - size, (off_t) size);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return errno == EISDIR ? -EBADFD : -errno;
                }
                if (n == 0)
                        break;
                size += (size_t) n;
                if (size > max)
                        return -EFBIG;
        }

        *ret = g_bytes_new_take(g_steal_pointer(&buf), size);
        return 0;
}

int open_regular_at(int dirfd, const char *path, int flags, mode_t mode) {
        struct stat st;

        /* O_NONBLOCK only for the open: a FIFO would otherwise block it until a writer comes. */
        _cleanup_close_ int fd = openat(dirfd, path, flags | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK, mode);
        if (fd < 0)
                return errno == ELOOP ? -EBADFD : -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
                return -errno;
        int ret = fd;
        fd = -1;
        return ret;
}

int read_file_at(int dirfd, const char *path, size_t max, GBytes **ret) {
        _cleanup_close_ int fd = open_regular_at(dirfd, path, O_RDONLY, 0);
        if (fd < 0)
                return fd;
        return read_regular_fd(fd, max, ret);
}

int fsync_directory(const char *dir) {
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        return fsync(fd) < 0 ? -errno : 0;
}

int write_all(int fd, const void *data, size_t size) {
        const uint8_t *p = data;

        while (size > 0) {
                ssize_t n = write(fd, p, size);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                size -= (size_t) n;
        }
        return 0;
}

int write_file_atomic(const char *dir, const char *name, const void *data, size_t size, mode_t mode) {
        g_autofree char *path = g_build_filename(dir, name, NULL);
        g_autofree char *tmp = g_strdup_printf("%s/.#%s.XXXXXX", dir, name);
        int r;

        _cleanup_close_ int fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, mode);
        if (fd < 0)
                return -errno;

        r = write_all(fd, data, size);
        if (r >= 0 && fchmod(fd, mode) < 0)
                r = -errno;
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        if (r >= 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0) {
                (void) unlink(tmp);
                return r;
        }
        return fsync_directory(dir);
}

int mkdir_p(const char *path, mode_t mode) {
        if (g_mkdir_with_parents(path, (int) mode) < 0)
                return -errno;
        return 0;
}

int rm_rf(const char *path) {
        struct stat st;

        if (lstat(path, &st) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISDIR(st.st_mode))
                return unlink(path) < 0 ? -errno : 0;

        g_autoptr(GDir) d = g_dir_open(path, 0, NULL);
        if (!d)
                return -EIO;
        const char *e;
        while ((e = g_dir_read_name(d))) {
                g_autofree char *child = g_build_filename(path, e, NULL);
                int r = rm_rf(child);
                if (r < 0)
                        return r;
        }
        return rmdir(path) < 0 ? -errno : 0;
}

int read_one_line(const char *path, char **ret) {
        g_autofree char *contents = NULL;
        g_autoptr(GError) error = NULL;

        if (!g_file_get_contents(path, &contents, NULL, &error))
                return error->code == G_FILE_ERROR_NOENT ? -ENOENT : -EIO;

        contents[strcspn(contents, "\n")] = '\0';
        *ret = g_steal_pointer(&contents);
        return 0;
}

int write_string_file(const char *path, const char *value) {
        /* sysfs attributes take one write(2) of the whole value. */
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        g_autofree char *line = g_strconcat(value, "\n", NULL);
        ssize_t n = write(fd, line, strlen(line));
        if (n < 0)
                return -errno;
        return (size_t) n == strlen(line) ? 0 : -EIO;
}

void sha256_hex(const void *data, size_t size, char ret[SHA256_HEX_LEN + 1]) {
        /* GLib's SHA-256, not OpenSSL's: hashing at start-up (the audit chain)
         * must not pull in OpenSSL's provider and configuration machinery. */
        g_autofree char *hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256, data, size);
        memcpy(ret, hex, SHA256_HEX_LEN + 1);
}

int parse_bool_str(const char *s, bool *ret) {
        if (g_str_equal(s, "true") || g_str_equal(s, "yes") || g_str_equal(s, "1")) {
                *ret = true;
                return 0;
        }
        if (g_str_equal(s, "false") || g_str_equal(s, "no") || g_str_equal(s, "0")) {
                *ret = false;
                return 0;
        }
        return -EINVAL;
}

int parse_size_str(const char *s, uint64_t *ret) {
        char *end = NULL;
        uint64_t factor = 1;

        if (!g_ascii_isdigit(s[0]))
                return -EINVAL;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno != 0)
                return -ERANGE;
        if (g_str_equal(end, "K"))
                factor = UINT64_C(1) << 10;
        else if (g_str_equal(end, "M"))
                factor = UINT64_C(1) << 20;
        else if (g_str_equal(end, "G"))
                factor = UINT64_C(1) << 30;
        else if (*end != '\0')
                return -EINVAL;
        if (v > UINT64_MAX / factor)
                return -ERANGE;
        *ret = (uint64_t) v * factor;
        return 0;
}

int parse_timestamp_utc(const char *s, uint64_t *ret) {
        /* Only the one canonical form: a signed document should mean one thing.
         * GLib's ISO 8601 parser also takes week and ordinal dates and more. */
        static const char form[] = "dddd-dd-ddTdd:dd:ddZ";
        int year, month, day, hour, minute, second;

        if (strlen(s) != strlen(form))
                return -EINVAL;
        for (size_t i = 0; form[i]; i++)
                if (form[i] == 'd' ? !g_ascii_isdigit(s[i]) : s[i] != form[i])
                        return -EINVAL;
        if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ", &year, &month, &day, &hour, &minute, &second) != 6)
                return -EINVAL;
        /* Rejects February 30th, hour 24 and second 60. */
        g_autoptr(GDateTime) dt = g_date_time_new_utc(year, month, day, hour, minute, second);
        if (!dt || second > 59)
                return -EINVAL;
        gint64 unix_usec = g_date_time_to_unix(dt) * (gint64) USEC_PER_SEC;
        if (unix_usec < 0)
                return -ERANGE;
        *ret = (uint64_t) unix_usec;
        return 0;
}

char *format_timestamp_utc(uint64_t usec) {
        g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc((gint64) (usec / USEC_PER_SEC));
        return dt ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ") : g_strdup("(out of range)");
}

bool string_is_printable(const char *s, size_t max_len) {
        size_t n = strlen(s);

        if (n > max_len || !g_utf8_validate(s, (gssize) n, NULL))
                return false;
        for (const char *p = s; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        return false;
        return true;
}

int string_table_lookup(const char *const *table, int n, const char *s) {
        for (int i = 0; s && i < n; i++)
                if (table[i] && g_str_equal(table[i], s))
                        return i;
        return -1;
}
