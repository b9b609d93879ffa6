/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lpmaint metrics: lpmaint's state as a Prometheus text exposition, once or
 * following lpmaintd, for node_exporter's textfile collector. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include "bus.h"
#include "log.h"
#include "lpmaint.h"
#include "macro.h"
#include "manager-props.h"
#include "metrics.h"
#include "patch.h"
#include "props.h"
#include "status-sync.h"

/* Changes come in bursts (a transition changes State, Busy, Operation and
 * Result within milliseconds): one read after the burst is enough. */
#define COALESCE_USEC (200 * USEC_PER_MSEC)

/* Properties a daemon older than this client does not export. */
typedef struct OptionalU64 {
        bool set;
        uint64_t value;
} OptionalU64;

typedef struct OptionalBool {
        bool set;
        bool value;
} OptionalBool;

typedef struct OptionalString {
        bool set;
        char *value;
} OptionalString;

static int parse_optional_uint64(sd_bus_message *m, void *dest) {
        OptionalU64 *o = dest;
        int r = prop_parse_uint64(m, &o->value);
        o->set = r >= 0;
        return r;
}

static int parse_optional_bool(sd_bus_message *m, void *dest) {
        OptionalBool *o = dest;
        int r = prop_parse_bool(m, &o->value);
        o->set = r >= 0;
        return r;
}

static int parse_optional_string(sd_bus_message *m, void *dest) {
        OptionalString *o = dest;
        int r = prop_parse_string(m, &o->value);
        o->set = r >= 0;
        return r;
}

/* One read of lpmaintd: what the metrics are made of. */
typedef struct Reading {
        char *version;
        char *kernel_release;
        char *ring;
        bool busy;
        bool reboot_required;
        RebootReasonList reboot_reasons;
        uint64_t coverage_ends_usec;
        char **unacknowledged_break_glass;
        OptionalU64 next_reboot_window_usec;
        OptionalU64 scheduled_reboot_usec;
        OptionalBool fleet_lock_held;
        OptionalString wave_state;
        SyncInfo sync;

        uint64_t tainted;
        TaintFlagList taint_flags;
        uint64_t oops_count;
        uint64_t warn_count;

        GPtrArray *patches;     /* Patch */
} Reading;

static void reading_free(Reading *r) {
        if (!r)
                return;
        g_free(r->version);
        g_free(r->kernel_release);
        g_free(r->ring);
        reboot_reason_list_clear(&r->reboot_reasons);
        g_strfreev(r->unacknowledged_break_glass);
        g_free(r->wave_state.value);
        sync_info_clear(&r->sync);
        taint_flag_list_clear(&r->taint_flags);
        if (r->patches)
                g_ptr_array_unref(r->patches);
        g_free(r);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Reading, reading_free)

static const PropertyMap manager_properties[] = {
        { "Version",                  "s",      prop_parse_string,         offsetof(Reading, version)                    },
        { "KernelRelease",            "s",      prop_parse_string,         offsetof(Reading, kernel_release)             },
        { "Ring",                     "s",      prop_parse_string,         offsetof(Reading, ring)                       },
        { "Busy",                     "b",      prop_parse_bool,           offsetof(Reading, busy)                       },
        { "RebootRequired",           "b",      prop_parse_bool,           offsetof(Reading, reboot_required)            },
        { "RebootReasons",            "a(sst)", prop_parse_reboot_reasons, offsetof(Reading, reboot_reasons)             },
        { "CoverageEndsUSec",         "t",      prop_parse_uint64,         offsetof(Reading, coverage_ends_usec)         },
        { "UnacknowledgedBreakGlass", "as",     prop_parse_strv,           offsetof(Reading, unacknowledged_break_glass) },
        { "NextRebootWindowUSec",     "t",      parse_optional_uint64,     offsetof(Reading, next_reboot_window_usec)    },
        { "ScheduledRebootUSec",      "t",      parse_optional_uint64,     offsetof(Reading, scheduled_reboot_usec)      },
        { "FleetLockHeld",            "b",      parse_optional_bool,       offsetof(Reading, fleet_lock_held)            },
        { "WaveState",                "s",      parse_optional_string,     offsetof(Reading, wave_state)                 },
        { "SyncStatus",               "a{sv}",  prop_parse_sync_status,    offsetof(Reading, sync)                       },
        { "SyncErrors",               "a{st}",  prop_parse_sync_errors,    offsetof(Reading, sync.errors)                },
        {}
};

static const PropertyMap kernel_properties[] = {
        { "Tainted",    "t",      prop_parse_uint64,      offsetof(Reading, tainted)     },
        { "TaintFlags", "a(uss)", prop_parse_taint_flags, offsetof(Reading, taint_flags) },
        { "OopsCount",  "t",      prop_parse_uint64,      offsetof(Reading, oops_count)  },
        { "WarnCount",  "t",      prop_parse_uint64,      offsetof(Reading, warn_count)  },
        {}
};

/* Three round trips: the Manager's and the Kernel's properties, and every
 * patch object with its properties. Without @auto_start the bus does not
 * activate lpmaintd: a follower reports it gone rather than bringing it back. */
static int read_lpmaintd(sd_bus *bus, bool auto_start, Reading **ret, sd_bus_error *error) {
        g_autoptr(Reading) reading = g_new0(Reading, 1);
        int r;

        r = bus_get_all_properties(bus, LPMAINT_OBJECT_PATH, LPMAINT_MANAGER_INTERFACE, manager_properties, reading,
                                   auto_start, error);
        if (r < 0)
                return r;
        r = bus_get_all_properties(bus, LPMAINT_OBJECT_PATH, LPMAINT_KERNEL_INTERFACE, kernel_properties, reading,
                                   auto_start, error);
        if (r < 0)
                return r;
        r = patch_get_all(bus, auto_start, &reading->patches, error);
        if (r < 0)
                return r;

        *ret = g_steal_pointer(&reading);
        return 0;
}

/* The exposition of @reading (NULL: lpmaintd was never read), which is
 * current when @up and the last one known otherwise. */
static char *format_reading(const Reading *reading, bool up) {
        MetricsSnapshot s = { .up = up, .have_state = reading != NULL };
        g_autofree MetricsPatch *patches = NULL;
        g_autofree MetricsTaintFlag *flags = NULL;
        g_autofree const char **codes = NULL;
        g_autofree MetricsSyncErrors *sync_errors = NULL;

        if (!reading)
                return metrics_format(&s);

        s.version = reading->version;
        s.kernel_release = reading->kernel_release;
        s.ring = reading->ring;
        s.busy = reading->busy;
        s.reboot_required = reading->reboot_required;
        s.coverage_ends_usec = reading->coverage_ends_usec;
        s.n_unacknowledged_break_glass = reading->unacknowledged_break_glass ?
                g_strv_length(reading->unacknowledged_break_glass) : 0;
        s.tainted = reading->tainted;
        s.oops_count = reading->oops_count;
        s.warn_count = reading->warn_count;

        s.has_next_reboot_window = reading->next_reboot_window_usec.set;
        s.next_reboot_window_usec = reading->next_reboot_window_usec.value;
        s.has_scheduled_reboot = reading->scheduled_reboot_usec.set;
        s.scheduled_reboot_usec = reading->scheduled_reboot_usec.value;
        s.has_fleet_lock_held = reading->fleet_lock_held.set;
        s.fleet_lock_held = reading->fleet_lock_held.value;
        s.has_wave_state = reading->wave_state.set;
        s.wave_state = reading->wave_state.value;
        s.sync_last_run_usec = reading->sync.last_usec;
        s.sync_last_success_usec = reading->sync.success_usec;
        s.sync_index_serial = reading->sync.success_serial;
        s.has_sync_errors = reading->sync.errors.set;
        sync_errors = g_new0(MetricsSyncErrors, reading->sync.errors.n + 1);
        for (size_t i = 0; i < reading->sync.errors.n; i++)
                sync_errors[i] = (MetricsSyncErrors) {
                        .kind = reading->sync.errors.counts[i].kind,
                        .count = reading->sync.errors.counts[i].count,
                };
        s.sync_errors = sync_errors;
        s.n_sync_errors = reading->sync.errors.n;

        codes = g_new0(const char *, reading->reboot_reasons.n + 1);
        for (size_t i = 0; i < reading->reboot_reasons.n; i++)
                codes[i] = reading->reboot_reasons.reasons[i].code;
        s.reboot_reason_codes = codes;
        s.n_reboot_reason_codes = reading->reboot_reasons.n;

        flags = g_new0(MetricsTaintFlag, reading->taint_flags.n + 1);
        for (size_t i = 0; i < reading->taint_flags.n; i++)
                flags[i] = (MetricsTaintFlag) {
                        .bit = reading->taint_flags.flags[i].bit,
                        .letter = reading->taint_flags.flags[i].letter,
                };
        s.taint_flags = flags;
        s.n_taint_flags = reading->taint_flags.n;

        patches = g_new0(MetricsPatch, reading->patches->len + 1);
        for (guint i = 0; i < reading->patches->len; i++) {
                const Patch *p = g_ptr_array_index(reading->patches, i);
                patches[i] = (MetricsPatch) {
                        .name = p->name,
                        .state = p->state,
                        .soak_state = p->soak_state,
                        .applied_usec = p->applied_usec,
                };
        }
        s.patches = patches;
        s.n_patches = reading->patches->len;

        return metrics_format(&s);
}

/* Replaces @path as a whole: a reader (node_exporter) sees the old file or
 * the new one, never a part, and after a crash one of them is on disk. */
static int write_file_atomic(const char *path, const char *text) {
        g_autofree char *dir = g_path_get_dirname(path);
        g_autofree char *base = g_path_get_basename(path);
        /* A dot file without the .prom suffix: the textfile collector skips it. */
        g_autofree char *tmp = g_strdup_printf("%s/.%s.XXXXXX", dir, base);
        size_t left = strlen(text);
        const char *p = text;
        int fd, r = 0;

        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;

        /* Readable by node_exporter's user whatever our umask. */
        if (fchmod(fd, 0644) < 0)
                r = -errno;
        while (r == 0 && left > 0) {
                ssize_t n = write(fd, p, left);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                } else {
                        p += n;
                        left -= (size_t) n;
                }
        }
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0) {
                (void) unlink(tmp);
                return r;
        }

        /* The rename itself, durable. */
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0) {
                (void) fsync(fd);
                (void) close(fd);
        }
        return 0;
}

static int write_output(const char *text) {
        if (arg_metrics_output)
                return write_file_atomic(arg_metrics_output, text);

        if (fputs(text, stdout) < 0 || fflush(stdout) != 0 || ferror(stdout))
                return -EIO;
        return 0;
}

static const char *output_name(void) {
        return arg_metrics_output ? arg_metrics_output : "standard output";
}

/* --- --follow ---------------------------------------------------------------- */

typedef struct Follower {
        sd_bus *bus;
        sd_event *event;
        sd_event_source *coalesce;   /* a read shortly after a change */
        sd_event_source *interval;   /* a read every --interval, for what announces no change */
        Reading *last;               /* the last successful read; NULL before the first */
        bool up;                     /* lpmaintd answered the last read */
        bool down_told;              /* we said it does not answer, and it has not answered since */
} Follower;

static void follower_done(Follower *f) {
        f->coalesce = sd_event_source_unref(f->coalesce);
        f->interval = sd_event_source_unref(f->interval);
        reading_free(f->last);
        f->last = NULL;
}

static void follower_write(Follower *f) {
        g_autofree char *text = format_reading(f->last, f->up);
        int r;

        r = write_output(text);
        if (r < 0)
                (void) log_errno(LPMAINT_EXIT_FAILED, r, "Failed to write %s, trying again at the next change", output_name());
}

static void follower_down(Follower *f, const sd_bus_error *error, int r, const char *why) {
        f->up = false;
        if (f->down_told)
                return;
        f->down_told = true;
        if (error)
                (void) log_bus_error(error, r, "%s; lpmaint_up is 0 until it answers again", why);
        else
                (void) log_error(LPMAINT_EXIT_UNREACHABLE, "%s; lpmaint_up is 0 until it is back", why);
}

static int follower_refresh(Follower *f) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autoptr(Reading) reading = NULL;
        int r;

        (void) sd_event_source_set_enabled(f->coalesce, SD_EVENT_OFF);

        r = read_lpmaintd(f->bus, false, &reading, &error);
        if (r < 0)
                follower_down(f, &error, r, "Failed to read the state of lpmaintd");
        else {
                if (f->down_told)
                        (void) log_error(LPMAINT_EXIT_SUCCESS, "lpmaintd answers again.");
                reading_free(f->last);
                f->last = g_steal_pointer(&reading);
                f->up = true;
                f->down_told = false;
        }

        follower_write(f);

        /* The next periodic read counts from this one: the file is never
         * older than --interval while we run. */
        r = sd_event_source_set_time_relative(f->interval, arg_metrics_interval_usec);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(f->interval, SD_EVENT_ONESHOT);
}

/* A change is announced: read once the burst is over. A pending read is not
 * pushed back, so a steady stream of changes still gets read. */
static void follower_schedule(Follower *f) {
        if (sd_event_source_get_enabled(f->coalesce, NULL) > 0)
                return;
        if (sd_event_source_set_time_relative(f->coalesce, COALESCE_USEC) < 0 ||
            sd_event_source_set_enabled(f->coalesce, SD_EVENT_ONESHOT) < 0)
                (void) follower_refresh(f);
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Follower *f = userdata;
        int r;

        r = follower_refresh(f);
        if (r < 0)
                return sd_event_exit(f->event, r);
        return 0;
}

static int on_change(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        follower_schedule(userdata);
        return 0;
}

static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Follower *f = userdata;
        const char *name, *old_owner, *new_owner;

        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0)
                return 0;

        if (*new_owner)
                /* Back (or replaced): its objects are there once it owns the name. */
                follower_schedule(f);
        else if (f->up) {
                follower_down(f, NULL, 0, "lpmaintd left the bus");
                follower_write(f);
        }
        return 0;
}

static int add_matches(Follower *f) {
        int r;

        /* Every object of lpmaintd: the Manager and each patch. */
        r = sd_bus_add_match(f->bus, NULL,
                             "type='signal',"
                             "sender='" LPMAINT_BUS_NAME "',"
                             "interface='org.freedesktop.DBus.Properties',"
                             "member='PropertiesChanged',"
                             "path_namespace='" LPMAINT_OBJECT_PATH "'",
                             on_change, f);
        if (r < 0)
                return r;

        r = sd_bus_match_signal(f->bus, NULL, LPMAINT_BUS_NAME, LPMAINT_OBJECT_PATH,
                                "org.freedesktop.DBus.ObjectManager", "InterfacesAdded", on_change, f);
        if (r < 0)
                return r;

        r = sd_bus_match_signal(f->bus, NULL, LPMAINT_BUS_NAME, LPMAINT_OBJECT_PATH,
                                "org.freedesktop.DBus.ObjectManager", "InterfacesRemoved", on_change, f);
        if (r < 0)
                return r;

        return sd_bus_add_match(f->bus, NULL,
                                LPMAINT_OWNER_CHANGED_MATCH,
                                on_owner_changed, f);
}

static int follow(sd_bus *bus) {
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(follower_done) Follower f = { .bus = bus };
        sigset_t mask;
        int r;

        /* Stopped by systemd (SIGTERM) or at a terminal (SIGINT): exit 0,
         * leaving the last file in place. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return log_errno(LPMAINT_EXIT_FAILED, -errno, "Failed to block signals");

        r = sd_event_default(&event);
        if (r < 0)
                return log_errno(LPMAINT_EXIT_FAILED, r, "Failed to allocate an event loop");
        f.event = event;
        if ((r = sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL)) < 0 ||
            (r = sd_event_add_signal(event, NULL, SIGINT, NULL, NULL)) < 0)
                return log_errno(LPMAINT_EXIT_FAILED, r, "Failed to watch for signals");

        /* The loop ends with EXIT_FAILURE when the bus connection breaks. */
        r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r >= 0)
                r = sd_bus_set_exit_on_disconnect(bus, true);
        if (r < 0)
                return log_errno(LPMAINT_EXIT_FAILED, r, "Failed to attach the bus to the event loop");

        r = sd_event_add_time_relative(event, &f.coalesce, CLOCK_MONOTONIC, COALESCE_USEC, USEC_PER_MSEC, on_timer, &f);
        if (r >= 0)
                r = sd_event_source_set_enabled(f.coalesce, SD_EVENT_OFF);
        if (r >= 0)
                r = sd_event_add_time_relative(event, &f.interval, CLOCK_MONOTONIC, arg_metrics_interval_usec, 0, on_timer, &f);
        if (r < 0)
                return log_errno(LPMAINT_EXIT_FAILED, r, "Failed to add timers");

        /* Before the first read, so that no change in between goes unseen. */
        r = add_matches(&f);
        if (r < 0)
                return log_errno(LPMAINT_EXIT_UNREACHABLE, r, "Failed to subscribe to the signals of lpmaintd");

        /* The first write must work: a wrong --output shows at once. */
        {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                g_autoptr(Reading) reading = NULL;
                g_autofree char *text = NULL;

                r = read_lpmaintd(bus, false, &reading, &error);
                if (r < 0)
                        follower_down(&f, &error, r, "Failed to read the state of lpmaintd");
                else {
                        f.last = g_steal_pointer(&reading);
                        f.up = true;
                }
                text = format_reading(f.last, f.up);
                r = write_output(text);
                if (r < 0)
                        return log_errno(LPMAINT_EXIT_FAILED, r, "Failed to write %s", output_name());
        }

        r = sd_event_loop(event);
        if (r == EXIT_FAILURE) {
                /* The bus is gone, and lpmaintd with it as far as we can tell. */
                f.up = false;
                follower_write(&f);
                return log_error(LPMAINT_EXIT_UNREACHABLE, "Disconnected from the bus");
        }
        if (r < 0)
                return log_errno(LPMAINT_EXIT_FAILED, r, "Failed to run the event loop");
        return LPMAINT_EXIT_SUCCESS;
}

int verb_metrics(int argc, char *argv[], void *userdata) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        g_autoptr(Reading) reading = NULL;
        g_autofree char *text = NULL;
        int r, status;

        status = acquire_bus(&bus);
        if (status == 0 && arg_follow)
                return follow(bus);

        /* Even when lpmaintd cannot be read the output is an exposition,
         * "lpmaint_up 0", and the exit status says what went wrong. */
        if (status == 0) {
                r = read_lpmaintd(bus, true, &reading, &error);
                if (r < 0)
                        status = log_bus_error(&error, r, "Failed to read the state of lpmaintd");
        }

        text = format_reading(reading, reading != NULL);
        r = write_output(text);
        if (r < 0)
                return log_errno(LPMAINT_EXIT_FAILED, r, "Failed to write %s", output_name());

        return status;
}
