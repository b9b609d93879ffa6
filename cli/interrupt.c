/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "interrupt.h"

/* Made before the handler is installed: the handler may only write(). */
static char *explanation = NULL;
static size_t explanation_len = 0;

static void on_sigint(int sig) {
        if (explanation)
                (void) !write(STDERR_FILENO, explanation, explanation_len);
        (void) signal(sig, SIG_DFL);
        (void) raise(sig);
}

void interrupt_explain(const char *message) {
        struct sigaction sa = { .sa_handler = on_sigint };

        interrupt_explain_done();
        /* The terminal echoed ^C where the cursor was. */
        explanation = g_strconcat("\n", message, "\n", NULL);
        explanation_len = strlen(explanation);
        sigemptyset(&sa.sa_mask);
        (void) sigaction(SIGINT, &sa, NULL);
}

void interrupt_explain_done(void) {
        (void) signal(SIGINT, SIG_DFL);
        g_clear_pointer(&explanation, g_free);
        explanation_len = 0;
}
