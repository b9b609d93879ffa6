/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "reboot-wave.h"
#include "string-table.h"
#include "util.h"

#define WAVE_FILE "reboot-wave"
#define WAVE_MAX_FILE_SIZE (64 * 1024)
#define GROUP "Wave"
#define TEXT_MAX 4096

RebootWave *reboot_wave_new(void) {
        RebootWave *w = g_new0(RebootWave, 1);
        w->last_verdict = g_strdup("");
        w->scheduled_by = g_strdup("");
        w->scheduled_boot_id = g_strdup("");
        w->reasons = g_strdup("");
        w->request_boot_id = g_strdup("");
        w->request_text = g_strdup("");
        w->outcomes = outcome_list_new();
        return w;
}

void reboot_wave_free(RebootWave *w) {
        if (!w)
                return;
        g_free(w->last_verdict);
        g_free(w->scheduled_by);
        g_free(w->scheduled_boot_id);
        g_free(w->reasons);
        g_free(w->request_boot_id);
        g_free(w->request_text);
        g_array_unref(w->outcomes);
        g_free(w);
}

/* A string that must be there, printable and bounded. */
static int get_text(GKeyFile *kf, const char *key, char **field) {
        g_autofree char *v = g_key_file_get_string(kf, GROUP, key, NULL);
        if (!v || !string_is_printable(v, TEXT_MAX))
                return -EBADMSG;
        g_free(*field);
        *field = g_steal_pointer(&v);
        return 0;
}

static int get_uint64(GKeyFile *kf, const char *key, uint64_t *ret) {
        g_autoptr(GError) e = NULL;
        g_autofree char *v = g_key_file_get_value(kf, GROUP, key, NULL);
        if (!v || !g_ascii_isdigit(v[0]) || !g_ascii_string_to_unsigned(v, 10, 0, UINT64_MAX, ret, &e))
                return -EBADMSG;
        return 0;
}

int reboot_wave_load(const char *state_dir, RebootWave **ret) {
        g_autoptr(RebootWave) w = reboot_wave_new();
        g_autoptr(GKeyFile) kf = g_key_file_new();
        g_autoptr(GBytes) bytes = NULL;
        g_autofree char *path = g_build_filename(state_dir, WAVE_FILE, NULL);
        g_autofree char *state = NULL;
        uint64_t attempts = 0;
        int r;

        r = read_file_at(AT_FDCWD, path, WAVE_MAX_FILE_SIZE, &bytes);
        if (r == -ENOENT) {
                *ret = g_steal_pointer(&w);
                return 0;
        }
        if (r < 0)
                return r;
        gsize size;
        const char *data = g_bytes_get_data(bytes, &size);
        if (memchr(data, '\0', size) || !g_key_file_load_from_data(kf, data, size, G_KEY_FILE_NONE, NULL))
                return -EBADMSG;

        if ((r = get_text(kf, "State", &state)) < 0 ||
            (r = get_uint64(kf, "OpenedUSec", &w->opened_usec)) < 0 ||
            (r = get_uint64(kf, "Attempts", &attempts)) < 0 ||
            (r = get_text(kf, "LastVerdict", &w->last_verdict)) < 0 ||
            (r = get_uint64(kf, "ScheduledUSec", &w->scheduled_usec)) < 0 ||
            (r = get_text(kf, "ScheduledBy", &w->scheduled_by)) < 0 ||
            (r = get_text(kf, "ScheduledBootID", &w->scheduled_boot_id)) < 0 ||
            (r = get_text(kf, "Reasons", &w->reasons)) < 0 ||
            (r = get_text(kf, "RequestBootID", &w->request_boot_id)) < 0 ||
            (r = get_text(kf, "RequestText", &w->request_text)) < 0 ||
            (r = get_uint64(kf, "RequestUSec", &w->request_usec)) < 0)
                return r;
        w->state = wave_state_from_string(state);
        if (w->state < 0 || attempts > UINT32_MAX)
                return -EBADMSG;
        w->attempts = (unsigned) attempts;
        g_autoptr(GError) e = NULL;
        w->fleet_lock_held = g_key_file_get_boolean(kf, GROUP, "FleetLockHeld", &e);
        if (e)
                return -EBADMSG;
        /* Absent in records written before it existed: a schedule logind confirmed. */
        if (g_key_file_has_key(kf, GROUP, "ScheduleUnconfirmed", NULL)) {
                w->schedule_unconfirmed = g_key_file_get_boolean(kf, GROUP, "ScheduleUnconfirmed", &e);
                if (e)
                        return -EBADMSG;
        }
        r = outcome_list_load(kf, GROUP, w->outcomes);
        if (r < 0)
                return r;
        *ret = g_steal_pointer(&w);
        return 0;
}

int reboot_wave_save(const RebootWave *w, const char *state_dir) {
        g_autoptr(GKeyFile) kf = g_key_file_new();

        g_key_file_set_string(kf, GROUP, "State", wave_state_to_string(w->state));
        g_key_file_set_uint64(kf, GROUP, "OpenedUSec", w->opened_usec);
        g_key_file_set_uint64(kf, GROUP, "Attempts", w->attempts);
        g_key_file_set_string(kf, GROUP, "LastVerdict", w->last_verdict);
        g_key_file_set_uint64(kf, GROUP, "ScheduledUSec", w->scheduled_usec);
        g_key_file_set_string(kf, GROUP, "ScheduledBy", w->scheduled_by);
        g_key_file_set_string(kf, GROUP, "ScheduledBootID", w->scheduled_boot_id);
        g_key_file_set_string(kf, GROUP, "Reasons", w->reasons);
        g_key_file_set_boolean(kf, GROUP, "FleetLockHeld", w->fleet_lock_held);
        g_key_file_set_boolean(kf, GROUP, "ScheduleUnconfirmed", w->schedule_unconfirmed);
        g_key_file_set_string(kf, GROUP, "RequestBootID", w->request_boot_id);
        g_key_file_set_string(kf, GROUP, "RequestText", w->request_text);
        g_key_file_set_uint64(kf, GROUP, "RequestUSec", w->request_usec);
        outcome_list_save(w->outcomes, kf, GROUP);
        gsize size;
        g_autofree char *data = g_key_file_to_data(kf, &size, NULL);
        _cleanup_close_ int dir_fd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0)
                return -errno;
        return write_file_atomic_at(dir_fd, WAVE_FILE, data, size, 0600);
}

static void set(char **field, const char *value) {
        g_free(*field);
        *field = g_strdup(value);
}

void reboot_wave_unschedule(RebootWave *w) {
        w->scheduled_usec = 0;
        w->schedule_unconfirmed = false;
        set(&w->scheduled_by, "");
        set(&w->scheduled_boot_id, "");
        set(&w->reasons, "");
}

void reboot_wave_close(RebootWave *w) {
        reboot_wave_unschedule(w);
        w->state = WAVE_NONE;
        w->opened_usec = 0;
        w->attempts = 0;
        set(&w->last_verdict, "");
}

bool reboot_wave_note_boot(RebootWave *w, const char *boot_id, bool new_boot) {
        bool verify = false;

        if (w->request_boot_id[0] && !g_str_equal(w->request_boot_id, boot_id)) {
                set(&w->request_boot_id, "");
                set(&w->request_text, "");
                w->request_usec = 0;
        }
        switch (w->state) {
        case WAVE_SCHEDULED:
                verify = !g_str_equal(w->scheduled_boot_id, boot_id);
                if (verify) {
                        reboot_wave_unschedule(w);
                        w->state = WAVE_VERIFYING;
                }
                break;
        case WAVE_HOOKS:
        case WAVE_WAITING:
                if (new_boot)
                        reboot_wave_close(w);
                else
                        /* Hooks died with lpmaintd; the next run starts them again. */
                        w->state = WAVE_WAITING;
                break;
        case WAVE_VERIFYING:
                /* Rebooted again before the checks ended: check this boot. */
                verify = true;
                break;
        default:
                break;
        }
        return verify;
}

bool reboot_wave_requested(const RebootWave *w, const char *boot_id) {
        return w->request_boot_id[0] && g_str_equal(w->request_boot_id, boot_id);
}
