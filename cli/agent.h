/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

#define PKTTYAGENT_PATH "/usr/bin/pkttyagent"

/* Starts pkttyagent for this process, so polkit can ask for a password on
 * our terminal, and waits until it has registered. Stores 0 in *ret when
 * there is nothing to do: stdin is not a terminal or pkttyagent is not
 * installed. */
int polkit_agent_open(pid_t *ret);

/* Terminates and reaps the agent, if any. */
void polkit_agent_close(pid_t pid);

static inline void polkit_agent_closep(pid_t *pid) {
        polkit_agent_close(*pid);
}
