/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lpmaint show NAME (and status NAME): everything one Patch object knows. */
#include <glib.h>
#include <stdio.h>
#include <unistd.h>

#include "bus.h"
#include "format.h"
#include "humanize.h"
#include "json.h"
#include "log.h"
#include "lpmaint.h"
#include "macro.h"
#include "parse.h"
#include "patch.h"
#include "patch-json.h"
#include "terminal.h"

static void print_time(const char *key, uint64_t usec, const char *if_none) {
        char ts[FORMAT_TIMESTAMP_MAX];

        print_field(key, usec ? format_timestamp(ts, sizeof ts, usec) : if_none);
}

static void print_release(const Patch *p) {
        char ts[FORMAT_TIMESTAMP_MAX];

        if (p->release.n == 0) {
                print_field("Release", "every ring at once");
                return;
        }
        for (size_t i = 0; i < p->release.n; i++) {
                g_autofree char *line = g_strdup_printf("%s from %s", p->release.releases[i].ring,
                                                        strdash(format_timestamp(ts, sizeof ts, p->release.releases[i].usec)));
                print_field(i == 0 ? "Release" : "", line);
        }
}

/* The soak: its state, when it ends or ended, and the evidence of a verdict. */
static void print_soak(const Patch *p, uint64_t now) {
        char ts[FORMAT_TIMESTAMP_MAX], left[FORMAT_DURATION_MAX];

        if (!p->soak_state || !*p->soak_state) {
                print_field("Soak", "none (the host has no ring)");
                return;
        }
        print_field("Soak", p->soak_state);
        if (p->soak_ends_usec) {
                const char *when = strdash(format_timestamp(ts, sizeof ts, p->soak_ends_usec));
                g_autofree char *line = NULL;

                /* SoakEndsUSec is when the soak time is over: a verdict
                 * before it ended the soak early. */
                if (g_str_equal(p->soak_state, "soaking"))
                        line = g_strdup_printf("%s (%s left)", when,
                                               strdash(format_time_left(left, sizeof left, p->soak_ends_usec, now)));
                else if (g_str_equal(p->soak_state, "healthy"))
                        line = g_strdup(when);
                else
                        line = g_strdup_printf("%s (planned; the soak ended early)", when);
                print_field("Soak ends", line);
        }
        if (p->soak_result && *p->soak_result)
                print_field("Soak evidence", p->soak_result);
}

static int print_human(const Patch *p) {
        char ts[FORMAT_TIMESTAMP_MAX];
        uint64_t now = (uint64_t) g_get_real_time();
        g_autofree char *cves = p->cves && p->cves[0] ? g_strjoinv(", ", p->cves) : NULL;
        g_autofree char *operation = patch_operation_result(p);
        g_autofree char *state = p->state_changed_usec ?
                g_strdup_printf("%s (since %s)", strdash(p->state), strdash(format_timestamp(ts, sizeof ts, p->state_changed_usec))) :
                g_strdup(strdash(p->state));
        g_autofree char *module_sig = p->module_signer && *p->module_signer ?
                g_strdup_printf("%s (key %s, %s)", p->module_signer, strdash(p->module_sig_key), strdash(p->module_sig_hashalgo)) :
                g_strdup("unsigned");

        print_field("Name", p->name);
        print_field("Version", p->version);
        print_field("Description", p->description);
        print_field("CVEs", cves);
        print_field("Kernel release", p->kernel_release);
        print_field("Replace", p->replace ? "yes (cumulative: replaces every other patch)" : "no");
        print_field("Stream", p->stream);
        print_time("Issued", p->issued_usec, NULL);
        print_time("Expires", p->expires_usec, "never");
        print_time("Coverage ends", p->coverage_ends_usec, "not stated");
        print_release(p);
        print_field("Signer", p->signer);
        print_field("Module SHA-256", p->module_sha256);
        print_field("Module signature", module_sig);
        if (p->source && *p->source)
                print_field("Source", p->source);
        if (p->break_glass)
                print_field("BREAK-GLASS", p->break_glass_acknowledged ? "yes, acknowledged" :
                            "yes, not acknowledged (see lpmaint acknowledge)");

        print_field("State", state);
        print_field("Last operation", operation ? operation : "none");
        if (p->result_message && *p->result_message)
                print_field("Message", p->result_message);
        for (size_t i = 0; i < p->blocking.n; i++) {
                g_autofree char *task = g_strdup_printf("pid %u (%s)", p->blocking.tasks[i].pid,
                                                        strempty(p->blocking.tasks[i].comm));
                print_field(i == 0 ? "Blocking tasks" : "", task);
        }
        if (p->superseded_by && *p->superseded_by)
                print_field("Superseded by", p->superseded_by);
        print_time("Applied", p->applied_usec, "never");
        print_soak(p, now);

        if (fflush(stdout) != 0 || ferror(stdout))
                return -EIO;
        return 0;
}

static int print_json(const Patch *p) {
        JsonWriter w;

        json_writer_init(&w, stdout, stdout_is_terminal());
        json_patch(&w, p);
        return json_writer_finish(&w);
}

int verb_show(int argc, char *argv[], void *userdata) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autoptr(Patch) p = NULL;
        g_autofree char *path = NULL;
        const char *name = argv[1];
        int r;

        /* As disable and acknowledge say it, before any call. */
        if (!patch_name_is_valid(name))
                return log_usage("Invalid patch name '%s': lower case letters, digits and '_'.", name);
        path = patch_object_path(name);

        r = acquire_bus(&bus);
        if (r != 0)
                return r;

        r = patch_get(bus, path, &p, &error);
        /* An object lpmaintd does not have: the patch is not known. */
        if (r < 0 && (sd_bus_error_has_name(&error, SD_BUS_ERROR_UNKNOWN_OBJECT) ||
                      sd_bus_error_has_name(&error, SD_BUS_ERROR_UNKNOWN_INTERFACE)))
                return log_error(LPMAINT_EXIT_FAILED, "No patch '%s' is known to lpmaintd (see lpmaint list).", name);
        if (r < 0)
                return log_bus_error(&error, r, "Failed to read the patch '%s'", name);

        r = arg_json ? print_json(p) : print_human(p);
        if (r < 0)
                return log_errno(LPMAINT_EXIT_FAILED, r, "Failed to write output");

        return LPMAINT_EXIT_SUCCESS;
}
