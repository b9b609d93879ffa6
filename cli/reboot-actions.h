/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

/* lpmaint reboot wave | schedule TIME | request | cancel | finish, the
 * commands of reboot_verbs[] that change a planned reboot. @userdata is an
 * sd_bus ** that the caller frees: they connect (acquire_bus()) once their
 * arguments are checked. As each verb, they print their own output and
 * errors and return an exit status. */
int verb_reboot_wave(int argc, char *argv[], void *userdata);
int verb_reboot_schedule(int argc, char *argv[], void *userdata);
int verb_reboot_request(int argc, char *argv[], void *userdata);
int verb_reboot_cancel(int argc, char *argv[], void *userdata);
int verb_reboot_finish(int argc, char *argv[], void *userdata);

/* Prints the gates of a PlanReboot reply, or with @wave of a RunRebootWave
 * reply (then scheduled_usec follows them), read up to after the verdict:
 * a table, or JSON with --json. -EIO when stdout fails. */
int print_reboot_gates(sd_bus_message *reply, const char *verdict, bool wave, bool dry_run);
