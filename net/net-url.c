/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>
#include <glib.h>

#include "net-url.h"

static const char *const scheme_table[_NET_SCHEME_MAX] = {
        [NET_SCHEME_HTTP]  = "http",
        [NET_SCHEME_HTTPS] = "https",
        [NET_SCHEME_FILE]  = "file",
};

NetScheme net_url_scheme(const char *url) {
        if (!url)
                return _NET_SCHEME_INVALID;
        for (NetScheme s = 0; s < _NET_SCHEME_MAX; s++) {
                size_t n = strlen(scheme_table[s]);

                if (g_ascii_strncasecmp(url, scheme_table[s], n) == 0 && strncmp(url + n, "://", 3) == 0)
                        return s;
        }
        return _NET_SCHEME_INVALID;
}

const char *net_scheme_to_string(NetScheme scheme) {
        if (scheme < 0 || scheme >= _NET_SCHEME_MAX)
                return NULL;
        return scheme_table[scheme];
}
