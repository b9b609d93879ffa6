/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "kernel.h"
#include "kmsg.h"

/* Follows the kernel log (kernel_log_open()) as an event source, only while
 * enabled: an idle daemon does not wake for every kernel message. */
typedef struct KmsgReader KmsgReader;

typedef void (*KmsgHandler)(uint64_t seq, KmsgEvent event, const char *message, size_t len, void *userdata);

int kmsg_reader_new(Kernel *k, sd_event *event, KmsgHandler handler, void *userdata, KmsgReader **ret);
void kmsg_reader_free(KmsgReader *r);

/* Enabling reads everything the log holds that was not read yet (on the
 * first time: the whole log), then follows it. */
int kmsg_reader_set_enabled(KmsgReader *r, bool enabled);
/* The sequence number of the newest record read so far. */
uint64_t kmsg_reader_last_seq(KmsgReader *r);

/* Counts the events of everything the kernel log holds now, without
 * following it; @ret_oldest_usec is the oldest record's time since boot. */
int kmsg_scan(Kernel *k, uint64_t counts[_KMSG_EVENT_MAX], uint64_t *ret_oldest_usec);
