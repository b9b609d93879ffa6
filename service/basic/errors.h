/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

#include "bus-util.h"
#include "lpmaint-bus.h"

/* Registers the errno of each named error of lpmaint-bus.h with sd-bus
 * (errors.c holds the pairs): setting a name gives its errno, not the other
 * way round; a method fails with a name only if it sets it. */
void lpmaint_errors_register(void);

/* Sets StorageFailed for @r (a negative errno of a state file operation),
 * with "@what: strerror" as its message. Returns the errno of StorageFailed. */
int bus_error_set_storage(sd_bus_error *error, int r, const char *what);
