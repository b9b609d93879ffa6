/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>

#include "util.h"

/* The libFuzzer interface. Each fuzz-*.c defines the first; the second is
 * optional (fuzz-main.c and libFuzzer both call it once if it exists). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A broken promise of the code under test is a crash too: it makes the
 * fuzzer keep the input. Not assert(): release builds compile that away. */
#define FUZZ_CHECK(expr)                                                                \
        do {                                                                            \
                if (!(expr)) {                                                          \
                        fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #expr); \
                        abort();                                                        \
                }                                                                       \
        } while (0)

/* Writes the input to @path for parsers that read files. Not
 * g_file_set_contents(): its fsync on every input would cost 99% of the time. */
static inline int fuzz_write_input(const char *path, const uint8_t *data, size_t size) {
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        return write_all(fd, data, size);
}
