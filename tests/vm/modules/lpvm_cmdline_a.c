// SPDX-License-Identifier: GPL-2.0-only
/* Test live patch (a): /proc/cmdline shows marker A. */
#define LPVM_MARKER "lpmaint-vm-marker-A"
#define LPVM_REPLACE false
#include "lpvm_cmdline.h"
MODULE_DESCRIPTION("lpmaint VM test live patch A (/proc/cmdline marker)");
