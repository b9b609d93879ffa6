/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdio.h>
#include <systemd/sd-daemon.h>

/* stderr with sd-daemon level prefixes: the journal files them by priority.
 * Only the daemon's top level logs; library code returns errors. */
#define log_full(level, fmt, ...) fprintf(stderr, level fmt "\n", ##__VA_ARGS__)
#define log_debug(fmt, ...)   log_full(SD_DEBUG, fmt, ##__VA_ARGS__)
#define log_info(fmt, ...)    log_full(SD_INFO, fmt, ##__VA_ARGS__)
#define log_notice(fmt, ...)  log_full(SD_NOTICE, fmt, ##__VA_ARGS__)
#define log_warning(fmt, ...) log_full(SD_WARNING, fmt, ##__VA_ARGS__)
#define log_error(fmt, ...)   log_full(SD_ERR, fmt, ##__VA_ARGS__)
