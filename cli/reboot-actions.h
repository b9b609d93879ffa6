/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

/* lpmaint reboot wave | schedule TIME | request | cancel | finish, with the
 * arguments checked by verb_reboot(). Returns the exit status. */
int reboot_action(sd_bus *bus, int argc, char *argv[]);
