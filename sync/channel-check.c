/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <string.h>

#include "channel-check.h"
#include "channel-dir.h"
#include "channel-verify.h"
#include "manifest.h"
#include "sync-errors.h"

static void report(FILE *err, const char *where, const sd_bus_error *e) {
        fprintf(err, "%s: %s: %s\n", where, e->name ?: "error", e->message ?: "failed");
}

/* What lpmaintd would check of one patch, and that it is what the index says. */
static int check_patch(int root_fd, const TrustPolicy *patch_policy, const ChannelIndex *idx, const ChannelPatch *p,
                       char **ret_signer, sd_bus_error *error) {
        g_autoptr(GBytes) manifest = NULL, sig = NULL, module = NULL;
        g_autoptr(Manifest) m = NULL;
        const void *md, *sd;
        gsize msize, ssize;
        int r;

        if ((r = channel_dir_read_artifact(root_fd, &p->manifest, "Manifest", &manifest, error)) < 0 ||
            (r = channel_dir_read_artifact(root_fd, &p->signature, "Signature", &sig, error)) < 0 ||
            (r = channel_dir_read_artifact(root_fd, &p->module, "Module", &module, error)) < 0)
                return r;
        md = g_bytes_get_data(manifest, &msize);
        sd = g_bytes_get_data(sig, &ssize);
        r = signature_verify(patch_policy, md, msize, sd, ssize, ret_signer, error);
        if (r < 0)
                return r;
        r = manifest_parse(md, msize, &m, error);
        if (r < 0)
                return r;
        if (!g_str_equal(m->name, p->name) || !g_str_equal(m->version, p->version))
                return sd_bus_error_setf(error, SYNC_ERROR_ARTIFACT_MISMATCH, "Manifest is for %s %s, the index lists it as %s %s",
                                         m->name, m->version, p->name, p->version);
        if (!g_str_equal(m->kernel_release, idx->kernel))
                return sd_bus_error_setf(error, LPMAINT_ERROR_WRONG_KERNEL, "Manifest is for kernel %s, the index for %s", m->kernel_release, idx->kernel);
        if (!g_str_equal(m->module_sha256, p->module.sha256))
                return sd_bus_error_setf(error, LPMAINT_ERROR_DIGEST_MISMATCH, "Manifest names module SHA-256 %s, the index %s",
                                         m->module_sha256, p->module.sha256);
        if (m->replace != p->replace)
                return sd_bus_error_setf(error, SYNC_ERROR_ARTIFACT_MISMATCH, "Manifest says Replace=%s, the index %s",
                                         m->replace ? "true" : "false", p->replace ? "true" : "false");
        return 0;
}

static unsigned check_kernel(int root_fd, const TrustPolicy *index_policy, const TrustPolicy *patch_policy,
                             uint64_t now_usec, const char *release, FILE *out, FILE *err) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autoptr(GBytes) index = NULL, sig = NULL;
        g_autoptr(ChannelIndex) idx = NULL;
        g_autofree char *signer = NULL, *where = channel_index_path(release);
        unsigned failures = 0;
        int r;

        r = channel_dir_read_index(root_fd, release, &index, &sig, &error);
        if (r == -ENOENT)
                sd_bus_error_set_errnof(&error, r, "No index: %m");
        if (r < 0) {
                report(err, where, &error);
                return 1;
        }

        ChannelIndexCheck check = {
                .policy = index_policy,
                .kernel = release,
                .now_usec = now_usec,
        };
        gsize size, sig_size = 0;
        const void *data = g_bytes_get_data(index, &size);
        const void *sig_data = sig ? g_bytes_get_data(sig, &sig_size) : NULL;
        r = channel_index_verify(&check, data, size, sig_data, sig_size, &idx, &signer, &error);
        if (r < 0) {
                report(err, where, &error);
                return 1;
        }

        g_autofree char *expires = format_timestamp_utc(idx->expires_usec);
        fprintf(out, "%s: serial %" G_GUINT64_FORMAT ", %u patch versions, %u recalls, signed by %s, expires %s\n",
                where, idx->serial, idx->patches->len, idx->recalls->len, signer, expires);
        for (guint i = 0; i < idx->patches->len; i++) {
                const ChannelPatch *p = idx->patches->pdata[i];
                _cleanup_bus_error_ sd_bus_error perror = SD_BUS_ERROR_NULL;
                g_autofree char *patch_signer = NULL;
                g_autofree char *what = g_strdup_printf("%s: %s %s", where, p->name, p->version);

                if (check_patch(root_fd, patch_policy, idx, p, &patch_signer, &perror) < 0) {
                        report(err, what, &perror);
                        failures++;
                } else
                        fprintf(out, "%s: signed by %s\n", what, patch_signer);
        }
        return failures;
}

static int compare_strings(gconstpointer a, gconstpointer b) {
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

int channel_check_dir(const char *dir, const ChannelCheckOptions *o, FILE *out, FILE *err) {
        g_autoptr(GPtrArray) releases = g_ptr_array_new_with_free_func(g_free);
        _cleanup_close_ int root_fd = open_directory_at(AT_FDCWD, dir);
        unsigned failures = 0;

        if (root_fd < 0)
                return root_fd;
        sync_errors_register();
        if (o->kernel)
                g_ptr_array_add(releases, g_strdup(o->kernel));
        else {
                int kfd = open_directory_at(root_fd, "kernels");
                if (kfd < 0)
                        return kfd;
                DIR *d = fdopendir(kfd);
                if (!d) {
                        int r = -errno;
                        (void) close(kfd);
                        return r;
                }
                struct dirent *e;
                while ((e = readdir(d)))
                        if (e->d_name[0] != '.')
                                g_ptr_array_add(releases, g_strdup(e->d_name));
                closedir(d);
                g_ptr_array_sort(releases, compare_strings);
        }
        if (releases->len == 0)
                fprintf(out, "No kernel has an index.\n");
        for (guint i = 0; i < releases->len; i++)
                failures += check_kernel(root_fd, o->index_policy, o->patch_policy, o->now_usec, releases->pdata[i], out, err);
        return (int) MIN(failures, (unsigned) INT32_MAX);
}
