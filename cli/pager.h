/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Long output through a pager on a terminal, as systemctl does it. */

/* The pager asked for: $SYSTEMD_PAGER, else $PAGER (given here, NULL when
 * unset); "" or "cat" asks for none (NULL); unset, NULL too, and
 * pager_open() tries less, then more. Pure, for the unit tests. */
const char *pager_command(const char *systemd_pager, const char *pager, int *ret_explicit);

/* Pipes standard output, and standard error when it is a terminal too,
 * into the pager when standard output is a terminal; otherwise, or if the
 * pager cannot be started, output goes where it went. less gets
 * LESS=$SYSTEMD_LESS, by default "FRSXMK": it quits at once when the text
 * fits on one screen, and passes colours on. Decides about colours and
 * takes the width first, on the terminal (colors_enabled(), terminal_columns()). */
void pager_open(void);

/* Ends the output and waits for the pager to be quit. Safe to call when
 * none was opened. */
void pager_close(void);
