/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-event.h>

#include "kernel.h"
#include "pressure.h"

/* Wakes its owner when stall pressure on a resource rises past a threshold,
 * without polling: through the kernel's pressure triggers
 * (kernel_pressure_trigger()). */
typedef struct PressureWatch PressureWatch;

typedef KernelPressureFunc PressureHandler;

PressureWatch *pressure_watch_new(Kernel *k, sd_event *event, PressureHandler handler, void *userdata);
void pressure_watch_free(PressureWatch *w);

/* Arms one trigger per resource at @threshold (hundredths of a percent of
 * stalled time); a threshold of 10000 or more leaves that resource unwatched.
 * NULL disarms everything. */
int pressure_watch_arm(PressureWatch *w, const unsigned threshold[_PRESSURE_MAX]);
