/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "signature.h"

/* A whole channel directory checked as a host would: each kernel's index
 * (channel_index_verify()), and of every patch it lists the three files'
 * sizes and digests, the manifest's signature under @patch_policy and that
 * the manifest says what the index says. What verifies goes to @out, each
 * failure with its error name to @err. Returns the number of failures, or a
 * negative errno if @dir or its kernels/ cannot be read at all. */
typedef struct ChannelCheckOptions {
        const TrustPolicy *index_policy;        /* must name its signers */
        const TrustPolicy *patch_policy;
        const char *kernel;     /* only this kernel's index; NULL: every one under kernels/ */
        uint64_t now_usec;
} ChannelCheckOptions;

int channel_check_dir(const char *dir, const ChannelCheckOptions *o, FILE *out, FILE *err);
