/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* org.lpmaint1.Manager: argument checks, authorization, then apply.c. */
#include <errno.h>
#include <string.h>

#include "bus-authorize.h"
#include "bus-objects.h"
#include "config.h"
#include "errors.h"
#include "log.h"
#include "manager.h"
#include "manifest.h"
#include "util.h"

static int compare_name_ptrs(const void *a, const void *b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

static void emit_break_glass_changed(Manager *m) {
        if (m->bus)
                (void) sd_bus_emit_properties_changed(m->bus, LPMAINT_OBJECT_PATH, LPMAINT_MANAGER_INTERFACE,
                                                      "UnacknowledgedBreakGlass", NULL);
}

int bus_read_bool_options(sd_bus_message *msg, const char *const *keys, bool *const *fields, sd_bus_error *error) {
        int r;

        r = sd_bus_message_enter_container(msg, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(msg, 'e', "sv")) > 0) {
                const char *key;
                int value;
                size_t i;

                if ((r = sd_bus_message_read(msg, "s", &key)) < 0)
                        return r;
                for (i = 0; keys[i] && !g_str_equal(keys[i], key); i++)
                        ;
                /* A client relying on an option this version does not know learns it at once. */
                if (!keys[i])
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Unknown option \"%s\"", key);
                if (sd_bus_message_read(msg, "v", "b", &value) < 0)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Option \"%s\" takes a boolean", key);
                *fields[i] = value;
                if ((r = sd_bus_message_exit_container(msg)) < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(msg);
}

/* Options are reserved: any key is refused. */
static int read_empty_options(sd_bus_message *msg, sd_bus_error *error) {
        static const char *const none[] = { NULL };
        return bus_read_bool_options(msg, none, NULL, error);
}

#define APPLY_SOURCE_MAX 1024

/* Apply's a{sv}: the booleans break-glass and allow-downgrade, and source, a
 * string (lpmaint-sync's channel URL and index serial) kept in the audit
 * record and on the Patch object. */
static int read_apply_options(sd_bus_message *msg, ApplyOptions *opts, sd_bus_error *error) {
        int r;

        r = sd_bus_message_enter_container(msg, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(msg, 'e', "sv")) > 0) {
                const char *key;
                int value;

                if ((r = sd_bus_message_read(msg, "s", &key)) < 0)
                        return r;
                bool *flag = g_str_equal(key, "break-glass") ? &opts->break_glass :
                             g_str_equal(key, "allow-downgrade") ? &opts->allow_downgrade : NULL;
                if (flag) {
                        if (sd_bus_message_read(msg, "v", "b", &value) < 0)
                                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Option \"%s\" takes a boolean", key);
                        *flag = value;
                } else if (g_str_equal(key, "source")) {
                        if (sd_bus_message_read(msg, "v", "s", &opts->source) < 0 ||
                            !string_is_printable(opts->source, APPLY_SOURCE_MAX) || !opts->source[0])
                                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                         "Option \"source\" takes printable text of at most %d characters",
                                                         APPLY_SOURCE_MAX);
                } else
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Unknown option \"%s\"", key);
                if ((r = sd_bus_message_exit_container(msg)) < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(msg);
}

static const BusAction apply_action = { "apply", POLKIT_ACTION_APPLY, true };
static const BusAction downgrade_action = { "apply", POLKIT_ACTION_DOWNGRADE, true };
/* An administrator outside the automation group, in an emergency; covers a downgrade too. */
static const BusAction break_glass_action = { "apply-break-glass", POLKIT_ACTION_APPLY_BREAK_GLASS, false };
static const BusAction disable_action = { "disable", POLKIT_ACTION_ROLLBACK, false };
static const BusAction acknowledge_action = { "acknowledge-break-glass", POLKIT_ACTION_ACKNOWLEDGE, false };
static const BusAction run_health_checks_action = { "run-health-checks", POLKIT_ACTION_RUN_HEALTH_CHECKS, false };

static int method_apply(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_(caller_clear) Caller caller = {};
        int manifest_fd, signature_fd, module_fd;
        ApplyOptions opts = {};
        Patch *p = NULL;
        int r;

        r = sd_bus_message_read(msg, "hhh", &manifest_fd, &signature_fd, &module_fd);
        if (r < 0)
                return r;
        r = read_apply_options(msg, &opts, error);
        if (r < 0)
                return r;

        /* One polkit action per call: break-glass, a downgrade by the
         * automation identity, or a plain apply. */
        const BusAction *action = opts.break_glass ? &break_glass_action :
                                  opts.allow_downgrade ? &downgrade_action : &apply_action;
        r = bus_authorize(m, msg, action, NULL, &caller, error);
        if (r <= 0)
                return r == 0 ? 1 : r;

        if (m->transitioning) {
                r = sd_bus_error_setf(error, LPMAINT_ERROR_BUSY, "A transition of patch %s is in progress", m->transitioning->name);
                goto refused;
        }

        /* Audited as accepted by manager_apply(), before anything changes. */
        r = manager_apply(m, &caller, &opts, manifest_fd, signature_fd, module_fd, &p, error);
        if (r < 0)
                goto refused;

        if (opts.break_glass) {
                log_warning("Patch %s applied through BREAK-GLASS by uid %u; acknowledge with 'lpmaint acknowledge %s'.",
                            p->name, caller.uid, p->name);
                emit_break_glass_changed(m);
        }
        return sd_bus_reply_method_return(msg, "o", p->object_path);

refused:
        manager_audit_error(m, &caller, action->name, NULL, NULL, error);
        log_notice("Apply by uid %u refused: %s", caller.uid, error->message);
        return r;
}

/* Malformed calls on a patch are refused before anyone is asked or audited. */
static int check_patch_name(const char *name, sd_bus_error *error) {
        if (!patch_name_is_valid(name))
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "Invalid patch name");
        return 0;
}

static int lookup_patch(Manager *m, const char *name, Patch **ret, sd_bus_error *error) {
        *ret = g_hash_table_lookup(m->patches, name);
        if (!*ret)
                return sd_bus_error_setf(error, LPMAINT_ERROR_NO_SUCH_PATCH, "No patch named %s", name);
        return 0;
}

static int method_disable(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_(caller_clear) Caller caller = {};
        const char *name;
        Patch *p;
        int r;

        r = sd_bus_message_read(msg, "s", &name);
        if (r < 0)
                return r;
        r = read_empty_options(msg, error);
        if (r < 0)
                return r;
        r = check_patch_name(name, error);
        if (r < 0)
                return r;
        r = bus_authorize(m, msg, &disable_action, name, &caller, error);
        if (r <= 0)
                return r == 0 ? 1 : r;

        if ((r = lookup_patch(m, name, &p, error)) < 0)
                goto refused;
        if (m->transitioning) {
                r = sd_bus_error_setf(error, LPMAINT_ERROR_BUSY, "A transition of patch %s is in progress", m->transitioning->name);
                goto refused;
        }
        if ((r = manager_disable_check(p, error)) < 0 ||
            (r = manager_audit_accepted(m, &caller, "disable", p->name, p->manifest->module_sha256, "", error)) < 0 ||
            (r = manager_disable(m, &caller, p, error)) < 0)
                goto refused;
        return sd_bus_reply_method_return(msg, NULL);

refused:
        manager_audit_error(m, &caller, "disable", name, NULL, error);
        log_notice("Disable of %s by uid %u refused: %s", name, caller.uid, error->message);
        return r;
}

static int method_acknowledge_break_glass(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_(caller_clear) Caller caller = {};
        const char *name;
        Patch *p;
        int r;

        r = sd_bus_message_read(msg, "s", &name);
        if (r < 0)
                return r;
        r = check_patch_name(name, error);
        if (r < 0)
                return r;
        r = bus_authorize(m, msg, &acknowledge_action, name, &caller, error);
        if (r <= 0)
                return r == 0 ? 1 : r;

        if ((r = lookup_patch(m, name, &p, error)) < 0)
                goto refused;
        if (!p->break_glass) {
                r = sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Patch %s was not applied through break-glass", name);
                goto refused;
        }
        if (p->break_glass_acknowledged) {
                r = sd_bus_error_setf(error, LPMAINT_ERROR_ALREADY_ACKNOWLEDGED,
                                      "The break-glass apply of patch %s is already acknowledged", name);
                goto refused;
        }
        r = manager_audit_accepted(m, &caller, "acknowledge-break-glass", p->name, p->manifest->module_sha256, "", error);
        if (r < 0)
                goto refused;
        p->break_glass_acknowledged = true;
        manager_patch_changed(m, p);
        emit_break_glass_changed(m);
        return sd_bus_reply_method_return(msg, NULL);

refused:
        manager_audit_error(m, &caller, "acknowledge-break-glass", name, NULL, error);
        return r;
}

static void answer_health_checks(Manager *m, sd_bus_message *call, GArray *results, const sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        if (sd_bus_error_is_set(error)) {
                r = sd_bus_reply_method_error(call, error);
                if (r < 0)
                        log_warning("Cannot answer RunHealthChecks: %s", g_strerror(-r));
                return;
        }
        r = sd_bus_message_new_method_return(call, &reply);
        if (r >= 0)
                r = bus_append_health_results(reply, results);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        if (r < 0)
                log_warning("Cannot answer RunHealthChecks: %s", g_strerror(-r));
}

static int method_run_health_checks(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_(caller_clear) Caller caller = {};
        int r;

        r = bus_authorize(m, msg, &run_health_checks_action, NULL, &caller, error);
        if (r <= 0)
                return r == 0 ? 1 : r;
        r = manager_audit_accepted(m, &caller, "run-health-checks", "", "", "", error);
        if (r < 0)
                return r;
        r = manager_health_run_now(m, msg, &caller, answer_health_checks, error);
        if (r < 0) {
                manager_audit_error(m, &caller, "run-health-checks", "", "", error);
                return r;
        }
        /* Answered when the run ends. */
        return 1;
}

static int read_history_filter(sd_bus_message *msg, AuditFilter *f, sd_bus_error *error) {
        int r;

        r = sd_bus_message_enter_container(msg, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(msg, 'e', "sv")) > 0) {
                const char *key, *contents;
                char type;

                if ((r = sd_bus_message_read(msg, "s", &key)) < 0 ||
                    (r = sd_bus_message_peek_type(msg, &type, &contents)) < 0)
                        return r;

                struct { const char *key, *sig; } known[] = {
                        { "since", "t" }, { "until", "t" }, { "patch", "s" },
                        { "uid", "u" }, { "result", "s" }, { "limit", "u" },
                };
                size_t i;
                for (i = 0; i < G_N_ELEMENTS(known); i++)
                        if (g_str_equal(key, known[i].key))
                                break;
                if (i == G_N_ELEMENTS(known))
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Unknown filter \"%s\"", key);
                if (!g_str_equal(contents, known[i].sig))
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Filter \"%s\" takes type %s", key, known[i].sig);

                if ((r = sd_bus_message_enter_container(msg, 'v', known[i].sig)) < 0)
                        return r;
                if (g_str_equal(key, "since"))
                        r = sd_bus_message_read(msg, "t", &f->since_usec);
                else if (g_str_equal(key, "until"))
                        r = sd_bus_message_read(msg, "t", &f->until_usec);
                else if (g_str_equal(key, "patch"))
                        r = sd_bus_message_read(msg, "s", &f->patch);
                else if (g_str_equal(key, "result"))
                        r = sd_bus_message_read(msg, "s", &f->result);
                else if (g_str_equal(key, "limit"))
                        r = sd_bus_message_read(msg, "u", &f->limit);
                else {
                        uint32_t uid;
                        r = sd_bus_message_read(msg, "u", &uid);
                        f->uid = uid;
                }
                if (r < 0 || (r = sd_bus_message_exit_container(msg)) < 0 || (r = sd_bus_message_exit_container(msg)) < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(msg);
}

static int method_get_history(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        g_autoptr(sd_bus_message) reply = NULL;
        AuditFilter filter = { .uid = -1 };
        int r;

        r = read_history_filter(msg, &filter, error);
        if (r < 0)
                return r;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = audit_read_into(m->audit, &filter, reply);
        if (r < 0)
                return bus_error_set_storage(error, r, r == -EBADFD ? "The audit log is not a regular file" :
                                             "Cannot read the audit log");
        return sd_bus_send(NULL, reply, NULL);
}

static int property_get_busy(sd_bus *bus, const char *path, const char *interface, const char *property,
                             sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append(reply, "b", m->transitioning != NULL);
}

static int property_get_break_glass(sd_bus *bus, const char *path, const char *interface, const char *property,
                                    sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        g_autoptr(GPtrArray) names = g_ptr_array_new();
        GHashTableIter i;
        Patch *p;

        g_hash_table_iter_init(&i, m->patches);
        while (g_hash_table_iter_next(&i, NULL, (void **) &p))
                if (p->break_glass && !p->break_glass_acknowledged)
                        g_ptr_array_add(names, p->name);
        g_ptr_array_sort(names, (GCompareFunc) compare_name_ptrs);
        g_ptr_array_add(names, NULL);
        return sd_bus_message_append_strv(reply, (char **) names->pdata);
}

/* sd-bus's own getter for "b" reads an int; the field is a C bool. */
static int bus_property_get_bool_field(sd_bus *bus, const char *path, const char *interface, const char *property,
                                       sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "b", (int) *(bool *) userdata);
}

static int property_get_ring_health_checks(sd_bus *bus, const char *path, const char *interface, const char *property,
                                           sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append_strv(reply, m->config.ring_health_checks);
}

static int property_get_ring_criteria(sd_bus *bus, const char *path, const char *interface, const char *property,
                                      sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const SoakCriteria *c = &m->config.soak;

        return sd_bus_message_append(reply, "a{st}", 7,
                                     "SoakUSec", c->soak_usec,
                                     "MaxNewTaintFlags", (uint64_t) c->max_new_taint_flags,
                                     "ExpectedTaint", c->expected_taint,
                                     "MaxNewOops", (uint64_t) c->max_new_oops,
                                     "MaxNewWarnings", (uint64_t) c->max_new_warnings,
                                     "MaxKernelLogEvents", (uint64_t) c->max_log_events,
                                     "MaxPressureIncrease", (uint64_t) c->max_pressure_increase);
}

static int property_get_version(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", PACKAGE_VERSION);
}

static int property_get_kernel(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;

        if (g_str_equal(property, "KernelRelease"))
                return sd_bus_message_append(reply, "s", kernel_release(m->kernel));
        if (g_str_equal(property, "LivepatchSupported"))
                return sd_bus_message_append(reply, "b", kernel_livepatch_supported(m->kernel));
        return sd_bus_message_append(reply, "b", kernel_is_simulated(m->kernel));
}

static int property_get_boot_reapply(sd_bus *bus, const char *path, const char *interface, const char *property,
                                     sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append(reply, "s", reapply_state_to_string(manager_reapply_state(m)));
}

const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", property_get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("KernelRelease", "s", property_get_kernel, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("LivepatchSupported", "b", property_get_kernel, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Simulated", "b", property_get_kernel, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Busy", "b", property_get_busy, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("TransitionTimeoutUSec", "t", NULL, offsetof(Manager, config.transition_timeout_usec), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("AutomationGroup", "s", NULL, offsetof(Manager, config.automation_group), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Ring", "s", NULL, offsetof(Manager, config.ring), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("RingCriteria", "a{st}", property_get_ring_criteria, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("AutomaticRollback", "b", bus_property_get_bool_field, offsetof(Manager, config.automatic_rollback), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("UnacknowledgedBreakGlass", "as", property_get_break_glass, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("BootReapply", "s", property_get_boot_reapply, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("RingHealthChecks", "as", property_get_ring_health_checks, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("ConfigurationError", "s", NULL, offsetof(Manager, config_error), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        /* Changes only on restart (manager_reload() keeps it). */
        SD_BUS_PROPERTY("StateDirectory", "s", NULL, offsetof(Manager, config.state_directory), SD_BUS_VTABLE_PROPERTY_CONST),

        SD_BUS_METHOD_WITH_ARGS("Apply",
                                SD_BUS_ARGS("h", manifest, "h", signature, "h", module, "a{sv}", options),
                                SD_BUS_RESULT("o", patch),
                                method_apply, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Disable",
                                SD_BUS_ARGS("s", name, "a{sv}", options),
                                SD_BUS_NO_RESULT,
                                method_disable, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RunHealthChecks",
                                SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("a(sbistt)", results),
                                method_run_health_checks, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("AcknowledgeBreakGlass",
                                SD_BUS_ARGS("s", name),
                                SD_BUS_NO_RESULT,
                                method_acknowledge_break_glass, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetHistory",
                                SD_BUS_ARGS("a{sv}", filter),
                                SD_BUS_RESULT("a(tuussssss)", records),
                                method_get_history, SD_BUS_VTABLE_UNPRIVILEGED),

        SD_BUS_SIGNAL_WITH_ARGS("TransitionFinished",
                                SD_BUS_ARGS("o", patch, "s", name, "s", operation, "s", result), 0),
        SD_BUS_SIGNAL_WITH_ARGS("PatchSoakFinished",
                                SD_BUS_ARGS("o", patch, "s", name, "s", verdict, "s", reason), 0),
        SD_BUS_VTABLE_END
};

/* The Manager's records that did not land yet (manager-records.c). */
static int property_get_unsaved(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const GPtrArray *unsaved = manager_records_unsaved(userdata);
        int r = sd_bus_message_open_container(reply, 'a', "s");

        for (guint i = 0; r >= 0 && i < unsaved->len; i++)
                r = sd_bus_message_append(reply, "s", (const char *) unsaved->pdata[i]);
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

const sd_bus_vtable records_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("UnsavedRecords", "as", property_get_unsaved, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_VTABLE_END
};
