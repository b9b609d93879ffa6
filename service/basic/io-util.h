/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Reads @size bytes of @fd at @offset, or as many as there are before the end
 * of the file, with pread(2): the file offset, which a descriptor passed
 * between processes shares, is left alone. Retries on EINTR. Returns the
 * number of bytes read (less than @size only at the end of the file) or a
 * negative errno. Needs libc only, so that the CLI links it too. */
ssize_t pread_full(int fd, void *buf, size_t size, off_t offset);
