/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stddef.h>
#include <string.h>

#include "bus.h"
#include "format.h"
#include "macro.h"
#include "parse.h"
#include "patch.h"
#include "props.h"

static void blocking_tasks_clear(BlockingTasks *b) {
        for (size_t i = 0; i < b->n; i++)
                g_free(b->tasks[i].comm);
        g_free(b->tasks);
        *b = (BlockingTasks) {};
}

static void blocking_task_clear(gpointer p) {
        g_free(((BlockingTask *) p)->comm);
}

static int parse_blocking_tasks(sd_bus_message *m, void *dest) {
        g_autoptr(GArray) tasks = g_array_new(false, false, sizeof(BlockingTask));
        BlockingTasks *b = dest;
        uint32_t pid;
        const char *comm;
        size_t n;
        int r;

        g_array_set_clear_func(tasks, blocking_task_clear);

        r = sd_bus_message_enter_container(m, 'a', "(us)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, "(us)", &pid, &comm)) > 0) {
                BlockingTask t = { .pid = pid, .comm = g_strdup(comm) };
                g_array_append_val(tasks, t);
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;

        blocking_tasks_clear(b);
        n = tasks->len;
        /* Freeing only the wrapper hands the elements over; no clear func runs. */
        b->tasks = (BlockingTask *) g_array_free(g_steal_pointer(&tasks), false);
        b->n = n;
        return 0;
}

static void patch_releases_clear(PatchReleases *l) {
        for (size_t i = 0; i < l->n; i++)
                g_free(l->releases[i].ring);
        g_free(l->releases);
        *l = (PatchReleases) {};
}

static int parse_releases(sd_bus_message *m, void *dest) {
        PatchReleases *l = dest;
        const char *ring;
        uint64_t usec;
        int r;

        patch_releases_clear(l);
        r = sd_bus_message_enter_container(m, 'a', "(st)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, "(st)", &ring, &usec)) > 0) {
                l->releases = g_renew(PatchRelease, l->releases, l->n + 1);
                l->releases[l->n++] = (PatchRelease) { .ring = g_strdup(ring), .usec = usec };
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

void patch_free(Patch *p) {
        if (!p)
                return;

        g_free(p->object_path);
        g_free(p->name);
        g_free(p->version);
        g_free(p->kernel_release);
        g_free(p->module_sha256);
        g_strfreev(p->cves);
        g_free(p->description);
        patch_releases_clear(&p->release);
        g_free(p->signer);
        g_free(p->stream);
        g_free(p->source);
        g_free(p->soak_state);
        g_free(p->soak_result);
        g_free(p->module_signer);
        g_free(p->module_sig_key);
        g_free(p->module_sig_hashalgo);
        g_free(p->state);
        g_free(p->operation);
        g_free(p->result);
        g_free(p->result_message);
        blocking_tasks_clear(&p->blocking);
        g_free(p->superseded_by);
        g_free(p);
}

static const PropertyMap patch_properties[] = {
        { "Name",             "s",     prop_parse_string,    offsetof(Patch, name)               },
        { "Version",          "s",     prop_parse_string,    offsetof(Patch, version)            },
        { "KernelRelease",    "s",     prop_parse_string,    offsetof(Patch, kernel_release)     },
        { "ModuleSHA256",     "s",     prop_parse_string,    offsetof(Patch, module_sha256)      },
        { "Replace",          "b",     prop_parse_bool,      offsetof(Patch, replace)            },
        { "CVEs",             "as",    prop_parse_strv,      offsetof(Patch, cves)               },
        { "Description",      "s",     prop_parse_string,    offsetof(Patch, description)        },
        { "IssuedUSec",       "t",     prop_parse_uint64,    offsetof(Patch, issued_usec)        },
        { "ExpiresUSec",      "t",     prop_parse_uint64,    offsetof(Patch, expires_usec)       },
        { "CoverageEndsUSec", "t",     prop_parse_uint64,    offsetof(Patch, coverage_ends_usec) },
        { "Release",          "a(st)", parse_releases,       offsetof(Patch, release)            },
        { "Signer",           "s",     prop_parse_string,    offsetof(Patch, signer)             },
        { "Stream",           "s",     prop_parse_string,    offsetof(Patch, stream)             },
        { "Source",           "s",     prop_parse_string,    offsetof(Patch, source)             },
        { "SoakState",        "s",     prop_parse_string,    offsetof(Patch, soak_state)         },
        { "SoakResult",       "s",     prop_parse_string,    offsetof(Patch, soak_result)        },
        { "SoakEndsUSec",     "t",     prop_parse_uint64,    offsetof(Patch, soak_ends_usec)     },
        { "ModuleSigner",     "s",     prop_parse_string,    offsetof(Patch, module_signer)      },
        { "ModuleSigKey",     "s",     prop_parse_string,    offsetof(Patch, module_sig_key)     },
        { "ModuleSigHashAlgo", "s",    prop_parse_string,    offsetof(Patch, module_sig_hashalgo) },
        { "BreakGlass",       "b",     prop_parse_bool,      offsetof(Patch, break_glass)        },
        { "BreakGlassAcknowledged", "b", prop_parse_bool,    offsetof(Patch, break_glass_acknowledged) },
        { "State",            "s",     prop_parse_string,    offsetof(Patch, state)              },
        { "Operation",        "s",     prop_parse_string,    offsetof(Patch, operation)          },
        { "Result",           "s",     prop_parse_string,    offsetof(Patch, result)             },
        { "ResultMessage",    "s",     prop_parse_string,    offsetof(Patch, result_message)     },
        { "BlockingTasks",    "a(us)", parse_blocking_tasks, offsetof(Patch, blocking)           },
        { "SupersededBy",     "s",     prop_parse_string,    offsetof(Patch, superseded_by)      },
        { "StateChangedUSec", "t",     prop_parse_uint64,    offsetof(Patch, state_changed_usec) },
        { "AppliedUSec",      "t",     prop_parse_uint64,    offsetof(Patch, applied_usec)       },
        {}
};

int patch_get(sd_bus *bus, const char *path, Patch **ret, sd_bus_error *error) {
        g_autoptr(Patch) p = g_new0(Patch, 1);
        int r;

        p->object_path = g_strdup(path);
        r = bus_get_all_properties(bus, path, LPMAINT_PATCH_INTERFACE, patch_properties, p, true, error);
        if (r < 0)
                return r;

        *ret = g_steal_pointer(&p);
        return 0;
}

char *patch_object_path(const char *name) {
        if (!patch_name_is_valid(name))
                return NULL;
        return g_strconcat(LPMAINT_PATCH_PATH_PREFIX "/", name, NULL);
}

char *patch_operation_result(const Patch *p) {
        return format_operation_result(p->operation, p->result);
}

/* Reads the a{sa{sv}} of one object; adds a Patch if it has the interface. */
static int read_object(sd_bus_message *m, const char *path, GPtrArray *patches) {
        const char *interface;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sa{sv}}");
        if (r < 0)
                return r;

        while ((r = sd_bus_message_enter_container(m, 'e', "sa{sv}")) > 0) {
                r = sd_bus_message_read_basic(m, 's', &interface);
                if (r < 0)
                        return r;

                if (strcmp(interface, LPMAINT_PATCH_INTERFACE) == 0) {
                        g_autoptr(Patch) p = g_new0(Patch, 1);

                        p->object_path = g_strdup(path);
                        r = bus_map_properties(m, patch_properties, p);
                        if (r < 0)
                                return r;
                        g_ptr_array_add(patches, g_steal_pointer(&p));
                } else {
                        r = sd_bus_message_skip(m, "a{sv}");
                        if (r < 0)
                                return r;
                }

                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;

        return sd_bus_message_exit_container(m);
}

static gint compare_patches(gconstpointer a, gconstpointer b) {
        const Patch *x = *(Patch * const *) a, *y = *(Patch * const *) b;
        int c;

        c = strcmp(strempty(x->name), strempty(y->name));
        if (c != 0)
                return c;
        return strcmp(x->object_path, y->object_path);
}

static int patch_parse_managed_objects(sd_bus_message *reply, GPtrArray **ret) {
        g_autoptr(GPtrArray) patches = g_ptr_array_new_with_free_func((GDestroyNotify) patch_free);
        const char *path;
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}");
        if (r < 0)
                return r;

        while ((r = sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}")) > 0) {
                r = sd_bus_message_read_basic(reply, 'o', &path);
                if (r < 0)
                        return r;
                r = read_object(reply, path, patches);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;

        r = sd_bus_message_exit_container(reply);
        if (r < 0)
                return r;

        g_ptr_array_sort(patches, compare_patches);
        *ret = g_steal_pointer(&patches);
        return 0;
}

int patch_get_all(sd_bus *bus, bool auto_start, GPtrArray **ret, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = bus_call(bus, LPMAINT_OBJECT_PATH, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", CALL_QUERY,
                     auto_start, &reply, error, NULL);
        if (r < 0)
                return r;

        return patch_parse_managed_objects(reply, ret);
}
