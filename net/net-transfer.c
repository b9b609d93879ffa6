/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "net-transfer.h"

/* The redirects that name a new place for the same request; 300 (a choice),
 * 304 and 305 do not. */
static bool status_is_redirect(long status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/* Only a body that is the thing asked for goes to a descriptor: a cache file
 * must never hold an error page. */
static bool body_goes_to_fd(NetTransfer *t) {
        long status = 0;

        if (curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK)
                return false;
        return status == 200 || status == 0;  /* 0: file:// */
}

static size_t body_write(char *data, size_t size, size_t nmemb, void *userdata) {
        NetTransfer *t = userdata;
        size_t n = size * nmemb;  /* size is 1, says libcurl */

        t->stats.body_bytes += n;
        /* A short count makes libcurl stop with CURLE_WRITE_ERROR: the rest
         * of an endless body is never read. */
        if (n > t->body_max - t->body_size) {
                t->too_large = true;
                return 0;
        }
        t->body_size += n;

        if (t->memory) {
                g_byte_array_append(t->memory, (const guint8 *) data, (guint) n);
                return n;
        }
        if (!body_goes_to_fd(t))
                return n;
        for (size_t done = 0; done < n;) {
                ssize_t w = write(t->fd, data + done, n - done);

                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0) {
                        t->write_errno = w < 0 ? errno : EIO;
                        return 0;
                }
                done += (size_t) w;
        }
        return n;
}

/* libcurl calls this about once a second even when nothing arrives, so a
 * server that stalls is caught as well as one that trickles. */
static int low_speed_check(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow) {
        NetTransfer *t = userdata;
        gint64 now = g_get_monotonic_time();
        gint64 elapsed = now - t->window_start_usec;

        if (t->low_speed_bytes == 0 || elapsed < (gint64) t->low_speed_sec * G_USEC_PER_SEC)
                return 0;
        if ((dlnow - t->window_start_bytes) * G_USEC_PER_SEC < (curl_off_t) t->low_speed_bytes * elapsed) {
                t->too_slow = true;
                return 1;  /* CURLE_ABORTED_BY_CALLBACK */
        }
        t->window_start_usec = now;
        t->window_start_bytes = dlnow;
        return 0;
}

int net_transfer_init(NetTransfer *t, const char *user_agent, uint64_t body_max) {
        *t = (NetTransfer) { .fd = -1 };

        t->curl = curl_easy_init();
        if (!t->curl)
                return -ENOMEM;

        /* Redirects are followed by net_transfer_run(), which checks each;
         * the protocols are set per URL there. */
        if (curl_easy_setopt(t->curl, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
            curl_easy_setopt(t->curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
            curl_easy_setopt(t->curl, CURLOPT_ERRORBUFFER, t->errbuf) != CURLE_OK ||
            curl_easy_setopt(t->curl, CURLOPT_USERAGENT, user_agent) != CURLE_OK ||
            curl_easy_setopt(t->curl, CURLOPT_SSLVERSION, (long) CURL_SSLVERSION_TLSv1_2) != CURLE_OK ||
            curl_easy_setopt(t->curl, CURLOPT_WRITEFUNCTION, body_write) != CURLE_OK ||
            curl_easy_setopt(t->curl, CURLOPT_WRITEDATA, t) != CURLE_OK ||
            curl_easy_setopt(t->curl, CURLOPT_XFERINFOFUNCTION, low_speed_check) != CURLE_OK ||
            curl_easy_setopt(t->curl, CURLOPT_XFERINFODATA, t) != CURLE_OK ||
            curl_easy_setopt(t->curl, CURLOPT_NOPROGRESS, 0L) != CURLE_OK)
                return -EIO;
        return net_transfer_set_body(t, -1, body_max);
}

void net_transfer_done(NetTransfer *t) {
        if (t->curl)
                curl_easy_cleanup(t->curl);
        if (t->memory)
                g_byte_array_unref(t->memory);
        *t = (NetTransfer) { .fd = -1 };
}

int net_transfer_set_body(NetTransfer *t, int fd, uint64_t body_max) {
        t->fd = fd;
        if (fd >= 0)
                g_clear_pointer(&t->memory, g_byte_array_unref);
        else if (!t->memory)
                t->memory = g_byte_array_new();
        t->body_max = body_max;
        /* A Content-Length above the cap is refused before any body. */
        if (curl_easy_setopt(t->curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) MIN(body_max, (uint64_t) G_MAXINT64)) != CURLE_OK)
                return -EIO;
        return 0;
}

void net_outcome_done(NetOutcome *o) {
        g_free(o->url);
        g_free(o->location);
        g_free(o->message);
        *o = (NetOutcome) {};
}

NetKind net_kind_from_curl(CURLcode code, bool chain_trusted) {
        switch (code) {
        case CURLE_OK:
                return NET_KIND_OK;
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
                return NET_KIND_DNS;
        case CURLE_COULDNT_CONNECT:
                return NET_KIND_CONNECT;
        case CURLE_OPERATION_TIMEDOUT:
                return NET_KIND_TIMEOUT;
        case CURLE_PEER_FAILED_VERIFICATION:
                return chain_trusted ? NET_KIND_TLS_HOST_MISMATCH : NET_KIND_TLS_UNTRUSTED;
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_CRL_BADFILE:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        case CURLE_SSL_INVALIDCERTSTATUS:
        case CURLE_SSL_ENGINE_NOTFOUND:
        case CURLE_SSL_ENGINE_SETFAILED:
        case CURLE_SSL_ENGINE_INITFAILED:
        case CURLE_SSL_SHUTDOWN_FAILED:
        case CURLE_SSL_CLIENTCERT:
        case CURLE_USE_SSL_FAILED:
                return NET_KIND_TLS;
        case CURLE_PARTIAL_FILE:
                return NET_KIND_TRUNCATED;
        case CURLE_FILESIZE_EXCEEDED:
                return NET_KIND_TOO_LARGE;
        case CURLE_FILE_COULDNT_READ_FILE:
                return NET_KIND_NOT_FOUND;
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_URL_MALFORMAT:
                return NET_KIND_BAD_URL;
        case CURLE_WRITE_ERROR:
                return NET_KIND_LOCAL_IO;
        case CURLE_OUT_OF_MEMORY:
        case CURLE_FAILED_INIT:
        case CURLE_BAD_FUNCTION_ARGUMENT:
        case CURLE_UNKNOWN_OPTION:
        case CURLE_NOT_BUILT_IN:
                return NET_KIND_INTERNAL;
        default:
                return NET_KIND_NETWORK;
        }
}

/* Whether the server at @url has a certificate chain we trust, its host
 * name aside: a TLS handshake alone, on a copy of the handle with the host
 * name check off. libcurl gives both failures one code, and what it reports
 * as the verify result is the backend's business; an admin needs to know
 * whether the CA or the name is wrong. Only run after such a failure. */
static bool chain_is_trusted(CURL *c, const char *url, long timeout_ms) {
        CURL *probe = curl_easy_duphandle(c);
        bool trusted;

        if (!probe)
                return false;
        trusted = curl_easy_setopt(probe, CURLOPT_URL, url) == CURLE_OK &&
                  curl_easy_setopt(probe, CURLOPT_CONNECT_ONLY, 1L) == CURLE_OK &&
                  curl_easy_setopt(probe, CURLOPT_SSL_VERIFYHOST, 0L) == CURLE_OK &&
                  curl_easy_setopt(probe, CURLOPT_ERRORBUFFER, NULL) == CURLE_OK &&
                  curl_easy_setopt(probe, CURLOPT_NOPROGRESS, 1L) == CURLE_OK &&
                  curl_easy_setopt(probe, CURLOPT_TIMEOUT_MS, timeout_ms) == CURLE_OK &&
                  curl_easy_setopt(probe, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms) == CURLE_OK &&
                  curl_easy_perform(probe) == CURLE_OK;
        curl_easy_cleanup(probe);
        return trusted;
}

static NetKind outcome_set(NetOutcome *o, NetKind kind, const char *url, const char *message) {
        o->kind = kind;
        g_free(o->url);
        o->url = g_strdup(url);
        g_free(o->message);
        o->message = g_strdup(message);
        return kind;
}

static void body_reset(NetTransfer *t) {
        if (t->memory)
                g_byte_array_set_size(t->memory, 0);
        t->body_size = 0;
        t->too_large = false;
        t->write_errno = 0;
        t->too_slow = false;
        t->window_start_usec = g_get_monotonic_time();
        t->window_start_bytes = 0;
        t->errbuf[0] = 0;
}

NetKind net_transfer_run(NetTransfer *t, const char *url, unsigned timeout_ms, unsigned connect_timeout_ms,
                         unsigned redirects_max, NetOutcome *ret) {
        gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;
        NetScheme scheme = net_url_scheme(url);
        const char *protocol = net_scheme_to_string(scheme);
        g_autofree char *current = g_strdup(url);

        *ret = (NetOutcome) {};
        if (!protocol)
                return outcome_set(ret, NET_KIND_BAD_URL, url, "not an http://, https:// or file:// URL");

        /* Only the URL's own scheme, also for redirects: we check each one
         * below, and libcurl refuses on its own too. */
        if (curl_easy_setopt(t->curl, CURLOPT_PROTOCOLS_STR, protocol) != CURLE_OK ||
            curl_easy_setopt(t->curl, CURLOPT_REDIR_PROTOCOLS_STR, protocol) != CURLE_OK)
                return outcome_set(ret, NET_KIND_INTERNAL, url, "libcurl refused the protocol restriction");

        for (unsigned hops = 0;; hops++) {
                gint64 left_ms = (deadline - g_get_monotonic_time()) / 1000;
                const char *location = NULL;
                bool chain_trusted = false;
                CURLcode cr;

                if (left_ms <= 0)
                        return outcome_set(ret, NET_KIND_TIMEOUT, current, "the time allowed ran out");

                body_reset(t);
                if (curl_easy_setopt(t->curl, CURLOPT_URL, current) != CURLE_OK ||
                    curl_easy_setopt(t->curl, CURLOPT_TIMEOUT_MS, (long) left_ms) != CURLE_OK ||
                    curl_easy_setopt(t->curl, CURLOPT_CONNECTTIMEOUT_MS,
                                     (long) (connect_timeout_ms > 0 ? MIN((gint64) connect_timeout_ms, left_ms) : left_ms)) != CURLE_OK)
                        return outcome_set(ret, NET_KIND_INTERNAL, current, "libcurl refused the URL");

                t->stats.requests++;
                cr = curl_easy_perform(t->curl);
                (void) curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &ret->status);

                if (t->too_large || cr == CURLE_FILESIZE_EXCEEDED)
                        return outcome_set(ret, NET_KIND_TOO_LARGE, current, "the body is larger than allowed");
                if (t->too_slow)
                        return outcome_set(ret, NET_KIND_TOO_SLOW, current, "the transfer was slower than allowed");
                if (t->write_errno != 0)
                        return outcome_set(ret, NET_KIND_LOCAL_IO, current, g_strerror(t->write_errno));
                if (cr != CURLE_OK) {
                        if (cr == CURLE_PEER_FAILED_VERIFICATION)
                                chain_trusted = chain_is_trusted(t->curl, current,
                                                                 MAX((deadline - g_get_monotonic_time()) / 1000, 1));
                        return outcome_set(ret, net_kind_from_curl(cr, chain_trusted), current,
                                           t->errbuf[0] ? t->errbuf : curl_easy_strerror(cr));
                }

                if (!status_is_redirect(ret->status))
                        return outcome_set(ret, NET_KIND_OK, current, NULL);

                /* libcurl resolves the Location against the URL even when it
                 * does not follow it. */
                if (curl_easy_getinfo(t->curl, CURLINFO_REDIRECT_URL, &location) != CURLE_OK || !location)
                        return outcome_set(ret, NET_KIND_BAD_REDIRECT, current, "a redirect without a usable Location");
                if (net_url_scheme(location) != scheme) {
                        ret->location = g_strdup(location);
                        return outcome_set(ret, NET_KIND_REDIRECT_SCHEME, current, "a redirect to another scheme");
                }
                if (hops + 1 > redirects_max)
                        return outcome_set(ret, NET_KIND_TOO_MANY_REDIRECTS, url, "too many redirects");
                g_free(current);
                current = g_strdup(location);
        }
}
