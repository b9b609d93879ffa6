/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* version_store_parse() of the record of accepted versions (root-writable on
 * disk, and what stands between the host and a replayed old patch), and
 * version_compare() over what it yields. */
#include <string.h>

#include "fuzz.h"
#include "version-store.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        g_autoptr(GHashTable) t = NULL;

        int r = version_store_parse((const char *) data, size, &t);
        if (r < 0) {
                FUZZ_CHECK(r == -EBADMSG && !t);
                return 0;
        }

        /* What was accepted is written back as read, and read back the same. */
        g_autofree char *text = version_store_format(t);
        g_autoptr(GHashTable) again = NULL;
        FUZZ_CHECK(version_store_parse(text, strlen(text), &again) == 0);
        FUZZ_CHECK(g_hash_table_size(again) == g_hash_table_size(t));

        /* The order is an order: antisymmetric and reflexive over every pair. */
        g_autoptr(GList) values = g_hash_table_get_values(t);
        guint n = 0;
        for (GList *i = values; i && n < 16; i = i->next, n++)
                for (GList *j = values; j; j = j->next) {
                        int c = version_compare(i->data, j->data);
                        FUZZ_CHECK(c >= -1 && c <= 1);
                        FUZZ_CHECK(version_compare(j->data, i->data) == -c);
                        FUZZ_CHECK(i != j || c == 0);
                }
        return 0;
}
