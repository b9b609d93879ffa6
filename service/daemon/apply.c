/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Apply and disable, after authorization. The order matters: everything is
 * verified on the daemon's own copy before the intent is recorded, the intent
 * is recorded before the kernel is touched, and the kernel gets exactly the
 * bytes that were verified. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <string.h>

#include "errors.h"
#include "log.h"
#include "manager.h"
#include "modinfo.h"
#include "signature.h"
#include "store.h"
#include "util.h"
#include "version-store.h"

static int read_artifact(int fd, size_t max, const char *what, bool may_be_empty, GBytes **ret, sd_bus_error *error) {
        int r = read_regular_fd(fd, max, ret);

        if (r == -EFBIG)
                return sd_bus_error_setf(error, LPMAINT_ERROR_FILE_TOO_LARGE, "The %s is larger than %zu bytes", what, max);
        if (r < 0)
                return sd_bus_error_setf(error, LPMAINT_ERROR_BAD_FILE, "The %s is not a readable regular file", what);
        if (!may_be_empty && g_bytes_get_size(*ret) == 0)
                return sd_bus_error_setf(error, LPMAINT_ERROR_BAD_FILE, "The %s is empty", what);
        return 0;
}

/* Everything that can be checked without the store or the kernel's module loader. */
static int verify_artifacts(Manager *m, GBytes *manifest_bytes, GBytes *signature, GBytes *module,
                            Manifest **ret_manifest, char **ret_signer, sd_bus_error *error) {
        g_autoptr(Manifest) manifest = NULL;
        g_autofree char *signer = NULL;
        char digest[SHA256_HEX_LEN + 1];
        gsize msize, ssize, size;
        const void *mdata = g_bytes_get_data(manifest_bytes, &msize);
        const void *sdata = g_bytes_get_data(signature, &ssize);
        const void *data = g_bytes_get_data(module, &size);
        int r;

        /* Nothing of the manifest is believed before its signature is checked. */
        TrustPolicy policy = {
                .trust_dir = m->config.trust_directory,
                .allowed_signers = m->config.allowed_signers,
                .purpose = m->config.required_purpose,
        };
        r = signature_verify(&policy, mdata, msize, sdata, ssize, &signer, error);
        if (r < 0)
                return r;
        r = manifest_parse(mdata, msize, &manifest, error);
        if (r < 0)
                return r;
        r = manifest_check_time(manifest, now_realtime_usec(), error);
        if (r < 0)
                return r;

        sha256_hex(data, size, digest);
        if (!g_str_equal(digest, manifest->module_sha256))
                return sd_bus_error_setf(error, LPMAINT_ERROR_DIGEST_MISMATCH,
                                         "Module SHA-256 is %s, the manifest promises %s", digest, manifest->module_sha256);
        if (!g_str_equal(manifest->kernel_release, kernel_release(m->kernel)))
                return sd_bus_error_setf(error, LPMAINT_ERROR_WRONG_KERNEL,
                                         "Patch is for kernel %s, this host runs %s", manifest->kernel_release, kernel_release(m->kernel));

        *ret_manifest = g_steal_pointer(&manifest);
        *ret_signer = g_steal_pointer(&signer);
        return 0;
}

static int check_not_present(Manager *m, const char *name, sd_bus_error *error) {
        Patch *old = g_hash_table_lookup(m->patches, name);
        KernelPatchView v;
        int r;

        if (old && (patch_state_is_transition(old->status.state) || old->status.state == PATCH_APPLIED))
                return sd_bus_error_setf(error, LPMAINT_ERROR_ALREADY_APPLIED, "Patch %s is %s", name,
                                         patch_state_to_string(old->status.state));
        r = kernel_patch_view(m->kernel, name, &v);
        if (r < 0)
                return r;
        if (v.present || v.module_loaded)
                return sd_bus_error_setf(error, LPMAINT_ERROR_ALREADY_APPLIED, "A module named %s is already loaded", name);
        return 0;
}

/* A version below the highest one accepted for the stream is a replay of an
 * old patch, unless the caller asked for a downgrade and was authorized for it. */
static int check_rollback(Manager *m, const Manifest *manifest, const ApplyOptions *opts,
                          char **ret_downgraded_from, sd_bus_error *error) {
        g_autofree char *highest = NULL;
        int r = version_store_get(m->config.state_directory, m->patches, manifest->stream, &highest, error);

        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        if (version_compare(manifest->version, highest) >= 0)
                return 0;
        if (!opts->allow_downgrade && !opts->break_glass)
                return sd_bus_error_setf(error, LPMAINT_ERROR_ROLLBACK,
                                         "Version %s of %s is older than version %s already accepted for stream %s",
                                         manifest->version, manifest->name, highest, manifest->stream);
        *ret_downgraded_from = g_steal_pointer(&highest);
        return 0;
}

static int inspect_module(Manager *m, const char *staging_dir, const Manifest *manifest, ModuleInfo *ret, sd_bus_error *error) {
        g_autofree char *path = g_build_filename(staging_dir, PATCH_MODULE_FILE, NULL);
        ModuleInfo info = {};
        int r;

        r = module_inspect(path, &info, error);
        if (r < 0)
                return r;
        if (!info.livepatch)
                r = sd_bus_error_setf(error, LPMAINT_ERROR_NOT_LIVEPATCH, "Module %s is not a livepatch module (no livepatch=Y)", info.name);
        else if (!g_str_equal(info.name, manifest->name))
                r = sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_MANIFEST, "Module is named %s, the manifest names %s", info.name, manifest->name);
        else if (info.replace >= 0 && info.replace != manifest->replace)
                /* Loaded anyway, it would silently take every other patch out
                 * of the kernel (or leave them in while the manifest promises
                 * a cumulative patch). */
                r = sd_bus_error_setf(error, LPMAINT_ERROR_INVALID_MANIFEST,
                                      "The manifest says Replace=%s, the module is %san atomic-replace patch (livepatch_replace=%s)",
                                      manifest->replace ? "true" : "false", info.replace ? "" : "not ",
                                      info.replace ? "Y" : "N");
        else if (!module_vermagic_matches(&info, kernel_release(m->kernel)))
                r = sd_bus_error_setf(error, LPMAINT_ERROR_WRONG_KERNEL, "Module was built for \"%s\", this host runs %s",
                                      info.vermagic, kernel_release(m->kernel));
        if (r < 0) {
                module_info_clear(&info);
                return r;
        }
        *ret = info;
        return 0;
}

static void replace_patch(Manager *m, Patch *p) {
        Patch *old = g_hash_table_lookup(m->patches, p->name);

        /* A new apply under an old name is a new object: its manifest properties are const. */
        if (old && m->bus)
                (void) sd_bus_emit_object_removed(m->bus, old->object_path);
        g_hash_table_replace(m->patches, p->name, p);
        if (m->bus)
                (void) sd_bus_emit_object_added(m->bus, p->object_path);
}

static int apply(Manager *m, const Caller *caller, const ApplyOptions *opts,
                 int manifest_fd, int signature_fd, int module_fd,
                 Patch **ret, sd_bus_error *error) {
        g_autoptr(GBytes) manifest_bytes = NULL, signature = NULL, module = NULL;
        g_autoptr(Manifest) manifest = NULL;
        g_autofree char *signer = NULL, *staging = NULL, *dir = NULL, *downgraded_from = NULL, *note = NULL;
        _cleanup_(module_info_clear) ModuleInfo info = {};
        int r;

        if (!kernel_livepatch_supported(m->kernel))
                return sd_bus_error_set(error, LPMAINT_ERROR_LIVEPATCH_UNSUPPORTED, "The running kernel has no livepatch support (/sys/kernel/livepatch)");

        /* An empty signature is an unsigned patch, which signature_verify() names. */
        if ((r = read_artifact(manifest_fd, MANIFEST_MAX_SIZE, "manifest", false, &manifest_bytes, error)) < 0 ||
            (r = read_artifact(signature_fd, SIGNATURE_MAX_SIZE, "signature", true, &signature, error)) < 0 ||
            (r = read_artifact(module_fd, m->config.max_module_size, "module", false, &module, error)) < 0)
                return r;

        r = verify_artifacts(m, manifest_bytes, signature, module, &manifest, &signer, error);
        if (r < 0)
                return r;
        r = check_not_present(m, manifest->name, error);
        if (r < 0)
                return r;
        r = check_rollback(m, manifest, opts, &downgraded_from, error);
        if (r < 0)
                return r;
        /* Break-glass is for emergencies that cannot wait for the ring's turn. */
        if (!opts->break_glass) {
                r = manifest_check_release(manifest, m->config.ring, now_realtime_usec(), error);
                if (r < 0)
                        return r;
        }

        /* A state directory that cannot be written (full, read-only, failing) refuses
         * here, before the kernel is touched: nothing changes. */
        r = store_stage(m->patches_dir, manifest->name, manifest_bytes, signature, module, &staging);
        if (r < 0)
                return bus_error_set_storage(error, r, "Cannot write the patch to the store");
        r = inspect_module(m, staging, manifest, &info, error);
        if (r < 0) {
                (void) rm_rf(staging);
                return r;
        }

        /* Every check passed: the record that authorizes the apply is durable
         * before anything of it is, or there is no apply. */
        note = g_strdup_printf("version %s%s%s%s%s%s", manifest->version,
                               downgraded_from ? ", deliberate downgrade from " : "", downgraded_from ?: "",
                               opts->break_glass ? ", break-glass" : "",
                               opts->source ? ", from " : "", opts->source ?: "");
        r = manager_audit_accepted(m, caller, opts->break_glass ? "apply-break-glass" : "apply", manifest->name,
                                   manifest->module_sha256, note, error);
        if (r < 0) {
                (void) rm_rf(staging);
                return r;
        }

        /* The intent goes into the store before the kernel is touched. */
        Patch *p = patch_new(staging, g_steal_pointer(&manifest), signer);
        p->status = (PatchStatus) { .state = PATCH_LOADING, .operation = PATCH_OPERATION_APPLY };
        p->requested_uid = caller->uid;
        p->requested_by_self = caller_is_self(caller);
        g_free(p->boot_id);
        p->boot_id = g_strdup(m->boot_id);
        p->break_glass = opts->break_glass;
        g_free(p->source);
        p->source = g_strdup(opts->source ?: "");
        p->transition_started_usec = p->state_changed_usec = now_realtime_usec();
        g_free(p->module_signer);
        p->module_signer = g_steal_pointer(&info.sig_signer);
        g_free(p->module_sig_key);
        p->module_sig_key = g_steal_pointer(&info.sig_key);
        g_free(p->module_sig_hashalgo);
        p->module_sig_hashalgo = g_steal_pointer(&info.sig_hashalgo);
        /* The accepted version is raised before the record is committed: a
         * failure in between leaves no stored patch above the record. */
        r = patch_save(p);
        if (r >= 0) {
                r = version_store_raise(m->config.state_directory, m->patches, p->manifest->stream, p->manifest->version, error);
                if (r < 0) {
                        (void) rm_rf(staging);
                        patch_free(p);
                        return r;
                }
                r = store_commit(m->patches_dir, staging, p->name, &dir);
        }
        if (r < 0) {
                (void) rm_rf(staging);
                patch_free(p);
                return bus_error_set_storage(error, r, "Cannot record the patch in the store");
        }
        g_free(p->dir);
        p->dir = g_steal_pointer(&dir);
        replace_patch(m, p);
        if (downgraded_from)
                log_notice("Patch %s: deliberate downgrade from version %s to %s.", p->name, downgraded_from, p->manifest->version);

        manager_soak_take_baseline(m, p);
        r = kernel_insert_module(m->kernel, p->name, module);
        if (r < 0) {
                g_autofree char *msg = g_strdup_printf("The kernel refused the module: %s", g_strerror(-r));
                patch_set_state(p, PATCH_FAILED, now_realtime_usec());
                patch_set_result(p, PATCH_RESULT_LOAD_FAILED, msg);
                manager_patch_changed(m, p);
                return sd_bus_error_set(error, LPMAINT_ERROR_LOAD_FAILED, msg);
        }

        patch_set_state(p, PATCH_PATCHING, now_realtime_usec());
        manager_patch_changed(m, p);
        manager_follow_transition(m, p);
        log_info("Patch %s %s (module SHA-256 %s, signed by %s) loaded; transition started.",
                 p->name, p->manifest->version, p->manifest->module_sha256, p->signer);
        *ret = p;
        return 0;
}

int manager_disable_check(Patch *p, sd_bus_error *error) {
        if (p->status.state != PATCH_APPLIED)
                return sd_bus_error_setf(error, LPMAINT_ERROR_NOT_APPLIED, "Patch %s is %s, not applied",
                                         p->name, patch_state_to_string(p->status.state));
        return 0;
}

int manager_apply(Manager *m, const Caller *caller, const ApplyOptions *opts,
                  int manifest_fd, int signature_fd, int module_fd,
                  Patch **ret, sd_bus_error *error) {
        int r = apply(m, caller, opts, manifest_fd, signature_fd, module_fd, ret, error);

        /* The artifacts are freed by now, accepted or refused; what the heap
         * kept of them (smaller than the mmap threshold, or fragments) goes
         * back to the kernel rather than staying resident until the next apply. */
        (void) malloc_trim(0);
        return r;
}

int manager_disable(Manager *m, const Caller *caller, Patch *p, sd_bus_error *error) {
        uint64_t now = now_realtime_usec();
        int r;

        r = manager_disable_check(p, error);
        if (r < 0)
                return r;

        /* Kept to put back if the kernel refuses. */
        PatchStatus before = p->status;
        uint64_t before_changed = p->state_changed_usec, before_started = p->transition_started_usec;
        g_autofree char *before_message = g_strdup(p->result_message);

        p->status.operation = PATCH_OPERATION_DISABLE;
        p->status.reversed = false;
        p->requested_uid = caller->uid;
        p->requested_by_self = caller_is_self(caller);
        patch_set_result(p, PATCH_RESULT_NONE, "");
        patch_set_blocking_tasks(p, NULL);
        patch_set_state(p, PATCH_UNPATCHING, now);
        /* The intent is recorded before the kernel is touched; if it cannot be,
         * nothing happens and nothing else is written. */
        r = patch_save(p);
        bool saved = r >= 0;
        if (saved)
                r = kernel_set_enabled(m->kernel, p->name, false);
        if (r < 0) {
                p->status = before;
                p->state_changed_usec = before_changed;
                p->transition_started_usec = before_started;
                patch_set_result(p, before.result, before_message);
                if (!saved)
                        return bus_error_set_storage(error, r, "Cannot record the disable of the patch");
                manager_patch_changed(m, p);
                return sd_bus_error_setf(error, LPMAINT_ERROR_KERNEL_REFUSED, "Cannot disable patch %s: %s", p->name, g_strerror(-r));
        }
        manager_patch_changed(m, p);
        manager_follow_transition(m, p);
        log_info("Patch %s: disable requested; reverse transition started.", p->name);
        return 0;
}

/* A patch that was applied before a reboot goes back into the kernel only as
 * a new apply would: its stored bytes verified again against today's trust
 * store, expiry and kernel, and only the verified bytes loaded. */
int manager_reapply(Manager *m, Patch *p, sd_bus_error *error) {
        g_autoptr(GBytes) manifest_bytes = NULL, signature = NULL, module = NULL;
        g_autoptr(Manifest) manifest = NULL;
        g_autofree char *signer = NULL;
        _cleanup_(module_info_clear) ModuleInfo info = {};
        _cleanup_close_ int dfd = open(p->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int r;

        if (dfd < 0)
                return sd_bus_error_set_errnof(error, errno, "Cannot open the store of %s: %m", p->name);
        if (read_file_at(dfd, PATCH_MANIFEST_FILE, MANIFEST_MAX_SIZE, &manifest_bytes) < 0 ||
            read_file_at(dfd, PATCH_SIGNATURE_FILE, SIGNATURE_MAX_SIZE, &signature) < 0 ||
            read_file_at(dfd, PATCH_MODULE_FILE, m->config.max_module_size, &module) < 0)
                return sd_bus_error_setf(error, LPMAINT_ERROR_BAD_FILE, "The stored files of %s cannot be read", p->name);

        r = verify_artifacts(m, manifest_bytes, signature, module, &manifest, &signer, error);
        if (r < 0)
                return r;
        if (!g_str_equal(manifest->module_sha256, p->manifest->module_sha256))
                return sd_bus_error_setf(error, LPMAINT_ERROR_DIGEST_MISMATCH, "The stored manifest of %s changed", p->name);
        r = inspect_module(m, p->dir, manifest, &info, error);
        if (r < 0)
                return r;
        r = check_not_present(m, p->name, error);
        if (r < 0)
                return r;

        /* Kept to put back if the intent cannot be recorded. */
        PatchStatus before = p->status;
        uint64_t before_changed = p->state_changed_usec, before_started = p->transition_started_usec;
        g_autofree char *before_boot = g_strdup(p->boot_id), *before_message = g_strdup(p->result_message);

        p->status = (PatchStatus) { .state = PATCH_LOADING, .operation = PATCH_OPERATION_APPLY };
        p->requested_uid = 0;
        p->requested_by_self = true;
        p->reapplying = true;
        g_free(p->boot_id);
        p->boot_id = g_strdup(m->boot_id);
        p->transition_started_usec = p->state_changed_usec = now_realtime_usec();
        patch_set_result(p, PATCH_RESULT_NONE, "");
        r = patch_save(p);
        if (r < 0) {
                p->status = before;
                p->state_changed_usec = before_changed;
                p->transition_started_usec = before_started;
                p->reapplying = false;
                g_free(p->boot_id);
                p->boot_id = g_steal_pointer(&before_boot);
                patch_set_result(p, before.result, before_message);
                return bus_error_set_storage(error, r, "Cannot record the patch in the store");
        }

        r = kernel_insert_module(m->kernel, p->name, module);
        if (r < 0) {
                g_autofree char *msg = g_strdup_printf("The kernel refused the module: %s", g_strerror(-r));
                patch_set_state(p, PATCH_FAILED, now_realtime_usec());
                patch_set_result(p, PATCH_RESULT_LOAD_FAILED, msg);
                p->reapplying = false;
                manager_patch_changed(m, p);
                return sd_bus_error_set(error, LPMAINT_ERROR_LOAD_FAILED, msg);
        }
        patch_set_state(p, PATCH_PATCHING, now_realtime_usec());
        manager_patch_changed(m, p);
        manager_follow_transition(m, p);
        log_info("Patch %s %s: applied again after the reboot; transition started.", p->name, p->manifest->version);
        return 0;
}
