/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "sync-status.h"
#include "util.h"

#define SYNC_STATUS_FILE "sync-status"
#define SYNC_STATUS_MAX_SIZE (16 * 1024)

static void report_init(SyncReport *r) {
        *r = (SyncReport) { .channel = g_strdup(""), .result = g_strdup(""), .message = g_strdup("") };
}

static void report_clear(SyncReport *r) {
        g_free(r->channel);
        g_free(r->result);
        g_free(r->message);
        *r = (SyncReport) {};
}

static void report_copy(SyncReport *to, const SyncReport *from) {
        report_clear(to);
        *to = (SyncReport) {
                .time_usec = from->time_usec,
                .channel = g_strdup(from->channel),
                .serial = from->serial,
                .result = g_strdup(from->result),
                .message = g_strdup(from->message),
        };
}

void sync_status_init(SyncStatus *s) {
        *s = (SyncStatus) {};
        report_init(&s->last);
        report_init(&s->last_success);
}

void sync_status_clear(SyncStatus *s) {
        report_clear(&s->last);
        report_clear(&s->last_success);
        memset(s->errors, 0, sizeof s->errors);
}

static bool result_is_valid(const char *s) {
        size_t n = strlen(s);
        return n > 0 && n <= SYNC_RESULT_MAX &&
                strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") == n;
}

bool sync_report_is_valid(const char *channel, const char *result, const char *message) {
        return string_is_printable(channel, SYNC_CHANNEL_MAX) && result_is_valid(result) &&
                string_is_printable(message, SYNC_MESSAGE_MAX);
}

bool sync_result_is_success(const char *result) {
        return g_str_equal(result, "ok") || g_str_equal(result, "unchanged");
}

void sync_status_note(SyncStatus *s, const SyncReport *r) {
        report_copy(&s->last, r);
        if (sync_result_is_success(r->result))
                report_copy(&s->last_success, r);
        else if (r->result[0] != '\0') {
                SyncErrorKind k = sync_error_kind_of(r->result);
                if (s->errors[k] < UINT64_MAX)
                        s->errors[k]++;
        }
}

/* [Errors] KIND=COUNT; a kind this lpmaintd does not know (written by a
 * newer one) is left out, a missing one is 0. */
static void errors_save(GKeyFile *kf, const SyncStatus *s) {
        for (SyncErrorKind k = 0; k < _SYNC_ERROR_KIND_MAX; k++)
                g_key_file_set_uint64(kf, "Errors", sync_error_kind_to_string(k), s->errors[k]);
}

static int errors_load(GKeyFile *kf, SyncStatus *s) {
        for (SyncErrorKind k = 0; k < _SYNC_ERROR_KIND_MAX; k++) {
                g_autoptr(GError) e = NULL;
                uint64_t n = g_key_file_get_uint64(kf, "Errors", sync_error_kind_to_string(k), &e);

                if (!e)
                        s->errors[k] = n;
                else if (!g_error_matches(e, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND) &&
                         !g_error_matches(e, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND))
                        return -EBADMSG;
        }
        return 0;
}

static void report_save(GKeyFile *kf, const char *group, const SyncReport *r) {
        g_key_file_set_uint64(kf, group, "TimeUSec", r->time_usec);
        g_key_file_set_string(kf, group, "Channel", r->channel);
        g_key_file_set_uint64(kf, group, "Serial", r->serial);
        g_key_file_set_string(kf, group, "Result", r->result);
        g_key_file_set_string(kf, group, "Message", r->message);
}

static int report_load(GKeyFile *kf, const char *group, SyncReport *r) {
        g_autoptr(GError) e = NULL;
        uint64_t time_usec = g_key_file_get_uint64(kf, group, "TimeUSec", &e);
        uint64_t serial = e ? 0 : g_key_file_get_uint64(kf, group, "Serial", &e);
        g_autofree char *channel = e ? NULL : g_key_file_get_string(kf, group, "Channel", &e);
        g_autofree char *result = e ? NULL : g_key_file_get_string(kf, group, "Result", &e);
        g_autofree char *message = e ? NULL : g_key_file_get_string(kf, group, "Message", &e);

        if (e)
                return -EBADMSG;
        /* A record with no report yet has an empty result. */
        if (!(result[0] == '\0' || sync_report_is_valid(channel, result, message)))
                return -EBADMSG;
        report_clear(r);
        *r = (SyncReport) {
                .time_usec = time_usec,
                .channel = g_steal_pointer(&channel),
                .serial = serial,
                .result = g_steal_pointer(&result),
                .message = g_steal_pointer(&message),
        };
        return 0;
}

int sync_status_load(const char *state_dir, SyncStatus *ret) {
        g_autoptr(GBytes) bytes = NULL;
        g_autoptr(GKeyFile) kf = g_key_file_new();
        _cleanup_close_ int dir_fd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int r;

        if (dir_fd < 0)
                return -errno;
        r = read_file_at(dir_fd, SYNC_STATUS_FILE, SYNC_STATUS_MAX_SIZE, &bytes);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        gsize size;
        const char *data = g_bytes_get_data(bytes, &size);
        if (!g_key_file_load_from_data(kf, data, size, G_KEY_FILE_NONE, NULL))
                return -EBADMSG;

        SyncStatus s;
        sync_status_init(&s);
        if ((r = report_load(kf, "Last", &s.last)) < 0 ||
            (r = report_load(kf, "LastSuccess", &s.last_success)) < 0 ||
            (r = errors_load(kf, &s)) < 0) {
                sync_status_clear(&s);
                return r;
        }
        sync_status_clear(ret);
        *ret = s;
        return 0;
}

int sync_status_save(const SyncStatus *s, const char *state_dir) {
        g_autoptr(GKeyFile) kf = g_key_file_new();

        report_save(kf, "Last", &s->last);
        report_save(kf, "LastSuccess", &s->last_success);
        errors_save(kf, s);
        gsize size;
        g_autofree char *data = g_key_file_to_data(kf, &size, NULL);
        _cleanup_close_ int dir_fd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0)
                return -errno;
        return write_file_atomic_at(dir_fd, SYNC_STATUS_FILE, data, size, 0600);
}
