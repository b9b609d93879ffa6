/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lpmaint audit verify [FILE]: checks the audit log's hash chain locally.
 * No bus: the check must work when lpmaintd is down, and on a copy of a
 * log taken from another host. */
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "audit-chain.h"
#include "config.h"
#include "format.h"
#include "humanize.h"
#include "json.h"
#include "log.h"
#include "lpmaint.h"
#include "macro.h"

#define DEFAULT_AUDIT_LOG LPMAINT_STATE_DIR "/audit.log"

static int print_json(const char *file, const AuditChainResult *res) {
        JsonWriter w;

        json_writer_init(&w, stdout, isatty(STDOUT_FILENO));
        json_begin_object(&w);
        json_field_string(&w, "file", file);
        json_field_uint(&w, "records", res->records);
        json_field_bool(&w, "ok", res->status == AUDIT_CHAIN_OK);
        json_key(&w, "first_bad_line");
        if (res->status == AUDIT_CHAIN_OK)
                json_null(&w);
        else
                json_uint(&w, res->first_bad_line);
        json_field_string(&w, "reason", audit_chain_status_to_string(res->status));
        json_end_object(&w);
        return json_writer_finish(&w);
}

static int print_human(const char *file, const AuditChainResult *res) {
        char ts[FORMAT_TIMESTAMP_MAX];
        const char *when = NULL;

        if (res->status == AUDIT_CHAIN_OK) {
                printf("OK: %zu %s, chain intact.\n", res->records, plural(res->records, "record", "records"));
                return 0;
        }

        if (res->has_time)
                when = format_timestamp(ts, sizeof ts, res->time_usec);
        printf("FAILED: %s, line %zu of %zu%s%s%s: %s.\n",
               file, res->first_bad_line, res->records,
               when ? " (record of " : "", strempty(when), when ? ")" : "",
               audit_chain_status_to_description(res->status));
        return 0;
}

static int audit_verify(const char *file) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GMappedFile) mf = NULL;
        AuditChainResult res;
        int r;

        /* Mapped, not read: the log may be large and is only scanned once. */
        mf = g_mapped_file_new(file, false, &error);
        if (!mf)
                return log_error(LPMAINT_EXIT_FAILED, "Failed to open the audit log: %s", error->message);

        audit_chain_verify(g_mapped_file_get_contents(mf), g_mapped_file_get_length(mf), &res);

        r = arg_json ? print_json(file, &res) : print_human(file, &res);
        if (r < 0)
                return log_errno(LPMAINT_EXIT_FAILED, r, "Failed to write output");

        return res.status == AUDIT_CHAIN_OK ? LPMAINT_EXIT_SUCCESS : LPMAINT_EXIT_FAILED;
}

int verb_audit(int argc, char *argv[], void *userdata) {
        if (strcmp(argv[1], "verify") != 0)
                return log_usage("Unknown audit command '%s'.", argv[1]);
        /* The log is read here, not through lpmaintd, so a remote host's log
         * would have to be copied first. */
        if (arg_host)
                return log_usage("'audit verify' reads a local file and does not support --host=; copy the log instead.");

        return audit_verify(argc > 2 ? argv[2] : DEFAULT_AUDIT_LOG);
}
