/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* A simulated kernel for the sandbox and the tests. It keeps the files of the
 * livepatch sysfs ABI under its own root and behaves as the kernel documents:
 * inserting a livepatch module starts a transition that takes time; a task
 * listed in sim/stuck-pids never switches to the patched state, so that
 * transition never finishes on its own; writing the opposite value to
 * "enabled" during a transition reverses it; a finished disable removes the
 * patch directory; a finished atomic-replace patch removes the others.
 *
 * Transitions are kept as deadlines in files and advanced whenever the kernel
 * is looked at, so the simulated kernel survives lpmaintd being killed.
 *
 * Knobs under the root: sim/transition-ms (default 500), sim/stuck-pids (one
 * pid per line; give it a proc/PID/task/PID/{comm,patch_state} directory),
 * sim/pinned-modules (module names whose removal fails with EBUSY, as if
 * something held a reference). PSI is proc/pressure/{cpu,io,memory}.
 * The simulated kernel's log, in the words of kernel/livepatch/, is sim/kmsg.
 * A sim module is an atomic-replace patch when its .modinfo says
 * "sim_klp_replace=Y", standing for struct klp_patch's replace field, which
 * lpmaintd does not read; older sim modules say "livepatch_replace=Y", the
 * declaration lpmaintd checks against the manifest. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "kernel-private.h"
#include "modinfo.h"
#include "taint.h"
#include "util.h"

#define TAINT_OOT_MODULE (UINT64_C(1) << TAINT_OOT_MODULE_BIT)
#define TAINT_LIVEPATCH  (UINT64_C(1) << TAINT_LIVEPATCH_BIT)
#define DEFAULT_TRANSITION_MSEC 500

typedef struct Sim {
        /* Whether a transition may be running. Only lpmaintd starts
         * transitions, so this spares the simulation a directory scan on
         * every look when none is. */
        bool transitions_pending;
} Sim;

static Sim *sim(const Kernel *k) {
        return k->impl;
}

static void kmsg(const Kernel *k, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void kmsg(const Kernel *k, const char *fmt, ...) {
        g_autofree char *path = kernel_path(k, "sim/kmsg");
        va_list ap;

        va_start(ap, fmt);
        g_autofree char *line = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        FILE *f = fopen(path, "ae");
        if (!f)
                return;
        fprintf(f, "livepatch: %s\n", line);
        fclose(f);
}

static int put(const Kernel *k, const char *rel, const char *value) {
        g_autofree char *path = g_build_filename(k->root, rel, NULL);
        g_autofree char *dir = g_path_get_dirname(path);
        g_autofree char *line = g_strconcat(value, "\n", NULL);

        if (mkdir_p(dir, 0755) < 0 || !g_file_set_contents(path, line, -1, NULL))
                return -EIO;
        return 0;
}

static int put_default(const Kernel *k, const char *rel, const char *value) {
        g_autofree char *path = g_build_filename(k->root, rel, NULL);
        return g_file_test(path, G_FILE_TEST_EXISTS) ? 0 : put(k, rel, value);
}

#define PRESSURE_IDLE "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"

static int sim_setup(Kernel *k) {
        struct utsname u;

        k->impl = g_new0(Sim, 1);
        sim(k)->transitions_pending = true; /* left by an earlier run, perhaps */
        g_autofree char *boot_id = g_uuid_string_random();
        g_autofree char *btime = g_strdup_printf("btime %" PRIu64, now_realtime_usec() / USEC_PER_SEC);
        int r = 0;

        if (uname(&u) < 0)
                return -errno;

        const char *dirs[] = { "sys/kernel/livepatch", "sys/module", "sim/transitions", "sim/modules", "boot" };
        for (size_t i = 0; i < G_N_ELEMENTS(dirs); i++) {
                g_autofree char *p = g_build_filename(k->root, dirs[i], NULL);
                if ((r = mkdir_p(p, 0755)) < 0)
                        return r;
        }
        if ((r = put_default(k, "proc/sys/kernel/osrelease", u.release)) < 0 ||
            (r = put_default(k, "proc/sys/kernel/tainted", "0")) < 0 ||
            (r = put_default(k, "proc/sys/kernel/random/boot_id", boot_id)) < 0 ||
            (r = put_default(k, "proc/stat", btime)) < 0 ||
            (r = put_default(k, "proc/sys/kernel/version", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.0-1 (2026-10-01)")) < 0 ||
            (r = put_default(k, "proc/cmdline", "BOOT_IMAGE=/boot/vmlinuz-sim root=/dev/sim ro")) < 0 ||
            (r = put_default(k, "proc/pressure/cpu", PRESSURE_IDLE)) < 0 ||
            (r = put_default(k, "proc/pressure/io", PRESSURE_IDLE)) < 0 ||
            (r = put_default(k, "proc/pressure/memory", PRESSURE_IDLE)) < 0 ||
            (r = put_default(k, "proc/1/task/1/comm", "systemd")) < 0 ||
            (r = put_default(k, "proc/1/task/1/patch_state", "-1")) < 0)
                return r;
        return 0;
}

static uint64_t transition_usec(const Kernel *k) {
        g_autofree char *path = kernel_path(k, "sim/transition-ms");
        g_autofree char *v = NULL;

        if (read_one_line(path, &v) < 0)
                return DEFAULT_TRANSITION_MSEC * USEC_PER_MSEC;
        return g_ascii_strtoull(v, NULL, 10) * USEC_PER_MSEC;
}

/* Whether the line list SIM/@file names @item. */
static bool sim_list_contains(const Kernel *k, const char *file, const char *item) {
        g_autofree char *path = kernel_path(k, "%s", file);
        g_autofree char *text = NULL;

        if (!g_file_get_contents(path, &text, NULL, NULL))
                return false;
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
        for (size_t i = 0; lines[i]; i++)
                if (g_str_equal(g_strstrip(lines[i]), item))
                        return true;
        return false;
}

static bool pid_is_stuck(const Kernel *k, const char *pid) {
        return sim_list_contains(k, "sim/stuck-pids", pid);
}

/* Sets every task's patch_state; stuck tasks keep @stuck_value unless it is NULL. */
static bool set_task_states(const Kernel *k, const char *value, const char *stuck_value) {
        g_autofree char *proc = kernel_path(k, "proc");
        g_autoptr(GDir) d = g_dir_open(proc, 0, NULL);
        bool any_stuck = false;
        const char *pid;

        while (d && (pid = g_dir_read_name(d))) {
                g_autofree char *state = g_build_filename("proc", pid, "task", pid, "patch_state", NULL);
                g_autofree char *abs = g_build_filename(k->root, state, NULL);
                if (!g_file_test(abs, G_FILE_TEST_EXISTS))
                        continue;
                bool stuck = stuck_value && pid_is_stuck(k, pid);
                any_stuck |= stuck;
                (void) put(k, state, stuck ? stuck_value : value);
        }
        return any_stuck;
}

static int add_taint(const Kernel *k, uint64_t flags) {
        g_autofree char *path = kernel_path(k, "proc/sys/kernel/tainted");
        g_autofree char *v = NULL;

        if (read_one_line(path, &v) < 0)
                return -EIO;
        g_autofree char *n = g_strdup_printf("%" G_GUINT64_FORMAT, g_ascii_strtoull(v, NULL, 10) | flags);
        return put(k, "proc/sys/kernel/tainted", n);
}

static int start_transition(Kernel *k, const char *name, bool target) {
        g_autofree char *rel = g_strdup_printf("sim/transitions/%s", name);
        g_autofree char *record = g_strdup_printf("%d %" G_GUINT64_FORMAT, target, now_realtime_usec() + transition_usec(k));
        g_autofree char *tr = g_strdup_printf("sys/kernel/livepatch/%s/transition", name);
        g_autofree char *en = g_strdup_printf("sys/kernel/livepatch/%s/enabled", name);
        int r;

        if ((r = put(k, en, target ? "1" : "0")) < 0 || (r = put(k, tr, "1")) < 0)
                return r;
        sim(k)->transitions_pending = true;
        return put(k, rel, record);
}

static bool transition_in_progress(const Kernel *k, const char *except) {
        g_autofree char *dir = kernel_path(k, "sim/transitions");
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        const char *e;

        while (d && (e = g_dir_read_name(d)))
                if (!except || !g_str_equal(e, except))
                        return true;
        return false;
}

static void finish_transition(const Kernel *k, const char *name, bool target) {
        g_autofree char *record = kernel_path(k, "sim/transitions/%s", name);
        g_autofree char *patch_dir = kernel_path(k, "sys/kernel/livepatch/%s", name);
        g_autofree char *replace_path = g_build_filename(patch_dir, "replace", NULL);
        g_autofree char *replace = NULL;

        (void) set_task_states(k, "-1", NULL);
        (void) unlink(record);
        kmsg(k, "'%s': completing %s transition", name, target ? "patching" : "unpatching");

        if (!target) {
                kmsg(k, "'%s': unpatching complete", name);
                (void) rm_rf(patch_dir);
                return;
        }

        g_autofree char *tr = g_strdup_printf("sys/kernel/livepatch/%s/transition", name);
        (void) put(k, tr, "0");
        kmsg(k, "'%s': patching complete", name);

        if (read_one_line(replace_path, &replace) < 0 || !g_str_equal(replace, "1"))
                return;
        /* Atomic replace: every other patch is gone once this one is in. */
        g_autofree char *lp = kernel_path(k, "sys/kernel/livepatch");
        g_autoptr(GDir) d = g_dir_open(lp, 0, NULL);
        const char *e;
        while (d && (e = g_dir_read_name(d)))
                if (!g_str_equal(e, name)) {
                        g_autofree char *other = g_build_filename(lp, e, NULL);
                        (void) rm_rf(other);
                }
}

static void sim_advance(Kernel *k) {
        if (!sim(k)->transitions_pending)
                return;

        g_autofree char *dir = kernel_path(k, "sim/transitions");
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        uint64_t now = now_realtime_usec();
        bool pending = false;
        const char *name;

        while (d && (name = g_dir_read_name(d))) {
                g_autofree char *path = g_build_filename(dir, name, NULL);
                g_autofree char *record = NULL;
                int target = 0;
                guint64 deadline = 0;

                if (read_one_line(path, &record) < 0 ||
                    sscanf(record, "%d %" G_GUINT64_FORMAT, &target, &deadline) != 2)
                        continue;
                /* A task sleeping in a patched function cannot switch to the new
                 * code; switching back to the old one is always possible. */
                if (now < deadline || set_task_states(k, target ? "1" : "0", target ? "0" : NULL)) {
                        pending = true;
                        continue;
                }
                finish_transition(k, name, target);
        }
        sim(k)->transitions_pending = pending || !d;
}

static int sim_insert(Kernel *k, const char *name, GBytes *image) {
        g_autofree char *image_rel = g_strdup_printf("sim/modules/%s.ko", name);
        g_autofree char *image_path = g_build_filename(k->root, image_rel, NULL);
        g_autoptr(GHashTable) modinfo = NULL;
        gsize size;
        const void *data = g_bytes_get_data(image, &size);
        int r;

        sim_advance(k);

        g_autofree char *initstate = kernel_path(k, "sys/module/%s/initstate", name);
        if (access(initstate, F_OK) == 0)
                return -EEXIST;
        if (!g_file_set_contents(image_path, data, (gssize) size, NULL))
                return -EIO;
        r = module_read_modinfo(image_path, &modinfo);
        if (r < 0 || !g_str_equal(g_hash_table_lookup(modinfo, "name") ?: "", name)) {
                (void) unlink(image_path);
                return -ENOEXEC;
        }

        bool livepatch = g_str_equal(g_hash_table_lookup(modinfo, "livepatch") ?: "", "Y");
        const char *klp_replace = g_hash_table_lookup(modinfo, "sim_klp_replace") ?: g_hash_table_lookup(modinfo, "livepatch_replace");
        bool replace = g_str_equal(klp_replace ?: "", "Y");
        bool intree = g_str_equal(g_hash_table_lookup(modinfo, "intree") ?: "", "Y");

        /* klp_enable_patch() refuses while another patch is in transition. */
        if (livepatch && transition_in_progress(k, NULL)) {
                (void) unlink(image_path);
                return -EBUSY;
        }

        g_autofree char *initstate_rel = g_strdup_printf("sys/module/%s/initstate", name);
        if ((r = put(k, initstate_rel, "live")) < 0)
                return r;
        if (!intree && (r = add_taint(k, TAINT_OOT_MODULE)) < 0)
                return r;
        if (!livepatch)
                return 0;

        g_autofree char *replace_rel = g_strdup_printf("sys/kernel/livepatch/%s/replace", name);
        g_autofree char *force_rel = g_strdup_printf("sys/kernel/livepatch/%s/force", name);
        if ((r = put(k, replace_rel, replace ? "1" : "0")) < 0 ||
            (r = put(k, force_rel, "")) < 0 ||
            (r = add_taint(k, TAINT_LIVEPATCH)) < 0)
                return r;
        (void) set_task_states(k, "0", NULL);
        kmsg(k, "enabling patch '%s'", name);
        kmsg(k, "'%s': starting patching transition", name);
        return start_transition(k, name, true);
}

static int sim_remove(Kernel *k, const char *name) {
        sim_advance(k);

        g_autofree char *module_dir = kernel_path(k, "sys/module/%s", name);
        g_autofree char *patch_dir = kernel_path(k, "sys/kernel/livepatch/%s", name);
        g_autofree char *image = kernel_path(k, "sim/modules/%s.ko", name);

        if (!g_file_test(module_dir, G_FILE_TEST_IS_DIR))
                return -ENOENT;
        /* An enabled livepatch holds a reference on its module; so may
         * anything else (SIM/sim/pinned-modules plays that part). */
        if (g_file_test(patch_dir, G_FILE_TEST_IS_DIR) || sim_list_contains(k, "sim/pinned-modules", name))
                return -EBUSY;
        (void) unlink(image);
        return rm_rf(module_dir);
}

static int sim_set_enabled(Kernel *k, const char *name, bool enabled) {
        g_autofree char *en_path = kernel_path(k, "sys/kernel/livepatch/%s/enabled", name);
        g_autofree char *tr_path = kernel_path(k, "sys/kernel/livepatch/%s/transition", name);
        g_autofree char *en = NULL, *tr = NULL;
        int r;

        sim_advance(k);

        if ((r = read_one_line(en_path, &en)) < 0 || (r = read_one_line(tr_path, &tr)) < 0)
                return r;
        if (g_str_equal(en, enabled ? "1" : "0"))
                return -EINVAL;
        if (transition_in_progress(k, name))
                return -EBUSY;

        if (g_str_equal(tr, "1")) {
                kmsg(k, "'%s': reversing transition from %s", name, enabled ? "unpatching to patching" : "patching to unpatching");
                return start_transition(k, name, enabled);
        }
        if (enabled)
                return -EINVAL; /* a disabled patch is gone; it cannot be enabled again */
        (void) set_task_states(k, "1", NULL);
        kmsg(k, "'%s': starting unpatching transition", name);
        return start_transition(k, name, false);
}

static char *sim_start_notice(const Kernel *k) {
        return g_strdup_printf("Running on a SIMULATED kernel at %s: nothing here touches the real kernel.", k->root);
}

/* The log is SIM/sim/kmsg, one message per line, its line number standing in
 * for the sequence number. */
static int on_log_change(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        KernelLog *l = userdata;

        l->wake(l->userdata);
        return 0;
}

static int sim_log_watch(KernelLog *l, sd_event *event, sd_event_source **ret) {
        g_autofree char *dir = kernel_path(l->kernel, "sim");
        return sd_event_add_inotify(event, ret, dir, IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE | IN_MOVED_TO,
                                    on_log_change, l);
}

static void sim_log_read(KernelLog *l, KernelLogFunc func, void *userdata) {
        g_autofree char *path = kernel_path(l->kernel, "sim/kmsg");
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return;

        g_autoptr(GString) text = g_string_new(NULL);
        char buf[4096];
        ssize_t n;
        while ((n = pread(fd, buf, sizeof(buf), l->offset + (off_t) text->len)) > 0)
                g_string_append_len(text, buf, n);

        /* Only whole lines: a line being written is read next time. */
        size_t start = 0;
        for (size_t i = 0; i < text->len; i++) {
                if (text->str[i] != '\n')
                        continue;
                func(++l->seq, text->str + start, i - start, userdata);
                start = i + 1;
        }
        l->offset += (off_t) start;
}

static int sim_log_scan(Kernel *k, uint64_t counts[_KMSG_EVENT_MAX], uint64_t *ret_oldest_usec) {
        /* The simulated log has no times: it is as old as the boot. */
        g_autofree char *path = kernel_path(k, "sim/kmsg");
        g_autoptr(GBytes) bytes = NULL;
        int r = read_file_at(AT_FDCWD, path, 16 << 20, &bytes);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        g_autofree char *text = g_strndup(g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes));
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
        for (size_t i = 0; lines[i]; i++)
                counts[kmsg_classify(lines[i], strlen(lines[i]))]++;
        return 0;
}

/* Pressure has no triggers here: a change of SIM/proc/pressure/RESOURCE fires. */
static int on_pressure_change(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        PressureTrigger *t = userdata;

        if (ev->len > 0 && g_str_equal(ev->name, pressure_resource_to_string(t->res)))
                t->func(t->res, t->userdata);
        return 0;
}

static int sim_pressure_trigger(Kernel *k, sd_event *event, PressureTrigger *t, sd_event_source **ret) {
        g_autofree char *dir = kernel_path(k, "proc/pressure");
        return sd_event_add_inotify(event, ret, dir, IN_CLOSE_WRITE | IN_MOVED_TO, on_pressure_change, t);
}

const KernelOps kernel_sim_ops = {
        .simulated = true,
        .setup = sim_setup,
        .free_impl = g_free,
        .start_notice = sim_start_notice,
        .advance = sim_advance,
        .insert = sim_insert,
        .remove = sim_remove,
        .set_enabled = sim_set_enabled,
        .log_watch = sim_log_watch,
        .log_read = sim_log_read,
        .log_scan = sim_log_scan,
        .pressure_trigger = sim_pressure_trigger,
};
