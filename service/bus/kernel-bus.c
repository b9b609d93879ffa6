/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* org.lpmaint1.Kernel: the running kernel's live state, beside the Manager at
 * /org/lpmaint1. */
#include <errno.h>

#include "bus-objects.h"
#include "manager.h"
#include "taint.h"

static int property_get_tainted(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        uint64_t t = 0;
        int r = kernel_tainted(m->kernel, &t);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Cannot read the kernel taint mask: %m");
        return sd_bus_message_append(reply, "t", t);
}

static int property_get_taint_flags(sd_bus *bus, const char *path, const char *interface, const char *property,
                                    sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        TaintFlag flags[64];
        uint64_t t = 0;
        int r = kernel_tainted(m->kernel, &t);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Cannot read the kernel taint mask: %m");

        unsigned n = taint_decode(t, flags);
        r = sd_bus_message_open_container(reply, 'a', "(uss)");
        for (unsigned i = 0; r >= 0 && i < n; i++) {
                char letter[2] = { flags[i].letter, '\0' };
                r = sd_bus_message_append(reply, "(uss)", flags[i].bit, letter, flags[i].name);
        }
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

static int property_get_unmanaged(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        g_auto(GStrv) names = NULL;
        int r;

        r = kernel_list_patches(m->kernel, &names);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "s");
        for (size_t i = 0; r >= 0 && names[i]; i++) {
                Patch *p = g_hash_table_lookup(m->patches, names[i]);
                /* Ours only while we believe it is in the kernel. */
                if (p && (p->status.state == PATCH_APPLIED || patch_state_is_transition(p->status.state)))
                        continue;
                r = sd_bus_message_append(reply, "s", names[i]);
        }
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

static int property_get_lockdown(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        g_autofree char *mode = NULL;
        int r = kernel_lockdown(m->kernel, &mode);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Cannot read the kernel lockdown mode: %m");
        return sd_bus_message_append(reply, "s", mode);
}

static int property_get_sig_enforced(sd_bus *bus, const char *path, const char *interface, const char *property,
                                     sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append(reply, "b", kernel_module_sig_enforced(m->kernel));
}

static int property_get_counter(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append(reply, "t", g_str_equal(property, "OopsCount") ?
                                     kernel_oops_count(m->kernel) : kernel_warn_count(m->kernel));
}

/* org.lpmaint1.Kernel: what the running kernel shows now, read on each
 * request (the kernel does not announce changes to these files). Kept off
 * the Manager interface so that following the service stays cheap. */
const sd_bus_vtable kernel_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Tainted", "t", property_get_tainted, 0, 0),
        SD_BUS_PROPERTY("TaintFlags", "a(uss)", property_get_taint_flags, 0, 0),
        SD_BUS_PROPERTY("UnmanagedPatches", "as", property_get_unmanaged, 0, 0),
        SD_BUS_PROPERTY("OopsCount", "t", property_get_counter, 0, 0),
        SD_BUS_PROPERTY("WarnCount", "t", property_get_counter, 0, 0),
        SD_BUS_PROPERTY("KernelLockdown", "s", property_get_lockdown, 0, 0),
        SD_BUS_PROPERTY("ModuleSignatureEnforced", "b", property_get_sig_enforced, 0, 0),
        SD_BUS_VTABLE_END
};
