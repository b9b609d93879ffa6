/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The real kernel: module insertion and removal through the syscalls, the
 * livepatch "enabled" attribute written as it is, the log at /dev/kmsg and
 * pressure through PSI triggers. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kernel-private.h"
#include "kmod-util.h"
#include "util.h"

/* The kernel's records are at most this long (PRINTK_MESSAGE_MAX and the prefix). */
#define KMSG_RECORD_MAX 8192
/* The longest window the kernel takes for a trigger. */
#define TRIGGER_WINDOW_USEC (10 * USEC_PER_SEC)

static int real_insert(Kernel *k, const char *name, GBytes *image) {
        /* init_module(2) with the verified buffer, not finit_module(2) on a
         * path: nothing can change the bytes between verification and load. */
        gsize size;
        const void *data = g_bytes_get_data(image, &size);
        if (syscall(SYS_init_module, data, (unsigned long) size, "") < 0)
                return -errno;
        return 0;
}

static int real_remove(Kernel *k, const char *name) {
        g_autoptr(KmodCtx) ctx = kmod_new(NULL, (const char *[]) { NULL });
        g_autoptr(KmodModule) mod = NULL;
        if (!ctx)
                return -ENOMEM;
        int r = kmod_module_new_from_name(ctx, name, &mod);
        if (r < 0)
                return r;
        /* livepatch drops its module reference only after the patch's sysfs
         * directory is gone (klp_free_patch_finish(): kobject_put(), then
         * module_put()), and libkmod never waits: in that short window
         * delete_module(2) fails with EAGAIN. Retry briefly. */
        for (int i = 0;; i++) {
                r = kmod_module_remove_module(mod, 0);
                if (r != -EAGAIN || i >= 50)
                        return r;
                g_usleep(20 * 1000);
        }
}

static int real_set_enabled(Kernel *k, const char *name, bool enabled) {
        g_autofree char *path = kernel_path(k, "sys/kernel/livepatch/%s/enabled", name);
        return write_string_file(path, enabled ? "1" : "0");
}

static int open_kmsg(void) {
        int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        return fd < 0 ? -errno : fd;
}

/* Calls @func for each record that @fd holds from where it stands. */
static void read_records(int fd, void (*func)(const KmsgRecord *rec, void *userdata), void *userdata) {
        char buf[KMSG_RECORD_MAX];

        for (;;) {
                ssize_t n = read(fd, buf, sizeof(buf) - 1);
                if (n < 0) {
                        if (errno == EPIPE)
                                continue; /* records were overwritten before we read them */
                        if (errno == EINTR)
                                continue;
                        return; /* EAGAIN: all read */
                }
                KmsgRecord rec;
                if (kmsg_parse_record(buf, (size_t) n, &rec) >= 0)
                        func(&rec, userdata);
        }
}

/* /dev/kmsg is opened once: the open file keeps our place in the log. */
static int real_log_open(KernelLog *l) {
        l->fd = open_kmsg();
        return l->fd < 0 ? l->fd : 0;
}

static int on_log_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        KernelLog *l = userdata;

        l->wake(l->userdata);
        return 0;
}

static int real_log_watch(KernelLog *l, sd_event *event, sd_event_source **ret) {
        return sd_event_add_io(event, ret, l->fd, EPOLLIN, on_log_io, l);
}

typedef struct LogReading {
        KernelLogFunc func;
        void *userdata;
} LogReading;

static void deliver(const KmsgRecord *rec, void *userdata) {
        LogReading *reading = userdata;

        reading->func(rec->seq, rec->message, rec->message_len, reading->userdata);
}

static void real_log_read(KernelLog *l, KernelLogFunc func, void *userdata) {
        read_records(l->fd, deliver, &(LogReading) { func, userdata });
}

typedef struct LogScan {
        uint64_t *counts;
        uint64_t *oldest_usec;
        bool first;
} LogScan;

static void count(const KmsgRecord *rec, void *userdata) {
        LogScan *scan = userdata;

        if (scan->first)
                *scan->oldest_usec = rec->timestamp_usec;
        scan->first = false;
        scan->counts[kmsg_classify(rec->message, rec->message_len)]++;
}

static int real_log_scan(Kernel *k, uint64_t counts[_KMSG_EVENT_MAX], uint64_t *ret_oldest_usec) {
        _cleanup_close_ int fd = open_kmsg();
        if (fd < 0)
                return fd;
        read_records(fd, count, &(LogScan) { counts, ret_oldest_usec, true });
        return 0;
}

static int on_trigger(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        PressureTrigger *t = userdata;

        if (revents & EPOLLERR) {
                /* The kernel dropped the trigger (cgroup gone, say): stop listening. */
                (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
                return 0;
        }
        t->func(t->res, t->userdata);
        return 0;
}

static int real_pressure_trigger(Kernel *k, sd_event *event, PressureTrigger *t, sd_event_source **ret) {
        g_autofree char *path = kernel_path(k, "proc/pressure/%s", pressure_resource_to_string(t->res));
        /* The kernel takes 0 < stall <= window. */
        uint64_t stall_usec = MAX(TRIGGER_WINDOW_USEC * t->threshold / 10000, UINT64_C(1));
        g_autofree char *trigger = g_strdup_printf("some %" PRIu64 " %" PRIu64, stall_usec, TRIGGER_WINDOW_USEC);

        _cleanup_close_ int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        /* The trigger is the whole write, NUL included, as the kernel documents. */
        if (write(fd, trigger, strlen(trigger) + 1) < 0)
                return -errno;
        int r = sd_event_add_io(event, ret, fd, EPOLLPRI, on_trigger, t);
        if (r < 0)
                return r;
        (void) sd_event_source_set_io_fd_own(*ret, true);
        g_steal_fd(&fd);
        return 0;
}

const KernelOps kernel_real_ops = {
        .simulated = false,
        .insert = real_insert,
        .remove = real_remove,
        .set_enabled = real_set_enabled,
        .log_open = real_log_open,
        .log_watch = real_log_watch,
        .log_read = real_log_read,
        .log_scan = real_log_scan,
        .pressure_trigger = real_pressure_trigger,
};
