/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io-util.h"
#include "kernel-image.h"
#include "util.h"
#include "version.h"

/* The x86 boot protocol's setup header (Documentation/arch/x86/boot.rst). */
#define HDR_SETUP_SECTS         0x1F1   /* u8: 512-byte sectors of setup code after the boot sector; 0 means 4 */
#define HDR_BOOT_FLAG           0x1FE   /* u16: 0xAA55 */
#define HDR_MAGIC               0x202   /* "HdrS" */
#define HDR_PROTOCOL            0x206   /* u16: boot protocol version */
#define HDR_KERNEL_VERSION      0x20E   /* u16: offset of the version string, less 0x200 */
#define HDR_END                 0x210

#define BOOT_FLAG               0xAA55
#define PROTOCOL_MIN            0x0200  /* kernel_version exists from 2.00 on */
#define SECTOR_SIZE             0x200

/* The setup code, where the version string lives, is at most 128 KiB and in
 * practice 15-20 KiB; the rest of the image (megabytes) is not needed. */
#define IMAGE_READ_MAX          (64U * 1024U)
/* The whole string ("6.1.0-27-amd64 (builder@host) (gcc ...) #1 SMP ...") is
 * some 200 bytes; anything far longer is not a version string. */
#define VERSION_STRING_MAX      1024
/* What uname(2) can report: __NEW_UTS_LEN. */
#define RELEASE_MAX             64

static uint16_t read_le16(const uint8_t *p) {
        return (uint16_t) (p[0] | (p[1] << 8));
}

int kernel_image_release_from_data(const void *data, size_t size, char **ret) {
        const uint8_t *p = data;

        if (size < HDR_END)
                return -EBADMSG;
        if (read_le16(p + HDR_BOOT_FLAG) != BOOT_FLAG ||
            memcmp(p + HDR_MAGIC, "HdrS", 4) != 0 ||
            read_le16(p + HDR_PROTOCOL) < PROTOCOL_MIN)
                return -EBADMSG;

        uint16_t kernel_version = read_le16(p + HDR_KERNEL_VERSION);
        if (kernel_version == 0)
                return -EBADMSG;

        /* The string must lie in the setup code, as the protocol requires, and in
         * what we have of the file. */
        size_t setup_sects = p[HDR_SETUP_SECTS] ?: 4;
        size_t end = MIN(size, (setup_sects + 1) * SECTOR_SIZE);
        size_t offset = (size_t) kernel_version + SECTOR_SIZE;
        if (offset >= end)
                return -EBADMSG;

        const char *s = (const char *) p + offset;
        if (!memchr(s, 0, MIN(end - offset, (size_t) VERSION_STRING_MAX + 1)))
                return -EBADMSG;
        if (!string_is_printable(s, VERSION_STRING_MAX))
                return -EBADMSG;

        size_t n = strcspn(s, " ");
        if (n == 0 || n > RELEASE_MAX)
                return -EBADMSG;
        g_autofree char *release = g_strndup(s, n);
        /* Others join the release into paths (/lib/modules/<release>). */
        if (strchr(release, '/') || g_str_equal(release, ".") || g_str_equal(release, ".."))
                return -EBADMSG;

        *ret = g_steal_pointer(&release);
        return 0;
}

/* Only the head of the file: read_regular_fd() wants all of it, and an image
 * is megabytes. */
static int read_head(int fd, uint8_t *buf, size_t max, size_t *ret_size) {
        struct stat st;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;

        ssize_t n = pread_full(fd, buf, max, 0);
        if (n < 0)
                return (int) n;
        *ret_size = (size_t) n;
        return 0;
}

static int release_at(int dir_fd, const char *path, char **ret) {
        size_t size = 0;
        int r;

        /* Symlinks are followed, as a boot loader would. O_NONBLOCK: opening a
         * FIFO must not hang the daemon. */
        _cleanup_close_ int fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;

        g_autofree uint8_t *buf = g_malloc(IMAGE_READ_MAX);
        r = read_head(fd, buf, IMAGE_READ_MAX, &size);
        if (r < 0)
                return r;
        return kernel_image_release_from_data(buf, size, ret);
}

int kernel_image_release(const char *path, char **ret) {
        return release_at(AT_FDCWD, path, ret);
}

void installed_kernel_clear(InstalledKernel *k) {
        g_clear_pointer(&k->release, g_free);
        g_clear_pointer(&k->image_path, g_free);
}

static int installed_kernel_compare(gconstpointer a, gconstpointer b) {
        const InstalledKernel *x = a, *y = b;

        /* The path breaks ties, so that the order does not depend on readdir(). */
        return version_compare(x->release, y->release) ?: strcmp(x->image_path, y->image_path);
}

static void closedirp(DIR **d) {
        if (*d)
                (void) closedir(*d);
}

int installed_kernels(const char *boot_dir, GArray **ret) {
        g_autoptr(GArray) kernels = g_array_new(false, true, sizeof(InstalledKernel));
        g_array_set_clear_func(kernels, (GDestroyNotify) installed_kernel_clear);

        _cleanup_(closedirp) DIR *d = opendir(boot_dir);
        if (!d && errno != ENOENT)
                return -errno;

        while (d) {
                errno = 0;
                struct dirent *de = readdir(d);
                if (!de) {
                        if (errno != 0)
                                return -errno;
                        break;
                }
                if (!g_str_has_prefix(de->d_name, "vmlinuz-"))
                        continue;

                /* The name only picks candidates; the header says what they are. */
                char *release;
                if (release_at(dirfd(d), de->d_name, &release) < 0)
                        continue;
                InstalledKernel k = {
                        .release = release,
                        .image_path = g_build_filename(boot_dir, de->d_name, NULL),
                };
                g_array_append_val(kernels, k);
        }

        g_array_sort(kernels, installed_kernel_compare);
        *ret = g_steal_pointer(&kernels);
        return 0;
}

char *installed_kernel_newer_than(GArray *installed, const char *running) {
        const char *newest = NULL;

        /* A scan, not the last element: the array need not come sorted. */
        for (guint i = 0; installed && i < installed->len; i++) {
                const char *r = g_array_index(installed, InstalledKernel, i).release;
                if (version_compare(r, running) > 0 && (!newest || version_compare(r, newest) > 0))
                        newest = r;
        }
        return g_strdup(newest);
}
