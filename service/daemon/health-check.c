/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "health-check.h"
#include "log.h"
#include "output-tail.h"
#include "system-bus-names.h"
#include "util.h"

extern char **environ;

typedef struct Check {
        HealthRun *run;
        const HealthCheckSpec *spec;
        HealthCheckResult *result;
        uint64_t started_mono;
        pid_t pid;
        char *job_path;
        bool finished;
        bool timed_out;
        sd_event_source *child;
        sd_event_source *timer;
        sd_bus_slot *start_slot;
        /* The command's stdout and stderr, one pipe: its last output is the
         * result's detail rather than lines in lpmaintd's log that name no check. */
        sd_event_source *output;
        char tail[OUTPUT_TAIL_MAX_BYTES];
        size_t tail_len;
} Check;

struct HealthRun {
        sd_event *event;
        sd_bus *bus;
        GPtrArray *specs;       /* kept alive for the run */
        GArray *results;
        Check *checks;
        size_t n;
        size_t pending;
        sd_bus_slot *job_match;
        sd_event_source *finish;
        HealthRunDone done;
        void *userdata;
};

HealthCheckSpec *health_check_spec_dup(const HealthCheckSpec *s) {
        HealthCheckSpec *d = g_new0(HealthCheckSpec, 1);
        d->name = g_strdup(s->name);
        d->argv = g_strdupv(s->argv);
        d->unit = g_strdup(s->unit);
        d->timeout_usec = s->timeout_usec;
        return d;
}

void health_check_spec_free(HealthCheckSpec *s) {
        if (!s)
                return;
        g_free(s->name);
        g_strfreev(s->argv);
        g_free(s->unit);
        g_free(s);
}

static void check_release(Check *c) {
        c->child = sd_event_source_disable_unref(c->child);
        c->timer = sd_event_source_disable_unref(c->timer);
        c->start_slot = sd_bus_slot_unref(c->start_slot);
        c->output = sd_event_source_disable_unref(c->output);
        g_clear_pointer(&c->job_path, g_free);
}

/* Reads what the pipe holds now; at its end (or an error) stops watching it. */
static void read_output(Check *c) {
        char buf[4096];

        while (c->output) {
                ssize_t n = read(sd_event_source_get_io_fd(c->output), buf, sizeof buf);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return;
                if (n <= 0) {
                        c->output = sd_event_source_disable_unref(c->output);
                        return;
                }
                output_tail_append(c->tail, &c->tail_len, sizeof c->tail, buf, (size_t) n);
        }
}

static int on_output(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        read_output(userdata);
        return 0;
}

void health_run_free(HealthRun *run) {
        if (!run)
                return;
        for (size_t i = 0; i < run->n; i++) {
                Check *c = &run->checks[i];
                if (!c->finished && c->pid > 0)
                        (void) kill(-c->pid, SIGKILL);
                check_release(c);
        }
        sd_bus_slot_unref(run->job_match);
        sd_event_source_disable_unref(run->finish);
        g_free(run->checks);
        g_array_unref(run->results);
        g_ptr_array_unref(run->specs);
        sd_bus_unref(run->bus);
        sd_event_unref(run->event);
        g_free(run);
}

static int on_finish(sd_event_source *s, void *userdata) {
        HealthRun *run = userdata;
        run->done(run, run->results, run->userdata);
        return 0;
}

/* Ends one check; the run's callback comes from a clean stack. */
static void check_finish(Check *c, bool passed, int exit_status, char *detail) {
        if (c->finished) {
                g_free(detail);
                return;
        }
        c->finished = true;
        /* What the command printed before it ended, also when it exited together with its pipe. */
        read_output(c);
        g_autofree char *said = output_tail_summary(c->tail, c->tail_len);
        if (said[0]) {
                char *with_output = g_strdup_printf("%s: %s", detail, said);
                g_free(detail);
                detail = with_output;
        }
        c->result->passed = passed;
        c->result->exit_status = exit_status;
        c->result->detail = detail;
        c->result->duration_usec = now_monotonic_usec() - c->started_mono;
        /* log_full() pastes its level onto the format: one call per level. */
        if (passed)
                log_info("Health check %s passed: %s (%" PRIu64 " ms).", c->spec->name, detail,
                         c->result->duration_usec / USEC_PER_MSEC);
        else
                log_warning("Health check %s failed: %s (%" PRIu64 " ms).", c->spec->name, detail,
                            c->result->duration_usec / USEC_PER_MSEC);
        check_release(c);
        if (--c->run->pending == 0)
                (void) sd_event_source_set_enabled(c->run->finish, SD_EVENT_ONESHOT);
}

static int on_child(sd_event_source *s, const siginfo_t *si, void *userdata) {
        Check *c = userdata;

        c->pid = 0;
        if (c->timed_out)
                check_finish(c, false, -1, g_strdup_printf("timed out after %" PRIu64 " s", c->spec->timeout_usec / USEC_PER_SEC));
        else if (si->si_code == CLD_EXITED)
                check_finish(c, si->si_status == 0, si->si_status, g_strdup_printf("exit status %d", si->si_status));
        else
                check_finish(c, false, -1, g_strdup_printf("killed by signal %s", strsignal(si->si_status)));
        return 0;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Check *c = userdata;

        c->timed_out = true;
        if (c->pid > 0) {
                /* The whole process group: a check's children go too. on_child() reports. */
                (void) kill(-c->pid, SIGKILL);
                return 0;
        }
        check_finish(c, false, -1, g_strdup_printf("timed out after %" PRIu64 " s", c->spec->timeout_usec / USEC_PER_SEC));
        return 0;
}

static int spawn_command(Check *c) {
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        sigset_t none, all;
        pid_t pid;
        int pipe_fds[2], r;

        /* Non-blocking at our end: a check's child that keeps the pipe open
         * after the check exits must not stall the event loop. */
        if (pipe2(pipe_fds, O_CLOEXEC) < 0)
                return -errno;
        if (fcntl(pipe_fds[0], F_SETFL, O_NONBLOCK) < 0) {
                r = -errno;
                (void) close(pipe_fds[0]);
                (void) close(pipe_fds[1]);
                return r;
        }
        sigemptyset(&none);
        sigfillset(&all);
        posix_spawn_file_actions_init(&fa);
        posix_spawnattr_init(&attr);
        /* Our blocked signals and handlers are not the check's; its own process group. */
        posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, pipe_fds[1], STDOUT_FILENO);
        posix_spawn_file_actions_adddup2(&fa, pipe_fds[1], STDERR_FILENO);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setsigdefault(&attr, &all);
        posix_spawnattr_setpgroup(&attr, 0);
        r = posix_spawn(&pid, c->spec->argv[0], &fa, &attr, c->spec->argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        (void) close(pipe_fds[1]);
        if (r != 0) {
                (void) close(pipe_fds[0]);
                return -r;
        }
        /* The source owns the read end from here on. */
        r = sd_event_add_io(c->run->event, &c->output, pipe_fds[0], EPOLLIN, on_output, c);
        if (r < 0) {
                (void) close(pipe_fds[0]);
                (void) kill(-pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                return r;
        }
        /* The source owns the read end from here on. */
        (void) sd_event_source_set_io_fd_own(c->output, true);
        r = sd_event_add_child(c->run->event, &c->child, pid, WEXITED, on_child, c);
        if (r < 0) {
                /* Nobody could reap it: it does not run on unwatched. */
                (void) kill(-pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                return r;
        }
        c->pid = pid;
        return 0;
}

static int on_job_removed(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        HealthRun *run = userdata;
        const char *job, *unit, *result;
        uint32_t id;

        if (sd_bus_message_read(msg, "uoss", &id, &job, &unit, &result) < 0)
                return 0;
        for (size_t i = 0; i < run->n; i++) {
                Check *c = &run->checks[i];
                if (!c->finished && c->job_path && g_str_equal(c->job_path, job))
                        check_finish(c, g_str_equal(result, "done"), -1, g_strdup_printf("unit job %s", result));
        }
        return 0;
}

static int on_unit_started(sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Check *c = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        const char *job;

        c->start_slot = sd_bus_slot_unref(c->start_slot);
        if (e) {
                check_finish(c, false, -1, g_strdup_printf("cannot start %s: %s", c->spec->unit, e->message ?: e->name));
                return 0;
        }
        if (sd_bus_message_read(reply, "o", &job) < 0) {
                check_finish(c, false, -1, g_strdup("systemd's reply to StartUnit is not understood"));
                return 0;
        }
        c->job_path = g_strdup(job);
        return 0;
}

static int start_unit(Check *c) {
        if (!c->run->bus)
                return -ENOTCONN;
        return sd_bus_call_method_async(c->run->bus, &c->start_slot, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                        "StartUnit", on_unit_started, c, "ss", c->spec->unit, "replace");
}

int health_run_start(sd_event *event, sd_bus *bus, GPtrArray *specs, HealthRunDone done, void *userdata,
                     HealthRun **ret) {
        HealthRun *run = g_new0(HealthRun, 1);
        bool units = false;
        int r;

        run->event = sd_event_ref(event);
        run->bus = bus ? sd_bus_ref(bus) : NULL;
        run->specs = g_ptr_array_ref(specs);
        run->n = run->pending = specs->len;
        run->checks = g_new0(Check, MAX(run->n, 1));
        run->results = g_array_sized_new(false, true, sizeof(HealthCheckResult), specs->len);
        g_array_set_clear_func(run->results, (GDestroyNotify) health_check_result_clear);
        g_array_set_size(run->results, specs->len);
        run->done = done;
        run->userdata = userdata;

        r = sd_event_add_defer(event, &run->finish, on_finish, run);
        if (r < 0)
                goto fail;
        (void) sd_event_source_set_enabled(run->finish, run->n == 0 ? SD_EVENT_ONESHOT : SD_EVENT_OFF);

        for (size_t i = 0; i < run->n; i++)
                units = units || ((HealthCheckSpec *) specs->pdata[i])->unit;
        if (units && bus) {
                /* The job's end is a signal; systemd sends it to subscribers only. */
                r = sd_bus_match_signal_async(bus, &run->job_match, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                              "JobRemoved", on_job_removed, NULL, run);
                if (r < 0)
                        goto fail;
                (void) sd_bus_call_method_async(bus, NULL, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "Subscribe",
                                                NULL, NULL, "");
        }

        for (size_t i = 0; i < run->n; i++) {
                Check *c = &run->checks[i];
                c->run = run;
                c->spec = specs->pdata[i];
                c->result = &g_array_index(run->results, HealthCheckResult, i);
                c->result->name = g_strdup(c->spec->name);
                c->result->exit_status = -1;
                c->result->started_usec = now_realtime_usec();
                c->started_mono = now_monotonic_usec();

                r = sd_event_add_time_relative(event, &c->timer, CLOCK_MONOTONIC, c->spec->timeout_usec, 0, on_timeout, c);
                if (r < 0)
                        goto fail;
                r = c->spec->argv ? spawn_command(c) : start_unit(c);
                if (r < 0)
                        check_finish(c, false, -1, g_strdup_printf("cannot start: %s", g_strerror(-r)));
        }
        *ret = run;
        return 0;
fail:
        health_run_free(run);
        return r;
}
