/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* Colour for states and verdicts, as systemctl does it: on when standard
 * output is a terminal, off for NO_COLOR (any non-empty value),
 * SYSTEMD_COLORS=0 and TERM=dumb; SYSTEMD_COLORS=1 forces it on. */

#define ANSI_RED    "\x1b[0;31m"
#define ANSI_GREEN  "\x1b[0;32m"
#define ANSI_YELLOW "\x1b[0;33m"
#define ANSI_BOLD   "\x1b[1m"
#define ANSI_NORMAL "\x1b[0m"

/* The decision from the environment's values (NULL when unset) and whether
 * standard output is a terminal; pure, for the unit tests. */
bool colors_wanted(const char *no_color, const char *systemd_colors, const char *term, bool on_tty);

/* The decision for this process, made once: call it before the pager takes
 * standard output (pager_open() does). */
bool colors_enabled(void);

/* The colour of a state, verdict or result word ("applied", "failed",
 * "soaking", "go", "blocked", "passed"...), or NULL for none. Only
 * the word's meaning counts, not where it is shown. */
const char *color_of(const char *word);

/* @color, and after the text ANSI_NORMAL, when colours are on and @color
 * is set, else "": printf("%s%s%s", color_on(c), text, color_off(c)). */
const char *color_on(const char *color);
const char *color_off(const char *color);
