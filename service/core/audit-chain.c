/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "audit-chain.h"
#include "string-table.h"

void audit_chain_record_clear(AuditChainRecord *rec) {
        if (rec->variant)
                g_variant_unref(rec->variant);
        *rec = (AuditChainRecord) {};
}

int audit_chain_parse_line(const char *line, size_t len, AuditChainRecord *ret) {
        /* The GVariant parser wants UTF-8 without NULs; a line with either was
         * not written by audit_append(). An empty line is no record either. */
        if (len == 0 || !g_utf8_validate_len(line, len, NULL))
                return -EBADMSG;

        /* No end pointer: anything but whitespace after the record fails. */
        GVariant *v = g_variant_parse(G_VARIANT_TYPE(AUDIT_CHAIN_RECORD_TYPE), line, line + len, NULL, NULL);
        if (!v)
                return -EBADMSG;

        AuditChainRecord rec = { .variant = v };
        g_variant_get(v, "(tuu&s&s&s&s&s&s&s)", &rec.time_usec, &rec.uid, &rec.pid, &rec.unit,
                      &rec.action, &rec.patch, &rec.sha256, &rec.result, &rec.message, &rec.prev);
        *ret = rec;
        return 0;
}

static void hash_line(GChecksum *c, const char *line, size_t len, char ret[AUDIT_CHAIN_HASH_LEN + 1]) {
        g_checksum_reset(c);
        g_checksum_update(c, (const guchar *) line, (gssize) len);
        memcpy(ret, g_checksum_get_string(c), AUDIT_CHAIN_HASH_LEN + 1);
}

bool audit_chain_verify(const char *text, size_t size, AuditChainResult *ret) {
        g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
        char expected[AUDIT_CHAIN_HASH_LEN + 1] = AUDIT_CHAIN_GENESIS;
        AuditChainResult res = { .status = AUDIT_CHAIN_OK };
        size_t pos = 0;

        while (pos < size) {
                const char *line = text + pos;
                const char *nl = memchr(line, '\n', size - pos);
                size_t len = nl ? (size_t) (nl - line) : size - pos;

                pos += len + (nl ? 1 : 0);
                res.records++;
                /* Past the first bad record only lines are counted: nothing
                 * after it can be trusted, so nothing after it is reported. */
                if (res.status != AUDIT_CHAIN_OK)
                        continue;

                g_auto(AuditChainRecord) rec = {};
                bool parsed = audit_chain_parse_line(line, len, &rec) >= 0;
                AuditChainStatus s = AUDIT_CHAIN_OK;

                /* A missing newline is checked first: a write cut short most
                 * likely also left an unparsable line, and "torn" says why. */
                if (!nl)
                        s = AUDIT_CHAIN_TORN;
                else if (!parsed)
                        s = AUDIT_CHAIN_UNPARSABLE;
                else if (!g_str_equal(rec.prev, expected))
                        s = AUDIT_CHAIN_BROKEN;

                if (s != AUDIT_CHAIN_OK) {
                        res.status = s;
                        res.first_bad_line = res.records;
                        res.has_time = parsed;
                        res.time_usec = parsed ? rec.time_usec : 0;
                        continue;
                }
                hash_line(checksum, line, len, expected);
        }

        *ret = res;
        return res.status == AUDIT_CHAIN_OK;
}

/* An intact chain has no reason to name: NULL. */
static const char *const audit_chain_status_table[_AUDIT_CHAIN_STATUS_MAX] = {
        [AUDIT_CHAIN_UNPARSABLE] = "unparsable",
        [AUDIT_CHAIN_TORN] = "torn-last-line",
        [AUDIT_CHAIN_BROKEN] = "chain-broken",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(audit_chain_status, AuditChainStatus);

static const char *const audit_chain_status_description_table[_AUDIT_CHAIN_STATUS_MAX] = {
        [AUDIT_CHAIN_OK] = "chain intact",
        [AUDIT_CHAIN_UNPARSABLE] = "not a valid audit record",
        [AUDIT_CHAIN_TORN] = "torn last line (no trailing newline; a write was interrupted)",
        [AUDIT_CHAIN_BROKEN] = "chain broken (its prev is not the SHA-256 of the previous line: "
                               "a record was edited, removed, inserted or moved)",
};

const char *audit_chain_status_to_description(AuditChainStatus s) {
        return (size_t) s < STRING_TABLE_SIZE(audit_chain_status_description_table) ?
                audit_chain_status_description_table[s] : audit_chain_status_description_table[AUDIT_CHAIN_OK];
}
