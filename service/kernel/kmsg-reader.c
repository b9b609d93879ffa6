/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>
#include <glib.h>

#include "kernel-private.h"
#include "kmsg-reader.h"
#include "util.h"

/* The kernel's records are at most this long (PRINTK_MESSAGE_MAX and the prefix). */
#define KMSG_RECORD_MAX 8192

struct KmsgReader {
        Kernel *kernel;
        sd_event *event;
        KmsgHandler handler;
        void *userdata;
        sd_event_source *source;
        int fd;
        uint64_t last_seq;
        off_t sim_offset;       /* how far the simulated log was read */
        bool enabled;
};

void kmsg_reader_free(KmsgReader *r) {
        if (!r)
                return;
        sd_event_source_disable_unref(r->source);
        if (r->fd >= 0)
                close(r->fd);
        sd_event_unref(r->event);
        g_free(r);
}

uint64_t kmsg_reader_last_seq(KmsgReader *r) {
        return r->last_seq;
}

static void deliver(KmsgReader *r, uint64_t seq, const char *msg, size_t len) {
        if (seq <= r->last_seq && r->last_seq != 0)
                return; /* already seen */
        r->last_seq = seq;
        r->handler(seq, kmsg_classify(msg, len), msg, len, r->userdata);
}

static void read_real(KmsgReader *r) {
        char buf[KMSG_RECORD_MAX];

        for (;;) {
                ssize_t n = read(r->fd, buf, sizeof(buf) - 1);
                if (n < 0) {
                        if (errno == EPIPE)
                                continue; /* records were overwritten before we read them */
                        if (errno == EINTR)
                                continue;
                        return; /* EAGAIN: all read */
                }
                KmsgRecord rec;
                if (kmsg_parse_record(buf, (size_t) n, &rec) >= 0)
                        deliver(r, rec.seq, rec.message, rec.message_len);
        }
}

static void read_sim(KmsgReader *r) {
        g_autofree char *path = kernel_path(r->kernel, "sim/kmsg");
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return;

        g_autoptr(GString) text = g_string_new(NULL);
        char buf[4096];
        ssize_t n;
        while ((n = pread(fd, buf, sizeof(buf), r->sim_offset + (off_t) text->len)) > 0)
                g_string_append_len(text, buf, n);

        /* Only whole lines: a line being written is read next time. */
        size_t start = 0;
        for (size_t i = 0; i < text->len; i++) {
                if (text->str[i] != '\n')
                        continue;
                r->last_seq++;
                r->handler(r->last_seq, kmsg_classify(text->str + start, i - start), text->str + start, i - start, r->userdata);
                start = i + 1;
        }
        r->sim_offset += (off_t) start;
}

static void read_available(KmsgReader *r) {
        if (kernel_is_simulated(r->kernel))
                read_sim(r);
        else
                read_real(r);
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        read_available(userdata);
        return 0;
}

static int on_inotify(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        read_available(userdata);
        return 0;
}

/* The event source exists only while enabled: a disabled inotify source on
 * a directory the simulated kernel keeps writing to would still make the
 * event loop spin in libsystemd 252. */
static int add_source(KmsgReader *r) {
        if (kernel_is_simulated(r->kernel)) {
                g_autofree char *dir = kernel_path(r->kernel, "sim");
                return sd_event_add_inotify(r->event, &r->source, dir, IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE | IN_MOVED_TO,
                                            on_inotify, r);
        }
        return sd_event_add_io(r->event, &r->source, r->fd, EPOLLIN, on_io, r);
}

int kmsg_reader_new(Kernel *k, sd_event *event, KmsgHandler handler, void *userdata, KmsgReader **ret) {
        KmsgReader *r = g_new0(KmsgReader, 1);

        r->kernel = k;
        r->event = sd_event_ref(event);
        r->handler = handler;
        r->userdata = userdata;
        r->fd = -EBADF;

        /* /dev/kmsg is opened once: the open file keeps our place in the log. */
        if (!kernel_is_simulated(k)) {
                r->fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
                if (r->fd < 0) {
                        int q = -errno;
                        kmsg_reader_free(r);
                        return q;
                }
        }
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
        int q = add_source(r);
        if (q < 0) {
                r->enabled = false;
                return q;
        }
        read_available(r);
        return 0;
}

int kmsg_scan(Kernel *k, uint64_t counts[_KMSG_EVENT_MAX], uint64_t *ret_oldest_usec) {
        memset(counts, 0, sizeof(uint64_t) * _KMSG_EVENT_MAX);
        *ret_oldest_usec = 0;

        if (kernel_is_simulated(k)) {
                /* The simulated log has no times: it is as old as the boot. */
                g_autofree char *path = kernel_path(k, "sim/kmsg");
                g_autoptr(GBytes) bytes = NULL;
                int r = read_file_at(AT_FDCWD, path, 16 << 20, &bytes);
                if (r == -ENOENT)
                        return 0;
                if (r < 0)
                        return r;
                g_autofree char *text = g_strndup(g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes));
                g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
                for (size_t i = 0; lines[i]; i++)
                        counts[kmsg_classify(lines[i], strlen(lines[i]))]++;
                return 0;
        }

        _cleanup_close_ int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        char buf[KMSG_RECORD_MAX];
        bool first = true;
        for (;;) {
                ssize_t n = read(fd, buf, sizeof(buf) - 1);
                if (n < 0) {
                        if (errno == EPIPE || errno == EINTR)
                                continue;
                        break; /* EAGAIN: the end */
                }
                KmsgRecord rec;
                if (kmsg_parse_record(buf, (size_t) n, &rec) < 0)
                        continue;
                if (first)
                        *ret_oldest_usec = rec.timestamp_usec;
                first = false;
                counts[kmsg_classify(rec.message, rec.message_len)]++;
        }
        return 0;
}
