/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib.h>

#include "log.h"
#include "pressure-watch.h"

struct PressureWatch {
        Kernel *kernel;
        sd_event *event;
        PressureHandler handler;
        void *userdata;
        sd_event_source *source[_PRESSURE_MAX];
};

PressureWatch *pressure_watch_new(Kernel *k, sd_event *event, PressureHandler handler, void *userdata) {
        PressureWatch *w = g_new0(PressureWatch, 1);

        w->kernel = k;
        w->event = sd_event_ref(event);
        w->handler = handler;
        w->userdata = userdata;
        return w;
}

static void disarm(PressureWatch *w) {
        for (int i = 0; i < _PRESSURE_MAX; i++)
                w->source[i] = sd_event_source_disable_unref(w->source[i]);
}

void pressure_watch_free(PressureWatch *w) {
        if (!w)
                return;
        disarm(w);
        sd_event_unref(w->event);
        g_free(w);
}

int pressure_watch_arm(PressureWatch *w, const unsigned threshold[_PRESSURE_MAX]) {
        int ret = 0;

        disarm(w);
        for (int i = 0; threshold && i < _PRESSURE_MAX; i++) {
                if (threshold[i] >= 10000)
                        continue;
                int r = kernel_pressure_trigger(w->kernel, w->event, (PressureResource) i, threshold[i],
                                                w->handler, w->userdata, &w->source[i]);
                if (r < 0) {
                        log_warning("Cannot watch %s pressure (%s); it is judged when other signals change.",
                                    pressure_resource_to_string((PressureResource) i), g_strerror(-r));
                        ret = r;
                }
        }
        return ret;
}
