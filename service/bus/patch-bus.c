/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* org.lpmaint1.Patch objects, one per patch, served from the Manager's table
 * by a fallback vtable: no per-object registration, cost independent of how
 * many patches there are. */
#include <errno.h>
#include <string.h>

#include "bus-objects.h"
#include "manager.h"

int patch_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found, sd_bus_error *error) {
        Manager *m = userdata;
        const char *name;

        if (!g_str_has_prefix(path, LPMAINT_PATCH_PATH_PREFIX "/"))
                return 0;
        name = path + strlen(LPMAINT_PATCH_PATH_PREFIX "/");
        Patch *p = g_hash_table_lookup(m->patches, name);
        if (!p)
                return 0;
        *found = p;
        return 1;
}

int patch_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error) {
        Manager *m = userdata;
        GHashTableIter i;
        Patch *p;

        /* sd-bus frees the array with free(): build it with the C allocator. */
        char **l = calloc(g_hash_table_size(m->patches) + 1, sizeof(char *));
        size_t n = 0;
        if (!l)
                return -ENOMEM;
        g_hash_table_iter_init(&i, m->patches);
        while (g_hash_table_iter_next(&i, NULL, (void **) &p)) {
                l[n] = strdup(p->object_path);
                if (!l[n]) {
                        for (size_t j = 0; j < n; j++)
                                free(l[j]);
                        free(l);
                        return -ENOMEM;
                }
                n++;
        }
        *nodes = l;
        return 0;
}

#define PATCH_GETTER(fn, sig, expr)                                                                  \
        static int fn(sd_bus *bus, const char *path, const char *interface, const char *property,   \
                      sd_bus_message *reply, void *userdata, sd_bus_error *error) {                 \
                const Patch *p = userdata;                                                            \
                return sd_bus_message_append(reply, sig, expr);                                       \
        }

PATCH_GETTER(get_name, "s", p->name)
PATCH_GETTER(get_version, "s", p->manifest->version)
PATCH_GETTER(get_kernel_release, "s", p->manifest->kernel_release)
PATCH_GETTER(get_sha256, "s", p->manifest->module_sha256)
PATCH_GETTER(get_replace, "b", (int) p->manifest->replace)
PATCH_GETTER(get_description, "s", p->manifest->description)
PATCH_GETTER(get_issued, "t", p->manifest->issued_usec)
PATCH_GETTER(get_expires, "t", p->manifest->expires_usec)
PATCH_GETTER(get_coverage_ends, "t", p->manifest->coverage_ends_usec)
PATCH_GETTER(get_signer, "s", p->signer)
PATCH_GETTER(get_state, "s", patch_state_to_string(p->status.state))
PATCH_GETTER(get_operation, "s", patch_operation_to_string(p->status.operation))
PATCH_GETTER(get_result, "s", patch_result_to_string(p->status.result))
PATCH_GETTER(get_result_message, "s", p->result_message)
PATCH_GETTER(get_superseded_by, "s", p->superseded_by)
PATCH_GETTER(get_state_changed, "t", p->state_changed_usec)
PATCH_GETTER(get_applied, "t", p->applied_usec)
PATCH_GETTER(get_stream, "s", p->manifest->stream)
PATCH_GETTER(get_soak_state, "s", soak_state_to_string(p->soak_state))
PATCH_GETTER(get_soak_result, "s", p->soak_result)
PATCH_GETTER(get_soak_ends, "t", p->soak_ends_usec)
PATCH_GETTER(get_module_signer, "s", p->module_signer)
PATCH_GETTER(get_module_sig_key, "s", p->module_sig_key)
PATCH_GETTER(get_module_sig_hashalgo, "s", p->module_sig_hashalgo)
PATCH_GETTER(get_source, "s", p->source)
PATCH_GETTER(get_break_glass, "b", (int) p->break_glass)
PATCH_GETTER(get_break_glass_ack, "b", (int) p->break_glass_acknowledged)

static int get_cves(sd_bus *bus, const char *path, const char *interface, const char *property,
                    sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const Patch *p = userdata;
        return sd_bus_message_append_strv(reply, p->manifest->cves);
}

static int get_release(sd_bus *bus, const char *path, const char *interface, const char *property,
                       sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const Patch *p = userdata;
        int r = sd_bus_message_open_container(reply, 'a', "(st)");

        for (size_t i = 0; r >= 0 && i < p->manifest->n_release; i++)
                r = sd_bus_message_append(reply, "(st)", p->manifest->release[i].ring, p->manifest->release[i].usec);
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

static int get_blocking_tasks(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const Patch *p = userdata;
        int r = sd_bus_message_open_container(reply, 'a', "(us)");

        for (guint i = 0; r >= 0 && i < p->blocking_tasks->len; i++) {
                const KernelTask *t = &g_array_index(p->blocking_tasks, KernelTask, i);
                r = sd_bus_message_append(reply, "(us)", t->pid, t->comm);
        }
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

const sd_bus_vtable patch_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Name", "s", get_name, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Version", "s", get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("KernelRelease", "s", get_kernel_release, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("ModuleSHA256", "s", get_sha256, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Replace", "b", get_replace, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("CVEs", "as", get_cves, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Description", "s", get_description, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("IssuedUSec", "t", get_issued, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("ExpiresUSec", "t", get_expires, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("CoverageEndsUSec", "t", get_coverage_ends, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Release", "a(st)", get_release, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Signer", "s", get_signer, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Stream", "s", get_stream, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("ModuleSigner", "s", get_module_signer, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("ModuleSigKey", "s", get_module_sig_key, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("ModuleSigHashAlgo", "s", get_module_sig_hashalgo, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Source", "s", get_source, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("BreakGlass", "b", get_break_glass, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("BreakGlassAcknowledged", "b", get_break_glass_ack, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("SoakState", "s", get_soak_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("SoakResult", "s", get_soak_result, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("SoakEndsUSec", "t", get_soak_ends, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("State", "s", get_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Operation", "s", get_operation, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Result", "s", get_result, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("ResultMessage", "s", get_result_message, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("BlockingTasks", "a(us)", get_blocking_tasks, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("SupersededBy", "s", get_superseded_by, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("StateChangedUSec", "t", get_state_changed, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("AppliedUSec", "t", get_applied, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_VTABLE_END
};
