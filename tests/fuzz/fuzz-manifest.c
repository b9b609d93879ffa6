/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* manifest_parse(): the first parser signed but attacker-chosen bytes reach
 * (the signature is checked over them, the content parsed after). */
#include "errors.h"
#include "fuzz.h"
#include "manifest.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        lpmaint_errors_register();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autoptr(Manifest) m = NULL;

        int r = manifest_parse(data, size, &m, &error);
        if (r < 0) {
                /* "Anything off is InvalidManifest" (manifest.h), and nothing is returned. */
                FUZZ_CHECK(m == NULL);
                FUZZ_CHECK(sd_bus_error_has_name(&error, LPMAINT_ERROR_INVALID_MANIFEST));
                return 0;
        }

        FUZZ_CHECK(m && !sd_bus_error_is_set(&error));
        FUZZ_CHECK(patch_name_is_valid(m->name));
        FUZZ_CHECK(m->version && m->kernel_release && m->module);
        FUZZ_CHECK(strlen(m->module_sha256) == SHA256_HEX_LEN);
        FUZZ_CHECK(m->expires_usec == 0 || m->expires_usec > m->issued_usec);

        /* The next thing the daemon does with a parsed manifest. */
        _cleanup_bus_error_ sd_bus_error time_error = SD_BUS_ERROR_NULL;
        if (manifest_check_time(m, m->issued_usec, &time_error) < 0)
                FUZZ_CHECK(sd_bus_error_has_name(&time_error, LPMAINT_ERROR_EXPIRED));
        return 0;
}
