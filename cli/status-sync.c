/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>

#include "bus.h"
#include "format.h"
#include "macro.h"
#include "props.h"
#include "status-sync.h"

void sync_error_list_clear(SyncErrorList *l) {
        for (size_t i = 0; i < l->n; i++)
                g_free(l->counts[i].kind);
        g_free(l->counts);
        *l = (SyncErrorList) {};
}

int prop_parse_sync_errors(sd_bus_message *m, void *field) {
        SyncErrorList *l = field;
        const char *kind;
        uint64_t count;
        int r;

        sync_error_list_clear(l);
        r = sd_bus_message_enter_container(m, 'a', "{st}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, "{st}", &kind, &count)) > 0) {
                l->counts = g_renew(SyncErrorCount, l->counts, l->n + 1);
                l->counts[l->n++] = (SyncErrorCount) { .kind = g_strdup(kind), .count = count };
        }
        if (r < 0)
                return r;
        l->set = true;
        return sd_bus_message_exit_container(m);
}

void sync_info_clear(SyncInfo *s) {
        g_strfreev(s->channels);
        g_free(s->last_channel);
        g_free(s->last_result);
        g_free(s->last_message);
        sync_error_list_clear(&s->errors);
}

static const PropertyMap sync_configuration_properties[] = {
        { "Channels", "as", prop_parse_strv, offsetof(SyncInfo, channels) },
        {}
};

static const PropertyMap sync_status_properties[] = {
        { "LastUSec",          "t", prop_parse_uint64, offsetof(SyncInfo, last_usec)      },
        { "LastChannel",       "s", prop_parse_string, offsetof(SyncInfo, last_channel)   },
        { "LastSerial",        "t", prop_parse_uint64, offsetof(SyncInfo, last_serial)    },
        { "LastResult",        "s", prop_parse_string, offsetof(SyncInfo, last_result)    },
        { "LastMessage",       "s", prop_parse_string, offsetof(SyncInfo, last_message)   },
        { "LastSuccessUSec",   "t", prop_parse_uint64, offsetof(SyncInfo, success_usec)   },
        { "LastSuccessSerial", "t", prop_parse_uint64, offsetof(SyncInfo, success_serial) },
        {}
};

/* The two a{sv} properties, each mapped into the whole SyncInfo (offset 0). */
static int parse_sync_configuration(sd_bus_message *m, void *dest) {
        return bus_map_properties(m, sync_configuration_properties, dest);
}

int prop_parse_sync_status(sd_bus_message *m, void *dest) {
        return bus_map_properties(m, sync_status_properties, dest);
}

static const PropertyMap sync_properties[] = {
        { "SyncConfiguration", "a{sv}", parse_sync_configuration, 0 },
        { "SyncStatus",        "a{sv}", prop_parse_sync_status,   0 },
        { "SyncErrors",        "a{st}", prop_parse_sync_errors,   offsetof(SyncInfo, errors) },
        {}
};

int sync_info_get(sd_bus *bus, SyncInfo *ret, sd_bus_error *error) {
        return bus_get_all_properties(bus, LPMAINT_OBJECT_PATH, LPMAINT_MANAGER_INTERFACE, sync_properties, ret, true, error);
}

bool sync_info_last_failed(const SyncInfo *s) {
        return s->last_usec > 0 && s->last_usec != s->success_usec && s->last_result;
}

static void print_line(const char *key, const char *value) {
        /* As verb-status.c's fields. */
        printf("%20s: %s\n", key, value);
}

void sync_info_print(const SyncInfo *s) {
        char buf[FORMAT_TIMESTAMP_MAX];

        if (!s->channels || !s->channels[0])
                return;

        for (size_t i = 0; s->channels[i]; i++)
                print_line(i == 0 ? "Channel" : "", s->channels[i]);
        if (s->success_usec > 0) {
                print_line("Last sync", format_timestamp(buf, sizeof buf, s->success_usec));
                g_autofree char *serial = g_strdup_printf("%" PRIu64, s->success_serial);
                print_line("Serial", serial);
        } else
                print_line("Last sync", "never");
        /* The last run failed: what it was, from which channel, and when. */
        if (sync_info_last_failed(s)) {
                g_autofree char *line = g_strdup_printf("%s: %s (%s, %s)", s->last_result, s->last_message ?: "",
                                                        s->last_channel ?: "", format_timestamp(buf, sizeof buf, s->last_usec));
                print_line("Last error", line);
        }
}

void sync_info_json(JsonWriter *w, const SyncInfo *s) {
        json_key(w, "sync");
        json_begin_object(w);
        json_field_strv(w, "channels", s->channels);
        json_field_uint(w, "last_usec", s->last_usec);
        json_field_string(w, "last_channel", s->last_channel);
        json_field_uint(w, "last_serial", s->last_serial);
        json_field_string(w, "last_result", s->last_result);
        json_field_string(w, "last_message", s->last_message);
        json_field_uint(w, "last_success_usec", s->success_usec);
        json_field_uint(w, "last_success_serial", s->success_serial);
        json_field_bool(w, "last_failed", sync_info_last_failed(s));
        json_key(w, "errors");
        json_begin_object(w);
        for (size_t i = 0; i < s->errors.n; i++)
                json_field_uint(w, s->errors.counts[i].kind, s->errors.counts[i].count);
        json_end_object(w);
        json_end_object(w);
}

