/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* config_load() on one file: the input is written to a temporary
 * lpmaint.conf (config_load() takes a path, as the daemon does). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "daemon-config.h"
#include "errors.h"
#include "fuzz.h"
#include "util.h"

static char *dir, *path;

static void cleanup(void) {
        if (path)
                (void) g_unlink(path);
        if (dir)
                (void) g_rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        lpmaint_errors_register();
        dir = g_dir_make_tmp("lpmaint-fuzz-config-XXXXXX", NULL);
        FUZZ_CHECK(dir);
        path = g_build_filename(dir, "lpmaint.conf", NULL);
        atexit(cleanup);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        Config c;

        FUZZ_CHECK(fuzz_write_input(path, data, size) == 0);

        config_init_defaults(&c);
        int r = config_load(path, &c, &error);
        if (r < 0)
                FUZZ_CHECK(sd_bus_error_has_name(&error, LPMAINT_ERROR_INVALID_CONFIG));
        else {
                FUZZ_CHECK(!sd_bus_error_is_set(&error));
                /* What the daemon relies on once a configuration is accepted. */
                FUZZ_CHECK(c.state_directory && c.state_directory[0] == '/');
                FUZZ_CHECK(c.trust_directory && c.trust_directory[0] == '/');
                FUZZ_CHECK(c.automation_group && c.automation_group[0]);
                FUZZ_CHECK(c.transition_timeout_usec > 0);
                FUZZ_CHECK(c.max_module_size > 0);
        }
        config_clear(&c);
        return 0;
}
