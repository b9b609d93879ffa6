/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <string.h>
#include <sys/stat.h>

#include "bus.h"
#include "io-util.h"
#include "log.h"
#include "lpmaint.h"
#include "macro.h"
#include "patch.h"
#include "progress.h"
#include "watch.h"

/* Generous; lpmaintd refuses manifests far smaller than this itself. */
#define MANIFEST_READ_MAX (1024 * 1024)

/* Opens one of the three files. -EBADFD if it is not a regular file, which
 * lpmaintd would refuse anyway, but later and less clearly. */
static int open_regular(const char *path, int *ret) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;

        *ret = fd;
        fd = -EBADF;
        return 0;
}

/* Reads the manifest through the descriptor we are going to send, with
 * pread() so the file offset shared with lpmaintd stays at 0. */
static int read_manifest(int fd, char **ret) {
        g_autofree char *buf = g_malloc(MANIFEST_READ_MAX + 1);

        ssize_t n = pread_full(fd, buf, MANIFEST_READ_MAX + 1, 0);
        if (n < 0)
                return (int) n;
        size_t size = (size_t) n;
        if (size > MANIFEST_READ_MAX)
                return -EFBIG;

        buf[size] = 0;
        *ret = g_steal_pointer(&buf);
        return (int) size;
}

static int log_open_failure(const char *what, const char *path, int r) {
        if (r == -EBADFD)
                return log_error(LPMAINT_EXIT_FAILED, "The %s '%s' is not a regular file.", what, path);
        return log_errno(LPMAINT_EXIT_FAILED, r, "Failed to open %s '%s'", what, path);
}

static bool module_name_is_valid(const char *s) {
        return s && *s && !strchr(s, '/') && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

/* Everything that can be checked without the daemon, so that a typo fails
 * here, before any bus call or password prompt. */
static int open_files(const char *manifest, int *manifest_fd, int *signature_fd, int *module_fd) {
        _cleanup_close_ int mfd = -EBADF, sfd = -EBADF, kfd = -EBADF;
        g_autoptr(GKeyFile) kf = g_key_file_new();
        g_autoptr(GError) gerror = NULL;
        g_autofree char *data = NULL, *module = NULL, *dir = NULL, *module_path = NULL, *signature = NULL;
        int r, size;

        r = open_regular(manifest, &mfd);
        if (r < 0)
                return log_open_failure("manifest", manifest, r);

        size = read_manifest(mfd, &data);
        if (size < 0)
                return log_errno(LPMAINT_EXIT_FAILED, size, "Failed to read manifest '%s'", manifest);

        if (!g_key_file_load_from_data(kf, data, size, G_KEY_FILE_NONE, &gerror))
                return log_error(LPMAINT_EXIT_FAILED, "Failed to parse manifest '%s': %s", manifest, gerror->message);

        module = g_key_file_get_string(kf, "Patch", "Module", &gerror);
        if (!module)
                return log_error(LPMAINT_EXIT_FAILED, "Manifest '%s' names no module: %s", manifest, gerror->message);
        if (!module_name_is_valid(module))
                return log_error(LPMAINT_EXIT_FAILED,
                                 "Manifest '%s' has an invalid Module=%s: expected a file name without '/'.",
                                 manifest, module);

        signature = arg_signature ? g_strdup(arg_signature) : g_strconcat(manifest, ".p7s", NULL);
        r = open_regular(signature, &sfd);
        if (r < 0)
                return log_open_failure("signature", signature, r);

        dir = g_path_get_dirname(manifest);
        module_path = g_build_filename(dir, module, NULL);
        r = open_regular(module_path, &kfd);
        if (r < 0)
                return log_open_failure("module", module_path, r);

        *manifest_fd = mfd;
        *signature_fd = sfd;
        *module_fd = kfd;
        mfd = sfd = kfd = -EBADF;
        return 0;
}

static int call_apply(sd_bus *bus, int manifest_fd, int signature_fd, int module_fd,
                      char **ret_path, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        unsigned n_options = (unsigned) arg_break_glass + (unsigned) arg_allow_downgrade;
        const char *path;
        int r;

        /* Only the options asked for are sent: an older lpmaintd refuses unknown
         * ones. The array takes the first n_options of the two entries given,
         * so a lone --allow-downgrade takes the first place. */
        r = bus_call(bus, LPMAINT_OBJECT_PATH, LPMAINT_MANAGER_INTERFACE, "Apply", CALL_PRIVILEGED, true, &reply, error,
                     "hhha{sv}", manifest_fd, signature_fd, module_fd, n_options,
                     arg_break_glass ? "break-glass" : "allow-downgrade", "b", 1,
                     "allow-downgrade", "b", 1);
        if (r < 0)
                return r;

        r = sd_bus_message_read_basic(reply, 'o', &path);
        if (r < 0)
                return r;

        *ret_path = g_strdup(path);
        return 0;
}

int verb_apply(int argc, char *argv[], void *userdata) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(watch_done) Watch w = {};
        _cleanup_close_ int manifest_fd = -EBADF, signature_fd = -EBADF, module_fd = -EBADF;
        g_autoptr(Patch) p = NULL;
        g_autofree char *path = NULL;
        int r;

        r = open_files(argv[1], &manifest_fd, &signature_fd, &module_fd);
        if (r != 0)
                return r;

        r = acquire_bus(&bus);
        if (r != 0)
                return r;

        if (sd_bus_can_send(bus, SD_BUS_TYPE_UNIX_FD) <= 0)
                return log_error(LPMAINT_EXIT_FAILED, "This bus connection cannot pass file descriptors.");

        if (arg_wait) {
                r = watch_start(bus, &w, "apply");
                if (r < 0)
                        return log_bus_error(NULL, r, "Failed to subscribe to lpmaintd's signals");
        }

        r = call_apply(bus, manifest_fd, signature_fd, module_fd, &path, &error);
        if (r < 0) {
                r = log_bus_error(&error, r, "Failed to apply '%s'", argv[1]);
                /* Outside the automation group (root too), the one way in is an
                 * administrator's emergency apply. */
                if (sd_bus_error_has_name(&error, SD_BUS_ERROR_ACCESS_DENIED) && !arg_break_glass)
                        fprintf(stderr, "An administrator outside the automation group can apply it in an emergency with\n"
                                        "'lpmaint apply --break-glass %s' (audited, flagged until acknowledged).\n", argv[1]);
                return r;
        }

        r = patch_get(bus, path, &p, &error);
        if (r < 0)
                return log_bus_error(&error, r, "Failed to read the state of %s", path);

        log_info("Verified and loaded %s %s.\n", strdash(p->name), strdash(p->version));

        if (!arg_wait)
                return LPMAINT_EXIT_SUCCESS;

        r = watch_set_path(&w, path);
        if (r < 0)
                return log_errno(LPMAINT_EXIT_FAILED, r, "lpmaintd returned an invalid object path '%s'", path);

        return follow_transition(bus, &w, g_steal_pointer(&p));
}
