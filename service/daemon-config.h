/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <systemd/sd-bus.h>

typedef struct Config {
        char *state_directory;
        char *trust_directory;
        char *automation_group;
        uint64_t transition_timeout_usec;
        uint64_t max_module_size;
} Config;

void config_init_defaults(Config *c);
void config_clear(Config *c);

/* Loads @path and then @path.d/ *.conf in lexical order (later wins). A missing
 * main file means defaults. Errors name file and line and leave @c untouched. */
int config_load(const char *path, Config *c, sd_bus_error *error);
