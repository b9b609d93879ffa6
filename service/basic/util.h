/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <unistd.h>
#include <glib.h>

/* File, string and time helpers for every layer. Nothing here needs the bus
 * or the event loop: core/ includes it, and may not see sd-bus (the bus's
 * cleanup helpers are in bus-util.h). */

#define _cleanup_(f) __attribute__((cleanup(f)))

#define USEC_PER_SEC  UINT64_C(1000000)
#define USEC_PER_MSEC UINT64_C(1000)
#define SHA256_HEX_LEN 64

static inline void closep(int *fd) {
        if (*fd >= 0)
                (void) close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

uint64_t now_realtime_usec(void);
uint64_t now_monotonic_usec(void);

/* Reads all of a regular file from @fd, at most @max bytes (-EFBIG beyond).
 * Anything that is not a regular file is -EBADFD: pipes, FIFOs and devices
 * could block the daemon or never end. */
int read_regular_fd(int fd, size_t max, GBytes **ret);
/* Opens @path below @dirfd without following a link in its last component and
 * without blocking on a FIFO, and only if it is a regular file (-EBADFD
 * otherwise). @flags adds to O_CLOEXEC|O_NOCTTY|O_NOFOLLOW (O_RDONLY, O_WRONLY,
 * O_APPEND, ...). Returns the fd, in blocking mode, or a negative errno. */
int open_regular_at(int dirfd, const char *path, int flags, mode_t mode);
int read_file_at(int dirfd, const char *path, size_t max, GBytes **ret);

/* Opens the directory @path below @dirfd, not through a link in its last component. */
int open_directory_at(int dirfd, const char *path);

/* write(2) until all of @data is written. */
int write_all(int fd, const void *data, size_t size);

/* Writes @data to @name in the directory @dir_fd through a temporary file
 * (TEMP_FILE_PREFIX NAME "." and a random suffix): fsync, rename, fsync of the
 * directory. Readers see the old or the new content, never a mix. A crash
 * can leave the temporary file behind; is_temporary_file_name() knows it. */
#define TEMP_FILE_PREFIX ".#"
#define TEMP_FILE_SUFFIX_LEN 6
int write_file_atomic_at(int dir_fd, const char *name, const void *data, size_t size, mode_t mode);
bool is_temporary_file_name(const char *name);
int mkdir_p(const char *path, mode_t mode);
/* Removes @path below @dirfd and everything under it, never following a link. */
int rm_rf_at(int dirfd, const char *path);
int rm_rf(const char *path);

/* Reads a small text file (a sysfs or procfs attribute) and strips the trailing newline. */
int read_one_line(const char *path, char **ret);
int write_string_file(const char *path, const char *value);

void sha256_hex(const void *data, size_t size, char ret[SHA256_HEX_LEN + 1]);

int parse_bool_str(const char *s, bool *ret);
int parse_size_str(const char *s, uint64_t *ret);
/* RFC 3339 in UTC ("2026-11-23T10:00:00Z") to realtime usec. */
int parse_timestamp_utc(const char *s, uint64_t *ret);
/* The same form back, for messages. */
char *format_timestamp_utc(uint64_t usec);

bool string_is_printable(const char *s, size_t max_len);
