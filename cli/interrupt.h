/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* While lpmaint waits for something lpmaintd does on its own (a transition,
 * the checks after a reboot), Ctrl-C stops only the waiting: the first
 * SIGINT prints @message (what goes on without us, and how to follow it),
 * then ends lpmaint by SIGINT as usual. */
void interrupt_explain(const char *message);

/* Back to SIGINT's default. */
void interrupt_explain_done(void);
