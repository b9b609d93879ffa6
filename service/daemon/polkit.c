/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>

#include "bus-util.h"
#include "polkit.h"
#include "util.h"

#define POLKIT_TIMEOUT_USEC (25 * USEC_PER_SEC)
/* An administrator typing a password needs more time than a machine. */
#define POLKIT_INTERACTIVE_TIMEOUT_USEC (300 * USEC_PER_SEC)

struct PolkitRegistry {
        /* Keyed by the request message: it is the same object when re-dispatched. */
        GHashTable *queries;
        GHashTable *per_uid;    /* uid → number of its queries */
        unsigned n_queries;
};

typedef struct PolkitQuery {
        PolkitRegistry *registry;
        sd_bus_message *request;
        sd_bus_slot *slot;              /* the question to polkitd */
        sd_bus_slot *caller_gone;       /* NameOwnerChanged of the caller */
        sd_event_source *cleanup;       /* drops the query if the re-dispatch did not */
        char *action;
        uid_t uid;
        bool done;
        int result;
        sd_bus_error error;
} PolkitQuery;

static void polkit_query_free(PolkitQuery *q) {
        PolkitRegistry *reg = q->registry;
        unsigned n = GPOINTER_TO_UINT(g_hash_table_lookup(reg->per_uid, GUINT_TO_POINTER(q->uid)));

        if (n > 1)
                g_hash_table_insert(reg->per_uid, GUINT_TO_POINTER(q->uid), GUINT_TO_POINTER(n - 1));
        else
                g_hash_table_remove(reg->per_uid, GUINT_TO_POINTER(q->uid));
        reg->n_queries--;

        sd_bus_slot_unref(q->slot);
        sd_bus_slot_unref(q->caller_gone);
        sd_event_source_disable_unref(q->cleanup);
        sd_bus_message_unref(q->request);
        sd_bus_error_free(&q->error);
        g_free(q->action);
        g_free(q);
}

PolkitRegistry *polkit_registry_new(void) {
        PolkitRegistry *r = g_new0(PolkitRegistry, 1);

        r->queries = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, (GDestroyNotify) polkit_query_free);
        r->per_uid = g_hash_table_new(g_direct_hash, g_direct_equal);
        return r;
}

void polkit_registry_free(PolkitRegistry *r) {
        if (!r)
                return;
        g_hash_table_destroy(r->queries);
        g_hash_table_destroy(r->per_uid);
        g_free(r);
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

/* Runs at idle priority, so after the bus has dispatched the re-enqueued call.
 * A handler that returned before asking for its answer (its caller could no
 * longer be identified, say) leaves the query behind; it goes here, and with
 * it the message and the caller's file descriptors. */
static int on_cleanup(sd_event_source *s, void *userdata) {
        PolkitQuery *q = userdata;

        g_hash_table_remove(q->registry->queries, q->request);
        return 0;
}

/* The answer is in (or the caller is gone): dispatch the original call again;
 * its handler now finds the answer. */
static void redispatch(PolkitQuery *q) {
        sd_bus *bus = sd_bus_message_get_bus(q->request);
        sd_event *event = sd_bus_get_event(bus);
        int r;

        q->done = true;
        q->slot = sd_bus_slot_unref(q->slot);
        q->caller_gone = sd_bus_slot_unref(q->caller_gone);

        r = sd_bus_message_rewind(q->request, true);
        if (r >= 0)
                r = sd_bus_enqueue_for_read(bus, q->request);
        if (r >= 0 && event) {
                r = sd_event_add_defer(event, &q->cleanup, on_cleanup, q);
                if (r >= 0)
                        r = sd_event_source_set_priority(q->cleanup, SD_EVENT_PRIORITY_IDLE);
        }
        if (r < 0)
                g_hash_table_remove(q->registry->queries, q->request); /* the call is dropped; the caller times out */
}

static int on_polkit_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        PolkitQuery *q = userdata;

        q->result = answer(q, reply);
        redispatch(q);
        return 0;
}

static int on_name_owner_changed(sd_bus_message *signal, void *userdata, sd_bus_error *ret_error) {
        PolkitQuery *q = userdata;
        const char *name, *old_owner, *new_owner;

        if (sd_bus_message_read(signal, "sss", &name, &old_owner, &new_owner) < 0 || (new_owner && *new_owner))
                return 0;
        /* Nobody is left to answer; the handler sees a caller it cannot identify and audits that. */
        q->result = sd_bus_error_set(&q->error, SD_BUS_ERROR_ACCESS_DENIED, "The caller disconnected, denying");
        redispatch(q);
        return 0;
}

static int on_watch_installed(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        /* Without the watch the call waits for polkit's answer instead: no reason to
         * fail the connection, which sd-bus does for a failed match without this. */
        return 0;
}

static int watch_caller(sd_bus *bus, PolkitQuery *q, const char *sender) {
        g_autofree char *match = g_strdup_printf("type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
                                                 "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='%s'",
                                                 sender);
        /* Asynchronous, so asking costs no round trip; for a caller gone before
         * the match is in place, polkitd's answer (or its timeout) ends the wait. */
        return sd_bus_add_match_async(bus, &q->caller_gone, match, on_name_owner_changed, on_watch_installed, q);
}

static int ask(sd_bus_message *m, const char *action, uid_t uid, PolkitRegistry *registry) {
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

        unsigned n = GPOINTER_TO_UINT(g_hash_table_lookup(registry->per_uid, GUINT_TO_POINTER(uid)));
        PolkitQuery *q = g_new0(PolkitQuery, 1);
        q->registry = registry;
        q->request = sd_bus_message_ref(m);
        q->action = g_strdup(action);
        q->uid = uid;
        g_hash_table_insert(registry->per_uid, GUINT_TO_POINTER(uid), GUINT_TO_POINTER(n + 1));
        registry->n_queries++;
        g_hash_table_insert(registry->queries, m, q);

        r = watch_caller(bus, q, sender);
        if (r >= 0)
                r = sd_bus_call_async(bus, &q->slot, call, on_polkit_reply, q,
                                      interactive ? POLKIT_INTERACTIVE_TIMEOUT_USEC : POLKIT_TIMEOUT_USEC);
        if (r < 0)
                g_hash_table_remove(registry->queries, m);
        return r;
}

int polkit_check(sd_bus_message *m, const char *action, uid_t uid, PolkitRegistry *registry, sd_bus_error *error) {
        PolkitQuery *q = g_hash_table_lookup(registry->queries, m);
        int r;

        if (!q) {
                /* Each waiting call holds its message, and an Apply three file descriptors. */
                if (registry->n_queries >= POLKIT_PENDING_MAX)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_LIMITS_EXCEEDED,
                                                 "%u calls are waiting for authorization, try again later", registry->n_queries);
                if (GPOINTER_TO_UINT(g_hash_table_lookup(registry->per_uid, GUINT_TO_POINTER(uid))) >= POLKIT_PENDING_PER_UID)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_LIMITS_EXCEEDED,
                                                 "uid %u has %u calls waiting for authorization already, try again later",
                                                 (unsigned) uid, POLKIT_PENDING_PER_UID);
                r = ask(m, action, uid, registry);
                if (r < 0)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                                 "Authorization could not be checked (%s), denying", g_strerror(-r));
                return 0;
        }
        if (!q->done)
                return 0;
        /* One question, one answer: a re-dispatch for another action is a bug. */
        if (!g_str_equal(q->action, action)) {
                g_hash_table_remove(registry->queries, m);
                return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED, "Authorization mismatch, denying");
        }

        r = q->result;
        if (r < 0)
                sd_bus_error_copy(error, &q->error);
        g_hash_table_remove(registry->queries, m);
        return r < 0 ? r : 1;
}
