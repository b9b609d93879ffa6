/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>

#include "trust-options.h"

static GPtrArray *names_new(void) {
        GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
        g_ptr_array_add(a, NULL);
        return a;
}

static void names_add(GPtrArray *a, const char *name) {
        g_ptr_array_insert(a, (gint) a->len - 1, g_strdup(name));
}

void trust_options_init(TrustOptions *t, const char *trust_dir) {
        *t = (TrustOptions) {
                .trust_dir = trust_dir,
                .signers = names_new(),
                .purpose = SIGNER_PURPOSE_CODE_SIGNING,
                .index_signers = names_new(),
                .index_purpose = SIGNER_PURPOSE_CODE_SIGNING,
        };
}

void trust_options_done(TrustOptions *t) {
        g_clear_pointer(&t->signers, g_ptr_array_unref);
        g_clear_pointer(&t->index_signers, g_ptr_array_unref);
}

static int parse_purpose(const char *option, const char *value, SignerPurpose *ret) {
        SignerPurpose p = signer_purpose_from_string(value);

        if (p < 0) {
                fprintf(stderr, "%s: --%s takes code-signing, lpmaint or any\n", program_invocation_short_name, option);
                return -EINVAL;
        }
        *ret = p;
        return 1;
}

int trust_options_parse(TrustOptions *t, int opt, const char *value) {
        switch (opt) {
        case TRUST_OPTION_TRUST_DIR:
                t->trust_dir = value;
                return 1;
        case TRUST_OPTION_SIGNER:
                names_add(t->signers, value);
                return 1;
        case TRUST_OPTION_PURPOSE:
                return parse_purpose("purpose", value, &t->purpose);
        case TRUST_OPTION_INDEX_TRUST_DIR:
                t->index_trust_dir = value;
                return 1;
        case TRUST_OPTION_INDEX_SIGNER:
                names_add(t->index_signers, value);
                return 1;
        case TRUST_OPTION_INDEX_PURPOSE:
                return parse_purpose("index-purpose", value, &t->index_purpose);
        default:
                return 0;
        }
}

TrustPolicy trust_options_patch_policy(const TrustOptions *t) {
        return (TrustPolicy) {
                .trust_dir = t->trust_dir,
                .allowed_signers = (char *const *) t->signers->pdata,
                .purpose = t->purpose,
        };
}

TrustPolicy trust_options_index_policy(const TrustOptions *t) {
        return (TrustPolicy) {
                .trust_dir = t->index_trust_dir ?: t->trust_dir,
                .allowed_signers = (char *const *) t->index_signers->pdata,
                .purpose = t->index_purpose,
        };
}
