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

int user_in_group(uid_t uid, const char *group) {
        struct passwd pw, *pwp = NULL;
        struct group gr, *grp = NULL;
        char pwbuf[4096], grbuf[16384];

        if (getgrnam_r(group, &gr, grbuf, sizeof(grbuf), &grp) != 0 || !grp)
                return 0;
        if (getpwuid_r(uid, &pw, pwbuf, sizeof(pwbuf), &pwp) != 0 || !pwp)
                return 0;
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
