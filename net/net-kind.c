/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "net-kind.h"

static const char *const kind_table[_NET_KIND_MAX] = {
        [NET_KIND_OK]                 = "ok",
        [NET_KIND_UNCHANGED]          = "unchanged",
        [NET_KIND_BAD_URL]            = "bad-url",
        [NET_KIND_PLAIN_HTTP]         = "plain-http",
        [NET_KIND_REDIRECT_SCHEME]    = "redirect-scheme",
        [NET_KIND_TOO_MANY_REDIRECTS] = "too-many-redirects",
        [NET_KIND_BAD_REDIRECT]       = "bad-redirect",
        [NET_KIND_NOT_FOUND]          = "not-found",
        [NET_KIND_CLIENT_ERROR]       = "client-error",
        [NET_KIND_SERVER_ERROR]       = "server-error",
        [NET_KIND_BAD_STATUS]         = "bad-status",
        [NET_KIND_DNS]                = "dns",
        [NET_KIND_CONNECT]            = "connect",
        [NET_KIND_TLS_UNTRUSTED]      = "tls-untrusted",
        [NET_KIND_TLS_HOST_MISMATCH]  = "tls-host-mismatch",
        [NET_KIND_TLS]                = "tls",
        [NET_KIND_TIMEOUT]            = "timeout",
        [NET_KIND_TOO_SLOW]           = "too-slow",
        [NET_KIND_TOO_LARGE]          = "too-large",
        [NET_KIND_TRUNCATED]          = "truncated",
        [NET_KIND_NETWORK]            = "network",
        [NET_KIND_LOCAL_IO]           = "local-io",
        [NET_KIND_INTERNAL]           = "internal",
};

const char *net_kind_to_string(NetKind kind) {
        if (kind < 0 || kind >= _NET_KIND_MAX)
                return NULL;
        return kind_table[kind];
}

NetKind net_kind_from_string(const char *s) {
        if (!s)
                return _NET_KIND_INVALID;
        for (NetKind k = 0; k < _NET_KIND_MAX; k++)
                if (strcmp(s, kind_table[k]) == 0)
                        return k;
        return _NET_KIND_INVALID;
}

NetKind net_kind_from_status(long status, bool conditional) {
        if (status == 200)
                return NET_KIND_OK;
        if (status == 304)
                return conditional ? NET_KIND_UNCHANGED : NET_KIND_BAD_STATUS;
        if (status == 404 || status == 410)
                return NET_KIND_NOT_FOUND;
        if (status >= 400 && status <= 499)
                return NET_KIND_CLIENT_ERROR;
        if (status >= 500 && status <= 599)
                return NET_KIND_SERVER_ERROR;
        return NET_KIND_BAD_STATUS;
}
