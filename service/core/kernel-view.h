/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* What lpmaintd reads of the kernel, as plain values: the decisions
 * (patch-state.c) and the records (patch.c) take them without knowing how
 * they were read (kernel.h). */
typedef struct KernelPatchView {
        bool module_loaded;     /* /sys/module/NAME/initstate exists */
        bool present;           /* /sys/kernel/livepatch/NAME exists */
        bool enabled;
        bool transition;
} KernelPatchView;

typedef struct KernelTask {
        uint32_t pid;
        char *comm;
} KernelTask;

void kernel_task_clear(KernelTask *t);
