/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>

#include "audit.h"
#include "io-util.h"
#include "util.h"

/* MESSAGE_IDs of the journal records (see the catalog). */
#define AUDIT_MESSAGE_ID "d3b6f2c5a1e84d0f9b7c6e2a4f1d8b30"
#define AUDIT_DENIED_MESSAGE_ID "7e1c9a4b2d6f4e3a8c5b1f0d9e2a6c47"

#define AUDIT_FILE_MAX (1024 * 1024 * 1024)
/* The tail is read backwards in pieces of this size, whatever a record's size. */
#define AUDIT_READ_CHUNK (64 * 1024)

struct Audit {
        char *path;
        char last_hash[SHA256_HEX_LEN + 1];
        bool journal;
        /* The log's size up to the end of its last whole record, the one
         * last_hash is of. Any other size found before an append (a torn
         * record, a change from outside) has the tail looked at again. */
        off_t size;
        /* >= 0: a failed append could not be cut back; everything from here
         * on is cut before the next append. */
        off_t undo_to;
        /* The message of a repair that is done but whose record could not
         * be written yet; written before the next record. */
        char *pending_repair;
        char pending_repair_sha256[SHA256_HEX_LEN + 1];
};

void audit_set_journal(Audit *a, bool enabled) {
        a->journal = enabled;
}

void audit_free(Audit *a) {
        if (!a)
                return;
        g_free(a->path);
        g_free(a->pending_repair);
        g_free(a);
}

static int pread_all(int fd, void *buf, size_t size, off_t offset) {
        ssize_t n = pread_full(fd, buf, size, offset);
        if (n < 0)
                return (int) n;
        if ((size_t) n < size)
                return -EIO; /* shorter than fstat() said: changed under us */
        return 0;
}

/* The offset of the last newline before @end, or -1 if there is none. */
static int rfind_newline(int fd, off_t end, off_t *ret) {
        g_autofree char *buf = g_malloc(AUDIT_READ_CHUNK);

        while (end > 0) {
                off_t start = end > AUDIT_READ_CHUNK ? end - AUDIT_READ_CHUNK : 0;
                size_t len = (size_t) (end - start);
                int r = pread_all(fd, buf, len, start);
                if (r < 0)
                        return r;
                const char *nl = memrchr(buf, '\n', len);
                if (nl) {
                        *ret = start + (nl - buf);
                        return 0;
                }
                end = start;
        }
        *ret = -1;
        return 0;
}

/* SHA-256 (hex) of the bytes [@start, @end) of @fd, read in pieces. */
static int hash_range(int fd, off_t start, off_t end, char ret[SHA256_HEX_LEN + 1]) {
        g_autoptr(GChecksum) c = g_checksum_new(G_CHECKSUM_SHA256);
        g_autofree char *buf = g_malloc(AUDIT_READ_CHUNK);

        while (start < end) {
                size_t len = (size_t) MIN(end - start, (off_t) AUDIT_READ_CHUNK);
                int r = pread_all(fd, buf, len, start);
                if (r < 0)
                        return r;
                g_checksum_update(c, (const guchar *) buf, (gssize) len);
                start += (off_t) len;
        }
        memcpy(ret, g_checksum_get_string(c), SHA256_HEX_LEN + 1);
        return 0;
}

/* Where the whole records of a log of @size bytes end (a torn record after
 * them has no newline yet), and the hash of the last of them. A record may be
 * of any size: the log is read backwards until the line before it. */
static int scan_tail(int fd, off_t size, off_t *ret_end, char ret_hash[SHA256_HEX_LEN + 1]) {
        off_t last_nl, prev_nl;
        int r;

        r = rfind_newline(fd, size, &last_nl);
        if (r < 0)
                return r;
        if (last_nl < 0) {
                *ret_end = 0;
                memcpy(ret_hash, AUDIT_CHAIN_GENESIS, SHA256_HEX_LEN + 1);
                return 0;
        }
        r = rfind_newline(fd, last_nl, &prev_nl);
        if (r < 0)
                return r;
        r = hash_range(fd, prev_nl + 1, last_nl, ret_hash);
        if (r < 0)
                return r;
        *ret_end = last_nl + 1;
        return 0;
}

static int open_log(Audit *a, int flags) {
        return open_regular_at(AT_FDCWD, a->path, flags, 0600);
}

int audit_open(const char *state_dir, Audit **ret) {
        g_autoptr(Audit) a = g_new0(Audit, 1);
        struct stat st;
        int r;

        a->path = g_build_filename(state_dir, AUDIT_FILE, NULL);
        a->journal = true;
        a->undo_to = -1;
        memcpy(a->last_hash, AUDIT_CHAIN_GENESIS, sizeof(a->last_hash));

        /* Not followed if a link, not blocked on if a FIFO: -EBADFD. */
        _cleanup_close_ int fd = open_log(a, O_RDONLY);
        if (fd == -ENOENT) {
                *ret = g_steal_pointer(&a);
                return 0;
        }
        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return -errno;
        /* A torn record after the last whole one is cut by the first
         * audit_repair() or audit_append(), which finds the size differ. */
        r = scan_tail(fd, st.st_size, &a->size, a->last_hash);
        if (r < 0)
                return r;
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

char *audit_cap_field(const char *s, size_t max) {
        /* A GVariant string is UTF-8; an error message may echo anything. */
        g_autofree char *valid = g_utf8_make_valid(s ?: "", -1);
        size_t len = strlen(valid);

        if (len <= max)
                return g_steal_pointer(&valid);
        /* Cut on a character boundary, and say so. */
        size_t keep = max;
        while (keep > 0 && ((unsigned char) valid[keep] & 0xC0) == 0x80)
                keep--;
        return g_strdup_printf("%.*s" AUDIT_CUT_MARK, (int) keep, valid, len - keep);
}

/* One record, written whole or not at all: after a failed or short write or
 * a failed fsync the log is cut back to where it was. */
static int write_record(Audit *a, int fd, const AuditRecord *rec) {
        g_autofree char *unit = audit_cap_field(rec->unit, AUDIT_FIELD_MAX);
        g_autofree char *action = audit_cap_field(rec->action, AUDIT_FIELD_MAX);
        g_autofree char *patch = audit_cap_field(rec->patch, AUDIT_FIELD_MAX);
        g_autofree char *sha256 = audit_cap_field(rec->sha256, AUDIT_FIELD_MAX);
        g_autofree char *result = audit_cap_field(rec->result, AUDIT_FIELD_MAX);
        g_autofree char *message = audit_cap_field(rec->message, AUDIT_MESSAGE_MAX);
        g_autoptr(GVariant) v = g_variant_ref_sink(g_variant_new(AUDIT_RECORD_TYPE,
                rec->time_usec, rec->uid, rec->pid, unit, action, patch, sha256, result, message, a->last_hash));
        g_autofree char *line = g_variant_print(v, false);
        size_t len = strlen(line);
        off_t before = a->size;
        int r;

        line = g_realloc(line, len + 2);
        line[len] = '\n';
        line[len + 1] = '\0';

        /* O_APPEND, then fsync: the record is durable before the reply. */
        r = write_all(fd, line, len + 1);
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        if (r < 0) {
                /* Nothing of a record that failed may stay: later records
                 * would follow a torn line, and the chain break there. */
                if (ftruncate(fd, before) < 0 || fsync(fd) < 0)
                        a->undo_to = before;
                return r;
        }

        a->size = before + (off_t) len + 1;
        sha256_hex(line, len, a->last_hash);
        if (a->journal)
                journal_send(&(AuditRecord) {
                        .time_usec = rec->time_usec, .uid = rec->uid, .pid = rec->pid, .unit = unit,
                        .action = action, .patch = patch, .sha256 = sha256, .result = result, .message = message,
                });
        return 0;
}

static int write_pending_repair(Audit *a, int fd) {
        if (!a->pending_repair)
                return 0;
        AuditRecord rec = {
                .time_usec = now_realtime_usec(),
                .uid = 0, /* lpmaintd itself, as its other records */
                .unit = "lpmaintd",
                .action = AUDIT_ACTION_REPAIR,
                .patch = "",
                .sha256 = a->pending_repair_sha256,
                .result = "repaired",
                .message = a->pending_repair,
        };
        int r = write_record(a, fd, &rec);
        if (r < 0)
                return r;
        g_clear_pointer(&a->pending_repair, g_free);
        return 0;
}

/* Cuts the log back to @to, the end of its last whole record, and records
 * what was cut: how many bytes and their SHA-256, so that the repair is as
 * visible as anything else lpmaintd does. */
static int cut_tail(Audit *a, int fd, off_t to, off_t size, const char *why) {
        char sha[SHA256_HEX_LEN + 1];
        int r;

        r = hash_range(fd, to, size, sha);
        if (r < 0)
                return r;
        if (ftruncate(fd, to) < 0 || fsync(fd) < 0)
                return -errno;
        a->size = to;
        a->undo_to = -1;

        /* One record says it all, with an earlier repair not yet recorded. */
        g_autofree char *what = g_strdup_printf("cut %lld bytes at offset %lld (%s), SHA-256 %s",
                                                (long long) (size - to), (long long) to, why, sha);
        g_autofree char *earlier = g_steal_pointer(&a->pending_repair);
        a->pending_repair = earlier ? g_strconcat(earlier, "; then ", what, NULL) : g_steal_pointer(&what);
        memcpy(a->pending_repair_sha256, sha, sizeof(sha));
        return write_pending_repair(a, fd);
}

/* Before any record: the log ends on the last whole record we know of. */
static int prepare(Audit *a, int fd) {
        struct stat st;
        int r;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (a->undo_to >= 0) {
                if (st.st_size > a->undo_to)
                        return cut_tail(a, fd, a->undo_to, st.st_size, "a record whose write failed");
                a->undo_to = -1;
        }
        if (st.st_size != a->size) {
                /* A torn record left by a crash, or a log changed from outside
                 * (truncated by root, or replaced): chain to what is there. */
                off_t end;
                r = scan_tail(fd, st.st_size, &end, a->last_hash);
                if (r < 0)
                        return r;
                a->size = end;
                if (end < st.st_size)
                        return cut_tail(a, fd, end, st.st_size, "a torn record without its newline");
        }
        return write_pending_repair(a, fd);
}

int audit_repair(Audit *a) {
        /* O_APPEND: every write lands at the end, whatever the offset. */
        _cleanup_close_ int fd = open_log(a, O_RDWR | O_APPEND);
        if (fd == -ENOENT && a->size == 0)
                return 0; /* no log yet, nothing to repair */
        if (fd < 0)
                return fd;
        return prepare(a, fd);
}

int audit_append(Audit *a, const AuditRecord *rec) {
        _cleanup_close_ int fd = open_log(a, O_RDWR | O_APPEND | O_CREAT);
        int r;

        r = fd < 0 ? fd : prepare(a, fd);
        if (r >= 0)
                r = write_record(a, fd, rec);
        /* A denial stands whether or not the file took it: the journal, the
         * other sink, always gets it. */
        if (r < 0 && a->journal && g_str_equal(rec->result, "denied"))
                journal_send(rec);
        return r;
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

int audit_read_since(Audit *a, uint64_t since_usec, GArray **ret) {
        g_autoptr(GBytes) bytes = NULL;
        g_autoptr(GArray) records = g_array_new(false, true, sizeof(AuditChainRecord));
        g_array_set_clear_func(records, (GDestroyNotify) audit_chain_record_clear);
        int r;

        r = read_file_at(AT_FDCWD, a->path, AUDIT_FILE_MAX, &bytes);
        if (r < 0 && r != -ENOENT)
                return r;

        gsize size = 0;
        const char *data = bytes ? g_bytes_get_data(bytes, &size) : NULL;
        for (const char *line = data, *end = data + size; line && line < end;) {
                const char *nl = memchr(line, '\n', (size_t) (end - line));
                size_t len = nl ? (size_t) (nl - line) : (size_t) (end - line);
                AuditChainRecord rec = {};
                /* Unparsable lines are skipped here; naming them is `lpmaint audit verify`'s job. */
                if (audit_chain_parse_line(line, len, &rec) >= 0 && rec.time_usec >= since_usec)
                        g_array_append_val(records, rec); /* the array owns it now */
                else
                        audit_chain_record_clear(&rec);
                line += len + 1;
        }
        *ret = g_steal_pointer(&records);
        return 0;
}

int audit_read_into(Audit *a, const AuditFilter *filter, sd_bus_message *reply) {
        g_autoptr(GArray) records = NULL;
        g_autoptr(GArray) matches = g_array_new(false, false, sizeof(guint));
        int r;

        r = audit_read_since(a, filter->since_usec, &records);
        if (r < 0)
                return r;
        for (guint i = 0; i < records->len; i++) {
                const AuditChainRecord *rec = &g_array_index(records, AuditChainRecord, i);
                if (record_matches(filter, rec->time_usec, rec->uid, rec->patch, rec->result))
                        g_array_append_val(matches, i);
        }

        guint first = filter->limit && matches->len > filter->limit ? matches->len - filter->limit : 0;
        r = sd_bus_message_open_container(reply, 'a', "(tuussssss)");
        for (guint i = first; r >= 0 && i < matches->len; i++) {
                const AuditChainRecord *rec = &g_array_index(records, AuditChainRecord, g_array_index(matches, guint, i));
                r = sd_bus_message_append(reply, "(tuussssss)", rec->time_usec, rec->uid, rec->pid, rec->unit,
                                          rec->action, rec->patch, rec->sha256, rec->result, rec->message);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}
