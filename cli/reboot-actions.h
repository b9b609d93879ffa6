/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

/* lpmaint reboot wave | schedule TIME | request | cancel | finish, with the
 * arguments checked by verb_reboot(). Returns the exit status. */
int reboot_action(sd_bus *bus, int argc, char *argv[]);

/* Prints the gates of a PlanReboot reply, or with @wave of a RunRebootWave
 * reply (then scheduled_usec follows them), read up to after the verdict:
 * a table, or JSON with --json. -EIO when stdout fails. */
int print_reboot_gates(sd_bus_message *reply, const char *verdict, bool wave, bool dry_run);
