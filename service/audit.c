/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>

#include "audit.h"
#include "util.h"

/* MESSAGE_IDs of the journal records (see the catalog). */
#define AUDIT_MESSAGE_ID "d3b6f2c5a1e84d0f9b7c6e2a4f1d8b30"
#define AUDIT_DENIED_MESSAGE_ID "7e1c9a4b2d6f4e3a8c5b1f0d9e2a6c47"

#define AUDIT_LINE_MAX (16 * 1024)
#define AUDIT_FILE_MAX (1024 * 1024 * 1024)

struct Audit {
        char *path;
        char last_hash[SHA256_HEX_LEN + 1];
        bool journal;
};

void audit_set_journal(Audit *a, bool enabled) {
        a->journal = enabled;
}

void audit_free(Audit *a) {
        if (!a)
                return;
        g_free(a->path);
        g_free(a);
}

/* Only the tail is read at start-up: the chain needs the last line's hash. */
static int read_last_line(const char *path, char **ret) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        struct stat st;

        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (st.st_size == 0)
                return 0;

        off_t start = st.st_size > AUDIT_LINE_MAX ? st.st_size - AUDIT_LINE_MAX : 0;
        size_t len = (size_t) (st.st_size - start);
        g_autofree char *buf = g_malloc(len + 1);
        ssize_t n = pread(fd, buf, len, start);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        if (n == 0 || buf[n - 1] != '\n')
                return -EBADMSG; /* a torn last line */
        buf[n - 1] = '\0';
        char *nl = strrchr(buf, '\n');
        *ret = g_strdup(nl ? nl + 1 : buf);
        return 0;
}

int audit_open(const char *state_dir, Audit **ret) {
        g_autoptr(Audit) a = g_new0(Audit, 1);
        g_autofree char *last = NULL;

        a->path = g_build_filename(state_dir, AUDIT_FILE, NULL);
        a->journal = true;
        int r = read_last_line(a->path, &last);
        if (r < 0)
                return r;
        if (last)
                sha256_hex(last, strlen(last), a->last_hash);
        else
                memcpy(a->last_hash, AUDIT_CHAIN_GENESIS, sizeof(a->last_hash));
        *ret = g_steal_pointer(&a);
        return 0;
}

static void journal_send(const AuditRecord *rec) {
        bool denied = g_str_equal(rec->result, "denied");

        /* The journal is one of two sinks; its absence (no journald) is not an error. */
        (void) sd_journal_send("MESSAGE=%s %s: %s%s%s", rec->action, rec->patch[0] ? rec->patch : "-",
                               rec->result, rec->message[0] ? ": " : "", rec->message,
                               "MESSAGE_ID=%s", denied ? AUDIT_DENIED_MESSAGE_ID : AUDIT_MESSAGE_ID,
                               "PRIORITY=%d", denied ? 4 : 5,
                               "LPMAINT_ACTION=%s", rec->action,
                               "LPMAINT_PATCH=%s", rec->patch,
                               "LPMAINT_SHA256=%s", rec->sha256,
                               "LPMAINT_RESULT=%s", rec->result,
                               "LPMAINT_CALLER_UID=%" PRIu32, rec->uid,
                               "LPMAINT_CALLER_PID=%" PRIu32, rec->pid,
                               "LPMAINT_CALLER_UNIT=%s", rec->unit,
                               NULL);
}

int audit_append(Audit *a, const AuditRecord *rec) {
        g_autoptr(GVariant) v = g_variant_ref_sink(g_variant_new(AUDIT_RECORD_TYPE,
                rec->time_usec, rec->uid, rec->pid, rec->unit ?: "", rec->action, rec->patch ?: "",
                rec->sha256 ?: "", rec->result, rec->message ?: "", a->last_hash));
        g_autofree char *line = g_variant_print(v, false);
        g_autofree char *with_nl = g_strconcat(line, "\n", NULL);
        int r = 0;

        _cleanup_close_ int fd = open(a->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        /* One write(2) with O_APPEND, then fsync: the record is durable before the reply. */
        ssize_t n = write(fd, with_nl, strlen(with_nl));
        if (n < 0)
                r = -errno;
        else if ((size_t) n != strlen(with_nl))
                r = -EIO;
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        if (r < 0)
                return r;

        sha256_hex(line, strlen(line), a->last_hash);
        if (a->journal)
                journal_send(rec);
        return 0;
}

static bool record_matches(const AuditFilter *f, uint64_t t, uint32_t uid, const char *patch, const char *result) {
        if (t < f->since_usec || (f->until_usec && t >= f->until_usec))
                return false;
        if (f->uid >= 0 && (int64_t) uid != f->uid)
                return false;
        if (f->patch && !g_str_equal(f->patch, patch))
                return false;
        return !f->result || g_str_equal(f->result, result);
}

int audit_read_into(Audit *a, const AuditFilter *filter, sd_bus_message *reply) {
        g_autoptr(GBytes) bytes = NULL;
        g_autoptr(GArray) matches = g_array_new(false, true, sizeof(AuditChainRecord));
        g_array_set_clear_func(matches, (GDestroyNotify) audit_chain_record_clear);
        int r;

        r = read_file_at(AT_FDCWD, a->path, AUDIT_FILE_MAX, &bytes);
        if (r < 0 && r != -ENOENT)
                return r;

        gsize size = 0;
        const char *data = bytes ? g_bytes_get_data(bytes, &size) : NULL;
        g_autofree char *text = g_strndup(data ?: "", size);
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
        for (size_t i = 0; lines[i]; i++) {
                AuditChainRecord rec = {};
                /* Unparsable lines are skipped here; naming them is `lpmaint audit verify`'s job. */
                if (audit_chain_parse_line(lines[i], strlen(lines[i]), &rec) < 0)
                        continue;
                if (record_matches(filter, rec.time_usec, rec.uid, rec.patch, rec.result))
                        g_array_append_val(matches, rec); /* the array owns it now */
                else
                        audit_chain_record_clear(&rec);
        }

        guint first = filter->limit && matches->len > filter->limit ? matches->len - filter->limit : 0;
        r = sd_bus_message_open_container(reply, 'a', "(tuussssss)");
        for (guint i = first; r >= 0 && i < matches->len; i++) {
                const AuditChainRecord *rec = &g_array_index(matches, AuditChainRecord, i);
                r = sd_bus_message_append(reply, "(tuussssss)", rec->time_usec, rec->uid, rec->pid, rec->unit,
                                          rec->action, rec->patch, rec->sha256, rec->result, rec->message);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}
