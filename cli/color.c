/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <string.h>

#include "color.h"
#include "macro.h"
#include "terminal.h"

/* -1 unset or not a boolean, else 0 or 1; the spellings systemd takes. */
static int parse_boolean(const char *s) {
        static const char *const yes[] = { "1", "yes", "y", "true", "t", "on" };
        static const char *const no[] = { "0", "no", "n", "false", "f", "off" };

        if (!s)
                return -1;
        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(s, yes[i]) == 0)
                        return 1;
                if (strcasecmp(s, no[i]) == 0)
                        return 0;
        }
        return -1;
}

bool colors_wanted(const char *no_color, const char *systemd_colors, const char *term, bool on_tty) {
        int b;

        if (no_color && *no_color)
                return false;
        b = parse_boolean(systemd_colors);
        if (b >= 0)
                return b;
        /* systemd's SYSTEMD_COLORS also takes "16" and "256": colours, on a terminal. */
        return on_tty && !(term && strcmp(term, "dumb") == 0);
}

bool colors_enabled(void) {
        static int cached = -1;

        if (cached < 0)
                cached = colors_wanted(getenv("NO_COLOR"), getenv("SYSTEMD_COLORS"), getenv("TERM"),
                                       stdout_is_terminal());
        return cached;
}

const char *color_of(const char *word) {
        static const struct {
                const char *word;
                const char *color;
        } words[] = {
                /* Where a patch or the host is as it should be. */
                { "applied", ANSI_GREEN }, { "healthy", ANSI_GREEN }, { "passed", ANSI_GREEN },
                { "success", ANSI_GREEN }, { "go", ANSI_GREEN }, { "not-required", ANSI_GREEN },
                { "intact", ANSI_GREEN },
                /* On its way: a transition, a soak, a wave waiting. */
                { "loading", ANSI_YELLOW }, { "patching", ANSI_YELLOW }, { "unpatching", ANSI_YELLOW },
                { "soaking", ANSI_YELLOW }, { "waiting", ANSI_YELLOW }, { "outside-window", ANSI_YELLOW },
                { "scheduled", ANSI_YELLOW }, { "verifying", ANSI_YELLOW }, { "hooks", ANSI_YELLOW },
                /* Something an administrator should look at. */
                { "failed", ANSI_RED }, { "FAILED", ANSI_RED }, { "blocked", ANSI_RED },
                { "absent", ANSI_RED }, { "refused", ANSI_RED }, { "denied", ANSI_RED },
                { "transition-timeout", ANSI_RED }, { "load-failed", ANSI_RED }, { "interrupted", ANSI_RED },
                { "remove-failed", ANSI_RED }, { "quarantined", ANSI_RED }, { "reapply-failed", ANSI_RED },
        };

        if (!word)
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(words); i++)
                if (strcmp(words[i].word, word) == 0)
                        return words[i].color;
        return NULL;
}

const char *color_on(const char *color) {
        return color && colors_enabled() ? color : "";
}

const char *color_off(const char *color) {
        return color && colors_enabled() ? ANSI_NORMAL : "";
}
