/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <systemd/sd-bus.h>

#define SIGNATURE_MAX_SIZE (64 * 1024)

/* Checks that @sig (a detached CMS signature, DER or PEM) signs exactly
 * @content and that every signer chains to a certificate in @trust_dir
 * (files *.pem and *.crt). Returns the first signer's subject. */
int signature_verify(const char *trust_dir,
                     const void *content, size_t content_size,
                     const void *sig, size_t sig_size,
                     char **ret_signer, sd_bus_error *error);
