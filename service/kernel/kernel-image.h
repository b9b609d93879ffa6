/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <glib.h>

/* The kernel releases installed on disk, read from the x86 kernel images
 * (bzImage) themselves: file names can lie (vmlinuz-linux, a renamed copy),
 * the version string in the boot protocol's setup header does not. An
 * installed release newer than the running one is a reason to reboot. */

/* The release string a bzImage carries (the first word of its kernel_version
 * string, e.g. "6.1.0-27-amd64"). -EBADMSG if the file is not a bzImage with
 * a version string; -EBADFD if it is not a regular file (as read_regular_fd());
 * -errno on I/O errors. Reads at most the first 64 KiB. */
int kernel_image_release(const char *path, char **ret);

/* The same, from the first @size bytes of an image already in memory. */
int kernel_image_release_from_data(const void *data, size_t size, char **ret);

typedef struct InstalledKernel {
        char *release;
        char *image_path;
} InstalledKernel;

void installed_kernel_clear(InstalledKernel *k);

/* Every vmlinuz-* in @boot_dir whose header names a release, sorted by
 * release, newest last (version_compare() order, then by path); images that
 * cannot be read are skipped. A missing @boot_dir is an empty list: hosts
 * without /boot (containers, some image-based systems) have none installed. */
int installed_kernels(const char *boot_dir, GArray **ret /* InstalledKernel, with clear func */);

/* The newest installed release strictly newer than @running, or NULL. */
char *installed_kernel_newer_than(GArray *installed, const char *running);
