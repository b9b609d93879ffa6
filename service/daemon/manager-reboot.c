/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Whether this host needs a reboot, and why, worked out from the state the
 * daemon already keeps each time someone asks. */
#include <stddef.h>
#include <sys/stat.h>

#include "kernel-image.h"
#include "manager.h"
#include "reboot-reasons.h"
#include "util.h"

struct RebootReasonCache {
        GArray *installed_kernels;      /* InstalledKernel, as of boot_dir_mtime */
        struct timespec boot_dir_mtime;
        GArray *reasons;                /* RebootReason, as worked out in the loop iteration of reasons_usec */
        uint64_t reasons_usec;
};

RebootReasonCache *reboot_reason_cache_new(void) {
        return g_new0(RebootReasonCache, 1);
}

RebootReasonCache *reboot_reason_cache_free(RebootReasonCache *c) {
        if (!c)
                return NULL;
        if (c->installed_kernels)
                g_array_unref(c->installed_kernels);
        if (c->reasons)
                g_array_unref(c->reasons);
        return g_free(c), NULL;
}

/* When live patching of the running kernel ends: what the newest signed
 * manifest for it that says so states (a vendor may extend support), else
 * its build date plus the support period. */
uint64_t manager_coverage_end(Manager *m, const char **ret_source) {
        const Manifest *newest = NULL;
        uint64_t built = 0;
        GHashTableIter i;
        Patch *p;

        g_hash_table_iter_init(&i, m->patches);
        while (g_hash_table_iter_next(&i, NULL, (void **) &p))
                if (p->manifest->coverage_ends_usec && g_str_equal(p->manifest->kernel_release, kernel_release(m->kernel)) &&
                    (!newest || p->manifest->issued_usec > newest->issued_usec))
                        newest = p->manifest;
        if (newest) {
                *ret_source = "a signed manifest";
                return newest->coverage_ends_usec;
        }
        if (kernel_build_time(m->kernel, &built) < 0)
                return 0;
        *ret_source = "the kernel's build date and KernelSupportDays=";
        return built + m->config.kernel_support_usec;
}

/* The installed kernels, read again only when the boot directory changed:
 * property reads must stay cheap, and installing or removing a kernel
 * changes the directory. */
static GArray *installed(Manager *m) {
        g_autofree char *dir = kernel_boot_dir(m->kernel);
        struct stat st;

        if (stat(dir, &st) < 0) {
                g_clear_pointer(&m->reboot_reasons->installed_kernels, g_array_unref);
                return NULL;
        }
        if (m->reboot_reasons->installed_kernels && st.st_mtim.tv_sec == m->reboot_reasons->boot_dir_mtime.tv_sec &&
            st.st_mtim.tv_nsec == m->reboot_reasons->boot_dir_mtime.tv_nsec)
                return m->reboot_reasons->installed_kernels;
        g_clear_pointer(&m->reboot_reasons->installed_kernels, g_array_unref);
        if (installed_kernels(dir, &m->reboot_reasons->installed_kernels) < 0)
                return NULL;
        m->reboot_reasons->boot_dir_mtime = st.st_mtim;
        return m->reboot_reasons->installed_kernels;
}

static GArray *compute_reboot_reasons(Manager *m) {
        GArray *reasons = reboot_reasons_new();
        GArray *kernels = installed(m);
        const char *source = NULL;
        GHashTableIter i;
        Patch *p;

        /* The images' own headers say which releases are installed. */
        if (kernels) {
                g_autofree char *newer = installed_kernel_newer_than(kernels, kernel_release(m->kernel));
                for (guint k = 0; newer && k < kernels->len; k++) {
                        const InstalledKernel *ik = &g_array_index(kernels, InstalledKernel, k);
                        struct stat st;
                        if (!g_str_equal(ik->release, newer))
                                continue;
                        /* Since it was installed, as near as the file tells. */
                        uint64_t since = stat(ik->image_path, &st) >= 0 ? (uint64_t) st.st_mtim.tv_sec * USEC_PER_SEC : 0;
                        reboot_reasons_add(reasons, "kernel-installed", since, "kernel %s is installed, %s is running",
                                           newer, kernel_release(m->kernel));
                        break;
                }
        }

        uint64_t end = manager_coverage_end(m, &source);
        if (end && now_realtime_usec() + m->config.coverage_margin_usec >= end) {
                g_autofree char *at = format_timestamp_utc(end);
                reboot_reasons_add(reasons, "coverage-ending", end > m->config.coverage_margin_usec ? end - m->config.coverage_margin_usec : 0,
                                   "live patch coverage of kernel %s ends %s (from %s)", kernel_release(m->kernel), at, source);
        }

        const RebootWave *wave = manager_wave_record(m);
        if (wave && reboot_wave_requested(wave, m->boot_id))
                reboot_reasons_add(reasons, "admin-request", wave->request_usec, "an administrator asked for a reboot%s%s",
                                   wave->request_text[0] ? ": " : "", wave->request_text);

        /* A module the kernel would not let go of is only gone after a reboot. */
        g_hash_table_iter_init(&i, m->patches);
        while (g_hash_table_iter_next(&i, NULL, (void **) &p)) {
                KernelPatchView v;
                if (p->status.result != PATCH_RESULT_REMOVE_FAILED || patch_state_is_transition(p->status.state))
                        continue;
                if (kernel_patch_view(m->kernel, p->name, &v) < 0 || !v.module_loaded)
                        continue;
                reboot_reasons_add(reasons, "module-not-removed", p->state_changed_usec,
                                   "the module of patch %s could not be removed from the kernel", p->name);
        }
        return reasons;
}

/* RebootRequired and RebootReasons come in the same GetAll: they are worked
 * out once per event loop iteration (sd_event_now() stands still within
 * one), and again after anything that announces a change of them. */
GArray *manager_reboot_reasons(Manager *m) {
        uint64_t now = 0;

        if (!m->event || sd_event_now(m->event, CLOCK_MONOTONIC, &now) != 0)
                return compute_reboot_reasons(m); /* not inside the loop: nothing to share */
        if (!m->reboot_reasons->reasons || m->reboot_reasons->reasons_usec != now) {
                g_clear_pointer(&m->reboot_reasons->reasons, g_array_unref);
                m->reboot_reasons->reasons = compute_reboot_reasons(m);
                m->reboot_reasons->reasons_usec = now;
        }
        return g_array_ref(m->reboot_reasons->reasons);
}

void manager_reboot_reasons_forget(Manager *m) {
        g_clear_pointer(&m->reboot_reasons->reasons, g_array_unref);
}

void manager_emit_reboot_changed(Manager *m) {
        manager_reboot_reasons_forget(m);
        if (m->bus)
                (void) sd_bus_emit_properties_changed(m->bus, LPMAINT_OBJECT_PATH, LPMAINT_MANAGER_INTERFACE,
                                                      "RebootRequired", "RebootReasons", NULL);
}
