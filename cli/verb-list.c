/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>
#include <stdio.h>
#include <unistd.h>

#include "humanize.h"
#include "json.h"
#include "log.h"
#include "lpmaint.h"
#include "macro.h"
#include "patch.h"
#include "patch-json.h"
#include "table.h"
#include "terminal.h"

static int print_json(GPtrArray *patches) {
        JsonWriter w;

        json_writer_init(&w, stdout, stdout_is_terminal());
        json_begin_array(&w);
        for (guint i = 0; i < patches->len; i++)
                json_patch(&w, g_ptr_array_index(patches, i));
        json_end_array(&w);
        return json_writer_finish(&w);
}

static int print_human(GPtrArray *patches) {
        g_autoptr(Table) t = table_new(7);
        int r;

        table_add(t, "NAME");
        table_add(t, "VERSION");
        table_add(t, "STATE");
        table_add(t, "SOAK");
        table_add(t, "LAST OPERATION");
        table_add(t, "CVES");
        table_add(t, "MODULE SIGNATURE");

        for (guint i = 0; i < patches->len; i++) {
                const Patch *p = g_ptr_array_index(patches, i);
                g_autofree char *cves = p->cves && p->cves[0] ? g_strjoinv(",", p->cves) : NULL;
                /* The operation with its result: "disable: transition-timeout"
                 * says which one failed, which STATE alone does not. */
                g_autofree char *operation = patch_operation_result(p);

                table_add(t, p->name);
                table_add(t, p->version);
                table_add(t, p->state);
                table_add(t, p->soak_state);
                table_add(t, operation);
                table_add(t, cves);
                /* The module's own signature, which the kernel checks: signer and key. */
                g_autofree char *sig = p->module_signer && *p->module_signer ?
                        g_strdup_printf("%s (%s, %s)", p->module_signer, strdash(p->module_sig_key), strdash(p->module_sig_hashalgo)) :
                        g_strdup("unsigned");
                table_add(t, sig);
        }

        r = table_print(t, stdout);
        if (r < 0)
                return r;

        if (arg_legend)
                printf("\n%u %s listed.\n", patches->len, plural(patches->len, "live patch", "live patches"));
        for (guint i = 0; i < patches->len; i++) {
                const Patch *p = g_ptr_array_index(patches, i);
                if (p->break_glass && !p->break_glass_acknowledged)
                        printf("%s was applied through BREAK-GLASS and is not acknowledged.\n", p->name);
        }
        if (fflush(stdout) != 0 || ferror(stdout))
                return -EIO;
        return 0;
}

int verb_list(int argc, char *argv[], void *userdata) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autoptr(GPtrArray) patches = NULL;
        int r;

        r = acquire_bus(&bus);
        if (r != 0)
                return r;

        r = patch_get_all(bus, true, &patches, &error);
        if (r < 0)
                return log_bus_error(&error, r, "Failed to list live patches");

        r = arg_json ? print_json(patches) : print_human(patches);
        if (r < 0)
                return log_errno(LPMAINT_EXIT_FAILED, r, "Failed to write output");

        return LPMAINT_EXIT_SUCCESS;
}
