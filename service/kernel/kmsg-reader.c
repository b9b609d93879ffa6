/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <glib.h>

#include "kmsg-reader.h"

struct KmsgReader {
        KernelLog *log;
        sd_event *event;
        KmsgHandler handler;
        void *userdata;
        sd_event_source *source;
        uint64_t last_seq;
        bool enabled;
};

void kmsg_reader_free(KmsgReader *r) {
        if (!r)
                return;
        sd_event_source_disable_unref(r->source);
        kernel_log_free(r->log);
        sd_event_unref(r->event);
        g_free(r);
}

uint64_t kmsg_reader_last_seq(KmsgReader *r) {
        return r->last_seq;
}

static void deliver(uint64_t seq, const char *msg, size_t len, void *userdata) {
        KmsgReader *r = userdata;

        if (seq <= r->last_seq && r->last_seq != 0)
                return; /* already seen */
        r->last_seq = seq;
        r->handler(seq, kmsg_classify(msg, len), msg, len, r->userdata);
}

static void read_available(void *userdata) {
        KmsgReader *r = userdata;

        kernel_log_read(r->log, deliver, r);
}

int kmsg_reader_new(Kernel *k, sd_event *event, KmsgHandler handler, void *userdata, KmsgReader **ret) {
        g_autoptr(KernelLog) log = NULL;

        int q = kernel_log_open(k, &log);
        if (q < 0)
                return q;

        KmsgReader *r = g_new0(KmsgReader, 1);
        r->log = g_steal_pointer(&log);
        r->event = sd_event_ref(event);
        r->handler = handler;
        r->userdata = userdata;
        *ret = r;
        return 0;
}

int kmsg_reader_set_enabled(KmsgReader *r, bool enabled) {
        if (enabled == r->enabled)
                return 0;
        r->enabled = enabled;
        if (!enabled) {
                r->source = sd_event_source_disable_unref(r->source);
                return 0;
        }
        /* The event source exists only while enabled: a disabled inotify
         * source on a directory that keeps being written to would still make
         * the event loop spin in libsystemd 252. */
        int q = kernel_log_watch(r->log, r->event, read_available, r, &r->source);
        if (q < 0) {
                r->enabled = false;
                return q;
        }
        read_available(r);
        return 0;
}

int kmsg_scan(Kernel *k, uint64_t counts[_KMSG_EVENT_MAX], uint64_t *ret_oldest_usec) {
        return kernel_log_scan(k, counts, ret_oldest_usec);
}
