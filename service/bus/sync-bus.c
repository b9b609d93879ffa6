/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* org.lpmaint1.Manager's members for lpmaint-sync: the [Sync] configuration
 * it reads (lpmaintd itself never fetches), the outcome of each of its runs
 * it reports, and that outcome for `lpmaint status`. */
#include <errno.h>

#include "bus-authorize.h"
#include "bus-objects.h"
#include "log.h"
#include "manager.h"
#include "util.h"

static int property_get_sync_configuration(sd_bus *bus, const char *path, const char *interface, const char *property,
                                           sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const SyncSettings *s = &m->config.sync;
        int r;

        if ((r = sd_bus_message_open_container(reply, 'a', "{sv}")) < 0 ||
            (r = sd_bus_message_open_container(reply, 'e', "sv")) < 0 ||
            (r = sd_bus_message_append(reply, "s", "Channels")) < 0 ||
            (r = sd_bus_message_open_container(reply, 'v', "as")) < 0 ||
            (r = sd_bus_message_append_strv(reply, s->channels)) < 0 ||
            (r = sd_bus_message_close_container(reply)) < 0 ||
            (r = sd_bus_message_close_container(reply)) < 0 ||
            (r = sd_bus_message_open_container(reply, 'e', "sv")) < 0 ||
            (r = sd_bus_message_append(reply, "s", "IndexSigners")) < 0 ||
            (r = sd_bus_message_open_container(reply, 'v', "as")) < 0 ||
            (r = sd_bus_message_append_strv(reply, s->index_signers)) < 0 ||
            (r = sd_bus_message_close_container(reply)) < 0 ||
            (r = sd_bus_message_close_container(reply)) < 0)
                return r;
        r = sd_bus_message_append(reply, "{sv}{sv}{sv}{sv}{sv}{sv}{sv}{sv}{sv}",
                                  "AllowPlainHTTP", "b", (int) s->allow_plain_http,
                                  "CAFile", "s", s->ca_file,
                                  "ClientCertificate", "s", s->client_certificate,
                                  "ClientKey", "s", s->client_key,
                                  "TrustDirectory", "s", m->config.trust_directory,
                                  "TimeoutUSec", "t", s->timeout_usec,
                                  "ConnectTimeoutUSec", "t", s->connect_timeout_usec,
                                  "LowSpeedLimitBytes", "t", s->low_speed_limit_bytes,
                                  "LowSpeedTimeUSec", "t", s->low_speed_time_usec);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

static int property_get_sync_status(sd_bus *bus, const char *path, const char *interface, const char *property,
                                    sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const SyncReport *l = &m->sync_status.last, *s = &m->sync_status.last_success;

        return sd_bus_message_append(reply, "a{sv}", 8,
                                     "LastUSec", "t", l->time_usec,
                                     "LastChannel", "s", l->channel,
                                     "LastSerial", "t", l->serial,
                                     "LastResult", "s", l->result,
                                     "LastMessage", "s", l->message,
                                     "LastSuccessUSec", "t", s->time_usec,
                                     "LastSuccessChannel", "s", s->channel,
                                     "LastSuccessSerial", "t", s->serial);
}

static int property_get_sync_errors(sd_bus *bus, const char *path, const char *interface, const char *property,
                                    sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "{st}");
        if (r < 0)
                return r;
        for (SyncErrorKind k = 0; k < _SYNC_ERROR_KIND_MAX; k++) {
                r = sd_bus_message_append(reply, "{st}", sync_error_kind_to_string(k), m->sync_status.errors[k]);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

/* ReportSync's a{sv}: channel (s), serial (t), result (s), message (s). */
static int read_report(sd_bus_message *msg, SyncReport *rep, sd_bus_error *error) {
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
                bool serial = g_str_equal(key, "serial");
                const char **field = g_str_equal(key, "channel") ? (const char **) &rep->channel :
                                     g_str_equal(key, "result") ? (const char **) &rep->result :
                                     g_str_equal(key, "message") ? (const char **) &rep->message : NULL;
                if (!serial && !field)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Unknown key \"%s\"", key);
                if (!g_str_equal(contents, serial ? "t" : "s"))
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Key \"%s\" takes type %s",
                                                 key, serial ? "t" : "s");
                r = serial ? sd_bus_message_read(msg, "v", "t", &rep->serial) : sd_bus_message_read(msg, "v", "s", field);
                if (r < 0 || (r = sd_bus_message_exit_container(msg)) < 0)
                        return r;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(msg);
        if (r < 0)
                return r;
        if (!sync_report_is_valid(rep->channel, rep->result, rep->message))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "A report needs a result (at most %d letters, digits, '.', '-', '_'), "
                                         "a channel and message of printable text (at most %d and %d characters)",
                                         SYNC_RESULT_MAX, SYNC_CHANNEL_MAX, SYNC_MESSAGE_MAX);
        return 0;
}

static const BusAction report_sync_action = { "report-sync", POLKIT_ACTION_REPORT_SYNC, true };

static int method_report_sync(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_(caller_clear) Caller caller = {};
        /* The strings point into @msg, valid for this call. */
        SyncReport rep = { .channel = (char *) "", .result = (char *) "", .message = (char *) "" };
        int r;

        r = read_report(msg, &rep, error);
        if (r < 0)
                return r;
        r = bus_authorize(m, msg, &report_sync_action, NULL, &caller, error);
        if (r <= 0)
                return r == 0 ? 1 : r;

        rep.time_usec = now_realtime_usec();
        r = manager_sync_report(m, &rep, error);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, NULL);
}

const sd_bus_vtable sync_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("SyncConfiguration", "a{sv}", property_get_sync_configuration, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("SyncStatus", "a{sv}", property_get_sync_status, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("SyncErrors", "a{st}", property_get_sync_errors, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_ARGS("ReportSync",
                                SD_BUS_ARGS("a{sv}", report),
                                SD_BUS_NO_RESULT,
                                method_report_sync, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END
};
