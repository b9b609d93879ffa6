/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "audit-chain.h"
#include "bus.h"
#include "format.h"
#include "json.h"
#include "log.h"
#include "lpmaint.h"
#include "macro.h"
#include "table.h"

static int append_filter(sd_bus_message *m) {
        int r;

        r = sd_bus_message_open_container(m, 'a', "{sv}");
        if (r < 0)
                return r;

        /* Only the filters given: an absent key means "any". */
        if (arg_history.has_since) {
                r = sd_bus_message_append(m, "{sv}", "since", "t", arg_history.since);
                if (r < 0)
                        return r;
        }
        if (arg_history.has_limit) {
                r = sd_bus_message_append(m, "{sv}", "limit", "u", arg_history.limit);
                if (r < 0)
                        return r;
        }
        if (arg_history.patch) {
                r = sd_bus_message_append(m, "{sv}", "patch", "s", arg_history.patch);
                if (r < 0)
                        return r;
        }
        if (arg_history.has_uid) {
                r = sd_bus_message_append(m, "{sv}", "uid", "u", arg_history.uid);
                if (r < 0)
                        return r;
        }
        if (arg_history.result) {
                r = sd_bus_message_append(m, "{sv}", "result", "s", arg_history.result);
                if (r < 0)
                        return r;
        }

        return sd_bus_message_close_container(m);
}

/* The records point into @reply, which holds the strings. */
static int read_records(sd_bus_message *reply, GArray *records) {
        AuditRecord rec;
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "(tuussssss)");
        if (r < 0)
                return r;

        while ((r = sd_bus_message_read(reply, "(tuussssss)",
                                        &rec.time_usec, &rec.uid, &rec.pid, &rec.unit, &rec.action,
                                        &rec.patch, &rec.sha256, &rec.result, &rec.message)) > 0)
                g_array_append_val(records, rec);
        if (r < 0)
                return r;

        return sd_bus_message_exit_container(reply);
}

static int print_json(GArray *records) {
        JsonWriter w;

        json_writer_init(&w, stdout, isatty(STDOUT_FILENO));
        json_begin_array(&w);
        for (guint i = 0; i < records->len; i++) {
                const AuditRecord *rec = &g_array_index(records, AuditRecord, i);

                json_begin_object(&w);
                json_field_uint(&w, "time_usec", rec->time_usec);
                json_field_uint(&w, "uid", rec->uid);
                json_field_uint(&w, "pid", rec->pid);
                json_field_string(&w, "unit", rec->unit);
                json_field_string(&w, "action", rec->action);
                json_field_string(&w, "patch", rec->patch);
                json_field_string(&w, "sha256", rec->sha256);
                json_field_string(&w, "result", rec->result);
                json_field_string(&w, "message", rec->message);
                json_end_object(&w);
        }
        json_end_array(&w);
        return json_writer_finish(&w);
}

static int print_human(GArray *records) {
        g_autoptr(Table) t = table_new(6);

        /* No header: one line per record, so "| wc -l" counts records. */
        for (guint i = 0; i < records->len; i++) {
                const AuditRecord *rec = &g_array_index(records, AuditRecord, i);
                char ts[FORMAT_TIMESTAMP_MAX], uid[16];

                snprintf(uid, sizeof uid, "%" PRIu32, rec->uid);
                table_add(t, format_timestamp(ts, sizeof ts, rec->time_usec));
                table_add(t, uid);
                table_add(t, rec->action);
                table_add(t, rec->patch && *rec->patch ? rec->patch : NULL);
                table_add(t, rec->result && *rec->result ? rec->result : NULL);
                table_add(t, rec->message);
        }

        return table_print(t, stdout);
}

int verb_history(int argc, char *argv[], void *userdata) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        g_autoptr(GArray) records = g_array_new(false, false, sizeof(AuditRecord));
        int r;

        r = acquire_bus(&bus);
        if (r != 0)
                return r;

        r = sd_bus_message_new_method_call(bus, &m, LPMAINT_BUS_NAME, LPMAINT_OBJECT_PATH,
                                           LPMAINT_MANAGER_INTERFACE, "GetHistory");
        if (r < 0)
                return log_errno(LPMAINT_EXIT_FAILED, r, "Failed to create the GetHistory call");

        r = append_filter(m);
        if (r < 0)
                return log_errno(LPMAINT_EXIT_FAILED, r, "Failed to create the GetHistory call");

        r = sd_bus_call(bus, m, 0, &error, &reply);
        if (r < 0)
                return log_bus_error(&error, r, "Failed to read the audit trail");

        r = read_records(reply, records);
        if (r < 0)
                return log_errno(LPMAINT_EXIT_FAILED, r, "Failed to parse the audit trail");

        r = arg_json ? print_json(records) : print_human(records);
        if (r < 0)
                return log_errno(LPMAINT_EXIT_FAILED, r, "Failed to write output");

        return LPMAINT_EXIT_SUCCESS;
}
