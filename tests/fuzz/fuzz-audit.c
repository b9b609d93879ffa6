/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The audit log verifier of `lpmaint audit verify`: a log someone may have
 * edited on purpose is exactly what it must read without tripping. */
#include <string.h>

#include "audit-chain.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *text = (const char *) data;
        AuditChainResult res;
        size_t lines = 0;

        bool ok = audit_chain_verify(text, size, &res);

        /* What the CLI prints must add up. */
        for (size_t i = 0; i < size; i++)
                lines += text[i] == '\n';
        if (size > 0 && text[size - 1] != '\n')
                lines++;
        FUZZ_CHECK(res.records == lines);
        FUZZ_CHECK(ok == (res.status == AUDIT_CHAIN_OK));
        if (ok)
                FUZZ_CHECK(res.first_bad_line == 0 && (size == 0 || text[size - 1] == '\n'));
        else {
                FUZZ_CHECK(res.first_bad_line >= 1 && res.first_bad_line <= res.records);
                FUZZ_CHECK(audit_chain_status_to_string(res.status) != NULL);
        }

        /* Each line on its own through the parser, as a reader of single records would. */
        const char *p = text, *end = text + size;
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                size_t len = nl ? (size_t) (nl - p) : (size_t) (end - p);
                g_auto(AuditChainRecord) rec = {};
                if (audit_chain_parse_line(p, len, &rec) >= 0)
                        FUZZ_CHECK(rec.variant && rec.prev && rec.action && rec.message);
                p += len + 1;
        }
        return 0;
}
