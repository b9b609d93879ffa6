/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "agent-bus.h"
#include "bus-util.h"
#include "lpmaint-bus.h"
#include "util.h"

/* Apply copies and verifies the module before it answers. */
#define APPLY_CALL_TIMEOUT_USEC (UINT64_C(10) * 60 * USEC_PER_SEC)
/* How long a transition may take before the agent stops following it: more
 * than lpmaintd's own TransitionTimeoutSec= allows, which ends it first. */
#define TRANSITION_WAIT_USEC (UINT64_C(15) * 60 * USEC_PER_SEC)

void host_info_done(HostInfo *h) {
        g_free(h->kernel_release);
        g_free(h->ring);
        g_strfreev(h->channels);
        g_free(h->ca_file);
        g_free(h->client_certificate);
        g_free(h->client_key);
        g_strfreev(h->index_signers);
        g_free(h->trust_dir);
        *h = (HostInfo) {};
}

/* One a{sv} entry's value into the field @key names in @fields, when its
 * type is the one expected; other keys are skipped (a newer lpmaintd). */
typedef struct Field {
        const char *key;
        char type;              /* 's', 'b', 't' or 'a' (as) */
        void *dest;
} Field;

static int read_value(sd_bus_message *m, const char *key, const Field *fields, size_t n) {
        const char *contents;
        char type;
        int r;

        if ((r = sd_bus_message_peek_type(m, &type, &contents)) < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                const Field *f = &fields[i];
                if (!g_str_equal(f->key, key))
                        continue;
                switch (f->type) {
                case 's': {
                        const char *s;
                        if (!g_str_equal(contents, "s"))
                                break;
                        if ((r = sd_bus_message_read(m, "v", "s", &s)) < 0)
                                return r;
                        g_free(*(char **) f->dest);
                        *(char **) f->dest = g_strdup(s);
                        return 0;
                }
                case 'b': {
                        int b;
                        if (!g_str_equal(contents, "b"))
                                break;
                        if ((r = sd_bus_message_read(m, "v", "b", &b)) < 0)
                                return r;
                        *(bool *) f->dest = b;
                        return 0;
                }
                case 't':
                        if (!g_str_equal(contents, "t"))
                                break;
                        return sd_bus_message_read(m, "v", "t", f->dest);
                case 'a':
                        if (!g_str_equal(contents, "as"))
                                break;
                        if ((r = sd_bus_message_enter_container(m, 'v', "as")) < 0)
                                return r;
                        g_strfreev(*(char ***) f->dest);
                        *(char ***) f->dest = NULL;
                        if ((r = sd_bus_message_read_strv(m, (char ***) f->dest)) < 0)
                                return r;
                        return sd_bus_message_exit_container(m);
                default:
                        g_assert_not_reached();
                }
        }
        return sd_bus_message_skip(m, "v");
}

/* An a{sv} at the read position into @fields. */
static int read_dict(sd_bus_message *m, const Field *fields, size_t n) {
        int r;

        if ((r = sd_bus_message_enter_container(m, 'a', "{sv}")) < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *key;
                if ((r = sd_bus_message_read(m, "s", &key)) < 0 ||
                    (r = read_value(m, key, fields, n)) < 0 ||
                    (r = sd_bus_message_exit_container(m)) < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

int host_info_get(sd_bus *bus, HostInfo *ret, sd_bus_error *error) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_auto(HostInfo) h = {};
        int r;

        r = sd_bus_call_method(bus, LPMAINT_BUS_NAME, LPMAINT_OBJECT_PATH, "org.freedesktop.DBus.Properties", "GetAll",
                               error, &reply, "s", LPMAINT_MANAGER_INTERFACE);
        if (r < 0)
                return r;

        /* SyncConfiguration is an a{sv} inside the GetAll a{sv}: read apart. */
        const Field sync_fields[] = {
                { "Channels", 'a', &h.channels },
                { "AllowPlainHTTP", 'b', &h.allow_plain_http },
                { "CAFile", 's', &h.ca_file },
                { "ClientCertificate", 's', &h.client_certificate },
                { "ClientKey", 's', &h.client_key },
                { "IndexSigners", 'a', &h.index_signers },
                { "TrustDirectory", 's', &h.trust_dir },
                { "TimeoutUSec", 't', &h.timeout_usec },
                { "ConnectTimeoutUSec", 't', &h.connect_timeout_usec },
                { "LowSpeedLimitBytes", 't', &h.low_speed_limit_bytes },
                { "LowSpeedTimeUSec", 't', &h.low_speed_time_usec },
        };
        const Field fields[] = {
                { "KernelRelease", 's', &h.kernel_release },
                { "Ring", 's', &h.ring },
        };
        bool have_sync = false;

        if ((r = sd_bus_message_enter_container(reply, 'a', "{sv}")) < 0)
                return r;
        while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                const char *key;
                if ((r = sd_bus_message_read(reply, "s", &key)) < 0)
                        return r;
                if (g_str_equal(key, "SyncConfiguration")) {
                        if ((r = sd_bus_message_enter_container(reply, 'v', "a{sv}")) < 0 ||
                            (r = read_dict(reply, sync_fields, G_N_ELEMENTS(sync_fields))) < 0 ||
                            (r = sd_bus_message_exit_container(reply)) < 0)
                                return r;
                        have_sync = true;
                } else if ((r = read_value(reply, key, fields, G_N_ELEMENTS(fields))) < 0)
                        return r;
                if ((r = sd_bus_message_exit_container(reply)) < 0)
                        return r;
        }
        if (r < 0)
                return r;
        if (!h.kernel_release || !h.ring || !have_sync || !h.trust_dir || !h.ca_file || !h.client_certificate ||
            !h.client_key)
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS,
                                        "lpmaintd did not say its kernel release, ring and [Sync] configuration (too old?)");
        if (!h.channels)
                h.channels = g_new0(char *, 1);
        if (!h.index_signers)
                h.index_signers = g_new0(char *, 1);
        *ret = h;
        h = (HostInfo) {};
        return 0;
}

void host_patches_done(HostPatches *h) {
        g_free(h->patches);
        if (h->strings)
                g_string_chunk_free(h->strings);
        *h = (HostPatches) {};
}

/* One Patch interface's properties into @p. */
static int read_patch(sd_bus_message *m, HostPatches *h, HostPatch *p) {
        g_autofree char *name = NULL, *version = NULL, *state = NULL, *result = NULL, *soak = NULL;
        const Field fields[] = {
                { "Name", 's', &name },
                { "Version", 's', &version },
                { "State", 's', &state },
                { "Result", 's', &result },
                { "SoakState", 's', &soak },
        };
        int r = read_dict(m, fields, G_N_ELEMENTS(fields));
        if (r < 0)
                return r;
        if (!name || !version || !state || !result)
                return -EBADMSG;
        PatchState st = patch_state_from_string(state);
        PatchResult res = patch_result_from_string(result);
        if (st < 0 || res < 0)
                return -EBADMSG;
        *p = (HostPatch) {
                .name = g_string_chunk_insert(h->strings, name),
                .version = g_string_chunk_insert(h->strings, version),
                .state = st,
                .result = res,
                .soak_failed = soak && g_str_equal(soak, "failed"),
        };
        return 1;
}

int host_patches_get(sd_bus *bus, HostPatches *ret, sd_bus_error *error) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_auto(HostPatches) h = { .strings = g_string_chunk_new(256) };
        g_autoptr(GArray) list = g_array_new(false, true, sizeof(HostPatch));
        int r;

        r = sd_bus_call_method(bus, LPMAINT_BUS_NAME, LPMAINT_OBJECT_PATH, "org.freedesktop.DBus.ObjectManager",
                               "GetManagedObjects", error, &reply, NULL);
        if (r < 0)
                return r;
        if ((r = sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}")) < 0)
                return r;
        while ((r = sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}")) > 0) {
                if ((r = sd_bus_message_skip(reply, "o")) < 0 ||
                    (r = sd_bus_message_enter_container(reply, 'a', "{sa{sv}}")) < 0)
                        return r;
                while ((r = sd_bus_message_enter_container(reply, 'e', "sa{sv}")) > 0) {
                        const char *iface;
                        if ((r = sd_bus_message_read(reply, "s", &iface)) < 0)
                                return r;
                        if (g_str_equal(iface, LPMAINT_PATCH_INTERFACE)) {
                                HostPatch p;
                                if ((r = read_patch(reply, &h, &p)) < 0)
                                        return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS,
                                                                "lpmaintd sent a patch without name, version, state or result");
                                g_array_append_val(list, p);
                        } else if ((r = sd_bus_message_skip(reply, "a{sv}")) < 0)
                                return r;
                        if ((r = sd_bus_message_exit_container(reply)) < 0)
                                return r;
                }
                if (r < 0 || (r = sd_bus_message_exit_container(reply)) < 0 ||
                    (r = sd_bus_message_exit_container(reply)) < 0)
                        return r;
        }
        if (r < 0)
                return r;
        h.n = list->len;
        h.patches = (HostPatch *) (void *) g_array_free(g_steal_pointer(&list), false);
        *ret = h;
        h = (HostPatches) {};
        return 0;
}

static int get_patch_status(sd_bus *bus, const char *name, char **ret_state, char **ret_result, char **ret_message,
                            sd_bus_error *error) {
        g_autofree char *path = g_strconcat(LPMAINT_PATCH_PATH_PREFIX "/", name, NULL);
        int r;

        if ((r = sd_bus_get_property_string(bus, LPMAINT_BUS_NAME, path, LPMAINT_PATCH_INTERFACE, "State", error, ret_state)) < 0 ||
            (r = sd_bus_get_property_string(bus, LPMAINT_BUS_NAME, path, LPMAINT_PATCH_INTERFACE, "Result", error, ret_result)) < 0)
                return r;
        return sd_bus_get_property_string(bus, LPMAINT_BUS_NAME, path, LPMAINT_PATCH_INTERFACE, "ResultMessage", error,
                                          ret_message);
}

static int on_change(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        return 0;
}

/* Follows @name's transition until its state is @want (another settled state
 * is a failure). The state is read again whenever lpmaintd announces a change
 * of the patch or leaves the bus, never on a timer: a change before the
 * subscription is in the first read. */
static int wait_settled(sd_bus *bus, const char *name, const char *want, sd_bus_error *error) {
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *changes = NULL, *owner = NULL;
        g_autofree char *path = g_strconcat(LPMAINT_PATCH_PATH_PREFIX "/", name, NULL);
        uint64_t deadline = now_monotonic_usec() + TRANSITION_WAIT_USEC;
        int r;

        r = sd_bus_match_signal(bus, &changes, LPMAINT_BUS_NAME, path, "org.freedesktop.DBus.Properties",
                                "PropertiesChanged", on_change, NULL);
        if (r >= 0)
                r = sd_bus_match_signal(bus, &owner, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                        "org.freedesktop.DBus", "NameOwnerChanged", on_change, NULL);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Cannot follow %s's transition: %s", name, g_strerror(-r));

        for (;;) {
                g_autofree char *state = NULL, *result = NULL, *message = NULL;
                r = get_patch_status(bus, name, &state, &result, &message, error);
                if (r < 0)
                        return r;
                PatchState s = patch_state_from_string(state);
                if (g_str_equal(state, want))
                        return 0;
                if (s >= 0 && !patch_state_is_transition(s))
                        return sd_bus_error_setf(error, LPMAINT_ERROR_LOAD_FAILED, "%s ended %s (%s%s%s)", name, state,
                                                 result, message[0] ? ": " : "", message);
                uint64_t now = now_monotonic_usec();
                if (now > deadline)
                        return sd_bus_error_setf(error, LPMAINT_ERROR_BUSY, "%s is still %s", name, state);
                r = sd_bus_wait(bus, deadline - now);
                while (r >= 0 && (r = sd_bus_process(bus, NULL)) > 0)
                        ;
                if (r < 0)
                        return sd_bus_error_set_errnof(error, r, "Cannot follow %s's transition: %s", name, g_strerror(-r));
        }
}

int host_apply(sd_bus *bus, int manifest_fd, int signature_fd, int module_fd, const char *name,
               const char *source, sd_bus_error *error) {
        g_autoptr(sd_bus_message) call = NULL, reply = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &call, LPMAINT_BUS_NAME, LPMAINT_OBJECT_PATH, LPMAINT_MANAGER_INTERFACE, "Apply");
        if (r < 0 ||
            (r = sd_bus_message_append(call, "hhha{sv}", manifest_fd, signature_fd, module_fd, 1, "source", "s", source)) < 0)
                return sd_bus_error_set_errno(error, r);
        r = sd_bus_call(bus, call, APPLY_CALL_TIMEOUT_USEC, error, &reply);
        if (r < 0)
                return r;
        return wait_settled(bus, name, "applied", error);
}

int host_disable(sd_bus *bus, const char *name, sd_bus_error *error) {
        int r = sd_bus_call_method(bus, LPMAINT_BUS_NAME, LPMAINT_OBJECT_PATH, LPMAINT_MANAGER_INTERFACE, "Disable",
                                   error, NULL, "sa{sv}", name, 0);
        if (r < 0)
                return r;
        return wait_settled(bus, name, "disabled", error);
}

void host_report(sd_bus *bus, const char *channel, uint64_t serial, const char *result, const char *message) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        /* The report's bounds (lpmaintd refuses a longer one). */
        g_autofree char *short_message = g_utf8_make_valid(message, MIN(strlen(message), 1000));

        for (char *c = short_message; *c; c++)
                if ((unsigned char) *c < 0x20 || *c == 0x7f)
                        *c = ' ';
        int r = sd_bus_call_method(bus, LPMAINT_BUS_NAME, LPMAINT_OBJECT_PATH, LPMAINT_MANAGER_INTERFACE, "ReportSync",
                                   &error, NULL, "a{sv}", 4,
                                   "channel", "s", channel,
                                   "serial", "t", serial,
                                   "result", "s", result,
                                   "message", "s", short_message);
        if (r < 0)
                fprintf(stderr, "%s: cannot report to lpmaintd: %s\n", program_invocation_short_name,
                        error.message ?: g_strerror(-r));
}
