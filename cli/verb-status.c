/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bus.h"
#include "format.h"
#include "humanize.h"
#include "json.h"
#include "log.h"
#include "lpmaint.h"
#include "macro.h"
#include "manager-props.h"
#include "patch.h"
#include "patch-state.h"
#include "props.h"
#include "status-sync.h"
#include "terminal.h"

typedef struct ManagerInfo {
        char *version;
        char *kernel_release;
        bool livepatch_supported;
        bool simulated;
        bool busy;
        char *ring;
        uint64_t tainted;
        char **unmanaged_patches;
        uint64_t transition_timeout_usec;
        char *automation_group;
        char *kernel_lockdown;
        bool module_signature_enforced;
        char **unacknowledged_break_glass;
        char **unsaved_records;
        bool reboot_required;
        RebootReasonList reboot_reasons;
        char *configuration_error;      /* why the last reload failed; "" when it did not */
} ManagerInfo;

static void manager_info_clear(ManagerInfo *m) {
        g_free(m->version);
        g_free(m->kernel_release);
        g_free(m->ring);
        g_strfreev(m->unmanaged_patches);
        g_free(m->automation_group);
        g_free(m->kernel_lockdown);
        g_strfreev(m->unacknowledged_break_glass);
        g_strfreev(m->unsaved_records);
        reboot_reason_list_clear(&m->reboot_reasons);
        g_free(m->configuration_error);
}

static const PropertyMap manager_properties[] = {
        { "Version",               "s",  prop_parse_string, offsetof(ManagerInfo, version)                 },
        { "KernelRelease",         "s",  prop_parse_string, offsetof(ManagerInfo, kernel_release)          },
        { "LivepatchSupported",    "b",  prop_parse_bool,   offsetof(ManagerInfo, livepatch_supported)     },
        { "Simulated",             "b",  prop_parse_bool,   offsetof(ManagerInfo, simulated)               },
        { "Busy",                  "b",  prop_parse_bool,   offsetof(ManagerInfo, busy)                    },
        { "Ring",                  "s",  prop_parse_string, offsetof(ManagerInfo, ring)                    },
        { "Tainted",               "t",  prop_parse_uint64, offsetof(ManagerInfo, tainted)                 },
        { "UnmanagedPatches",      "as", prop_parse_strv,   offsetof(ManagerInfo, unmanaged_patches)       },
        { "TransitionTimeoutUSec", "t",  prop_parse_uint64, offsetof(ManagerInfo, transition_timeout_usec) },
        { "AutomationGroup",       "s",  prop_parse_string, offsetof(ManagerInfo, automation_group)        },
        { "KernelLockdown",        "s",  prop_parse_string, offsetof(ManagerInfo, kernel_lockdown)         },
        { "ModuleSignatureEnforced", "b", prop_parse_bool,  offsetof(ManagerInfo, module_signature_enforced) },
        { "UnacknowledgedBreakGlass", "as", prop_parse_strv, offsetof(ManagerInfo, unacknowledged_break_glass) },
        { "UnsavedRecords",        "as", prop_parse_strv,   offsetof(ManagerInfo, unsaved_records)         },
        { "RebootRequired",        "b",  prop_parse_bool,   offsetof(ManagerInfo, reboot_required)         },
        { "RebootReasons",         "a(sst)", prop_parse_reboot_reasons, offsetof(ManagerInfo, reboot_reasons)  },
        { "ConfigurationError",    "s",  prop_parse_string, offsetof(ManagerInfo, configuration_error)     },
        {}
};

typedef struct StateCount {
        const char *state;
        unsigned count;
} StateCount;

static GArray *count_states(GPtrArray *patches) {
        GArray *counts = g_array_new(false, false, sizeof(StateCount));

        /* lpmaintd's states (service/core), in their order; states a newer
         * daemon may add follow in the order met. */
        for (PatchState s = 0; s < _PATCH_STATE_MAX; s++) {
                StateCount c = { .state = patch_state_to_string(s) };
                g_array_append_val(counts, c);
        }

        for (guint i = 0; i < patches->len; i++) {
                const Patch *p = g_ptr_array_index(patches, i);
                const char *state = p->state ? p->state : "unknown";
                guint j;

                for (j = 0; j < counts->len; j++)
                        if (strcmp(g_array_index(counts, StateCount, j).state, state) == 0)
                                break;
                if (j == counts->len) {
                        StateCount c = { .state = state };
                        g_array_append_val(counts, c);
                }
                g_array_index(counts, StateCount, j).count++;
        }

        return counts;
}

/* The patch whose transition runs while lpmaintd is busy: one runs at a time. */
static const Patch *patch_in_transition(GPtrArray *patches) {
        static const char *const moving[] = { "loading", "patching", "unpatching" };

        for (guint i = 0; i < patches->len; i++) {
                const Patch *p = g_ptr_array_index(patches, i);
                for (size_t j = 0; j < ELEMENTSOF(moving); j++)
                        if (p->state && g_str_equal(p->state, moving[j]))
                                return p;
        }
        return NULL;
}

static int get_manager_info(sd_bus *bus, ManagerInfo *ret, sd_bus_error *error) {
        /* The service's state, then what the kernel shows now (read on request). */
        int r = bus_get_all_properties(bus, LPMAINT_OBJECT_PATH, LPMAINT_MANAGER_INTERFACE, manager_properties, ret,
                                       true, error);
        return r < 0 ? r : bus_get_all_properties(bus, LPMAINT_OBJECT_PATH, LPMAINT_KERNEL_INTERFACE,
                                                  manager_properties, ret, true, error);
}

static int print_json(const ManagerInfo *m, GArray *counts, const Patch *moving, const SyncInfo *sync) {
        JsonWriter w;

        json_writer_init(&w, stdout, stdout_is_terminal());
        json_begin_object(&w);
        json_field_string(&w, "version", m->version);
        json_field_string(&w, "kernel_release", m->kernel_release);
        json_field_bool(&w, "livepatch_supported", m->livepatch_supported);
        json_field_bool(&w, "simulated", m->simulated);
        json_field_bool(&w, "busy", m->busy);
        json_key(&w, "transition");
        if (moving) {
                json_begin_object(&w);
                json_field_string(&w, "patch", moving->name);
                json_field_string(&w, "operation", moving->operation);
                json_field_string(&w, "state", moving->state);
                json_end_object(&w);
        } else
                json_null(&w);
        json_field_string(&w, "ring", m->ring);
        json_field_uint(&w, "tainted", m->tainted);
        json_key(&w, "taint_flags");
        json_taint_flags(&w, m->tainted);
        json_field_strv(&w, "unmanaged_patches", m->unmanaged_patches);
        json_field_uint(&w, "transition_timeout_usec", m->transition_timeout_usec);
        json_field_string(&w, "automation_group", m->automation_group);
        json_field_string(&w, "kernel_lockdown", m->kernel_lockdown);
        json_field_bool(&w, "module_signature_enforced", m->module_signature_enforced);
        json_field_strv(&w, "unacknowledged_break_glass", m->unacknowledged_break_glass);
        json_field_strv(&w, "unsaved_records", m->unsaved_records);
        json_field_bool(&w, "reboot_required", m->reboot_required);
        json_field_string(&w, "configuration_error", m->configuration_error ?: "");
        json_key(&w, "reboot_reasons");
        json_begin_array(&w);
        for (size_t i = 0; i < m->reboot_reasons.n; i++) {
                const RebootReasonInfo *rr = &m->reboot_reasons.reasons[i];
                json_begin_object(&w);
                json_field_string(&w, "code", rr->code);
                json_field_string(&w, "text", rr->text);
                json_field_uint(&w, "since_usec", rr->since_usec);
                json_end_object(&w);
        }
        json_end_array(&w);
        json_key(&w, "patch_counts");
        json_begin_object(&w);
        for (guint i = 0; i < counts->len; i++) {
                const StateCount *c = &g_array_index(counts, StateCount, i);
                json_field_uint(&w, c->state, c->count);
        }
        json_end_object(&w);
        sync_info_json(&w, sync);
        json_end_object(&w);
        return json_writer_finish(&w);
}

static int print_human(const ManagerInfo *m, GArray *counts, const Patch *moving) {
        char buf[FORMAT_DURATION_MAX];
        g_autofree char *tainted = NULL, *unmanaged = NULL;
        g_autoptr(GString) patches = g_string_new(NULL);

        tainted = format_taint(m->tainted);
        unmanaged = m->unmanaged_patches && m->unmanaged_patches[0] ?
                g_strjoinv(", ", m->unmanaged_patches) : g_strdup("none");

        for (guint i = 0; i < counts->len; i++) {
                const StateCount *c = &g_array_index(counts, StateCount, i);
                if (c->count == 0)
                        continue;
                g_string_append_printf(patches, "%s%u %s", patches->len > 0 ? ", " : "", c->count, c->state);
        }

        print_field("Version", strdash(m->version));
        print_field("Kernel release", strdash(m->kernel_release));
        print_field("Livepatch supported", yes_no(m->livepatch_supported));
        print_field("Simulated", yes_no(m->simulated));
        print_field("Ring", m->ring && *m->ring ? m->ring : "none (patches do not soak)");
        /* Busy with what: the patch whose transition runs and which way. */
        g_autofree char *busy = moving ? g_strdup_printf("yes (%s %s, %s)", strdash(moving->operation), strdash(moving->name),
                                                          strdash(moving->state)) :
                                         g_strdup(yes_no(m->busy));
        print_field("Busy", busy);
        print_field("Tainted", tainted);
        print_field("Unmanaged patches", unmanaged);
        print_field("Transition timeout", strdash(format_duration(buf, sizeof buf, m->transition_timeout_usec)));
        print_field("Automation group", strdash(m->automation_group));
        /* Why the kernel might refuse a module, before anyone tries. */
        print_field("Kernel lockdown", m->kernel_lockdown && m->kernel_lockdown[0] ? m->kernel_lockdown : "not available");
        print_field("Module sig. enforced", yes_no(m->module_signature_enforced));
        if (m->unacknowledged_break_glass && m->unacknowledged_break_glass[0]) {
                g_autofree char *bg = g_strjoinv(", ", m->unacknowledged_break_glass);
                g_autofree char *line = g_strdup_printf("%s (unacknowledged; see lpmaint acknowledge)", bg);
                print_field("BREAK-GLASS", line);
        }
        print_field("Patches", patches->len > 0 ? patches->str : "none");
        if (m->unsaved_records && m->unsaved_records[0]) {
                /* The kernel has what lpmaintd reports; its record on disk is behind. */
                g_autofree char *names = g_strjoinv(", ", m->unsaved_records);
                g_autofree char *line = g_strdup_printf("%s (not yet written to disk; retrying)", names);
                print_field("RECORDS BEHIND", line);
        }
        print_field("Reboot required", yes_no(m->reboot_required));
        for (size_t i = 0; i < m->reboot_reasons.n; i++)
                print_field(i == 0 ? "Reboot reasons" : "", m->reboot_reasons.reasons[i].text);
        if (m->configuration_error && m->configuration_error[0]) {
                /* lpmaintd runs on the configuration it last loaded. */
                g_autofree char *line = g_strdup_printf("reload failed, running on the last good one: %s",
                                                        m->configuration_error);
                print_field("CONFIG ERROR", line);
        }

        if (fflush(stdout) != 0 || ferror(stdout))
                return -EIO;
        return 0;
}

int verb_status(int argc, char *argv[], void *userdata) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(manager_info_clear) ManagerInfo info = {};
        _cleanup_(sync_info_clear) SyncInfo sync = {};
        g_autoptr(GPtrArray) patches = NULL;
        g_autoptr(GArray) counts = NULL;
        const Patch *moving;
        int r;

        /* "status NAME" is "show NAME", as systemctl does it. */
        if (argc > 1)
                return verb_show(argc, argv, userdata);

        r = acquire_bus(&bus);
        if (r != 0)
                return r;

        r = get_manager_info(bus, &info, &error);
        if (r < 0)
                return log_bus_error(&error, r, "Failed to get the state of lpmaintd");

        r = patch_get_all(bus, true, &patches, &error);
        if (r < 0)
                return log_bus_error(&error, r, "Failed to list live patches");

        counts = count_states(patches);
        moving = info.busy ? patch_in_transition(patches) : NULL;

        r = sync_info_get(bus, &sync, &error);
        if (r < 0)
                return log_bus_error(&error, r, "Failed to get the sync status of lpmaintd");

        r = arg_json ? print_json(&info, counts, moving, &sync) : print_human(&info, counts, moving);
        if (r < 0)
                return log_errno(LPMAINT_EXIT_FAILED, r, "Failed to write output");
        if (!arg_json)
                sync_info_print(&sync);

        return LPMAINT_EXIT_SUCCESS;
}
