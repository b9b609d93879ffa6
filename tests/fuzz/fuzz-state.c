/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* patch_load() of a store record whose state file is the input: the file
 * lpmaintd trusts across crashes and reboots, and root-writable on disk. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "errors.h"
#include "fuzz.h"
#include "patch.h"
#include "util.h"

#define NAME "lp_fuzz"

/* A manifest that manifest_parse() accepts, so that every input reaches
 * the state file parser. */
static const char manifest[] =
        "[Patch]\n"
        "Name=" NAME "\n"
        "Version=1.0\n"
        "KernelRelease=6.1.0-lpmaint-sim-amd64\n"
        "Module=" NAME ".ko\n"
        "ModuleSHA256=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
        "CVEs=CVE-2026-0001;\n"
        "IssuedAt=2026-01-01T00:00:00Z\n";

static char *top, *dir, *manifest_path, *state_path;

static void cleanup(void) {
        (void) g_unlink(state_path);
        (void) g_unlink(manifest_path);
        (void) g_rmdir(dir);
        (void) g_rmdir(top);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        lpmaint_errors_register();
        top = g_dir_make_tmp("lpmaint-fuzz-state-XXXXXX", NULL);
        FUZZ_CHECK(top);
        /* patch_load() insists that the directory is named after the patch. */
        dir = g_build_filename(top, NAME, NULL);
        FUZZ_CHECK(g_mkdir(dir, 0700) == 0);
        manifest_path = g_build_filename(dir, PATCH_MANIFEST_FILE, NULL);
        state_path = g_build_filename(dir, PATCH_STATE_FILE, NULL);
        FUZZ_CHECK(g_file_set_contents(manifest_path, manifest, -1, NULL));
        atexit(cleanup);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        g_autoptr(Patch) p = NULL;

        FUZZ_CHECK(fuzz_write_input(state_path, data, size) == 0);

        int r = patch_load(dir, &p);
        if (r < 0) {
                FUZZ_CHECK(p == NULL);
                return 0;
        }
        FUZZ_CHECK(p && g_str_equal(p->name, NAME));
        FUZZ_CHECK(p->status.state >= 0 && p->status.state < _PATCH_STATE_MAX);
        FUZZ_CHECK(p->result_message && p->superseded_by && p->boot_id);
        return 0;
}
