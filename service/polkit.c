/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>

#include "polkit.h"
#include "util.h"

#define POLKIT_TIMEOUT_USEC (25 * USEC_PER_SEC)
/* An administrator typing a password needs more time than a machine. */
#define POLKIT_INTERACTIVE_TIMEOUT_USEC (300 * USEC_PER_SEC)

typedef struct PolkitQuery {
        PolkitRegistry *registry;
        sd_bus_message *request;
        sd_bus_slot *slot;
        char *action;
        bool done;
        int result;
        sd_bus_error error;
} PolkitQuery;

static void polkit_query_free(PolkitQuery *q) {
        sd_bus_slot_unref(q->slot);
        sd_bus_message_unref(q->request);
        sd_bus_error_free(&q->error);
        g_free(q->action);
        g_free(q);
}

PolkitRegistry *polkit_registry_new(void) {
        /* Keyed by the request message: it is the same object when re-dispatched. */
        return g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, (GDestroyNotify) polkit_query_free);
}

void polkit_registry_free(PolkitRegistry *r) {
        if (r)
                g_hash_table_destroy(r);
}

static int answer(PolkitQuery *q, sd_bus_message *reply) {
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        int authorized = 0, challenge = 0, r;

        if (e)
                return sd_bus_error_setf(&q->error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "Authorization could not be checked (%s), denying", e->message ?: e->name);

        r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
        if (r >= 0)
                r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
        if (r < 0)
                return sd_bus_error_set(&q->error, SD_BUS_ERROR_ACCESS_DENIED, "Polkit sent a malformed answer, denying");
        if (authorized)
                return 1;
        if (challenge)
                return sd_bus_error_setf(&q->error, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED,
                                         "Authentication is required for %s", q->action);
        return sd_bus_error_setf(&q->error, SD_BUS_ERROR_ACCESS_DENIED, "Not authorized for %s", q->action);
}

static int on_polkit_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        PolkitQuery *q = userdata;
        sd_bus *bus = sd_bus_message_get_bus(q->request);

        q->result = answer(q, reply);
        q->done = true;
        q->slot = sd_bus_slot_unref(q->slot);

        /* Dispatch the original call again; its handler now finds the answer. */
        int r = sd_bus_message_rewind(q->request, true);
        if (r >= 0)
                r = sd_bus_enqueue_for_read(bus, q->request);
        if (r < 0)
                g_hash_table_remove(q->registry, q->request); /* the call is dropped; the caller times out */
        return 0;
}

static int ask(sd_bus_message *m, const char *action, PolkitRegistry *registry) {
        sd_bus *bus = sd_bus_message_get_bus(m);
        g_autoptr(sd_bus_message) call = NULL;
        const char *sender = sd_bus_message_get_sender(m);
        bool interactive = sd_bus_message_get_allow_interactive_authorization(m) > 0;
        int r;

        if (!sender)
                return -EBADMSG;

        r = sd_bus_message_new_method_call(bus, &call, "org.freedesktop.PolicyKit1",
                                           "/org/freedesktop/PolicyKit1/Authority",
                                           "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization");
        if (r < 0)
                return r;
        r = sd_bus_message_append(call, "(sa{sv})sa{ss}us",
                                  "system-bus-name", 1, "name", "s", sender,
                                  action, 0, (uint32_t) (interactive ? 1 : 0), "");
        if (r < 0)
                return r;

        PolkitQuery *q = g_new0(PolkitQuery, 1);
        q->registry = registry;
        q->request = sd_bus_message_ref(m);
        q->action = g_strdup(action);
        r = sd_bus_call_async(bus, &q->slot, call, on_polkit_reply, q,
                              interactive ? POLKIT_INTERACTIVE_TIMEOUT_USEC : POLKIT_TIMEOUT_USEC);
        if (r < 0) {
                polkit_query_free(q);
                return r;
        }
        g_hash_table_insert(registry, m, q);
        return 0;
}

int polkit_check(sd_bus_message *m, const char *action, PolkitRegistry *registry, sd_bus_error *error) {
        PolkitQuery *q = g_hash_table_lookup(registry, m);
        int r;

        if (!q) {
                r = ask(m, action, registry);
                if (r < 0)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                                 "Authorization could not be checked (%s), denying", g_strerror(-r));
                return 0;
        }
        if (!q->done)
                return 0;
        /* One question, one answer: a re-dispatch for another action is a bug. */
        if (!g_str_equal(q->action, action)) {
                g_hash_table_remove(registry, m);
                return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED, "Authorization mismatch, denying");
        }

        r = q->result;
        if (r < 0)
                sd_bus_error_copy(error, &q->error);
        g_hash_table_remove(registry, m);
        return r < 0 ? r : 1;
}
