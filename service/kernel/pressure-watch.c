/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>
#include <glib.h>

#include "kernel-private.h"
#include "log.h"
#include "pressure-watch.h"
#include "util.h"

/* The longest window the kernel takes for a trigger. */
#define TRIGGER_WINDOW_USEC (10 * USEC_PER_SEC)

struct PressureWatch {
        Kernel *kernel;
        sd_event *event;
        PressureHandler handler;
        void *userdata;
        int fd[_PRESSURE_MAX];
        sd_event_source *source[_PRESSURE_MAX];
        sd_event_source *sim_source;
};

PressureWatch *pressure_watch_new(Kernel *k, sd_event *event, PressureHandler handler, void *userdata) {
        PressureWatch *w = g_new0(PressureWatch, 1);

        w->kernel = k;
        w->event = sd_event_ref(event);
        w->handler = handler;
        w->userdata = userdata;
        for (int i = 0; i < _PRESSURE_MAX; i++)
                w->fd[i] = -EBADF;
        return w;
}

static void disarm(PressureWatch *w) {
        for (int i = 0; i < _PRESSURE_MAX; i++) {
                w->source[i] = sd_event_source_disable_unref(w->source[i]);
                if (w->fd[i] >= 0)
                        close(w->fd[i]);
                w->fd[i] = -EBADF;
        }
        w->sim_source = sd_event_source_disable_unref(w->sim_source);
}

void pressure_watch_free(PressureWatch *w) {
        if (!w)
                return;
        disarm(w);
        sd_event_unref(w->event);
        g_free(w);
}

static int on_trigger(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        PressureWatch *w = userdata;

        for (int i = 0; i < _PRESSURE_MAX; i++)
                if (w->fd[i] == fd) {
                        if (revents & EPOLLERR) {
                                /* The kernel dropped the trigger (cgroup gone, say): stop listening. */
                                w->source[i] = sd_event_source_disable_unref(w->source[i]);
                                return 0;
                        }
                        w->handler((PressureResource) i, w->userdata);
                }
        return 0;
}

static int on_sim_change(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        PressureWatch *w = userdata;

        for (int i = 0; i < _PRESSURE_MAX; i++)
                if (ev->len > 0 && g_str_equal(ev->name, pressure_resource_to_string((PressureResource) i)))
                        w->handler((PressureResource) i, w->userdata);
        return 0;
}

static int arm_trigger(PressureWatch *w, PressureResource res, unsigned threshold) {
        g_autofree char *path = kernel_path(w->kernel, "proc/pressure/%s", pressure_resource_to_string(res));
        /* The kernel takes 0 < stall <= window. */
        uint64_t stall_usec = MAX(TRIGGER_WINDOW_USEC * threshold / 10000, UINT64_C(1));
        g_autofree char *trigger = g_strdup_printf("some %" PRIu64 " %" PRIu64, stall_usec, TRIGGER_WINDOW_USEC);

        _cleanup_close_ int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        /* The trigger is the whole write, NUL included, as the kernel documents. */
        if (write(fd, trigger, strlen(trigger) + 1) < 0)
                return -errno;
        int r = sd_event_add_io(w->event, &w->source[res], fd, EPOLLPRI, on_trigger, w);
        if (r < 0)
                return r;
        w->fd[res] = g_steal_fd(&fd);
        return 0;
}

int pressure_watch_arm(PressureWatch *w, const unsigned threshold[_PRESSURE_MAX]) {
        bool any = false;
        int ret = 0;

        disarm(w);
        for (int i = 0; threshold && i < _PRESSURE_MAX; i++)
                any = any || threshold[i] < 10000;
        if (!any)
                return 0;

        if (kernel_is_simulated(w->kernel)) {
                g_autofree char *dir = kernel_path(w->kernel, "proc/pressure");
                return sd_event_add_inotify(w->event, &w->sim_source, dir, IN_CLOSE_WRITE | IN_MOVED_TO, on_sim_change, w);
        }
        for (int i = 0; i < _PRESSURE_MAX; i++) {
                if (threshold[i] >= 10000)
                        continue;
                int r = arm_trigger(w, (PressureResource) i, threshold[i]);
                if (r < 0) {
                        log_warning("Cannot watch %s pressure (%s); it is judged when other signals change.",
                                    pressure_resource_to_string((PressureResource) i), g_strerror(-r));
                        ret = r;
                }
        }
        return ret;
}
