/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel-private.h"
#include "string-table.h"
#include "util.h"

char *kernel_path(const Kernel *k, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        g_autofree char *rel = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        return g_build_filename(k->root, rel, NULL);
}

void kernel_free(Kernel *k) {
        if (!k)
                return;
        if (k->impl)
                k->ops->free_impl(k->impl);
        g_free(k->root);
        g_free(k->release);
        g_free(k);
}

int kernel_new(const char *sim_root, Kernel **ret) {
        g_autoptr(Kernel) k = g_new0(Kernel, 1);
        int r;

        k->ops = sim_root ? &kernel_sim_ops : &kernel_real_ops;
        k->root = g_strdup(sim_root ?: "/");
        if (k->ops->setup) {
                r = k->ops->setup(k);
                if (r < 0)
                        return r;
        }

        g_autofree char *osrelease = kernel_path(k, "proc/sys/kernel/osrelease");
        r = read_one_line(osrelease, &k->release);
        if (r < 0)
                return r;

        g_autofree char *lp = kernel_path(k, "sys/kernel/livepatch");
        k->livepatch_supported = g_file_test(lp, G_FILE_TEST_IS_DIR);

        *ret = g_steal_pointer(&k);
        return 0;
}

bool kernel_is_simulated(const Kernel *k) {
        return k->ops->simulated;
}

char *kernel_start_notice(const Kernel *k) {
        return k->ops->start_notice ? k->ops->start_notice(k) : NULL;
}

const char *kernel_release(const Kernel *k) {
        return k->release;
}

bool kernel_livepatch_supported(const Kernel *k) {
        return k->livepatch_supported;
}

static void advance(Kernel *k) {
        if (k->ops->advance)
                k->ops->advance(k);
}

int kernel_insert_module(Kernel *k, const char *name, GBytes *image) {
        return k->ops->insert(k, name, image);
}

int kernel_remove_module(Kernel *k, const char *name) {
        return k->ops->remove(k, name);
}

static int read_flag(const char *path, bool *ret) {
        g_autofree char *v = NULL;
        int r = read_one_line(path, &v);
        if (r < 0)
                return r;
        *ret = g_str_equal(v, "1");
        return 0;
}

int kernel_patch_view(Kernel *k, const char *name, KernelPatchView *ret) {
        KernelPatchView v = {};
        int r;

        advance(k);

        g_autofree char *initstate = kernel_path(k, "sys/module/%s/initstate", name);
        v.module_loaded = access(initstate, F_OK) == 0;

        g_autofree char *dir = kernel_path(k, "sys/kernel/livepatch/%s", name);
        g_autofree char *enabled = g_build_filename(dir, "enabled", NULL);
        g_autofree char *transition = g_build_filename(dir, "transition", NULL);
        r = read_flag(enabled, &v.enabled);
        if (r == -ENOENT) {
                *ret = v; /* the kernel removes the directory once a patch is gone */
                return 0;
        }
        if (r < 0)
                return r;
        r = read_flag(transition, &v.transition);
        if (r == -ENOENT) {
                *ret = (KernelPatchView) { .module_loaded = v.module_loaded };
                return 0;
        }
        if (r < 0)
                return r;
        v.present = true;
        *ret = v;
        return 0;
}

int kernel_set_enabled(Kernel *k, const char *name, bool enabled) {
        return k->ops->set_enabled(k, name, enabled);
}

static gint compare_strings(gconstpointer a, gconstpointer b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

int kernel_list_patches(Kernel *k, char ***ret) {
        advance(k);

        g_autofree char *dir = kernel_path(k, "sys/kernel/livepatch");
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        const char *e;
        while (d && (e = g_dir_read_name(d)))
                g_ptr_array_add(names, g_strdup(e));
        g_ptr_array_sort(names, compare_strings);
        g_ptr_array_add(names, NULL);
        *ret = (char **) g_ptr_array_free(g_steal_pointer(&names), false);
        return 0;
}

static bool is_number(const char *s) {
        if (!*s)
                return false;
        for (; *s; s++)
                if (!g_ascii_isdigit(*s))
                        return false;
        return true;
}

int kernel_blocking_tasks(Kernel *k, bool target_patched, GArray **ret) {
        g_autoptr(GArray) tasks = g_array_new(false, true, sizeof(KernelTask));
        g_array_set_clear_func(tasks, (GDestroyNotify) kernel_task_clear);
        const char *target = target_patched ? "1" : "0";

        advance(k);

        g_autofree char *proc = kernel_path(k, "proc");
        g_autoptr(GDir) d = g_dir_open(proc, 0, NULL);
        const char *pid;
        while (d && (pid = g_dir_read_name(d))) {
                if (!is_number(pid))
                        continue;
                g_autofree char *taskdir = g_build_filename(proc, pid, "task", NULL);
                g_autoptr(GDir) td = g_dir_open(taskdir, 0, NULL);
                const char *tid;
                while (td && (tid = g_dir_read_name(td))) {
                        g_autofree char *state_path = g_build_filename(taskdir, tid, "patch_state", NULL);
                        g_autofree char *state = NULL;
                        if (!is_number(tid) || read_one_line(state_path, &state) < 0)
                                continue; /* tasks come and go */
                        /* -1: no transition for this task; otherwise 0 or 1. */
                        if (g_str_equal(state, "-1") || g_str_equal(state, target))
                                continue;

                        g_autofree char *comm_path = g_build_filename(taskdir, tid, "comm", NULL);
                        KernelTask t = { .pid = (uint32_t) strtoul(tid, NULL, 10) };
                        if (read_one_line(comm_path, &t.comm) < 0)
                                t.comm = g_strdup("");
                        g_array_append_val(tasks, t);
                }
        }

        *ret = g_steal_pointer(&tasks);
        return 0;
}

int kernel_tainted(Kernel *k, uint64_t *ret) {
        g_autofree char *path = kernel_path(k, "proc/sys/kernel/tainted");
        g_autofree char *v = NULL;

        advance(k);
        int r = read_one_line(path, &v);
        if (r < 0)
                return r;
        char *end = NULL;
        *ret = g_ascii_strtoull(v, &end, 10);
        return end && *end == '\0' && end != v ? 0 : -EINVAL;
}

int kernel_boot_id(Kernel *k, char **ret) {
        g_autofree char *path = kernel_path(k, "proc/sys/kernel/random/boot_id");
        return read_one_line(path, ret);
}

char *kernel_boot_dir(const Kernel *k) {
        return kernel_path(k, "boot");
}

int kernel_build_time(Kernel *k, uint64_t *ret) {
        if (k->build_time_error == 0) {
                g_autofree char *path = kernel_path(k, "proc/sys/kernel/version");
                g_autofree char *v = NULL;
                int r = read_one_line(path, &v);
                if (r >= 0)
                        r = kernel_version_build_time(v, &k->build_time_usec);
                k->build_time_error = r < 0 ? r : 1;
        }
        if (k->build_time_error < 0)
                return k->build_time_error;
        *ret = k->build_time_usec;
        return 0;
}

/* Debian ends the version with the package's date, "... Debian 6.1.158-1 (2025-11-06)";
 * a plain kernel build ends it with the build's date, "... Thu Nov  6 12:00:00 UTC 2025". */
int kernel_version_build_time(const char *version, uint64_t *ret) {
        static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
        int y, mo, d, h, mi, se;
        char mon[4], tz[16];
        const char *open = strrchr(version, '(');

        if (open && sscanf(open, "(%4d-%2d-%2d)", &y, &mo, &d) == 3)
                h = mi = se = 0;
        else {
                g_auto(GStrv) w = g_strsplit_set(version, " ", -1);
                guint n = g_strv_length(w), k = n;
                /* The last six non-empty words. */
                const char *last[6] = {};
                for (int filled = 6; k > 0 && filled > 0; k--)
                        if (w[k - 1][0])
                                last[--filled] = w[k - 1];
                if (!last[0] || sscanf(last[1], "%3s", mon) != 1 || sscanf(last[2], "%d", &d) != 1 ||
                    sscanf(last[3], "%d:%d:%d", &h, &mi, &se) != 3 || sscanf(last[4], "%15s", tz) != 1 ||
                    sscanf(last[5], "%4d", &y) != 1)
                        return -ENODATA;
                mo = string_table_lookup(months, STRING_TABLE_SIZE(months), mon) + 1;
        }
        g_autoptr(GDateTime) dt = mo ? g_date_time_new_utc(y, mo, d, h, mi, se) : NULL;
        if (!dt || g_date_time_to_unix(dt) < 0)
                return -ENODATA;
        *ret = (uint64_t) g_date_time_to_unix(dt) * USEC_PER_SEC;
        return 0;
}

int kernel_cmdline(Kernel *k, char **ret) {
        g_autofree char *path = kernel_path(k, "proc/cmdline");
        return read_one_line(path, ret);
}

int kernel_boot_time(Kernel *k, uint64_t *ret) {
        g_autofree char *path = kernel_path(k, "proc/stat");
        g_autoptr(GBytes) bytes = NULL;
        int r = read_file_at(AT_FDCWD, path, 1 << 20, &bytes);
        if (r < 0)
                return r;

        gsize size;
        g_autofree char *text = g_strndup(g_bytes_get_data(bytes, &size), g_bytes_get_size(bytes));
        const char *line = g_str_has_prefix(text, "btime ") ? text : strstr(text, "\nbtime ");
        if (!line)
                return -ENODATA;
        line = strchr(line + 1, ' ') + 1;
        guint64 sec = g_ascii_strtoull(line, NULL, 10);
        if (sec == 0 || sec > UINT64_MAX / USEC_PER_SEC)
                return -ERANGE;
        *ret = sec * USEC_PER_SEC;
        return 0;
}

int kernel_pressure(Kernel *k, PressureResource res, Pressure *ret) {
        g_autofree char *path = kernel_path(k, "proc/pressure/%s", pressure_resource_to_string(res));
        g_autoptr(GBytes) bytes = NULL;
        int r = read_file_at(AT_FDCWD, path, 4096, &bytes);
        if (r < 0)
                return r;
        g_autofree char *text = g_strndup(g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes));
        return pressure_parse(text, ret);
}

int kernel_lockdown(Kernel *k, char **ret) {
        g_autofree char *path = kernel_path(k, "sys/kernel/security/lockdown");
        g_autofree char *line = NULL;

        /* The file lists every mode and brackets the one in force: "[none] integrity confidentiality". */
        if (read_one_line(path, &line) < 0) {
                *ret = g_strdup("");
                return 0;
        }
        char *open = strchr(line, '['), *close = open ? strchr(open, ']') : NULL;
        if (!open || !close)
                return -EBADMSG;
        *ret = g_strndup(open + 1, (gsize) (close - open - 1));
        return 0;
}

bool kernel_module_sig_enforced(Kernel *k) {
        g_autofree char *path = kernel_path(k, "sys/module/module/parameters/sig_enforce");
        g_autofree char *v = NULL;

        return read_one_line(path, &v) >= 0 && g_str_equal(v, "Y");
}

static uint64_t read_counter(Kernel *k, const char *rel) {
        g_autofree char *path = kernel_path(k, "%s", rel);
        g_autofree char *v = NULL;

        if (read_one_line(path, &v) < 0)
                return 0;
        return g_ascii_strtoull(v, NULL, 10);
}

uint64_t kernel_oops_count(Kernel *k) {
        return read_counter(k, "sys/kernel/oops_count");
}

uint64_t kernel_warn_count(Kernel *k) {
        return read_counter(k, "sys/kernel/warn_count");
}

int kernel_log_open(Kernel *k, KernelLog **ret) {
        KernelLog *l = g_new0(KernelLog, 1);

        l->kernel = k;
        l->fd = -EBADF;
        int r = k->ops->log_open ? k->ops->log_open(l) : 0;
        if (r < 0) {
                kernel_log_free(l);
                return r;
        }
        *ret = l;
        return 0;
}

void kernel_log_free(KernelLog *l) {
        if (!l)
                return;
        if (l->fd >= 0)
                close(l->fd);
        g_free(l);
}

int kernel_log_watch(KernelLog *l, sd_event *event, void (*wake)(void *userdata), void *userdata,
                     sd_event_source **ret) {
        l->wake = wake;
        l->userdata = userdata;
        return l->kernel->ops->log_watch(l, event, ret);
}

void kernel_log_read(KernelLog *l, KernelLogFunc func, void *userdata) {
        l->kernel->ops->log_read(l, func, userdata);
}

int kernel_log_scan(Kernel *k, uint64_t counts[_KMSG_EVENT_MAX], uint64_t *ret_oldest_usec) {
        memset(counts, 0, sizeof(uint64_t) * _KMSG_EVENT_MAX);
        *ret_oldest_usec = 0;
        return k->ops->log_scan(k, counts, ret_oldest_usec);
}

int kernel_pressure_trigger(Kernel *k, sd_event *event, PressureResource res, unsigned threshold,
                            KernelPressureFunc func, void *userdata, sd_event_source **ret) {
        g_autofree PressureTrigger *t = g_new(PressureTrigger, 1);
        sd_event_source *s = NULL;

        *t = (PressureTrigger) { .res = res, .threshold = threshold, .func = func, .userdata = userdata };
        int r = k->ops->pressure_trigger(k, event, t, &s);
        if (r < 0)
                return r;
        /* The trigger lives as long as its source. */
        (void) sd_event_source_set_destroy_callback(s, g_free);
        g_steal_pointer(&t);
        *ret = s;
        return 0;
}
