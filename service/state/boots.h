/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

/* Every boot lpmaintd saw and how it ended, so that reboot counts and reasons
 * are facts. The end of a boot is known for sure only at its end: lpmaintd
 * writes it when it stops during a system shutdown; a boot that never got an
 * end written crashed (the daemon runs for the whole boot and is restarted
 * by systemd when it dies). Kept in STATE_DIRECTORY/boots, newest last. */

typedef enum BootEnd {
        BOOT_END_RUNNING,               /* the current boot, or lpmaintd has not stopped yet */
        BOOT_END_DAEMON_STOPPED,        /* lpmaintd was stopped outside a shutdown: the end is unknown */
        BOOT_END_SHUTDOWN,              /* a clean shutdown: poweroff, halt */
        BOOT_END_REBOOT,                /* a clean reboot that lpmaint did not plan */
        BOOT_END_PLANNED_REBOOT,        /* a reboot lpmaint planned; the reason says why */
        BOOT_END_CRASH,                 /* no clean end: kernel crash, power loss, hard reset */
        BOOT_END_UNKNOWN,               /* lpmaintd was stopped before the end */
        _BOOT_END_MAX,
        _BOOT_END_INVALID = -1,
} BootEnd;

const char *boot_end_to_string(BootEnd e);

typedef struct BootRecord {
        char *boot_id;
        char *kernel_release;
        uint64_t booted_usec;   /* realtime */
        BootEnd end;
        uint64_t ended_usec;    /* 0 when not known (a crash) */
        char *reason;           /* why it ended, where known */
} BootRecord;

#define BOOT_LOG_MAX 100

typedef struct BootLog {
        GArray *records;        /* BootRecord, oldest first, at most BOOT_LOG_MAX */
} BootLog;

BootLog *boot_log_new(void);
void boot_log_free(BootLog *l);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BootLog, boot_log_free)

/* A missing file is an empty log; a damaged one is -EBADMSG. */
int boot_log_load(const char *state_dir, BootLog **ret);
int boot_log_save(const BootLog *l, const char *state_dir);

/* Records the boot lpmaintd runs in. A boot not seen before decides how the
 * previous one ended, and returns true. */
bool boot_log_note_boot(BootLog *l, const char *boot_id, const char *kernel_release, uint64_t booted_usec);

/* Records how the current boot is ending. */
void boot_log_note_end(BootLog *l, const char *boot_id, BootEnd end, uint64_t now_usec, const char *reason);

const BootRecord *boot_log_current(const BootLog *l);
/* The boot before the current one, or NULL. */
const BootRecord *boot_log_previous(const BootLog *l);
