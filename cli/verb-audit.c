/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lpmaint audit verify [FILE]: checks the audit log's hash chain locally.
 * The log is read here, not through lpmaintd: the check must work when
 * lpmaintd is down, and on a copy of a log taken from another host. Only
 * where the log is may be asked of a running lpmaintd. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit-chain.h"
#include "bus.h"
#include "config.h"
#include "format.h"
#include "humanize.h"
#include "json.h"
#include "log.h"
#include "lpmaint.h"
#include "macro.h"
#include "terminal.h"

#define AUDIT_LOG_NAME "audit.log"
#define DAEMON_GROUP "Daemon"

/* StateDirectory= of one configuration file, into @state_dir if the file sets
 * it. 0 also when the file does not exist. */
static int config_file_state_dir(const char *path, char **state_dir) {
        g_autoptr(GKeyFile) kf = g_key_file_new();
        g_autoptr(GError) error = NULL;
        g_autofree char *value = NULL;

        if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &error)) {
                if (g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
                        return 0;
                return log_error(LPMAINT_EXIT_FAILED, "Failed to read StateDirectory= from %s: %s; name the log to verify.",
                                 path, error->message);
        }
        value = g_key_file_get_string(kf, DAEMON_GROUP, "StateDirectory", NULL);
        if (!value)
                return 0;
        if (!g_path_is_absolute(value))
                return log_error(LPMAINT_EXIT_FAILED, "%s: StateDirectory= is not an absolute path: %s", path, value);
        g_free(*state_dir);
        *state_dir = g_steal_pointer(&value);
        return 0;
}

static gint compare_names(gconstpointer a, gconstpointer b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

/* The log lpmaintd writes: StateDirectory= read as lpmaintd reads it, from
 * its configuration file and then FILE.d/ *.conf in lexical order, the last
 * one winning (lpmaint.conf(5)). The file is lpmaintd's default, or
 * $LPMAINT_CONFIG for one started with --config= (tools/sandbox sets it).
 * The fallback when lpmaintd is not running to say it. */
static int default_audit_log(char **ret) {
        const char *config = getenv("LPMAINT_CONFIG");
        g_autofree char *state_dir = g_strdup(LPMAINT_STATE_DIR);
        g_autofree char *dropins = NULL;
        g_autoptr(GDir) d = NULL;
        int r;

        if (!config || !*config)
                config = LPMAINT_CONFIG_FILE;
        r = config_file_state_dir(config, &state_dir);
        if (r != 0)
                return r;

        dropins = g_strconcat(config, ".d", NULL);
        d = g_dir_open(dropins, 0, NULL);
        if (d) {
                g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
                const char *e;

                while ((e = g_dir_read_name(d)))
                        if (g_str_has_suffix(e, ".conf"))
                                g_ptr_array_add(names, g_strdup(e));
                g_ptr_array_sort(names, compare_names);
                for (guint i = 0; i < names->len; i++) {
                        g_autofree char *p = g_build_filename(dropins, names->pdata[i], NULL);
                        r = config_file_state_dir(p, &state_dir);
                        if (r != 0)
                                return r;
                }
        }

        *ret = g_build_filename(state_dir, AUDIT_LOG_NAME, NULL);
        return 0;
}

/* The log the running lpmaintd writes, from its StateDirectory property:
 * 1 with @ret set, 0 when lpmaintd does not say (not running, not started
 * for this: no bus activation, or too old to have the property). */
static int running_daemon_audit_log(char **ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *state_dir;

        if (bus_connect(NULL, false, &bus) < 0)
                return 0;
        if (bus_call(bus, LPMAINT_OBJECT_PATH, "org.freedesktop.DBus.Properties", "Get", CALL_QUERY, false, &reply,
                     &error, "ss", LPMAINT_MANAGER_INTERFACE, "StateDirectory") < 0)
                return 0;
        if (sd_bus_message_read(reply, "v", "s", &state_dir) < 0 || !g_path_is_absolute(state_dir))
                return 0;
        *ret = g_build_filename(state_dir, AUDIT_LOG_NAME, NULL);
        return 1;
}

static int print_json(const char *file, const AuditChainResult *res) {
        JsonWriter w;

        json_writer_init(&w, stdout, stdout_is_terminal());
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

        if (res->status == AUDIT_CHAIN_OK && res->records == 0) {
                printf("OK: %s is empty (no record yet), and intact.\n", file);
                return 0;
        }
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

static int audit_verify(const char *file, bool is_default) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GMappedFile) mf = NULL;
        _cleanup_close_ int fd = -EBADF;
        AuditChainResult res;
        struct stat st;
        int r;

        /* Never waiting on a FIFO in the log's place. */
        fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0 && errno == ENOENT && is_default)
                /* lpmaintd creates the log with its first record. */
                fd = -ENOENT;
        else if (fd < 0)
                return log_errno(LPMAINT_EXIT_FAILED, -errno, "Failed to open the audit log %s", file);

        if (fd >= 0) {
                if (fstat(fd, &st) < 0)
                        return log_errno(LPMAINT_EXIT_FAILED, -errno, "Failed to read the audit log %s", file);
                if (S_ISDIR(st.st_mode))
                        return log_error(LPMAINT_EXIT_FAILED, "%s is a directory, not an audit log: name the log file itself, "
                                         "such as STATE_DIRECTORY/" AUDIT_LOG_NAME ".", file);
                if (!S_ISREG(st.st_mode))
                        return log_error(LPMAINT_EXIT_FAILED, "%s is not a regular file, so not an audit log.", file);
        }

        if (fd < 0 || st.st_size == 0)
                audit_chain_verify("", 0, &res);
        else {
                /* Mapped, not read: the log may be large and is only scanned once. */
                mf = g_mapped_file_new_from_fd(fd, false, &error);
                if (!mf)
                        return log_error(LPMAINT_EXIT_FAILED, "Failed to read the audit log %s: %s", file, error->message);
                audit_chain_verify(g_mapped_file_get_contents(mf), g_mapped_file_get_length(mf), &res);
        }

        r = arg_json ? print_json(file, &res) : print_human(file, &res);
        if (r < 0)
                return log_errno(LPMAINT_EXIT_FAILED, r, "Failed to write output");

        return res.status == AUDIT_CHAIN_OK ? LPMAINT_EXIT_SUCCESS : LPMAINT_EXIT_FAILED;
}

int verb_audit(int argc, char *argv[], void *userdata) {
        g_autofree char *file = NULL;
        int r;

        if (strcmp(argv[1], "verify") != 0)
                return log_usage("Unknown audit command '%s'.", argv[1]);
        /* The log is read here, not through lpmaintd, so a remote host's log
         * would have to be copied first. */
        if (arg_host)
                return log_usage("'audit verify' reads a local file and does not support --host=; copy the log instead.");

        if (argc > 2)
                return audit_verify(argv[2], false);

        if (running_daemon_audit_log(&file) > 0)
                return audit_verify(file, true);
        r = default_audit_log(&file);
        if (r != 0)
                return r;
        return audit_verify(file, true);
}
