/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What a fetch came to, one name per kind of outcome: the channel agent
 * reports it as a metric label and in its journal records, so the names are
 * an interface (lower case, '-' between words) and never change meaning. */

#include <errno.h>
#include <stdbool.h>

typedef enum NetKind {
        NET_KIND_OK,                 /* a body: HTTP 200, or a file:// file read whole */
        NET_KIND_UNCHANGED,          /* 304 to a conditional request: no body, the validators still hold */
        NET_KIND_BAD_URL,            /* not an https://, http:// or file:// URL libcurl takes */
        NET_KIND_PLAIN_HTTP,         /* http:// without the caller allowing it */
        NET_KIND_REDIRECT_SCHEME,    /* a redirect to another scheme (https:// to http://, ...) */
        NET_KIND_TOO_MANY_REDIRECTS, /* more redirects than allowed */
        NET_KIND_BAD_REDIRECT,       /* a redirect status without a usable Location */
        NET_KIND_NOT_FOUND,          /* 404 or 410; for file://, no such file or not readable */
        NET_KIND_CLIENT_ERROR,       /* any other 4xx (403, a client certificate refused: 400, ...) */
        NET_KIND_SERVER_ERROR,       /* 5xx */
        NET_KIND_BAD_STATUS,         /* any other status: 1xx, 2xx but 200, 3xx that is no redirect */
        NET_KIND_DNS,                /* the host (or proxy) name did not resolve */
        NET_KIND_CONNECT,            /* the connection was refused or the host unreachable */
        NET_KIND_TLS_UNTRUSTED,      /* the server's certificate does not chain to a trusted CA (or expired) */
        NET_KIND_TLS_HOST_MISMATCH,  /* a trusted certificate, but for another host name */
        NET_KIND_TLS,                /* any other TLS failure: handshake, our client certificate or key */
        NET_KIND_TIMEOUT,            /* the connect or the total timeout passed */
        NET_KIND_TOO_SLOW,           /* below the low-speed limit for its whole window */
        NET_KIND_TOO_LARGE,          /* a body larger than the caller's cap (endless data) */
        NET_KIND_TRUNCATED,          /* the body ended before its Content-Length (or last chunk) */
        NET_KIND_NETWORK,            /* any other transfer failure: reset, nothing received, ... */
        NET_KIND_LOCAL_IO,           /* writing the body to the caller's file failed */
        NET_KIND_INTERNAL,           /* libcurl could not be set up (out of memory, too old) */
        _NET_KIND_MAX,
        _NET_KIND_INVALID = -EINVAL,
} NetKind;

const char *net_kind_to_string(NetKind kind);
NetKind net_kind_from_string(const char *s);

/* What a final HTTP status means (redirects are followed before this). A 304
 * is UNCHANGED only if the request was conditional: to a plain request it
 * is no answer at all. */
NetKind net_kind_from_status(long status, bool conditional);
