/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "health-record.h"
#include "util.h"

#define HEALTH_RECORD_FILE "health-checks"
#define HEALTH_RECORD_MAX_SIZE (256 * 1024)
/* One group per check: "Check NAME". */
#define GROUP_PREFIX "Check "

void health_check_result_clear(HealthCheckResult *r) {
        g_free(r->name);
        g_free(r->detail);
        *r = (HealthCheckResult) {};
}

GArray *health_results_new(void) {
        GArray *a = g_array_new(false, true, sizeof(HealthCheckResult));
        g_array_set_clear_func(a, (GDestroyNotify) health_check_result_clear);
        return a;
}

static int get_uint64(GKeyFile *kf, const char *group, const char *key, uint64_t *ret) {
        g_autoptr(GError) e = NULL;
        g_autofree char *v = g_key_file_get_value(kf, group, key, NULL);
        if (!v || !g_ascii_isdigit(v[0]) || !g_ascii_string_to_unsigned(v, 10, 0, UINT64_MAX, ret, &e))
                return -EBADMSG;
        return 0;
}

static int load_one(GKeyFile *kf, const char *group, HealthCheckResult *ret) {
        g_autoptr(GError) e = NULL;
        g_autofree char *exit_status = g_key_file_get_value(kf, group, "ExitStatus", NULL);
        gint64 status;

        ret->name = g_strdup(group + strlen(GROUP_PREFIX));
        ret->passed = g_key_file_get_boolean(kf, group, "Passed", &e);
        if (e || !ret->name[0])
                return -EBADMSG;
        if (!exit_status || !g_ascii_string_to_signed(exit_status, 10, -1, 255, &status, NULL))
                return -EBADMSG;
        ret->exit_status = (int) status;
        ret->detail = g_key_file_get_string(kf, group, "Detail", NULL);
        if (!ret->detail || !g_utf8_validate(ret->detail, -1, NULL))
                return -EBADMSG;
        if (get_uint64(kf, group, "StartedUSec", &ret->started_usec) < 0 ||
            get_uint64(kf, group, "DurationUSec", &ret->duration_usec) < 0)
                return -EBADMSG;
        return 0;
}

int health_record_load(const char *state_dir, GArray **ret) {
        g_autoptr(GArray) results = health_results_new();
        g_autoptr(GKeyFile) kf = g_key_file_new();
        g_autoptr(GBytes) bytes = NULL;
        g_autofree char *path = g_build_filename(state_dir, HEALTH_RECORD_FILE, NULL);
        int r;

        r = read_file_at(AT_FDCWD, path, HEALTH_RECORD_MAX_SIZE, &bytes);
        if (r == -ENOENT) {
                *ret = g_steal_pointer(&results);
                return 0;
        }
        if (r < 0)
                return r;
        gsize size;
        const char *data = g_bytes_get_data(bytes, &size);
        if (memchr(data, '\0', size) || !g_key_file_load_from_data(kf, data, size, G_KEY_FILE_NONE, NULL))
                return -EBADMSG;

        g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
        for (size_t i = 0; groups[i]; i++) {
                HealthCheckResult h = {};
                if (!g_str_has_prefix(groups[i], GROUP_PREFIX))
                        return -EBADMSG;
                g_array_append_val(results, h);
                r = load_one(kf, groups[i], &g_array_index(results, HealthCheckResult, results->len - 1));
                if (r < 0)
                        return r;
        }
        *ret = g_steal_pointer(&results);
        return 0;
}

int health_record_save(const GArray *results, const char *state_dir) {
        g_autoptr(GKeyFile) kf = g_key_file_new();

        for (guint i = 0; i < results->len; i++) {
                const HealthCheckResult *h = &g_array_index(results, HealthCheckResult, i);
                g_autofree char *group = g_strconcat(GROUP_PREFIX, h->name, NULL);
                g_key_file_set_boolean(kf, group, "Passed", h->passed);
                g_key_file_set_integer(kf, group, "ExitStatus", h->exit_status);
                g_key_file_set_string(kf, group, "Detail", h->detail);
                g_key_file_set_uint64(kf, group, "StartedUSec", h->started_usec);
                g_key_file_set_uint64(kf, group, "DurationUSec", h->duration_usec);
        }
        gsize size;
        g_autofree char *data = g_key_file_to_data(kf, &size, NULL);
        _cleanup_close_ int dir_fd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0)
                return -errno;
        return write_file_atomic_at(dir_fd, HEALTH_RECORD_FILE, data, size, 0600);
}
