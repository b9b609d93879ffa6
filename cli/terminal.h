/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* What standard output was when lpmaint started: a terminal or not, and how
 * wide. Both are asked once and kept, and pager_open() asks them before the
 * pager takes standard output, so that paged output is cut and coloured as
 * on the terminal itself (as systemctl does). Ask these instead of
 * isatty(STDOUT_FILENO) or TIOCGWINSZ. */

bool stdout_is_terminal(void);

/* The terminal's width, or 0 when standard output is not a terminal (a
 * pipe, a file): then nothing is cut. $COLUMNS wins, as in systemd. */
size_t terminal_columns(void);
