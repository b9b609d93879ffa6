/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdio.h>
#include <systemd/sd-daemon.h>

/* stderr with sd-daemon level prefixes: the journal files them by priority.
 * The daemon and bus layers log what they decide; below them, a function
 * returns its error for the caller to tell, and logs only what it handles
 * itself and nobody else hears of (store.c removing what an interrupted
 * write left behind, pressure-watch.c falling back from a trigger). */
#define log_full(level, fmt, ...) fprintf(stderr, level fmt "\n", ##__VA_ARGS__)
#define log_debug(fmt, ...)   log_full(SD_DEBUG, fmt, ##__VA_ARGS__)
#define log_info(fmt, ...)    log_full(SD_INFO, fmt, ##__VA_ARGS__)
#define log_notice(fmt, ...)  log_full(SD_NOTICE, fmt, ##__VA_ARGS__)
#define log_warning(fmt, ...) log_full(SD_WARNING, fmt, ##__VA_ARGS__)
#define log_error(fmt, ...)   log_full(SD_ERR, fmt, ##__VA_ARGS__)
