/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <glib.h>

#include "bus-util.h"
#include "caller.h"
#include "util.h"

void caller_clear(Caller *c) {
        g_clear_pointer(&c->unit, g_free);
}

/* Asking the bus daemon who called is a round trip. Made on the connection
 * the call came in on, sd-bus would read every call that arrived meanwhile
 * into its queue, each with the file descriptors it carries: a flood of
 * calls, read ahead call after call, held thousands of descriptors at once.
 * A connection of its own for these questions reads nothing else. */
static sd_bus *query_bus = NULL;

/* Nobody calls this connection, but anyone may send it a signal; what came
 * in while it waited for an answer is dropped, a bounded amount at a time. */
#define QUERY_BUS_DRAIN_MAX 64

static int open_query_bus(sd_bus *like, sd_bus **ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        const char *address;
        int r;

        r = sd_bus_get_address(like, &address);
        if (r < 0)
                return r;
        r = sd_bus_new(&bus);
        if (r < 0)
                return r;
        /* Answers carry no descriptors, and nothing else should bring any. */
        if ((r = sd_bus_set_address(bus, address)) < 0 ||
            (r = sd_bus_set_bus_client(bus, true)) < 0 ||
            (r = sd_bus_negotiate_fds(bus, false)) < 0 ||
            (r = sd_bus_start(bus)) < 0)
                return r;
        *ret = g_steal_pointer(&bus);
        return 0;
}

sd_bus *caller_query_bus(sd_bus *bus) {
        if (query_bus) {
                for (unsigned i = 0; i < QUERY_BUS_DRAIN_MAX && sd_bus_process(query_bus, NULL) > 0; i++)
                        ;
                if (sd_bus_is_open(query_bus) > 0)
                        return query_bus;
                /* The connection broke (the bus daemon restarted, say): a new one. */
                query_bus = sd_bus_flush_close_unref(query_bus);
        }
        if (open_query_bus(bus, &query_bus) < 0)
                return bus;     /* still answers, only without the protection */
        return query_bus;
}

void caller_disconnect(void) {
        query_bus = sd_bus_flush_close_unref(query_bus);
}

static int query_creds(sd_bus_message *m, uint64_t mask, sd_bus_creds **ret) {
        const char *sender = sd_bus_message_get_sender(m);

        if (!sender)
                return -ENXIO;
        return sd_bus_get_name_creds(caller_query_bus(sd_bus_message_get_bus(m)), sender, mask, ret);
}

int caller_from_creds(sd_bus_creds *creds, Caller *ret) {
        uid_t uid;
        pid_t pid = 0;
        const char *unit = NULL;
        int r;

        /* The uid is the one fact decisions rest on, and the pid goes into the
         * audit record: both must come from the bus daemon. sd-bus fills in
         * what the bus did not send from /proc/PID, which by then may be
         * another process (the caller exited, its pid was reused). */
        if (sd_bus_creds_get_augmented_mask(creds) & CALLER_CREDS_VOUCHED)
                return -EPERM;
        r = sd_bus_creds_get_euid(creds, &uid);
        if (r < 0)
                return r;
        (void) sd_bus_creds_get_pid(creds, &pid);
        (void) sd_bus_creds_get_unit(creds, &unit);

        *ret = (Caller) { .uid = uid, .pid = (uint32_t) pid, .unit = g_strdup(unit ?: "") };
        return 0;
}

int caller_identify(sd_bus_message *m, Caller *ret) {
        g_autoptr(sd_bus_creds) creds = NULL;
        int r;

        r = query_creds(m, CALLER_CREDS_VOUCHED | SD_BUS_CREDS_UNIT | SD_BUS_CREDS_AUGMENT, &creds);
        if (r < 0)
                return r;
        return caller_from_creds(creds, ret);
}

/* Group entries list their members; a group of a few hundred members does not
 * fit a fixed buffer, so it grows on ERANGE, up to a bound. */
#define NSS_BUFFER_START 4096U
#define NSS_BUFFER_MAX (4U << 20)
#define NSS_GROUPS_MAX 65536U

/* Fills @buf of @size bytes: 0, or a positive errno (ERANGE: too small). */
typedef int (*NssFill)(void *userdata, void *buf, size_t size);

/* Calls @fill with a buffer that doubles from NSS_BUFFER_START while it is
 * too small, up to @max bytes (-E2BIG beyond); returns the buffer that did. */
static int nss_with_buffer(NssFill fill, void *userdata, size_t max, void **ret_buf) {
        for (size_t size = NSS_BUFFER_START;; size *= 2) {
                g_autofree void *buf = g_malloc(size);
                int r = fill(userdata, buf, size);

                if (r == 0) {
                        *ret_buf = g_steal_pointer(&buf);
                        return 0;
                }
                if (r != ERANGE)
                        return -r;
                if (size >= max)
                        return -E2BIG;
        }
}

typedef struct GroupLookup {
        const char *name;
        struct group *ret;
} GroupLookup;

static int fill_group(void *userdata, void *buf, size_t size) {
        GroupLookup *l = userdata;
        struct group *found = NULL;
        int r = getgrnam_r(l->name, l->ret, buf, size, &found);

        return r == 0 && !found ? ENOENT : r;
}

static int lookup_group(const char *name, struct group *ret, char **ret_buf) {
        return nss_with_buffer(fill_group, &(GroupLookup) { name, ret }, NSS_BUFFER_MAX, (void **) ret_buf);
}

typedef struct UserLookup {
        uid_t uid;
        struct passwd *ret;
} UserLookup;

static int fill_user(void *userdata, void *buf, size_t size) {
        UserLookup *l = userdata;
        struct passwd *found = NULL;
        int r = getpwuid_r(l->uid, l->ret, buf, size, &found);

        return r == 0 && !found ? ENOENT : r;
}

static int lookup_user(uid_t uid, struct passwd *ret, char **ret_buf) {
        return nss_with_buffer(fill_user, &(UserLookup) { uid, ret }, NSS_BUFFER_MAX, (void **) ret_buf);
}

typedef struct GroupListLookup {
        const struct passwd *pw;
        int n;
} GroupListLookup;

static int fill_group_list(void *userdata, void *buf, size_t size) {
        GroupListLookup *l = userdata;

        l->n = (int) (size / sizeof(gid_t));
        return getgrouplist(l->pw->pw_name, l->pw->pw_gid, buf, &l->n) < 0 ? ERANGE : 0;
}

/* The groups of @pw's user, @ret_n of them. */
static int lookup_group_list(const struct passwd *pw, gid_t **ret, int *ret_n) {
        GroupListLookup l = { .pw = pw };
        int r = nss_with_buffer(fill_group_list, &l, NSS_GROUPS_MAX * sizeof(gid_t), (void **) ret);

        *ret_n = l.n;
        return r;
}

int user_in_group(uid_t uid, const char *group) {
        g_autofree char *pwbuf = NULL, *grbuf = NULL;
        struct passwd pw;
        struct group gr;
        int r;

        /* No group, no user, or an entry past the bound: not a member. */
        r = lookup_group(group, &gr, &grbuf);
        if (r < 0)
                return r == -ENOENT ? 0 : r;
        r = lookup_user(uid, &pw, &pwbuf);
        if (r < 0)
                return r == -ENOENT ? 0 : r;
        if (pw.pw_gid == gr.gr_gid)
                return 1;

        g_autofree gid_t *groups = NULL;
        int n = 0;
        r = lookup_group_list(&pw, &groups, &n);
        if (r < 0)
                return r;
        for (int i = 0; i < n; i++)
                if (groups[i] == gr.gr_gid)
                        return 1;
        return 0;
}

const Caller caller_self = { .uid = 0, .pid = 0, .unit = (char *) "lpmaintd" };

bool caller_is_self(const Caller *c) {
        /* No bus caller has pid 0: the bus daemon vouches for a real one. */
        return c->pid == 0 && c->unit && g_str_equal(c->unit, caller_self.unit);
}
