/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdbool.h>
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
#include "terminal.h"

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
        if (arg_history.has_until) {
                r = sd_bus_message_append(m, "{sv}", "until", "t", arg_history.until);
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

/* lpmaintd's own actions (soak verdicts, rollbacks, re-applies, the reboot
 * wave's outcomes) are recorded with uid 0, no pid and the unit "lpmaintd",
 * which no caller has: a caller's unit is a unit name with a suffix, and
 * every caller has a pid. */
static bool record_by_lpmaintd(const AuditRecord *rec) {
        return rec->uid == 0 && rec->pid == 0 && g_str_equal(rec->unit, "lpmaintd");
}

/* The user name of @uid, NULL when it has none here. Looked up once per uid. */
static const char *user_name(GHashTable *cache, uint32_t uid) {
        gpointer key = GUINT_TO_POINTER(uid), value;

        if (g_hash_table_lookup_extended(cache, key, NULL, &value))
                return value;

        struct passwd pw, *result = NULL;
        char buf[4096];
        char *name = getpwuid_r((uid_t) uid, &pw, buf, sizeof buf, &result) == 0 && result ? g_strdup(pw.pw_name) : NULL;
        g_hash_table_insert(cache, key, name);
        return name;
}

/* Who made the record, for people: "lpmaintd", "lpmaint-auto (1001)", or the uid alone. */
static char *record_user(GHashTable *cache, const AuditRecord *rec) {
        const char *name;

        if (record_by_lpmaintd(rec))
                return g_strdup("lpmaintd");
        name = user_name(cache, rec->uid);
        return name ? g_strdup_printf("%s (%" PRIu32 ")", name, rec->uid) : g_strdup_printf("%" PRIu32, rec->uid);
}

static int print_json(GArray *records, GHashTable *users) {
        JsonWriter w;

        json_writer_init(&w, stdout, stdout_is_terminal());
        json_begin_array(&w);
        for (guint i = 0; i < records->len; i++) {
                const AuditRecord *rec = &g_array_index(records, AuditRecord, i);
                bool by_lpmaintd = record_by_lpmaintd(rec);

                json_begin_object(&w);
                json_field_uint(&w, "time_usec", rec->time_usec);
                json_field_uint(&w, "uid", rec->uid);
                json_field_string(&w, "user", by_lpmaintd ? "lpmaintd" : user_name(users, rec->uid));
                json_field_bool(&w, "by_lpmaintd", by_lpmaintd);
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

#define HISTORY_COLUMNS 6

static int print_human(GArray *records, GHashTable *users) {
        g_autoptr(GPtrArray) cells = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(Table) t = table_new(HISTORY_COLUMNS);
        size_t widths[HISTORY_COLUMNS - 1] = {};
        size_t columns = terminal_columns();
        static const char *const header[HISTORY_COLUMNS] = { "TIME", "USER", "ACTION", "PATCH", "RESULT", "MESSAGE" };

        for (size_t c = 0; c < HISTORY_COLUMNS; c++)
                g_ptr_array_add(cells, g_strdup(header[c]));
        for (guint i = 0; i < records->len; i++) {
                const AuditRecord *rec = &g_array_index(records, AuditRecord, i);
                char ts[FORMAT_TIMESTAMP_MAX];

                g_ptr_array_add(cells, g_strdup(format_timestamp(ts, sizeof ts, rec->time_usec)));
                g_ptr_array_add(cells, record_user(users, rec));
                g_ptr_array_add(cells, g_strdup(rec->action));
                g_ptr_array_add(cells, g_strdup(rec->patch));
                g_ptr_array_add(cells, g_strdup(rec->result));
                g_ptr_array_add(cells, g_strdup(rec->message));
        }

        /* On a terminal a long message is cut to the line, so that every
         * record stays one line, paged too (as systemctl does: less -S); a
         * pipe and --json get it whole. The header counts only when shown. */
        for (guint i = arg_legend ? 0 : HISTORY_COLUMNS; i < cells->len; i++)
                if (i % HISTORY_COLUMNS < HISTORY_COLUMNS - 1)
                        widths[i % HISTORY_COLUMNS] = MAX(widths[i % HISTORY_COLUMNS],
                                                          (size_t) g_utf8_strlen(strdash(cells->pdata[i]), -1));
        size_t used = 0;
        for (size_t c = 0; c < HISTORY_COLUMNS - 1; c++)
                used += widths[c] + 2;

        for (guint i = 0; i < cells->len; i++) {
                char *cell = cells->pdata[i];

                if (i % HISTORY_COLUMNS == HISTORY_COLUMNS - 1 && columns > 0) {
                        g_autofree char *cut = ellipsize(strdash(cell), columns > used + 10 ? columns - used : 10);
                        table_add(t, cut);
                } else
                        table_add(t, cell && *cell ? cell : NULL);
        }
        return table_print(t, stdout);
}

int verb_history(int argc, char *argv[], void *userdata) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        g_autoptr(GArray) records = g_array_new(false, false, sizeof(AuditRecord));
        g_autoptr(GHashTable) users = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
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

        r = arg_json ? print_json(records, users) : print_human(records, users);
        if (r < 0)
                return log_errno(LPMAINT_EXIT_FAILED, r, "Failed to write output");

        return LPMAINT_EXIT_SUCCESS;
}
