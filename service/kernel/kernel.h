/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <systemd/sd-event.h>

#include "kernel-view.h"
#include "kmsg.h"
#include "pressure.h"

/* The kernel as lpmaintd sees it: the livepatch sysfs ABI
 * (Documentation/livepatch/livepatch.rst) under a root directory, plus module
 * insertion and removal, its log and its pressure triggers. The real kernel
 * (kernel-real.c) has root "/"; the simulated one (kernel-sim.c) keeps the
 * same files under a directory of its own. Which of the two runs is chosen
 * once, by kernel_new(); every call below works on either. */
typedef struct Kernel Kernel;

/* The simulated kernel under @sim_root, or the real one if it is NULL. */
int kernel_new(const char *sim_root, Kernel **ret);
void kernel_free(Kernel *k);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Kernel, kernel_free)

bool kernel_is_simulated(const Kernel *k);
/* What to tell the administrator at start about the kernel lpmaintd runs
 * on, or NULL if there is nothing to tell. */
char *kernel_start_notice(const Kernel *k);
const char *kernel_release(const Kernel *k);
bool kernel_livepatch_supported(const Kernel *k);

/* Inserts the module image exactly as given: these are the bytes that were verified. */
int kernel_insert_module(Kernel *k, const char *name, GBytes *image);
int kernel_remove_module(Kernel *k, const char *name);

int kernel_patch_view(Kernel *k, const char *name, KernelPatchView *ret);
/* Writing the opposite value during a transition reverses it. */
int kernel_set_enabled(Kernel *k, const char *name, bool enabled);
/* Livepatch names in /sys/kernel/livepatch, sorted. */
int kernel_list_patches(Kernel *k, char ***ret);
/* Tasks whose /proc/PID/task/TID/patch_state is not yet @target_patched. */
int kernel_blocking_tasks(Kernel *k, bool target_patched, GArray **ret);
int kernel_tainted(Kernel *k, uint64_t *ret);
int kernel_boot_id(Kernel *k, char **ret);
/* When the running kernel was built, from its version string (/proc/sys/kernel/version,
 * as uname -v prints it), read once; -ENODATA if it names no date. */
int kernel_build_time(Kernel *k, uint64_t *ret);
int kernel_version_build_time(const char *version, uint64_t *ret);
/* Where the kernel images are: /boot, or SIM/boot. */
char *kernel_boot_dir(const Kernel *k);
/* The kernel command line (/proc/cmdline). */
int kernel_cmdline(Kernel *k, char **ret);
/* When the kernel booted, realtime usec (btime in /proc/stat). */
int kernel_boot_time(Kernel *k, uint64_t *ret);
/* /sys/kernel/oops_count and warn_count; 0 where the kernel lacks them. */
uint64_t kernel_oops_count(Kernel *k);
uint64_t kernel_warn_count(Kernel *k);
/* /proc/pressure/RESOURCE; -ENOENT on kernels without PSI. */
int kernel_pressure(Kernel *k, PressureResource res, Pressure *ret);
/* The kernel lockdown mode ("none", "integrity", "confidentiality"), or "" without the LSM. */
int kernel_lockdown(Kernel *k, char **ret);
/* Whether the kernel refuses modules without a valid signature (module.sig_enforce). */
bool kernel_module_sig_enforced(Kernel *k);

/* The kernel's log, read from where the last read stopped. */
typedef struct KernelLog KernelLog;
typedef void (*KernelLogFunc)(uint64_t seq, const char *message, size_t len, void *userdata);

int kernel_log_open(Kernel *k, KernelLog **ret);
void kernel_log_free(KernelLog *l);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KernelLog, kernel_log_free)
/* An event source that calls @wake when the log may hold records not read yet. */
int kernel_log_watch(KernelLog *l, sd_event *event, void (*wake)(void *userdata), void *userdata,
                     sd_event_source **ret);
/* Calls @func for each whole record not read yet, oldest first. */
void kernel_log_read(KernelLog *l, KernelLogFunc func, void *userdata);
/* Counts the events of everything the log holds now; @ret_oldest_usec is the
 * oldest record's time since boot (0 where the log has no times). */
int kernel_log_scan(Kernel *k, uint64_t counts[_KMSG_EVENT_MAX], uint64_t *ret_oldest_usec);

/* An event source that calls @func when "some" stall on @res within a 10 s
 * window passes @threshold (hundredths of a percent of stalled time). It owns
 * what it watches: unref it to disarm. */
typedef void (*KernelPressureFunc)(PressureResource res, void *userdata);
int kernel_pressure_trigger(Kernel *k, sd_event *event, PressureResource res, unsigned threshold,
                            KernelPressureFunc func, void *userdata, sd_event_source **ret);
