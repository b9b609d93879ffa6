/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "kernel.h"

struct Kernel {
        char *root;             /* "/" for the real kernel */
        bool simulated;
        char *release;
        bool livepatch_supported;
        /* The simulated kernel: whether a transition may be running. Only
         * lpmaintd starts transitions, so this spares the simulation a
         * directory scan on every look when none is. */
        bool sim_transitions_pending;
        /* The running kernel's build time, read once: it does not change while it runs. */
        int build_time_error;   /* 0: not read yet; 1: read; <0: -errno of the read */
        uint64_t build_time_usec;
};

/* Paths of the kernel's interfaces under the kernel's root. */
char *kernel_path(const Kernel *k, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* The simulated kernel: kernel-sim.c. */
int kernel_sim_setup(Kernel *k);
void kernel_sim_advance(Kernel *k);
int kernel_sim_insert(Kernel *k, const char *name, GBytes *image);
int kernel_sim_remove(Kernel *k, const char *name);
int kernel_sim_set_enabled(Kernel *k, const char *name, bool enabled);
