/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The URL schemes lpmaint's network helpers speak, told apart without I/O
 * and without libcurl (the FleetLock protocol code and its unit tests use
 * this too). */

#include <errno.h>

typedef enum NetScheme {
        NET_SCHEME_HTTP,
        NET_SCHEME_HTTPS,
        NET_SCHEME_FILE,
        _NET_SCHEME_MAX,
        _NET_SCHEME_INVALID = -EPROTONOSUPPORT,
} NetScheme;

/* The scheme of @url ("http://", "https://" or "file://"), matched without
 * regard to case as RFC 3986 asks; _NET_SCHEME_INVALID for anything else,
 * NULL included. */
NetScheme net_url_scheme(const char *url);

/* "http", "https", "file": also libcurl's names for the protocols. */
const char *net_scheme_to_string(NetScheme scheme);
