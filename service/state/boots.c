/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "boots.h"
#include "string-table.h"
#include "util.h"

#define BOOTS_FILE "boots"
#define BOOTS_MAX_FILE_SIZE (256 * 1024)
#define GROUP_PREFIX "Boot "

static const char *const boot_end_table[_BOOT_END_MAX] = {
        [BOOT_END_RUNNING] = "running",
        [BOOT_END_DAEMON_STOPPED] = "daemon-stopped",
        [BOOT_END_SHUTDOWN] = "shutdown",
        [BOOT_END_REBOOT] = "reboot",
        [BOOT_END_PLANNED_REBOOT] = "planned-reboot",
        [BOOT_END_CRASH] = "crash",
        [BOOT_END_UNKNOWN] = "unknown",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(boot_end, BootEnd);
DEFINE_PRIVATE_STRING_TABLE_LOOKUP_FROM_STRING(boot_end, BootEnd);

static void record_clear(void *p) {
        BootRecord *r = p;
        g_free(r->boot_id);
        g_free(r->kernel_release);
        g_free(r->reason);
}

BootLog *boot_log_new(void) {
        BootLog *l = g_new0(BootLog, 1);
        l->records = g_array_new(false, true, sizeof(BootRecord));
        g_array_set_clear_func(l->records, record_clear);
        return l;
}

void boot_log_free(BootLog *l) {
        if (!l)
                return;
        g_array_unref(l->records);
        g_free(l);
}

static bool boot_id_is_valid(const char *s) {
        return s && strlen(s) <= 64 && s[0] && strspn(s, "0123456789abcdef-") == strlen(s);
}

int boot_log_load(const char *state_dir, BootLog **ret) {
        g_autoptr(BootLog) l = boot_log_new();
        g_autoptr(GKeyFile) kf = g_key_file_new();
        g_autofree char *path = g_build_filename(state_dir, BOOTS_FILE, NULL);
        g_autoptr(GBytes) bytes = NULL;

        int r = read_file_at(AT_FDCWD, path, BOOTS_MAX_FILE_SIZE, &bytes);
        if (r == -ENOENT) {
                *ret = g_steal_pointer(&l);
                return 0;
        }
        if (r < 0)
                return r;
        gsize size;
        const char *data = g_bytes_get_data(bytes, &size);
        if (!g_key_file_load_from_data(kf, data, size, G_KEY_FILE_NONE, NULL))
                return -EBADMSG;

        g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
        for (size_t i = 0; groups[i]; i++) {
                const char *id = groups[i] + strlen(GROUP_PREFIX);
                g_autofree char *end = g_key_file_get_string(kf, groups[i], "End", NULL);
                BootRecord rec = {
                        .boot_id = g_strdup(id),
                        .kernel_release = g_key_file_get_string(kf, groups[i], "KernelRelease", NULL),
                        .booted_usec = g_key_file_get_uint64(kf, groups[i], "BootedUSec", NULL),
                        .end = boot_end_from_string(end),
                        .ended_usec = g_key_file_get_uint64(kf, groups[i], "EndedUSec", NULL),
                        .reason = g_key_file_get_string(kf, groups[i], "Reason", NULL),
                };
                bool ok = g_str_has_prefix(groups[i], GROUP_PREFIX) && boot_id_is_valid(id) &&
                        rec.kernel_release && rec.end >= 0;
                if (!rec.reason)
                        rec.reason = g_strdup("");
                g_array_append_val(l->records, rec);
                if (!ok)
                        return -EBADMSG;
        }
        *ret = g_steal_pointer(&l);
        return 0;
}

int boot_log_save(const BootLog *l, const char *state_dir) {
        g_autoptr(GKeyFile) kf = g_key_file_new();

        for (guint i = 0; i < l->records->len; i++) {
                const BootRecord *rec = &g_array_index(l->records, BootRecord, i);
                g_autofree char *group = g_strconcat(GROUP_PREFIX, rec->boot_id, NULL);
                g_key_file_set_string(kf, group, "KernelRelease", rec->kernel_release);
                g_key_file_set_uint64(kf, group, "BootedUSec", rec->booted_usec);
                g_key_file_set_string(kf, group, "End", boot_end_to_string(rec->end));
                g_key_file_set_uint64(kf, group, "EndedUSec", rec->ended_usec);
                g_key_file_set_string(kf, group, "Reason", rec->reason);
        }
        gsize size;
        g_autofree char *data = g_key_file_to_data(kf, &size, NULL);
        _cleanup_close_ int dir_fd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0)
                return -errno;
        return write_file_atomic_at(dir_fd, BOOTS_FILE, data, size, 0600);
}

static BootRecord *find(const BootLog *l, const char *boot_id) {
        for (guint i = 0; i < l->records->len; i++) {
                BootRecord *rec = &g_array_index(l->records, BootRecord, i);
                if (g_str_equal(rec->boot_id, boot_id))
                        return rec;
        }
        return NULL;
}

bool boot_log_note_boot(BootLog *l, const char *boot_id, const char *kernel_release, uint64_t booted_usec) {
        if (find(l, boot_id)) {
                /* Started again in the same boot: whatever end was written did not come. */
                boot_log_note_end(l, boot_id, BOOT_END_RUNNING, 0, NULL);
                return false;
        }

        if (l->records->len > 0) {
                BootRecord *prev = &g_array_index(l->records, BootRecord, l->records->len - 1);
                /* Nobody wrote an end: the boot ended without a shutdown. A
                 * daemon stopped by hand could not see the end. */
                if (prev->end == BOOT_END_RUNNING) {
                        prev->end = BOOT_END_CRASH;
                        prev->ended_usec = 0;
                } else if (prev->end == BOOT_END_DAEMON_STOPPED)
                        prev->end = BOOT_END_UNKNOWN;
        }
        while (l->records->len >= BOOT_LOG_MAX)
                g_array_remove_index(l->records, 0);
        BootRecord rec = {
                .boot_id = g_strdup(boot_id),
                .kernel_release = g_strdup(kernel_release),
                .booted_usec = booted_usec,
                .end = BOOT_END_RUNNING,
                .reason = g_strdup(""),
        };
        g_array_append_val(l->records, rec);
        return true;
}

void boot_log_note_end(BootLog *l, const char *boot_id, BootEnd end, uint64_t now_usec, const char *reason) {
        BootRecord *rec = find(l, boot_id);
        if (!rec)
                return;
        rec->end = end;
        rec->ended_usec = end == BOOT_END_RUNNING ? 0 : now_usec;
        g_free(rec->reason);
        rec->reason = g_strdup(reason ?: "");
}

const BootRecord *boot_log_current(const BootLog *l) {
        return l->records->len > 0 ? &g_array_index(l->records, BootRecord, l->records->len - 1) : NULL;
}

const BootRecord *boot_log_previous(const BootLog *l) {
        return l->records->len > 1 ? &g_array_index(l->records, BootRecord, l->records->len - 2) : NULL;
}
