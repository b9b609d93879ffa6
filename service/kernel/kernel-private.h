/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "kernel.h"

typedef struct PressureTrigger {
        PressureResource res;
        unsigned threshold;
        KernelPressureFunc func;
        void *userdata;
} PressureTrigger;

/* What differs between the real kernel (kernel-real.c) and the simulated one
 * (kernel-sim.c). Everything else is the same files under the kernel's root,
 * read by kernel.c. */
typedef struct KernelOps {
        bool simulated;
        /* Prepares the kernel under k->root; NULL: nothing to prepare. */
        int (*setup)(Kernel *k);
        /* Frees what setup() left in k->impl. */
        void (*free_impl)(void *impl);
        char *(*start_notice)(const Kernel *k);
        /* Brings the kernel's files up to now before they are looked at;
         * NULL: they always are. */
        void (*advance)(Kernel *k);
        int (*insert)(Kernel *k, const char *name, GBytes *image);
        int (*remove)(Kernel *k, const char *name);
        int (*set_enabled)(Kernel *k, const char *name, bool enabled);
        int (*log_open)(KernelLog *l);
        int (*log_watch)(KernelLog *l, sd_event *event, sd_event_source **ret);
        void (*log_read)(KernelLog *l, KernelLogFunc func, void *userdata);
        int (*log_scan)(Kernel *k, uint64_t counts[_KMSG_EVENT_MAX], uint64_t *ret_oldest_usec);
        /* An event source whose userdata is @t, which the caller frees with it. */
        int (*pressure_trigger)(Kernel *k, sd_event *event, PressureTrigger *t, sd_event_source **ret);
} KernelOps;

extern const KernelOps kernel_real_ops;
extern const KernelOps kernel_sim_ops;

struct Kernel {
        const KernelOps *ops;
        char *root;             /* "/" for the real kernel */
        void *impl;             /* the implementation's own state */
        char *release;
        bool livepatch_supported;
        /* The running kernel's build time, read once: it does not change while it runs. */
        int build_time_error;   /* 0: not read yet; 1: read; <0: -errno of the read */
        uint64_t build_time_usec;
};

struct KernelLog {
        Kernel *kernel;
        int fd;                 /* a log device kept open, which keeps our place in it */
        off_t offset;           /* or how far a log file was read */
        uint64_t seq;           /* and the number of the last record read from it */
        void (*wake)(void *userdata);
        void *userdata;
};

/* Paths of the kernel's interfaces under the kernel's root. */
char *kernel_path(const Kernel *k, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
