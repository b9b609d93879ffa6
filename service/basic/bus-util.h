/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>
#include <glib.h>

#include "util.h"

/* Cleanup helpers for sd-bus objects, for the layers that may use the bus
 * (not core/: see util.h). */

static inline void sd_bus_error_freep(sd_bus_error *e) { sd_bus_error_free(e); }
#define _cleanup_bus_error_ _cleanup_(sd_bus_error_freep)

G_DEFINE_AUTOPTR_CLEANUP_FUNC(sd_bus_message, sd_bus_message_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(sd_bus_creds, sd_bus_creds_unref)
