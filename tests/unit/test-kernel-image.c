/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "kernel.h"
#include "kernel-image.h"
#include "test-helpers.h"

/* Synthetic bzImage heads: a boot sector, the setup header, SETUP_SECTS
 * sectors of setup code holding the version string, then some "kernel". */
#define SETUP_SECTS 8
#define SETUP_END ((SETUP_SECTS + 1) * 512)
#define IMAGE_SIZE (SETUP_END + 4096)
#define VERSION_AT 0x3C0        /* the kernel_version field: the string is at 0x200 more */

#define DEBIAN "6.1.0-27-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0) " \
               "#1 SMP PREEMPT_DYNAMIC Debian 6.1.115-1 (2024-11-01)"

typedef struct Image {
        uint8_t data[IMAGE_SIZE];
        size_t size;
} Image;

static void put_le16(uint8_t *p, uint16_t v) {
        p[0] = v & 0xff;
        p[1] = v >> 8;
}

static void image_init(Image *img, const char *version) {
        memset(img, 0, sizeof(*img));
        img->size = IMAGE_SIZE;
        /* Non-zero bytes all around, so that a reader missing a bound sees no stray NUL. */
        memset(img->data + 0x210, 0x90, IMAGE_SIZE - 0x210);
        img->data[0x1F1] = SETUP_SECTS;
        put_le16(img->data + 0x1FE, 0xAA55);
        memcpy(img->data + 0x202, "HdrS", 4);
        put_le16(img->data + 0x206, 0x020F);
        put_le16(img->data + 0x20E, VERSION_AT);
        memcpy(img->data + 0x200 + VERSION_AT, version, strlen(version) + 1);
}

static char *image_write(const char *dir, const char *name, const Image *img) {
        th_write_file(dir, name, (const char *) img->data, (gssize) img->size);
        return g_build_filename(dir, name, NULL);
}

static int release_of(const char *dir, const Image *img, char **ret) {
        g_autofree char *path = image_write(dir, "vmlinuz-test", img);
        return kernel_image_release(path, ret);
}

START_TEST(test_release) {
        g_autofree char *dir = th_mkdtemp();
        const struct {
                const char *version;
                const char *release;
        } good[] = {
                { DEBIAN, "6.1.0-27-amd64" },
                { "6.12.0-rc7", "6.12.0-rc7" },
                { "5.14.0-427.13.1.el9_4.x86_64 (mockbuild@example) #1 SMP", "5.14.0-427.13.1.el9_4.x86_64" },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
                g_autofree char *release = NULL;
                Image img;

                image_init(&img, good[i].version);
                ck_assert_int_eq(release_of(dir, &img, &release), 0);
                ck_assert_str_eq(release, good[i].release);
        }

        /* setup_sects 0 means 4; the string ends right at the end of the setup code. */
        g_autofree char *release = NULL;
        Image img;
        image_init(&img, "x");
        img.data[0x1F1] = 0;
        put_le16(img.data + 0x20E, 5 * 512 - 0x200 - 8);
        memcpy(img.data + 5 * 512 - 8, "6.2.0-1", 8);
        ck_assert_int_eq(release_of(dir, &img, &release), 0);
        ck_assert_str_eq(release, "6.2.0-1");

        /* The longest release uname(2) can report, in the longest string allowed. */
        g_autofree char *longest = g_strnfill(1024, 'v');
        memset(longest, '6', 64);
        longest[64] = ' ';
        g_clear_pointer(&release, g_free);
        image_init(&img, "x");
        img.data[0x1F1] = 16;
        memcpy(img.data + 0x200 + VERSION_AT, longest, strlen(longest) + 1);
        ck_assert_int_eq(release_of(dir, &img, &release), 0);
        ck_assert_uint_eq(strlen(release), 64);
        th_rmtree(dir);
}
END_TEST

START_TEST(test_bad_headers) {
        g_autofree char *dir = th_mkdtemp();
        g_autofree char *long_release = g_strnfill(65, '6');
        g_autofree char *long_version = g_strnfill(1025, 'v');
        Image img;
        char *release = NULL;

        /* Each case breaks one thing of an otherwise good image. */
#define CHECK_BAD(what, ...)                                                                    \
        do {                                                                                    \
                image_init(&img, DEBIAN);                                                       \
                __VA_ARGS__;                                                                    \
                ck_assert_msg(release_of(dir, &img, &release) == -EBADMSG, "%s", what);         \
                ck_assert_ptr_null(release);                                                    \
        } while (0)

        CHECK_BAD("no boot flag", put_le16(img.data + 0x1FE, 0));
        CHECK_BAD("no HdrS", memcpy(img.data + 0x202, "HdrT", 4));
        CHECK_BAD("protocol 1.x", put_le16(img.data + 0x206, 0x01FF));
        CHECK_BAD("no version string", put_le16(img.data + 0x20E, 0));
        CHECK_BAD("offset out of file", put_le16(img.data + 0x20E, 0xF000); img.data[0x1F1] = 255);
        /* A good string, but in the kernel proper, not in the setup code. */
        CHECK_BAD("offset past the setup code",
                  put_le16(img.data + 0x20E, SETUP_END - 0x200);
                  memcpy(img.data + SETUP_END, "6.1.0-1", 8));
        CHECK_BAD("no NUL before the end of the setup code",
                  put_le16(img.data + 0x20E, SETUP_END - 0x200 - 16);
                  memcpy(img.data + SETUP_END - 16, "6.1.0-1 vvvvvvvvvvv", 20));
        CHECK_BAD("no NUL before the end of the file",
                  img.size = 0x200 + VERSION_AT + strlen(DEBIAN));
        CHECK_BAD("version string too long",
                  img.data[0x1F1] = 16;
                  memcpy(long_version, "6.1.0 ", 6);
                  memcpy(img.data + 0x200 + VERSION_AT, long_version, strlen(long_version) + 1));
        CHECK_BAD("control character", img.data[0x200 + VERSION_AT + 3] = 0x01);
        CHECK_BAD("not UTF-8", img.data[0x200 + VERSION_AT + 3] = 0xff);
        CHECK_BAD("empty release", img.data[0x200 + VERSION_AT] = ' ');
        CHECK_BAD("release too long", memcpy(img.data + 0x200 + VERSION_AT, long_release, strlen(long_release) + 1));
        CHECK_BAD("release with a slash", memcpy(img.data + 0x200 + VERSION_AT, "6.1/x", 6));
        CHECK_BAD("release ..", memcpy(img.data + 0x200 + VERSION_AT, ".. #1", 6));
        CHECK_BAD("truncated in the boot sector", img.size = 0x100);
        CHECK_BAD("truncated in the setup header", img.size = 0x20F);
        CHECK_BAD("empty file", img.size = 0);
#undef CHECK_BAD

        /* Text, as a file named vmlinuz-* could hold. */
        th_write_file(dir, "text", "not a kernel\n", -1);
        g_autofree char *text = g_build_filename(dir, "text", NULL);
        ck_assert_int_eq(kernel_image_release(text, &release), -EBADMSG);
        th_rmtree(dir);
}
END_TEST

START_TEST(test_every_truncation) {
        Image img;

        /* Exactly sized heap copies: under ASan any read past a bound is caught. */
        image_init(&img, DEBIAN);
        size_t end = 0x200 + VERSION_AT + strlen(DEBIAN) + 1;
        for (size_t size = 0; size <= end; size++) {
                g_autofree uint8_t *copy = g_memdup2(img.data, size);
                g_autofree char *release = NULL;
                int r = kernel_image_release_from_data(copy ?: img.data, size, &release);

                if (size < end)
                        ck_assert_msg(r == -EBADMSG, "size %zu: %d", size, r);
                else {
                        ck_assert_int_eq(r, 0);
                        ck_assert_str_eq(release, "6.1.0-27-amd64");
                }
        }
}
END_TEST

START_TEST(test_not_regular_files) {
        g_autofree char *dir = th_mkdtemp();
        g_autofree char *missing = g_build_filename(dir, "missing", NULL);
        g_autofree char *fifo = g_build_filename(dir, "fifo", NULL);
        char *release = NULL;

        ck_assert_int_eq(kernel_image_release(dir, &release), -EBADFD);
        ck_assert_int_eq(kernel_image_release(missing, &release), -ENOENT);
        /* Without a writer, a blocking open would hang here. */
        ck_assert_int_eq(mkfifo(fifo, 0600), 0);
        ck_assert_int_eq(kernel_image_release(fifo, &release), -EBADFD);
        ck_assert_ptr_null(release);
        th_rmtree(dir);
}
END_TEST

static void add_image(const char *dir, const char *name, const char *version) {
        Image img;

        image_init(&img, version);
        g_free(image_write(dir, name, &img));
}

START_TEST(test_installed_kernels) {
        g_autofree char *dir = th_mkdtemp();
        g_autoptr(GArray) k = NULL;

        add_image(dir, "vmlinuz-6.1.0-9-amd64", "6.1.0-9-amd64 #1 SMP");
        add_image(dir, "vmlinuz-6.1.0-27-amd64", DEBIAN);
        add_image(dir, "vmlinuz-6.1.0-10-amd64", "6.1.0-10-amd64 #1 SMP");
        /* The name lies: the header wins. */
        add_image(dir, "vmlinuz-6.1.0-99-amd64", "6.1.0-3-amd64 #1 SMP");
        /* Not vmlinuz-*: not looked at, whatever it holds. */
        add_image(dir, "initrd.img-7.0.0", "7.0.0 #1 SMP");
        add_image(dir, "vmlinuz", "7.0.1 #1 SMP");
        th_write_file(dir, "vmlinuz-junk", "junk", -1);
        th_write_file(dir, "vmlinuz-dir/x", "", 0);

        ck_assert_int_eq(installed_kernels(dir, &k), 0);
        ck_assert_uint_eq(k->len, 4);
        const char *want[][2] = {
                { "6.1.0-3-amd64", "vmlinuz-6.1.0-99-amd64" },
                { "6.1.0-9-amd64", "vmlinuz-6.1.0-9-amd64" },
                { "6.1.0-10-amd64", "vmlinuz-6.1.0-10-amd64" },
                { "6.1.0-27-amd64", "vmlinuz-6.1.0-27-amd64" },
        };
        for (guint i = 0; i < k->len; i++) {
                const InstalledKernel *ik = &g_array_index(k, InstalledKernel, i);
                g_autofree char *path = g_build_filename(dir, want[i][1], NULL);
                ck_assert_str_eq(ik->release, want[i][0]);
                ck_assert_str_eq(ik->image_path, path);
        }
        th_rmtree(dir);
}
END_TEST

START_TEST(test_installed_kernels_no_dir) {
        g_autofree char *dir = th_mkdtemp();
        g_autofree char *missing = g_build_filename(dir, "boot", NULL);
        g_autofree char *file = g_build_filename(dir, "file", NULL);
        g_autoptr(GArray) k = NULL, none = NULL;

        /* No /boot: nothing installed. */
        ck_assert_int_eq(installed_kernels(missing, &k), 0);
        ck_assert_uint_eq(k->len, 0);
        ck_assert_ptr_null(installed_kernel_newer_than(k, "6.1.0-9-amd64"));

        th_write_file(dir, "file", "", 0);
        ck_assert_int_eq(installed_kernels(file, &none), -ENOTDIR);
        ck_assert_ptr_null(none);
        th_rmtree(dir);
}
END_TEST

START_TEST(test_newer_than) {
        g_autoptr(GArray) k = g_array_new(false, true, sizeof(InstalledKernel));
        g_array_set_clear_func(k, (GDestroyNotify) installed_kernel_clear);
        /* Unsorted on purpose: the answer must not depend on the order. */
        const char *releases[] = { "6.1.0-27-amd64", "6.1.0-9-amd64", "6.1.0-10-amd64" };
        for (size_t i = 0; i < G_N_ELEMENTS(releases); i++) {
                InstalledKernel ik = { g_strdup(releases[i]), g_strconcat("/boot/vmlinuz-", releases[i], NULL) };
                g_array_append_val(k, ik);
        }

        const struct {
                const char *running;
                const char *newer;
        } cases[] = {
                { "6.1.0-9-amd64", "6.1.0-27-amd64" },  /* numerically: 27 > 9 */
                { "6.1.0-26-amd64", "6.1.0-27-amd64" },
                { "5.10.0-30-amd64", "6.1.0-27-amd64" },
                { "6.1.0-27-amd64", NULL },             /* equal */
                { "6.1.0-28-amd64", NULL },             /* older installed only */
                { "6.10.0-1-amd64", NULL },
        };
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autofree char *newer = installed_kernel_newer_than(k, cases[i].running);
                if (cases[i].newer)
                        ck_assert_str_eq(newer, cases[i].newer);
                else
                        ck_assert_msg(!newer, "running %s: %s", cases[i].running, newer);
        }
        ck_assert_ptr_null(installed_kernel_newer_than(NULL, "6.1.0-9-amd64"));
}
END_TEST

START_TEST(test_host_images) {
#if defined(__x86_64__) || defined(__i386__)
        glob_t g = { 0 };
        unsigned checked = 0;

        if (glob("/boot/vmlinuz-*", 0, NULL, &g) != 0) {
                fprintf(stderr, "test_host_images: skipped, no /boot/vmlinuz-*\n");
                globfree(&g);
                return;
        }
        for (size_t i = 0; i < g.gl_pathc; i++) {
                const char *suffix = g.gl_pathv[i] + strlen("/boot/vmlinuz-");
                g_autofree char *release = NULL;

                /* Only names that look like a release ("vmlinuz-linux" and
                 * "vmlinuz-0-rescue-<machine-id>" do not); unreadable images
                 * (0600 on some distributions) when not root. */
                if (!g_ascii_isdigit(suffix[0]) || !strchr(suffix, '.') || strstr(suffix, "rescue"))
                        continue;
                int r = kernel_image_release(g.gl_pathv[i], &release);
                if (r == -EACCES)
                        continue;
                ck_assert_msg(r == 0, "%s: %s", g.gl_pathv[i], g_strerror(-r));
                ck_assert_str_eq(release, suffix);
                checked++;
        }
        globfree(&g);
        if (checked == 0)
                fprintf(stderr, "test_host_images: skipped, no readable /boot/vmlinuz-<release>\n");
#else
        fprintf(stderr, "test_host_images: skipped, not x86\n");
#endif
}
END_TEST

START_TEST(test_kernel_build_time) {
        uint64_t t = 0;

        ck_assert_int_eq(kernel_version_build_time("#1 SMP PREEMPT_DYNAMIC Debian 6.1.158-1 (2025-11-06)", &t), 0);
        ck_assert_uint_eq(t, UINT64_C(1762387200) * 1000000);
        ck_assert_int_eq(kernel_version_build_time("#1 SMP PREEMPT_DYNAMIC Thu Nov  6 12:00:00 UTC 2025", &t), 0);
        ck_assert_uint_eq(t, (UINT64_C(1762387200) + 12 * 3600) * 1000000);
        ck_assert_int_eq(kernel_version_build_time("#1 SMP", &t), -ENODATA);
        ck_assert_int_eq(kernel_version_build_time("", &t), -ENODATA);
        ck_assert_int_eq(kernel_version_build_time("#1 SMP Thu Foo  6 12:00:00 UTC 2025", &t), -ENODATA);
        ck_assert_int_eq(kernel_version_build_time("#1 (2025-13-40)", &t), -ENODATA);
}
END_TEST

static Suite *kernel_image_suite(void) {
        Suite *s = suite_create("kernel-image");
        TCase *tc = tcase_create("kernel-image");

        tcase_add_test(tc, test_release);
        tcase_add_test(tc, test_bad_headers);
        tcase_add_test(tc, test_every_truncation);
        tcase_add_test(tc, test_not_regular_files);
        tcase_add_test(tc, test_installed_kernels);
        tcase_add_test(tc, test_installed_kernels_no_dir);
        tcase_add_test(tc, test_newer_than);
        tcase_add_test(tc, test_host_images);
        tcase_add_test(tc, test_kernel_build_time);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return th_run_suite(kernel_image_suite());
}
