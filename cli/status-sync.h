/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

/* The lines `lpmaint status` shows about lpmaint-sync when lpmaint.conf
 * names channels ([Sync] Channels=): Channel, Last sync, Serial, Last error.
 * Nothing without channels. */
int status_sync_print(sd_bus *bus, sd_bus_error *error);
