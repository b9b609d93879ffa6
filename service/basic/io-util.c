/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include "io-util.h"

ssize_t pread_full(int fd, void *buf, size_t size, off_t offset) {
        uint8_t *p = buf;
        size_t done = 0;

        while (done < size) {
                ssize_t n = pread(fd, p + done, size - done, offset + (off_t) done);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                done += (size_t) n;
        }
        return (ssize_t) done;
}
