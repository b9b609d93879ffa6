/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>

#include "io-util.h"
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
                ssize_t n = pread_full(fd, buf + size, cap - size, (off_t) size);
                if (n < 0)
                        return n == -EISDIR ? -EBADFD : (int) n;
                size += (size_t) n;
                if (size > max)
                        return -EFBIG;
                if (size < cap)
                        break; /* the end of the file */
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

int open_directory_at(int dirfd, const char *path) {
        int fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
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

static const char temp_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

bool is_temporary_file_name(const char *name) {
        size_t n = strlen(name);

        /* ".#" NAME "." and the random suffix, with a NAME of one character or more. */
        if (!g_str_has_prefix(name, TEMP_FILE_PREFIX) || n < strlen(TEMP_FILE_PREFIX) + 2 + TEMP_FILE_SUFFIX_LEN)
                return false;
        const char *suffix = name + n - TEMP_FILE_SUFFIX_LEN;
        return suffix[-1] == '.' && strspn(suffix, temp_chars) == TEMP_FILE_SUFFIX_LEN;
}

int write_file_atomic_at(int dir_fd, const char *name, const void *data, size_t size, mode_t mode) {
        g_autofree char *tmp = g_strdup_printf(TEMP_FILE_PREFIX "%s.XXXXXX", name);
        char *suffix = tmp + strlen(tmp) - TEMP_FILE_SUFFIX_LEN;
        _cleanup_close_ int fd = -1;
        int r;

        for (unsigned attempt = 0; fd < 0; attempt++) {
                for (size_t i = 0; i < TEMP_FILE_SUFFIX_LEN; i++)
                        suffix[i] = temp_chars[g_random_int_range(0, (gint32) sizeof(temp_chars) - 1)];
                fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, mode);
                if (fd < 0 && (errno != EEXIST || attempt >= 100))
                        return -errno;
        }

        r = write_all(fd, data, size);
        if (r >= 0 && fchmod(fd, mode) < 0)
                r = -errno;
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        if (r >= 0 && renameat(dir_fd, tmp, dir_fd, name) < 0)
                r = -errno;
        if (r < 0) {
                (void) unlinkat(dir_fd, tmp, 0);
                return r;
        }
        return fsync(dir_fd) < 0 ? -errno : 0;
}

int mkdir_p(const char *path, mode_t mode) {
        if (g_mkdir_with_parents(path, (int) mode) < 0)
                return -errno;
        return 0;
}

int rm_rf_at(int at_fd, const char *path) {
        struct stat st;

        /* Never through a link: a link is removed itself, whatever it points to. */
        if (fstatat(at_fd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISDIR(st.st_mode))
                return unlinkat(at_fd, path, 0) < 0 ? -errno : 0;

        int fd = open_directory_at(at_fd, path);
        if (fd < 0)
                return fd;
        DIR *d = fdopendir(fd);
        if (!d) {
                (void) close(fd);
                return -errno;
        }
        int r = 0;
        struct dirent *e;
        while (r >= 0 && (e = readdir(d)))
                if (!g_str_equal(e->d_name, ".") && !g_str_equal(e->d_name, ".."))
                        r = rm_rf_at(dirfd(d), e->d_name);
        (void) closedir(d);
        if (r < 0)
                return r;
        return unlinkat(at_fd, path, AT_REMOVEDIR) < 0 ? -errno : 0;
}

int rm_rf(const char *path) {
        return rm_rf_at(AT_FDCWD, path);
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
