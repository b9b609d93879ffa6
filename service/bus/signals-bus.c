/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* org.lpmaint1.Signals: what lpmaintd watches to judge the host's health,
 * beside the Manager at /org/lpmaint1. The kernel's parts are read on each
 * request; kept off the Manager and Kernel interfaces because reading the
 * whole kernel log is not free. */
#include <errno.h>

#include "bus-objects.h"
#include "kmsg-reader.h"
#include "manager.h"

static int property_get_pressure(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        int r = sd_bus_message_open_container(reply, 'a', "(suuut)");

        /* Kernels without PSI have no files: an empty list. */
        for (int i = 0; r >= 0 && i < _PRESSURE_MAX; i++) {
                Pressure p;
                if (kernel_pressure(m->kernel, (PressureResource) i, &p) < 0)
                        continue;
                r = sd_bus_message_append(reply, "(suuut)", pressure_resource_to_string((PressureResource) i),
                                          p.avg10, p.avg60, p.avg300, p.total_usec);
        }
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

static int property_get_log_events(sd_bus *bus, const char *path, const char *interface, const char *property,
                                   sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        uint64_t counts[_KMSG_EVENT_MAX], oldest = 0, booted = 0;

        int r = kmsg_scan(m->kernel, counts, &oldest);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Cannot read the kernel log: %m");
        (void) kernel_boot_time(m->kernel, &booted);

        r = sd_bus_message_open_container(reply, 'r', "ta(st)");
        if (r >= 0)
                r = sd_bus_message_append(reply, "t", booted + oldest);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(st)");
        for (int i = KMSG_EVENT_NONE + 1; r >= 0 && i < _KMSG_EVENT_MAX; i++)
                r = sd_bus_message_append(reply, "(st)", kmsg_event_to_string((KmsgEvent) i), counts[i]);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

/* The boot log (daemon/manager-boots.c). */
static int property_get_boots(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        int r = sd_bus_message_open_container(reply, 'a', "(ssttss)");

        for (guint i = 0; r >= 0 && m->boots && i < m->boots->records->len; i++) {
                const BootRecord *b = &g_array_index(m->boots->records, BootRecord, i);
                r = sd_bus_message_append(reply, "(ssttss)", b->boot_id, b->kernel_release, b->booted_usec,
                                          b->ended_usec, boot_end_to_string(b->end), b->reason);
        }
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

/* The last result of each health check (daemon/manager-health.c). */
int bus_append_health_results(sd_bus_message *reply, const GArray *results) {
        int r = sd_bus_message_open_container(reply, 'a', "(sbistt)");

        for (guint i = 0; r >= 0 && results && i < results->len; i++) {
                const HealthCheckResult *h = &g_array_index(results, HealthCheckResult, i);
                r = sd_bus_message_append(reply, "(sbistt)", h->name, (int) h->passed, h->exit_status, h->detail,
                                          h->started_usec, h->duration_usec);
        }
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

static int property_get_health_checks(sd_bus *bus, const char *path, const char *interface, const char *property,
                                      sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return bus_append_health_results(reply, manager_health_results(userdata));
}

const sd_bus_vtable signals_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Pressure", "a(suuut)", property_get_pressure, 0, 0),
        SD_BUS_PROPERTY("KernelLogEvents", "(ta(st))", property_get_log_events, 0, 0),
        SD_BUS_PROPERTY("Boots", "a(ssttss)", property_get_boots, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("HealthChecks", "a(sbistt)", property_get_health_checks, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_VTABLE_END
};
