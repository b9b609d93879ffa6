/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Kernel log records, as /dev/kmsg gives them (Documentation/ABI/testing/
 * dev-kmsg): "PRIORITY,SEQUENCE,TIMESTAMP,FLAGS[,...];MESSAGE", one record
 * per read(2). */

typedef enum KmsgEvent {
        KMSG_EVENT_NONE,
        KMSG_EVENT_OOPS,
        KMSG_EVENT_BUG,
        KMSG_EVENT_WARNING,
        KMSG_EVENT_CALL_TRACE,
        KMSG_EVENT_SOFT_LOCKUP,
        KMSG_EVENT_HARD_LOCKUP,
        KMSG_EVENT_LIVEPATCH,
        _KMSG_EVENT_MAX,
} KmsgEvent;

typedef struct KmsgRecord {
        uint64_t seq;
        uint64_t timestamp_usec;        /* CLOCK_MONOTONIC since boot */
        const char *message;    /* points into the parsed buffer */
        size_t message_len;
} KmsgRecord;

/* Parses one record; -EBADMSG if it is not one. */
int kmsg_parse_record(const char *buf, size_t len, KmsgRecord *ret);

/* What a kernel message says about the kernel's health. */
KmsgEvent kmsg_classify(const char *message, size_t len);

/* Whether the event counts against a soaking patch (livepatch's own
 * messages about transitions do not). */
bool kmsg_event_is_trouble(KmsgEvent e);

const char *kmsg_event_to_string(KmsgEvent e);
