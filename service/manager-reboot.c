/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Whether this host needs a reboot, and why, worked out from the state the
 * daemon already keeps each time someone asks. */
#include "manager.h"
#include "reboot-reasons.h"

GArray *manager_reboot_reasons(Manager *m) {
        GArray *reasons = reboot_reasons_new();
        GHashTableIter i;
        Patch *p;

        /* A module the kernel would not let go of is only gone after a reboot. */
        g_hash_table_iter_init(&i, m->patches);
        while (g_hash_table_iter_next(&i, NULL, (void **) &p)) {
                KernelPatchView v;
                if (p->status.result != PATCH_RESULT_REMOVE_FAILED || patch_state_is_transition(p->status.state))
                        continue;
                if (kernel_patch_view(m->kernel, p->name, &v) < 0 || !v.module_loaded)
                        continue;
                reboot_reasons_add(reasons, "module-not-removed", p->state_changed_usec,
                                   "the module of patch %s could not be removed from the kernel", p->name);
        }
        return reasons;
}

static int property_get_reboot_required(sd_bus *bus, const char *path, const char *interface, const char *property,
                                        sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        g_autoptr(GArray) reasons = manager_reboot_reasons(userdata);
        return sd_bus_message_append(reply, "b", reasons->len > 0);
}

static int property_get_reboot_reasons(sd_bus *bus, const char *path, const char *interface, const char *property,
                                       sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        g_autoptr(GArray) reasons = manager_reboot_reasons(userdata);
        int r = sd_bus_message_open_container(reply, 'a', "(sst)");

        for (guint i = 0; r >= 0 && i < reasons->len; i++) {
                const RebootReason *rr = &g_array_index(reasons, RebootReason, i);
                r = sd_bus_message_append(reply, "(sst)", rr->code, rr->text, rr->since_usec);
        }
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

const sd_bus_vtable reboot_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("RebootRequired", "b", property_get_reboot_required, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("RebootReasons", "a(sst)", property_get_reboot_reasons, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_VTABLE_END
};

void manager_emit_reboot_changed(Manager *m) {
        if (m->bus)
                (void) sd_bus_emit_properties_changed(m->bus, LPMAINT_OBJECT_PATH, LPMAINT_MANAGER_INTERFACE,
                                                      "RebootRequired", "RebootReasons", NULL);
}
