/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <getopt.h>
#include <glib.h>

#include "signature.h"

/* The command line options of the two trust policies a channel is checked
 * with, the patches' and the indexes', which lpmaint-channel and lpmaint-sync
 * both take. */
enum {
        TRUST_OPTION_TRUST_DIR = 0x200,
        TRUST_OPTION_SIGNER,
        TRUST_OPTION_PURPOSE,
        TRUST_OPTION_INDEX_TRUST_DIR,
        TRUST_OPTION_INDEX_SIGNER,
        TRUST_OPTION_INDEX_PURPOSE,
};

#define TRUST_OPTIONS                                                                   \
        { "trust-dir",       required_argument, NULL, TRUST_OPTION_TRUST_DIR       },  \
        { "signer",          required_argument, NULL, TRUST_OPTION_SIGNER          },  \
        { "purpose",         required_argument, NULL, TRUST_OPTION_PURPOSE         },  \
        { "index-trust-dir", required_argument, NULL, TRUST_OPTION_INDEX_TRUST_DIR },  \
        { "index-signer",    required_argument, NULL, TRUST_OPTION_INDEX_SIGNER    },  \
        { "index-purpose",   required_argument, NULL, TRUST_OPTION_INDEX_PURPOSE   }

typedef struct TrustOptions {
        const char *trust_dir;
        GPtrArray *signers;             /* NULL-terminated */
        SignerPurpose purpose;
        const char *index_trust_dir;    /* NULL: trust_dir */
        GPtrArray *index_signers;       /* NULL-terminated */
        SignerPurpose index_purpose;
} TrustOptions;

/* Both purposes code-signing, as lpmaintd's default RequiredPurpose=. */
void trust_options_init(TrustOptions *t, const char *trust_dir);
void trust_options_done(TrustOptions *t);

/* Takes @opt of getopt_long() if it is one of TRUST_OPTIONS: 1 if taken, 0 if
 * it is not one of them, -EINVAL (with a message on stderr) for a bad value. */
int trust_options_parse(TrustOptions *t, int opt, const char *value);

/* The policies (pointing into @t). */
TrustPolicy trust_options_patch_policy(const TrustOptions *t);
TrustPolicy trust_options_index_policy(const TrustOptions *t);
