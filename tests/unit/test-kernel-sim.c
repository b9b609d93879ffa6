/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "errors.h"
#include "kernel.h"
#include "modinfo.h"
#include "test-helpers.h"
#include "util.h"

#define TAINT_OOT_MODULE (UINT64_C(1) << 12)
#define TAINT_LIVEPATCH  (UINT64_C(1) << 15)
#define STUCK_PID "4242"

static char *tmp, *sim;
static Kernel *k;

static const char *release(void) {
        return th_getenv("LPMAINT_TEST_SIM_RELEASE");
}

static void sim_write(const char *rel, const char *value) {
        g_autofree char *line = g_strconcat(value, "\n", NULL);
        th_write_file(sim, rel, line, -1);
}

static void setup(void) {
        tmp = th_mkdtemp();
        sim = g_build_filename(tmp, "sim", NULL);
        sim_write("proc/sys/kernel/osrelease", release());
        sim_write("sim/transition-ms", "30");
        ck_assert_int_eq(kernel_new(sim, &k), 0);
}

static void teardown(void) {
        g_clear_pointer(&k, kernel_free);
        th_rmtree(tmp);
        g_clear_pointer(&tmp, g_free);
        g_clear_pointer(&sim, g_free);
}

static GBytes *module_image(const char *env) {
        g_autoptr(GError) error = NULL;
        char *data = NULL;
        gsize size = 0;

        ck_assert_msg(g_file_get_contents(th_getenv(env), &data, &size, &error), "%s", error ? error->message : "?");
        return g_bytes_new_take(data, size);
}

static int insert(const char *name, const char *env) {
        g_autoptr(GBytes) image = module_image(env);
        return kernel_insert_module(k, name, image);
}

static KernelPatchView view(const char *name) {
        KernelPatchView v;

        ck_assert_int_eq(kernel_patch_view(k, name, &v), 0);
        return v;
}

#define assert_view(name, loaded, present_, enabled_, transition_)                                      \
        do {                                                                                            \
                KernelPatchView _v = view(name);                                                        \
                ck_assert_msg(_v.module_loaded == (loaded) && _v.present == (present_) &&               \
                              _v.enabled == (enabled_) && _v.transition == (transition_),               \
                              "%s: loaded=%d present=%d enabled=%d transition=%d", (name),              \
                              _v.module_loaded, _v.present, _v.enabled, _v.transition);                 \
        } while (0)

/* Looks at the patch until @done holds, for at most 3 seconds. */
static KernelPatchView wait_for(const char *name, bool (*done)(const KernelPatchView *v)) {
        for (int i = 0; i < 300; i++) {
                KernelPatchView v = view(name);
                if (done(&v))
                        return v;
                g_usleep(10 * 1000);
        }
        ck_abort_msg("%s did not settle", name);
}

static bool settled_enabled(const KernelPatchView *v) {
        return v->present && !v->transition;
}

static bool gone(const KernelPatchView *v) {
        return !v->present;
}

static char *patch_list(void) {
        g_auto(GStrv) names = NULL;

        ck_assert_int_eq(kernel_list_patches(k, &names), 0);
        ck_assert_ptr_nonnull(names);
        return g_strjoinv(" ", names);
}

#define assert_patches(want)                                    \
        do {                                                    \
                g_autofree char *_got = patch_list();           \
                ck_assert_str_eq(_got, (want));                 \
        } while (0)

static uint64_t tainted(void) {
        uint64_t t = 0;
        ck_assert_int_eq(kernel_tainted(k, &t), 0);
        return t;
}

static void make_task(const char *pid, const char *comm) {
        g_autofree char *dir = g_strdup_printf("proc/%s/task/%s", pid, pid);
        g_autofree char *c = g_build_filename(dir, "comm", NULL);
        g_autofree char *s = g_build_filename(dir, "patch_state", NULL);
        sim_write(c, comm);
        sim_write(s, "-1");
}

static void set_stuck(const char *pids) {
        th_write_file(sim, "sim/stuck-pids", pids, -1);
}

START_TEST(test_new) {
        g_autofree char *boot_id = NULL, *boot_id2 = NULL;
        g_autoptr(Kernel) k2 = NULL;

        ck_assert(kernel_is_simulated(k));
        ck_assert_str_eq(kernel_release(k), release());
        ck_assert(kernel_livepatch_supported(k));
        assert_patches("");
        ck_assert_uint_eq(tainted(), 0);

        /* The simulated kernel keeps its state: the same boot on a second look. */
        ck_assert_int_eq(kernel_boot_id(k, &boot_id), 0);
        ck_assert_uint_eq(strlen(boot_id), 36);
        ck_assert_int_eq(kernel_new(sim, &k2), 0);
        ck_assert_int_eq(kernel_boot_id(k2, &boot_id2), 0);
        ck_assert_str_eq(boot_id, boot_id2);

        /* Without an osrelease, the simulated kernel is the running one's release. */
        g_autofree char *fresh = g_build_filename(tmp, "fresh", NULL);
        g_autoptr(Kernel) k3 = NULL;
        struct utsname u;
        ck_assert_int_eq(uname(&u), 0);
        ck_assert_int_eq(kernel_new(fresh, &k3), 0);
        ck_assert_str_eq(kernel_release(k3), u.release);
}
END_TEST

START_TEST(test_insert_transition_completes) {
        sim_write("sim/transition-ms", "300");

        ck_assert_int_eq(insert("lp_a", "LPMAINT_TEST_SIM_LP_A"), 0);
        uint64_t t0 = now_monotonic_usec();
        assert_view("lp_a", true, true, true, true);
        ck_assert(tainted() & TAINT_LIVEPATCH);
        ck_assert(tainted() & TAINT_OOT_MODULE);
        assert_patches("lp_a");

        /* The transition takes its time, then ends with the patch applied. */
        KernelPatchView v = wait_for("lp_a", settled_enabled);
        ck_assert_uint_ge(now_monotonic_usec() - t0, 250 * USEC_PER_MSEC);
        ck_assert(v.module_loaded && v.enabled && !v.transition);
        assert_patches("lp_a");

        /* The attributes are sysfs files with the documented values. */
        g_autofree char *enabled = g_build_filename(sim, "sys/kernel/livepatch/lp_a/enabled", NULL);
        g_autofree char *replace = g_build_filename(sim, "sys/kernel/livepatch/lp_a/replace", NULL);
        g_autofree char *initstate = g_build_filename(sim, "sys/module/lp_a/initstate", NULL);
        g_autofree char *e = th_read_file(enabled, NULL), *r = th_read_file(replace, NULL), *i = th_read_file(initstate, NULL);
        ck_assert_str_eq(e, "1\n");
        ck_assert_str_eq(r, "0\n");
        ck_assert_str_eq(i, "live\n");

        /* No task blocks a finished transition. */
        g_autoptr(GArray) tasks = NULL;
        ck_assert_int_eq(kernel_blocking_tasks(k, true, &tasks), 0);
        ck_assert_uint_eq(tasks->len, 0);
}
END_TEST

START_TEST(test_state_survives_new_kernel_object) {
        ck_assert_int_eq(insert("lp_a", "LPMAINT_TEST_SIM_LP_A"), 0);
        g_clear_pointer(&k, kernel_free);
        ck_assert_int_eq(kernel_new(sim, &k), 0);
        wait_for("lp_a", settled_enabled);
        assert_view("lp_a", true, true, true, false);
}
END_TEST

START_TEST(test_insert_twice) {
        ck_assert_int_eq(insert("lp_a", "LPMAINT_TEST_SIM_LP_A"), 0);
        ck_assert_int_eq(insert("lp_a", "LPMAINT_TEST_SIM_LP_A"), -EEXIST);
        wait_for("lp_a", settled_enabled);
        ck_assert_int_eq(insert("lp_a", "LPMAINT_TEST_SIM_LP_A"), -EEXIST);
        assert_view("lp_a", true, true, true, false);
}
END_TEST

START_TEST(test_insert_during_transition) {
        /* A stuck task holds lp_a's transition open for as long as we need. */
        make_task(STUCK_PID, "stuckd");
        set_stuck(STUCK_PID "\n");

        ck_assert_int_eq(insert("lp_a", "LPMAINT_TEST_SIM_LP_A"), 0);
        ck_assert_int_eq(insert("lp_c", "LPMAINT_TEST_SIM_LP_C"), -EBUSY);
        assert_view("lp_c", false, false, false, false);
        ck_assert_int_eq(insert("lp_b", "LPMAINT_TEST_SIM_LP_B_REPLACE"), -EBUSY);
        assert_view("lp_b", false, false, false, false);

        /* An ordinary module does not care. */
        ck_assert_int_eq(insert("not_lp", "LPMAINT_TEST_SIM_NOT_LP"), 0);
        assert_view("not_lp", true, false, false, false);

        /* Once the task is let go, the transition finishes and lp_c may go in. */
        set_stuck("");
        wait_for("lp_a", settled_enabled);
        ck_assert_int_eq(insert("lp_c", "LPMAINT_TEST_SIM_LP_C"), 0);
        wait_for("lp_c", settled_enabled);
        assert_patches("lp_a lp_c");
        assert_patches("lp_a lp_c");
}
END_TEST

START_TEST(test_insert_bad_images) {
        g_autoptr(GBytes) text = g_bytes_new_static("not an ELF file\n", 16);

        /* The bytes must be the module the name says. */
        ck_assert_int_eq(insert("lp_c", "LPMAINT_TEST_SIM_LP_A"), -ENOEXEC);
        assert_view("lp_c", false, false, false, false);
        assert_view("lp_a", false, false, false, false);
        ck_assert_int_eq(kernel_insert_module(k, "lp_a", text), -ENOEXEC);
        assert_view("lp_a", false, false, false, false);
        assert_patches("");
        ck_assert_uint_eq(tainted(), 0);
}
END_TEST

START_TEST(test_disable) {
        ck_assert_int_eq(insert("lp_a", "LPMAINT_TEST_SIM_LP_A"), 0);
        wait_for("lp_a", settled_enabled);

        /* An enabled patch holds its module. */
        ck_assert_int_eq(kernel_remove_module(k, "lp_a"), -EBUSY);
        ck_assert_int_eq(kernel_set_enabled(k, "lp_a", true), -EINVAL);

        sim_write("sim/transition-ms", "200");
        ck_assert_int_eq(kernel_set_enabled(k, "lp_a", false), 0);
        assert_view("lp_a", true, true, false, true);
        ck_assert_int_eq(kernel_remove_module(k, "lp_a"), -EBUSY);
        ck_assert_int_eq(kernel_set_enabled(k, "lp_a", false), -EINVAL);

        /* A finished disable removes the patch directory; the module stays until removed. */
        wait_for("lp_a", gone);
        assert_view("lp_a", true, false, false, false);
        assert_patches("");
        ck_assert_int_eq(kernel_remove_module(k, "lp_a"), 0);
        assert_view("lp_a", false, false, false, false);
        ck_assert_int_eq(kernel_remove_module(k, "lp_a"), -ENOENT);

        /* A disabled patch cannot be enabled again: it is gone. */
        ck_assert_int_lt(kernel_set_enabled(k, "lp_a", true), 0);

        /* Taint stays. */
        ck_assert(tainted() & TAINT_LIVEPATCH);

        /* And the module can be inserted again. */
        ck_assert_int_eq(insert("lp_a", "LPMAINT_TEST_SIM_LP_A"), 0);
        wait_for("lp_a", settled_enabled);
}
END_TEST

START_TEST(test_stuck_task) {
        make_task(STUCK_PID, "stuckd");
        set_stuck(STUCK_PID "\n");

        ck_assert_int_eq(insert("lp_a", "LPMAINT_TEST_SIM_LP_A"), 0);
        /* Long past the 30 ms the transition would take. */
        for (int i = 0; i < 5; i++) {
                g_usleep(25 * 1000);
                assert_view("lp_a", true, true, true, true);
        }

        g_autoptr(GArray) tasks = NULL;
        ck_assert_int_eq(kernel_blocking_tasks(k, true, &tasks), 0);
        ck_assert_uint_eq(tasks->len, 1);
        KernelTask *t = &g_array_index(tasks, KernelTask, 0);
        ck_assert_uint_eq(t->pid, 4242);
        ck_assert_str_eq(t->comm, "stuckd");

        g_autofree char *state_path = g_build_filename(sim, "proc", STUCK_PID, "task", STUCK_PID, "patch_state", NULL);
        g_autofree char *state = th_read_file(state_path, NULL);
        ck_assert_str_eq(state, "0\n");
}
END_TEST

START_TEST(test_reverse_stuck_transition) {
        make_task(STUCK_PID, "stuckd");
        set_stuck(STUCK_PID "\n");

        ck_assert_int_eq(insert("lp_a", "LPMAINT_TEST_SIM_LP_A"), 0);
        g_usleep(50 * 1000);
        assert_view("lp_a", true, true, true, true);

        /* Writing 0 during the transition reverses it; switching back always works. */
        sim_write("sim/transition-ms", "300");
        ck_assert_int_eq(kernel_set_enabled(k, "lp_a", false), 0);
        assert_view("lp_a", true, true, false, true);
        wait_for("lp_a", gone);
        assert_view("lp_a", true, false, false, false);
        assert_patches("");

        g_autoptr(GArray) tasks = NULL;
        ck_assert_int_eq(kernel_blocking_tasks(k, true, &tasks), 0);
        ck_assert_uint_eq(tasks->len, 0);
        ck_assert_int_eq(kernel_remove_module(k, "lp_a"), 0);

        /* No transition is left over: another patch goes in. */
        set_stuck("");
        ck_assert_int_eq(insert("lp_c", "LPMAINT_TEST_SIM_LP_C"), 0);
        wait_for("lp_c", settled_enabled);
}
END_TEST

START_TEST(test_set_enabled_during_other_transition) {
        ck_assert_int_eq(insert("lp_a", "LPMAINT_TEST_SIM_LP_A"), 0);
        wait_for("lp_a", settled_enabled);

        make_task(STUCK_PID, "stuckd");
        set_stuck(STUCK_PID "\n");
        ck_assert_int_eq(insert("lp_c", "LPMAINT_TEST_SIM_LP_C"), 0);

        /* One transition at a time, whichever patch it is. */
        ck_assert_int_eq(kernel_set_enabled(k, "lp_a", false), -EBUSY);
        assert_view("lp_a", true, true, true, false);

        set_stuck("");
        wait_for("lp_c", settled_enabled);
        ck_assert_int_eq(kernel_set_enabled(k, "lp_a", false), 0);
        wait_for("lp_a", gone);
        assert_patches("lp_c");
}
END_TEST

START_TEST(test_replace) {
        /* Inserted in the opposite of lexical order: the list is sorted. */
        ck_assert_int_eq(insert("lp_c", "LPMAINT_TEST_SIM_LP_C"), 0);
        wait_for("lp_c", settled_enabled);
        ck_assert_int_eq(insert("lp_a", "LPMAINT_TEST_SIM_LP_A"), 0);
        wait_for("lp_a", settled_enabled);
        assert_patches("lp_a lp_c");

        /* While the replace patch is in transition, the others are still there. */
        make_task(STUCK_PID, "stuckd");
        set_stuck(STUCK_PID "\n");
        ck_assert_int_eq(insert("lp_b", "LPMAINT_TEST_SIM_LP_B_REPLACE"), 0);
        g_usleep(50 * 1000);
        assert_view("lp_b", true, true, true, true);
        assert_patches("lp_a lp_b lp_c");
        g_autofree char *replace = g_build_filename(sim, "sys/kernel/livepatch/lp_b/replace", NULL);
        g_autofree char *r = th_read_file(replace, NULL);
        ck_assert_str_eq(r, "1\n");

        /* Once it is in, it is the only one; the others' modules remain, unused. */
        set_stuck("");
        wait_for("lp_b", settled_enabled);
        assert_patches("lp_b");
        assert_view("lp_a", true, false, false, false);
        assert_view("lp_c", true, false, false, false);
        ck_assert_int_eq(kernel_remove_module(k, "lp_a"), 0);
        ck_assert_int_eq(kernel_remove_module(k, "lp_c"), 0);
        ck_assert_int_eq(kernel_remove_module(k, "lp_b"), -EBUSY);
}
END_TEST

START_TEST(test_taint) {
        ck_assert_uint_eq(tainted(), 0);
        ck_assert_int_eq(insert("not_lp", "LPMAINT_TEST_SIM_NOT_LP"), 0);
        ck_assert_uint_eq(tainted(), TAINT_OOT_MODULE);
        assert_patches("");
        ck_assert_int_eq(insert("lp_a", "LPMAINT_TEST_SIM_LP_A"), 0);
        ck_assert_uint_eq(tainted(), TAINT_OOT_MODULE | TAINT_LIVEPATCH);
        ck_assert_int_eq(kernel_remove_module(k, "not_lp"), 0);

        /* Garbage in the file is an error, not a number. */
        sim_write("proc/sys/kernel/tainted", "lots");
        uint64_t t;
        ck_assert_int_lt(kernel_tainted(k, &t), 0);
}
END_TEST

/* module_inspect() on the same objects */

START_TEST(test_inspect_livepatch) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        ModuleInfo info = {};

        th_assert_ok(module_inspect(th_getenv("LPMAINT_TEST_SIM_LP_A"), &info, &error), &error);
        ck_assert_str_eq(info.name, "lp_a");
        ck_assert(g_str_has_prefix(info.vermagic, release()));
        ck_assert_str_eq(info.vermagic + strlen(release()), " SMP preempt mod_unload modversions");
        ck_assert(info.livepatch);
        ck_assert(module_vermagic_matches(&info, release()));

        /* The release is a whole word of the vermagic. */
        g_autofree char *prefix = g_strndup(release(), strlen(release()) - 1);
        g_autofree char *longer = g_strconcat(release(), "1", NULL);
        ck_assert(!module_vermagic_matches(&info, prefix));
        ck_assert(!module_vermagic_matches(&info, longer));
        ck_assert(!module_vermagic_matches(&info, "6.1.0-13-amd64"));
        module_info_clear(&info);
        ck_assert_ptr_null(info.name);

        th_assert_ok(module_inspect(th_getenv("LPMAINT_TEST_SIM_LP_B_REPLACE"), &info, &error), &error);
        ck_assert_str_eq(info.name, "lp_b");
        ck_assert(info.livepatch);
        module_info_clear(&info);
}
END_TEST

START_TEST(test_inspect_not_livepatch) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        ModuleInfo info = {};

        th_assert_ok(module_inspect(th_getenv("LPMAINT_TEST_SIM_NOT_LP"), &info, &error), &error);
        ck_assert_str_eq(info.name, "not_lp");
        ck_assert(!info.livepatch);
        ck_assert(module_vermagic_matches(&info, release()));
        module_info_clear(&info);
}
END_TEST

START_TEST(test_inspect_not_a_module) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL, error2 = SD_BUS_ERROR_NULL, error3 = SD_BUS_ERROR_NULL;
        ModuleInfo info = {};
        g_autofree char *text = g_build_filename(tmp, "text.ko", NULL);
        g_autofree char *empty = g_build_filename(tmp, "empty.ko", NULL);
        g_autofree char *missing = g_build_filename(tmp, "missing.ko", NULL);

        th_write_file(tmp, "text.ko", "this is a text file, not a module\n", -1);
        th_write_file(tmp, "empty.ko", "", 0);
        th_assert_bus_error(module_inspect(text, &info, &error), &error, LPMAINT_ERROR_NOT_LIVEPATCH);
        ck_assert_ptr_null(info.name);
        th_assert_bus_error(module_inspect(empty, &info, &error2), &error2, LPMAINT_ERROR_NOT_LIVEPATCH);
        th_assert_bus_error(module_inspect(missing, &info, &error3), &error3, LPMAINT_ERROR_NOT_LIVEPATCH);
}
END_TEST

/* The log, the pressure triggers and the start notice: the calls of the
 * kernel's operations table that are not about patches. */

typedef struct LogLines {
        GPtrArray *lines;
        uint64_t last_seq;
} LogLines;

static void collect(uint64_t seq, const char *message, size_t len, void *userdata) {
        LogLines *got = userdata;

        ck_assert_uint_eq(seq, got->last_seq + 1);
        got->last_seq = seq;
        g_ptr_array_add(got->lines, g_strndup(message, len));
}

static void append_kmsg(const char *text) {
        g_autofree char *path = g_build_filename(sim, "sim/kmsg", NULL);
        FILE *f = fopen(path, "ae");
        ck_assert_ptr_nonnull(f);
        fputs(text, f);
        fclose(f);
}

START_TEST(test_log_read) {
        g_autoptr(KernelLog) log = NULL;
        g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
        LogLines got = { .lines = lines };

        ck_assert_int_eq(insert("lp_a", "LPMAINT_TEST_SIM_LP_A"), 0);
        wait_for("lp_a", settled_enabled);
        ck_assert_int_eq(kernel_log_open(k, &log), 0);
        kernel_log_read(log, collect, &got);
        ck_assert_uint_eq(lines->len, 4);
        ck_assert_str_eq(lines->pdata[0], "livepatch: enabling patch 'lp_a'");
        ck_assert_str_eq(lines->pdata[3], "livepatch: 'lp_a': patching complete");

        /* A second read starts where the first stopped; half a line waits for its end. */
        kernel_log_read(log, collect, &got);
        ck_assert_uint_eq(lines->len, 4);
        append_kmsg("one\ntw");
        kernel_log_read(log, collect, &got);
        ck_assert_uint_eq(lines->len, 5);
        ck_assert_str_eq(lines->pdata[4], "one");
        append_kmsg("o\n");
        kernel_log_read(log, collect, &got);
        ck_assert_uint_eq(lines->len, 6);
        ck_assert_str_eq(lines->pdata[5], "two");
        ck_assert_uint_eq(got.last_seq, 6);

        /* A scan counts every line (and the empty rest after the last newline). */
        uint64_t counts[_KMSG_EVENT_MAX], oldest = 1, total = 0;
        ck_assert_int_eq(kernel_log_scan(k, counts, &oldest), 0);
        for (int i = 0; i < _KMSG_EVENT_MAX; i++)
                total += counts[i];
        ck_assert_uint_eq(total, 7);
        ck_assert_uint_eq(oldest, 0);
}
END_TEST

static void count_wake(void *userdata) {
        (*(unsigned *) userdata)++;
}

static void run_event_loop(sd_event *e, unsigned msec) {
        uint64_t until = now_monotonic_usec() + msec * USEC_PER_MSEC;

        while (now_monotonic_usec() < until)
                ck_assert_int_ge(sd_event_run(e, 10 * USEC_PER_MSEC), 0);
}

START_TEST(test_log_watch) {
        g_autoptr(KernelLog) log = NULL;
        sd_event *e = NULL;
        sd_event_source *s = NULL;
        unsigned wakes = 0;

        ck_assert_int_eq(sd_event_new(&e), 0);
        ck_assert_int_eq(kernel_log_open(k, &log), 0);
        ck_assert_int_eq(kernel_log_watch(log, e, count_wake, &wakes, &s), 0);
        run_event_loop(e, 50);
        ck_assert_uint_eq(wakes, 0);
        append_kmsg("a line\n");
        run_event_loop(e, 100);
        ck_assert_uint_gt(wakes, 0);
        sd_event_source_disable_unref(s);
        sd_event_unref(e);
}
END_TEST

static void record_pressure(PressureResource res, void *userdata) {
        GArray *fired = userdata;

        g_array_append_val(fired, res);
}

START_TEST(test_pressure_trigger) {
        sd_event *e = NULL;
        g_autoptr(GArray) fired = g_array_new(false, false, sizeof(PressureResource));
        sd_event_source *s = NULL;

        ck_assert_int_eq(sd_event_new(&e), 0);
        ck_assert_int_eq(kernel_pressure_trigger(k, e, PRESSURE_MEMORY, 500, record_pressure, fired, &s), 0);
        sim_write("proc/pressure/cpu", "some avg10=90.00 avg60=0.00 avg300=0.00 total=9\n");
        run_event_loop(e, 50);
        ck_assert_uint_eq(fired->len, 0);

        sim_write("proc/pressure/memory", "some avg10=90.00 avg60=0.00 avg300=0.00 total=9\n");
        run_event_loop(e, 100);
        ck_assert_uint_ge(fired->len, 1);
        ck_assert_int_eq(g_array_index(fired, PressureResource, 0), PRESSURE_MEMORY);

        /* Unref disarms. */
        sd_event_source_disable_unref(s);
        g_array_set_size(fired, 0);
        sim_write("proc/pressure/memory", "some avg10=0.00 avg60=0.00 avg300=0.00 total=9\n");
        run_event_loop(e, 50);
        ck_assert_uint_eq(fired->len, 0);
        sd_event_unref(e);
}
END_TEST

START_TEST(test_start_notice) {
        g_autofree char *notice = kernel_start_notice(k);
        g_autofree char *want = g_strdup_printf("Running on a SIMULATED kernel at %s: nothing here touches the real kernel.", sim);

        ck_assert_str_eq(notice, want);
}
END_TEST

/* The real kernel, only looked at: nothing here writes to it. */
START_TEST(test_real_kernel) {
        g_autoptr(Kernel) real = NULL;
        struct utsname u;

        ck_assert_int_eq(uname(&u), 0);
        ck_assert_int_eq(kernel_new(NULL, &real), 0);
        ck_assert(!kernel_is_simulated(real));
        ck_assert_ptr_null(kernel_start_notice(real));
        ck_assert_str_eq(kernel_release(real), u.release);
        g_autofree char *boot_dir = kernel_boot_dir(real);
        ck_assert_str_eq(boot_dir, "/boot");
}
END_TEST

static Suite *kernel_sim_suite(void) {
        Suite *s = suite_create("kernel-sim");
        TCase *tc = tcase_create("kernel");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 20);
        tcase_add_test(tc, test_new);
        tcase_add_test(tc, test_insert_transition_completes);
        tcase_add_test(tc, test_state_survives_new_kernel_object);
        tcase_add_test(tc, test_insert_twice);
        tcase_add_test(tc, test_insert_during_transition);
        tcase_add_test(tc, test_insert_bad_images);
        tcase_add_test(tc, test_disable);
        tcase_add_test(tc, test_stuck_task);
        tcase_add_test(tc, test_reverse_stuck_transition);
        tcase_add_test(tc, test_set_enabled_during_other_transition);
        tcase_add_test(tc, test_replace);
        tcase_add_test(tc, test_taint);
        suite_add_tcase(s, tc);

        tc = tcase_create("table");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 20);
        tcase_add_test(tc, test_log_read);
        tcase_add_test(tc, test_log_watch);
        tcase_add_test(tc, test_pressure_trigger);
        tcase_add_test(tc, test_start_notice);
        tcase_add_test(tc, test_real_kernel);
        suite_add_tcase(s, tc);

        tc = tcase_create("modinfo");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_inspect_livepatch);
        tcase_add_test(tc, test_inspect_not_livepatch);
        tcase_add_test(tc, test_inspect_not_a_module);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return th_run_suite(kernel_sim_suite());
}
