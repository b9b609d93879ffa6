/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <glib.h>

#include "caller.h"
#include "util.h"

void caller_clear(Caller *c) {
        g_clear_pointer(&c->unit, g_free);
}

int caller_identify(sd_bus_message *m, Caller *ret) {
        g_autoptr(sd_bus_creds) creds = NULL;
        uid_t uid;
        pid_t pid = 0;
        const char *unit = NULL;
        int r;

        r = sd_bus_query_sender_creds(m, SD_BUS_CREDS_EUID | SD_BUS_CREDS_PID | SD_BUS_CREDS_UNIT | SD_BUS_CREDS_AUGMENT, &creds);
        if (r < 0)
                return r;
        /* The uid is the one fact decisions rest on; it comes from the bus daemon. */
        r = sd_bus_creds_get_euid(creds, &uid);
        if (r < 0)
                return r;
        (void) sd_bus_creds_get_pid(creds, &pid);
        (void) sd_bus_creds_get_unit(creds, &unit);

        *ret = (Caller) { .uid = uid, .pid = (uint32_t) pid, .unit = g_strdup(unit ?: "") };
        return 0;
}

/* Group entries list their members; a group of a few hundred members does not
 * fit a fixed buffer, so it grows on ERANGE, up to a bound. */
#define NSS_BUFFER_START 4096U
#define NSS_BUFFER_MAX (4U << 20)

static int lookup_group(const char *name, struct group *ret, char **ret_buf) {
        for (size_t size = NSS_BUFFER_START;; size *= 2) {
                g_autofree char *buf = g_malloc(size);
                struct group *found = NULL;
                int r = getgrnam_r(name, ret, buf, size, &found);

                if (r == 0 && !found)
                        return -ENOENT;
                if (r == 0) {
                        *ret_buf = g_steal_pointer(&buf);
                        return 0;
                }
                if (r != ERANGE)
                        return -r;
                if (size >= NSS_BUFFER_MAX)
                        return -E2BIG;
        }
}

static int lookup_user(uid_t uid, struct passwd *ret, char **ret_buf) {
        for (size_t size = NSS_BUFFER_START;; size *= 2) {
                g_autofree char *buf = g_malloc(size);
                struct passwd *found = NULL;
                int r = getpwuid_r(uid, ret, buf, size, &found);

                if (r == 0 && !found)
                        return -ENOENT;
                if (r == 0) {
                        *ret_buf = g_steal_pointer(&buf);
                        return 0;
                }
                if (r != ERANGE)
                        return -r;
                if (size >= NSS_BUFFER_MAX)
                        return -E2BIG;
        }
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

        int n = 64;
        g_autofree gid_t *groups = NULL;
        for (;;) {
                int want = n;
                groups = g_renew(gid_t, groups, (gsize) n);
                if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) >= 0)
                        break;
                if (n <= want)
                        n = want * 2;
                if (n > 65536)
                        return -E2BIG;
        }
        for (int i = 0; i < n; i++)
                if (groups[i] == gr.gr_gid)
                        return 1;
        return 0;
}
