/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Why the policy in net-fetch.h is what it is:
 *   - Plain http:// is refused unless allowed: the index is signed and each
 *     artifact checked against its digest, but over plain http a network
 *     attacker still sees what a host fetches and can hold it back.
 *   - Redirects are followed because mirrors and object stores use them,
 *     and where the bytes come from does not decide whether they are
 *     trusted (the signature and digests do); but never to another scheme:
 *     that would turn https into http, or a remote URL into a local file.
 *   - A private CA bundle replaces the system's CAs: an organisation that
 *     names its own CA for its channel does not want any public CA to be
 *     able to impersonate it.
 *   - file:// has no validators worth having: a local read costs little, and
 *     a modification time of one-second resolution could hide a change. */
#include <string.h>

#include "net-fetch.h"

struct NetFetcher {
        NetTransfer transfer;
        bool allow_http;
        unsigned timeout_sec;
        unsigned connect_timeout_sec;
};

void net_validators_done(NetValidators *v) {
        g_free(v->etag);
        g_free(v->last_modified);
        *v = (NetValidators) {};
}

bool net_validator_is_valid(const char *value) {
        size_t n;

        if (!value)
                return false;
        n = strnlen(value, NET_VALIDATOR_MAX + 1);
        if (n == 0 || n > NET_VALIDATOR_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!g_ascii_isprint(value[i]))
                        return false;
        return true;
}

void net_fetch_result_done(NetFetchResult *r) {
        g_free(r->url);
        g_free(r->message);
        if (r->body)
                g_bytes_unref(r->body);
        net_validators_done(&r->validators);
        *r = (NetFetchResult) {};
}

NetFetcher *net_fetcher_new(const NetFetchOptions *o) {
        g_autoptr(NetFetcher) f = NULL;
        int r;

        if (!o || !o->user_agent || o->timeout_sec == 0 || (o->low_speed_bytes > 0) != (o->low_speed_sec > 0) ||
            (o->client_key && !o->client_cert)) {
                errno = EINVAL;
                return NULL;
        }

        f = g_new0(NetFetcher, 1);
        f->allow_http = o->allow_http;
        f->timeout_sec = o->timeout_sec;
        f->connect_timeout_sec = o->connect_timeout_sec > 0 ? o->connect_timeout_sec : NET_FETCH_CONNECT_TIMEOUT_DEFAULT_SEC;

        r = net_transfer_init(&f->transfer, o->user_agent, 0);
        if (r < 0) {
                errno = -r;
                return NULL;
        }
        f->transfer.low_speed_bytes = o->low_speed_bytes;
        f->transfer.low_speed_sec = o->low_speed_sec;

        if (o->ca_file &&
            (curl_easy_setopt(f->transfer.curl, CURLOPT_CAINFO, o->ca_file) != CURLE_OK ||
             curl_easy_setopt(f->transfer.curl, CURLOPT_CAPATH, NULL) != CURLE_OK)) {
                errno = EIO;
                return NULL;
        }
        if (o->client_cert &&
            (curl_easy_setopt(f->transfer.curl, CURLOPT_SSLCERT, o->client_cert) != CURLE_OK ||
             curl_easy_setopt(f->transfer.curl, CURLOPT_SSLKEY, o->client_key) != CURLE_OK)) {
                errno = EIO;
                return NULL;
        }
        return g_steal_pointer(&f);
}

void net_fetcher_free(NetFetcher *f) {
        if (!f)
                return;
        net_transfer_done(&f->transfer);
        g_free(f);
}

NetStats net_fetcher_stats(const NetFetcher *f) {
        return f->transfer.stats;
}

static NetKind result_fail(NetFetchResult *ret, NetKind kind, const char *url, char *message) {
        ret->kind = kind;
        if (!ret->url)
                ret->url = g_strdup(url);
        ret->message = message;
        return kind;
}

/* The last answer's header @name, if it is fit to keep as a validator. */
static char *answer_validator(CURL *c, const char *name) {
        struct curl_header *h = NULL;

        if (curl_easy_header(c, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK || !net_validator_is_valid(h->value))
                return NULL;
        return g_strdup(h->value);
}

NetKind net_fetcher_fetch(NetFetcher *f, const char *url, uint64_t max_size, int fd,
                          const NetValidators *previous, NetFetchResult *ret) {
        g_auto(NetOutcome) outcome = {};
        __attribute__((cleanup(net_slist_freep))) struct curl_slist *headers = NULL;
        NetScheme scheme = net_url_scheme(url);
        CURL *c = f->transfer.curl;
        bool conditional = false;
        NetKind kind;

        *ret = (NetFetchResult) {};
        if (scheme < 0)
                return result_fail(ret, NET_KIND_BAD_URL, url, g_strdup("not an https://, http:// or file:// URL"));
        if (scheme == NET_SCHEME_HTTP && !f->allow_http)
                return result_fail(ret, NET_KIND_PLAIN_HTTP, url, g_strdup("plain http:// is not allowed"));

        if (scheme != NET_SCHEME_FILE && previous) {
                g_autofree char *etag = NULL, *since = NULL;

                if (net_validator_is_valid(previous->etag)) {
                        etag = g_strconcat("If-None-Match: ", previous->etag, NULL);
                        headers = curl_slist_append(headers, etag);
                        conditional = true;
                }
                if (net_validator_is_valid(previous->last_modified)) {
                        since = g_strconcat("If-Modified-Since: ", previous->last_modified, NULL);
                        headers = curl_slist_append(headers, since);
                        conditional = true;
                }
                if (conditional && !headers)
                        return result_fail(ret, NET_KIND_INTERNAL, url, g_strdup("out of memory"));
        }

        if (curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_FILETIME, 0L) != CURLE_OK ||
            net_transfer_set_body(&f->transfer, fd, max_size) < 0)
                return result_fail(ret, NET_KIND_INTERNAL, url, g_strdup("libcurl refused the request's options"));

        kind = net_transfer_run(&f->transfer, url, f->timeout_sec * 1000, f->connect_timeout_sec * 1000,
                                NET_FETCH_REDIRECTS_MAX, &outcome);
        /* The list is freed on return: libcurl must not keep pointing at it. */
        (void) curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);

        ret->status = outcome.status;
        ret->url = g_steal_pointer(&outcome.url);
        if (kind != NET_KIND_OK) {
                if (outcome.location) {
                        g_autofree char *shown = g_strescape(outcome.location, NULL);
                        return result_fail(ret, kind, url, g_strdup_printf("%s: %s", outcome.message, shown));
                }
                return result_fail(ret, kind, url, g_steal_pointer(&outcome.message));
        }

        kind = scheme == NET_SCHEME_FILE ? NET_KIND_OK : net_kind_from_status(outcome.status, conditional);
        switch (kind) {
        case NET_KIND_OK:
                ret->kind = kind;
                ret->size = f->transfer.body_size;
                if (f->transfer.memory) {
                        ret->body = g_byte_array_free_to_bytes(g_steal_pointer(&f->transfer.memory));
                        f->transfer.memory = g_byte_array_new();
                }
                if (scheme != NET_SCHEME_FILE) {
                        ret->validators.etag = answer_validator(c, "ETag");
                        ret->validators.last_modified = answer_validator(c, "Last-Modified");
                }
                return kind;

        case NET_KIND_UNCHANGED:
                /* A 304 may carry a new ETag; otherwise the old ones stand. */
                ret->kind = kind;
                ret->validators.etag = answer_validator(c, "ETag");
                if (!ret->validators.etag && net_validator_is_valid(previous->etag))
                        ret->validators.etag = g_strdup(previous->etag);
                ret->validators.last_modified = answer_validator(c, "Last-Modified");
                if (!ret->validators.last_modified && net_validator_is_valid(previous->last_modified))
                        ret->validators.last_modified = g_strdup(previous->last_modified);
                return kind;

        default:
                return result_fail(ret, kind, url, g_strdup_printf("HTTP %ld", outcome.status));
        }
}
