/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "parse.h"
#include "terminal.h"

bool stdout_is_terminal(void) {
        static int cached = -1;

        if (cached < 0)
                cached = isatty(STDOUT_FILENO);
        return cached;
}

size_t terminal_columns(void) {
        static size_t cached = SIZE_MAX;
        struct winsize ws = {};
        const char *e;
        uint64_t v;

        if (cached != SIZE_MAX)
                return cached;
        if (!stdout_is_terminal())
                cached = 0;
        else if ((e = getenv("COLUMNS")) && parse_uint64(e, &v) >= 0 && v > 0 && v < 100000)
                cached = (size_t) v;
        else if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) >= 0 && ws.ws_col > 0)
                cached = ws.ws_col;
        else
                cached = 80;
        return cached;
}
