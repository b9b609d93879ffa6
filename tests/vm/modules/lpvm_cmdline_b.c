// SPDX-License-Identifier: GPL-2.0-only
/* Test live patch (b): cumulative successor of (a), /proc/cmdline shows
 * marker B; once its transition finishes the kernel drops every older patch. */
#define LPVM_MARKER "lpmaint-vm-marker-B"
#define LPVM_REPLACE true
#include "lpvm_cmdline.h"
MODULE_DESCRIPTION("lpmaint VM test live patch B (cumulative, /proc/cmdline marker)");
