/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lpmaint-channel deb: one kernel's part of a channel as a Debian package,
 * the per-kernel cumulative package that RHEL and SUSE ship, for Debian: an
 * apt repository, Ansible's apt module or dpkg -i delivers it, the host's
 * agent applies what it installs. No maintainer script: root never applies. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "channel-deb.h"
#include "bus-util.h"
#include "channel-dir.h"
#include "config.h"

#define DEB_ERROR (g_quark_from_static_string("lpmaint-channel-deb"))

/* Sets @error; returns -1. */
static int failed(GError **error, const char *format, ...) __attribute__((format(printf, 2, 3)));
static int failed(GError **error, const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        g_autofree char *text = g_strdup_vprintf(format, ap);
        va_end(ap);
        g_set_error_literal(error, DEB_ERROR, 0, text);
        return -1;
}

/* Debian's package names: lower case letters, digits, '+', '-' and '.'. */
static bool package_name_is_valid(const char *name) {
        return strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789+-.") == strlen(name);
}

static int stage_file(const char *stage, const char *path, GBytes *data, GError **error) {
        g_autofree char *full = g_build_filename(stage, path, NULL);
        g_autofree char *dir = g_path_get_dirname(full);
        gsize size;
        const char *p = g_bytes_get_data(data, &size);

        if (g_mkdir_with_parents(dir, 0755) < 0)
                return failed(error, "cannot create %s: %s", dir, g_strerror(errno));
        if (!g_file_set_contents_full(full, p, (gssize) size, G_FILE_SET_CONTENTS_NONE, 0644, error))
                return -1;
        return 0;
}

static int run_command(const char *const *argv, char **ret_stdout, GError **error) {
        g_autofree char *err = NULL;
        int status;

        if (!g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, ret_stdout, &err, &status, error))
                return -1;
        if (!g_spawn_check_wait_status(status, NULL))
                return failed(error, "%s failed: %s", argv[0], g_strstrip(err));
        return 0;
}

/* Fills @stage with the package's tree and builds it. */
static int build_in(const char *stage, const ChannelDeb *deb, int root_fd, const ChannelIndex *idx, GBytes *index, GBytes *sig,
                    GError **error) {
        g_autofree char *package = g_strconcat("lpmaint-patches-", idx->kernel, NULL);
        g_autofree char *arch = g_strdup(deb->architecture);
        g_autofree char *root = g_build_filename(stage, "root", NULL);
        g_autofree char *top = g_build_filename(root, deb->install_dir, NULL);
        g_autofree char *index_path = channel_index_path(idx->kernel);
        gsize index_size;
        const void *index_data = g_bytes_get_data(index, &index_size);
        g_autofree char *sig_path = channel_index_signature_path(idx->kernel, index_data, index_size);

        if (!package_name_is_valid(package))
                return failed(error, "kernel release %s cannot name a Debian package (lower case letters, digits, '+', '-' and '.')", idx->kernel);
        if (!arch) {
                const char *argv[] = { "dpkg", "--print-architecture", NULL };
                if (run_command(argv, &arch, error) < 0)
                        return -1;
                g_strstrip(arch);
        }

        if (stage_file(top, index_path, index, error) < 0 || stage_file(top, sig_path, sig, error) < 0)
                return -1;
        for (guint i = 0; i < idx->patches->len; i++) {
                const ChannelPatch *p = idx->patches->pdata[i];
                const ChannelArtifact *files[] = { &p->manifest, &p->signature, &p->module };
                for (size_t j = 0; j < G_N_ELEMENTS(files); j++) {
                        _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
                        g_autoptr(GBytes) data = NULL;
                        if (channel_dir_read_artifact(root_fd, files[j], "File", &data, &e) < 0)
                                return failed(error, "%s: %s", e.name, e.message);
                        if (stage_file(top, files[j]->path, data, error) < 0)
                                return -1;
                }
        }

        g_autofree char *control = g_strdup_printf(
                "Package: %s\n"
                "Version: %" G_GUINT64_FORMAT "\n"
                "Architecture: %s\n"
                "Maintainer: %s\n"
                "Section: kernel\n"
                "Priority: optional\n"
                "Depends: lpmaint\n"
                "Description: live patches for Linux %s\n"
                " The signed index of the live patches for kernel release %s (serial\n"
                " %" G_GUINT64_FORMAT ") and the files it lists: a local patch channel in\n"
                " %s that lpmaint's agent applies from (see lpmaint-channel(5)).\n",
                package, idx->serial, arch, deb->maintainer, idx->kernel, idx->kernel, idx->serial, deb->install_dir);
        g_autoptr(GBytes) control_bytes = g_bytes_new(control, strlen(control));
        if (stage_file(root, "DEBIAN/control", control_bytes, error) < 0)
                return -1;

        g_autofree char *name = g_strdup_printf("%s_%" G_GUINT64_FORMAT "_%s.deb", package, idx->serial, arch);
        g_autofree char *out = g_build_filename(deb->output_dir, name, NULL);
        const char *argv[] = { "dpkg-deb", "--root-owner-group", "--build", root, out, NULL };
        g_autofree char *stdout_text = NULL;
        if (run_command(argv, &stdout_text, error) < 0)
                return -1;
        printf("%s\n", out);
        return 0;
}

int channel_deb_build(const ChannelDeb *deb, int root_fd, const ChannelIndex *idx, GBytes *index, GBytes *sig, GError **error) {
        g_autofree char *stage = NULL;
        int r;

        if (!g_path_is_absolute(deb->install_dir) || !channel_path_is_valid(deb->install_dir + 1))
                return failed(error, "--install-dir %s is not an absolute path of safe characters", deb->install_dir);
        if (deb->architecture && (!deb->architecture[0] || strspn(deb->architecture, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(deb->architecture)))
                return failed(error, "--architecture %s is not a Debian architecture", deb->architecture);
        /* One line: a newline would add fields of its own to the package. */
        if (!string_is_printable(deb->maintainer, 256))
                return failed(error, "--maintainer must be one line of printable text");
        stage = g_dir_make_tmp("lpmaint-channel-deb-XXXXXX", error);
        if (!stage)
                return -1;
        r = build_in(stage, deb, root_fd, idx, index, sig, error);
        (void) rm_rf(stage);
        return r;
}
