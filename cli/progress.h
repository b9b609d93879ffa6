/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

#include "patch.h"
#include "watch.h"

/* The common tail of apply and disable, part of the verb layer: follows the
 * patch object in @w from its state @initial until the operation ended,
 * prints progress on stdout and a failure on stderr, and returns the exit
 * status: success, or failed when the patch ended up anywhere else. */
int follow_transition(sd_bus *bus, Watch *w, Patch *initial);
