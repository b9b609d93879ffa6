/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>

#include "kernel-view.h"

void kernel_task_clear(KernelTask *t) {
        g_clear_pointer(&t->comm, g_free);
}
